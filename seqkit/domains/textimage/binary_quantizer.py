"""Lookup-free binary quantisation: each token is K signs, so its index is a K-bit number and no codebook exists.

``lfq`` (MAGVIT-v2, Yu et al. 2023): q = sign(z) per channel. ``bsq`` (binary spherical quantisation, Zhao
et al. 2024): the token is first put on the unit sphere, u = z/‖z‖, and q = sign(u)/√K. Gradients pass
straight through (x + sg(q − x)). Two penalties keep the codes informative:

- commitment ‖x − sg(q)‖² (mean over tokens and bits), pulling the encoder towards its codes;
- entropy: mean per-token entropy of the soft code assignment minus the entropy of the batch's mean
  assignment. The soft assignment p(c|x) ∝ exp(2τ⟨x, c⟩) over the 2^K corner codes factorises into one
  Bernoulli per bit, so the per-token term is exact at any K; the batch term is the sum of the entropies of
  groups of ``entropy_group`` bits (an upper bound on the joint, as BSQ computes it), so memory stays at
  N·2^group rather than N·2^K.
"""

from __future__ import annotations

import math

import torch
from torch import nn

KINDS = ("lfq", "bsq")


def bits_to_indices(bits: torch.Tensor) -> torch.Tensor:
    """(..., K) bits in {0, 1}, most significant first → (...) int64 indices in [0, 2^K)."""
    k = bits.shape[-1]
    weights = 2 ** torch.arange(k - 1, -1, -1, device=bits.device, dtype=torch.int64)
    return (bits.to(torch.int64) * weights).sum(-1)


def indices_to_bits(indices: torch.Tensor, k: int) -> torch.Tensor:
    """(...) int64 indices → (..., K) bits in {0, 1}, most significant first."""
    shifts = torch.arange(k - 1, -1, -1, device=indices.device, dtype=torch.int64)
    return (indices.unsqueeze(-1) >> shifts) & 1


def _binary_entropy(p: torch.Tensor) -> torch.Tensor:
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(p * p.log() + (1 - p) * (1 - p).log())


class BinaryQuantizer(nn.Module):
    """Sign quantiser over the channel axis of (B, K, H, W) latents; K bits per token.

    ``forward`` returns the quantised latents (straight-through), the (B, H, W) token indices and a dict of
    losses (``commitment``, ``entropy``, each already weighted) and statistics (``bit_usage``)."""

    def __init__(self, bits: int = 13, kind: str = "lfq", commitment_weight: float = 0.25,
                 entropy_weight: float = 0.1, codebook_entropy_weight: float = 1.0,
                 inverse_temperature: float = 1.0, entropy_group: int = 9) -> None:
        super().__init__()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        if not 1 <= bits <= 62:
            raise ValueError(f"bits must be in 1..62, got {bits}")
        self.bits, self.kind = bits, kind
        self.commitment_weight, self.entropy_weight = commitment_weight, entropy_weight
        self.codebook_entropy_weight = codebook_entropy_weight
        self.inverse_temperature = inverse_temperature
        self.entropy_group = max(1, min(entropy_group, bits))
        self.code_scale = 1.0 / math.sqrt(bits) if kind == "bsq" else 1.0

    @property
    def codebook_size(self) -> int:
        return 2 ** self.bits

    def _prepare(self, z: torch.Tensor) -> torch.Tensor:
        return nn.functional.normalize(z, dim=-1) if self.kind == "bsq" else z

    def codes_from_indices(self, indices: torch.Tensor) -> torch.Tensor:
        """(B, H, W) indices → (B, K, H, W) quantised latents the decoder takes."""
        signs = indices_to_bits(indices, self.bits).float() * 2 - 1  # (B, H, W, K)
        return (signs * self.code_scale).permute(0, 3, 1, 2).contiguous()

    def entropy_terms(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-token entropy (mean) and batch codebook entropy (sum over bit groups) of (N, K) prepared latents."""
        # p(bit = 1 | x): softmax of 2τ⟨x, c⟩ over the two signs of a bit, codes at ±code_scale
        p_one = torch.sigmoid(4 * self.inverse_temperature * self.code_scale * x)  # (N, K)
        per_token = _binary_entropy(p_one).sum(-1).mean()
        codebook = x.new_zeros(())
        for start in range(0, self.bits, self.entropy_group):
            group = p_one[:, start:start + self.entropy_group]  # (N, g)
            g = group.shape[1]
            corners = indices_to_bits(torch.arange(2 ** g, device=x.device), g).to(x.dtype)  # (2^g, g)
            # log p(c | x) = Σ_i [c_i log p_i + (1 − c_i) log(1 − p_i)], (N, 2^g)
            log_p = group.clamp_min(1e-7).log() @ corners.T + (1 - group).clamp_min(1e-7).log() @ (1 - corners).T
            mean = log_p.exp().mean(0)  # (2^g,)
            codebook = codebook - (mean * mean.clamp_min(1e-12).log()).sum()
        return per_token, codebook

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        b, k, h, w = z.shape
        if k != self.bits:
            raise ValueError(f"latents have {k} channels, the quantiser expects {self.bits} bits")
        x = self._prepare(z.permute(0, 2, 3, 1).reshape(-1, k))  # (N, K)
        bits = x > 0
        q = (bits.to(x.dtype) * 2 - 1) * self.code_scale
        quantised = x + (q - x).detach()
        losses: dict[str, torch.Tensor] = {}
        if torch.is_grad_enabled():
            losses["commitment"] = self.commitment_weight * (x - q.detach()).pow(2).mean()
            per_token, codebook = self.entropy_terms(x)
            losses["entropy"] = self.entropy_weight * (per_token - self.codebook_entropy_weight * codebook)
        losses["bit_usage"] = bits.float().mean(0).sub(0.5).abs().mean().detach()  # 0 when each bit is balanced
        indices = bits_to_indices(bits).view(b, h, w)
        return quantised.view(b, h, w, k).permute(0, 3, 1, 2), indices, losses
