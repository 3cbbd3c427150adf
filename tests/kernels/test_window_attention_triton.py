"""Triton flash window attention (seqkit/kernels/window_attention/triton.py) against the dense reference,
forward and every input gradient, in the (B, L, H, d) layout, under TRITON_INTERPRET=1 on CPU (tests/conftest.py
sets it)."""

import pytest
import torch
import torch.nn.functional as F

from seqkit.kernels.window_attention import triton as win_triton
from seqkit.kernels.window_attention import window_attention, window_attention_blocked, window_attention_reference


def _rel(a: torch.Tensor, ref: torch.Tensor) -> float:
    return float((a.detach().double() - ref.detach()).abs().max() / ref.detach().abs().max())


@pytest.fixture
def nan_buffers(monkeypatch):
    """Every output and buffer the kernels write starts as NaN: an element no kernel writes fails."""
    monkeypatch.setattr(win_triton, "_empty", lambda *shape, device, dtype: torch.full(shape, float("nan"),
                                                                                        device=device, dtype=dtype))


# row 0: segments of 10, 35 and 25 tokens (id 0 comes back: a new segment); row 1: one segment
SEGMENTS = torch.tensor([[0] * 10 + [1] * 35 + [0] * 25, [2] * 70])
CASES = [  # causal, window, n_sinks, far (capped-distance q/k for sinks), segments
    (True, 16, 2, True, True),
    (False, 16, 2, True, True),
    (True, 23, 0, False, False),  # window not a multiple of the 16-token blocks
    (False, 20, 3, False, True),
    (True, 40, 4, False, False),
]


@pytest.mark.parametrize(("causal", "window", "n_sinks", "far", "segments"), CASES)
def test_float32_output_and_gradients_match_reference(nan_buffers, causal, window, n_sinks, far, segments):
    """L = 70 (not a multiple of the 16-token blocks), head_dim 20; output and the gradients of q, k, v (and
    q_far, k_far) within 1e-4 relative of the float64 dense reference."""
    gen = torch.Generator().manual_seed(0)
    ref_in = [torch.randn(2, 70, 2, 20, generator=gen, dtype=torch.float64, requires_grad=True) for _ in range(5)]
    ours = [t.detach().float().requires_grad_() for t in ref_in]
    n = 5 if far else 3
    kw = {"window": window, "causal": causal, "n_sinks": n_sinks, "segment_ids": SEGMENTS if segments else None}
    ref = window_attention_reference(*ref_in[:3], **kw, **({"q_far": ref_in[3], "k_far": ref_in[4]} if far else {}))
    out = win_triton.window_attention_triton(*ours[:3], **kw, block=16,
                                             **({"q_far": ours[3], "k_far": ours[4]} if far else {}))
    assert _rel(out, ref) < 1e-4
    w = torch.randn_like(ref)
    got = torch.autograd.grad((out.double() * w).sum(), ours[:n])
    want = torch.autograd.grad((ref * w).sum(), ref_in[:n])
    for name, a, r in zip(("q", "k", "v", "q_far", "k_far")[:n], got, want, strict=True):
        assert torch.isfinite(a).all(), name
        assert _rel(a, r) < 1e-4, (name, _rel(a, r))


@pytest.mark.parametrize("backend", ["triton", "torch"])
def test_cu_seqlens_equals_segment_ids(nan_buffers, backend):
    """The public entry takes the packed form on both paths: offsets (0, 13, 43, 50) of one row give exactly
    what segment ids 0 (13 tokens), 1 (30), 2 (7) give, forward and gradients."""
    q, k, v = torch.randn(3, 1, 50, 2, 16).unbind(0)
    kw = {"window": 8, "n_sinks": 2, "backend": backend}
    by_ids = window_attention(q, k, v, segment_ids=torch.tensor([[0] * 13 + [1] * 30 + [2] * 7]), **kw)
    ours = [t.clone().requires_grad_() for t in (q, k, v)]
    by_cu = window_attention(*ours, cu_seqlens=torch.tensor([0, 13, 43, 50], dtype=torch.int32), **kw)
    torch.testing.assert_close(by_cu, by_ids, rtol=0, atol=0)
    assert not torch.allclose(by_cu, window_attention(q, k, v, **kw), atol=1e-3)  # the packing matters
    ref = window_attention_reference(*(t.double() for t in (q, k, v)), window=8, n_sinks=2,
                                     segment_ids=torch.tensor([[0] * 13 + [1] * 30 + [2] * 7]))
    assert _rel(by_cu, ref) < 1e-4
    assert all(torch.isfinite(g).all() for g in torch.autograd.grad(by_cu.square().sum(), ours))
    with pytest.raises(ValueError, match="cu_seqlens"):
        window_attention(q, k, v, window=8, cu_seqlens=torch.tensor([0, 13, 49]), backend=backend)


