"""A LightningDataModule base that serves named splits, with a (seed, epoch)-shuffled train loader."""

from __future__ import annotations

import lightning as L
from torch.utils.data import DataLoader, Dataset

from seqkit.data.epoch_sampler import EpochSeededSampler


class SplitDataModule(L.LightningDataModule):
    """Subclasses implement ``dataset(split)`` and set ``batch_size``, ``num_workers`` and ``seed``.

    Train batches are shuffled by ``EpochSeededSampler`` (a resumed run sees the same order);
    val/test keep file order and keep the last partial batch, so every window is scored.
    """

    batch_size: int
    num_workers: int
    seed: int

    def dataset(self, split: str) -> Dataset:  # pragma: no cover - abstract
        raise NotImplementedError

    def loader(self, split: str) -> DataLoader:
        data = self.dataset(split)
        sampler = EpochSeededSampler(len(data), self.seed) if split == "train" else None
        return DataLoader(data, batch_size=self.batch_size, sampler=sampler, num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0)

    def train_dataloader(self) -> DataLoader:
        return self.loader("train")

    def val_dataloader(self) -> DataLoader:
        return self.loader("val")

    def test_dataloader(self) -> DataLoader:
        return self.loader("test")
