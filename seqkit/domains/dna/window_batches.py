"""Training batches of genome windows with variable length per batch and a constant token budget.

Dataset decomposition (Pouransari et al. 2024): instead of padding mixed lengths into one shape, every
batch holds windows of a single length L from ``lengths_bp`` and ``bp_per_batch // L`` rows, so a step
costs about the same whatever L is, nothing is padded, and short and long contexts are both trained.
Each length gets an equal share of the steps (equal tokens), in a seeded shuffled order, or with
``curriculum=True`` short lengths first (HyenaDNA-style sequence-length warm-up).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Literal

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

from seqkit.data import rank_and_world
from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.genome_windows import Span, random_windows

__all__ = ["WindowBatches", "length_schedule"]


def length_schedule(lengths_bp: list[int], n_steps: int, rng: np.random.Generator, curriculum: bool = False
                    ) -> list[int]:
    """The window length of each of ``n_steps`` steps: every length equally often (±1)."""
    schedule = [lengths_bp[i % len(lengths_bp)] for i in range(n_steps)]
    return sorted(schedule) if curriculum else [schedule[i] for i in rng.permutation(n_steps)]


class WindowBatches(IterableDataset):
    """``{"tokens": (B, T)}`` batches of tokenized random windows; use with ``DataLoader(batch_size=None)``.

    Args:
        genome (Genome): the source.
        spans (list[Span]): regions windows are drawn from (the train split).
        tokenizer: a ``KmerTokenizer`` or ``NucleotideTokenizer``; every length must be a multiple of its k.
        lengths_bp (list[int]): window lengths in bp, e.g. ``[1536, 6144, 24576]``.
        bp_per_batch (int): token budget per batch in bp; rows = bp_per_batch // length (at least 1).
        steps_per_epoch (int): batches per epoch over all ranks.
        epoch (Callable[[], int]): current epoch, so each epoch draws its own windows.
    """

    def __init__(self, genome: Genome, spans: list[Span], tokenizer, lengths_bp: list[int], bp_per_batch: int,
                 steps_per_epoch: int, *, seed: int = 0, rc_prob: float = 0.5, curriculum: bool = False,
                 n_policy: Literal["skip", "keep"] = "skip", max_n_fraction: float = 0.0,
                 epoch: Callable[[], int] = lambda: 0) -> None:
        for length in lengths_bp:
            if length % tokenizer.k:
                raise ValueError(f"WindowBatches: window length {length} bp is not a multiple of k={tokenizer.k}")
        self.genome, self.spans, self.tokenizer = genome, spans, tokenizer
        self.lengths_bp, self.bp_per_batch, self.steps_per_epoch = sorted(lengths_bp), bp_per_batch, steps_per_epoch
        self.seed, self.rc_prob, self.curriculum = seed, rc_prob, curriculum
        self.n_policy, self.max_n_fraction, self.epoch = n_policy, max_n_fraction, epoch

    def rows(self, length_bp: int) -> int:
        return max(1, self.bp_per_batch // length_bp)

    def __len__(self) -> int:
        _, world = rank_and_world()
        return self.steps_per_epoch // world

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        rank, world = rank_and_world()
        worker = get_worker_info()
        worker_id, n_workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
        epoch = self.epoch()
        schedule = length_schedule(self.lengths_bp, self.steps_per_epoch, np.random.default_rng((self.seed, epoch)),
                                   self.curriculum)  # the same on every rank: lengths stay in step under DDP
        mine = schedule[rank::world][: len(self)][worker_id::n_workers]
        rng = np.random.default_rng((self.seed, epoch, rank, worker_id))
        streams = {}
        for length in mine:
            if length not in streams:
                streams[length] = random_windows(self.genome, self.spans, length, rng, rc_prob=self.rc_prob,
                                                 n_policy=self.n_policy, max_n_fraction=self.max_n_fraction)
            rows = [self.tokenizer.encode(next(streams[length]), add_bos=True) for _ in range(self.rows(length))]
            yield {"tokens": torch.from_numpy(np.stack(rows))}  # (B, 1 + L/k)
