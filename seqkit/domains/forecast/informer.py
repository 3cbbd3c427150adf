"""Informer (Zhou et al., AAAI 2021): ProbSparse encoder with distilling + generative decoder.

The encoder's token mixer is a config choice: ``probsparse`` (Informer), ``full`` (Informer†, every
query active) or any seqkit mixer name run non-causally (e.g. ``mamba2`` with
``{"bidirectional": true}`` or ``s4d``) — a Mamba forecaster in the same head. The decoder takes
the last ``label_len`` inputs as a start token followed by zeros and predicts all ``pred_len``
steps in one forward pass.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.domains.forecast.embedding import DataEmbedding
from seqkit.mixers import ProbSparseAttention, build_mixer


def _encoder_mixer(name: str, d_model: int, n_heads: int, factor: int, dropout: float,
                   options: dict[str, Any]) -> nn.Module:
    if name in ("probsparse", "full"):
        return ProbSparseAttention(d_model, n_heads, factor, dropout, dense=name == "full")
    return build_mixer(name, d_model, **options)


class EncoderLayer(nn.Module):
    """Post-LN: x = LN(x + mixer(x)); x = LN(x + FFN(x)), FFN as two 1x1 convolutions (Linear)."""

    def __init__(self, mixer: nn.Module, d_model: int, d_ff: int, dropout: float) -> None:
        super().__init__()
        self.mixer = mixer
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model))
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = self.norm1(x + self.dropout(self.mixer(x, causal=False)))
        return self.norm2(x + self.dropout(self.ff(x)))


class DistillingLayer(nn.Module):
    """Self-attention distilling: Conv1d(k=3, circular) → BatchNorm → ELU → MaxPool(3, 2): L → ceil(L/2)."""

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(d_model, d_model, kernel_size=3, padding=1, padding_mode="circular")
        self.norm = nn.BatchNorm1d(d_model)
        self.pool = nn.MaxPool1d(kernel_size=3, stride=2, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        y = self.pool(F.elu(self.norm(self.conv(x.transpose(1, 2)))))  # (B, D, L/2)
        return y.transpose(1, 2)


class DecoderLayer(nn.Module):
    """Masked ProbSparse self-attention (mix), full cross-attention to the encoder, FFN; post-LN."""

    def __init__(self, d_model: int, n_heads: int, d_ff: int, factor: int, dropout: float, dense: bool) -> None:
        super().__init__()
        self.self_attn = ProbSparseAttention(d_model, n_heads, factor, dropout, mix=True, dense=dense)
        self.cross_attn = ProbSparseAttention(d_model, n_heads, factor, dropout, dense=True)
        self.ff = nn.Sequential(nn.Linear(d_model, d_ff), nn.GELU(), nn.Dropout(dropout), nn.Linear(d_ff, d_model))
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d_model), nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor, memory: Tensor, keep_last: int | None = None) -> Tensor:
        """``keep_last``: return only the last rows. Self-attention still reads every position, but the
        cross-attention and FFN, which act per row, then run on the kept rows alone (exact, and ~20% of a
        training step saved when the last decoder layer keeps only the pred_len horizon rows)."""
        x = self.norm1(x + self.dropout(self.self_attn(x, causal=True)))
        if keep_last is not None:
            x = x[:, -keep_last:]  # (B, keep_last, D)
        x = self.norm2(x + self.dropout(self.cross_attn(x, memory=memory, causal=False)))
        return self.norm3(x + self.dropout(self.ff(x)))


class Informer(nn.Module):
    """Encoder-decoder forecaster; ``forward`` returns (B, pred_len, c_out).

    Args mirror the paper's CLI: enc_in/dec_in/c_out channels, d_model 512, n_heads 8, e_layers 2,
    d_layers 1, d_ff 2048, factor 5, dropout 0.05, embed timeF, freq h, distil on. ``encoder_mixer``
    picks the encoder's token mixer (see module docstring); ``mixer_options`` are its options.
    """

    def __init__(self, enc_in: int, dec_in: int, c_out: int, pred_len: int, d_model: int = 512, n_heads: int = 8,
                 e_layers: int = 2, d_layers: int = 1, d_ff: int = 2048, factor: int = 5, dropout: float = 0.05,
                 embed: str = "timeF", freq: str = "h", distil: bool = True, encoder_mixer: str = "probsparse",
                 mixer_options: dict[str, Any] | None = None, decoder_attn: str = "probsparse") -> None:
        super().__init__()
        if decoder_attn not in ("probsparse", "full"):
            raise ValueError(f"decoder_attn must be 'probsparse' or 'full', got {decoder_attn!r}")
        self.pred_len = pred_len
        self.enc_embedding = DataEmbedding(enc_in, d_model, embed, freq, dropout)
        self.dec_embedding = DataEmbedding(dec_in, d_model, embed, freq, dropout)
        options = dict(mixer_options or {})
        self.encoder = nn.ModuleList(
            EncoderLayer(_encoder_mixer(encoder_mixer, d_model, n_heads, factor, dropout, options), d_model, d_ff,
                         dropout) for _ in range(e_layers))
        self.distilling = nn.ModuleList(DistillingLayer(d_model) for _ in range(e_layers - 1)) if distil else None
        self.enc_norm = nn.LayerNorm(d_model)
        self.decoder = nn.ModuleList(DecoderLayer(d_model, n_heads, d_ff, factor, dropout, decoder_attn == "full")
                                     for _ in range(d_layers))
        self.dec_norm = nn.LayerNorm(d_model)
        self.projection = nn.Linear(d_model, c_out)

    def encode(self, x: Tensor, x_mark: Tensor) -> Tensor:
        h = self.enc_embedding(x, x_mark)  # (B, seq_len, d_model)
        for i, layer in enumerate(self.encoder):
            h = layer(h)
            if self.distilling is not None and i < len(self.distilling):
                h = self.distilling[i](h)  # (B, L/2, d_model)
        return self.enc_norm(h)

    def forward(self, x: Tensor, x_mark: Tensor, dec_in: Tensor, dec_mark: Tensor) -> Tensor:
        """x (B, seq_len, enc_in); dec_in (B, label_len + pred_len, dec_in) with zeros over the horizon."""
        memory = self.encode(x, x_mark)
        h = self.dec_embedding(dec_in, dec_mark)  # (B, label_len + pred_len, d_model)
        for i, layer in enumerate(self.decoder):
            h = layer(h, memory, keep_last=self.pred_len if i == len(self.decoder) - 1 else None)
        return self.projection(self.dec_norm(h))  # (B, pred_len, c_out)


def decoder_input(y: Tensor, label_len: int, pred_len: int) -> Tensor:
    """Start token (the first ``label_len`` rows of y) followed by a zero placeholder for the horizon."""
    return torch.cat([y[:, :label_len], torch.zeros_like(y[:, -pred_len:])], dim=1)
