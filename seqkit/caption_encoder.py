"""A small caption encoder trained with a generative model, since CLIP weights cannot be downloaded here.

Shared by the heads that generate from text (motion, video). Captions are split into words
(``tokenize_caption``), mapped through a vocabulary built from the training captions, and read by a
non-causal seqkit backbone after a summary token; that token's output is the caption's embedding
(B, d_model), the one text token a denoiser is conditioned on (as MLD's pooled CLIP text feature). A model
can instead take precomputed embeddings from any encoder (``text_dim`` wide).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import torch
from torch import Tensor, nn

from seqkit.backbone import Backbone

PAD, UNK, SUMMARY = "<pad>", "<unk>", "<summary>"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]|_")


def tokenize_caption(text: str) -> list[str]:
    """Lower-cased words and punctuation marks, in order: ``"A man's t-pose."`` → man's, t, -, pose, ."""
    return _WORD.findall(text.lower().replace("\u2019", "'"))


class CaptionVocabulary:
    """Words ↔ ids; ids 0, 1, 2 are padding, unknown word and the summary token."""

    def __init__(self, words: Sequence[str]) -> None:
        self.words = [PAD, UNK, SUMMARY] + [w for w in words if w not in (PAD, UNK, SUMMARY)]
        self.index = {w: i for i, w in enumerate(self.words)}

    @classmethod
    def build(cls, captions: Iterable[str], min_count: int = 1, max_size: int | None = None) -> CaptionVocabulary:
        counts = Counter(w for c in captions for w in tokenize_caption(c))
        ranked = sorted((w for w, n in counts.items() if n >= min_count), key=lambda w: (-counts[w], w))
        return cls(ranked[:max_size] if max_size else ranked)

    def __len__(self) -> int:
        return len(self.words)

    def encode(self, caption: str, max_tokens: int = 32) -> list[int]:
        """The summary token then the caption's word ids, cut to ``max_tokens`` in all."""
        ids = [self.index.get(w, 1) for w in tokenize_caption(caption)]
        return [2] + ids[:max_tokens - 1]

    def batch(self, captions: Sequence[str], max_tokens: int = 32) -> Tensor:
        """(B, T) long, padded with 0."""
        rows = [self.encode(c, max_tokens) for c in captions]
        out = torch.zeros(len(rows), max(len(r) for r in rows), dtype=torch.long)
        for i, r in enumerate(rows):
            out[i, :len(r)] = torch.tensor(r)
        return out

    def to_plain(self) -> dict[str, Any]:
        """Plain types, for checkpoint hyperparameters."""
        return {"words": self.words[3:]}


class CaptionEncoder(nn.Module):
    """Word ids (B, T), id 0 padding → caption embeddings (B, d_model)."""

    def __init__(self, vocab_size: int, d_model: int = 256, layers: str = "attention*2", n_heads: int = 4,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.backbone = Backbone(d_model, layers, {"attention": {"n_heads": n_heads}} if "attention" in layers
                                 else None, mlp_ratio=4.0, dropout=dropout)

    def forward(self, ids: Tensor) -> Tensor:
        segment_ids = (ids == 0).long()  # padding is a segment of its own
        h = self.backbone(self.embed(ids), segment_ids=segment_ids, causal=False)
        return h[:, 0]  # the summary token (B, d_model)
