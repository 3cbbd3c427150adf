"""One stable folder per run, so that a later invocation finds its ``last`` and ``best`` checkpoints.

A run lives in ``<trainer.default_root_dir>/<run_name>``: its ``checkpoints/``, ``metrics.csv``,
``plots/`` and ``predictions/``. The name is ``--run_name`` when given, else the stems of the ``-c``
configs joined by ``+`` (``etth1_M_24+mamba_encoder``), else ``default``, so the same command always
means the same folder: ``fit --ckpt_path=last`` resumes it, ``test --ckpt_path=best`` evaluates it and a
rerun of a killed ``predict`` skips the prediction files it already wrote.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from seqkit.commands.user_errors import InputError

DEFAULT_RUN_NAME = "default"


def run_name_for(explicit: str | None, config_files: Iterable[Any]) -> str:
    """``explicit`` if given, else the ``-c`` config stems joined by ``+``, else ``default``."""
    if explicit:
        if not re.fullmatch(r"[\w.+=-]+", explicit):
            raise ValueError(f"--run_name {explicit!r}: use letters, digits and . _ + = - only (it names a folder)")
        return explicit
    stems = [Path(str(getattr(f, "relative", f))).stem for f in config_files or ()]
    return "+".join(dict.fromkeys(stems)) or DEFAULT_RUN_NAME


def run_directory(default_root_dir: str | os.PathLike | None, run_name: str) -> Path:
    return Path(default_root_dir or os.getcwd()) / run_name


def resolve_checkpoint(ckpt_path: str | None, run_dir: Path) -> str | None:
    """``last`` / ``best`` → the file in ``run_dir``; a path is checked to be a checkpoint file.

    Raises an error naming the run folder when the asked-for checkpoint does not exist, instead of
    Lightning's warning-and-start-from-scratch (``last``) or its crash in a new process (``best``).
    """
    if ckpt_path is None:
        return None
    if ckpt_path == "last":
        last = run_dir / "checkpoints" / "last.ckpt"
        if not last.is_file():
            raise InputError(run_dir, None, "no last checkpoint to resume from (checkpoints/last.ckpt is missing); "
                             "run `fit` without --ckpt_path first, or pick the run with --run_name / -c")
        return str(last)
    if ckpt_path == "best":
        return str(_best_checkpoint(run_dir))
    path = Path(ckpt_path)
    if path.is_dir():
        hint = next(iter(sorted(path.rglob("last.ckpt"))), None)
        raise InputError(path, None, "is a directory, expected a checkpoint file"
                         + (f" (e.g. {hint})" if hint else ""))
    if not path.is_file():
        raise InputError(path, None, "checkpoint not found")
    return str(path)


def _best_checkpoint(run_dir: Path) -> Path:
    """The best checkpoint recorded by ModelCheckpoint in the run's ``last.ckpt``."""
    import torch

    last = run_dir / "checkpoints" / "last.ckpt"
    if not last.is_file():
        raise InputError(run_dir, None, "no checkpoints in this run folder, so no best one; run `fit` first")
    state = torch.load(last, map_location="cpu", weights_only=True).get("callbacks", {})
    for key, value in state.items():
        if key.startswith("ModelCheckpoint") and value.get("best_model_path"):
            best = Path(value["best_model_path"])
            if not best.is_absolute() and not best.exists():
                best = run_dir / "checkpoints" / best.name
            if best.is_file():
                return best
            raise InputError(last, None, f"records best checkpoint {best}, which no longer exists")
    raise InputError(last, None, "no best checkpoint was recorded (is --checkpoint.monitor a metric this model "
                     "logs, with save_top_k >= 1?)")