def test_bfloat16_inputs_follow_the_reference(nan_buffers):
    q, k, v = torch.randn(3, 1, 40, 2, 16, dtype=torch.float64).unbind(0)
    ref = window_attention_reference(q, k, v, window=12, n_sinks=2)
    out = win_triton.window_attention_triton(q.bfloat16(), k.bfloat16(), v.bfloat16(), window=12, n_sinks=2,
                                             block=16)
    assert out.dtype == torch.bfloat16 and _rel(out, ref) < 2e-2


def test_covers_poet_within_and_between_sequence_attention(nan_buffers):
    """PoET's tiered layer needs causal attention inside each sequence of a packed prompt and causal attention
    across the whole prompt: the window kernel with window >= L does both (segment_ids = sequence ids, or
    none), matching masked dense attention."""
    gen = torch.Generator().manual_seed(1)
    q, k, v = torch.randn(3, 1, 45, 2, 16, generator=gen).unbind(0)  # (B, L, H, d)
    seq_ids = torch.tensor([[0] * 12 + [1] * 20 + [2] * 13])
    i = torch.arange(45)
    causal = i[:, None] >= i[None, :]
    same = seq_ids[0][:, None] == seq_ids[0][None, :]
    within = win_triton.window_attention_triton(q, k, v, window=45, segment_ids=seq_ids, block=16)
    between = win_triton.window_attention_triton(q, k, v, window=45, block=16)
    qh, kh, vh = (t.transpose(1, 2) for t in (q, k, v))  # SDPA's (B, H, L, d)
    torch.testing.assert_close(within, F.scaled_dot_product_attention(qh, kh, vh, attn_mask=causal & same)
                               .transpose(1, 2), rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(between, F.scaled_dot_product_attention(qh, kh, vh, attn_mask=causal)
                               .transpose(1, 2), rtol=1e-5, atol=1e-5)


def test_dispatch_forces_either_path(monkeypatch):
    q, k, v = torch.randn(3, 1, 33, 2, 16).unbind(0)
    want = window_attention_blocked(q, k, v, window=8, n_sinks=2)
    torch.testing.assert_close(window_attention(q, k, v, window=8, n_sinks=2, backend="triton"), want,
                               rtol=1e-4, atol=1e-5)
    monkeypatch.setenv("SEQKIT_KERNELS", "torch")
    torch.testing.assert_close(window_attention(q, k, v, window=8, n_sinks=2), want, rtol=0, atol=0)


def test_tile_plan_narrows_blocks_for_wide_heads_and_fp32_operands():
    """The rules benchmarks/results/kernels_static.md measured: 16-bit heads of 64 take 64-wide blocks both
    ways; heads of 128 keep them forward and halve them backward; fp32 operands take 32 (16 from 128)."""
    plan = win_triton.attention_tile_plan
    assert plan(64, torch.bfloat16) == {"forward": (64, 8), "backward": (64, 8)}
    assert plan(128, torch.bfloat16) == {"forward": (64, 8), "backward": (32, 8)}
    assert plan(64, torch.float32) == {"forward": (32, 8), "backward": (32, 8)}
    assert plan(128, torch.float32) == {"forward": (16, 4), "backward": (16, 4)}


def test_planned_launch_matches_reference(nan_buffers):
    """No block: the plan picks 32-token blocks (fp32, head_dim 40) for both passes; Λ-mask with segments
    and far q/k, output and all five gradients against the reference."""
    gen = torch.Generator().manual_seed(1)
    ref_in = [torch.randn(1, 70, 2, 40, generator=gen, dtype=torch.float64, requires_grad=True) for _ in range(5)]
    ours = [t.detach().float().requires_grad_() for t in ref_in]
    kw = {"window": 19, "n_sinks": 2, "segment_ids": SEGMENTS[:1]}
    ref = window_attention_reference(*ref_in[:3], **kw, q_far=ref_in[3], k_far=ref_in[4])
    out = win_triton.window_attention_triton(*ours[:3], **kw, q_far=ours[3], k_far=ours[4])
    assert _rel(out, ref) < 1e-4
    w = torch.randn_like(ref)
    got = torch.autograd.grad((out.double() * w).sum(), ours)
    want = torch.autograd.grad((ref * w).sum(), ref_in)
    for name, a, r in zip(("q", "k", "v", "q_far", "k_far"), got, want, strict=True):
        assert _rel(a, r) < 1e-4, (name, _rel(a, r))
