"""Genome splits by region, random training windows, and held-out tiles.

A genome LM must not be validated on windows that overlap its training windows, so the genome is cut
into blocks (default 50 kb) and whole blocks go to train, val or test by a seeded draw; adjacent blocks of
one split merge into a span, and windows never cross a span. Training windows are drawn uniformly over
all valid start positions (chromosomes weighted by length), optionally reverse-complemented; held-out
windows tile their spans without overlap so a metric covers every held-out base once.

N policy (``n_policy``): ``"skip"`` redraws a window holding more than ``max_n_fraction`` N (tiles are
dropped); ``"keep"`` keeps it — k-mers with N become ``<oov>`` and the loss ignores them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import numpy as np

from seqkit.domains.dna.genome import Genome

__all__ = ["Span", "random_windows", "split_genome", "tile_windows"]


@dataclass(frozen=True)
class Span:
    """A contiguous region [start, end) of one record."""
    record: str
    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


def split_genome(genome: Genome, val_fraction: float = 0.05, test_fraction: float = 0.05,
                 block_bp: int = 50_000, seed: int = 0) -> dict[str, list[Span]]:
    """Spans per split. Every record is cut into ``block_bp`` blocks; blocks are drawn for val and test
    (at least one each when the fraction is > 0) and the rest train."""
    if not 0 <= val_fraction + test_fraction < 1:
        raise ValueError(f"split_genome: val_fraction + test_fraction must be in [0, 1), got "
                         f"{val_fraction} + {test_fraction}")
    blocks = [(name, start, min(start + block_bp, length))
              for name, length in genome for start in range(0, length, block_bp)]
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(blocks))
    n_val = max(1, round(val_fraction * len(blocks))) if val_fraction > 0 else 0
    n_test = max(1, round(test_fraction * len(blocks))) if test_fraction > 0 else 0
    if n_val + n_test >= len(blocks):
        raise ValueError(f"split_genome: {genome.total_length} bp make only {len(blocks)} blocks of {block_bp} bp; "
                         f"lower block_bp to hold out val and test")
    label = np.array(["train"] * len(blocks), dtype=object)
    label[order[:n_val]] = "val"
    label[order[n_val : n_val + n_test]] = "test"
    spans: dict[str, list[Span]] = {"train": [], "val": [], "test": []}
    for i, (name, start, end) in enumerate(blocks):
        current = spans[label[i]]
        if current and current[-1].record == name and current[-1].end == start:
            current[-1] = Span(name, current[-1].start, end)  # merge adjacent blocks of one split
        else:
            current.append(Span(name, start, end))
    return spans


def _n_ok(bases: np.ndarray, max_n_fraction: float) -> bool:
    return float(np.mean(bases == ord("N"))) <= max_n_fraction if bases.size else False


def random_windows(genome: Genome, spans: list[Span], length_bp: int, rng: np.random.Generator, *,
                   rc_prob: float = 0.5, n_policy: Literal["skip", "keep"] = "skip",
                   max_n_fraction: float = 0.0, max_tries: int = 100) -> Iterator[np.ndarray]:
    """Endless uniform windows of ``length_bp`` from ``spans`` (uint8 bases)."""
    starts = np.array([max(0, s.length - length_bp + 1) for s in spans], dtype=np.int64)  # valid starts per span
    if starts.sum() == 0:
        longest = max(spans, key=lambda s: s.length)
        raise ValueError(f"random_windows: a {length_bp} bp window is longer than every span (longest: record "
                         f"{longest.record!r} [{longest.start}, {longest.end}), {longest.length} bp)")
    weights = starts / starts.sum()
    while True:
        for _ in range(max_tries):
            span = spans[rng.choice(len(spans), p=weights)]
            start = span.start + int(rng.integers(span.length - length_bp + 1))
            strand = -1 if rng.random() < rc_prob else 1
            bases = genome.fetch(span.record, start, start + length_bp, strand=strand)
            if n_policy == "keep" or _n_ok(bases, max_n_fraction):
                break
        else:
            raise ValueError(f"random_windows: {max_tries} windows of {length_bp} bp in a row held more than "
                             f"{max_n_fraction:.0%} N (last: record {span.record!r} at {start}); use "
                             f"n_policy='keep' or raise max_n_fraction")
        yield bases


def tile_windows(genome: Genome, spans: list[Span], length_bp: int, *, n_policy: Literal["skip", "keep"] = "skip",
                 max_n_fraction: float = 0.0) -> list[tuple[Span, np.ndarray]]:
    """Non-overlapping forward-strand windows covering each span (a shorter remainder is dropped)."""
    out = []
    for span in spans:
        for start in range(span.start, span.end - length_bp + 1, length_bp):
            bases = genome.fetch(span.record, start, start + length_bp)
            if n_policy == "keep" or _n_ok(bases, max_n_fraction):
                out.append((Span(span.record, start, start + length_bp), bases))
    return out
