"""Finite-loss guard, prediction writer and atomic writes."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from seqkit.atomic_io import atomic_write
from seqkit.callbacks import FiniteLossGuard, PredictionWriter, shard_written


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
