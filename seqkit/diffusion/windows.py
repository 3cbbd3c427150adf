"""Overlapping windows over a sequence's time axis and their blending weights.

Temporal co-denoising (Gen-L-Video, Wang et al. 2023, arXiv 2305.18264) runs a short-clip denoiser on
windows of W frames with stride S and averages the windows' results frame by frame. The original code
places windows at ``i·S`` for ``i < (L − W)//S + 1``, which leaves the last ``(L − W) mod S`` frames
uncovered (and zero); ``window_starts`` adds a last window ending at L whenever that happens, so every
frame is covered.

Weights across a window: ``uniform`` (the paper's code), ``triangular`` (FreeNoise's 1, 2, …, W/2, …, 2, 1) or
``gaussian`` (centred, σ = W/4 by default); they are normalised per frame over the windows that cover it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import torch
from torch import Tensor

WEIGHTINGS = ("uniform", "triangular", "gaussian")


def window_starts(length: int, window: int, stride: int) -> list[int]:
    """Start frames of windows of ``window`` frames with ``stride`` covering all of ``0..length-1``."""
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be positive, got window={window}, stride={stride}")
    if stride > window:
        raise ValueError(f"stride {stride} > window {window} would leave frames uncovered")
    if length < window:
        raise ValueError(f"the sequence ({length} frames) is shorter than one window ({window} frames)")
    starts = list(range(0, length - window + 1, stride))
    if starts[-1] + window < length:
        starts.append(length - window)  # the tail the original code leaves uncovered
    return starts


def window_weights(window: int, kind: str = "uniform", sigma: float | None = None) -> Tensor:
    """Blending weight of each frame position in a window: (W,) float64, all positive."""
    pos = torch.arange(window, dtype=torch.float64)
    if kind == "uniform":
        return torch.ones(window, dtype=torch.float64)
    if kind == "triangular":
        return torch.minimum(pos + 1, window - pos)
    if kind == "gaussian":
        s = sigma if sigma is not None else window / 4
        return torch.exp(-0.5 * ((pos - (window - 1) / 2) / s) ** 2)
    raise ValueError(f"unknown window weighting {kind!r} (one of {', '.join(WEIGHTINGS)})")


@dataclass(frozen=True)
class WindowLayout:
    """Windows of ``window`` frames at ``starts`` over ``length`` frames, blended with ``weighting``."""

    length: int
    window: int
    stride: int
    weighting: str = "uniform"

    @cached_property
    def starts(self) -> list[int]:
        return window_starts(self.length, self.window, self.stride)

    @cached_property
    def normalised_weights(self) -> Tensor:
        """(n_windows, W) float64: each window's weight of each of its frames over the sum of all windows'
        weights at that frame, so the weights of the windows covering a frame add up to 1 (exactly 1 where
        one window covers it)."""
        w = window_weights(self.window, self.weighting)
        total = torch.zeros(self.length, dtype=torch.float64)
        for s in self.starts:
            total[s:s + self.window] += w
        return torch.stack([w / total[s:s + self.window] for s in self.starts])

    def crops(self, x: Tensor, windows: list[int]) -> Tensor:
        """(len(windows)·B, W, ...) the frames of the given windows of x (B, L, ...), window-major."""
        return torch.stack([x[:, self.starts[k]:self.starts[k] + self.window] for k in windows]).flatten(0, 1)
