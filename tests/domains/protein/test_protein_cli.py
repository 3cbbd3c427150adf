"""seqkit-protein fit end to end: DDP on two CPU processes with length-bucketed batches, plain hparams."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from seqkit.domains.protein import ProteinLM

TINY = ["--model.init_args.d_model=32", "--model.init_args.n_layers=2", "--model.init_args.n_heads=4",
        "--data.init_args.synthetic_length=30", "--data.init_args.synthetic_sequences=64",
        "--data.init_args.context_tokens=200", "--data.init_args.n_train=32", "--data.init_args.n_val=8",
        "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def test_ddp_fit_splits_bucketed_batches_across_ranks_and_checkpoints_load(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "seqkit.domains.protein.cli", "fit", *TINY, "--trainer.max_epochs=1",
           "--trainer.strategy=ddp", "--trainer.devices=2", "--trainer.accelerator=cpu",
           f"--trainer.default_root_dir={tmp_path}"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    ckpt = next(tmp_path.rglob("last.ckpt"))
    state = torch.load(ckpt, weights_only=True, map_location="cpu")
    assert state["global_step"] == 2  # 32 examples / batch 8 = 4 batches, 2 per rank
    model = ProteinLM.load_from_checkpoint(ckpt, weights_only=True)
    assert model.hparams.d_model == 32 and model.hparams.between == "attention"
