"""A causal token model for the synthetic tasks: embedding → Backbone → vocabulary logits."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.backbone import Backbone
from seqkit.callbacks import shard_written
from seqkit.compiled import compile_networks
from seqkit.domains.synthetic.tasks import IGNORE
from seqkit.optim import adamw_warmup_cosine


class SyntheticLM(L.LightningModule):
    """Scores answer tokens of a synthetic task with any backbone spec.

    Args:
        vocab_size (int): token vocabulary (linked from the data module by the CLI).
        d_model (int): residual width.
        layers (str | list[str]): backbone spec, e.g. ``"mamba2*2"`` or ``"attention,window*3"``.
        mixer_options (dict): options per mixer name (see ``seqkit.backbone.Backbone``).
        mlp_ratio (float): MLP width / d_model per block; 0 = no MLP.
        lr (float): peak AdamW learning rate (linear warm-up, cosine decay to 10%).
        weight_decay (float): AdamW weight decay on matrices.
        warmup_steps (int): warm-up steps.
        seq_len (int, Optional): training length (linked from the data); used to reject windows
            that would not be local at this length.
        compile (bool): ``torch.compile`` the ``backbone`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, vocab_size: int = 11, d_model: int = 64, layers: str | list[str] = "mamba2*2",
                 mixer_options: dict[str, dict[str, Any]] | None = None, mlp_ratio: float = 0.0,
                 lr: float = 3e-3, weight_decay: float = 0.1, warmup_steps: int = 50,
                 seq_len: int | None = None, compile: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.embed = nn.Embedding(vocab_size, d_model)
        self.backbone = Backbone(d_model, layers, mixer_options, mlp_ratio)
        self.head = nn.Linear(d_model, vocab_size, bias=False)
        if seq_len is not None:
            for w in self.backbone.windows():
                if w >= seq_len:
                    raise ValueError(f"mixer_options.window.window={w} is not smaller than data.seq_len={seq_len}: "
                                     f"the window would cover the whole sequence; choose window < {seq_len} or "
                                     f"use the 'attention' mixer")

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["backbone"])

    def forward(self, inputs: Tensor) -> Tensor:
        """(B, L) token ids → (B, L, vocab) logits."""
        return self.head(self.backbone(self.embed(inputs)))

    def _shared_step(self, batch: dict[str, Tensor], stage: str) -> Tensor:
        logits = self(batch["inputs"])  # (B, L, V)
        targets = batch["targets"]
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        answer = targets != IGNORE
        correct = (logits.argmax(-1) == targets) & answer
        acc = correct.sum() / answer.sum()
        seq_acc = (correct.sum(1) == answer.sum(1)).float().mean()
        on_step = stage == "train"
        self.log(f"{stage}_loss", loss, prog_bar=True, on_step=on_step, on_epoch=True, sync_dist=True)
        self.log(f"{stage}_acc", acc, prog_bar=True, on_step=on_step, on_epoch=True, sync_dist=True)
        if not on_step:
            self.log(f"{stage}_seq_acc", seq_acc, sync_dist=True)
        return loss

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        return self._shared_step(batch, "train")

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self._shared_step(batch, "val")

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self._shared_step(batch, "test")

    def predict_step(self, batch: dict[str, Tensor], batch_idx: int, dataloader_idx: int = 0
                     ) -> dict[str, Tensor] | None:
        """Per example: predicted and true answer tokens and the fraction answered correctly."""
        if shard_written(self.trainer if self._trainer is not None else None, batch_idx, dataloader_idx):
            return None
        targets = batch["targets"]
        answer = targets != IGNORE
        n = int(answer[0].sum())
        pred = self(batch["inputs"]).argmax(-1)  # (B, L)
        pred_answers = pred[answer].view(-1, n)  # (B, n)
        true_answers = targets[answer].view(-1, n)
        return {"index": batch["index"], "predicted": pred_answers, "target": true_answers,
                "accuracy": (pred_answers == true_answers).float().mean(1)}

    def configure_optimizers(self) -> dict[str, Any]:
        total = self.trainer.estimated_stepping_batches if self._trainer is not None else 1000
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps, total)
