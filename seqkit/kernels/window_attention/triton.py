"""Sliding-window attention with global sinks (LM-Infinite Λ-mask) as Triton flash kernels, forward and backward.

Same contract and (B, L, H, d) layout as ``reference.py``: query i sees key j of its own segment when
|i − j| < window (j <= i if causal), and the first ``n_sinks`` tokens of its segment from any distance
(j <= i), scored with q_far·k_far when those are given (LM-Infinite's capped-distance rotation, applied by the
caller).

Forward (one program per block of BM queries and one (batch, head)): an online-softmax loop over the key
blocks that can hold a visible key: the sink keys of the block's first segment that lie before the window,
then the window's span. Key blocks outside both are never visited; inside the span, a block whose every
(query, key) pair is visible skips all masking (only boundary blocks build masks). The log-sum-exp of every
row is kept for the backward.

Backward (FlashAttention-2 split): ``_bwd_dq`` walks the same key blocks per query block; ``_bwd_dkdv`` walks,
per key block, the query blocks that can see it (the window's span, and every later query block of the
segment when the block holds sinks). No atomics. Segments come as run ids (renumbered
``segment_ids``); in-segment positions (sinks) are derived from each token's segment start.

No autotuner and no device queries: ``attention_tile_plan`` pins block sizes and warp counts of the forward
and backward from the head width and dtype (the backward keeps more tiles live, so it may take smaller blocks
than the forward), and the same launch runs under ``TRITON_INTERPRET=1``.
"""

from __future__ import annotations

import math

import torch
import triton
import triton.language as tl
from torch import Tensor

from seqkit.kernels.segments import segment_runs, segment_start_index
from seqkit.kernels.triton_dot import dot as _dot
from seqkit.kernels.triton_dot import ieee_dots


