"""Per-base marginals of a k-mer distribution: GENERator's single-nucleotide view of 6-mer predictions.

The next token is a k-mer; summing its probabilities over every k-mer with base b at offset j gives
p(base_j = b), for j = 0..k-1. The base-pair loss is the mean over j of −log p(true base_j), so a model
is not charged a whole k-mer's worth for one wrong base; variant scoring reads p(base_0) (the base right
after the context). Tokens are in GENERator's product("ATCG") order (the k-mer's first base is the
most significant digit).
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

__all__ = ["base_log_marginals", "base_marginal_nll"]

@functools.lru_cache(maxsize=8)
def _offset_base_indicator(k: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    """(4^k, k·4) one-hot: column j·4 + b is 1 for the k-mers with base b (A C G T) at offset j."""
    digits = torch.arange(4**k, device=device)[:, None] // 4 ** torch.arange(k - 1, -1, -1, device=device) % 4
    acgt = torch.tensor([0, 3, 1, 2], device=device)[digits]  # ATCG digit → position in ACGT, (4^k, k)
    columns = acgt + 4 * torch.arange(k, device=device)  # (4^k, k)
    return torch.zeros(4**k, 4 * k, device=device, dtype=dtype).scatter_(1, columns, 1.0)


def base_log_marginals(kmer_log_probs: Tensor, k: int) -> Tensor:
    """(..., 4^k) log-probabilities of the k-mers → (..., k, 4) log p(base at offset j), bases A C G T.

    One (4^k × 4k) matmul in probability space (marginals are sums of positive terms, so no cancellation;
    a floor at the smallest normal float keeps the log finite)."""
    indicator = _offset_base_indicator(k, kmer_log_probs.device, kmer_log_probs.dtype)
    marginals = kmer_log_probs.exp() @ indicator  # (..., k·4)
    tiny = torch.finfo(marginals.dtype).tiny
    return marginals.clamp_min(tiny).log().unflatten(-1, (k, 4))


def base_marginal_nll(kmer_log_probs: Tensor, target_bases: Tensor) -> Tensor:
    """Mean over offsets of −log p(true base): (..., 4^k) and (..., k) base indices → (...)."""
    k = target_bases.shape[-1]
    marginals = base_log_marginals(kmer_log_probs, k)  # (..., k, 4)
    return -marginals.gather(-1, target_bases[..., None])[..., 0].mean(-1)
