"""Sequence classification / regression on a DNA backbone, from scratch or from a pretrained ``DnaLM``.

Pooling: ``"last"`` (the ``</s>`` token, as GENERator's sequence-classification head reads the last
token of a causal model) or ``"mean"`` over real tokens. ``rc_invariant`` averages the logits of the
sequence and its reverse complement at evaluation (Caduceus-Ph's post-hoc conjoining), so a prediction
does not depend on which strand a file lists; training uses reverse-complement augmentation instead.
"""

from __future__ import annotations

from typing import Any, Literal

import lightning as L
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchmetrics.classification import MulticlassAccuracy, MulticlassMatthewsCorrCoef

from seqkit.backbone import Backbone
from seqkit.callbacks import shard_written
from seqkit.compiled import compile_networks
from seqkit.domains.dna.tokenizers import build_tokenizer
from seqkit.optim import adamw_warmup_cosine

_ARCHITECTURE = ("tokenizer", "k", "d_model", "layers", "mixer_options", "mlp_ratio")


class DnaClassifier(L.LightningModule):
    """Args:
        pretrained (str | None): a ``DnaLM`` checkpoint; its architecture replaces the one given here and
            its embedding and backbone weights initialise this model.
        num_classes (int): classes (linked from the data); 1 means regression (MSE).
        pooling (str): ``"last"`` or ``"mean"``.
        rc_invariant (bool): average logits over both strands at validation/test/predict.
        The remaining arguments are ``DnaLM``'s architecture and AdamW settings.
        compile (bool): ``torch.compile`` the ``backbone`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, pretrained: str | None = None, num_classes: int = 2, tokenizer: Literal["kmer", "nucleotide"]
                 = "kmer", k: int = 6, d_model: int = 128, layers: str | list[str] = "mamba2*4",
                 mixer_options: dict[str, dict[str, Any]] | None = None, mlp_ratio: float = 0.0,
                 dropout: float = 0.1, pooling: Literal["last", "mean"] = "mean", rc_invariant: bool = True,
                 lr: float = 1e-3, weight_decay: float = 0.1, warmup_steps: int = 50, compile: bool = False) -> None:
        super().__init__()
        if pooling not in ("last", "mean"):
            raise ValueError(f"DnaClassifier: pooling must be 'last' or 'mean', got {pooling!r}")
        self.save_hyperparameters(ignore=["pretrained"])
        lm = None
        if pretrained is not None:
            from seqkit.domains.dna.model import DnaLM

            lm = DnaLM.load_from_checkpoint(pretrained, map_location="cpu", weights_only=True)
            if (lm.hparams.tokenizer, lm.k) != (tokenizer, build_tokenizer(tokenizer, k).k):
                raise ValueError(f"DnaClassifier: {pretrained} was trained with tokenizer={lm.hparams.tokenizer!r} "
                                 f"k={lm.hparams.k}, but the data uses tokenizer={tokenizer!r} k={k}; set "
                                 f"data.init_args.tokenizer/k to match the checkpoint")
            for name in _ARCHITECTURE:  # the checkpoint decides the architecture (plain types in hparams)
                self.hparams[name] = lm.hparams[name]
            self.hparams["pretrained_from"] = str(pretrained)
        hp = self.hparams
        self.tokenizer = build_tokenizer(hp.tokenizer, hp.k)
        self.embed = nn.Embedding(self.tokenizer.vocab_size, hp.d_model)
        self.backbone = Backbone(hp.d_model, hp.layers, hp.mixer_options, hp.mlp_ratio)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hp.d_model, num_classes))
        if lm is not None:  # same architecture, so strict loads: a mismatch is an error, not a silent skip
            self.embed.load_state_dict(lm.embed.state_dict())
            self.backbone.load_state_dict(lm.backbone.state_dict())
        if num_classes > 1:
            metrics = {"acc": MulticlassAccuracy(num_classes, average="micro"),
                       "mcc": MulticlassMatthewsCorrCoef(num_classes)}
            self.val_metrics = nn.ModuleDict({n: m.clone() for n, m in metrics.items()})
            self.test_metrics = nn.ModuleDict({n: m.clone() for n, m in metrics.items()})

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["backbone"])

    def setup(self, stage: str) -> None:
        data = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        classes = getattr(data, "num_classes", None)
        if classes is not None and classes != self.hparams.num_classes:
            kind = "float labels: regression" if classes == 1 else f"integer labels 0..{classes - 1}"
            raise ValueError(f"DnaClassifier: num_classes={self.hparams.num_classes} but the data has {classes} "
                             f"({kind}); set model.init_args.num_classes={classes}")

    def forward(self, tokens: Tensor, lengths: Tensor) -> Tensor:
        """(B, T) right-padded tokens and (B,) lengths → (B, classes) logits."""
        h = self.backbone(self.embed(tokens))  # (B, T, D); causal, so padding after a row never reaches it
        if self.hparams.pooling == "last":
            pooled = h[torch.arange(len(h), device=h.device), lengths - 1]
        else:
            real = (torch.arange(h.shape[1], device=h.device)[None] < lengths[:, None]).to(h.dtype)  # (B, T)
            pooled = (h * real[..., None]).sum(1) / lengths[:, None].to(h.dtype)
        return self.head(pooled)

    def predict_logits(self, batch: dict[str, Tensor]) -> Tensor:
        logits = self(batch["tokens"], batch["lengths"])
        if self.hparams.rc_invariant:
            logits = (logits + self(batch["tokens_rc"], batch["lengths_rc"])) / 2
        return logits

    def _loss(self, logits: Tensor, labels: Tensor) -> Tensor:
        if self.hparams.num_classes == 1:
            return F.mse_loss(logits[:, 0], labels.float())
        return F.cross_entropy(logits, labels.long())

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        loss = self._loss(self(batch["tokens"], batch["lengths"]), batch["labels"])
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True, batch_size=len(batch["labels"]))
        return loss

    def _eval(self, batch: dict[str, Tensor], stage: str) -> None:
        logits = self.predict_logits(batch)
        n = len(batch["labels"])
        self.log(f"{stage}_loss", self._loss(logits, batch["labels"]), sync_dist=True, batch_size=n)
        if self.hparams.num_classes > 1:
            metrics = self.val_metrics if stage == "val" else self.test_metrics
            for name, metric in metrics.items():
                metric.update(logits.argmax(-1), batch["labels"].long())
                self.log(f"{stage}_{name}", metric, prog_bar=name == "acc", batch_size=n)

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self._eval(batch, "val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self._eval(batch, "test")

    def predict_step(self, batch: dict[str, Tensor], batch_idx: int,
                     dataloader_idx: int = 0) -> dict[str, Tensor] | None:
        """Per-sequence outputs for the PredictionWriter; a batch already on disk is skipped (resumable)."""
        if shard_written(self._trainer, batch_idx, dataloader_idx):
            return None
        logits = self.predict_logits(batch)
        if self.hparams.num_classes == 1:
            return {"prediction": logits[:, 0], "label": batch["labels"]}
        return {"probabilities": logits.softmax(-1), "prediction": logits.argmax(-1), "label": batch["labels"]}

    def configure_optimizers(self) -> dict[str, Any]:
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches)
