"""A shuffling sampler whose order is a function of (seed, epoch), so a resumed run sees the same data.

Lightning does not checkpoint RNG state; with ``RandomSampler`` a run resumed from ``last.ckpt``
draws a different order than an uninterrupted one. This sampler reseeds from ``set_epoch``, which
Lightning calls every epoch (and ``DistributedSampler`` wrappers forward under DDP).
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import Sampler


class EpochSeededSampler(Sampler[int]):
    """Random permutation of ``range(size)`` drawn from ``seed`` and the current epoch."""

    def __init__(self, size: int, seed: int = 0) -> None:
        self.size, self.seed, self.epoch = size, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        return iter(torch.randperm(self.size, generator=generator).tolist())

    def __len__(self) -> int:
        return self.size
