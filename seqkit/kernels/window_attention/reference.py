"""Dense O(L²) reference of sliding-window attention with global sink tokens (the Λ-mask).

Query i sees key j of its own segment when |i - j| < window (and j <= i if causal): the local
branch. It also sees the first ``n_sinks`` tokens of its segment (the global branch); a sink
outside the window is scored with (q_far_i · k_far_j) instead of (q_i · k_j), so the caller can
apply LM-Infinite's distance cap by rotating q_far / k_far at capped positions.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from seqkit.kernels.segments import in_segment_index, segment_runs


def window_attention_reference(q: Tensor, k: Tensor, v: Tensor, *, window: int, causal: bool = True,
                               segment_ids: Tensor | None = None, n_sinks: int = 0,
                               q_far: Tensor | None = None, k_far: Tensor | None = None) -> Tensor:
    """q, k, v: (B, L, H, d) → (B, L, H, d), building the full (L, L) score matrix per head.

    ``segment_ids`` (B, L): a new segment starts where the id changes; no query sees another segment. ``q_far``,
    ``k_far`` (B, L, H, d): the scores of sinks outside the window (both or neither).
    """
    b, length, _, d = q.shape
    i = torch.arange(length, device=q.device)
    dist = i[:, None] - i[None, :]  # (L, L) query index minus key index
    local = dist.abs() < window
    if causal:
        local = local & (dist >= 0)
    if segment_ids is None:
        same = torch.ones(b, length, length, dtype=torch.bool, device=q.device)
    else:
        runs = segment_runs(segment_ids)
        same = runs[:, :, None] == runs[:, None, :]  # (B, L, L)
    pos = in_segment_index(segment_ids, b, length, q.device)  # (B, L)
    far_sink = (pos[:, None, :] < n_sinks) & ~local & (dist >= 0)  # (B, L, L)
    scale = 1.0 / math.sqrt(d)
    scores = torch.einsum("bihd,bjhd->bhij", q, k) * scale  # (B, H, L, L)
    if n_sinks and q_far is not None:
        far_scores = torch.einsum("bihd,bjhd->bhij", q_far, k_far) * scale
        scores = torch.where(far_sink[:, None], far_scores, scores)
    allowed = (local[None] | far_sink) & same  # (B, L, L)
    scores = scores.masked_fill(~allowed[:, None], float("-inf"))
    return torch.einsum("bhij,bjhd->bihd", torch.softmax(scores, dim=-1), v)  # (B, L, H, d)
