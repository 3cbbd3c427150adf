"""Step-by-step recurrence of the Mamba-2 / SSD selective scan: the ground truth in tests.

``ssd_step`` applied to every token in turn (the same step the Mamba-2 mixer decodes with), with the state
zeroed where a new segment starts. O(L) Python steps: readable, slow, never used for training.
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqkit.kernels.ssd.step import ssd_step


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
    # unbind (not x[:, t]) so autograd's backward stays O(L): slicing would add a full-size gradient per step.
    steps = zip(x.unbind(1), dt.unbind(1), Bh.unbind(1), Ch.unbind(1), strict=True)
    keeps = [None] * length
    if segment_ids is not None:
        keeps = [None] + list((segment_ids[:, 1:] == segment_ids[:, :-1]).to(x.dtype).unbind(1))
    ys = []
    for (x_t, dt_t, B_t, C_t), keep in zip(steps, keeps, strict=True):
        if keep is not None:
            state = state * keep[:, None, None, None]
        y_t, state = ssd_step(state, x_t, dt_t, A, B_t, C_t)
        ys.append(y_t)
    return torch.stack(ys, dim=1), state