@triton.jit
def _span(m0, L, W, BM: tl.constexpr, BN: tl.constexpr, CAUSAL: tl.constexpr):
    """Key range [lo, hi) holding every key within the window of queries [m0, m0 + BM), lo aligned to BN."""
    lo = tl.maximum(m0 - W + 1, 0)
    lo = (lo // BN) * BN
    if CAUSAL:
        hi = tl.minimum(m0 + BM, L)
    else:
        hi = tl.minimum(m0 + BM - 1 + W, L)
    return lo, hi


@triton.jit
def _scores(q, k, qf, kf, offs_m, offs_n, seg_q, seg_k, start_k, L, W, NS, scale, boundary,
            CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr, HAS_FAR: tl.constexpr, IEEE: tl.constexpr):
    """Scaled scores of one (query block, key block) tile, −inf where not visible; and the far-sink mask."""
    s = _dot(q, tl.trans(k), IEEE) * scale
    far = (offs_m[:, None] < 0) & (offs_n[None, :] < 0)  # all False, (BM, BN): both branches yield one type
    if boundary:
        dist = offs_m[:, None] - offs_n[None, :]
        local = (dist < W) & (dist > -W)
        if CAUSAL:
            local = local & (dist >= 0)
        far = ((offs_n - start_k)[None, :] < NS) & (dist >= 0) & (~local)
        allowed = (local | far) & (offs_n[None, :] < L)
        if HAS_SEG:
            allowed = allowed & (seg_q[:, None] == seg_k[None, :])
        far = far & allowed
        if HAS_FAR:
            s = tl.where(far, _dot(qf, tl.trans(kf), IEEE) * scale, s)
        s = tl.where(allowed, s, float("-inf"))
    elif HAS_SEG:
        s = tl.where(seg_q[:, None] == seg_k[None, :], s, float("-inf"))
    return s, far


@triton.jit
def _is_boundary(m0, n0, L, W, BM: tl.constexpr, BN: tl.constexpr, CAUSAL: tl.constexpr):
    """False when every pair of the tile is inside the window (and causal order), so no mask is needed."""
    inside = (n0 + BN <= L) & (m0 + BM - 1 - n0 < W) & (n0 + BN - 1 - m0 < W)
    if CAUSAL:
        inside = inside & (n0 + BN - 1 <= m0)
    return inside == 0


@triton.jit
def _rows(PTR, base, offs, limit, s_l, s_d, D, BD: tl.constexpr):
    """(len(offs), BD) tile of one (batch, head)'s rows ``offs``; zero at rows >= limit and columns >= D."""
    offs_d = tl.arange(0, BD)
    return tl.load(PTR + base + offs[:, None] * s_l + offs_d[None, :] * s_d,
                   mask=(offs[:, None] < limit) & (offs_d[None, :] < D), other=0.0)


@triton.jit
def _store_rows(PTR, value, base, offs, L, s_l, s_d, D, BD: tl.constexpr):
    offs_d = tl.arange(0, BD)
    tl.store(PTR + base + offs[:, None] * s_l + offs_d[None, :] * s_d, value.to(PTR.dtype.element_ty),
             mask=(offs[:, None] < L) & (offs_d[None, :] < D))


@triton.jit
def _token_info(SEG, START, b, offs, L, s_sb, s_sl):
    """Segment run and segment start of tokens ``offs`` (clamped into the sequence)."""
    idx = b * s_sb + tl.minimum(offs, L - 1) * s_sl
    return tl.load(SEG + idx), tl.load(START + idx)


@triton.jit
def _pair(PTR, FAR, base, offs, limit, s_l, s_d, D, BD: tl.constexpr, HAS_FAR: tl.constexpr):
    """A tile and its capped-distance twin (the tile itself when there is none)."""
    x = _rows(PTR, base, offs, limit, s_l, s_d, D, BD)
    x_far = x
    if HAS_FAR:
        x_far = _rows(FAR, base, offs, limit, s_l, s_d, D, BD)
    return x, x_far


@triton.jit
def _fwd_kernel(Q, K, V, QF, KF, SEG, START, OUT, LSE, L, H, W, NS, scale,
                s_b, s_h, s_l, s_d, s_sb, s_sl, D,
                BM: tl.constexpr, BN: tl.constexpr, BD: tl.constexpr, CAUSAL: tl.constexpr,
                HAS_SEG: tl.constexpr, HAS_FAR: tl.constexpr, IEEE: tl.constexpr):
    mb, bh = tl.program_id(0), tl.program_id(1)
    b, base = bh // H, (bh // H) * s_b + (bh % H) * s_h
    m0 = mb * BM
    offs_m = m0 + tl.arange(0, BM)
    q, qf = _pair(Q, QF, base, offs_m, L, s_l, s_d, D, BD, HAS_FAR)
    seg_q, _ = _token_info(SEG, START, b, offs_m, L, s_sb, s_sl)
    m_i = tl.full((BM,), float("-inf"), tl.float32)
    l_i = tl.zeros((BM,), tl.float32)
    acc = tl.zeros((BM, BD), tl.float32)
    lo, hi = _span(m0, L, W, BM, BN, CAUSAL)
    # sinks of the first query's segment that lie before the window's span (all of them far keys)
    _, sink_lo = _token_info(SEG, START, b, m0, L, s_sb, s_sl)
    sink_hi = tl.minimum(sink_lo + NS, lo)
    for n0 in range(sink_lo, sink_hi, BN):
        m_i, l_i, acc = _fwd_tile(K, V, KF, SEG, START, q, qf, seg_q, offs_m, n0, L, W, NS, scale, sink_hi,
                                  base, s_l, s_d, s_sb, s_sl, b, D, m_i, l_i, acc, True,
                                  BN, BD, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    for n0 in range(lo, hi, BN):
        boundary = _is_boundary(m0, n0, L, W, BM, BN, CAUSAL)
        m_i, l_i, acc = _fwd_tile(K, V, KF, SEG, START, q, qf, seg_q, offs_m, n0, L, W, NS, scale, hi,
                                  base, s_l, s_d, s_sb, s_sl, b, D, m_i, l_i, acc, boundary,
                                  BN, BD, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    l_safe = tl.where(l_i > 0, l_i, 1.0)
    _store_rows(OUT, acc / l_safe[:, None], base, offs_m, L, s_l, s_d, D, BD)
    tl.store(LSE + bh * L + offs_m, m_i + tl.log(l_safe), mask=offs_m < L)


@triton.jit
def _key_scores(K, V, KF, SEG, START, q, qf, seg_q, offs_m, n0, L, W, NS, scale, key_end,
                base, s_l, s_d, s_sb, s_sl, b, D, boundary,
                BN: tl.constexpr, BD: tl.constexpr, CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr,
                HAS_FAR: tl.constexpr, IEEE: tl.constexpr):
    """Load key block n0 (keys past key_end count as absent) and score it against a query tile."""
    offs_n = n0 + tl.arange(0, BN)
    k, kf = _pair(K, KF, base, offs_n, key_end, s_l, s_d, D, BD, HAS_FAR)
    v = _rows(V, base, offs_n, key_end, s_l, s_d, D, BD)
    seg_k, start_k = _token_info(SEG, START, b, offs_n, L, s_sb, s_sl)
    s, far = _scores(q, k, qf, kf, offs_m, tl.where(offs_n < key_end, offs_n, L), seg_q, seg_k, start_k, L, W,
                     NS, scale, boundary, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    return s, far, k, kf, v


@triton.jit
def _fwd_tile(K, V, KF, SEG, START, q, qf, seg_q, offs_m, n0, L, W, NS, scale, key_end,
              base, s_l, s_d, s_sb, s_sl, b, D, m_i, l_i, acc, boundary,
              BN: tl.constexpr, BD: tl.constexpr, CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr,
              HAS_FAR: tl.constexpr, IEEE: tl.constexpr):
    s, far, k, kf, v = _key_scores(K, V, KF, SEG, START, q, qf, seg_q, offs_m, n0, L, W, NS, scale, key_end,
                                   base, s_l, s_d, s_sb, s_sl, b, D, boundary,
                                   BN, BD, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    m_new = tl.maximum(m_i, tl.max(s, axis=1))
    m_safe = tl.where(m_new == float("-inf"), 0.0, m_new)
    p = tl.exp(s - m_safe[:, None])
    alpha = tl.exp(m_i - m_safe)
    l_i = l_i * alpha + tl.sum(p, axis=1)
    acc = acc * alpha[:, None] + _dot(p.to(v.dtype), v, IEEE)
    return m_new, l_i, acc


@triton.jit
def _bwd_dq_kernel(Q, K, V, QF, KF, SEG, START, DO, LSE, DELTA, DQ, DQF, L, H, W, NS, scale,
                   s_b, s_h, s_l, s_d, s_sb, s_sl, D,
                   BM: tl.constexpr, BN: tl.constexpr, BD: tl.constexpr, CAUSAL: tl.constexpr,
                   HAS_SEG: tl.constexpr, HAS_FAR: tl.constexpr, IEEE: tl.constexpr):
    mb, bh = tl.program_id(0), tl.program_id(1)
    b, base = bh // H, (bh // H) * s_b + (bh % H) * s_h
    m0 = mb * BM
    offs_m = m0 + tl.arange(0, BM)
    q, qf = _pair(Q, QF, base, offs_m, L, s_l, s_d, D, BD, HAS_FAR)
    do = _rows(DO, base, offs_m, L, s_l, s_d, D, BD)
    seg_q, _ = _token_info(SEG, START, b, offs_m, L, s_sb, s_sl)
    lse = tl.load(LSE + bh * L + offs_m, mask=offs_m < L, other=0.0)
    delta = tl.load(DELTA + bh * L + offs_m, mask=offs_m < L, other=0.0)
    dq = tl.zeros((BM, BD), tl.float32)
    dqf = tl.zeros((BM, BD), tl.float32)
    lo, hi = _span(m0, L, W, BM, BN, CAUSAL)
    _, sink_lo = _token_info(SEG, START, b, m0, L, s_sb, s_sl)
    sink_hi = tl.minimum(sink_lo + NS, lo)
    for n0 in range(sink_lo, sink_hi, BN):
        dq, dqf = _dq_tile(K, V, KF, SEG, START, q, qf, do, lse, delta, seg_q, offs_m, n0, L, W, NS, scale,
                           sink_hi, base, s_l, s_d, s_sb, s_sl, b, D, dq, dqf, True,
                           BN, BD, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    for n0 in range(lo, hi, BN):
        boundary = _is_boundary(m0, n0, L, W, BM, BN, CAUSAL)
        dq, dqf = _dq_tile(K, V, KF, SEG, START, q, qf, do, lse, delta, seg_q, offs_m, n0, L, W, NS, scale,
                           hi, base, s_l, s_d, s_sb, s_sl, b, D, dq, dqf, boundary,
                           BN, BD, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    _store_rows(DQ, dq * scale, base, offs_m, L, s_l, s_d, D, BD)
    if HAS_FAR:
        _store_rows(DQF, dqf * scale, base, offs_m, L, s_l, s_d, D, BD)


@triton.jit
def _dq_tile(K, V, KF, SEG, START, q, qf, do, lse, delta, seg_q, offs_m, n0, L, W, NS, scale, key_end,
             base, s_l, s_d, s_sb, s_sl, b, D, dq, dqf, boundary,
             BN: tl.constexpr, BD: tl.constexpr, CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr,
             HAS_FAR: tl.constexpr, IEEE: tl.constexpr):
    s, far, k, kf, v = _key_scores(K, V, KF, SEG, START, q, qf, seg_q, offs_m, n0, L, W, NS, scale, key_end,
                                   base, s_l, s_d, s_sb, s_sl, b, D, boundary,
                                   BN, BD, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    p = tl.exp(s - lse[:, None])
    ds = p * (_dot(do, tl.trans(v), IEEE) - delta[:, None])
    if HAS_FAR:
        dq += _dot(tl.where(far, 0.0, ds).to(k.dtype), k, IEEE)
        dqf += _dot(tl.where(far, ds, 0.0).to(kf.dtype), kf, IEEE)
    else:
        dq += _dot(ds.to(k.dtype), k, IEEE)
    return dq, dqf


@triton.jit
def _bwd_dkdv_kernel(Q, K, V, QF, KF, SEG, START, DO, LSE, DELTA, DK, DV, DKF, L, H, W, NS, scale,
                     s_b, s_h, s_l, s_d, s_sb, s_sl, D,
                     BM: tl.constexpr, BN: tl.constexpr, BD: tl.constexpr, CAUSAL: tl.constexpr,
                     HAS_SEG: tl.constexpr, HAS_FAR: tl.constexpr, IEEE: tl.constexpr):
    nb, bh = tl.program_id(0), tl.program_id(1)
    b, base = bh // H, (bh // H) * s_b + (bh % H) * s_h
    n0 = nb * BN
    offs_n = n0 + tl.arange(0, BN)
    k, kf = _pair(K, KF, base, offs_n, L, s_l, s_d, D, BD, HAS_FAR)
    v = _rows(V, base, offs_n, L, s_l, s_d, D, BD)
    seg_k, start_k = _token_info(SEG, START, b, offs_n, L, s_sb, s_sl)
    keys = tl.where(offs_n < L, offs_n, L)
    dk = tl.zeros((BN, BD), tl.float32)
    dv = tl.zeros((BN, BD), tl.float32)
    dkf = tl.zeros((BN, BD), tl.float32)
    # queries within the window of some key of the block
    if CAUSAL:
        q_lo = n0
    else:
        q_lo = tl.maximum(n0 - W + 1, 0)
    q_lo = (q_lo // BM) * BM
    q_hi = tl.minimum(n0 + BN - 1 + W, L)
    q_hi = tl.cdiv(q_hi, BM) * BM
    for m0 in range(q_lo, q_hi, BM):
        boundary = _is_boundary(m0, n0, L, W, BM, BN, CAUSAL)
        dk, dv, dkf = _dkdv_tile(Q, QF, DO, LSE, DELTA, SEG, START, k, v, kf, seg_k, start_k, keys, m0, bh, L, W,
                                 NS, scale, base, s_l, s_d, s_sb, s_sl, b, D, dk, dv, dkf, boundary,
                                 BM, BD, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    # a block holding sinks is seen by every later query of its segment: walk the rest of the sequence
    has_sink = tl.max((((offs_n - start_k) < NS) & (offs_n < L)).to(tl.int32), axis=0)
    if has_sink > 0:
        for m0 in range(q_hi, L, BM):
            dk, dv, dkf = _dkdv_tile(Q, QF, DO, LSE, DELTA, SEG, START, k, v, kf, seg_k, start_k, keys, m0, bh, L,
                                     W, NS, scale, base, s_l, s_d, s_sb, s_sl, b, D, dk, dv, dkf, True,
                                     BM, BD, CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    _store_rows(DK, dk * scale, base, offs_n, L, s_l, s_d, D, BD)
    _store_rows(DV, dv, base, offs_n, L, s_l, s_d, D, BD)
    if HAS_FAR:
        _store_rows(DKF, dkf * scale, base, offs_n, L, s_l, s_d, D, BD)


@triton.jit
def _dkdv_tile(Q, QF, DO, LSE, DELTA, SEG, START, k, v, kf, seg_k, start_k, keys, m0, bh, L, W, NS, scale,
               base, s_l, s_d, s_sb, s_sl, b, D, dk, dv, dkf, boundary,
               BM: tl.constexpr, BD: tl.constexpr, CAUSAL: tl.constexpr, HAS_SEG: tl.constexpr,
               HAS_FAR: tl.constexpr, IEEE: tl.constexpr):
    offs_m = m0 + tl.arange(0, BM)
    q, qf = _pair(Q, QF, base, offs_m, L, s_l, s_d, D, BD, HAS_FAR)
    do = _rows(DO, base, offs_m, L, s_l, s_d, D, BD)
    seg_q, _ = _token_info(SEG, START, b, offs_m, L, s_sb, s_sl)
    lse = tl.load(LSE + bh * L + offs_m, mask=offs_m < L, other=float("inf"))  # padded rows: p = 0
    delta = tl.load(DELTA + bh * L + offs_m, mask=offs_m < L, other=0.0)
    s, far = _scores(q, k, qf, kf, offs_m, keys, seg_q, seg_k, start_k, L, W, NS, scale, boundary,
                     CAUSAL, HAS_SEG, HAS_FAR, IEEE)
    p = tl.exp(s - lse[:, None])  # (BM, BN)
    dv += _dot(tl.trans(p.to(do.dtype)), do, IEEE)
    ds = p * (_dot(do, tl.trans(v), IEEE) - delta[:, None])
    if HAS_FAR:
        dk += _dot(tl.trans(tl.where(far, 0.0, ds).to(q.dtype)), q, IEEE)
        dkf += _dot(tl.trans(tl.where(far, ds, 0.0).to(qf.dtype)), qf, IEEE)
    else:
        dk += _dot(tl.trans(ds.to(q.dtype)), q, IEEE)
    return dk, dv, dkf


def _empty(*shape: int, device: torch.device, dtype: torch.dtype) -> Tensor:
    """Every output and buffer of this module (tests poison it with NaN to catch unwritten elements)."""
    return torch.empty(shape, device=device, dtype=dtype)


def _empty_like(t: Tensor) -> Tensor:
    return _empty(*t.shape, device=t.device, dtype=t.dtype)


class _WindowAttention(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q: Tensor, k: Tensor, v: Tensor, q_far: Tensor | None, k_far: Tensor | None, seg: Tensor,
                start: Tensor, window: int, causal: bool, n_sinks: int, has_seg: bool, block: int) -> Tensor:
        b, length, h, d = q.shape
        o = _empty_like(q)
        lse = _empty(b, h, length, device=q.device, dtype=torch.float32)
        plan = attention_tile_plan(d, q.dtype)
        fwd_block, fwd_warps = (block, plan["forward"][1]) if block else plan["forward"]
        args = _args(q, seg, window, n_sinks, causal, has_seg, q_far is not None, fwd_block, fwd_warps)
        qf, kf = (q_far, k_far) if q_far is not None else (q, k)
        _fwd_kernel[(triton.cdiv(length, fwd_block), b * h)](q, k, v, qf, kf, seg, start, o, lse,
                                                              *args["runtime"], **args["meta"])
        ctx.save_for_backward(q, k, v, q_far, k_far, seg, start, o, lse)
        bwd_block, bwd_warps = (block, plan["backward"][1]) if block else plan["backward"]
        ctx.args = _args(q, seg, window, n_sinks, causal, has_seg, q_far is not None, bwd_block, bwd_warps)
        return o

    @staticmethod
    def backward(ctx, do: Tensor):
        q, k, v, q_far, k_far, seg, start, o, lse = ctx.saved_tensors
        args = ctx.args
        b, length, h, _ = q.shape
        do = do.contiguous()
        delta = (do.float() * o.float()).sum(-1).transpose(1, 2).contiguous()  # (B, H, L): rowsum(dO ∘ O)
        has_far = q_far is not None
        qf, kf = (q_far, k_far) if has_far else (q, k)
        dq, dk, dv = _empty_like(q), _empty_like(k), _empty_like(v)
        dqf, dkf = (_empty_like(q_far), _empty_like(k_far)) if has_far else (dq, dk)
        block = args["meta"]["BM"]
        grid = (triton.cdiv(length, block), b * h)
        _bwd_dq_kernel[grid](q, k, v, qf, kf, seg, start, do, lse, delta, dq, dqf, *args["runtime"], **args["meta"])
        _bwd_dkdv_kernel[grid](q, k, v, qf, kf, seg, start, do, lse, delta, dk, dv, dkf, *args["runtime"],
                               **args["meta"])
        return (dq, dk, dv, dqf if has_far else None, dkf if has_far else None,
                None, None, None, None, None, None, None)


def attention_tile_plan(head_dim: int, dtype: torch.dtype) -> dict[str, tuple[int, int]]:
    """{"forward" | "backward": (block, num_warps)} for a GPU launch.

    With 16-bit inputs a 64×64 block fits every GPU's shared memory at head width 64 (forward up to 128),
    without register spills except 12 B per thread in the dK/dV pass with far q/k (sm_90); the backward
    keeps q, k, v, dO and three accumulators live, and Triton stages fp32 operands with several times the
    shared memory of bf16 ones, so wider heads and fp32 take smaller blocks. The numbers behind these rules
    are in ``benchmarks/results/kernels_static.md``.
    """
    width = max(16, triton.next_power_of_2(head_dim))
    if dtype == torch.float32:
        forward = backward = 32 if width <= 64 else 16
    else:
        forward = 64 if width <= 128 else 32
        backward = 64 if width <= 64 else 32 if width <= 128 else 16
    return {"forward": (forward, 8 if forward >= 32 else 4), "backward": (backward, 8 if backward >= 32 else 4)}


def _args(q: Tensor, seg: Tensor, window: int, n_sinks: int, causal: bool, has_seg: bool, has_far: bool,
          block: int, num_warps: int) -> dict:
    b, length, h, d = q.shape
    # the kernels take (batch, head, token, feature) strides: any layout whose q, k, v, o share strides works
    strides = (q.stride(0), q.stride(2), q.stride(1), q.stride(3))
    runtime = (length, h, window, n_sinks, 1.0 / math.sqrt(d), *strides, *seg.stride(), d)
    meta = {"BM": block, "BN": block, "BD": max(16, triton.next_power_of_2(d)), "CAUSAL": causal,
            "HAS_SEG": has_seg, "HAS_FAR": has_far, "IEEE": ieee_dots(q.dtype), "num_warps": num_warps}
    return {"runtime": runtime, "meta": meta}


def window_attention_triton(q: Tensor, k: Tensor, v: Tensor, *, window: int, causal: bool = True,
                            segment_ids: Tensor | None = None, n_sinks: int = 0, q_far: Tensor | None = None,
                            k_far: Tensor | None = None, block: int | None = None) -> Tensor:
    """Flash sliding-window attention, (B, L, H, d) → (B, L, H, d); same contract as
    ``window_attention_reference``. ``window_attention`` is the public entry (it also takes ``cu_seqlens``).

    ``block`` (a power of two >= 16) forces the query and key tile size of both passes; by default
    ``attention_tile_plan`` picks them for the GPU.
    """
    b, length = q.shape[:2]
    if block is not None and (block < 16 or block & (block - 1)):
        raise ValueError(f"window_attention_triton: block must be a power of two >= 16, got {block}")
    if (q_far is None) != (k_far is None):
        raise ValueError("window_attention_triton: give both q_far and k_far, or neither")
    has_seg = segment_ids is not None
    seg = (segment_runs(segment_ids) if has_seg else torch.ones(b, length, dtype=torch.long, device=q.device))
    start = segment_start_index(seg).to(torch.int32).contiguous()
    seg = seg.to(torch.int32).contiguous()
    use_far = q_far is not None and n_sinks > 0
    contiguous = [t.contiguous() for t in (q, k, v)]
    far = [q_far.contiguous(), k_far.contiguous()] if use_far else [None, None]
    return _WindowAttention.apply(*contiguous, *far, seg, start, window, causal, n_sinks, has_seg, block)
