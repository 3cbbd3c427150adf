"""Segment bookkeeping for packed sequences (segment_ids: contiguous runs of equal ids)."""

from __future__ import annotations

import torch
from torch import Tensor


def segment_starts(segment_ids: Tensor) -> Tensor:
    """Boolean (B, L): True where a new segment begins (position 0 or an id change)."""
    starts = torch.ones_like(segment_ids, dtype=torch.bool)
    starts[:, 1:] = segment_ids[:, 1:] != segment_ids[:, :-1]
    return starts


def segment_start_index(segment_ids: Tensor) -> Tensor:
    """For each token, the index where its segment begins, (B, L) long."""
    idx = torch.arange(segment_ids.shape[1], device=segment_ids.device).expand_as(segment_ids)
    return torch.cummax(torch.where(segment_starts(segment_ids), idx, torch.zeros_like(idx)), dim=1).values


def in_segment_index(segment_ids: Tensor | None, batch: int, length: int, device: torch.device) -> Tensor:
    """Index of each token inside its segment, (B, L) long; ``arange`` when there are no segments."""
    idx = torch.arange(length, device=device).expand(batch, length)
    if segment_ids is None:
        return idx
    return idx - segment_start_index(segment_ids)


def segment_runs(segment_ids: Tensor) -> Tensor:
    """Renumber segments as contiguous runs 1, 2, 3, … per row, so any id values (negative, reused
    after another id) mean the same thing everywhere: a new segment starts where the id changes."""
    return torch.cumsum(segment_starts(segment_ids).long(), dim=1)


def segment_ids_from_cu_seqlens(cu_seqlens: Tensor, length: int, batch: int = 1) -> Tensor:
    """(1, L) segment ids of packed variable-length sequences given as cumulative lengths (0, l1, l1+l2, …, L),
    the ``cu_seqlens`` convention of flash-attention style kernels; the input must be a batch of 1."""
    if batch != 1:
        raise ValueError(f"cu_seqlens describes one packed row: the batch must be 1, got {batch}")
    if cu_seqlens.dim() != 1 or cu_seqlens.dtype.is_floating_point or cu_seqlens.numel() < 2 or \
            int(cu_seqlens[0]) != 0 or int(cu_seqlens[-1]) != length or bool((cu_seqlens[1:] < cu_seqlens[:-1]).any()):
        raise ValueError(f"cu_seqlens must be integers rising from 0 to L={length}, got {cu_seqlens.tolist()}")
    positions = torch.arange(length, device=cu_seqlens.device)
    return torch.bucketize(positions, cu_seqlens[1:-1].long(), right=True)[None]


def packed_segment_ids(segment_ids: Tensor | None, cu_seqlens: Tensor | None, batch: int, length: int,
                       device: torch.device, caller: str) -> Tensor | None:
    """The segment ids a kernel entry point runs with, from either form of packing (or neither).

    ``segment_ids`` (B, L): a new segment starts wherever the id changes. ``cu_seqlens`` (n + 1,) integers
    0 = c_0 <= c_1 <= … <= c_n = L: sequence i holds tokens [c_i, c_{i+1}) of a batch of one row (B == 1),
    the varlen convention of flash-attention; it is turned into the equivalent ids 0, 1, …, n - 1.
    """
    if cu_seqlens is None:
        return segment_ids
    if segment_ids is not None:
        raise ValueError(f"{caller}: give segment_ids or cu_seqlens, not both")
    return segment_ids_from_cu_seqlens(cu_seqlens.to(device), length, batch)
