"""Per-base marginals of a k-mer distribution: GENERator's single-nucleotide view of 6-mer predictions.

The next token is a k-mer; summing its probabilities over every k-mer with base b at offset j gives
p(base_j = b), for j = 0..k-1. The base-pair loss is the mean over j of −log p(true base_j), so a model
is not charged a whole k-mer's worth for one wrong base; variant scoring reads p(base_0) (the base right
after the context).
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["base_log_marginals", "base_marginal_nll"]


def base_log_marginals(kmer_log_probs: Tensor, token_bases: Tensor) -> Tensor:
    """(..., 4^k) log-probabilities of the base tokens → (..., k, 4) log p(base at offset j), bases A C G T.

    ``token_bases`` (4^k, k) gives each base token's bases as indices into ACGT (the tokenizer's
    ``token_bases()``, which knows its own token order). One (4^k × 4k) matmul in probability space:
    marginals are sums of positive terms, so nothing cancels; a floor at the smallest normal float keeps
    the log finite."""
    n_tokens, k = token_bases.shape
    columns = token_bases.to(kmer_log_probs.device) + 4 * torch.arange(k, device=kmer_log_probs.device)
    indicator = torch.zeros(n_tokens, 4 * k, device=kmer_log_probs.device, dtype=kmer_log_probs.dtype)
    indicator.scatter_(1, columns, 1.0)  # column j·4 + b is 1 for the tokens with base b at offset j
    marginals = kmer_log_probs.exp() @ indicator  # (..., k·4)
    tiny = torch.finfo(marginals.dtype).tiny
    return marginals.clamp_min(tiny).log().unflatten(-1, (k, 4))


def base_marginal_nll(kmer_log_probs: Tensor, target_bases: Tensor, token_bases: Tensor) -> Tensor:
    """Mean over offsets of −log p(true base): (..., 4^k) and (..., k) base indices → (...)."""
    marginals = base_log_marginals(kmer_log_probs, token_bases)  # (..., k, 4)
    return -marginals.gather(-1, target_bases[..., None])[..., 0].mean(-1)
