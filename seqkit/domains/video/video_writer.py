"""Writes generated long videos as files people open: MP4, GIF, a contact-sheet PNG, the raw frames as .npy.

Per video ``video_<k>`` (k the video's index): ``.mp4`` (H.264), ``.gif``, ``_sheet.png`` (evenly spaced
frames in a grid), ``_prompts.csv`` (the timed prompts it was made from, with its seed), and last ``.npy``
(uint8 (L, H, W, 3)), whose presence marks the video done: a rerun of ``predict`` skips finished videos.
All files are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import pandas as pd
from lightning.pytorch.callbacks import Callback

from seqkit.atomic_io import atomic_write, save_npy
from seqkit.data.video_files import contact_sheet, to_uint8, write_gif, write_mp4, write_png


class VideoWriter(Callback):
    """Files per generated video (see the module docstring).

    Args:
        output_dir: folder (default ``<log_dir>/videos``).
        fps: the frame rate written into the MP4 and GIF.
        mp4, gif, sheet: which files to write besides the .npy frames.
        sheet_frames, sheet_columns: the contact sheet's layout.
    """

    def __init__(self, output_dir: str | None = None, fps: float = 8.0, mp4: bool = True, gif: bool = True,
                 sheet: bool = True, sheet_frames: int = 32, sheet_columns: int = 8) -> None:
        self.output_dir, self.fps, self.mp4, self.gif, self.sheet = output_dir, fps, mp4, gif, sheet
        self.sheet_frames, self.sheet_columns = sheet_frames, sheet_columns
        self._directory: Path | None = None

    def directory(self, trainer: L.Trainer) -> Path:
        if self._directory is None:
            self._directory = Path(self.output_dir) if self.output_dir else (
                Path(trainer.log_dir or trainer.default_root_dir) / "videos")
        return self._directory

    @staticmethod
    def name(index: int) -> str:
        return f"video_{index:03d}"

    def done(self, trainer: L.Trainer, index: int) -> bool:
        return (self.directory(trainer) / f"{self.name(index)}.npy").exists()

    def write_video(self, directory: Path, name: str, frames: Any, prompts: list, seed: int) -> None:
        """frames (L, C, H, W) in [-1, 1]."""
        pixels = to_uint8(frames)  # (L, H, W, 3)
        if self.mp4:
            write_mp4(directory / f"{name}.mp4", pixels, self.fps)
        if self.gif:
            write_gif(directory / f"{name}.gif", pixels, self.fps)
        if self.sheet:
            write_png(directory / f"{name}_sheet.png", contact_sheet(pixels, self.sheet_columns, self.sheet_frames))
        table = pd.DataFrame([{"text": p.text, "start": p.start, "end": p.end, "seed": seed} for p in prompts])
        text = table.to_csv(index=False)
        atomic_write(directory / f"{name}_prompts.csv", lambda fh: fh.write(text.encode()))
        save_npy(directory / f"{name}.npy", pixels)  # last: marks the video done

    def on_predict_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                             batch_idx: int, dataloader_idx: int = 0) -> None:
        if not outputs or "_video" not in outputs:
            return
        self.write_video(self.directory(trainer), self.name(outputs["_index"]), outputs["_video"],
                         outputs["_prompts"], outputs["_seed"])
