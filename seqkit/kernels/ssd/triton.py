"""Chunked Mamba-2 / SSD selective scan as Triton kernels, forward and backward.

Same math as ``chunked.py`` (per head, with a_i the in-chunk cumulative sum of dt·A):

    intra  y_i  = Σ_{j<=i, same segment} (C_i·B_j) exp(a_i − a_j) dt_j x_j         (a masked T×T matmul)
    state  S_c  = Σ_j exp(a_T − a_j) [seg_j = seg_T] dt_j x_j B_jᵀ                  (the chunk's own state)
    pass   H_{c+1} = κ_c H_c + S_c,  κ_c = [chunk c continues the segment] exp(a_T)
    inter  y_i += [seg_i = segment entering c] exp(a_i) H_c C_i

Kernels, each one program per (chunk, batch, head) unless noted: ``_chunk_state`` (S_c with ``tl.dot``),
``_state_passing`` (one program per (batch, head) walks the chunks in order), ``_chunk_scan`` (y). The
backward recomputes S and H (never per-token states), walks the chunks in reverse for dH (``_state_passing_bwd``)
and computes every input gradient of a chunk in ``_chunk_bwd``; the in-chunk cumulative sum's gradient (a
reverse cumsum) and the sum of per-head dB/dC over a group's heads are done with torch afterwards.

Ragged lengths are masked (no padded copies); ``reverse=True`` reads every tensor back to front through the
index map, so the reverse branch of a bidirectional mixer needs no flipped copy. Float32 inputs take IEEE
fp32 dots (no TF32) so results match the reference to 1e-4; bf16/fp16 inputs take tensor-core dots with fp32
accumulation (fp32 takes TF32 dots when the user allowed them; see ``triton_dot``). No autotuner and no device
queries: ``ssd_tile_plan`` pins the chunk length and warp count from the tile widths and dtype, so the same
launch runs under ``TRITON_INTERPRET=1``; ``benchmarks/kernels_static.py`` checks every plan against each
GPU generation's shared-memory limit and reports ptxas's register spills.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl
from torch import Tensor

from seqkit.kernels.segments import segment_runs
from seqkit.kernels.triton_dot import dot as _dot
from seqkit.kernels.triton_dot import ieee_dots


@triton.jit
def _chunk_dt(dt_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, T: tl.constexpr, REVERSE: tl.constexpr):
    """Validity, physical rows and dt (0 on padded rows) of chunk c's logical positions."""
    t = c * T + tl.arange(0, T)
    valid = t < L
    tc = tl.minimum(t, L - 1)  # padded positions repeat the last row (its segment id), with dt = 0
    if REVERSE:
        phys = L - 1 - tc
    else:
        phys = tc
    dt = tl.load(dt_ptr + b * s_dtb + phys * s_dtl + h * s_dth, mask=valid, other=0.0).to(tl.float32)
    return valid, phys, dt


@triton.jit
def _chunk_meta(dt_ptr, seg_ptr, A_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, s_sb, s_sl,
                T: tl.constexpr, REVERSE: tl.constexpr):
    """Chunk c's validity, physical rows, dt, segment runs and cumulative log-decay."""
    valid, phys, dt = _chunk_dt(dt_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, T, REVERSE)
    seg = tl.load(seg_ptr + b * s_sb + phys * s_sl)
    a = tl.cumsum(dt * tl.load(A_ptr + h).to(tl.float32), axis=0)
    return valid, phys, dt, seg, a


@triton.jit
def _seg_at(seg_ptr, b, t, L, s_sb, s_sl, REVERSE: tl.constexpr):
    """Segment run at logical position t (clamped into the sequence)."""
    tc = tl.minimum(tl.maximum(t, 0), L - 1)
    if REVERSE:
        tc = L - 1 - tc
    return tl.load(seg_ptr + b * s_sb + tc * s_sl)


@triton.jit
def _chunk_ends(seg_ptr, b, c, L, s_sb, s_sl, T: tl.constexpr, REVERSE: tl.constexpr):
    """Segment run entering chunk c (its previous token's) and that of the chunk's last token."""
    return (_seg_at(seg_ptr, b, c * T - 1, L, s_sb, s_sl, REVERSE),
            _seg_at(seg_ptr, b, c * T + T - 1, L, s_sb, s_sl, REVERSE))


