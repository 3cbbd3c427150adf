"""GENERator-style causal DNA LM on any seqkit backbone: next-k-mer or base-pair marginal loss.

Metrics on held-out windows: perplexity per base (exp of the k-mer cross-entropy divided by k, exactly
the per-base perplexity of the joint distribution) and sequence recovery (the fraction of bases of the
next k-mer that the argmax k-mer gets right, teacher-forced).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics import SumMetric

from seqkit.backbone import Backbone
from seqkit.compiled import compile_networks
from seqkit.domains.dna.base_marginals import base_log_marginals, base_marginal_nll
from seqkit.domains.dna.tokenizers import build_tokenizer
from seqkit.optim import adamw_warmup_cosine


class DnaLM(L.LightningModule):
    """Causal LM over DNA tokens.

    Args:
        tokenizer (str): ``"kmer"`` (GENERator 6-mers, vocabulary 4,128) or ``"nucleotide"``.
        k (int): k-mer length for ``"kmer"``. Default: 6.
        d_model (int): residual width.
        layers (str | list[str]): backbone spec; default a selective SSM, ``"window*4"`` or
            ``"attention*4"`` for the attention backbones.
        mixer_options (dict): options per mixer name (see ``seqkit.backbone.Backbone``).
        mlp_ratio (float): MLP width / d_model per block; 0 = Mamba-style blocks without MLP.
        loss (str): ``"kmer"`` (next-token cross-entropy) or ``"base"`` (mean per-base marginal NLL).
        lr, weight_decay, warmup_steps: AdamW with warm-up and cosine decay.
        compile (bool): ``torch.compile`` the ``backbone`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, tokenizer: Literal["kmer", "nucleotide"] = "kmer", k: int = 6, d_model: int = 128,
                 layers: str | list[str] = "mamba2*4", mixer_options: dict[str, dict[str, Any]] | None = None,
                 mlp_ratio: float = 0.0, dropout: float = 0.0, loss: Literal["kmer", "base"] = "kmer",
                 lr: float = 2e-3, weight_decay: float = 0.1, warmup_steps: int = 100, compile: bool = False) -> None:
        super().__init__()
        if loss not in ("kmer", "base"):
            raise ValueError(f"DnaLM: loss must be 'kmer' or 'base', got {loss!r}")
        self.save_hyperparameters()
        self.tokenizer = build_tokenizer(tokenizer, k)
        self.k = self.tokenizer.k
        self.embed = nn.Embedding(self.tokenizer.vocab_size, d_model)
        self.backbone = Backbone(d_model, layers, mixer_options, mlp_ratio, dropout)
        self.head = nn.Linear(d_model, self.tokenizer.vocab_size, bias=False)
        self.register_buffer("token_bases", torch.from_numpy(self.tokenizer.token_bases()), persistent=False)
        self.first_base_id, self.n_base_tokens = self.tokenizer.n_special, 4**self.k
        self.val_nll, self.val_tokens, self.val_correct = SumMetric(), SumMetric(), SumMetric()

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["backbone"])

    def forward(self, tokens: Tensor) -> Tensor:
        """(B, T) token ids → (B, T, vocab) logits."""
        return self.head(self.backbone(self.embed(tokens)))

    def is_base_token(self, ids: Tensor) -> Tensor:
        return (ids >= self.first_base_id) & (ids < self.first_base_id + self.n_base_tokens)

    def kmer_log_probs(self, logits: Tensor) -> Tensor:
        """(…, vocab) logits → (…, 4^k) log-probabilities of the base tokens (normalised over the full
        vocabulary, so mass on special tokens counts against them)."""
        return F.log_softmax(logits.float(), dim=-1)[..., self.first_base_id : self.first_base_id + self.n_base_tokens]

    def encode_context(self, bases: np.ndarray) -> np.ndarray:
        """Token ids of a causal context (uint8 bases, may be empty): ``<s>`` then the bases left-truncated
        to a multiple of k, so the right end, which the model continues, is kept whole (GENERator's fix for
        a trailing remainder that would become ``<oov>``)."""
        bases = bases[len(bases) % self.k :]
        return self.tokenizer.encode(bases, add_bos=True) if len(bases) else np.array([self.tokenizer.bos_id])

    @staticmethod
    def rows_by_length(rows: list[np.ndarray]) -> list[list[int]]:
        """Indices of equal-length rows, grouped: a causal SSM batches them without padding."""
        groups: dict[int, list[int]] = {}
        for i, ids in enumerate(rows):
            groups.setdefault(len(ids), []).append(i)
        return list(groups.values())

    def next_base_log_probs(self, tokens: Tensor) -> Tensor:
        """(B, T) contexts → (B, 4) log p(next base = A, C, G, T) from the last position (variant scoring)."""
        logits = self(tokens)[:, -1]  # (B, vocab)
        return base_log_marginals(self.kmer_log_probs(logits), self.token_bases)[:, 0]

    def _next_token_terms(self, tokens: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(k-mer log-probs (B, T-1, 4^k), target index, k-mer NLL, scored mask) of next-token prediction."""
        logits = self(tokens[:, :-1])  # (B, T-1, V)
        targets = tokens[:, 1:]
        scored = self.is_base_token(targets)  # <oov> (N-holding k-mers) and specials are not scored
        logp = self.kmer_log_probs(logits)  # (B, T-1, 4^k)
        index = (targets - self.first_base_id).clamp(0, self.n_base_tokens - 1)
        kmer_nll = -logp.gather(-1, index[..., None])[..., 0]
        return logp, index, kmer_nll, scored

    def _target_loss(self, logp: Tensor, index: Tensor, kmer_nll: Tensor) -> Tensor:
        """Per-target loss in nats per k-mer: the k-mer NLL, or k × the mean base-marginal NLL."""
        if self.hparams.loss == "kmer":
            return kmer_nll
        return base_marginal_nll(logp, self.token_bases[index], self.token_bases) * self.k

    def _per_base(self, loss: Tensor, scored: Tensor) -> Tensor:
        return (loss * scored).sum() / scored.sum().clamp(min=1) / self.k

    def loss(self, tokens: Tensor) -> Tensor:
        """The training loss of a (B, T) batch, in nats per base over the scored targets."""
        logp, index, kmer_nll, scored = self._next_token_terms(tokens)
        return self._per_base(self._target_loss(logp, index, kmer_nll), scored)

    def _losses(self, tokens: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Per-target (loss, k-mer NLL, scored mask, correct bases) for evaluation; training skips the argmax."""
        logp, index, kmer_nll, scored = self._next_token_terms(tokens)
        correct = (self.token_bases[logp.argmax(-1)] == self.token_bases[index]).sum(-1)  # bases right, (B, T-1)
        return self._target_loss(logp, index, kmer_nll), kmer_nll, scored, correct

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        loss = self.loss(batch["tokens"])
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True, sync_dist=True,
                 batch_size=batch["tokens"].shape[0])
        return loss

    def _eval_step(self, batch: dict[str, Tensor], stage: str) -> None:
        loss, kmer_nll, scored, correct = self._losses(batch["tokens"])
        self.log(f"{stage}_loss", self._per_base(loss, scored), sync_dist=True, batch_size=batch["tokens"].shape[0])
        self.val_nll.update((kmer_nll * scored).sum())
        self.val_tokens.update(scored.sum())
        self.val_correct.update((correct * scored).sum())

    def _eval_epoch_end(self, stage: str) -> None:
        tokens = float(self.val_tokens.compute())
        if tokens > 0:
            self.log(f"{stage}_ppl_base", math.exp(float(self.val_nll.compute()) / (tokens * self.k)), prog_bar=True)
            self.log(f"{stage}_recovery", float(self.val_correct.compute()) / (tokens * self.k), prog_bar=True)
        for metric in (self.val_nll, self.val_tokens, self.val_correct):
            metric.reset()

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self._eval_step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test")

    def configure_optimizers(self) -> dict[str, Any]:
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches)
