"""Chunked SSD scan in plain PyTorch: the vectorized CPU path of the Mamba-2 selective scan.

Because A is a scalar per head, the scan inside a chunk of T tokens is a masked matmul
(C Bᵀ ∘ decay) X, and chunks talk only through a (p, n) state per head. Work is
O(L T (n + p)) in matmuls plus a loop over L/T chunks (never over L). Segment ids reset the
state exactly like Mamba-2's ``seq_idx``: decay terms between tokens of different segments are
zeroed, so packed sequences never see each other.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.kernels.segments import segment_runs


def ssd_scan_chunked(x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor, *, chunk_size: int = 64,
                     segment_ids: Tensor | None = None, initial_state: Tensor | None = None,
                     ) -> tuple[Tensor, Tensor]:
    """Chunked selective scan; same arguments and results as ``ssd_scan_reference``."""
    b, length, h, p = x.shape
    g, n = B.shape[-2:]
    T = chunk_size
    pad = (-length) % T
    if segment_ids is None:
        segment_ids = torch.zeros(b, length, dtype=torch.long, device=x.device)
    else:
        segment_ids = segment_runs(segment_ids)  # an id that comes back later is a new segment
    if pad:
        # dt = 0 on padding: no decay and no input, so the final state is unchanged.
        x = F.pad(x, (0, 0, 0, 0, 0, pad))
        dt = F.pad(dt, (0, 0, 0, pad))
        B = F.pad(B, (0, 0, 0, 0, 0, pad))
        C = F.pad(C, (0, 0, 0, 0, 0, pad))
        segment_ids = torch.cat([segment_ids, segment_ids[:, -1:].expand(b, pad)], dim=1)
    c = x.shape[1] // T
    x = x.reshape(b, c, T, h, p)
    dt = dt.reshape(b, c, T, h)
    B = B.reshape(b, c, T, g, n)
    C = C.reshape(b, c, T, g, n)
    seg = segment_ids.reshape(b, c, T)

    r = h // g  # heads per group share B and C: heads are split (g, r) and B, C broadcast over r
    a_cum = torch.cumsum(dt * A, dim=2)  # (b, c, T, h) log-decay from chunk start
    xdt = (x * dt[..., None]).view(b, c, T, g, r, p)  # (b, c, T, g, r, p)

    # Intra-chunk: y_i = Σ_{j<=i, same segment} (C_i·B_j) exp(a_i - a_j) dt_j x_j.
    same = seg[:, :, :, None] == seg[:, :, None, :]  # (b, c, T, T)
    causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
    visible = (same & causal)[:, :, None, None]  # (b, c, 1, 1, T, T)
    a_h = a_cum.permute(0, 1, 3, 2).reshape(b, c, g, r, T)  # (b, c, g, r, T)
    log_decay = (a_h[..., :, None] - a_h[..., None, :]).masked_fill(~visible, float("-inf"))
    cb = torch.einsum("bcign,bcjgn->bcgij", C, B)  # (b, c, g, T, T)
    # decays in float32 log space (A is a float32 parameter), applied in the inputs' dtype
    scores = cb[:, :, :, None] * torch.exp(log_decay).to(cb.dtype)  # (b, c, g, r, T, T)
    y = torch.einsum("bcgrij,bcjgrp->bcigrp", scores, xdt)  # (b, c, T, g, r, p)

    # Chunk states: contribution of each chunk to the state at its own end.
    last_seg = seg[:, :, -1:]  # (b, c, 1)
    to_end = (torch.exp(a_cum[:, :, -1:, :] - a_cum) * (seg == last_seg)[..., None]).to(x.dtype)  # (b, c, T, h)
    weighted = xdt * to_end.view(b, c, T, g, r, 1)  # (b, c, T, g, r, p)
    chunk_states = torch.einsum("bcjgn,bcjgrp->bcgrpn", B, weighted).reshape(b, c, h, p, n)

    # State passing across chunks: a loop over L/T chunks, each a (b, h, p, n) update.
    prev_last = torch.cat([seg[:, :1, 0], seg[:, :-1, -1]], dim=1)  # (b, c) segment before each chunk
    carries = ((seg[:, :, -1] == prev_last)[..., None] * torch.exp(a_cum[:, :, -1, :])).to(x.dtype)  # (b, c, h)
    state = x.new_zeros(b, h, p, n) if initial_state is None else initial_state.to(x.dtype)
    # unbind, not [:, ci]: indexing inside the loop would make backward O(c²) (a full-size gradient per step).
    incoming = []
    for carry, chunk_state in zip(carries.unbind(1), chunk_states.unbind(1), strict=True):
        incoming.append(state)
        state = carry[:, :, None, None] * state + chunk_state
    incoming = torch.stack(incoming, dim=1).view(b, c, g, r, p, n)

    # Contribution of the incoming state to each token, while still in the incoming segment.
    from_start = (torch.exp(a_cum) * (seg == prev_last[..., None])[..., None]).to(x.dtype)  # (b, c, T, h)
    y = y + torch.einsum("bcign,bcgrpn->bcigrp", C, incoming) * from_start.view(b, c, T, g, r, 1)
    y = y.reshape(b, c * T, h, p)[:, :length]
    return y, state
