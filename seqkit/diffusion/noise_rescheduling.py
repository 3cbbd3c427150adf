"""FreeNoise-style noise rescheduling (Qiu et al. 2024, arXiv 2310.15169) as a peer of temporal co-denoising.

The first W frames keep their i.i.d. noise; each later block of S frames takes the noise of frames
[f − W, f − W + S) in a random order, so the initial noise repeats with period W, shuffled locally, and
every window starts from a shuffle of the same W noise frames. Windows are then fused with FreeNoise's
triangular weights (1, 2, …, W/2, …, 2, 1).

Our choice: FreeNoise fuses windows inside each temporal self-attention layer of its U-Net; a sampler that
only sees ε̂(x_clip, t, c) cannot reach inside the model, so here the fusion is the x_{t−1} average of
``CoDenoisingSampler``. Its multi-prompt "motion injection" (per-segment prompts in some cross-attention
layers at some steps) is likewise model-internal and not reproduced.
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqkit.diffusion.co_denoising import ClipDenoiser, CoDenoisingSampler, Progress
from seqkit.diffusion.ddim import DDIMSampler
from seqkit.diffusion.frame_conditions import FrameConditions


def reschedule_noise(noise: Tensor, window: int, stride: int, generator: torch.Generator | None = None) -> Tensor:
    """(B, L, ...) noise whose frames from W on are local shuffles of the frames W earlier."""
    length = noise.shape[1]
    out = noise.clone()
    for f in range(window, length, stride):
        n = min(stride, length - f)
        order = torch.randperm(stride, generator=generator, device=generator.device if generator is not None else "cpu")
        order = order[:n].to(noise.device)
        out[:, f:f + n] = out[:, f - window:f - window + stride][:, order]
    return out


class FreeNoiseSampler:
    """Rescheduled initial noise, then co-denoising with triangular window weights."""

    def __init__(self, ddim: DDIMSampler, window: int, stride: int, window_batch: int = 8,
                 guidance_scale: float = 7.5) -> None:
        self.window, self.stride = window, stride
        self.co_denoising = CoDenoisingSampler(ddim, window, stride, "triangular", window_batch, guidance_scale)

    @torch.no_grad()
    def sample(self, denoise: ClipDenoiser, noise: Tensor, conditions: FrameConditions,
               generator: torch.Generator | None = None, progress: Progress | None = None) -> Tensor:
        """x_0 (B, L, ...); only the first W frames of ``noise`` are used, the rest is rescheduled from them."""
        rescheduled = reschedule_noise(noise, self.window, self.stride, generator)
        return self.co_denoising.sample(denoise, rescheduled, conditions, generator, progress)