@triton.jit
def _chunk_carry(dt_ptr, seg_ptr, A_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, s_sb, s_sl,
                 T: tl.constexpr, REVERSE: tl.constexpr):
    """κ_c: the decay of the whole chunk when it continues the incoming segment, else 0 (a reset). Called once
    per chunk by the sequential state walks, so it reads only dt and the two segment ends it needs."""
    _, _, dt = _chunk_dt(dt_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, T, REVERSE)
    prev_last, seg_last = _chunk_ends(seg_ptr, b, c, L, s_sb, s_sl, T, REVERSE)
    return tl.where(seg_last == prev_last, tl.exp(tl.sum(dt * tl.load(A_ptr + h).to(tl.float32), axis=0)), 0.0)


@triton.jit
def _tile(ptr, b, phys, valid, head, width, s_b, s_l, s_h, s_w, BW: tl.constexpr):
    """(T, BW) tile of a chunk's rows ``phys`` for one head (or group); zero on padded rows and columns."""
    ow = tl.arange(0, BW)
    return tl.load(ptr + b * s_b + phys[:, None] * s_l + head * s_h + ow[None, :] * s_w,
                   mask=valid[:, None] & (ow[None, :] < width), other=0.0)


@triton.jit
def _chunk_state_kernel(x_ptr, dt_ptr, A_ptr, B_ptr, seg_ptr, S_ptr, L, n_chunks, H, P, N, r,
                        s_xb, s_xl, s_xh, s_xp, s_dtb, s_dtl, s_dth, s_Bb, s_Bl, s_Bg, s_Bn, s_sb, s_sl,
                        T: tl.constexpr, BP: tl.constexpr, BN: tl.constexpr, REVERSE: tl.constexpr,
                        IEEE: tl.constexpr):
    c, b, h = tl.program_id(0), tl.program_id(1), tl.program_id(2)
    g = h // r
    valid, phys, dt, seg, a = _chunk_meta(dt_ptr, seg_ptr, A_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, s_sb, s_sl,
                                          T, REVERSE)
    _, seg_last = _chunk_ends(seg_ptr, b, c, L, s_sb, s_sl, T, REVERSE)
    a_last = tl.sum(dt * tl.load(A_ptr + h).to(tl.float32), axis=0)  # dt = 0 on padded rows
    w = tl.where(seg == seg_last, dt * tl.exp(a_last - a), 0.0)  # (T,)
    op, on = tl.arange(0, BP), tl.arange(0, BN)
    x = _tile(x_ptr, b, phys, valid, h, P, s_xb, s_xl, s_xh, s_xp, BP)  # (T, BP)
    Bm = _tile(B_ptr, b, phys, valid, g, N, s_Bb, s_Bl, s_Bg, s_Bn, BN)  # (T, BN)
    xw = (x.to(tl.float32) * w[:, None]).to(x_ptr.dtype.element_ty)
    S = _dot(tl.trans(xw), Bm, IEEE)  # (BP, BN)
    base = ((b * n_chunks + c) * H + h) * P * N
    tl.store(S_ptr + base + op[:, None] * N + on[None, :], S, mask=(op[:, None] < P) & (on[None, :] < N))


@triton.jit
def _state_passing_kernel(S_ptr, Hs_ptr, final_ptr, init_ptr, dt_ptr, A_ptr, seg_ptr, L, n_chunks, H, P, N,
                          s_dtb, s_dtl, s_dth, s_sb, s_sl, T: tl.constexpr, BP: tl.constexpr, BN: tl.constexpr,
                          HAS_INIT: tl.constexpr, REVERSE: tl.constexpr):
    b, h = tl.program_id(0), tl.program_id(1)
    op, on = tl.arange(0, BP), tl.arange(0, BN)
    pn = op[:, None] * N + on[None, :]
    m = (op[:, None] < P) & (on[None, :] < N)
    if HAS_INIT:
        state = tl.load(init_ptr + (b * H + h) * P * N + pn, mask=m, other=0.0).to(tl.float32)
    else:
        state = tl.zeros((BP, BN), dtype=tl.float32)
    for c in range(0, n_chunks):
        base = ((b * n_chunks + c) * H + h) * P * N
        tl.store(Hs_ptr + base + pn, state, mask=m)  # the state entering chunk c
        carry = _chunk_carry(dt_ptr, seg_ptr, A_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, s_sb, s_sl, T, REVERSE)
        state = carry * state + tl.load(S_ptr + base + pn, mask=m, other=0.0)
    tl.store(final_ptr + (b * H + h) * P * N + pn, state, mask=m)


