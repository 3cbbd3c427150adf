"""The diffusion step as a vector: sinusoidal features of t (as in DDPM / the Transformer) through an MLP."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def sinusoidal_features(t: Tensor, dim: int, max_period: float = 10000.0) -> Tensor:
    """(B,) steps → (B, dim): cos and sin of t at geometrically spaced frequencies."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    angles = t.float()[:, None] * freqs[None]  # (B, half)
    out = torch.cat([torch.cos(angles), torch.sin(angles)], dim=-1)
    return torch.nn.functional.pad(out, (0, dim - 2 * half))


class TimestepEmbedding(nn.Module):
    """t (B,) → (B, dim)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.mlp = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, t: Tensor) -> Tensor:
        return self.mlp(sinusoidal_features(t, self.dim).to(self.mlp[0].weight.dtype))
