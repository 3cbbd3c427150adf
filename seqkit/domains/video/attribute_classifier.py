"""A classifier of what a short stretch of video shows, trained on real procedural clips: the evaluation's judge.

It reads a snippet of ``snippet`` frames (motion needs more than one frame) and predicts the five attributes of
a procedural caption (shape, colour, size, motion, speed) with one head each: a small 3-D CNN (three conv
stages, spatial pooling after each, global average at the end). ``per_frame`` labels every frame of a long
video from the snippet centred on it (edges repeated), which is what the per-segment accuracy and the
transition width are computed from.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch
from torch import Tensor, nn

from seqkit.compiled import compile_networks
from seqkit.domains.video.procedural import ATTRIBUTES, COLOURS, MOTIONS, SHAPES, SIZES, SPEEDS

CLASSES = (len(SHAPES), len(COLOURS), len(SIZES), len(MOTIONS), len(SPEEDS))


class AttributeClassifier(nn.Module):
    """Snippets (N, S, 3, H, W) → logits per attribute, a list of (N, n_classes)."""

    def __init__(self, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for out in (width, 2 * width, 4 * width):
            layers += [nn.Conv3d(channels, out, kernel_size=3, padding=1), nn.GroupNorm(8, out), nn.GELU(),
                       nn.MaxPool3d((1, 2, 2))]
            channels = out
        self.features = nn.Sequential(*layers)
        self.heads = nn.ModuleList(nn.Linear(channels, n) for n in CLASSES)

    def forward(self, snippets: Tensor) -> list[Tensor]:
        h = self.features(snippets.transpose(1, 2))  # (N, C, S, H', W')
        pooled = h.mean(dim=(2, 3, 4))
        return [head(pooled) for head in self.heads]


class AttributeClassifierModule(L.LightningModule):
    """Trains ``AttributeClassifier`` on random snippets of labelled procedural clips.

    Args:
        compile (bool): ``torch.compile`` the ``classifier`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, snippet: int = 4, width: int = 32, lr: float = 2e-3, compile: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.classifier = AttributeClassifier(width)

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["classifier"])

    def _snippets(self, video: Tensor, generator: torch.Generator | None) -> Tensor:
        b, f = video.shape[:2]
        s = self.hparams.snippet
        starts = torch.randint(0, f - s + 1, (b,), generator=generator)
        return torch.stack([video[i, int(a):int(a) + s] for i, a in enumerate(starts)])

    def _step(self, batch: dict[str, Any], generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        logits = self.classifier(self._snippets(batch["video"], generator))
        labels = batch["labels"]
        loss = sum(nn.functional.cross_entropy(lg, labels[:, k]) for k, lg in enumerate(logits))
        correct = torch.stack([lg.argmax(-1) == labels[:, k] for k, lg in enumerate(logits)], dim=1)  # (B, 5)
        return loss, correct

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        loss, correct = self._step(batch)
        self.log("train_loss", loss, prog_bar=True, batch_size=len(correct))
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        loss, correct = self._step(batch, torch.Generator().manual_seed(batch_idx))
        n = len(correct)
        self.log("val_loss", loss, prog_bar=True, batch_size=n)
        self.log("val_exact_accuracy", correct.all(dim=1).float().mean(), prog_bar=True, batch_size=n)
        for k, name in enumerate(ATTRIBUTES):
            self.log(f"val_{name}_accuracy", correct[:, k].float().mean(), batch_size=n)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        loss, correct = self._step(batch, torch.Generator().manual_seed(batch_idx))
        self.log("test_exact_accuracy", correct.all(dim=1).float().mean(), batch_size=len(correct))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.AdamW(self.parameters(), lr=self.hparams.lr)

    @torch.no_grad()
    def per_frame(self, video: Tensor, batch: int = 256) -> np.ndarray:
        """(L, 5) predicted attribute classes of each frame of a video (L, 3, H, W) in [-1, 1]."""
        s = self.hparams.snippet
        before = s // 2
        padded = torch.cat([video[:1].expand(before, *video.shape[1:]), video,
                            video[-1:].expand(s - 1 - before, *video.shape[1:])])
        snippets = padded.unfold(0, s, 1).permute(0, 4, 1, 2, 3)  # (L, S, 3, H, W)
        out = []
        for i in range(0, len(snippets), batch):
            logits = self.classifier(snippets[i:i + batch].to(self.device))
            out.append(torch.stack([lg.argmax(-1) for lg in logits], dim=1).cpu())
        return torch.cat(out).numpy()
