"""Exact ε-predictors with known answers and the plain sampler, for testing the long-sequence
samplers without a trained model.

``ar1_oracle``: frames of a clip are a Gaussian AR(1) process per pixel, x_0 ~ N(μ·1, Σ) with Σ_ij = ρ^|i−j| and
μ the condition; E[ε | x_t] = S^½ (D Σ D + S)⁻¹ (x_t − D μ) with D = diag √ᾱ, S = diag(1 − ᾱ), one level per
clip (t (N,)) or per frame (t (N, W)). ρ = 0 makes frames independent: a denoiser blind to window boundaries.
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqkit.diffusion import DDIMSampler, NoiseSchedule, guided_eps
from seqkit.diffusion.co_denoising import ClipDenoiser


def ar1_oracle(schedule: NoiseSchedule, rho: float):
    def denoise(x: Tensor, t: Tensor, cond: Tensor) -> Tensor:
        n, w = x.shape[:2]
        idx = torch.arange(w, dtype=torch.float64)
        sigma = rho ** (idx[:, None] - idx[None, :]).abs()  # (W, W)
        levels = t if t.dim() == 2 else t[:, None].expand(n, w)
        a = schedule.alphas_cumprod.double()[levels.clamp(min=0)]
        a = torch.where(levels >= 0, a, torch.ones_like(a))  # (N, W)
        d = a.sqrt()
        cov = d[:, :, None] * sigma * d[:, None, :] + torch.diag_embed(1 - a)  # (N, W, W)
        mu = cond.double().reshape(n, *([1] * (x.dim() - 1)))
        centred = (x.double() - d.reshape(n, w, *([1] * (x.dim() - 2))) * mu).reshape(n, w, -1)
        eps = (1 - a).sqrt()[:, :, None] * torch.linalg.solve(cov, centred)
        return eps.reshape(x.shape).to(x.dtype)
    return denoise


def plain_sample(ddim: DDIMSampler, denoise: ClipDenoiser, noise: Tensor, condition: Tensor,
                 guidance_scale: float, null: Tensor | None, generator: torch.Generator | None = None) -> Tensor:
    """The short-clip sampler on a whole (B, W, ...) noise with one condition (...): the reference that
    co-denoising must reduce to."""
    cond = condition.expand(noise.shape[0], *condition.shape)
    return ddim.sample(lambda x, t: guided_eps(denoise, x, t, cond, guidance_scale, null), noise, generator)
