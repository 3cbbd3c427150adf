"""window_attention_blocked (block-local, linear memory) against the dense O(L²) reference, in the (B, L, H, d)
layout; cu_seqlens at the public entry."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from seqkit.kernels.window_attention import window_attention, window_attention_blocked, window_attention_reference

DT = torch.float64


def ids_from_lengths(lengths: list[int]) -> torch.Tensor:
    return torch.cat([torch.full((n,), i, dtype=torch.long) for i, n in enumerate(lengths)])


def make_qkv(b, h, length, d, *, seed=0, far=False, requires_grad=False):
    """q, k, v (and q_far, k_far) in the kernels' (B, L, H, d) layout."""
    gen = torch.Generator().manual_seed(seed)
    ts = [torch.randn(b, length, h, d, generator=gen, dtype=DT) for _ in range(5 if far else 3)]
    if requires_grad:
        for t in ts:
            t.requires_grad_(True)
    return ts


def compare(length, window, *, causal, n_sinks=0, far=False, segment_ids=None, b=2, h=2, d=4, seed=0):
    ts = make_qkv(b, h, length, d, seed=seed, far=far, requires_grad=True)
    q, k, v = ts[:3]
    q_far, k_far = (ts[3], ts[4]) if far else (None, None)
    kw = dict(window=window, causal=causal, segment_ids=segment_ids, n_sinks=n_sinks, q_far=q_far, k_far=k_far)
    ref = window_attention_reference(q, k, v, **kw)
    out = window_attention_blocked(q, k, v, **kw)
    assert out.shape == (b, length, h, d)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 7), dtype=DT)
    g_ref = torch.autograd.grad((ref * w).sum(), ts)
    g_out = torch.autograd.grad((out * w).sum(), ts)
    for name, a, r in zip(["q", "k", "v", "q_far", "k_far"], g_out, g_ref, strict=False):
        torch.testing.assert_close(a, r, rtol=1e-9, atol=1e-10, msg=lambda m, name=name: f"grad {name}: {m}")
    return ref


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("length,window", [(1, 4), (7, 4), (16, 4), (23, 5), (10, 32)])
@pytest.mark.parametrize("n_sinks,far", [(0, False), (2, False), (2, True)])
def test_blocked_matches_reference(causal, length, window, n_sinks, far):
    compare(length, window, causal=causal, n_sinks=n_sinks, far=far, seed=length * 13 + window)


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("n_sinks,far", [(0, False), (3, False), (3, True), (4, True)])
def test_blocked_matches_reference_with_segments(causal, n_sinks, far):
    # Lengths chosen so that boundaries fall on (t=8) and off block boundaries, with a length-1 and
    # a length-2 segment (shorter than n_sinks) and long segments whose sinks fall outside the window.
    seg = torch.stack([ids_from_lengths([8, 1, 14, 2, 12]), ids_from_lengths([3, 20, 1, 13]) + 50])
    compare(37, 4, causal=causal, n_sinks=n_sinks, far=far, segment_ids=seg, seed=n_sinks)


def test_dispatch_matches_reference():
    q, k, v, qf, kf = make_qkv(1, 2, 19, 4, far=True, seed=4)
    kw = dict(window=4, n_sinks=2, q_far=qf, k_far=kf)
    torch.testing.assert_close(window_attention(q, k, v, **kw), window_attention_reference(q, k, v, **kw),
                               rtol=1e-10, atol=1e-10)


