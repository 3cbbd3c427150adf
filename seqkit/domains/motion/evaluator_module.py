"""Lightning module that trains the motion–text evaluator on the training captions (see ``evaluator``).

Validation reports R-precision top-1/top-3 in pools of 32 (the metric's own protocol) and the matching
distance, so that one can see the evaluator separates motions before trusting the scores it gives.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor

from seqkit.caption_encoder import CaptionVocabulary
from seqkit.compiled import compile_networks
from seqkit.domains.motion.evaluator import MotionTextEvaluator
from seqkit.domains.motion.feature_statistics import FeatureStatistics
from seqkit.domains.motion.metrics import matching_distance, r_precision
from seqkit.optim import adamw_warmup_cosine


class MotionTextEvaluatorModule(L.LightningModule):
    """Contrastive training of ``MotionTextEvaluator``; embeds captions and motions for the metrics.

    Args:
        compile (bool): ``torch.compile`` the ``evaluator`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, vocabulary: list[str] | None = None, d_feat: int = 263, hidden: int = 256,
                 d_embed: int = 256, temperature: float = 0.1, max_caption_tokens: int = 32, lr: float = 1e-3,
                 weight_decay: float = 0.0, warmup_steps: int = 100, feature_mean: list[float] | None = None,
                 feature_std: list[float] | None = None, compile: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.vocabulary = CaptionVocabulary(vocabulary or [])
        self.evaluator = MotionTextEvaluator(len(self.vocabulary), d_feat, hidden, d_embed, temperature)
        self.statistics = FeatureStatistics(feature_mean, feature_std, d_feat)
        self._val: list[tuple[np.ndarray, np.ndarray]] = []

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["evaluator"])

    def embed_captions(self, captions: list[str]) -> Tensor:
        ids = self.vocabulary.batch(captions, self.hparams.max_caption_tokens).to(self.device)
        return self.evaluator.text(ids)

    def embed_motions(self, features: Tensor, lengths: Tensor) -> Tensor:
        """Un-normalised features (B, L, F) → (B, d_embed)."""
        return self.evaluator.motion(self.statistics.normalize(features.to(self.device)), lengths.to(self.device))

    def _contrastive(self, batch: dict[str, Any]) -> tuple[Tensor, Tensor, Tensor]:
        """The batch's contrastive loss (identical captions are not negatives of each other) and its embeddings."""
        text = self.evaluator.text(batch["caption_ids"])
        motion = self.evaluator.motion(batch["features"], batch["lengths"])
        captions = batch["captions"]
        same = torch.tensor([[a == b for b in captions] for a in captions], device=text.device)
        return self.evaluator.contrastive_loss(text, motion, same), text, motion

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        loss, _, _ = self._contrastive(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(batch["captions"]))
        return loss

    def on_validation_epoch_start(self) -> None:
        self._val = []

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        loss, text, motion = self._contrastive(batch)
        self.log("val_loss", loss, prog_bar=True, batch_size=len(batch["captions"]))
        self._val.append((text.float().cpu().numpy(), motion.float().cpu().numpy()))

    def on_validation_epoch_end(self) -> None:
        if not self._val:
            return
        text = np.concatenate([t for t, _ in self._val])
        motion = np.concatenate([m for _, m in self._val])
        metrics = {"val_matching_distance": matching_distance(text, motion)}
        if len(text) >= 32:
            top = r_precision(text, motion, pool=32, top_k=3)
            metrics.update(val_r_precision_top1=float(top[0]), val_r_precision_top3=float(top[2]))
        self.log_dict(metrics, prog_bar=True)

    def configure_optimizers(self) -> dict[str, Any]:
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches)