@triton.jit
def _chunk_scan_kernel(x_ptr, dt_ptr, A_ptr, B_ptr, C_ptr, seg_ptr, Hs_ptr, y_ptr, L, n_chunks, H, P, N, r,
                       s_xb, s_xl, s_xh, s_xp, s_dtb, s_dtl, s_dth, s_Bb, s_Bl, s_Bg, s_Bn, s_sb, s_sl,
                       T: tl.constexpr, BP: tl.constexpr, BN: tl.constexpr, REVERSE: tl.constexpr,
                       IEEE: tl.constexpr):
    c, b, h = tl.program_id(0), tl.program_id(1), tl.program_id(2)
    g = h // r
    DT = x_ptr.dtype.element_ty
    valid, phys, dt, seg, a = _chunk_meta(dt_ptr, seg_ptr, A_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, s_sb, s_sl,
                                          T, REVERSE)
    prev_last, _ = _chunk_ends(seg_ptr, b, c, L, s_sb, s_sl, T, REVERSE)
    op, on, it = tl.arange(0, BP), tl.arange(0, BN), tl.arange(0, T)
    x = _tile(x_ptr, b, phys, valid, h, P, s_xb, s_xl, s_xh, s_xp, BP)
    Bm = _tile(B_ptr, b, phys, valid, g, N, s_Bb, s_Bl, s_Bg, s_Bn, BN)
    Cm = _tile(C_ptr, b, phys, valid, g, N, s_Bb, s_Bl, s_Bg, s_Bn, BN)
    visible = (it[:, None] >= it[None, :]) & (seg[:, None] == seg[None, :])
    decay = tl.exp(tl.where(visible, a[:, None] - a[None, :], float("-inf")))  # (T, T)
    scores = _dot(Cm, tl.trans(Bm), IEEE) * decay  # (T, T)
    xdt = (x.to(tl.float32) * dt[:, None]).to(DT)
    y = _dot(scores.to(DT), xdt, IEEE)  # (T, BP)
    base = ((b * n_chunks + c) * H + h) * P * N
    Hin = tl.load(Hs_ptr + base + op[None, :] * N + on[:, None], mask=(op[None, :] < P) & (on[:, None] < N),
                  other=0.0)  # (BN, BP): the incoming state, transposed
    enter = tl.where(seg == prev_last, tl.exp(a), 0.0)
    y += enter[:, None] * _dot(Cm, Hin.to(DT), IEEE)
    tl.store(y_ptr + b * s_xb + phys[:, None] * s_xl + h * s_xh + op[None, :] * s_xp, y.to(DT),
             mask=valid[:, None] & (op[None, :] < P))


@triton.jit
def _chunk_dstate_kernel(dy_ptr, dt_ptr, A_ptr, C_ptr, seg_ptr, D_ptr, L, n_chunks, H, P, N, r,
                         s_xb, s_xl, s_xh, s_xp, s_dtb, s_dtl, s_dth, s_Bb, s_Bl, s_Bg, s_Bn, s_sb, s_sl,
                         T: tl.constexpr, BP: tl.constexpr, BN: tl.constexpr, REVERSE: tl.constexpr,
                         IEEE: tl.constexpr):
    """D_c = Σ_i [seg_i = entering] exp(a_i) dy_i C_iᵀ: the gradient reaching the state entering chunk c."""
    c, b, h = tl.program_id(0), tl.program_id(1), tl.program_id(2)
    g = h // r
    DT = dy_ptr.dtype.element_ty
    valid, phys, dt, seg, a = _chunk_meta(dt_ptr, seg_ptr, A_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, s_sb, s_sl,
                                          T, REVERSE)
    prev_last, _ = _chunk_ends(seg_ptr, b, c, L, s_sb, s_sl, T, REVERSE)
    op, on = tl.arange(0, BP), tl.arange(0, BN)
    dy = _tile(dy_ptr, b, phys, valid, h, P, s_xb, s_xl, s_xh, s_xp, BP)
    Cm = _tile(C_ptr, b, phys, valid, g, N, s_Bb, s_Bl, s_Bg, s_Bn, BN)
    enter = tl.where(seg == prev_last, tl.exp(a), 0.0)
    D = _dot(tl.trans((dy.to(tl.float32) * enter[:, None]).to(DT)), Cm, IEEE)  # (BP, BN)
    base = ((b * n_chunks + c) * H + h) * P * N
    tl.store(D_ptr + base + op[:, None] * N + on[None, :], D,
             mask=(op[:, None] < P) & (on[None, :] < N))


