"""Mamba-2 / SSD selective scan: ``ssd_scan`` dispatches to the fastest path for the tensors given."""

from __future__ import annotations

from torch import Tensor

from seqkit.kernels.ssd.chunked import ssd_scan_chunked
from seqkit.kernels.ssd.reference import ssd_scan_reference

__all__ = ["ssd_scan", "ssd_scan_chunked", "ssd_scan_reference"]


def ssd_scan(x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor, *, chunk_size: int = 64,
             segment_ids: Tensor | None = None, initial_state: Tensor | None = None,
             ) -> tuple[Tensor, Tensor]:
    """Selective scan y, final_state = SSD(x, dt, A, B, C); see ``ssd_scan_reference`` for shapes."""
    return ssd_scan_chunked(x, dt, A, B, C, chunk_size=chunk_size, segment_ids=segment_ids,
                            initial_state=initial_state)
