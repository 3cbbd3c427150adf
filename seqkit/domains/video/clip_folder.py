"""A user's folder of short captioned clips as training data.

The folder holds clips (MP4 and other FFmpeg formats, GIF, or sub-folders of PNG frames) and their captions,
either in ``captions.csv`` (header ``file,caption``; ``file`` relative to the folder) or as a ``<clip>.txt``
beside each clip. Clips are resized to the model's frame size, resampled to ``fps`` when given, and cut into
non-overlapping windows of ``frames`` frames (a clip shorter than that is skipped). A clip that cannot be read
is skipped and listed with the reason; a caption that is missing or empty is an error naming the clip.
Files are split whole: every tenth file (in name order) goes to validation, the next to test.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqkit.data.captioned_folder import read_captions, split_of
from seqkit.data.video_files import IMAGE_SUFFIXES, VIDEO_SUFFIXES, VideoFileError, read_video
from seqkit.domains.video.timed_prompts import VideoPromptError


@dataclass
class ClipRecord:
    """One training clip: uint8 frames (F, H, W, 3), its caption, its split and where it came from."""

    frames: np.ndarray
    caption: str
    split: str
    source: str


def _is_clip(path: Path) -> bool:
    if path.is_dir():
        return any(p.suffix.lower() in IMAGE_SUFFIXES for p in path.iterdir())
    return path.suffix.lower() in VIDEO_SUFFIXES


def read_clip_folder(folder: str | Path, frames: int, size: int, fps: float | None = None
                     ) -> tuple[list[ClipRecord], list[tuple[str, str]]]:
    """Training clips of a folder, and (file, reason) for each clip skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(folder))
    clips = sorted(p for p in folder.iterdir() if p.name != "captions.csv" and _is_clip(p))
    if not clips:
        raise VideoFileError(folder, None, "holds no clips (MP4, GIF or folders of PNG frames)")
    captions = read_captions(folder, clips, "caption", VideoPromptError)
    records, skipped = [], []
    for i, clip in enumerate(clips):
        try:
            video = read_video(clip, size=(size, size), fps=fps)
        except VideoFileError as err:
            skipped.append((str(clip), err.what))
            continue
        if len(video) < frames:
            skipped.append((str(clip), f"{len(video)} frames, shorter than one clip of {frames}"))
            continue
        split = split_of(i, len(clips))
        for start in range(0, len(video) - frames + 1, frames):
            records.append(ClipRecord(video.frames[start:start + frames], captions[clip.resolve()], split,
                                      f"{clip.name}@{start}"))
    for path, reason in skipped:
        warnings.warn(f"skipped {path}: {reason}", stacklevel=2)
    if not any(r.split == "train" for r in records):
        raise VideoFileError(folder, None, "no usable training clips" + (f" ({len(skipped)} skipped)" if skipped
                                                                          else ""))
    return records, skipped
