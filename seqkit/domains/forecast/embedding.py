"""Informer's data embedding: value Conv1d + fixed sinusoidal position + calendar (temporal) features.

``embed="timeF"`` projects the continuous calendar features linearly; ``embed="fixed"`` sums frozen
sinusoidal lookup tables for month, day, weekday, hour (and the 15-minute bucket for freq ``t``).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from seqkit.domains.forecast.time_features import FREQS

EMBEDS = ("timeF", "fixed")
MARK_SIZES = (13, 32, 7, 24, 4)  # month, day, weekday, hour, minute bucket


def sinusoid_table(n_positions: int, d_model: int) -> Tensor:
    """(n_positions, d_model) sin/cos table of the Transformer paper."""
    pos = torch.arange(n_positions, dtype=torch.float32)[:, None]
    div = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    table = torch.zeros(n_positions, d_model)
    table[:, 0::2] = torch.sin(pos * div)
    table[:, 1::2] = torch.cos(pos * div)[:, : d_model // 2]
    return table


class DataEmbedding(nn.Module):
    """(B, L, c_in) values + (B, L, F) marks → (B, L, d_model)."""

    def __init__(self, c_in: int, d_model: int, embed: str = "timeF", freq: str = "h", dropout: float = 0.05,
                 max_len: int = 5000) -> None:
        super().__init__()
        if embed not in EMBEDS:
            raise ValueError(f"embed must be one of {', '.join(EMBEDS)}, got {embed!r}")
        if freq not in FREQS:
            raise ValueError(f"freq must be one of {', '.join(FREQS)}, got {freq!r}")
        self.value = nn.Conv1d(c_in, d_model, kernel_size=3, padding=1, padding_mode="circular", bias=False)
        nn.init.kaiming_normal_(self.value.weight, mode="fan_in", nonlinearity="leaky_relu")
        self.register_buffer("position", sinusoid_table(max_len, d_model), persistent=False)
        self.embed = embed
        n_marks = 5 if freq == "t" else 4
        if embed == "timeF":
            self.temporal = nn.Linear(n_marks, d_model, bias=False)
        else:
            self.temporal = nn.ModuleList(nn.Embedding.from_pretrained(sinusoid_table(n, d_model), freeze=True)
                                          for n in MARK_SIZES[:n_marks])
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, marks: Tensor) -> Tensor:
        length = x.shape[1]
        if length > self.position.shape[0]:
            raise ValueError(f"sequence length {length} exceeds the positional table ({self.position.shape[0]})")
        out = self.value(x.transpose(1, 2)).transpose(1, 2)  # (B, L, d_model)
        out = out + self.position[:length]
        if self.embed == "timeF":
            out = out + self.temporal(marks.to(out.dtype))
        else:
            marks = marks.long()
            out = out + sum(table(marks[..., i]) for i, table in enumerate(self.temporal))
        return self.dropout(out)
