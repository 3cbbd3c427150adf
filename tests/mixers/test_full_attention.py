"""FullAttention against an explicit masked softmax with an independent (complex-number) RoPE (packing, step,
causality, bf16 and gradients: test_mixer_contract.py)."""

from __future__ import annotations

import math

import pytest
import torch

from seqkit.mixers import FullAttention

DT = torch.float64


def rope_freqs(head_dim, base=10000.0, truncate=None):
    f = base ** (-torch.arange(0, head_dim, 2, dtype=DT) / head_dim)
    if truncate is not None:
        a, b, rho = truncate
        f = torch.tensor([x if x >= b else (rho if x > a else 0.0) for x in f.tolist()], dtype=DT)
    return f


def complex_rope(x, positions, freqs, scale=1.0):
    """x (B, H, L, d), positions (B, L): pairs (2i, 2i+1) as complex numbers times e^{i·(p/scale)·θ_i}."""
    z = torch.complex(x[..., 0::2], x[..., 1::2])
    angle = (positions.to(DT) / scale)[:, None, :, None] * freqs  # (B, 1, L, d/2)
    z = z * torch.polar(torch.ones_like(angle), angle)
    return torch.stack([z.real, z.imag], dim=-1).flatten(-2)


def naive_attention(m, x, segment_ids=None, positions=None, causal=True, scale=1.0, truncate=None, base=10000.0):
    b, length, d_model = x.shape
    h, hd = m.n_heads, d_model // m.n_heads
    wq, wk, wv = m.qkv.weight.split(d_model, dim=0)
    q, k, v = ((x @ w.T).view(b, length, h, hd).transpose(1, 2) for w in (wq, wk, wv))  # (B, H, L, d)
    if positions is None:
        positions = torch.arange(length).expand(b, length)
    freqs = rope_freqs(hd, base, truncate)
    q, k = complex_rope(q, positions, freqs, scale), complex_rope(k, positions, freqs, scale)
    seg = segment_ids.tolist() if segment_ids is not None else None
    allowed = torch.tensor([[[(j <= i or not causal) and (seg is None or seg[bi][j] == seg[bi][i])
                              for j in range(length)] for i in range(length)] for bi in range(b)])  # (B, L, L)
    scores = torch.einsum("bhid,bhjd->bhij", q, k) / math.sqrt(hd)
    out = torch.softmax(scores.masked_fill(~allowed[:, None], -math.inf), dim=-1) @ v  # (B, H, L, d)
    return out.transpose(1, 2).reshape(b, length, d_model) @ m.out.weight.T


def make(d_model=16, n_heads=2, seed=0, **kw):
    torch.manual_seed(seed)
    return FullAttention(d_model, n_heads, **kw).double()


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("kw", [{}, {"rope_scale": 4.0}, {"rope_truncate": (0.01, 0.2, 0.05)}, {"rope_base": 100.0}])
def test_forward_and_grads_match_naive(causal, kw, assert_output_and_grads_match):
    m = make(**kw)
    x = torch.randn(2, 9, 16, dtype=DT, requires_grad=True)
    out = m(x, causal=causal)
    ref = naive_attention(m, x, causal=causal, scale=kw.get("rope_scale", 1.0), truncate=kw.get("rope_truncate"),
                          base=kw.get("rope_base", 10000.0))
    assert_output_and_grads_match(out, ref, [x, m.qkv.weight, m.out.weight])


@pytest.mark.parametrize("causal", [True, False])
def test_segments_and_positions_match_naive(causal):
    m = make(seed=1)
    x = torch.randn(2, 10, 16, dtype=DT)
    seg = torch.tensor([[0] * 4 + [1] * 6, [5] * 7 + [6] * 3])
    pos = torch.tensor([list(range(4)) + list(range(6)), list(range(7)) + list(range(3))])
    out = m(x, segment_ids=seg, positions=pos, causal=causal)
    torch.testing.assert_close(out, naive_attention(m, x, seg, pos, causal), rtol=1e-6, atol=1e-6)


def test_kv_cache_grows_with_the_sequence(step_loop):
    m = make(seed=3, rope_scale=2.0)
    _, state = step_loop(m, torch.randn(2, 11, 16, dtype=DT))
    assert state["k"].shape == (2, 2, 11, 8)  # (B, H, tokens seen, d): full attention keeps every key


def test_bad_input():
    m = make()
    with pytest.raises(ValueError, match="d_model=16"):
        m(torch.randn(2, 5, 12, dtype=DT))
    with pytest.raises(ValueError, match="d_model=16"):
        m(torch.randn(5, 16, dtype=DT))
    with pytest.raises(ValueError, match="segment_ids"):
        m(torch.randn(2, 5, 16, dtype=DT), segment_ids=torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="d_model=16"):
        m.step(torch.randn(2, 1, 16, dtype=DT), m.init_state(2))
    with pytest.raises(ValueError, match="n_heads=3"):
        FullAttention(16, 3)
    with pytest.raises(ValueError, match="n_heads=0"):
        FullAttention(16, 0)


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("layout", ["packed", "one_long_run"])
def test_segment_attention_matches_the_dense_mask_with_gradients(causal, layout, assert_output_and_grads_match):
    """The per-segment padded path (and its dense fallback) equals attention under the (L, L) segment mask."""
    from seqkit.mixers.full_attention import FullAttention, segment_attention

    torch.manual_seed(3)
    q, k, v = (torch.randn(2, 3, 23, 8, dtype=DT, requires_grad=True) for _ in range(3))
    if layout == "packed":
        seg = torch.tensor([[0] * 5 + [1] * 9 + [2] * 2 + [3] * 7, [4] * 11 + [7] * 11 + [4]])
    else:  # one long run among singletons: the padded batch would be too big, the dense fallback runs
        seg = torch.tensor([[0] * 17 + list(range(1, 7)), list(range(23))])
    got = segment_attention(q, k, v, seg, causal)
    mask = FullAttention._segment_mask(seg, causal)[:, None]
    want = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert_output_and_grads_match(got, want, [q, k, v], rtol=1e-10, atol=1e-10)
