"""The short-clip video denoiser: a factorised space-time DiT over pixel patches.

ε̂(x_t, t, c) for clips x (N, F, 3, H, W). Each frame is cut into p×p patches (tokens (N, F, P, D)); every
block mixes tokens within a frame (spatial self-attention), then across frames at each patch position (the
temporal mixer, any seqkit mixer run non-causally: ``attention`` with RoPE over frame index, or the
bidirectional ``mamba2``), then applies an MLP; each step is modulated by adaLN-Zero (DiT, Peebles & Xie 2023)
from the sum of the diffusion-step embedding and the condition embedding. The step may differ per frame
(t (N, F)), which FIFO-Diffusion's diagonal denoising needs; frame positions are clip-relative, so every
window of a long video looks like a training clip to the model.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from seqkit.diffusion.timestep_embedding import TimestepEmbedding
from seqkit.mixers import build_mixer


def _modulate(x: Tensor, shift: Tensor, scale: Tensor) -> Tensor:
    return x * (1 + scale) + shift


class SpaceTimeBlock(nn.Module):
    """Spatial attention, temporal mixer and MLP, each behind adaLN-Zero modulation by a per-frame vector."""

    def __init__(self, d_model: int, n_heads: int, temporal_mixer: str, temporal_options: dict[str, Any],
                 mlp_ratio: float) -> None:
        super().__init__()
        self.spatial = build_mixer("attention", d_model, n_heads=n_heads)
        self.temporal = build_mixer(temporal_mixer, d_model, **temporal_options)
        self.norms = nn.ModuleList(nn.LayerNorm(d_model, elementwise_affine=False, eps=1e-6) for _ in range(3))
        hidden = int(d_model * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(approximate="tanh"), nn.Linear(hidden, d_model))
        self.modulation = nn.Sequential(nn.SiLU(), nn.Linear(d_model, 9 * d_model))
        nn.init.zeros_(self.modulation[1].weight)
        nn.init.zeros_(self.modulation[1].bias)

    def forward(self, h: Tensor, c: Tensor) -> Tensor:
        """h (N, F, P, D) tokens, c (N, F, D) per-frame conditioning."""
        n, f, p, d = h.shape
        mods = self.modulation(c)[:, :, None].chunk(9, dim=-1)  # 9 × (N, F, 1, D)
        x = _modulate(self.norms[0](h), mods[0], mods[1])
        h = h + mods[2] * self.spatial(x.reshape(n * f, p, d), causal=False).reshape(n, f, p, d)
        x = _modulate(self.norms[1](h), mods[3], mods[4])
        x = x.permute(0, 2, 1, 3).reshape(n * p, f, d)  # (N·P, F, D): each patch position over time
        mixed = self.temporal(x, causal=False).reshape(n, p, f, d).permute(0, 2, 1, 3)
        h = h + mods[5] * mixed
        x = _modulate(self.norms[2](h), mods[6], mods[7])
        return h + mods[8] * self.mlp(x)


class SpaceTimeDenoiser(nn.Module):
    """ε̂ (N, F, C, H, W) of clips x_t (N, F, C, H, W) at steps t (N,) or (N, F) under conditions (N, cond_dim)."""

    def __init__(self, image_size: int = 32, channels: int = 3, patch: int = 4, d_model: int = 128, depth: int = 4,
                 n_heads: int = 4, temporal_mixer: str = "attention", temporal_options: dict[str, Any] | None = None,
                 cond_dim: int = 128, mlp_ratio: float = 4.0) -> None:
        super().__init__()
        if image_size % patch:
            raise ValueError(f"image_size {image_size} is not a multiple of the patch size {patch}")
        options = dict(temporal_options or {})
        if temporal_mixer == "attention":
            options.setdefault("n_heads", n_heads)
        if temporal_mixer == "mamba2":
            options.setdefault("bidirectional", True)
        self.image_size, self.channels, self.patch = image_size, channels, patch
        self.grid = image_size // patch
        self.patch_in = nn.Linear(channels * patch * patch, d_model)
        self.spatial_position = nn.Parameter(torch.randn(1, 1, self.grid * self.grid, d_model) * 0.02)
        self.step_embedding = TimestepEmbedding(d_model)
        self.cond_in = nn.Linear(cond_dim, d_model)
        self.blocks = nn.ModuleList(SpaceTimeBlock(d_model, n_heads, temporal_mixer, options, mlp_ratio)
                                    for _ in range(depth))
        self.final_norm = nn.LayerNorm(d_model, elementwise_affine=False, eps=1e-6)
        self.final_modulation = nn.Sequential(nn.SiLU(), nn.Linear(d_model, 2 * d_model))
        self.patch_out = nn.Linear(d_model, channels * patch * patch)
        for layer in (self.final_modulation[1], self.patch_out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def patchify(self, x: Tensor) -> Tensor:
        """(N, F, C, H, W) → (N, F, P, C·p·p)."""
        n, f, c, _, _ = x.shape
        g, p = self.grid, self.patch
        x = x.reshape(n, f, c, g, p, g, p).permute(0, 1, 3, 5, 2, 4, 6)
        return x.reshape(n, f, g * g, c * p * p)

    def unpatchify(self, tokens: Tensor) -> Tensor:
        """(N, F, P, C·p·p) → (N, F, C, H, W)."""
        n, f = tokens.shape[:2]
        g, p, c = self.grid, self.patch, self.channels
        x = tokens.reshape(n, f, g, g, c, p, p).permute(0, 1, 4, 2, 5, 3, 6)
        return x.reshape(n, f, c, g * p, g * p)

    def forward(self, x: Tensor, t: Tensor, cond: Tensor) -> Tensor:
        n, f = x.shape[:2]
        if x.shape[2:] != (self.channels, self.image_size, self.image_size):
            raise ValueError(f"expected clips (N, F, {self.channels}, {self.image_size}, {self.image_size}), "
                             f"got {tuple(x.shape)}")
        steps = t if t.dim() == 2 else t[:, None].expand(n, f)
        c = self.step_embedding(steps.reshape(-1)).reshape(n, f, -1) + self.cond_in(cond)[:, None]  # (N, F, D)
        h = self.patch_in(self.patchify(x)) + self.spatial_position  # (N, F, P, D)
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.final_modulation(c)[:, :, None].chunk(2, dim=-1)
        return self.unpatchify(self.patch_out(_modulate(self.final_norm(h), shift, scale)))
