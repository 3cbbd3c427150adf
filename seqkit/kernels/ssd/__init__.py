"""Mamba-2 / SSD selective scan: ``ssd_scan`` dispatches to Triton (CUDA) or the chunked PyTorch path (CPU)."""

from __future__ import annotations

from torch import Tensor

from seqkit.kernels.backend import choose_backend
from seqkit.kernels.ssd.chunked import ssd_scan_chunked
from seqkit.kernels.ssd.reference import ssd_scan_reference

__all__ = ["ssd_scan", "ssd_scan_chunked", "ssd_scan_reference"]


def ssd_scan(x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor, *, chunk_size: int = 64,
             segment_ids: Tensor | None = None, initial_state: Tensor | None = None, reverse: bool = False,
             backend: str | None = None) -> tuple[Tensor, Tensor]:
    """Selective scan y, final_state = SSD(x, dt, A, B, C); see ``ssd_scan_reference`` for shapes.

    ``reverse`` scans from the last token to the first (y stays in input order); ``backend`` forces
    ``"triton"`` or ``"torch"`` (default: $SEQKIT_KERNELS, else Triton for CUDA tensors). ``chunk_size`` tiles
    the PyTorch path (tuned for CPUs); the Triton path picks its own tile for the GPU (``ssd_tile_plan``). The
    chunk length changes only the order of floating-point operations, never the result.
    """
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
