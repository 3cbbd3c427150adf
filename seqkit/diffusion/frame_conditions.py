"""Conditions that change over a long sequence: embeddings held over frame spans, read per window.

A long-video prompt list is a set of (condition, first frame, end frame) spans tiling the video. A sampler that
works on windows asks for the condition of frames ``first..last-1``; a window inside one span gets that span's
embedding unchanged, a window across a change gets either the majority span's (``majority``; with the original
code's layout this is Gen-L-Video's ``_encode_prompt_mix``: of the W/S − 1 bridging windows the first
⌊gap/2⌋ + 1 keep the earlier prompt) or the linear interpolation of the spans' embeddings by their share of
the window's frames (``interpolate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

MAPPINGS = ("majority", "interpolate")


def check_spans(spans: Sequence[tuple[int, int]]) -> None:
    """The spans must tile frames 0.. in order, without gaps or overlaps."""
    if not spans:
        raise ValueError("no timed conditions given")
    expected = 0
    for i, (start, end) in enumerate(spans):
        if start != expected or end <= start:
            raise ValueError(f"timed condition {i} spans frames {start}..{end}; the spans must tile the video in "
                             f"order, so this one should start at frame {expected} and end after it")
        expected = end


def span_shares(spans: Sequence[tuple[int, int]], first: int, last: int) -> Tensor:
    """(n_spans,) float64 share of frames ``first..last-1`` in each span; frames past the end count to the last."""
    shares = torch.zeros(len(spans), dtype=torch.float64)
    for k, (start, end) in enumerate(spans):
        if k == len(spans) - 1:
            end = max(end, last)
        shares[k] = max(0, min(end, last) - max(start, first))
    if shares.sum() == 0:
        raise ValueError(f"frames {first}..{last} lie in no span")
    return shares / shares.sum()


@dataclass
class FrameConditions:
    """Condition embeddings (n_spans, ...) over frame spans, plus the unconditional embedding (...) for guidance."""

    embeddings: Tensor
    spans: list[tuple[int, int]]
    mapping: str = "majority"
    null: Tensor | None = None
    _cache: dict[tuple[int, int], Tensor] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_spans(self.spans)
        if self.embeddings.shape[0] != len(self.spans):
            raise ValueError(f"{self.embeddings.shape[0]} embeddings for {len(self.spans)} spans")
        if self.mapping not in MAPPINGS:
            raise ValueError(f"unknown condition mapping {self.mapping!r} (one of {', '.join(MAPPINGS)})")

    def weights(self, first: int, last: int) -> Tensor:
        """(n_spans,) weight of each span's embedding in the condition of frames ``first..last-1``."""
        share = span_shares(self.spans, first, last)
        if self.mapping == "interpolate":
            return share
        one_hot = torch.zeros_like(share)
        one_hot[int(torch.argmax(share))] = 1.0  # argmax takes the first maximum: a tie goes to the earlier span
        return one_hot

    def window(self, first: int, last: int) -> Tensor:
        """The condition (...) of frames ``first..last-1``; exactly a span's embedding when one span has it all."""
        key = (first, last)
        if key not in self._cache:
            w = self.weights(first, last)
            if (w == 1).any():
                self._cache[key] = self.embeddings[int(w.argmax())]
            else:
                mixed = torch.tensordot(w.to(self.embeddings.dtype).to(self.embeddings.device), self.embeddings, 1)
                self._cache[key] = mixed
        return self._cache[key]

    def windows(self, ranges: Sequence[tuple[int, int]]) -> Tensor:
        """(len(ranges), ...) conditions of several frame ranges."""
        return torch.stack([self.window(a, b) for a, b in ranges])
