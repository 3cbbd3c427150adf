"""The motion–text evaluator: a motion encoder and a text encoder trained so matching pairs lie close.

The field scores generated motion in the embedding space of such a pair (Guo et al. 2022: a Conv1d + BiGRU
motion encoder on the features without foot contacts, a BiGRU over GloVe word vectors for the text). Those
weights and GloVe are not available here, so ours is trained on our own training data, with the same
shapes (two stride-2 Conv1d of kernel 4, then a bidirectional GRU) and its own word embeddings. It is
trained with a symmetric InfoNCE loss on negative squared Euclidean distances (as TMR trains its evaluator),
so that the Euclidean ranking the metrics use is the one it learned.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

N_CONTACT_FEATURES = 4  # the foot contacts at the end of the 263-d (and 251-d) vector are left out


class _BiGRUEncoder(nn.Module):
    """(B, T, d_in) with lengths (B,) → (B, d_out): final states of a bidirectional GRU, projected."""

    def __init__(self, d_in: int, hidden: int, d_out: int) -> None:
        super().__init__()
        self.gru = nn.GRU(d_in, hidden, batch_first=True, bidirectional=True)
        self.out = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.LayerNorm(hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, d_out))

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        packed = pack_padded_sequence(x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)  # (2, B, hidden)
        return self.out(torch.cat([h[0], h[1]], dim=-1))


class MotionEmbedder(nn.Module):
    """Motion features (B, L, d_feat) → (B, d_embed); frames beyond each length are ignored."""

    def __init__(self, d_feat: int = 263, hidden: int = 256, d_embed: int = 256) -> None:
        super().__init__()
        d_in = d_feat - N_CONTACT_FEATURES
        self.conv = nn.Sequential(nn.Conv1d(d_in, hidden, 4, 2, 1), nn.Dropout(0.2), nn.LeakyReLU(0.2),
                                  nn.Conv1d(hidden, hidden, 4, 2, 1), nn.Dropout(0.2), nn.LeakyReLU(0.2))
        self.rnn = _BiGRUEncoder(hidden, hidden, d_embed)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        h = self.conv(x[..., :-N_CONTACT_FEATURES].transpose(1, 2)).transpose(1, 2)  # (B, L/4, hidden)
        return self.rnn(h, torch.div(lengths, 4, rounding_mode="floor").clamp(max=h.shape[1]))


class TextEmbedder(nn.Module):
    """Word ids (B, T), 0 = padding → (B, d_embed)."""

    def __init__(self, vocab_size: int, d_word: int = 128, hidden: int = 256, d_embed: int = 256) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, d_word, padding_idx=0)
        self.rnn = _BiGRUEncoder(d_word, hidden, d_embed)

    def forward(self, ids: Tensor) -> Tensor:
        return self.rnn(self.embed(ids), (ids != 0).sum(dim=1))


class MotionTextEvaluator(nn.Module):
    """Both encoders and their contrastive loss."""

    def __init__(self, vocab_size: int, d_feat: int = 263, hidden: int = 256, d_embed: int = 256,
                 temperature: float = 0.1) -> None:
        super().__init__()
        self.motion = MotionEmbedder(d_feat, hidden, d_embed)
        self.text = TextEmbedder(vocab_size, hidden=hidden, d_embed=d_embed)
        self.temperature = temperature

    def contrastive_loss(self, text: Tensor, motion: Tensor, same_caption: Tensor | None = None) -> Tensor:
        """Symmetric InfoNCE on −‖t − m‖² / (D τ); ``same_caption`` (B, B) marks other pairs that are also
        matches (identical captions), which are left out of the negatives."""
        logits = -torch.cdist(text, motion).pow(2) / (text.shape[-1] * self.temperature)  # (B, B)
        if same_caption is not None:
            off_diagonal = same_caption & ~torch.eye(len(text), dtype=torch.bool, device=text.device)
            logits = logits.masked_fill(off_diagonal, float("-inf"))
        target = torch.arange(len(text), device=text.device)
        return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))
