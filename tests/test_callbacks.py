"""Finite-loss guard, prediction writer, run summary and atomic writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from seqkit.atomic_io import atomic_write
from seqkit.callbacks import FiniteLossGuard, PredictionWriter, RunSummary, shard_written


class _Regression(L.LightningModule):
    def __init__(self, poison_at: int | None = None) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)
        self.poison_at = poison_at

    def training_step(self, batch: list[torch.Tensor], batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = ((self.layer(x) - y) ** 2).mean()
        return loss * float("nan") if batch_idx == self.poison_at else loss

    def predict_step(self, batch: list[torch.Tensor], batch_idx: int, dataloader_idx: int = 0) -> dict | None:
        if shard_written(self.trainer, batch_idx, dataloader_idx):
            return None
        self.computed.append(batch_idx)
        return {"y": self.layer(batch[0])[:, 0]}

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _loader() -> DataLoader:
    g = torch.Generator().manual_seed(0)
    return DataLoader(TensorDataset(torch.randn(40, 3, generator=g), torch.randn(40, 1, generator=g)), batch_size=8)


def _trainer(tmp_path: Path, callbacks: list) -> L.Trainer:
    return L.Trainer(max_epochs=1, callbacks=callbacks, logger=False, enable_checkpointing=False,
                     enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)


def test_guard_stops_before_a_nan_loss_reaches_the_weights(tmp_path: Path) -> None:
    model = _Regression(poison_at=2)
    with pytest.raises(FloatingPointError, match="non-finite training loss"):
        _trainer(tmp_path, [FiniteLossGuard()]).fit(model, _loader())
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_without_guard_lightning_trains_on_into_nan_weights(tmp_path: Path) -> None:
    model = _Regression(poison_at=2)
    _trainer(tmp_path, []).fit(model, _loader())
    assert not all(torch.isfinite(p).all() for p in model.parameters())


@pytest.mark.parametrize("file_format", ["csv", "npz"])
def test_writer_writes_each_batch_once_and_a_rerun_computes_only_missing_shards(tmp_path: Path,
                                                                               file_format: str) -> None:
    writer = PredictionWriter(str(tmp_path / "out"), file_format=file_format)
    model = _Regression()
    model.computed = []
    _trainer(tmp_path, [writer]).predict(model, _loader(), return_predictions=False)
    files = sorted((tmp_path / "out").iterdir())
    assert len(files) == 5 and model.computed == [0, 1, 2, 3, 4]
    files[3].unlink()
    model.computed = []
    _trainer(tmp_path, [PredictionWriter(str(tmp_path / "out"), file_format=file_format)]).predict(
        model, _loader(), return_predictions=False)
    assert model.computed == [3] and len(list((tmp_path / "out").iterdir())) == 5


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "result.bin"
    atomic_write(target, lambda fh: fh.write(b"old"))

    def broken(fh) -> None:
        fh.write(b"partial")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(target, broken)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.bin"]


def _summary_fit(root: Path, epochs: int, ckpt_path: str | None = None) -> Path:
    trainer = L.Trainer(max_epochs=epochs, callbacks=[RunSummary()], logger=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=root)
    trainer.fit(_Regression(), _loader(), ckpt_path=ckpt_path)
    return Path(trainer.checkpoint_callback.best_model_path)


def test_run_summary_records_fit_time_device_and_progress_in_checkpoint_and_json(tmp_path: Path) -> None:
    ckpt = _summary_fit(tmp_path, epochs=2)
    saved = torch.load(ckpt, weights_only=True)[RunSummary.KEY]
    assert saved["epochs"] == 2 and saved["global_step"] == 10  # 40 rows in batches of 8, two epochs
    assert saved["accelerator"] == "cpu" and saved["device"] and saved["precision"] == "32-true"
    assert saved["fit_seconds"] > 0
    assert all(isinstance(v, int | float | str) for v in saved.values())  # plain: loads with weights_only
    summary = json.loads((tmp_path / "run_summary.json").read_text())
    assert summary["epochs"] == 2 and summary["fit_seconds"] >= saved["fit_seconds"]

    resumed = _summary_fit(tmp_path / "resumed", epochs=3, ckpt_path=str(ckpt))
    again = torch.load(resumed, weights_only=True)[RunSummary.KEY]
    assert again["epochs"] == 3 and again["global_step"] == 15
    assert again["fit_seconds"] > saved["fit_seconds"]  # the resumed fit adds to the earlier one's time


def test_console_fit_leaves_a_run_summary_and_records_it_in_the_checkpoint(tmp_path: Path) -> None:
    small = ["--data.init_args.seq_len=48", "--data.init_args.n_train=64", "--data.init_args.n_val=32",
             "--data.init_args.batch_size=16", "--model.init_args.d_model=32",
             "--model.init_args.mixer_options={mamba2: {d_state: 8, head_dim: 16, chunk_size: 16}}",
             "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
    proc = subprocess.run([sys.executable, "-m", "seqkit.domains.synthetic.cli", "fit", *small,
                           "--trainer.max_epochs=1", f"--trainer.default_root_dir={tmp_path}"], cwd=tmp_path,
                          env=dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1"), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(next(tmp_path.rglob("run_summary.json")).read_text())
    saved = torch.load(next(tmp_path.rglob("last.ckpt")), weights_only=True)[RunSummary.KEY]
    assert summary["epochs"] == saved["epochs"] == 1 and summary["global_step"] == saved["global_step"] == 4
    assert 0 < saved["fit_seconds"] <= summary["fit_seconds"]
