"""Pack several token sequences into one stream with ``segment_ids`` and restarting ``positions``.

Sequences-of-sequences (PoET's homolog prompts, several short documents in one row) are one flat
stream; ``segment_ids`` tell mixers where each sequence begins and ``positions`` restart at 0 in every
sequence, so RoPE carries no sequence-order signal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor


def pack_sequences(sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(tokens, segment_ids, positions)``, each (Σ len,): segment k holds sequence k, positions 0..len-1."""
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if len(lengths) == 0 or (lengths == 0).any():
        raise ValueError("pack_sequences: needs at least one sequence and no empty ones")
    tokens = np.concatenate(sequences)
    segment_ids = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.repeat(np.cumsum(lengths) - lengths, lengths)
    positions = np.arange(len(tokens)) - starts
    return tokens, segment_ids, positions


def pad_batch(rows: Sequence[dict[str, np.ndarray]], pad: dict[str, int]) -> dict[str, Tensor]:
    """Stack variable-length rows of named 1-D arrays into (B, L_max) tensors, padding each key with ``pad[key]``.

    Adds ``lengths`` (B,). Padding goes at the end, so causal models never read it for real tokens.
    """
    lengths = [len(next(iter(r.values()))) for r in rows]
    width = max(lengths)
    out: dict[str, Tensor] = {}
    for key, value in pad.items():
        batch = np.full((len(rows), width), value, dtype=np.int64)
        for i, row in enumerate(rows):
            batch[i, : len(row[key])] = row[key]
        out[key] = torch.from_numpy(batch)
    out["lengths"] = torch.tensor(lengths)
    return out