@triton.jit
def _state_passing_bwd_kernel(D_ptr, Hs_ptr, dS_ptr, dlogcarry_ptr, dfinal_ptr, dinit_ptr, dt_ptr, A_ptr, seg_ptr,
                              L, n_chunks, H, P, N, s_dtb, s_dtl, s_dth, s_sb, s_sl, T: tl.constexpr,
                              BP: tl.constexpr, BN: tl.constexpr, HAS_DFINAL: tl.constexpr, REVERSE: tl.constexpr):
    """Reverse walk: G_C = dfinal, dS_c = G_{c+1}, G_c = D_c + κ_c G_{c+1}; also d log κ_c = κ_c <G_{c+1}, H_c>."""
    b, h = tl.program_id(0), tl.program_id(1)
    op, on = tl.arange(0, BP), tl.arange(0, BN)
    pn = op[:, None] * N + on[None, :]
    m = (op[:, None] < P) & (on[None, :] < N)
    if HAS_DFINAL:
        G = tl.load(dfinal_ptr + (b * H + h) * P * N + pn, mask=m, other=0.0).to(tl.float32)
    else:
        G = tl.zeros((BP, BN), dtype=tl.float32)
    for k in range(0, n_chunks):
        c = n_chunks - 1 - k
        base = ((b * n_chunks + c) * H + h) * P * N
        tl.store(dS_ptr + base + pn, G, mask=m)
        carry = _chunk_carry(dt_ptr, seg_ptr, A_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, s_sb, s_sl, T, REVERSE)
        Hc = tl.load(Hs_ptr + base + pn, mask=m, other=0.0)
        tl.store(dlogcarry_ptr + (b * H + h) * n_chunks + c, carry * tl.sum(tl.sum(G * Hc, axis=1), axis=0))
        G = tl.load(D_ptr + base + pn, mask=m, other=0.0) + carry * G
    tl.store(dinit_ptr + (b * H + h) * P * N + pn, G, mask=m)


