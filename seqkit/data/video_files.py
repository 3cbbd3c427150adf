"""Video files: MP4 (and anything FFmpeg reads) through PyAV, GIF through Pillow, folders of PNG frames.

Frames are uint8 arrays (T, H, W, 3) with a frame rate. Readers can resize (area averaging down, bilinear up)
and resample the frame rate (each output frame takes the nearest earlier input frame, the usual way to drop
or repeat frames); writers are atomic, so an interrupted run never leaves half a file. MP4 is H.264 in
yuv420p (odd sides are padded by one edge pixel, as the format wants even ones); for lossless storage use PNG
frames. Bad files raise ``VideoFileError`` naming the file and what is wrong.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from seqkit.atomic_io import atomic_write
from seqkit.commands.user_errors import InputError

MOVIE_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
VIDEO_SUFFIXES = (*MOVIE_SUFFIXES, ".gif")


class VideoFileError(InputError):
    """A video file or frame folder that cannot be used: ``VideoFileError(path, "frame 3", "what")``."""


@dataclass
class Video:
    """uint8 frames (T, H, W, 3) shown at ``fps`` frames per second."""

    frames: np.ndarray
    fps: float

    @property
    def size(self) -> tuple[int, int]:
        """(height, width)."""
        return int(self.frames.shape[1]), int(self.frames.shape[2])

    def __len__(self) -> int:
        return int(self.frames.shape[0])


def resize_frames(frames: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(T, H, W, 3) uint8 → (T, h, w, 3): area averaging when shrinking (no aliasing), bilinear when growing."""
    if frames.shape[1:3] == tuple(size):
        return frames
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float()  # (T, 3, H, W)
    shrink = size[0] <= frames.shape[1] and size[1] <= frames.shape[2]
    y = torch.nn.functional.interpolate(x, size=size, mode="area" if shrink else "bilinear",
                                        align_corners=None if shrink else False)
    return y.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def resample_fps(video: Video, fps: float) -> Video:
    """The frames shown at times k/fps: each the latest input frame at or before that time."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    if abs(fps - video.fps) < 1e-9:
        return video
    duration = len(video) / video.fps
    n = max(1, int(np.floor(duration * fps + 1e-9)))
    index = np.minimum(np.floor(np.arange(n) * video.fps / fps + 1e-9).astype(int), len(video) - 1)
    return Video(video.frames[index], fps)


def _read_movie(path: Path) -> Video:
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise VideoFileError(path, None, "has no video stream")
            stream = container.streams.video[0]
            rate = stream.average_rate or stream.guessed_rate or 25
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    except av.error.FFmpegError as err:
        raise VideoFileError(path, None, f"cannot be decoded as video ({err})") from err
    if not frames:
        raise VideoFileError(path, None, "holds no frames")
    return Video(np.stack(frames), float(rate))


def _read_gif(path: Path) -> Video:
    from PIL import Image, ImageSequence, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            frames, durations = [], []
            for frame in ImageSequence.Iterator(im):
                frames.append(np.asarray(frame.convert("RGB")))
                durations.append(frame.info.get("duration", 100) or 100)
    except (UnidentifiedImageError, OSError) as err:
        raise VideoFileError(path, None, f"is not a readable GIF ({err})") from err
    if not frames:
        raise VideoFileError(path, None, "holds no frames")
    return Video(np.stack(frames), 1000.0 / float(np.median(durations)))


def _read_frame_folder(path: Path, fps: float) -> Video:
    from PIL import Image, UnidentifiedImageError

    files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise VideoFileError(path, None, f"holds no frame images ({', '.join(IMAGE_SUFFIXES)})")
    frames = []
    for k, f in enumerate(files):
        try:
            with Image.open(f) as im:
                frames.append(np.asarray(im.convert("RGB")))
        except (UnidentifiedImageError, OSError) as err:
            raise VideoFileError(f, f"frame {k}", f"is not a readable image ({err})") from err
        if frames[-1].shape != frames[0].shape:
            raise VideoFileError(f, f"frame {k}", f"is {frames[-1].shape[1]}x{frames[-1].shape[0]}, the first "
                                 f"frame {files[0].name} is {frames[0].shape[1]}x{frames[0].shape[0]}")
    return Video(np.stack(frames), fps)


def read_video(path: str | Path, size: tuple[int, int] | None = None, fps: float | None = None,
               max_frames: int | None = None, folder_fps: float = 8.0,
               expect_size: tuple[int, int] | None = None) -> Video:
    """A video file (MP4 and other FFmpeg formats, GIF) or a folder of frame images (at ``folder_fps``).

    ``size`` (height, width) resizes; ``expect_size`` instead makes another size an error; ``fps`` resamples
    the frame rate; ``max_frames`` keeps the first frames.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_dir():
        video = _read_frame_folder(path, folder_fps)
    elif path.suffix.lower() == ".gif":
        video = _read_gif(path)
    elif path.suffix.lower() in MOVIE_SUFFIXES:
        video = _read_movie(path)
    else:
        raise VideoFileError(path, None, f"unknown video format {path.suffix!r} (one of "
                             f"{', '.join(VIDEO_SUFFIXES)}, or a folder of frame images)")
    if expect_size is not None and video.size != tuple(expect_size):
        raise VideoFileError(path, None, f"frames are {video.size[1]}x{video.size[0]} (width x height), expected "
                             f"{expect_size[1]}x{expect_size[0]}")
    if fps is not None:
        video = resample_fps(video, fps)
    if max_frames is not None:
        video = Video(video.frames[:max_frames], video.fps)
    if size is not None:
        video = Video(resize_frames(video.frames, size), video.fps)
    return video


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"frames must be (T > 0, H, W, 3), got shape {frames.shape}")
    if frames.dtype != np.uint8:
        raise ValueError(f"frames must be uint8, got {frames.dtype} (see to_uint8)")
    return frames


