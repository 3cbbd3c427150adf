"""Sliding forecasting windows over a scaled series, in Informer's layout.

Window i: encoder rows [i, i + seq_len); decoder rows [i + seq_len - label_len, i + seq_len + pred_len)
(the start token is the last ``label_len`` encoder steps, followed by the horizon).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset


class ForecastWindows(Dataset):
    """Every window of one split; ``values`` (L, C) float32 and ``marks`` (L, F) time features."""

    def __init__(self, values: np.ndarray, marks: np.ndarray, seq_len: int, label_len: int, pred_len: int,
                 source: str = "series") -> None:
        if label_len > seq_len:
            raise ValueError(f"label_len={label_len} cannot exceed seq_len={seq_len}")
        need = seq_len + pred_len
        if len(values) < need:
            raise ValueError(f"{source}: {len(values)} rows in this split, but one window needs seq_len + pred_len = "
                             f"{need}; use a longer series or shorter seq_len/pred_len")
        self.values = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32))
        self.marks = torch.from_numpy(np.ascontiguousarray(marks))
        self.seq_len, self.label_len, self.pred_len = seq_len, label_len, pred_len
        self.source = source

    def __len__(self) -> int:
        return len(self.values) - self.seq_len - self.pred_len + 1

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        enc_end = i + self.seq_len
        dec_start = enc_end - self.label_len
        dec_end = enc_end + self.pred_len
        return {"x": self.values[i:enc_end], "x_mark": self.marks[i:enc_end],
                "y": self.values[dec_start:dec_end], "y_mark": self.marks[dec_start:dec_end],
                "index": torch.tensor(i)}
