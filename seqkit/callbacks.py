"""Callbacks every seqkit run uses: a finite-loss guard, a resumable prediction writer, curve plots, a run summary,
a report of ``torch.compile``'s graph breaks."""

from __future__ import annotations

import io
import json
import time
import warnings
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import pandas as pd
import torch
from lightning.pytorch.callbacks import BasePredictionWriter, Callback

from seqkit.atomic_io import atomic_write
from seqkit.compiled import compiled_networks, graph_breaks
from seqkit.hardware import cpu_model


class FiniteLossGuard(Callback):
    """Stop with a clear error the moment the training loss is NaN or infinite.

    Lightning does not check the loss; a NaN would train on, poison the weights and be
    checkpointed. The check runs before backward, so the weights of the last good step survive.
    """

    def on_before_backward(self, trainer: L.Trainer, pl_module: L.LightningModule, loss: torch.Tensor) -> None:
        if not torch.isfinite(loss).all():
            raise FloatingPointError(
                f"non-finite training loss {loss.item()} at epoch {trainer.current_epoch}, global step "
                f"{trainer.global_step}; lower the learning rate, enable gradient clipping "
                f"(--trainer.gradient_clip_val) or check the input data")


class CompileReport(Callback):
    """After the first training step of a compiled model, warn with every graph break TorchDynamo recorded.

    A break runs part of the step as eager Python between compiled graphs: correct but slower, and easy to
    miss. The count also goes to ``run_summary.json`` (``RunSummary``). An eager model is left alone.
    """

    def __init__(self) -> None:
        self._reported = False

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if self._reported or not compiled_networks(pl_module):
            return
        self._reported = True
        breaks = graph_breaks()
        if breaks and trainer.is_global_zero:
            reasons = "; ".join(f"{n}x {reason}" for reason, n in breaks.most_common(5))
            warnings.warn(f"torch.compile of {', '.join(compiled_networks(pl_module))}: {sum(breaks.values())} graph "
                          f"break(s), those parts run eager: {reasons}", stacklevel=1)


class PredictionWriter(BasePredictionWriter):
    """Writes each predict batch to its own file, atomically; a rerun skips files already written.

    ``predict_step`` returns a dict of per-example tensors (first dim = batch); keys starting with ``_`` are
    left to a domain's own writer (e.g. whole motions, written as files of their own). Files are named by
    world size, rank, dataloader and batch, so each shard has one owner. Models call
    ``shard_written`` at the top of ``predict_step`` to skip finished shards without computing them.

    Args:
        output_dir (str, Optional): folder for prediction files; default ``<log_dir>/predictions``.
        file_format (str): ``csv`` (one row per example; vectors as space-separated values) or ``npz``.
    """

    def __init__(self, output_dir: str | None = None, file_format: Literal["csv", "npz"] = "csv") -> None:
        super().__init__(write_interval="batch")
        if file_format not in ("csv", "npz"):
            raise ValueError(f"prediction_writer.file_format must be 'csv' or 'npz', got {file_format!r}")
        self.output_dir, self.file_format = output_dir, file_format
        self._directory: Path | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        # Resolved once on every rank: trainer.log_dir is a collective under DDP, and ranks may run
        # different numbers of predict batches, so it must not be called per batch.
        if self._directory is None:
            self._directory = Path(self.output_dir) if self.output_dir is not None else (
                Path(trainer.log_dir or trainer.default_root_dir) / "predictions")

    def directory(self, trainer: L.Trainer) -> Path:
        if self._directory is None:
            self.setup(trainer, trainer.lightning_module, "predict")
        return self._directory

    def shard_path(self, trainer: L.Trainer, batch_idx: int, dataloader_idx: int) -> Path:
        name = (f"predictions_rank{trainer.global_rank}of{trainer.world_size}_dl{dataloader_idx}"
                f"_batch{batch_idx:06d}.{self.file_format}")
        return self.directory(trainer) / name

    def write_on_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, prediction: Any,
                           batch_indices: Any, batch: Any, batch_idx: int, dataloader_idx: int) -> None:
        if prediction is None:  # skipped by the model: already on disk
            return
        columns = {k: _to_numpy(v) for k, v in prediction.items() if not k.startswith("_")}
        if batch_indices is not None and "index" not in columns:
            columns["index"] = np.asarray(batch_indices)
        path = self.shard_path(trainer, batch_idx, dataloader_idx)
        if self.file_format == "npz":
            atomic_write(path, lambda fh: np.savez(fh, **columns))
        else:
            atomic_write(path, lambda fh: fh.write(_csv(columns).encode()))


def shard_written(trainer: L.Trainer | None, batch_idx: int, dataloader_idx: int = 0) -> bool:
    """True when a PredictionWriter of this trainer already holds this batch's file."""
    if trainer is None:
        return False
    for cb in trainer.callbacks:
        if isinstance(cb, PredictionWriter) and cb.shard_path(trainer, batch_idx, dataloader_idx).exists():
            return True
    return False


