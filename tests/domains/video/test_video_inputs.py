"""Timed prompts and folders of captioned clips: what a user gives, and clear errors when it is wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqkit.data.video_files import Video, VideoFileError, write_video
from seqkit.domains.video.clip_folder import read_clip_folder
from seqkit.domains.video.data import VideoDataModule
from seqkit.domains.video.procedural import parse_caption, random_clip
from seqkit.domains.video.timed_prompts import (
    TimedPrompt,
    VideoPromptError,
    load_timed_prompts,
    parse_inline,
    read_timed_prompts,
)

EXPECTED = [TimedPrompt("a red circle", 0, 40), TimedPrompt("a blue square", 40, 100)]


def test_timed_prompts_from_yaml_csv_and_inline(tmp_path: Path) -> None:
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("- {text: a red circle, start: 0, end: 40}\n- {text: a blue square, start: 40, end: 100}\n")
    nested = tmp_path / "n.yml"
    nested.write_text("prompts:\n  - text: a red circle\n    start: 0\n    end: 40\n"
                      "  - text: a blue square\n    start: 40\n    end: 100\n")
    csv_file = tmp_path / "p.csv"
    csv_file.write_text("text,start,end\na red circle,0,40\na blue square,40,100\n")
    for source in (yaml_file, nested, csv_file):
        assert read_timed_prompts(source) == EXPECTED
        assert load_timed_prompts(str(source)) == EXPECTED
    assert parse_inline("a red circle@0:40|a blue square@40:100") == EXPECTED
    assert load_timed_prompts("a red circle@0:40|a blue square@40:100") == EXPECTED


@pytest.mark.parametrize(("text", "message"), [
    ("text,start,end\na red circle,0,40\na blue square,41,100\n", r"record 2: starts at frame 41.*start at frame 40"),
    ("text,start,end\na red circle,0,40\n,40,100\n", "record 2: empty prompt text"),
    ("text,start,end\na red circle,0,x\n", "line 2: end 'x' is not a frame number"),
    ("text,start\na red circle,0\n", "line 1: the header lacks end"),
    ("text,start,end\na red circle,10,5\n", "record 1: starts at frame 10"),
])
def test_bad_prompt_files_name_file_and_record(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(VideoPromptError, match=rf"bad.csv: {message}"):
        read_timed_prompts(path)


def test_bad_inline_prompts_and_missing_files() -> None:
    with pytest.raises(VideoPromptError, match="prompt 1: 'a red circle' is not 'text@start:end'"):
        parse_inline("a red circle")
    with pytest.raises(FileNotFoundError):
        load_timed_prompts("missing.yaml")


def write_clips(folder: Path, n: int, frames: int = 12) -> None:
    for i in range(n):
        clip, spec = random_clip(i, frames, 40)
        suffix = (".mp4", ".gif", "")[i % 3]
        path = write_video(folder / f"clip{i:02d}{suffix}", Video(clip, 8.0))
        (path.parent / f"{path.name}.txt" if suffix == "" else path.with_suffix(".txt")).write_text(spec.caption)


def test_a_folder_of_captioned_clips_becomes_training_clips(tmp_path: Path) -> None:
    write_clips(tmp_path, 12)
    (tmp_path / "broken.mp4").write_bytes(b"nonsense")
    (tmp_path / "broken.txt").write_text("a red circle moving left fast")
    with pytest.warns(UserWarning, match="skipped .*broken.mp4"):
        records, skipped = read_clip_folder(tmp_path, frames=8, size=32)
    assert [Path(p).name for p, _ in skipped] == ["broken.mp4"]
    assert all(r.frames.shape == (8, 32, 32, 3) for r in records)
    assert {r.split for r in records} == {"train", "val", "test"}
    for r in records:
        parse_caption(r.caption)  # the sidecar captions were read for every kind of clip


def test_captions_csv_and_caption_errors(tmp_path: Path) -> None:
    clip, _ = random_clip(0, 8, 32)
    write_video(tmp_path / "a.gif", Video(clip, 8.0))
    write_video(tmp_path / "b.gif", Video(clip, 8.0))
    (tmp_path / "captions.csv").write_text("file,caption\na.gif,a red circle\nb.gif,a blue square\n")
    records, _ = read_clip_folder(tmp_path, frames=8, size=32)
    assert sorted(r.caption for r in records) == ["a blue square", "a red circle"]
    (tmp_path / "captions.csv").write_text("file,caption\na.gif,a red circle\nb.gif,\n")
    with pytest.raises(VideoPromptError, match=r"captions.csv: line 3: empty caption for 'b.gif'"):
        read_clip_folder(tmp_path, frames=8, size=32)
    (tmp_path / "captions.csv").unlink()
    with pytest.raises(VideoPromptError, match=r"a.gif: no caption"):
        read_clip_folder(tmp_path, frames=8, size=32)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VideoFileError, match="holds no clips"):
        read_clip_folder(empty, frames=8, size=32)


def test_data_module_batches_both_sources(tmp_path: Path) -> None:
    dm = VideoDataModule(n_clips=8, n_val_clips=4, batch_size=4, clip_frames=8)
    batch = next(iter(dm.train_dataloader()))
    assert batch["video"].shape == (4, 8, 3, 32, 32) and batch["labels"].shape == (4, 5)
    assert float(batch["video"].min()) >= -1 and float(batch["video"].max()) <= 1
    assert "circle" in dm.vocabulary and "bouncing" in dm.vocabulary
    val = [next(iter(dm.val_dataloader()))["caption"] for _ in range(2)]
    assert val[0] == val[1]  # evaluation clips are fixed
    write_clips(tmp_path, 12)
    folder = VideoDataModule(source="folder", path=str(tmp_path), batch_size=2, clip_frames=8)
    batch = next(iter(folder.train_dataloader()))
    assert batch["video"].shape == (2, 8, 3, 32, 32) and "labels" not in batch
    with pytest.raises(ValueError, match="needs --data.init_args.path"):
        VideoDataModule(source="folder")
    assert np.isfinite(batch["video"].numpy()).all()
