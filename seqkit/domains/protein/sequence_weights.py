"""Sequence weights and identity for MSA rows, vectorized as one-hot matrix products.

Weight of row i = 1 / #{j : d(i, j) <= theta}, where d is the Hamming distance over the columns where
row i has a residue, divided by that count (PoET's neighbour sampler, theta = 0.2; j = i counts, so the
weight is at most 1). It down-weights the many near-copies deep MSAs hold. Identity to the query is
the fraction of all columns that match row 0, gap against gap included (PoET's prompt filter).
"""

from __future__ import annotations

import numpy as np
import torch

from seqkit.domains.protein.alphabet import GAP


def _residue_one_hot(tokens: np.ndarray) -> torch.Tensor:
    """(N, L) tokens → (N, L·20) float one-hot of the residues; gap and mask columns are all zero."""
    t = torch.from_numpy(tokens.astype(np.int64)).clamp(max=GAP)  # (N, L); mask/unknown fold onto the gap
    hot = torch.zeros(*t.shape, GAP + 1)
    hot.scatter_(-1, t.unsqueeze(-1), 1.0)
    return hot[..., :GAP].reshape(t.shape[0], -1)


def sequence_weights(tokens: np.ndarray, theta: float = 0.2, block: int = 1024) -> np.ndarray:
    """(N,) weights of aligned rows ``tokens`` (N, L); blocks of ``block`` rows bound the (block, N) matrices.

    ``same[i, j]`` (columns where both rows hold the same residue) is one product of residue one-hots; the
    distance of j from i is ``1 - same / n_residues(i)``.
    """
    hot = _residue_one_hot(tokens)  # (N, L·20)
    n_residues = hot.sum(dim=1).clamp(min=1)  # (N,) non-gap columns of each row
    counts = np.empty(len(tokens), dtype=np.float64)
    for start in range(0, len(tokens), block):
        same = hot[start : start + block] @ hot.T  # (b, N)
        distance = 1.0 - same / n_residues[start : start + block].unsqueeze(1)
        counts[start : start + block] = (distance <= theta + 1e-6).sum(dim=1).numpy()
    return 1.0 / counts


def identity_to_query(tokens: np.ndarray) -> np.ndarray:
    """(N,) fraction of columns equal to row 0 (gap = gap counts as a match)."""
    return (tokens == tokens[0:1]).mean(axis=1)
