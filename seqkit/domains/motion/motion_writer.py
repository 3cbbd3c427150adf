"""Writes generated motions as files people open: joints and features as .npy, a GIF, a BVH, optionally MP4.

Per sample ``<name>``: ``<name>_features.npy`` (L, 263), ``<name>.gif`` (stick figure, no ffmpeg),
``<name>.bvh`` (the joints through inverse kinematics on a fixed-length skeleton; Blender and MotionBuilder
read it), ``<name>.mp4`` when asked, and last ``<name>.npy``, the joints (L, 22, 3) in
metres, whose presence marks the sample done: a rerun of ``predict`` skips finished samples.
``motions.csv`` lists every prompt, its length and its files. All files are written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
from lightning.pytorch.callbacks import Callback

from seqkit.atomic_io import atomic_write, save_npy
from seqkit.domains.motion.body_joints import SMPL22_NAMES, SMPL22_PARENTS, T2M_FPS
from seqkit.domains.motion.bvh import joints_to_bvh
from seqkit.domains.motion.render import save_gif, save_mp4


class MotionWriter(Callback):
    """Files per generated motion (see the module docstring).

    Args:
        output_dir: folder (default ``<log_dir>/motions``).
        gif, bvh, mp4: which renderings to write besides the .npy arrays.
        gif_every: keep every n-th frame in the GIF (smaller files for long motions).
    """

    def __init__(self, output_dir: str | None = None, gif: bool = True, bvh: bool = True, mp4: bool = False,
                 gif_every: int = 1) -> None:
        self.output_dir, self.gif, self.bvh, self.mp4, self.gif_every = output_dir, gif, bvh, mp4, gif_every
        self._directory: Path | None = None

    def directory(self, trainer: L.Trainer) -> Path:
        if self._directory is None:
            self._directory = Path(self.output_dir) if self.output_dir else (
                Path(trainer.log_dir or trainer.default_root_dir) / "motions")
        return self._directory

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage == "predict":
            self.directory(trainer)

    def done(self, trainer: L.Trainer, names: list[str]) -> bool:
        """Whether every sample of a batch is on disk already."""
        d = self.directory(trainer)
        return all((d / f"{n}.npy").exists() for n in names)

    def write_sample(self, directory: Path, name: str, caption: str, joints: np.ndarray, features: np.ndarray) -> None:
        save_npy(directory / f"{name}_features.npy", features.astype(np.float32))
        if self.gif:
            save_gif(directory / f"{name}.gif", joints, T2M_FPS, caption, every=self.gif_every)
        if self.mp4:
            save_mp4(directory / f"{name}.mp4", joints, T2M_FPS, caption)
        if self.bvh:
            joints_to_bvh(joints, SMPL22_PARENTS, list(SMPL22_NAMES), 1.0 / T2M_FPS, directory / f"{name}.bvh")
        save_npy(directory / f"{name}.npy", joints.astype(np.float32))  # last: marks the sample done

    def on_predict_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                             batch_idx: int, dataloader_idx: int = 0) -> None:
        if not outputs or "_joints" not in outputs:
            return
        d = self.directory(trainer)
        lengths = outputs["frames"].tolist()
        joints = outputs["_joints"].detach().float().cpu().numpy()
        features = outputs["_features"].detach().float().cpu().numpy()
        for i, (name, caption, n) in enumerate(zip(outputs["name"], outputs["caption"], lengths, strict=True)):
            self.write_sample(d, name, caption, joints[i, :n], features[i, :n])

    def on_predict_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        d = self.directory(trainer)
        rows = []
        for loader in trainer.predict_dataloaders if isinstance(trainer.predict_dataloaders, list) else \
                [trainer.predict_dataloaders]:
            for item in getattr(loader.dataset, "items", []):
                files = sorted(p.name for p in d.glob(f"{item['name']}*") if not p.name.startswith("."))
                rows.append({"name": item["name"], "caption": item["caption"], "frames": item["length"],
                             "seconds": item["length"] / T2M_FPS, "files": " ".join(files)})
        if rows:
            text = pd.DataFrame(rows).to_csv(index=False)
            atomic_write(d / "motions.csv", lambda fh: fh.write(text.encode()))
