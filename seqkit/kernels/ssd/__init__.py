"""Mamba-2 / SSD selective scan: ``ssd_scan`` dispatches to Triton (CUDA) or the chunked PyTorch path (CPU);
``ssd_step`` is the one-token recurrence that the reference scan and token-by-token decoding share."""

from __future__ import annotations

from torch import Tensor

from seqkit.kernels.backend import choose_backend
from seqkit.kernels.segments import packed_segment_ids
from seqkit.kernels.ssd.chunked import ssd_scan_chunked
from seqkit.kernels.ssd.reference import ssd_scan_reference
from seqkit.kernels.ssd.step import ssd_step

__all__ = ["ssd_scan", "ssd_scan_chunked", "ssd_scan_reference", "ssd_step"]


def ssd_scan(x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor, *, chunk_size: int = 64,
             segment_ids: Tensor | None = None, cu_seqlens: Tensor | None = None,
             initial_state: Tensor | None = None, reverse: bool = False,
             backend: str | None = None) -> tuple[Tensor, Tensor]:
    """Selective scan y, final_state = SSD(x, dt, A, B, C) in the (B, L, H, D) layout.

    Args:
        x (Tensor): inputs, (b, l, h, p).
        dt (Tensor): positive step sizes, (b, l, h).
        A (Tensor): negative decay rate per head, (h,).
        B (Tensor): input projections, (b, l, g, n); g groups shared by h/g heads each.
        C (Tensor): output projections, (b, l, g, n).
        chunk_size (int): tile of the PyTorch path (tuned for CPUs); the Triton path picks its own tile for
            the GPU (``ssd_tile_plan``). The chunk length changes only the order of floating-point
            operations, never the result.
        segment_ids (Tensor, Optional): (b, l) packed sequences; the state is reset where the id changes.
        cu_seqlens (Tensor, Optional): instead of ``segment_ids``, (n + 1,) integer offsets
            0 = c_0 <= … <= c_n = l of n sequences packed in one row (b must be 1): sequence i holds tokens
            [c_i, c_{i+1}), exactly as segment ids 0, …, n - 1 would say (flash-attention's varlen convention).
        initial_state (Tensor, Optional): (b, h, p, n) state before the first token read (the last token
            when ``reverse``); it reaches only the first segment read.
        reverse (bool): scan from the last token to the first (y stays in input order). The Triton kernels
            read the tensors back to front in place; the PyTorch path flips x, dt, B, C and the segment ids
            (copies), scans forward and flips y back.
        backend (str, Optional): ``"triton"`` or ``"torch"`` (default: $SEQKIT_KERNELS, else Triton for CUDA
            tensors).

    Returns:
        y (b, l, h, p) and the final state (b, h, p, n).
    """
    segment_ids = packed_segment_ids(segment_ids, cu_seqlens, x.shape[0], x.shape[1], x.device, "ssd_scan")
    if choose_backend(x, backend) == "triton":
        from seqkit.kernels.ssd.triton import ssd_scan_triton

        return ssd_scan_triton(x, dt, A, B, C, segment_ids=segment_ids, initial_state=initial_state,
                               reverse=reverse)
    if reverse:
        flip = [None if t is None else t.flip(1) for t in (x, dt, B, C, segment_ids)]
        y, state = ssd_scan_chunked(flip[0], flip[1], A, flip[2], flip[3], chunk_size=chunk_size,
                                    segment_ids=flip[4], initial_state=initial_state)
        return y.flip(1), state
    return ssd_scan_chunked(x, dt, A, B, C, chunk_size=chunk_size, segment_ids=segment_ids,
                            initial_state=initial_state)
