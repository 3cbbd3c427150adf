"""The baseline: a learned codebook of 2^K vectors, so a token carries the same K bits as a binary token.

Codes and encoder outputs are compared after l2 normalisation (cosine similarity, as ViT-VQGAN found
better-used than raw distances) in the same K-dimensional latent the binary quantiser signs, so the two
tokenizers differ only in the quantiser. The codebook is trained by its own loss ‖sg(x) − e‖², the encoder
by commitment β‖x − sg(e)‖², gradients pass straight through. Nearest codes are found in blocks of tokens so
memory is block × 2^K, not N × 2^K (2^18 codes would not fit otherwise).
"""

from __future__ import annotations

import torch
from torch import nn


class VectorQuantizer(nn.Module):
    """Nearest-code quantiser over the channel axis of (B, D, H, W) latents with ``codebook_size`` codes.

    ``forward`` returns the quantised latents (straight-through), the (B, H, W) indices and a dict of weighted
    losses (``codebook``, ``commitment``) and statistics (``perplexity`` of the batch's code histogram)."""

    def __init__(self, bits: int = 13, dim: int | None = None, commitment_weight: float = 0.25,
                 codebook_weight: float = 1.0, block: int = 4096) -> None:
        super().__init__()
        self.bits = bits
        self.dim = dim or bits
        self.commitment_weight, self.codebook_weight, self.block = commitment_weight, codebook_weight, block
        self.codebook = nn.Parameter(torch.randn(2 ** bits, self.dim))

    @property
    def codebook_size(self) -> int:
        return 2 ** self.bits

    def normalised_codebook(self) -> torch.Tensor:
        return nn.functional.normalize(self.codebook, dim=-1)

    def nearest(self, x: torch.Tensor) -> torch.Tensor:
        """(N, D) unit vectors → (N,) index of the most similar unit code, block by block."""
        codes = self.normalised_codebook().detach()
        out = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
        for start in range(0, x.shape[0], self.block):
            out[start:start + self.block] = (x[start:start + self.block].detach() @ codes.T).argmax(-1)
        return out

    def codes_from_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """(B, H, W) indices → (B, D, H, W) quantised latents the decoder takes."""
        return self.normalised_codebook()[indices].permute(0, 3, 1, 2).contiguous()

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        b, d, h, w = z.shape
        if d != self.dim:
            raise ValueError(f"latents have {d} channels, the codebook's vectors have {self.dim}")
        x = nn.functional.normalize(z.permute(0, 2, 3, 1).reshape(-1, d), dim=-1)  # (N, D)
        indices = self.nearest(x)
        e = self.normalised_codebook()[indices]  # (N, D)
        losses: dict[str, torch.Tensor] = {}
        if torch.is_grad_enabled():
            losses["codebook"] = self.codebook_weight * (x.detach() - e).pow(2).mean()
            losses["commitment"] = self.commitment_weight * (x - e.detach()).pow(2).mean()
        counts = torch.bincount(indices, minlength=self.codebook_size).float()
        p = counts / counts.sum()
        losses["perplexity"] = torch.exp(-(p * p.clamp_min(1e-12).log()).sum()).detach()
        quantised = x + (e - x).detach()
        return quantised.view(b, h, w, d).permute(0, 3, 1, 2), indices.view(b, h, w), losses
