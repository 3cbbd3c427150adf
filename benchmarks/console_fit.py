"""A benchmark's training stage run as a user runs it: ``seqkit-<domain> fit -c <stage>.yaml`` in a fresh process.

The stage trains for a number of optimiser steps and validates (so checkpoints) every ``val_every`` steps
whatever an epoch holds; a stage whose ``run_summary.json`` exists is done and is not rerun, and one that
stopped part way resumes from its ``last.ckpt``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path


def fit_stage(command_module: str, stage: str, root: Path, steps: int, threads: int, val_every: int,
              extra: Sequence[str] = ()) -> dict:
    """Train ``stage`` (a shipped config's name) under ``root``; returns its run summary."""
    if steps % val_every:
        raise SystemExit(f"--train-steps must be multiples of {val_every} (the last step must validate and checkpoint)")
    run = root / stage
    summary = run / "run_summary.json"
    if summary.exists():
        return json.loads(summary.read_text())
    cmd = [sys.executable, "-m", command_module, "fit", "-c", f"{stage}.yaml", f"--trainer.default_root_dir={root}",
           f"--trainer.max_steps={steps}", "--trainer.max_epochs=100000", "--trainer.enable_progress_bar=false",
           "--trainer.check_val_every_n_epoch=null", f"--trainer.val_check_interval={val_every}", *extra]
    if (run / "checkpoints" / "last.ckpt").exists():
        cmd.append("--ckpt_path=last")
    print("$", " ".join(cmd[1:]), flush=True)
    subprocess.run(cmd, check=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
    return json.loads(summary.read_text())
