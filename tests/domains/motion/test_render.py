"""Stick-figure GIF and MP4 of a motion read back as videos with one frame per motion frame."""

from __future__ import annotations

from pathlib import Path

from seqkit.data.video_files import read_video
from seqkit.domains.motion.procedural import procedural_motion
from seqkit.domains.motion.render import save_gif, save_mp4


def test_gif_and_mp4_of_a_motion(tmp_path: Path) -> None:
    joints = procedural_motion("walk", seed=0, min_seconds=2.0, max_seconds=2.0).joints[:12]
    gif = read_video(save_gif(tmp_path / "walk.gif", joints, fps=20.0, title="a person walks", size_px=96))
    mp4 = read_video(save_mp4(tmp_path / "walk.mp4", joints, fps=20.0, size_px=96))
    assert len(gif) == 12 and gif.fps == 20.0
    assert len(mp4) == 12 and abs(mp4.fps - 20.0) < 1e-6
    assert mp4.frames.std() > 5  # a figure, not a blank frame
    half = read_video(save_gif(tmp_path / "half.gif", joints, fps=20.0, size_px=96, every=2))
    assert len(half) == 6 and half.fps == 10.0
