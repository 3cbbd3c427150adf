"""SlidingWindowAttention against an explicit O(L²) Λ-mask with LM-Infinite's distance cap (packing, step,
causality, bf16 and gradients: test_mixer_contract.py)."""

from __future__ import annotations

import math

import pytest
import torch

from seqkit.mixers import SlidingWindowAttention

DT = torch.float64


def complex_rope(x, positions, head_dim, base=10000.0):
    """x (B, H, L, d), positions (B, L): pairs (2i, 2i+1) as complex numbers times e^{i·p·θ_i}."""
    freqs = base ** (-torch.arange(0, head_dim, 2, dtype=DT) / head_dim)
    z = torch.complex(x[..., 0::2], x[..., 1::2])
    angle = positions.to(DT)[:, None, :, None] * freqs  # (B, 1, L, d/2)
    z = z * torch.polar(torch.ones_like(angle), angle)
    return torch.stack([z.real, z.imag], dim=-1).flatten(-2)


def naive_window(m, x, *, segment_ids=None, positions=None, causal=True):
    """Query i sees key j of its segment if |i-j| < window (j <= i when causal), scored with RoPE at the
    two positions; it also sees the first n_sinks tokens j of its segment with j <= i - window, scored as
    q rotated at distance_cap times the sink key unrotated."""
    b, length, d_model = x.shape
    h, hd = m.n_heads, d_model // m.n_heads
    wq, wk, wv = m.qkv.weight.split(d_model, dim=0)
    q, k, v = ((x @ w.T).view(b, length, h, hd).transpose(1, 2) for w in (wq, wk, wv))
    if positions is None:
        positions = torch.arange(length).expand(b, length)
    seg = segment_ids.tolist() if segment_ids is not None else [[0] * length] * b
    local = torch.zeros(b, length, length, dtype=torch.bool)
    sink = torch.zeros(b, length, length, dtype=torch.bool)
    for bi in range(b):
        for i in range(length):
            start = i
            while start > 0 and seg[bi][start - 1] == seg[bi][i]:
                start -= 1
            for j in range(length):
                if seg[bi][j] != seg[bi][i]:
                    continue
                if abs(i - j) < m.window and (j <= i or not causal):
                    local[bi, i, j] = True
                elif start <= j < start + m.n_sinks and j <= i:
                    sink[bi, i, j] = True
    near = torch.einsum("bhid,bhjd->bhij", complex_rope(q, positions, hd), complex_rope(k, positions, hd))
    q_cap = complex_rope(q, torch.full((b, length), m.distance_cap), hd)
    far = torch.einsum("bhid,bhjd->bhij", q_cap, k)  # sink keys unrotated
    scores = torch.where(sink[:, None], far, near) / math.sqrt(hd)
    scores = scores.masked_fill(~(local | sink)[:, None], -math.inf)
    o = torch.softmax(scores, dim=-1) @ v
    return o.transpose(1, 2).reshape(b, length, d_model) @ m.out.weight.T


def make(seed=0, d_model=16, n_heads=2, **kw):
    torch.manual_seed(seed)
    return SlidingWindowAttention(d_model, n_heads, **kw).double()


CONFIGS = [dict(window=4), dict(window=5, n_sinks=2), dict(window=4, n_sinks=2, distance_cap=9),
           dict(window=3, n_sinks=3, distance_cap=1), dict(window=40, n_sinks=1)]


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("kw", CONFIGS)
def test_forward_and_grads_match_naive(causal, kw, assert_output_and_grads_match):
    m = make(**kw)
    x = torch.randn(2, 17, 16, dtype=DT, requires_grad=True)
    out = m(x, causal=causal)
    ref = naive_window(m, x, causal=causal)
    assert_output_and_grads_match(out, ref, [x, m.qkv.weight, m.out.weight])


@pytest.mark.parametrize("causal", [True, False])
def test_segments_and_positions_match_naive(causal):
    m = make(seed=1, window=4, n_sinks=2, distance_cap=6)
    seg = torch.tensor([[0] * 9 + [1] * 1 + [2] * 10, [3] * 4 + [4] * 16])
    pos = torch.tensor([list(range(9)) + [0] + list(range(10)), list(range(4)) + list(range(16))])
    x = torch.randn(2, 20, 16, dtype=DT)
    for p in (None, pos):
        out = m(x, segment_ids=seg, positions=p, causal=causal)
        torch.testing.assert_close(out, naive_window(m, x, segment_ids=seg, positions=p, causal=causal),
                                   rtol=1e-6, atol=1e-6)


def test_distance_cap_changes_only_far_sink_scores():
    a, b = make(seed=2, window=4, n_sinks=2, distance_cap=4), make(seed=2, window=4, n_sinks=2, distance_cap=11)
    x = torch.randn(1, 12, 16, dtype=DT)
    ya, yb = a(x), b(x)
    torch.testing.assert_close(ya[:, :4], yb[:, :4], rtol=0, atol=1e-12)  # no sink is out of window yet
    assert (ya[:, 4:] - yb[:, 4:]).abs().amax(-1).min() > 1e-8


def test_non_causal_sees_future_within_window_only():
    m = make(seed=4, window=4)
    x = torch.randn(1, 14, 16, dtype=DT)
    x2 = x.clone()
    x2[:, 8] += torch.randn(16, dtype=DT)
    y, y2 = m(x, causal=False), m(x2, causal=False)
    assert (y2[:, 5:8] - y[:, 5:8]).abs().amax(-1).min() > 1e-6  # 5, 6, 7 are within 3 of token 8
    torch.testing.assert_close(y2[:, :5], y[:, :5], rtol=0, atol=1e-12)  # beyond the window: unchanged
    torch.testing.assert_close(y2[:, 12:], y[:, 12:], rtol=0, atol=1e-12)


def test_step_memory_stays_bounded():
    m = make(seed=6, window=4, n_sinks=2, distance_cap=7)
    state = m.init_state(1)
    shapes0 = {k: tuple(v.shape) for k, v in state.items() if torch.is_tensor(v)}
    x = torch.randn(1, 60, 16, dtype=DT)
    ys = []
    for t in range(60):
        y_t, state = m.step(x[:, t], state)
        ys.append(y_t)
        assert {k: tuple(v.shape) for k, v in state.items() if torch.is_tensor(v)} == shapes0
    assert shapes0["k"] == (1, 2, 4, 8) and shapes0["sink_k"] == (1, 2, 2, 8)
    torch.testing.assert_close(torch.stack(ys, 1)[:, -5:], m(x)[:, -5:], rtol=1e-10, atol=1e-10)


def test_bad_input():
    with pytest.raises(ValueError, match="window"):
        SlidingWindowAttention(16, 2, window=0)
    with pytest.raises(ValueError, match="n_sinks"):
        SlidingWindowAttention(16, 2, window=4, n_sinks=5)
    with pytest.raises(ValueError, match="n_sinks"):
        SlidingWindowAttention(16, 2, window=4, n_sinks=-1)
    with pytest.raises(ValueError, match="distance_cap"):
        SlidingWindowAttention(16, 2, window=4, n_sinks=1, distance_cap=-1)
    with pytest.raises(ValueError, match="n_heads=5"):
        SlidingWindowAttention(16, 5, window=4)
    m = make(window=4)
    with pytest.raises(ValueError, match="d_model=16"):
        m(torch.randn(1, 5, 8, dtype=DT))
    with pytest.raises(ValueError, match="d_model=16"):
        m.step(torch.randn(1, 8, dtype=DT), m.init_state(1))
