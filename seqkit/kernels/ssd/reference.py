"""Step-by-step recurrence of the Mamba-2 / SSD selective scan: the ground truth in tests.

h_t = exp(dt_t * A) h_t-1 + dt_t * x_t B_tᵀ ,   y_t = h_t C_t        (per head; A scalar per head)

O(L) Python steps: readable, slow, never used for training.
"""

from __future__ import annotations

import torch
from torch import Tensor


def ssd_scan_reference(x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor,
                       segment_ids: Tensor | None = None, initial_state: Tensor | None = None,
                       ) -> tuple[Tensor, Tensor]:
    """Sequential selective scan.

    Args:
        x (Tensor): inputs, (b, l, h, p).
        dt (Tensor): positive step sizes, (b, l, h).
        A (Tensor): negative decay rate per head, (h,).
        B (Tensor): input projections, (b, l, g, n); g groups shared by h/g heads each.
        C (Tensor): output projections, (b, l, g, n).
        segment_ids (Tensor, Optional): (b, l); the state is reset where the id changes.
        initial_state (Tensor, Optional): (b, h, p, n) state before the first token.

    Returns:
        y (b, l, h, p) and the final state (b, h, p, n).
    """
    b, length, h, p = x.shape
    g, n = B.shape[-2:]
    Bh = B.repeat_interleave(h // g, dim=2)  # (b, l, h, n)
    Ch = C.repeat_interleave(h // g, dim=2)
    state = x.new_zeros(b, h, p, n) if initial_state is None else initial_state
    ys = []
    for t in range(length):
        if segment_ids is not None and t > 0:
            keep = (segment_ids[:, t] == segment_ids[:, t - 1]).to(x.dtype)  # (b,)
            state = state * keep[:, None, None, None]
        decay = torch.exp(dt[:, t] * A)  # (b, h)
        inp = (dt[:, t, :, None] * x[:, t])[..., None] * Bh[:, t, :, None, :]  # (b, h, p, n)
        state = decay[:, :, None, None] * state + inp
        ys.append(torch.einsum("bhpn,bhn->bhp", state, Ch[:, t]))
    return torch.stack(ys, dim=1), state
