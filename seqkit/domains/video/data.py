"""The video data module: captioned short clips to train on, timed prompts to generate long videos from.

``source``: ``procedural`` (seeded moving-shape clips rendered on the fly, the embedded default; each clip
also carries its attribute labels, which the evaluation classifier trains on) or ``folder`` (a user's folder
of captioned clips, see ``clip_folder.py``). Clips are float (F, 3, H, W) in [-1, 1], batched by the shared
``SplitDataModule`` (epoch-seeded shuffling, so a resumed run sees the same order). The vocabulary of the
captions is read by the model (linked by the command line), so a checkpoint carries it.
``prompts`` (predict): timed prompts (a YAML/CSV file or ``"text@start:end|..."``), one long video per entry
of ``videos``, each with its own seed.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

from seqkit.caption_encoder import CaptionVocabulary
from seqkit.data import SplitDataModule, resolve_data_path
from seqkit.data.video_files import from_uint8
from seqkit.domains.video.clip_folder import ClipRecord, read_clip_folder
from seqkit.domains.video.procedural import ALL_SPECS, random_clip
from seqkit.domains.video.timed_prompts import TimedPrompt, load_timed_prompts

SPLIT_OFFSETS = {"train": 0, "val": 10_000_000, "test": 20_000_000}


class ProceduralClips(Dataset):
    """Seeded moving-shape clips: clip i of a split is always the same."""

    def __init__(self, n: int, split: str, seed: int, frames: int, size: int) -> None:
        self.n, self.base = n, seed * 100_000_000 + SPLIT_OFFSETS[split]
        self.frames, self.size = frames, size

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, Any]:
        video, spec = random_clip(self.base + i, self.frames, self.size)
        return {"video": from_uint8(video), "caption": spec.caption, "labels": torch.tensor(spec.labels())}


class RecordClips(Dataset):
    def __init__(self, records: list[ClipRecord]) -> None:
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> dict[str, Any]:
        r = self.records[i]
        return {"video": from_uint8(r.frames), "caption": r.caption}


class TimedPromptVideos(Dataset):
    """One item per long video to generate: its timed prompts, length and seed."""

    def __init__(self, prompts: list[TimedPrompt], videos: int, seed: int) -> None:
        self.prompts, self.videos, self.seed = prompts, videos, seed

    def __len__(self) -> int:
        return self.videos

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"prompts": self.prompts, "length": self.prompts[-1].end, "seed": self.seed + i, "index": i}


class VideoDataModule(SplitDataModule):
    """Captioned clips for the short-clip model and the classifier; timed prompts for ``predict``.

    Args:
        source: "procedural" or "folder" (``path``: the folder of captioned clips).
        n_clips, n_val_clips, seed: procedural clip counts and seed.
        clip_frames, image_size: the clip shape (frames, square side in pixels).
        fps: folder clips are resampled to this frame rate (None: as stored).
        prompts: predict: timed prompts; ``videos``: how many videos to generate from them (seeds ``seed``…).
    """

    def __init__(self, source: str = "procedural", path: str | None = None, n_clips: int = 20000,
                 n_val_clips: int = 256, seed: int = 0, clip_frames: int = 16, image_size: int = 32,
                 fps: float | None = None, batch_size: int = 16, prompts: str | None = None, videos: int = 1,
                 num_workers: int = 0) -> None:
        super().__init__()
        if source not in ("procedural", "folder"):
            raise ValueError(f"source must be procedural or folder, got {source!r}")
        if source == "folder" and not path:
            raise ValueError("source='folder' needs --data.init_args.path (a folder of captioned clips)")
        self.source, self.path, self.n_clips, self.n_val_clips, self.seed = source, path, n_clips, n_val_clips, seed
        self.clip_frames, self.image_size, self.fps = clip_frames, image_size, fps
        self.batch_size, self.prompts, self.videos, self.num_workers = batch_size, prompts, videos, num_workers
        self._records: list[ClipRecord] | None = None
        self._vocabulary: CaptionVocabulary | None = None
        self.skipped: list[tuple[str, str]] = []

    @property
    def records(self) -> list[ClipRecord]:
        if self._records is None:
            self._records, self.skipped = read_clip_folder(resolve_data_path(self.path), self.clip_frames,
                                                           self.image_size, self.fps)
        return self._records

    def captions(self) -> list[str]:
        if self.source == "procedural":
            return [s.caption for s in ALL_SPECS]
        return [r.caption for r in self.records if r.split == "train"]

    @property
    def caption_vocabulary(self) -> CaptionVocabulary:
        if self._vocabulary is None:
            self._vocabulary = CaptionVocabulary.build(self.captions())
        return self._vocabulary

    @property
    def vocabulary(self) -> list[str]:
        return self.caption_vocabulary.to_plain()["words"]

    def dataset(self, split: str) -> Dataset:
        if self.source == "procedural":
            n = self.n_clips if split == "train" else self.n_val_clips
            return ProceduralClips(n, split, self.seed, self.clip_frames, self.image_size)
        records = [r for r in self.records if r.split == split]
        if not records:
            raise ValueError(f"{self.path}: the {split} split is empty (every tenth clip file goes to validation, "
                             "the next to test; add more clips)")
        return RecordClips(records)

    def timed_prompts(self) -> list[TimedPrompt]:
        if not self.prompts:
            raise ValueError("predict needs timed prompts: --data.init_args.prompts=FILE.yaml|FILE.csv or "
                             "'text@0:96|text@96:192'")
        return load_timed_prompts(self.prompts)

    def predict_dataloader(self) -> DataLoader:
        dataset = TimedPromptVideos(self.timed_prompts(), self.videos, self.seed)
        return DataLoader(dataset, batch_size=1, shuffle=False, collate_fn=lambda items: items[0])