@triton.jit
def _chunk_bwd_kernel(x_ptr, dt_ptr, A_ptr, B_ptr, C_ptr, seg_ptr, Hs_ptr, dS_ptr, dlogcarry_ptr, dy_ptr,
                      dx_ptr, ddt_ptr, dB_ptr, dC_ptr, da_ptr, L, n_chunks, H, P, N, r,
                      s_xb, s_xl, s_xh, s_xp, s_dtb, s_dtl, s_dth, s_Bb, s_Bl, s_Bg, s_Bn, s_sb, s_sl,
                      T: tl.constexpr, BP: tl.constexpr, BN: tl.constexpr, REVERSE: tl.constexpr,
                      IEEE: tl.constexpr):
    """Every gradient of chunk c: dx, the direct part of ddt, per-head dB and dC, and d a_i (log-decay)."""
    c, b, h = tl.program_id(0), tl.program_id(1), tl.program_id(2)
    g = h // r
    DT = x_ptr.dtype.element_ty
    valid, phys, dt, seg, a = _chunk_meta(dt_ptr, seg_ptr, A_ptr, b, c, h, L, s_dtb, s_dtl, s_dth, s_sb, s_sl,
                                          T, REVERSE)
    prev_last, seg_last = _chunk_ends(seg_ptr, b, c, L, s_sb, s_sl, T, REVERSE)
    a_last = tl.sum(dt * tl.load(A_ptr + h).to(tl.float32), axis=0)
    op, on, it = tl.arange(0, BP), tl.arange(0, BN), tl.arange(0, T)
    mp, mn = valid[:, None] & (op[None, :] < P), valid[:, None] & (on[None, :] < N)
    x = _tile(x_ptr, b, phys, valid, h, P, s_xb, s_xl, s_xh, s_xp, BP)
    dy = _tile(dy_ptr, b, phys, valid, h, P, s_xb, s_xl, s_xh, s_xp, BP)
    Bm = _tile(B_ptr, b, phys, valid, g, N, s_Bb, s_Bl, s_Bg, s_Bn, BN)
    Cm = _tile(C_ptr, b, phys, valid, g, N, s_Bb, s_Bl, s_Bg, s_Bn, BN)
    base = ((b * n_chunks + c) * H + h) * P * N
    pn = op[:, None] * N + on[None, :]
    mpn = (op[:, None] < P) & (on[None, :] < N)
    hrow = ((b * L + phys[:, None]) * H + h) * N + on[None, :]  # per-head dB/dC, (b, L, H, N) float32
    # Each gradient tile is stored as soon as it is final, and Hc/dS are loaded only where they are used, so
    # fewer tiles are live at once (ptxas spills less; see benchmarks/kernels_static.py).

    # intra-chunk: y = (CBᵀ ∘ decay) (dt x)
    visible = (it[:, None] >= it[None, :]) & (seg[:, None] == seg[None, :])
    decay = tl.exp(tl.where(visible, a[:, None] - a[None, :], float("-inf")))
    scores = _dot(Cm, tl.trans(Bm), IEEE) * decay  # (T, T)
    xf = x.to(tl.float32)
    xdt = (xf * dt[:, None]).to(DT)
    d_scores = _dot(dy, tl.trans(xdt), IEEE)  # (T, T): dL_ij = dy_i · dt_j x_j
    back = _dot(tl.trans(scores.to(DT)), dy, IEEE)  # (T, BP): Σ_i L_ij dy_i
    dx = back * dt[:, None]
    ddt = tl.sum(back * xf, axis=1)
    grad_decay = d_scores * scores  # d/da_i of L_ij is L_ij, d/da_j is −L_ij
    da = tl.sum(grad_decay, axis=1) - tl.sum(grad_decay, axis=0)
    d_cb = (d_scores * decay).to(DT)
    dB = _dot(tl.trans(d_cb), Cm, IEEE)  # (T, BN)

    # inter-chunk: y_i += enter_i H_c C_i
    Hc = tl.load(Hs_ptr + base + pn, mask=mpn, other=0.0)  # (BP, BN) state entering the chunk
    enter = tl.where(seg == prev_last, tl.exp(a), 0.0)
    dy_h = _dot(dy, Hc.to(DT), IEEE)  # (T, BN): Hcᵀ dy_i
    da += enter * tl.sum(dy_h * Cm.to(tl.float32), axis=1)  # dy_i · y_i(inter)
    dC = _dot(d_cb, Bm, IEEE) + enter[:, None] * dy_h
    tl.store(dC_ptr + hrow, dC, mask=mn)

    # the chunk's own state: S = Σ_j w_j x_j B_jᵀ, w_j = [seg_j = seg_T] exp(a_T − a_j) dt_j
    dS = tl.load(dS_ptr + base + pn, mask=mpn, other=0.0).to(DT)  # (BP, BN) gradient of the chunk's own state
    to_end = tl.where(seg == seg_last, tl.exp(a_last - a), 0.0)
    w = to_end * dt
    dB += w[:, None] * _dot(x, dS, IEEE)
    tl.store(dB_ptr + hrow, dB, mask=mn)
    b_ds = _dot(Bm, tl.trans(dS), IEEE)  # (T, BP): dS B_j
    dx += w[:, None] * b_ds
    tl.store(dx_ptr + b * s_xb + phys[:, None] * s_xl + h * s_xh + op[None, :] * s_xp, dx.to(DT), mask=mp)
    q = tl.sum(xf * b_ds, axis=1)  # x_j · dS B_j
    ddt += to_end * q
    da -= w * q
    # a_T enters through every w_j and through κ_c (its gradient was summed by the reverse walk)
    tail = tl.sum(w * q, axis=0) + tl.load(dlogcarry_ptr + (b * H + h) * n_chunks + c)
    da += tl.where(it == T - 1, tail, 0.0)
    tl.store(ddt_ptr + b * s_dtb + phys * s_dtl + h * s_dth, ddt, mask=valid)
    tl.store(da_ptr + (b * H + h) * n_chunks * T + c * T + it, da)


