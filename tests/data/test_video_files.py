"""Video files: MP4/GIF/PNG-folder round trips, frame-rate and size handling, clear errors on bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqkit.commands.user_errors import InputError
from seqkit.data.video_files import (
    Video,
    VideoFileError,
    contact_sheet,
    from_uint8,
    read_video,
    resample_fps,
    resize_frames,
    to_uint8,
    write_video,
)


def moving_square(frames: int = 12, size: tuple[int, int] = (32, 48)) -> np.ndarray:
    """A smooth test clip: a gradient background and a square that moves right."""
    h, w = size
    y, x = np.mgrid[0:h, 0:w]
    out = np.zeros((frames, h, w, 3), np.uint8)
    for t in range(frames):
        out[t, ..., 0] = (x * 255 // w).astype(np.uint8)
        out[t, ..., 1] = (y * 255 // h).astype(np.uint8)
        out[t, 8:18, 2 + 2 * t:12 + 2 * t] = (250, 250, 40)
    return out


@pytest.mark.parametrize(("name", "tolerance"), [("clip.mp4", 12.0), ("clip.gif", 40.0), ("frames", 0.0)])
def test_round_trip(tmp_path: Path, name: str, tolerance: float) -> None:
    frames = moving_square()
    path = write_video(tmp_path / name, Video(frames, 10.0))
    back = read_video(path)
    assert back.frames.shape == frames.shape
    assert back.fps == pytest.approx(10.0 if name != "frames" else 8.0)  # a frame folder has no rate of its own
    err = np.abs(back.frames.astype(float) - frames.astype(float)).mean()
    assert err <= tolerance, err
    if name == "clip.mp4":
        assert err > 0  # lossy, but close: H.264 at crf 18


def test_odd_sides_are_padded_for_h264(tmp_path: Path) -> None:
    frames = moving_square(4, (31, 45))
    back = read_video(write_video(tmp_path / "odd.mp4", Video(frames, 5.0)))
    assert back.frames.shape == (4, 32, 46, 3)


def test_frame_rate_and_size_handling() -> None:
    video = Video(moving_square(30), 30.0)
    slower = resample_fps(video, 10.0)
    assert len(slower) == 10 and np.array_equal(slower.frames[1], video.frames[3])
    faster = resample_fps(Video(moving_square(4), 2.0), 4.0)
    assert len(faster) == 8 and np.array_equal(faster.frames[1], faster.frames[0])
    small = resize_frames(video.frames, (16, 24))
    assert small.shape == (30, 16, 24, 3)
    # area averaging: a 2x2 block's mean
    assert abs(int(small[0, 0, 0, 1]) - float(video.frames[0, :2, :2, 1].mean())) <= 1
    assert resize_frames(small, (32, 48)).shape == (30, 32, 48, 3)


def test_read_options(tmp_path: Path) -> None:
    path = write_video(tmp_path / "c.gif", Video(moving_square(20), 10.0))
    v = read_video(path, size=(16, 16), fps=5.0, max_frames=6)
    assert v.frames.shape == (6, 16, 16, 3) and v.fps == 5.0
    with pytest.raises(VideoFileError, match="c.gif.*48x32.*expected 64x64"):
        read_video(path, expect_size=(64, 64))


def test_bad_files_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "junk.mp4").write_bytes(b"not a movie at all")
    with pytest.raises(VideoFileError, match="junk.mp4"):
        read_video(tmp_path / "junk.mp4")
    (tmp_path / "junk.gif").write_bytes(b"GIF89a broken")
    with pytest.raises(VideoFileError, match="junk.gif"):
        read_video(tmp_path / "junk.gif")
    (tmp_path / "empty").mkdir()
    with pytest.raises(VideoFileError, match="empty.*no frame images"):
        read_video(tmp_path / "empty")
    folder = write_video(tmp_path / "mixed", Video(moving_square(3), 8.0))
    from PIL import Image

    Image.new("RGB", (10, 10)).save(folder / "frame_00003.png")
    with pytest.raises(VideoFileError, match="frame_00003.png: frame 3: is 10x10"):
        read_video(folder)
    with pytest.raises(VideoFileError, match="unknown video format '.txt'"):
        (tmp_path / "a.txt").write_text("x")
        read_video(tmp_path / "a.txt")
    with pytest.raises(FileNotFoundError):
        read_video(tmp_path / "missing.mp4")
    assert issubclass(VideoFileError, InputError)


def test_empty_files_are_errors(tmp_path: Path) -> None:
    for name in ("empty.mp4", "empty.gif"):
        (tmp_path / name).write_bytes(b"")
        with pytest.raises(VideoFileError, match=name):
            read_video(tmp_path / name)


def test_conversions_and_contact_sheet() -> None:
    frames = moving_square(10)
    assert np.array_equal(to_uint8(from_uint8(frames)), frames)
    sheet = contact_sheet(frames, columns=4, count=8, gap=2)
    assert sheet.shape == (2 * 34 + 2, 4 * 50 + 2, 3)
    assert np.array_equal(sheet[2:34, 2:50], frames[0]) and np.array_equal(sheet[36:68, 152:200], frames[-1])
