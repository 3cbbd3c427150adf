"""Length bucketing: batches of similar-length examples, so padding wastes little compute.

Indices are shuffled (seeded by (seed, epoch)), cut into pools of ``pool_batches`` batches, sorted by
length inside each pool and split into batches; the batch order is shuffled again. Every index appears
exactly once per epoch. Under torch.distributed each rank takes every world-size-th batch (the same
count on every rank, so collective ops stay in step). ``BucketedBatches`` serves them as an iterable
dataset, which Lightning's DDP leaves alone (it would otherwise rebuild a custom batch sampler around a
``DistributedSampler`` and lose the lengths).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
from torch.utils.data import Dataset, IterableDataset, Sampler, get_worker_info


class LengthBucketBatchSampler(Sampler[list[int]]):
    """Yields lists of indices; ``set_epoch`` changes the order, like ``DistributedSampler``."""

    def __init__(self, lengths: Sequence[int], batch_size: int, pool_batches: int = 50, seed: int = 0,
                 drop_last: bool = False) -> None:
        if batch_size < 1 or pool_batches < 1:
            raise ValueError(f"batch_size and pool_batches must be >= 1, got {batch_size}, {pool_batches}")
        self.lengths = np.asarray(lengths)
        self.batch_size, self.pool_batches, self.seed, self.drop_last = batch_size, pool_batches, seed, drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        rng = np.random.default_rng((self.seed, self.epoch))
        order = rng.permutation(len(self.lengths))
        pool = self.batch_size * self.pool_batches
        batches = []
        for start in range(0, len(order), pool):
            chunk = order[start : start + pool]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)]
        if self.drop_last:
            batches = [b for b in batches if len(b) == self.batch_size]
        batches = [batches[i] for i in rng.permutation(len(batches))]
        rank, world = rank_and_world()
        if world > 1:
            per_rank = len(batches) // world
            batches = batches[rank::world][:per_rank]
        return batches

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        _, world = rank_and_world()
        if world > 1:
            return self._global_len() // world
        return self._global_len()

    def _global_len(self) -> int:
        n, pool = len(self.lengths), self.batch_size * self.pool_batches
        sizes = [min(pool, n - start) for start in range(0, n, pool)]  # pools hold every index once
        if self.drop_last:
            return sum(size // self.batch_size for size in sizes)
        return sum(-(-size // self.batch_size) for size in sizes)


def rank_and_world() -> tuple[int, int]:
    """(rank, world size) of the initialised process group, (0, 1) without one."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class BucketedBatches(IterableDataset):
    """Collated batches in ``LengthBucketBatchSampler`` order; use with ``DataLoader(batch_size=None)``.

    ``epoch`` is called at the start of every pass (e.g. ``lambda: trainer.current_epoch``) so each epoch
    has its own seeded order. Loader workers split the batches among themselves.
    """

    def __init__(self, dataset: Dataset, sampler: LengthBucketBatchSampler, collate: Callable[[list[Any]], Any],
                 epoch: Callable[[], int] = lambda: 0) -> None:
        self.dataset, self.sampler, self.collate, self.epoch = dataset, sampler, collate, epoch

    def __iter__(self) -> Iterator[Any]:
        self.sampler.set_epoch(self.epoch())
        batches = self.sampler.batches()
        worker = get_worker_info()
        if worker is not None:
            batches = batches[worker.id :: worker.num_workers]
        for batch in batches:
            yield self.collate([self.dataset[i] for i in batch])

    def __len__(self) -> int:
        return len(self.sampler)
