"""ssd_scan_chunked (vectorized CPU path) against ssd_scan_reference (the sequential recurrence), and ssd_step,
the one-token step the reference and the Mamba-2 mixer share."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from seqkit.kernels.ssd import ssd_scan, ssd_scan_chunked, ssd_scan_reference, ssd_step

DT = torch.float64


def make_inputs(b, length, h, p, g, n, *, seed=0, with_state=False, requires_grad=False):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(b, length, h, p, generator=gen, dtype=DT)
    dt = torch.rand(b, length, h, generator=gen, dtype=DT) * 0.5 + 0.05  # positive step sizes
    A = -(torch.rand(h, generator=gen, dtype=DT) * 2.0 + 0.1)  # negative decay rates
    B = torch.randn(b, length, g, n, generator=gen, dtype=DT)
    C = torch.randn(b, length, g, n, generator=gen, dtype=DT)
    s0 = torch.randn(b, h, p, n, generator=gen, dtype=DT) if with_state else None
    tensors = [x, dt, A, B, C] + ([s0] if with_state else [])
    if requires_grad:
        for t in tensors:
            t.requires_grad_(True)
    return x, dt, A, B, C, s0


def ids_from_lengths(lengths: list[int]) -> torch.Tensor:
    return torch.cat([torch.full((n,), i, dtype=torch.long) for i, n in enumerate(lengths)])


def check_against_reference(b, length, h, p, g, n, chunk, *, segment_ids=None, with_state=False, seed=0):
    x, dt, A, B, C, s0 = make_inputs(b, length, h, p, g, n, seed=seed, with_state=with_state, requires_grad=True)
    y_ref, s_ref = ssd_scan_reference(x, dt, A, B, C, segment_ids=segment_ids, initial_state=s0)
    y, s = ssd_scan_chunked(x, dt, A, B, C, chunk_size=chunk, segment_ids=segment_ids, initial_state=s0)
    assert y.shape == (b, length, h, p) and s.shape == (b, h, p, n)
    torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(s, s_ref, rtol=1e-10, atol=1e-10)

    # Gradients of a random projection of both outputs w.r.t. every input.
    gen = torch.Generator().manual_seed(seed + 1)
    wy = torch.randn(y.shape, generator=gen, dtype=DT)
    ws = torch.randn(s.shape, generator=gen, dtype=DT)
    inputs = [t for t in (x, dt, A, B, C, s0) if t is not None]
    g_ref = torch.autograd.grad((y_ref * wy).sum() + (s_ref * ws).sum(), inputs)
    g_new = torch.autograd.grad((y * wy).sum() + (s * ws).sum(), inputs)
    names = ["x", "dt", "A", "B", "C", "initial_state"]
    for name, a, r in zip(names, g_new, g_ref, strict=False):
        assert torch.isfinite(a).all(), name
        torch.testing.assert_close(a, r, rtol=1e-9, atol=1e-9, msg=lambda m, name=name: f"grad {name}: {m}")


@pytest.mark.parametrize("length", [1, 7, 16, 37, 100])
@pytest.mark.parametrize("chunk", [8, 16])
def test_chunked_matches_reference_plain(length, chunk):
    check_against_reference(2, length, 2, 3, 1, 4, chunk, seed=length * 31 + chunk)


@pytest.mark.parametrize("length,chunk", [(7, 8), (37, 8), (37, 16)])
def test_chunked_matches_reference_groups_and_initial_state(length, chunk):
    # 4 heads in 2 groups: heads 0,1 share B/C group 0, heads 2,3 group 1.
    check_against_reference(2, length, 4, 3, 2, 5, chunk, with_state=True, seed=length + chunk)


def test_chunked_matches_reference_with_segments():
    # Lengths 8 | 5 | 1 | 10 | 3 | 13 with chunk 8: first boundary exactly at a chunk boundary (t=8),
    # a length-1 segment, a segment spanning two chunk boundaries (t=14..23), total 40 (not a multiple of 16).
    a = ids_from_lengths([8, 5, 1, 10, 3, 13])
    # Second batch row: a different layout, also with a boundary at 16 and a length-1 segment at the end.
    b = ids_from_lengths([3, 13, 1, 22, 1])
    seg = torch.stack([a, b + 100])
    assert seg.shape == (2, 40)
    for chunk in (8, 16):
        check_against_reference(2, 40, 4, 2, 2, 3, chunk, segment_ids=seg, with_state=True, seed=chunk)


def test_chunked_segments_reset_state_at_chunk_boundary_only_segment():
    # A segment that starts exactly at each chunk boundary (every chunk its own segment).
    seg = ids_from_lengths([8, 8, 8, 3])[None]
    check_against_reference(1, 27, 2, 2, 1, 3, 8, segment_ids=seg, with_state=True, seed=5)


def test_initial_state_only_reaches_first_segment():
    x, dt, A, B, C, s0 = make_inputs(1, 20, 2, 3, 1, 4, with_state=True, seed=9)
    seg = ids_from_lengths([6, 14])[None]
    y0, _ = ssd_scan_chunked(x, dt, A, B, C, chunk_size=8, segment_ids=seg)
    y1, _ = ssd_scan_chunked(x, dt, A, B, C, chunk_size=8, segment_ids=seg, initial_state=s0)
    assert not torch.allclose(y0[:, :6], y1[:, :6])  # the first segment sees the initial state
    torch.testing.assert_close(y0[:, 6:], y1[:, 6:], rtol=0, atol=1e-12)  # the second does not


@pytest.mark.parametrize("chunk", [4, 8, 16])
def test_packing_equals_separate_runs(chunk):
    l1, l2 = 13, 22
    x, dt, A, B, C, s0 = make_inputs(1, l1 + l2, 2, 3, 1, 4, with_state=True, seed=chunk)
    seg = ids_from_lengths([l1, l2])[None]
    y, s = ssd_scan_chunked(x, dt, A, B, C, chunk_size=chunk, segment_ids=seg, initial_state=s0)
    y1, _ = ssd_scan_chunked(x[:, :l1], dt[:, :l1], A, B[:, :l1], C[:, :l1], chunk_size=chunk, initial_state=s0)
    y2, s2 = ssd_scan_chunked(x[:, l1:], dt[:, l1:], A, B[:, l1:], C[:, l1:], chunk_size=chunk)  # zero state
    torch.testing.assert_close(y[:, :l1], y1, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(y[:, l1:], y2, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(s, s2, rtol=1e-10, atol=1e-10)
    # ... and the segment ids matter: without them the second sequence sees the first one.
    y_nseg, _ = ssd_scan_chunked(x, dt, A, B, C, chunk_size=chunk, initial_state=s0)
    assert (y_nseg[:, l1:] - y2).abs().max() > 1e-3


def test_final_state_continues_the_scan():
    # Scanning [0, L) equals scanning [0, m) then [m, L) from the returned state.
    x, dt, A, B, C, _ = make_inputs(2, 30, 2, 3, 2, 4, seed=3)
    y, s = ssd_scan_chunked(x, dt, A, B, C, chunk_size=8)
    m = 11
    ya, sa = ssd_scan_chunked(x[:, :m], dt[:, :m], A, B[:, :m], C[:, :m], chunk_size=8)
    yb, sb = ssd_scan_chunked(x[:, m:], dt[:, m:], A, B[:, m:], C[:, m:], chunk_size=8, initial_state=sa)
    torch.testing.assert_close(torch.cat([ya, yb], dim=1), y, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(sb, s, rtol=1e-10, atol=1e-10)


def test_reference_matches_explicit_recurrence():
    # The reference itself, checked by a scalar loop over every index (tiny shapes).
    x, dt, A, B, C, s0 = make_inputs(1, 5, 2, 2, 1, 3, with_state=True, seed=11)
    y_ref, s_ref = ssd_scan_reference(x, dt, A, B, C, initial_state=s0)
    h_state = s0.clone()
    for t in range(5):
        for hh in range(2):
            a = torch.exp(dt[0, t, hh] * A[hh])
            for pp in range(2):
                for nn in range(3):
                    inp = dt[0, t, hh] * x[0, t, hh, pp] * B[0, t, 0, nn]
                    h_state[0, hh, pp, nn] = a * h_state[0, hh, pp, nn] + inp
                y_tp = sum(h_state[0, hh, pp, nn] * C[0, t, 0, nn] for nn in range(3))
                assert abs(float(y_tp - y_ref[0, t, hh, pp])) < 1e-12
    torch.testing.assert_close(s_ref, h_state, rtol=0, atol=1e-12)


def test_dispatch_uses_chunked_path():
    x, dt, A, B, C, _ = make_inputs(1, 19, 2, 2, 1, 3, seed=2)
    y, s = ssd_scan(x, dt, A, B, C, chunk_size=8)
    y_ref, s_ref = ssd_scan_reference(x, dt, A, B, C)
    torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(s, s_ref, rtol=1e-10, atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(
    b=st.integers(1, 2),
    length=st.integers(1, 40),
    groups_heads=st.sampled_from([(1, 1), (1, 2), (2, 2), (2, 4)]),
    p=st.integers(1, 3),
    n=st.integers(1, 4),
    chunk=st.sampled_from([1, 3, 8, 16]),
    cuts=st.lists(st.integers(1, 39), max_size=4),
    with_state=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_chunked_matches_reference_property(b, length, groups_heads, p, n, chunk, cuts, with_state, seed):
    g, h = groups_heads
    starts = torch.zeros(length, dtype=torch.long)
    for c in cuts:
        if c < length:
            starts[c] = 1
    seg = torch.cumsum(starts, 0)[None].expand(b, length).contiguous()
    x, dt, A, B, C, s0 = make_inputs(b, length, h, p, g, n, seed=seed, with_state=with_state)
    y_ref, s_ref = ssd_scan_reference(x, dt, A, B, C, segment_ids=seg, initial_state=s0)
    y, s = ssd_scan_chunked(x, dt, A, B, C, chunk_size=chunk, segment_ids=seg, initial_state=s0)
    torch.testing.assert_close(y, y_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(s, s_ref, rtol=1e-10, atol=1e-10)


def test_an_id_that_comes_back_starts_a_new_segment() -> None:
    # [0,0,0,1,1,1,0,...]: the second run of id 0 must not see the first (the reference resets on every change).
    torch.manual_seed(3)
    b, length, h, p, g, n = 1, 12, 2, 3, 1, 4
    x = torch.randn(b, length, h, p, dtype=torch.float64)
    dt = torch.rand(b, length, h, dtype=torch.float64)
    A = -torch.rand(h, dtype=torch.float64)
    B, C = (torch.randn(b, length, g, n, dtype=torch.float64) for _ in range(2))
    seg = torch.tensor([[0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]])
    expected, _ = ssd_scan_reference(x, dt, A, B, C, segment_ids=seg)
    alone, _ = ssd_scan_reference(x[:, 6:], dt[:, 6:], A, B[:, 6:], C[:, 6:])
    torch.testing.assert_close(expected[:, 6:], alone)
    for chunk in (4, 8, 16):
        got, _ = ssd_scan_chunked(x, dt, A, B, C, chunk_size=chunk, segment_ids=seg)
        torch.testing.assert_close(got, expected)


def test_ssd_step_is_the_recurrence_with_shared_group_projections():
    """h' = exp(dt A) h + dt x Bᵀ, y = h' C written out per head, with 2 groups of 2 heads (heads 0-1 read group 0's
    B and C); the same step with B and C given per head (g = h) agrees."""
    gen = torch.Generator().manual_seed(3)
    h, p, n = 4, 3, 5
    state, x_t = torch.randn(2, h, p, n, generator=gen, dtype=DT), torch.randn(2, h, p, generator=gen, dtype=DT)
    dt_t, A = torch.rand(2, h, generator=gen, dtype=DT) + 0.1, -torch.rand(h, generator=gen, dtype=DT) - 0.1
    B_t, C_t = torch.randn(2, 2, n, generator=gen, dtype=DT), torch.randn(2, 2, n, generator=gen, dtype=DT)
    y, new = ssd_step(state, x_t, dt_t, A, B_t, C_t)
    for b in range(2):
        for head in range(h):
            grp = head // 2
            want = torch.exp(dt_t[b, head] * A[head]) * state[b, head] + dt_t[b, head] * torch.outer(
                x_t[b, head], B_t[b, grp])
            torch.testing.assert_close(new[b, head], want, rtol=1e-12, atol=1e-12)
            torch.testing.assert_close(y[b, head], want @ C_t[b, grp], rtol=1e-12, atol=1e-12)
    per_head = ssd_step(state, x_t, dt_t, A, B_t.repeat_interleave(2, 1), C_t.repeat_interleave(2, 1))
    for a, b in zip(per_head, (y, new), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
