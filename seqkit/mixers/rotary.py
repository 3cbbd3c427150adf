"""Rotary position embedding (RoPE) with the two length-extrapolation options of the literature.

- ``scale`` > 1: linear position interpolation (Chen et al. 2023) — positions are divided by
  ``scale`` so a model trained on length T runs at ``scale * T`` without unseen angles.
- ``truncate``: the truncated basis of Pal et al. 2023 ("Giraffe"): frequencies at or above
  ``b`` are kept, those at or below ``a`` are set to 0 (no rotation), those in between are set to
  the constant ``rho``, so low frequencies never reach angles not seen in training.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class Rotary(nn.Module):
    """Rotates the first ``dim`` features of (…, L, head_dim) tensors by position-dependent angles."""

    def __init__(self, dim: int, base: float = 10000.0, scale: float = 1.0,
                 truncate: tuple[float, float, float] | None = None) -> None:
        super().__init__()
        if dim % 2:
            raise ValueError(f"Rotary: head dimension must be even, got dim={dim}")
        if scale <= 0:
            raise ValueError(f"Rotary: rope_scale must be > 0, got {scale}")
        freqs = base ** (-torch.arange(0, dim, 2, dtype=torch.float64) / dim)  # (dim/2,)
        if truncate is not None:
            a, b, rho = truncate
            if not 0 <= a < b:
                raise ValueError(f"Rotary: rope_truncate=(a, b, rho) needs 0 <= a < b, got {truncate}")
            freqs = torch.where(freqs >= b, freqs, torch.where(freqs > a, torch.full_like(freqs, rho),
                                                               torch.zeros_like(freqs)))
        self.dim = dim
        self.scale = scale
        # Kept as a plain float64 tensor, not a buffer: casting the module to bf16 must not round them.
        self.freqs = freqs

    def angles(self, positions: Tensor) -> tuple[Tensor, Tensor]:
        """cos and sin of shape (*positions.shape, dim/2) for integer or float positions."""
        # float64 angles: exact at positions far beyond float32's integer precision.
        theta = (positions.to(torch.float64) / self.scale).unsqueeze(-1) * self.freqs.to(positions.device)
        return theta.cos(), theta.sin()  # (..., dim/2)

    def rotate(self, x: Tensor, positions: Tensor, *, heads_after_length: bool = False) -> Tensor:
        """Rotate x (B, H, L, d), or (B, L, H, d) with ``heads_after_length``, at positions (B, L) or (L,);
        pairs are (x[2i], x[2i+1])."""
        cos, sin = self.angles(positions)
        compute = torch.promote_types(x.dtype, torch.float32)
        cos, sin = cos.to(compute), sin.to(compute)
        if heads_after_length:  # (…, L, d/2) -> (…, L, 1, d/2), broadcast over heads
            cos, sin = cos.unsqueeze(-2), sin.unsqueeze(-2)
        elif cos.dim() == 3:  # (B, L, d/2) -> (B, 1, L, d/2), broadcast over heads
            cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        x1, x2 = x[..., 0::2], x[..., 1::2]
        out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)  # (..., d/2, 2)
        return out.flatten(-2).to(x.dtype)