class EvaluationReport(Callback):
    """After ``test`` (or a ``validate`` outside fit), writes the metrics as JSON to ``<log_dir>/<stage>_metrics.json``.

    The file names the checkpoint, the number of examples evaluated and every logged metric, so evaluating a
    trained model on a new labelled file is one command whose result a script can read.
    """

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write(trainer, "test", trainer.test_dataloaders)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.state.fn == "validate":
            self._write(trainer, "validate", trainer.val_dataloaders)

    def _write(self, trainer: L.Trainer, stage: str, loaders: Any) -> None:
        path = Path(trainer.log_dir or trainer.default_root_dir) / f"{stage}_metrics.json"
        if not trainer.is_global_zero:
            return
        loaders = loaders if isinstance(loaders, (list, tuple)) else [loaders]
        datasets = [getattr(dl, "dataset", None) for dl in loaders]
        sizes = [len(d) for d in datasets if hasattr(d, "__len__")]
        report = {"stage": stage, "checkpoint": trainer.ckpt_path, "examples": sum(sizes) if sizes else None,
                  "metrics": {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}}
        atomic_write(path, lambda fh: fh.write(json.dumps(report, indent=1).encode()))
        print(f"{stage} metrics written to {path}")


class TrainingCurvesPlot(Callback):
    """After each epoch, plots the logged epoch metrics to ``<log_dir>/plots/training_curves.png``."""

    def __init__(self, filename: str = "plots/training_curves.png") -> None:
        self.filename = filename
        self.history: dict[str, list[tuple[int, float]]] = {}

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Runs after the epoch's validation, so train and val epoch metrics are both present.
        metrics = trainer.callback_metrics
        for name, value in metrics.items():
            if value.numel() != 1 or name.endswith("_step") or f"{name}_epoch" in metrics:
                continue
            self.history.setdefault(name.removesuffix("_epoch"), []).append((trainer.current_epoch, float(value)))
        # log_dir is a collective (a broadcast under DDP): every rank must ask, not only rank 0.
        path = Path(trainer.log_dir or trainer.default_root_dir) / self.filename
        if trainer.is_global_zero and self.history:
            self.plot(path)

    def plot(self, path: Path) -> Path:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        names = sorted(self.history)
        fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
        for ax, name in zip(axes[0], names, strict=True):
            epochs, values = zip(*self.history[name], strict=True)
            ax.plot(epochs, values, marker="o")
            ax.set_title(name)
            ax.set_xlabel("epoch")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        return atomic_write(path, lambda fh: fh.write(buf.getvalue()))

    def state_dict(self) -> dict[str, Any]:
        return {"history": {k: [list(p) for p in v] for k, v in self.history.items()}}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = {k: [(int(e), float(v)) for e, v in pts] for k, pts in state_dict["history"].items()}


class RunSummary(Callback):
    """Records what a fit cost and where it ran, so reports read it instead of having it typed in.

    Every checkpoint gets a ``"seqkit_run"`` entry of plain values: ``fit_seconds`` (wall time of ``fit`` up to
    that save, summed over resumed fits), ``accelerator``, ``device`` (GPU or CPU model), ``threads``,
    ``precision``, ``epochs`` (completed) and ``global_step`` (and, for a compiled model, ``compiled``: its compiled
    networks, and ``graph_breaks``). At the end of fit the same entry is written to
    ``<log_dir>/run_summary.json``, atomically.
    """

    KEY = "seqkit_run"

    def __init__(self, filename: str = "run_summary.json") -> None:
        self.filename = filename
        self._earlier_seconds = 0.0  # fit time of the runs this one resumed
        self._start: float | None = None

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start = time.perf_counter()

    def on_load_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        self._earlier_seconds = float(checkpoint.get(self.KEY, {}).get("fit_seconds", 0.0))

    def summary(self, trainer: L.Trainer, pl_module: L.LightningModule, epochs: int) -> dict[str, Any]:
        running = time.perf_counter() - self._start if self._start is not None else 0.0
        device = pl_module.device
        return {"fit_seconds": round(self._earlier_seconds + running, 3),
                "accelerator": type(trainer.accelerator).__name__.removesuffix("Accelerator").lower(),
                "device": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_model(),
                "threads": torch.get_num_threads(), "precision": str(trainer.precision),
                "epochs": epochs, "global_step": trainer.global_step,
                **({"compiled": compiled_networks(pl_module), "graph_breaks": sum(graph_breaks().values())}
                   if compiled_networks(pl_module) else {})}

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        # a save at an epoch's end comes before Lightning counts that epoch as completed
        loop = trainer.fit_loop
        checkpoint[self.KEY] = self.summary(trainer, pl_module, loop.epoch_progress.current.completed
                                            + int(loop.epoch_loop.done))

    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # log_dir is a collective (a broadcast under DDP): every rank asks, rank 0 writes.
        path = Path(trainer.log_dir or trainer.default_root_dir) / self.filename
        if trainer.is_global_zero:
            text = json.dumps(self.summary(trainer, pl_module, trainer.fit_loop.epoch_progress.current.completed),
                              indent=1) + "\n"
            atomic_write(path, lambda fh: fh.write(text.encode()))


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def _csv(columns: dict[str, np.ndarray]) -> str:
    """One row per example; a vector-valued column becomes space-separated values in one cell."""
    flat = {k: [" ".join(str(x) for x in np.ravel(row)) for row in v] if v.ndim > 1 else v
            for k, v in columns.items()}
    return pd.DataFrame(flat).to_csv(index=False)
