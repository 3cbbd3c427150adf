"""Block-local sliding-window attention with sinks: linear memory, no (L, L) mask.

The sequence is cut into blocks of ``window`` tokens. Query block i attends to key blocks i-1 and
i (and i+1 when not causal): together they hold every key within the window. The only sinks that
can fall outside that span belong to the segment of block i's first query (any segment starting
later lies inside the span), so each block gathers ``n_sinks`` extra keys from that segment's start.
Scores are masked per block, so cost and memory are O(L · window).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.kernels.segments import segment_runs, segment_start_index


def window_attention_blocked(q: Tensor, k: Tensor, v: Tensor, *, window: int, causal: bool = True,
                             segment_ids: Tensor | None = None, n_sinks: int = 0,
                             q_far: Tensor | None = None, k_far: Tensor | None = None) -> Tensor:
    """Same contract as ``window_attention_reference``; q, k, v: (B, L, H, d) → (B, L, H, d)."""
    # SDPA works head-major: (B, H, L, d) views of the inputs (no copy unless padding or reshaping needs one)
    q, k, v = (t.transpose(1, 2) for t in (q, k, v))
    if q_far is not None:
        q_far, k_far = q_far.transpose(1, 2), k_far.transpose(1, 2)
    b, h, length, d = q.shape
    W = window
    nb = -(-length // W)
    pad = nb * W - length
    dev = q.device
    # Runs are numbered from 1, so the fill values -1 (padding) and -2 (outside) never match a real token.
    seg = torch.ones(b, length, dtype=torch.long, device=dev) if segment_ids is None else segment_runs(segment_ids)
    starts = segment_start_index(seg)  # (B, L)
    if pad:
        q, k, v = (F.pad(t, (0, 0, 0, pad)) for t in (q, k, v))
        if q_far is not None:
            q_far, k_far = F.pad(q_far, (0, 0, 0, pad)), F.pad(k_far, (0, 0, 0, pad))
        # Padding tokens form their own segment, so no real query ever sees them.
        seg = torch.cat([seg, seg.new_full((b, pad), -1)], dim=1)
        starts = torch.cat([starts, starts.new_full((b, pad), length)], dim=1)

    qb = q.reshape(b, h, nb, W, d)
    kb, vb = k.reshape(b, h, nb, W, d), v.reshape(b, h, nb, W, d)
    segb = seg.view(b, nb, W)
    offsets = [-1, 0] if causal else [-1, 0, 1]
    k_loc = torch.cat([_shift_blocks(kb, o) for o in offsets], dim=3)  # (B, H, nb, nK, d)
    v_loc = torch.cat([_shift_blocks(vb, o) for o in offsets], dim=3)
    seg_k = torch.cat([_shift_blocks(segb, o, fill=-2) for o in offsets], dim=2)  # (B, nb, nK)

    q_idx = torch.arange(nb * W, device=dev).view(nb, W)  # (nb, W)
    k_idx = torch.cat([q_idx + o * W for o in offsets], dim=1)  # (nb, nK)
    dist = q_idx[:, :, None] - k_idx[:, None, :]  # (nb, W, nK)
    near = dist.abs() < W
    if causal:
        near = near & (dist >= 0)
    mask = near[None] & (segb[..., :, None] == seg_k[..., None, :])  # (B, nb, W, nK)

    if n_sinks:
        # Sinks of the segment that holds each block's first query; outside the window only.
        first_start = starts.view(b, nb, W)[:, :, 0]  # (B, nb)
        sink_idx = first_start[..., None] + torch.arange(n_sinks, device=dev)  # (B, nb, S)
        sink_idx = sink_idx.clamp(max=nb * W - 1)
        sink_seg = torch.gather(seg, 1, sink_idx.view(b, -1)).view(b, nb, n_sinks)
        in_segment = (sink_idx - first_start[..., None]) < n_sinks  # (B, nb, S)
        far = (q_idx[None, :, :, None] - sink_idx[:, :, None, :]) >= W  # (B, nb, W, S)
        sink_mask = far & (segb[..., :, None] == sink_seg[:, :, None, :]) & in_segment[:, :, None, :]
        k_src = k if k_far is None else k_far
        gather = sink_idx.view(b, 1, nb * n_sinks, 1).expand(b, h, nb * n_sinks, d)
        k_sink = torch.gather(k_src, 2, gather).view(b, h, nb, n_sinks, d)
        v_sink = torch.gather(v, 2, gather).view(b, h, nb, n_sinks, d)
        if q_far is not None:
            # Two score terms in one matmul: [q, q_far]·[k, 0] for local keys, ·[0, k_far] for sinks.
            qb = torch.cat([qb, q_far.reshape(b, h, nb, W, d)], dim=-1)  # (B, H, nb, W, 2d)
            k_loc = torch.cat([k_loc, torch.zeros_like(k_loc)], dim=-1)
            k_sink = torch.cat([torch.zeros_like(k_sink), k_sink], dim=-1)
        k_loc = torch.cat([k_loc, k_sink], dim=3)  # (B, H, nb, nK + S, d')
        v_loc = torch.cat([v_loc, v_sink], dim=3)
        mask = torch.cat([mask, sink_mask], dim=-1)

    o = F.scaled_dot_product_attention(qb, k_loc, v_loc, attn_mask=mask[:, None], scale=1.0 / math.sqrt(d))
    return o.reshape(b, h, nb * W, d)[:, :, :length].transpose(1, 2)  # (B, L, H, d)


def _shift_blocks(t: Tensor, offset: int, fill: float = 0) -> Tensor:
    """Block i of the result is block i+offset of ``t`` (block axis = dim -2 for (…, nb, W[, d]))."""
    block_dim = t.dim() - 3 if t.dtype.is_floating_point else t.dim() - 2
    if offset == 0:
        return t
    n = t.shape[block_dim]
    filler = torch.full_like(t.narrow(block_dim, 0, abs(offset)), fill)
    if offset < 0:
        return torch.cat([filler, t.narrow(block_dim, 0, n + offset)], dim=block_dim)
    return torch.cat([t.narrow(block_dim, offset, n - offset), filler], dim=block_dim)
