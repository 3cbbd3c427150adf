"""A Lightning callback for benchmarks: the wall time and training loss of every step, written as JSON at the end.

Given on the command line (``--trainer.callbacks+=step_timer.StepTimer`` with ``benchmarks/`` on PYTHONPATH), so
a benchmark can time the shipped console scripts' own training loop, compiled or eager, step by step.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import lightning as L
import torch

from seqkit.atomic_io import atomic_write


class StepTimer(L.Callback):
    """Records (seconds since fit start, loss) after each training step, the time each epoch started and the
    process's peak RSS; writes them to ``$SEQKIT_STEP_TIMES``."""

    def __init__(self) -> None:
        self.start = 0.0
        self.steps: list[tuple[float, float]] = []
        self.epochs: list[tuple[float, int]] = []  # (seconds since fit start, index of the epoch's first step)

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.start = time.perf_counter()

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.epochs.append((time.perf_counter() - self.start, len(self.steps)))

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        self.steps.append((time.perf_counter() - self.start, float(loss.detach()) if torch.is_tensor(loss) else
                           float("nan")))

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        path = Path(os.environ["SEQKIT_STEP_TIMES"])
        import resource

        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        text = json.dumps({"steps": self.steps, "epochs": self.epochs, "peak_rss_mib": peak_mib})
        atomic_write(path, lambda fh: fh.write(text.encode()))