def write_mp4(path: str | Path, frames: np.ndarray, fps: float, crf: int = 18) -> Path:
    """H.264 (yuv420p) MP4, written atomically; odd sides padded by repeating the last row/column."""
    import av

    frames = _check_frames(frames)
    pad_h, pad_w = frames.shape[1] % 2, frames.shape[2] % 2
    if pad_h or pad_w:
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    rate = Fraction(fps).limit_denominator(1001)

    def write(fh: io.BufferedIOBase) -> None:
        with av.open(fh, mode="w", format="mp4") as container:
            stream = container.add_stream("libx264", rate=rate)
            stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
            stream.options = {"crf": str(crf)}
            for f in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)

    return atomic_write(path, write)


def write_gif(path: str | Path, frames: np.ndarray, fps: float) -> Path:
    """Animated GIF (looping), written atomically; GIF stores frame times in 10 ms steps."""
    from PIL import Image

    frames = _check_frames(frames)
    images = [Image.fromarray(f) for f in frames]
    duration = max(20, int(round(1000 / fps)))

    def write(fh: io.BufferedIOBase) -> None:
        images[0].save(fh, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0,
                       optimize=False, disposal=1)

    return atomic_write(path, write)


def write_png(path: str | Path, image: np.ndarray) -> Path:
    """One (H, W, 3) uint8 image as PNG, atomically."""
    from PIL import Image

    def write(fh: io.BufferedIOBase) -> None:
        Image.fromarray(np.asarray(image, dtype=np.uint8)).save(fh, format="PNG")

    return atomic_write(path, write)


def write_frame_folder(path: str | Path, frames: np.ndarray) -> Path:
    """``frame_00000.png`` … in a folder (lossless)."""
    frames = _check_frames(frames)
    path = Path(path)
    for k, f in enumerate(frames):
        write_png(path / f"frame_{k:05d}.png", f)
    return path


def write_video(path: str | Path, video: Video) -> Path:
    """By the path's suffix: ``.mp4`` (H.264), ``.gif``, or no suffix for a folder of PNG frames."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".mp4":
        return write_mp4(path, video.frames, video.fps)
    if suffix == ".gif":
        return write_gif(path, video.frames, video.fps)
    if suffix == "":
        return write_frame_folder(path, video.frames)
    raise ValueError(f"{path}: cannot write {suffix!r} (.mp4, .gif, or a folder name for PNG frames)")


def to_uint8(frames: torch.Tensor | np.ndarray) -> np.ndarray:
    """Frames in [-1, 1], (T, 3, H, W) → uint8 (T, H, W, 3)."""
    x = torch.as_tensor(frames).detach().float().cpu()
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def from_uint8(frames: np.ndarray) -> torch.Tensor:
    """uint8 (T, H, W, 3) → float (T, 3, H, W) in [-1, 1]."""
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1


def contact_sheet(frames: np.ndarray, columns: int = 8, count: int = 32, gap: int = 2) -> np.ndarray:
    """``count`` evenly spaced frames in a grid (H', W', 3) uint8, white gaps, for a PNG overview."""
    frames = _check_frames(frames)
    index = np.unique(np.linspace(0, len(frames) - 1, min(count, len(frames))).round().astype(int))
    rows = int(np.ceil(len(index) / columns))
    h, w = frames.shape[1:3]
    sheet = np.full((rows * (h + gap) + gap, min(columns, len(index)) * (w + gap) + gap, 3), 255, np.uint8)
    for k, i in enumerate(index):
        r, c = divmod(k, columns)
        sheet[gap + r * (h + gap):gap + r * (h + gap) + h, gap + c * (w + gap):gap + c * (w + gap) + w] = frames[i]
    return sheet
