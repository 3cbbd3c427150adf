"""Sliding-window attention with global sinks (LM-Infinite Λ-mask): dispatching entry point."""

from __future__ import annotations

from torch import Tensor

from seqkit.kernels.backend import choose_backend
from seqkit.kernels.segments import packed_segment_ids
from seqkit.kernels.window_attention.blocked import window_attention_blocked
from seqkit.kernels.window_attention.reference import window_attention_reference

__all__ = ["window_attention", "window_attention_blocked", "window_attention_reference"]


def window_attention(q: Tensor, k: Tensor, v: Tensor, *, window: int, causal: bool = True,
                     segment_ids: Tensor | None = None, cu_seqlens: Tensor | None = None, n_sinks: int = 0,
                     q_far: Tensor | None = None, k_far: Tensor | None = None, backend: str | None = None) -> Tensor:
    """Windowed attention with sinks, q, k, v (B, L, H, d) → (B, L, H, d); see ``window_attention_reference``.

    Packed sequences come as ``segment_ids`` (B, L) (a new segment starts where the id changes) or as
    ``cu_seqlens``: (n + 1,) integer offsets 0 = c_0 <= … <= c_n = L of n sequences packed in one row (B must
    be 1), sequence i holding tokens [c_i, c_{i+1}), exactly as segment ids 0, …, n - 1 would say
    (flash-attention's varlen convention). ``backend`` forces ``"triton"`` (flash kernels) or ``"torch"``
    (block-local PyTorch); default: $SEQKIT_KERNELS, else Triton for CUDA tensors.
    """
    segment_ids = packed_segment_ids(segment_ids, cu_seqlens, q.shape[0], q.shape[1], q.device, "window_attention")
    if choose_backend(q, backend) == "triton":
        from seqkit.kernels.window_attention.triton import window_attention_triton

        return window_attention_triton(q, k, v, window=window, causal=causal, segment_ids=segment_ids,
                                       n_sinks=n_sinks, q_far=q_far, k_far=k_far)
    return window_attention_blocked(q, k, v, window=window, causal=causal, segment_ids=segment_ids,
                                    n_sinks=n_sinks, q_far=q_far, k_far=k_far)
