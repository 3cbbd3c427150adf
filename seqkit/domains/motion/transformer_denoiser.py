"""The MLD-like baseline denoiser (Chen et al. 2023): a skip transformer over [step, text, motion tokens].

MLD's denoiser is a transformer with long skips: N input layers, a middle layer and N output layers, each
output layer reading its mirror input layer's output concatenated to its own input through a Linear. Same
interface as ``MotionMambaDenoiser``, so the two are trained and sampled by the same code and differ only in
their blocks; ``ff_ratio`` sizes it to the Motion Mamba denoiser it is compared with.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqkit.backbone import Block
from seqkit.domains.motion.token_denoiser import TokenDenoiser


class SkipTransformerDenoiser(TokenDenoiser):
    """ε̂(x_t, t, text) over motion tokens (B, L, d_in) with full bidirectional attention."""

    def __init__(self, d_in: int = 256, d_model: int = 256, n_blocks: int = 4, text_dim: int = 256,
                 n_tokens: int | None = 2, n_heads: int = 4, ff_ratio: float = 4.0, dropout: float = 0.0) -> None:
        super().__init__(d_in, d_model, text_dim, n_tokens)
        options = {"attention": {"n_heads": n_heads}}

        def block() -> Block:
            return Block(d_model, "attention", options["attention"], mlp_ratio=ff_ratio, dropout=dropout)

        self.encoder = nn.ModuleList(block() for _ in range(n_blocks))
        self.middle = block()
        self.skips = nn.ModuleList(nn.Linear(2 * d_model, d_model) for _ in range(n_blocks))
        self.decoder = nn.ModuleList(block() for _ in range(n_blocks))

    def forward(self, x: Tensor, t: Tensor, text: Tensor, padding: Tensor | None = None) -> Tensor:
        """x (B, L, d_in), t (B,), text (B, text_dim), padding (B, L) bool → ε̂ (B, L, d_in)."""
        h, segment_ids = self.tokens(x, t, text, padding)  # (B, 2 + L, d_model)
        skips = []
        for block in self.encoder:
            h = block(h, segment_ids=segment_ids, causal=False)
            skips.append(h)
        h = self.middle(h, segment_ids=segment_ids, causal=False)
        for block, skip, merge in zip(self.decoder, reversed(skips), self.skips, strict=True):
            h = block(merge(torch.cat([h, skip], dim=-1)), segment_ids=segment_ids, causal=False)
        return self.head(h)  # (B, L, d_in)
