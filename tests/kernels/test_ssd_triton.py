"""Triton SSD scan (seqkit/kernels/ssd/triton.py) against the step-by-step reference, forward and every
input gradient, under TRITON_INTERPRET=1 on CPU (tests/conftest.py sets it when there is no GPU)."""

import pytest
import torch

from seqkit.kernels.ssd import ssd_scan, ssd_scan_chunked, ssd_scan_reference
from seqkit.kernels.ssd import triton as ssd_triton


def _rel(a: torch.Tensor, ref: torch.Tensor) -> float:
    return float((a.detach().double() - ref.detach()).abs().max() / ref.detach().abs().max())


def _inputs(b: int = 2, length: int = 50, h: int = 4, g: int = 2, p: int = 20, n: int = 16, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(b, length, h, p, generator=gen, dtype=torch.float64)
    dt = torch.rand(b, length, h, generator=gen, dtype=torch.float64) * 0.5 + 0.05
    A = -torch.rand(h, generator=gen, dtype=torch.float64) - 0.2
    B = torch.randn(b, length, g, n, generator=gen, dtype=torch.float64)
    C = torch.randn(b, length, g, n, generator=gen, dtype=torch.float64)
    init = torch.randn(b, h, p, n, generator=gen, dtype=torch.float64)
    return x, dt, A, B, C, init


@pytest.fixture
def nan_buffers(monkeypatch):
    """Every buffer and output the Triton path allocates starts as NaN: an element no kernel writes fails."""
    monkeypatch.setattr(ssd_triton, "_empty", lambda *shape, device, dtype: torch.full(shape, float("nan"),
                                                                                        device=device, dtype=dtype))


# segments of 7, 20 and 23 tokens in row 0 (ids reused later: a new segment), one segment in row 1
SEGMENTS = torch.tensor([[3] * 7 + [1] * 20 + [3] * 23, [5] * 50])


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("with_segments", [False, True])
def test_float32_output_and_gradients_match_reference(nan_buffers, reverse, with_segments):
    """L = 50 with 16-token chunks (a ragged last chunk), head_dim 20 (not a power of two), 2 groups of 2
    heads, an initial state; y, the final state and all six input gradients within 1e-4 relative."""
    ref_inputs = [t.requires_grad_() for t in _inputs()]
    ours = [t.detach().float().requires_grad_() for t in ref_inputs]
    seg = SEGMENTS if with_segments else None
    y, final = ssd_triton.ssd_scan_triton(*ours[:5], chunk_size=16, segment_ids=seg, initial_state=ours[5],
                                          reverse=reverse)
    flip = (lambda t: t.flip(1)) if reverse else (lambda t: t)
    x, dt, A, B, C, init = ref_inputs
    y_ref, final_ref = ssd_scan_reference(flip(x), flip(dt), A, flip(B), flip(C),
                                          segment_ids=None if seg is None else flip(seg), initial_state=init)
    y_ref = flip(y_ref)
    assert _rel(y, y_ref) < 1e-4 and _rel(final, final_ref) < 1e-4
    wy, wf = torch.randn_like(y_ref), torch.randn_like(final_ref)
    got = torch.autograd.grad((y.double() * wy).sum() + (final.double() * wf).sum(), ours)
    want = torch.autograd.grad((y_ref * wy).sum() + (final_ref * wf).sum(), ref_inputs)
    for name, a, r in zip(("x", "dt", "A", "B", "C", "initial_state"), got, want, strict=True):
        assert torch.isfinite(a).all(), name
        assert _rel(a, r) < 1e-4, (name, _rel(a, r))


def test_bfloat16_inputs_follow_the_reference(nan_buffers):
    """bf16 x, dt, B, C (fp32 accumulation inside): within bf16 rounding of the float64 reference."""
    x, dt, A, B, C, _ = _inputs(b=1, length=40, h=2, g=1, p=16, n=16)
    y, final = ssd_triton.ssd_scan_triton(x.bfloat16(), dt.bfloat16(), A.float(), B.bfloat16(), C.bfloat16(),
                                          chunk_size=16)
    y_ref, final_ref = ssd_scan_reference(x, dt, A, B, C)
    assert y.dtype == torch.bfloat16 and _rel(y, y_ref) < 2e-2 and _rel(final, final_ref) < 2e-2


def test_dispatch_forces_either_path(monkeypatch):
    x, dt, A, B, C, _ = (t.float() for t in _inputs(b=1, length=33, h=2, g=1, p=16, n=16))
    want, _ = ssd_scan_chunked(x, dt, A, B, C, chunk_size=16)
    monkeypatch.setenv("SEQKIT_KERNELS", "triton")
    got, _ = ssd_scan(x, dt, A, B, C, chunk_size=16)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    rev_torch, _ = ssd_scan(x, dt, A, B, C, chunk_size=16, reverse=True, backend="torch")
    rev_triton, _ = ssd_scan(x, dt, A, B, C, chunk_size=16, reverse=True)
    torch.testing.assert_close(rev_triton, rev_torch, rtol=1e-4, atol=1e-5)
    monkeypatch.setenv("SEQKIT_KERNELS", "cuda")
    with pytest.raises(ValueError, match="SEQKIT_KERNELS"):
        ssd_scan(x, dt, A, B, C)


def test_non_power_of_two_chunk_is_refused():
    x, dt, A, B, C, _ = (t.float() for t in _inputs(b=1, length=20, h=2, g=1, p=16, n=16))
    with pytest.raises(ValueError, match="power of two"):
        ssd_triton.ssd_scan_triton(x, dt, A, B, C, chunk_size=24)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("backend", ["triton", "torch"])
def test_cu_seqlens_equals_segment_ids(nan_buffers, backend, reverse):
    """The public entry takes the packed form on both paths: offsets (0, 9, 34, 40) of one row give exactly what
    segment ids 0 (9 tokens), 1 (25), 2 (6) give, in either scan direction."""
    x, dt, A, B, C, init = (t.float() for t in _inputs(b=1, length=40, h=2, g=1, p=16, n=16))
    kw = {"chunk_size": 16, "initial_state": init, "reverse": reverse, "backend": backend}
    by_ids = ssd_scan(x, dt, A, B, C, segment_ids=torch.tensor([[0] * 9 + [1] * 25 + [2] * 6]), **kw)
    by_cu = ssd_scan(x, dt, A, B, C, cu_seqlens=torch.tensor([0, 9, 34, 40], dtype=torch.int32), **kw)
    for a, b in zip(by_cu, by_ids, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert not torch.allclose(by_cu[0], ssd_scan(x, dt, A, B, C, **kw)[0], atol=1e-3)  # the packing matters
    with pytest.raises(ValueError, match="cu_seqlens"):
        ssd_scan(x, dt, A, B, C, cu_seqlens=torch.tensor([0, 9, 30]), backend=backend)
    with pytest.raises(ValueError, match="not both"):
        ssd_scan(x, dt, A, B, C, cu_seqlens=torch.tensor([0, 40]), segment_ids=torch.zeros(1, 40), backend=backend)
    x2, dt2, B2, C2 = (torch.cat([t, t]) for t in (x, dt, B, C))
    with pytest.raises(ValueError, match="batch must be 1"):
        ssd_scan(x2, dt2, A, B2, C2, cu_seqlens=torch.tensor([0, 40]), backend=backend)


def test_tile_plan_narrows_the_chunk_for_wide_states_and_fp32_operands():
    """The rules benchmarks/results/kernels_static.md measured: 64-token chunks for 16-bit P = N = 64, half
    for d_state 128 or fp32 operands, a quarter for both; 8 warps throughout."""
    plan = ssd_triton.ssd_tile_plan
    assert plan(64, 64, torch.bfloat16) == (64, 8)
    assert plan(64, 128, torch.bfloat16) == (32, 8)
    assert plan(64, 64, torch.float32) == (32, 8)
    assert plan(64, 128, torch.float32) == (16, 8)
    assert plan(20, 16, torch.float32) == (64, 8)


def test_planned_launch_matches_reference(nan_buffers):
    """No chunk_size: the plan picks it (d_state 72 → 128-wide tiles, fp32 → 16-token chunks); y, the final
    state and the gradients of x, B and C agree with the reference (the chunk only changes the tiling)."""
    ref_inputs = [t.requires_grad_() for t in _inputs(b=1, length=37, h=2, g=1, p=8, n=72)]
    ours = [t.detach().float().requires_grad_() for t in ref_inputs]
    y, final = ssd_triton.ssd_scan_triton(*ours[:5], initial_state=ours[5])
    x, dt, A, B, C, init = ref_inputs
    y_ref, final_ref = ssd_scan_reference(x, dt, A, B, C, initial_state=init)
    assert _rel(y, y_ref) < 1e-4 and _rel(final, final_ref) < 1e-4
    w = torch.randn_like(y_ref)
    got = torch.autograd.grad((y.double() * w).sum(), [ours[0], ours[3], ours[4]])
    want = torch.autograd.grad((y_ref * w).sum(), [x, B, C])
    for name, a, r in zip(("x", "B", "C"), got, want, strict=True):
        assert _rel(a, r) < 1e-4, (name, _rel(a, r))