def test_window_larger_than_length_is_full_attention():
    q, k, v = make_qkv(1, 2, 9, 4, seed=5)
    scores = torch.einsum("bihd,bjhd->bhij", q, k) / 2.0
    full_nc = (torch.softmax(scores, -1) @ v.transpose(1, 2)).transpose(1, 2)
    causal = ~torch.ones(9, 9, dtype=torch.bool).tril()
    full_c = (torch.softmax(scores.masked_fill(causal, -math.inf), -1) @ v.transpose(1, 2)).transpose(1, 2)
    for fn in (window_attention_reference, window_attention_blocked):
        torch.testing.assert_close(fn(q, k, v, window=9, causal=False), full_nc, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(fn(q, k, v, window=50, causal=True), full_c, rtol=1e-12, atol=1e-12)


def expected_by_loops(q, k, v, window, causal, n_sinks, seg, q_far=None, k_far=None):
    """Explicit per-(query, key) visibility rules of the Λ-mask, written out with loops."""
    _, length, _, d = q.shape
    out = torch.zeros_like(q)
    for i in range(length):
        start = i
        while start > 0 and seg[start - 1] == seg[i]:
            start -= 1
        weights, values = [], []
        for j in range(length):
            if seg[j] != seg[i]:
                continue
            dist = i - j
            local = abs(dist) < window and (dist >= 0 or not causal)
            is_sink = (j - start) < n_sinks and j >= start and dist >= 0
            if local:
                score = q[0, i, 0] @ k[0, j, 0]
            elif is_sink:
                score = (q_far[0, i, 0] @ k_far[0, j, 0]) if q_far is not None else (q[0, i, 0] @ k[0, j, 0])
            else:
                continue
            weights.append(score / math.sqrt(d))
            values.append(v[0, j, 0])
        p = torch.softmax(torch.stack(weights), 0)
        out[0, i, 0] = (p[:, None] * torch.stack(values)).sum(0)
    return out


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("n_sinks,far", [(0, False), (1, False), (2, True)])
@pytest.mark.parametrize("seg", [[0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1], [0, 1, 1, 1, 1, 1]])
def test_reference_matches_explicit_loops(causal, n_sinks, far, seg):
    q, k, v, qf, kf = make_qkv(1, 1, 6, 3, seed=sum(seg) + n_sinks, far=True)
    seg_t = torch.tensor([seg])
    kw = dict(q_far=qf, k_far=kf) if far else {}
    expected = expected_by_loops(q, k, v, 2, causal, n_sinks, seg, **kw)
    ref = window_attention_reference(q, k, v, window=2, causal=causal, segment_ids=seg_t, n_sinks=n_sinks, **kw)
    torch.testing.assert_close(ref, expected, rtol=1e-12, atol=1e-12)


def test_reference_visibility_pattern_l6():
    # Read the attention pattern back through v = one-hot(key index) and uniform scores (q = 0):
    # then row i of the output is the uniform distribution over the keys query i sees.
    length = 6
    q = torch.zeros(1, length, 1, length, dtype=DT)  # (B, L, H, d)
    k = torch.randn(1, length, 1, length, dtype=DT)
    v = torch.eye(length, dtype=DT)[None, :, None]
    visible_causal_w2_s1 = [  # window 2, one sink, causal: sink 0 is seen from everywhere
        [0], [0, 1], [0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 5]]
    visible_noncausal_w2 = [[0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5]]
    visible_seg_w3_s2 = [  # segments [0,0,0,0,0 | 1]: window 3, two sinks, causal
        [0], [0, 1], [0, 1, 2], [0, 1, 2, 3], [0, 1, 2, 3, 4], [5]]
    cases = [(dict(window=2, n_sinks=1, causal=True), None, visible_causal_w2_s1),
             (dict(window=2, n_sinks=0, causal=False), None, visible_noncausal_w2),
             (dict(window=3, n_sinks=2, causal=True), torch.tensor([[0, 0, 0, 0, 0, 1]]), visible_seg_w3_s2)]
    for kw, seg, visible in cases:
        expected = torch.zeros(length, length, dtype=DT)
        for i, keys in enumerate(visible):
            expected[i, keys] = 1.0 / len(keys)
        for fn in (window_attention_reference, window_attention_blocked):
            out = fn(q, k, v, segment_ids=seg, **kw)[0, :, 0]
            torch.testing.assert_close(out, expected, rtol=0, atol=1e-14, msg=lambda m, kw=kw: f"{kw}: {m}")


def test_far_scores_used_only_for_out_of_window_sinks():
    # Changing q_far/k_far must not change queries whose sinks are all inside their window.
    q, k, v, qf, kf = make_qkv(1, 1, 12, 4, far=True, seed=8)
    kw = dict(window=4, n_sinks=2)
    a = window_attention_blocked(q, k, v, q_far=qf, k_far=kf, **kw)
    b = window_attention_blocked(q, k, v, q_far=qf * 3, k_far=kf, **kw)
    torch.testing.assert_close(a[:, :4], b[:, :4], rtol=0, atol=1e-14)  # sink 0 is far from t >= 4
    assert (a[:, 4:] - b[:, 4:]).abs().amax(-1).min() > 1e-6


class MaxNumel(TorchDispatchMode):
    """Records the largest tensor any aten op returns."""

    def __init__(self):
        super().__init__()
        self.max_numel = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in torch.utils._pytree.tree_leaves(out):
            if isinstance(t, torch.Tensor):
                self.max_numel = max(self.max_numel, t.numel())
        return out


def largest_intermediate(fn, length, window, causal, n_sinks, backward):
    q, k, v, qf, kf = make_qkv(1, 1, length, 8, far=True, seed=1, requires_grad=backward)
    seg = ids_from_lengths([length // 3, length - length // 3])[None]
    with MaxNumel() as probe:
        o = fn(q, k, v, window=window, causal=causal, segment_ids=seg, n_sinks=n_sinks, q_far=qf, k_far=kf)
        if backward:
            o.sum().backward()
    return probe.max_numel


def test_probe_sees_quadratic_reference():
    # The probe can fail: the dense reference does build (L, L) tensors.
    assert largest_intermediate(window_attention_reference, 128, 16, True, 4, False) >= 128 * 128


@pytest.mark.parametrize("causal", [True, False])
def test_blocked_never_builds_quadratic_tensors(causal):
    length = 2048
    biggest = largest_intermediate(window_attention_blocked, length, 16, causal, 4, True)
    assert biggest < length * length // 4
    assert biggest <= 8 * length * 16 * 3  # O(L · window): a few (L, 3W) blocks of width d at most


def test_blocked_all_configurations_tiny_exhaustive():
    # Every window in 1..5 against every length in 1..9, causal or not, with sinks up to the window.
    for length, window in itertools.product(range(1, 10), range(1, 6)):
        for causal, n_sinks in itertools.product((True, False), {0, min(2, window), window}):
            q, k, v, qf, kf = make_qkv(1, 1, length, 2, far=True, seed=length * 10 + window)
            kw = dict(window=window, causal=causal, n_sinks=n_sinks, q_far=qf, k_far=kf)
            torch.testing.assert_close(window_attention_blocked(q, k, v, **kw),
                                       window_attention_reference(q, k, v, **kw), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("seg_id", [-1, -2])
@pytest.mark.parametrize("causal", [True, False])
def test_blocked_accepts_negative_segment_ids(seg_id, causal):
    # Segment ids are arbitrary labels: an id that happens to equal an internal sentinel must not
    # let real queries attend to padding or out-of-range filler keys.
    q, k, v = make_qkv(1, 1, 5, 4, seed=3)
    seg = torch.full((1, 5), seg_id)
    torch.testing.assert_close(window_attention_blocked(q, k, v, window=4, causal=causal, segment_ids=seg),
                               window_attention_reference(q, k, v, window=4, causal=causal, segment_ids=seg),
                               rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("causal", [True, False])
def test_cu_seqlens_equals_segment_ids_on_the_torch_path(causal):
    """The public entry's packed form: offsets (0, 9, 10, 30) of one row are segment ids 0 (9 tokens), 1 (one
    token), 2 (20 tokens), on the PyTorch path (the Triton one: test_window_attention_triton.py)."""
    q, k, v, qf, kf = make_qkv(1, 2, 30, 4, far=True, seed=9)
    kw = dict(window=4, causal=causal, n_sinks=2, q_far=qf, k_far=kf, backend="torch")
    by_ids = window_attention(q, k, v, segment_ids=ids_from_lengths([9, 1, 20])[None], **kw)
    by_cu = window_attention(q, k, v, cu_seqlens=torch.tensor([0, 9, 10, 30], dtype=torch.int32), **kw)
    torch.testing.assert_close(by_cu, by_ids, rtol=0, atol=0)
    assert not torch.allclose(by_cu, window_attention(q, k, v, **kw))  # the packing matters


def test_cu_seqlens_is_checked():
    q, k, v = make_qkv(2, 1, 10, 4)
    with pytest.raises(ValueError, match="batch must be 1"):
        window_attention(q, k, v, window=4, cu_seqlens=torch.tensor([0, 10]))
    q, k, v = make_qkv(1, 1, 10, 4)
    for bad in ([0, 4, 9], [1, 10], [0, 6, 4, 10]):
        with pytest.raises(ValueError, match="cu_seqlens"):
            window_attention(q, k, v, window=4, cu_seqlens=torch.tensor(bad))
    with pytest.raises(ValueError, match="not both"):
        window_attention(q, k, v, window=4, cu_seqlens=torch.tensor([0, 10]), segment_ids=torch.zeros(1, 10))