def _empty(*shape: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    """Every buffer and output of this module (tests poison it with NaN to catch unwritten elements)."""
    return torch.empty(shape, device=device, dtype=dtype)


def _block(n: int) -> int:
    return max(16, triton.next_power_of_2(n))


def ssd_tile_plan(head_dim: int, d_state: int, dtype: torch.dtype) -> tuple[int, int]:
    """(chunk length, num_warps) for the kernels' tiles on a GPU.

    The heaviest kernel (``_chunk_bwd``) holds several T×T and T×max(P, N) tiles; with 16-bit inputs at
    T = 64 and P = N = 64 it fits every GPU's shared memory at 8 warps, with 24 B of register spills per
    thread on sm_90 (the only SSD launch that spills in bf16), and wider heads or fp32 operands (which
    Triton stages with about twice the shared memory) halve T. The
    numbers behind these rules are in ``benchmarks/results/kernels_static.md``.
    """
    width = max(_block(head_dim), _block(d_state))
    if dtype == torch.float32:
        width *= 2
    chunk = 64 if width <= 64 else 32 if width <= 128 else 16
    return chunk, 8  # the state-passing walk holds P×N fp32 tiles: at 4 warps ptxas spills from N = 128


class _Launch:
    """Shapes, strides and launch constants shared by the forward and backward of one call."""

    def __init__(self, x: Tensor, dt: Tensor, B: Tensor, seg: Tensor, chunk_size: int | None, reverse: bool) -> None:
        self.b, self.L, self.H, self.P = x.shape
        self.G, self.N = B.shape[-2:]
        self.r = self.H // self.G
        planned, self.num_warps = ssd_tile_plan(self.P, self.N, x.dtype)
        self.T = chunk_size = chunk_size or planned
        self.n_chunks = triton.cdiv(self.L, chunk_size)
        self.strides = (*x.stride(), *dt.stride(), *B.stride(), *seg.stride())
        self.meta = {"T": chunk_size, "BP": _block(self.P), "BN": _block(self.N), "REVERSE": reverse,
                     "num_warps": self.num_warps}
        self.ieee = ieee_dots(x.dtype)

    def states(self, x: Tensor, dt: Tensor, A: Tensor, B: Tensor, seg: Tensor, init: Tensor | None
               ) -> tuple[Tensor, Tensor]:
        """Incoming state of every chunk (b, c, H, P, N) and the final state (b, H, P, N), float32."""
        kw = {"device": x.device, "dtype": torch.float32}
        S = _empty(self.b, self.n_chunks, self.H, self.P, self.N, **kw)
        x_s, dt_s, B_s, seg_s = self.strides[:4], self.strides[4:7], self.strides[7:11], self.strides[11:]
        _chunk_state_kernel[(self.n_chunks, self.b, self.H)](
            x, dt, A, B, seg, S, self.L, self.n_chunks, self.H, self.P, self.N, self.r, *x_s, *dt_s, *B_s, *seg_s,
            IEEE=self.ieee, **self.meta)
        Hs = _empty(*S.shape, **kw)
        final = _empty(self.b, self.H, self.P, self.N, **kw)
        _state_passing_kernel[(self.b, self.H)](
            S, Hs, final, init if init is not None else final, dt, A, seg, self.L, self.n_chunks, self.H, self.P,
            self.N, *dt_s, *seg_s, HAS_INIT=init is not None, **self.meta)
        return Hs, final


class _SSDScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor, seg: Tensor,
                init: Tensor | None, chunk_size: int, reverse: bool) -> tuple[Tensor, Tensor]:
        launch = _Launch(x, dt, B, seg, chunk_size, reverse)
        Hs, final = launch.states(x, dt, A, B, seg, init)
        y = _empty(*x.shape, device=x.device, dtype=x.dtype)
        s = launch.strides
        _chunk_scan_kernel[(launch.n_chunks, launch.b, launch.H)](
            x, dt, A, B, C, seg, Hs, y, launch.L, launch.n_chunks, launch.H, launch.P, launch.N, launch.r,
            *s, IEEE=launch.ieee, **launch.meta)
        ctx.save_for_backward(x, dt, A, B, C, seg, init)
        ctx.launch = launch
        return y, final.to(x.dtype)

    @staticmethod
    def backward(ctx, dy: Tensor, dfinal: Tensor | None):
        x, dt, A, B, C, seg, init = ctx.saved_tensors
        lc: _Launch = ctx.launch
        dy = dy.contiguous()
        Hs, _ = lc.states(x, dt, A, B, seg, init)  # recomputed, not stored: (b, c, H, P, N)
        s = lc.strides
        dt_s, seg_s = s[4:7], s[11:]
        grid = (lc.n_chunks, lc.b, lc.H)
        f32 = {"device": x.device, "dtype": torch.float32}
        D = _empty(*Hs.shape, **f32)
        _chunk_dstate_kernel[grid](dy, dt, A, C, seg, D, lc.L, lc.n_chunks, lc.H, lc.P, lc.N, lc.r, *s,
                                   IEEE=lc.ieee, **lc.meta)
        dS = _empty(*Hs.shape, **f32)
        dlogcarry = _empty(lc.b, lc.H, lc.n_chunks, **f32)
        dinit = _empty(lc.b, lc.H, lc.P, lc.N, **f32)
        if dfinal is not None:
            dfinal = dfinal.contiguous()
        _state_passing_bwd_kernel[(lc.b, lc.H)](
            D, Hs, dS, dlogcarry, dfinal if dfinal is not None else dinit, dinit, dt, A, seg, lc.L, lc.n_chunks,
            lc.H, lc.P, lc.N, *dt_s, *seg_s, HAS_DFINAL=dfinal is not None, **lc.meta)
        dx = _empty(*x.shape, device=x.device, dtype=x.dtype)
        ddt = _empty(*dt.shape, **f32)
        dBh = _empty(lc.b, lc.L, lc.H, lc.N, **f32)
        dCh = _empty(lc.b, lc.L, lc.H, lc.N, **f32)
        da = _empty(lc.b, lc.H, lc.n_chunks * lc.T, **f32)
        _chunk_bwd_kernel[grid](x, dt, A, B, C, seg, Hs, dS, dlogcarry, dy, dx, ddt, dBh, dCh, da,
                                lc.L, lc.n_chunks, lc.H, lc.P, lc.N, lc.r, *s, IEEE=lc.ieee, **lc.meta)
        # a = in-chunk cumsum of dt·A: its gradient is the reverse cumsum of da within each chunk.
        da = da.view(lc.b, lc.H, lc.n_chunks, lc.T)
        rc = da.flip(-1).cumsum(-1).flip(-1).reshape(lc.b, lc.H, -1)[:, :, : lc.L]  # (b, H, L) logical order
        if ctx.launch.meta["REVERSE"]:
            rc = rc.flip(-1)
        rc = rc.transpose(1, 2)  # (b, L, H) physical order, like dt
        ddt = ddt + rc * A.float()
        dA = (rc * dt.float()).sum(dim=(0, 1))
        dB = dBh.view(lc.b, lc.L, lc.G, lc.r, lc.N).sum(3)
        dC = dCh.view(lc.b, lc.L, lc.G, lc.r, lc.N).sum(3)
        return (dx, ddt.to(dt.dtype), dA.to(A.dtype), dB.to(B.dtype), dC.to(C.dtype), None,
                None if init is None else dinit.to(init.dtype), None, None)


