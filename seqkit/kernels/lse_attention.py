"""Attention over separate key blocks, merged exactly by log-sum-exp.

Softmax attention over keys K = K₁ ∪ K₂ equals the two partial attentions o₁, o₂ weighted by their
normalisers: o = σ(lse₁ − lse₂)·o₁ + σ(lse₂ − lse₁)·o₂, with lseᵢ = log Σ_{k∈Kᵢ} exp(q·k/√d). This lets a
cached prompt (one copy, batch 1) be attended without a mask and without copying it per row, while the
chunk's own causal part runs as a small masked attention — PoET's many-variants-one-prompt scoring.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

__all__ = ["attend_with_lse", "merge_attention"]


def attend_with_lse(q: Tensor, k: Tensor, v: Tensor, *, causal: bool = False,
                    mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Softmax attention (B, H, Lq, d) and its log-normaliser (B, H, Lq) (float32, or float64 for doubles).

    ``mask`` (B or 1, 1 or H, Lq, Lk) bool, True where a query may read a key; ``causal`` aligns the last
    query with the last key. Without a mask and without autograd, CPU tensors take the fused flash kernel
    (blocked, never materialises Lq × Lk); otherwise an explicit, differentiable form is used. A query
    that can read no key gets output 0 and lse −inf, so it drops out of ``merge_attention``.
    """
    needs_grad = torch.is_grad_enabled() and (q.requires_grad or k.requires_grad or v.requires_grad)
    if (q.device.type == "cpu" and mask is None and not needs_grad and q.dtype in (torch.float32, torch.bfloat16)
            and (not causal or q.shape[2] == k.shape[2]) and k.shape[2] > 0):
        o, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, k, v, 0.0, causal)
        return o, lse.float()
    wide = torch.promote_types(q.dtype, torch.float32)  # half inputs in float32, double stays double
    scores = (q @ k.transpose(-1, -2)).to(wide) / math.sqrt(q.shape[-1])  # (B, H, Lq, Lk)
    if causal:
        lq, lk = q.shape[2], k.shape[2]
        allowed = torch.ones(lq, lk, dtype=torch.bool, device=q.device).tril(lk - lq)
        mask = allowed if mask is None else mask & allowed
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    lse = torch.logsumexp(scores, dim=-1)  # (B, H, Lq)
    weights = torch.exp(scores - lse[..., None].masked_fill(torch.isinf(lse)[..., None], 0.0))
    return (weights.to(v.dtype) @ v), lse


def merge_attention(o1: Tensor, lse1: Tensor, o2: Tensor, lse2: Tensor) -> Tensor:
    """Combine attentions over two disjoint key sets into attention over their union, (B, H, L, d)."""
    dtype = torch.promote_types(lse1.dtype, lse2.dtype)  # the fused kernel's float32 with a double path
    lse1, lse2 = lse1.to(dtype), lse2.to(dtype)
    total = torch.logaddexp(lse1, lse2)  # (B, H, L)
    w1 = torch.exp(lse1 - total).nan_to_num(0.0)[..., None]  # nan only where both sets are empty
    w2 = torch.exp(lse2 - total).nan_to_num(0.0)[..., None]
    wide = torch.promote_types(o1.dtype, torch.float32)
    return (o1.to(wide) * w1 + o2.to(wide) * w2).to(o1.dtype)
