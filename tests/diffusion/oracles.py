"""Exact ε-predictors with known answers, for testing samplers without a trained model.

``ar1_oracle``: frames of a clip are a Gaussian AR(1) process per pixel, x_0 ~ N(μ·1, Σ) with Σ_ij = ρ^|i−j| and
μ the condition; E[ε | x_t] = S^½ (D Σ D + S)⁻¹ (x_t − D μ) with D = diag √ᾱ, S = diag(1 − ᾱ), one level per
clip (t (N,)) or per frame (t (N, W)). ρ = 0 makes frames independent: a denoiser blind to window boundaries.
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqkit.diffusion import NoiseSchedule


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


def seam_ratio(x: Tensor, window: int) -> float:
    """Mean squared frame-to-frame change across the boundaries of disjoint clips of ``window`` frames over the
    mean squared change inside them; x (B, L, ...)."""
    jumps = (x[:, 1:] - x[:, :-1]).pow(2).flatten(2).mean(dim=(0, 2))  # (L-1,) change from frame f to f+1
    at_seam = torch.zeros_like(jumps, dtype=torch.bool)
    at_seam[window - 1::window] = True
    return float(jumps[at_seam].mean() / jumps[~at_seam].mean())
