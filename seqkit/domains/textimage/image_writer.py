"""Writes generated text images as files people open: one PNG per image, its tokens, and the prompt table.

Per generated image ``<name>`` (``prompt<k>_sample<s>``): ``<name>.png`` and ``<name>_tokens.npy`` (int64 (h, w)
token indices), and per run ``prompts.csv`` (name, seed, text) listing every image written. All files are
written atomically, so an interrupted ``predict`` never leaves half an image.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import pandas as pd
from lightning.pytorch.callbacks import Callback

from seqkit.atomic_io import save_npy, write_table
from seqkit.data.video_files import write_png
from seqkit.domains.textimage.data import tensor_to_image


class ImageWriter(Callback):
    """PNG + tokens per generated image, and ``prompts.csv`` (see the module docstring).

    Args:
        output_dir: folder (default ``<log_dir>/images``).
    """

    def __init__(self, output_dir: str | None = None) -> None:
        self.output_dir = output_dir
        self.rows: list[dict[str, Any]] = []

    def directory(self, trainer: L.Trainer) -> Path:
        if self.output_dir:
            return Path(self.output_dir)
        return Path(trainer.log_dir or trainer.default_root_dir) / "images"

    def on_predict_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                             batch_idx: int, dataloader_idx: int = 0) -> None:
        if not outputs or outputs.get("images") is None:
            return
        folder = self.directory(trainer)
        images = tensor_to_image(outputs["images"])  # (B, H, W, 3)
        names = outputs["name"] or [f"image{batch_idx:04d}_{k}" for k in range(len(images))]
        seeds = batch.get("seed") if isinstance(batch, dict) else None
        for k, name in enumerate(names):
            save_npy(folder / f"{name}_tokens.npy", outputs["tokens"][k].cpu().numpy())
            write_png(folder / f"{name}.png", images[k])
            self.rows.append({"name": name, "seed": int(seeds[k]) if seeds is not None else None,
                              "text": outputs["text"][k]})

    def on_predict_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.rows:
            write_table(pd.DataFrame(self.rows), self.directory(trainer) / "prompts.csv")
            print(f"wrote {len(self.rows)} images to {self.directory(trainer)}")
            self.rows = []
