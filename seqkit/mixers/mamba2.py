"""Selective state-space mixer in the Mamba-2 / SSD form (Dao & Gu 2024), causal or bidirectional.

One branch: in_proj → (z, xBC, dt); depthwise causal conv + SiLU on xBC; input-dependent Δ, B, C
with a scalar decay A per head; chunked SSD scan (``seqkit.kernels.ssd``) + D skip; output gated
by SiLU(z) and RMS-normalised; out_proj. The bidirectional variant adds a second branch that scans
the sequence from its last token to its first (conv taps and scan both reversed, no flipped copy) and
sums both before out_proj (as in Bi-Mamba / Caduceus-style models).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.kernels.segments import segment_runs
from seqkit.kernels.ssd import ssd_scan, ssd_step
from seqkit.mixers.base import MixerState, TokenMixer


class _SSDBranch(nn.Module):
    """One scan direction: projections, conv, SSD, gate and norm (no out_proj)."""

    def __init__(self, d_model: int, d_inner: int, n_heads: int, d_state: int, n_groups: int, d_conv: int,
                 dt_min: float, dt_max: float, chunk_size: int) -> None:
        super().__init__()
        self.d_inner, self.n_heads, self.d_state, self.n_groups = d_inner, n_heads, d_state, n_groups
        self.head_dim = d_inner // n_heads
        self.chunk_size = chunk_size
        self.conv_dim = d_inner + 2 * n_groups * d_state
        self.in_proj = nn.Linear(d_model, d_inner + self.conv_dim + n_heads, bias=False)
        self.conv_weight = nn.Parameter(torch.randn(self.conv_dim, d_conv) / math.sqrt(d_conv))
        self.conv_bias = nn.Parameter(torch.zeros(self.conv_dim))
        # Δ = softplus(raw + dt_bias) starts log-uniform in [dt_min, dt_max] (inverse softplus of dt).
        dt = torch.exp(torch.rand(n_heads) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))
        self.dt_bias = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))
        self.A_log = nn.Parameter(torch.log(torch.empty(n_heads).uniform_(1.0, 16.0)))
        self.D = nn.Parameter(torch.ones(n_heads))
        self.norm = nn.RMSNorm(d_inner)

    def _conv(self, xbc: Tensor, segment_ids: Tensor | None, reverse: bool = False) -> Tensor:
        """Depthwise causal conv over (B, L, conv_dim); taps never cross a segment boundary. ``reverse`` reads
        x_{t+shift} instead of x_{t-shift}: the causal conv of the flipped sequence, without flipping it."""
        k, length = self.conv_weight.shape[1], xbc.shape[1]
        out = xbc * self.conv_weight[:, -1] + self.conv_bias
        for shift in range(1, k):
            if reverse:
                shifted = F.pad(xbc, (0, 0, 0, shift))[:, shift:]  # x_{t+shift}, zeros after the end
            else:
                shifted = F.pad(xbc, (0, 0, shift, 0))[:, :length]  # x_{t-shift}, zeros before t=0
            if segment_ids is not None:
                pad = (0, shift) if reverse else (shift, 0)
                ids = F.pad(segment_ids, pad, value=-1)
                same = (ids[:, shift:] if reverse else ids[:, :length]) == segment_ids
                shifted = shifted * same[..., None]
            out = out + shifted * self.conv_weight[:, -1 - shift]
        return out

    def _split(self, proj: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        z, xbc, dt = torch.split(proj, [self.d_inner, self.conv_dim, self.n_heads], dim=-1)
        return z, xbc, dt

    def _ssm_inputs(self, xbc: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        gn = self.n_groups * self.d_state
        x, B, C = torch.split(F.silu(xbc), [self.d_inner, gn, gn], dim=-1)
        return x, B, C

    def forward(self, u: Tensor, segment_ids: Tensor | None, reverse: bool = False) -> Tensor:
        """(B, L, d_model) → (B, L, d_inner); ``reverse`` runs this direction from the last token to the first."""
        b, length, _ = u.shape
        z, xbc, dt = self._split(self.in_proj(u))
        x, B, C = self._ssm_inputs(self._conv(xbc, segment_ids, reverse))
        x = x.reshape(b, length, self.n_heads, self.head_dim)  # (B, L, H, P)
        B = B.reshape(b, length, self.n_groups, self.d_state)  # (B, L, G, N)
        C = C.reshape(b, length, self.n_groups, self.d_state)
        dt = F.softplus(dt + self.dt_bias)  # (B, L, H)
        A = -torch.exp(self.A_log)
        y, _ = ssd_scan(x, dt, A, B, C, chunk_size=self.chunk_size, segment_ids=segment_ids, reverse=reverse)
        y = y + x * self.D[:, None]
        y = y.reshape(b, length, self.d_inner)  # (B, L, d_inner)
        return self.norm(y * F.silu(z))

    def init_state(self, batch_size: int, device: torch.device | None, dtype: torch.dtype | None) -> MixerState:
        dtype = dtype or self.in_proj.weight.dtype
        return {
            "conv": torch.zeros(batch_size, self.conv_weight.shape[1] - 1, self.conv_dim, device=device, dtype=dtype),
            "ssm": torch.zeros(batch_size, self.n_heads, self.head_dim, self.d_state, device=device, dtype=dtype),
        }

    def forward_chunk(self, u: Tensor, state: MixerState, segment_ids: Tensor | None) -> tuple[Tensor, MixerState]:
        """The parallel form of ``step`` over a chunk: conv taps continue from the state's last inputs and
        the scan starts from its SSM state."""
        b, length, _ = u.shape
        z, xbc, dt = self._split(self.in_proj(u))
        k = self.conv_weight.shape[1]
        history = torch.cat([state["conv"].expand(b, -1, -1).to(xbc.dtype), xbc], dim=1)  # (B, K-1+L, conv)
        ids = None
        if segment_ids is not None:  # history taps belong to the chunk's first segment
            ids = torch.cat([segment_ids[:, :1].expand(b, k - 1), segment_ids], dim=1)
        conv = self._conv(history, ids)[:, k - 1 :]  # (B, L, conv_dim)
        x, B, C = self._ssm_inputs(conv)
        x = x.reshape(b, length, self.n_heads, self.head_dim)
        B = B.reshape(b, length, self.n_groups, self.d_state)
        C = C.reshape(b, length, self.n_groups, self.d_state)
        dt = F.softplus(dt + self.dt_bias)
        A = -torch.exp(self.A_log)
        y, ssm = ssd_scan(x, dt, A, B, C, chunk_size=self.chunk_size, segment_ids=segment_ids,
                          initial_state=state["ssm"].expand(b, -1, -1, -1))
        y = (y + x * self.D[:, None]).reshape(b, length, self.d_inner)
        return self.norm(y * F.silu(z)), {"conv": history[:, history.shape[1] - (k - 1) :], "ssm": ssm}

    def step(self, u_t: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        b = u_t.shape[0]
        z, xbc, dt = self._split(self.in_proj(u_t))
        window = torch.cat([state["conv"], xbc[:, None]], dim=1)  # (B, K, conv_dim), oldest first
        conv = (window * self.conv_weight.T).sum(dim=1) + self.conv_bias
        x, B, C = self._ssm_inputs(conv)
        x = x.reshape(b, self.n_heads, self.head_dim)  # (B, H, P)
        B = B.reshape(b, self.n_groups, self.d_state)  # (B, G, N)
        C = C.reshape(b, self.n_groups, self.d_state)
        dt = F.softplus(dt + self.dt_bias)  # (B, H)
        y, ssm = ssd_step(state["ssm"], x, dt, -torch.exp(self.A_log), B, C)  # the reference scan's step
        y = y + x * self.D[:, None]
        y = self.norm(y.reshape(b, self.d_inner) * F.silu(z))
        return y, {"conv": window[:, 1:], "ssm": ssm}


class Mamba2(TokenMixer):
    """Mamba-2 selective SSM mixer.

    Args:
        d_model (int): model width.
        d_state (int): state size N per head. Default: 64.
        expand (int): inner width = expand * d_model. Default: 2.
        head_dim (int): channels per head P; heads = inner width / P. Default: 64.
        n_groups (int): groups of heads sharing B and C. Default: 1.
        d_conv (int): depthwise conv width. Default: 4.
        chunk_size (int): SSD chunk length T (64 is fastest on CPU). Default: 64.
        bidirectional (bool): add a reverse-direction branch (then ``causal=False`` is required).
    """

    def __init__(self, d_model: int, d_state: int = 64, expand: int = 2, head_dim: int = 64, n_groups: int = 1,
                 d_conv: int = 4, chunk_size: int = 64, bidirectional: bool = False, dt_min: float = 1e-3,
                 dt_max: float = 0.1) -> None:
        super().__init__()
        d_inner = expand * d_model
        if d_inner % head_dim:
            raise ValueError(f"Mamba2: expand*d_model={d_inner} must be a multiple of head_dim={head_dim}")
        n_heads = d_inner // head_dim
        if n_heads % n_groups:
            raise ValueError(f"Mamba2: number of heads {n_heads} must be a multiple of n_groups={n_groups}")
        for name, value in (("d_state", d_state), ("d_conv", d_conv), ("chunk_size", chunk_size)):
            if value < 1:
                raise ValueError(f"Mamba2: {name} must be >= 1, got {value}")
        self.d_model = d_model
        self.bidirectional = bidirectional
        self.can_step = not bidirectional
        self.can_look_ahead = bidirectional
        args = (d_model, d_inner, n_heads, d_state, n_groups, d_conv, dt_min, dt_max, chunk_size)
        self.forward_branch = _SSDBranch(*args)
        self.backward_branch = _SSDBranch(*args) if bidirectional else None
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)

    def forward(self, x: Tensor, *, segment_ids: Tensor | None = None, positions: Tensor | None = None,
                causal: bool = True) -> Tensor:
        """(B, L, D) → (B, L, D). ``positions`` is unused: the scan itself orders tokens."""
        self.check_input(x, segment_ids, positions)
        if segment_ids is not None:
            segment_ids = segment_runs(segment_ids)  # so conv taps never join two runs of one id
        if self.bidirectional and causal:
            raise ValueError("Mamba2: a bidirectional mixer reads future tokens; call it with causal=False "
                             "or build it with bidirectional=False")
        y = self.forward_branch(x, segment_ids)  # (B, L, d_inner)
        if self.backward_branch is not None:  # the reverse scan reads back to front: no flipped copies
            y = y + self.backward_branch(x, segment_ids, reverse=True)
        return self.out_proj(y)

    def init_state(self, batch_size: int, *, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> MixerState:
        if self.bidirectional:
            raise NotImplementedError("Mamba2: a bidirectional mixer cannot decode token by token")
        return self.forward_branch.init_state(batch_size, device, dtype)

    def forward_chunk(self, x: Tensor, state: MixerState, *, positions: Tensor | None = None,
                      segment_ids: Tensor | None = None, keep_state: bool = True) -> tuple[Tensor, MixerState | None]:
        """Chunked continuation from ``state`` (see ``TokenMixer.forward_chunk``); ``positions`` is unused."""
        self.check_input(x, segment_ids)
        if self.bidirectional:
            raise NotImplementedError("Mamba2: a bidirectional mixer cannot continue from a state")
        if segment_ids is not None:
            segment_ids = segment_runs(segment_ids)
        y, state = self.forward_branch.forward_chunk(x, state, segment_ids)
        return self.out_proj(y), state

    def step(self, x_t: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        self.check_step_input(x_t)
        if self.bidirectional:
            raise NotImplementedError("Mamba2: a bidirectional mixer cannot decode token by token")
        y, state = self.forward_branch.step(x_t, state)
        return self.out_proj(y), state
