"""One step of the Mamba-2 / SSD recurrence: the whole scan is this step repeated, so the sequential
reference scan and the Mamba-2 mixer's token-by-token decoding both call it.

h_t = exp(dt_t A) h_{t-1} + dt_t x_t B_tᵀ ,   y_t = h_t C_t        (per head; A scalar per head)
"""

from __future__ import annotations

import torch
from torch import Tensor


def ssd_step(state: Tensor, x_t: Tensor, dt_t: Tensor, A: Tensor, B_t: Tensor, C_t: Tensor) -> tuple[Tensor, Tensor]:
    """Advance the state by one token: ``(y_t, new_state)``.

    Args:
        state (Tensor): state before the token, (b, h, p, n).
        x_t (Tensor): input, (b, h, p).
        dt_t (Tensor): positive step size, (b, h).
        A (Tensor): negative decay rate per head, (h,).
        B_t (Tensor): input projection, (b, g, n); g groups shared by h/g heads each (g = h: one per head).
        C_t (Tensor): output projection, (b, g, n).

    Returns:
        y_t (b, h, p) and the new state (b, h, p, n).
    """
    h, g = x_t.shape[1], B_t.shape[1]
    if g != h:  # heads of a group share its B and C
        B_t = B_t.repeat_interleave(h // g, dim=1)  # (b, h, n)
        C_t = C_t.repeat_interleave(h // g, dim=1)
    decay = torch.exp(dt_t * A)  # (b, h)
    inp = (dt_t[..., None] * x_t)[..., None] * B_t[:, :, None, :]  # (b, h, p, n)
    state = decay[:, :, None, None] * state + inp
    return torch.einsum("bhpn,bhn->bhp", state, C_t), state