def ssd_scan_triton(x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor, *, chunk_size: int | None = None,
                    segment_ids: Tensor | None = None, initial_state: Tensor | None = None,
                    reverse: bool = False) -> tuple[Tensor, Tensor]:
    """Triton selective scan; same arguments and results as ``ssd_scan_reference`` (``reverse`` scans from the
    last token to the first and returns y in the input's order). ``ssd_scan`` is the public entry (it also
    takes ``cu_seqlens``). ``chunk_size`` (a power of two >= 16) only changes the tiling, not the result; by
    default ``ssd_tile_plan`` picks it for the GPU."""
    if chunk_size is not None and (chunk_size < 16 or chunk_size & (chunk_size - 1)):
        raise ValueError(f"ssd_scan_triton: chunk_size must be a power of two >= 16, got {chunk_size}")
    b, length = x.shape[:2]
    if segment_ids is None:
        seg = torch.zeros(b, length, dtype=torch.int32, device=x.device)
    else:  # runs are the same read in either direction: the kernels only compare neighbours' ids
        seg = segment_runs(segment_ids).to(torch.int32).contiguous()
    init = None if initial_state is None else initial_state.contiguous()
    return _SSDScan.apply(x.contiguous(), dt.contiguous(), A.contiguous(), B.contiguous(), C.contiguous(), seg,
                          init, chunk_size, reverse)
