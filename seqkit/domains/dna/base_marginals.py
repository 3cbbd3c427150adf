"""Per-base marginals of a k-mer distribution: GENERator's single-nucleotide view of 6-mer predictions.

The next token is a k-mer; summing its probabilities over every k-mer with base b at offset j gives
p(base_j = b), for j = 0..k-1. The base-pair loss is the mean over j of −log p(true base_j), so a model
is not charged a whole k-mer's worth for one wrong base; variant scoring reads p(base_0) (the base right
after the context). Tokens are in GENERator's product("ATCG") order (the k-mer's first base is the
most significant digit), so each offset is one axis of a (4,)*k reshape.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["base_log_marginals", "base_marginal_nll"]

_ATCG_TO_ACGT = [0, 2, 3, 1]  # read the ATCG axis in A, C, G, T order


def base_log_marginals(kmer_log_probs: Tensor, k: int) -> Tensor:
    """(..., 4^k) log-probabilities of the k-mers → (..., k, 4) log p(base at offset j), bases A C G T."""
    lead = kmer_log_probs.shape[:-1]
    cube = kmer_log_probs.reshape(*lead, *([4] * k))  # (..., 4, 4, …, 4)
    axes = list(range(len(lead), len(lead) + k))
    out = []
    for j in range(k):
        others = [a for a in axes if a != len(lead) + j]
        out.append(torch.logsumexp(cube, dim=others) if others else cube)  # (..., 4) in ATCG order
    return torch.stack(out, dim=-2)[..., _ATCG_TO_ACGT]  # (..., k, 4)


def base_marginal_nll(kmer_log_probs: Tensor, target_bases: Tensor) -> Tensor:
    """Mean over offsets of −log p(true base): (..., 4^k) and (..., k) base indices → (...)."""
    k = target_bases.shape[-1]
    marginals = base_log_marginals(kmer_log_probs, k)  # (..., k, 4)
    return -marginals.gather(-1, target_bases[..., None])[..., 0].mean(-1)
