"""seqkit-video as a user types it: fit from the shipped config, predict long videos, resume, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seqkit.data.video_files import read_video
from seqkit.domains.video.cli import main

SMALL = ["--data.init_args.n_clips=16", "--data.init_args.n_val_clips=4", "--data.init_args.batch_size=4",
         "--data.init_args.clip_frames=8", "--model.init_args.clip_frames=8", "--model.init_args.d_model=32",
         "--model.init_args.depth=1", "--model.init_args.n_heads=2", "--model.init_args.text_layers=attention*1",
         "--model.init_args.n_inference_steps=4", "--model.init_args.stride=4"]
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def console(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    env.pop("SEQKIT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "seqkit.domains.video.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("video")
    main(["fit", "-c", "video_clip.yaml", *SMALL, *QUIET, "--trainer.max_steps=4", "--trainer.val_check_interval=4",
          f"--trainer.default_root_dir={root}"])
    assert (root / "video_clip" / "checkpoints" / "last.ckpt").exists()
    return root


def test_the_checkpoint_carries_the_vocabulary_as_plain_types(trained: Path) -> None:
    ckpt = torch.load(trained / "video_clip" / "checkpoints" / "last.ckpt", weights_only=True, map_location="cpu")
    hp = ckpt["hyper_parameters"]
    assert "circle" in hp["vocabulary"] and all(isinstance(w, str) for w in hp["vocabulary"])


def test_predict_writes_mp4_gif_sheet_per_video_and_a_rerun_skips_them(trained: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.yaml"
    prompts.write_text("- {text: a small red circle moving left fast, start: 0, end: 20}\n"
                       "- {text: a large blue square bouncing slowly, start: 20, end: 44}\n")
    out = tmp_path / "videos"
    args = ["predict", "-c", "video_clip.yaml", *SMALL, *QUIET, f"--trainer.default_root_dir={trained}",
            "--ckpt_path=last", f"--data.init_args.prompts={prompts}", "--data.init_args.videos=2",
            f"--video_writer.output_dir={out}"]
    main(args)
    frames = np.load(out / "video_001.npy")
    assert frames.shape == (44, 32, 32, 3) and frames.dtype == np.uint8
    assert len(read_video(out / "video_000.mp4")) == 44 and len(read_video(out / "video_000.gif")) == 44
    assert (out / "video_000_sheet.png").stat().st_size > 500
    assert "bouncing slowly,20,44" in (out / "video_000_prompts.csv").read_text()
    stamp = (out / "video_000.npy").stat().st_mtime_ns
    main(args)  # a rerun finds both videos written and generates nothing
    assert (out / "video_000.npy").stat().st_mtime_ns == stamp


def test_fit_resumes_from_last_in_a_new_process(trained: Path) -> None:
    result = console(["fit", "-c", "video_clip.yaml", *SMALL, *QUIET, "--trainer.max_steps=8",
                      "--trainer.val_check_interval=4", f"--trainer.default_root_dir={trained}", "--ckpt_path=last"],
                     trained)
    assert result.returncode == 0, result.stderr[-2000:]
    ckpt = torch.load(trained / "video_clip" / "checkpoints" / "last.ckpt", weights_only=True, map_location="cpu")
    assert ckpt["global_step"] == 8


def test_bad_prompts_are_one_line_errors(trained: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,start,end\na red circle,0,10\na blue square,12,20\n")
    result = console(["predict", "-c", "video_clip.yaml", *SMALL, f"--trainer.default_root_dir={trained}",
                      "--ckpt_path=last", f"--data.init_args.prompts={bad}"], tmp_path)
    assert result.returncode == 2
    assert "bad.csv: record 2: starts at frame 12" in result.stderr and "Traceback" not in result.stderr
