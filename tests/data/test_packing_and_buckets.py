"""Packing sequences-of-sequences and bucketing batches by length."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.data import LengthBucketBatchSampler, pack_sequences, pad_batch


def test_pack_restarts_positions_and_numbers_segments() -> None:
    tokens, seg, pos = pack_sequences([np.array([5, 6, 7]), np.array([8]), np.array([9, 10])])
    assert tokens.tolist() == [5, 6, 7, 8, 9, 10]
    assert seg.tolist() == [0, 0, 0, 1, 2, 2] and pos.tolist() == [0, 1, 2, 0, 0, 1]
    with pytest.raises(ValueError, match="no empty"):
        pack_sequences([np.array([1]), np.array([], dtype=np.int64)])
    batch = pad_batch([{"t": np.array([1, 2, 3])}, {"t": np.array([4])}], {"t": -1})
    assert batch["t"].tolist() == [[1, 2, 3], [4, -1, -1]] and batch["lengths"].tolist() == [3, 1]


@pytest.mark.parametrize("drop_last", [False, True])
def test_buckets_cover_every_index_once_with_little_padding(drop_last: bool) -> None:
    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 1000, size=1003)
    sampler = LengthBucketBatchSampler(lengths, batch_size=16, pool_batches=20, seed=1, drop_last=drop_last)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    flat = [i for b in batches for i in b]
    assert len(flat) == len(set(flat)) and (set(flat) == set(range(1003)) or drop_last)
    waste = sum(max(lengths[b]) * len(b) - lengths[b].sum() for b in batches) / sum(lengths[flat])
    random_waste = sum(max(lengths[b]) * len(b) - lengths[b].sum() for b in np.array_split(np.arange(1003), 63))
    assert waste < 0.1 < random_waste / lengths.sum()  # bucketing pads < 10%; arbitrary batches pad far more
    sampler.set_epoch(1)
    assert list(sampler) != batches  # a new order each epoch, reproducible per (seed, epoch)
    sampler.set_epoch(0)
    assert list(sampler) == batches


def test_bucketed_batches_follow_the_sampler_and_its_epoch() -> None:
    from seqkit.data import BucketedBatches

    lengths = list(range(1, 41))
    sampler = LengthBucketBatchSampler(lengths, batch_size=4, pool_batches=3, seed=0)
    data = [{"t": np.arange(n)} for n in lengths]
    epoch = {"value": 0}
    batches = BucketedBatches(data, sampler, lambda rows: pad_batch(rows, {"t": -1}), lambda: epoch["value"])
    first = [b["lengths"].tolist() for b in batches]
    assert len(first) == len(batches) == 10 and sorted(n for b in first for n in b) == lengths
    assert first == [[lengths[i] for i in b] for b in sampler.batches()]
    epoch["value"] = 1
    assert [b["lengths"].tolist() for b in batches] != first
