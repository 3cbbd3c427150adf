"""Split-key attention merged by log-sum-exp equals attention over all keys at once."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from seqkit.kernels.lse_attention import attend_with_lse, merge_attention


def _qkv(b: int, lq: int, lk: int, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(lq * 31 + lk)
    return tuple(torch.randn(b, 2, n, 8, generator=g, dtype=dtype) for n in (lq, lk, lk))


@pytest.mark.parametrize("causal", [False, True])
def test_fused_path_equals_explicit_form(causal: bool) -> None:
    """The CPU flash kernel (no mask, no grad) and the explicit form give the same output and lse."""
    q, k, v = _qkv(2, 9, 9)
    with torch.no_grad():
        fused_o, fused_lse = attend_with_lse(q, k, v, causal=causal)
    explicit_o, explicit_lse = attend_with_lse(q, k, v, causal=causal, mask=torch.ones(9, 9, dtype=torch.bool))
    scores = q @ k.transpose(-1, -2) / math.sqrt(8)
    if causal:
        scores = scores.masked_fill(~torch.ones(9, 9, dtype=torch.bool).tril(), float("-inf"))
    torch.testing.assert_close(fused_lse, torch.logsumexp(scores, -1), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(explicit_lse, fused_lse, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(explicit_o, fused_o, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("grad", [False, True])
def test_merging_two_key_blocks_equals_attention_over_their_union(grad: bool) -> None:
    """Cache block (no mask) + causal chunk block, merged, equals one causal attention over both."""
    q, k_cache, v_cache = _qkv(3, 5, 7)
    _, k_new, v_new = _qkv(3, 5, 5)
    with torch.set_grad_enabled(grad):
        if grad:
            q.requires_grad_(True)
        o1, lse1 = attend_with_lse(q, k_cache, v_cache)
        o2, lse2 = attend_with_lse(q, k_new, v_new, causal=True)
        merged = merge_attention(o1, lse1, o2, lse2)
        mask = torch.cat([torch.ones(5, 7, dtype=torch.bool), torch.ones(5, 5, dtype=torch.bool).tril()], dim=1)
        expected = F.scaled_dot_product_attention(q, torch.cat([k_cache, k_new], 2), torch.cat([v_cache, v_new], 2),
                                                  attn_mask=mask)
    torch.testing.assert_close(merged, expected, atol=1e-5, rtol=1e-5)
    if grad:  # the explicit form is differentiable end to end
        g_merged, = torch.autograd.grad(merged.sum(), q)
        g_expected, = torch.autograd.grad(expected.sum(), q)
        torch.testing.assert_close(g_merged, g_expected, atol=1e-5, rtol=1e-5)


def test_a_query_with_no_visible_key_drops_out_of_the_merge() -> None:
    """A fully masked row has lse -inf and weight 0; the other block alone decides its output."""
    q, k, v = _qkv(1, 4, 4)
    mask = torch.ones(4, 4, dtype=torch.bool)
    mask[2] = False
    o1, lse1 = attend_with_lse(q, k, v, mask=mask)
    assert torch.isinf(lse1[..., 2]).all() and (o1[..., 2, :] == 0).all()
    o2, lse2 = attend_with_lse(q, k.flip(2), v.flip(2))
    merged = merge_attention(o1, lse1, o2, lse2)
    torch.testing.assert_close(merged[..., 2, :], o2[..., 2, :])
    assert torch.isfinite(merged).all()
