"""What both motion denoisers share: conditioning tokens before the motion tokens, padding kept apart, the head.

The diffusion step and the caption become one token each, put before the motion tokens (as MLD's denoiser
does) so that every block can read them; padded frames form a segment of their own, which no real token reads;
the output layer starts at zero, so an untrained denoiser predicts no noise.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqkit.diffusion.timestep_embedding import TimestepEmbedding


def padding_segments(n_prefix: int, padding: Tensor | None, batch: int, device: torch.device) -> Tensor | None:
    """Segment ids (B, n_prefix + L): 0 for the prefix tokens and real frames, 1 for padded frames."""
    if padding is None:
        return None
    return torch.cat([torch.zeros(batch, n_prefix, dtype=torch.long, device=device), padding.long()], dim=1)


class TokenDenoiser(nn.Module):
    """Base of ``MotionMambaDenoiser`` and ``SkipTransformerDenoiser``: ``tokens`` in, ``head`` out."""

    n_cond = 2  # diffusion-step token, text token

    def __init__(self, d_in: int, d_model: int, text_dim: int, n_tokens: int | None) -> None:
        super().__init__()
        self.n_tokens = n_tokens
        self.input = nn.Linear(d_in, d_model)
        self.time = TimestepEmbedding(d_model)
        self.text = nn.Linear(text_dim, d_model)
        self.norm = nn.LayerNorm(d_model)
        self.output = nn.Linear(d_model, d_in)
        nn.init.zeros_(self.output.weight)
        nn.init.zeros_(self.output.bias)

    def tokens(self, x: Tensor, t: Tensor, text: Tensor, padding: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """[step, text, motion tokens] (B, 2 + L, d_model) and their segment ids (None without padding)."""
        b, length, _ = x.shape
        if self.n_tokens and length != self.n_tokens:
            raise ValueError(f"this denoiser was built for {self.n_tokens} motion tokens, got {length}")
        cond = torch.stack([self.time(t), self.text(text)], dim=1)  # (B, 2, d_model)
        return torch.cat([cond, self.input(x)], dim=1), padding_segments(self.n_cond, padding, b, x.device)

    def head(self, h: Tensor) -> Tensor:
        """The motion tokens' outputs (B, 2 + L, d_model) → ε̂ (B, L, d_in)."""
        return self.output(self.norm(h[:, self.n_cond:]))
