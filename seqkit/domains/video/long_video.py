"""The long-video samplers by name, behind one call: ``sample(denoise, noise, conditions) → x_0``.

- ``co_denoising``: Gen-L-Video's temporal co-denoising (windows at ``stride``, merged with ``weighting``);
- ``isolated``: the same with S = W, disjoint clips (the baseline the paper improves on);
- ``freenoise``: FreeNoise-style noise rescheduling and triangular window fusion;
- ``fifo``: FIFO-Diffusion's diagonal denoising (``partitions`` windows per queue, ``lookahead``).
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor

from seqkit.diffusion import (
    ClipDenoiser,
    CoDenoisingSampler,
    DDIMSampler,
    DiagonalDenoisingSampler,
    FrameConditions,
    FreeNoiseSampler,
)

METHODS = ("co_denoising", "isolated", "freenoise", "fifo")


class LongVideoSampler(Protocol):
    def sample(self, denoise: ClipDenoiser, noise: Tensor, conditions: FrameConditions,
               generator: torch.Generator | None = None, progress=None) -> Tensor: ...


def build_sampler(method: str, ddim: DDIMSampler, window: int, stride: int | None = None,
                  weighting: str = "uniform", guidance_scale: float = 7.5, window_batch: int = 8,
                  partitions: int = 4, lookahead: bool = True) -> LongVideoSampler:
    """The sampler ``method`` over windows of ``window`` frames (``stride`` default W/2)."""
    stride = stride or max(1, window // 2)
    if method == "co_denoising":
        return CoDenoisingSampler(ddim, window, stride, weighting, window_batch, guidance_scale)
    if method == "isolated":
        return CoDenoisingSampler(ddim, window, window, "uniform", window_batch, guidance_scale)
    if method == "freenoise":
        return FreeNoiseSampler(ddim, window, stride, window_batch, guidance_scale)
    if method == "fifo":
        return DiagonalDenoisingSampler(ddim, window, partitions, lookahead, window_batch, guidance_scale)
    raise ValueError(f"unknown long-video method {method!r} (one of {', '.join(METHODS)})")
