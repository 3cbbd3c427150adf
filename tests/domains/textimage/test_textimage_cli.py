"""seqkit-textimage as a user types it: fit a tokenizer and a generator from the shipped configs, predict PNGs,
reconstruct a folder of images, resume in a new process, bad input as one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from seqkit.domains.textimage.cli import main

SMALL_DATA = ["--data.init_args.image_size=32", "--data.init_args.n_train=16", "--data.init_args.n_val=4",
              "--data.init_args.n_test=4", "--data.init_args.batch_size=4", "--data.init_args.sizes=[11]"]
SMALL_TOKENIZER = ["--model.init_args.image_size=32", "--model.init_args.downsample=8", "--model.init_args.patch=2",
                   "--model.init_args.channels=[8,16,16]", "--model.init_args.bits=6"]
SMALL_GENERATOR = ["--model.init_args.d_model=32", "--model.init_args.layers=mamba2*1"]
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def console(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    env.pop("SEQKIT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "seqkit.domains.textimage.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("textimage")
    main(["fit", "-c", "tokenizer_binary.yaml", *SMALL_DATA, *SMALL_TOKENIZER, *QUIET, "--trainer.max_steps=4",
          "--trainer.val_check_interval=4", f"--trainer.default_root_dir={root / 'tokenizer'}"])
    tokenizer = root / "tokenizer" / "tokenizer_binary" / "checkpoints" / "last.ckpt"
    assert tokenizer.exists()
    main(["fit", "-c", "generator.yaml", *SMALL_DATA, "--data.init_args.words=[1,3]", *SMALL_GENERATOR, *QUIET,
          f"--model.init_args.tokenizer={tokenizer}", "--trainer.max_steps=4", "--trainer.val_check_interval=4",
          f"--trainer.default_root_dir={root / 'generator'}"])
    return root


def test_the_tokenizer_checkpoint_holds_plain_hyperparameters_and_its_metrics(runs: Path) -> None:
    ckpt = torch.load(runs / "tokenizer" / "tokenizer_binary" / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["hyper_parameters"]["channels"] == [8, 16, 16] and ckpt["global_step"] == 4
    metrics = (runs / "tokenizer" / "tokenizer_binary" / "metrics.csv").read_text().splitlines()[0]
    assert {"val_psnr", "val_ssim", "val_code_usage"} <= set(metrics.split(","))


def test_predict_writes_a_png_and_tokens_per_prompt_and_sample(runs: Path, tmp_path: Path) -> None:
    out = tmp_path / "images"
    main(["predict", "-c", "generator.yaml", *SMALL_DATA, *SMALL_GENERATOR, *QUIET,
          f"--trainer.default_root_dir={runs / 'generator'}", "--ckpt_path=last",
          "--data.init_args.prompts=In the beginning|And God said", "--data.init_args.samples=2",
          f"--image_writer.output_dir={out}"])
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["prompt000_sample0.png", "prompt000_sample1.png", "prompt001_sample0.png",
                    "prompt001_sample1.png"]
    assert np.asarray(Image.open(out / pngs[0])).shape == (32, 32, 3)
    assert np.load(out / "prompt001_sample1_tokens.npy").shape == (4, 4)
    assert "prompt001_sample0,0,And God said" in (out / "prompts.csv").read_text()


def test_reconstruct_writes_tokens_and_images_and_skips_a_bad_file(runs: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scans"
    folder.mkdir()
    Image.new("RGB", (32, 32), "white").save(folder / "good.png")
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    out = tmp_path / "recon"
    ckpt = runs / "tokenizer" / "tokenizer_binary" / "checkpoints" / "last.ckpt"
    result = console(["reconstruct", "--checkpoint", str(ckpt), "--output_dir", str(out), str(folder)], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert np.load(out / "good_tokens.npy").shape == (4, 4) and (out / "good_reconstruction.png").exists()
    assert "broken.png" in (out / "skipped.csv").read_text() and "1 reconstructed" in result.stdout
    again = console(["reconstruct", "--checkpoint", str(ckpt), "--output_dir", str(out), str(folder)], tmp_path)
    assert "0 reconstructed, 1 already done" in again.stdout


def test_fit_resumes_from_last_in_a_new_process(runs: Path) -> None:
    root = runs / "tokenizer"
    result = console(["fit", "-c", "tokenizer_binary.yaml", *SMALL_DATA, *SMALL_TOKENIZER, *QUIET,
                      "--trainer.max_steps=8", "--trainer.val_check_interval=4", f"--trainer.default_root_dir={root}",
                      "--ckpt_path=last"], runs)
    assert result.returncode == 0, result.stderr[-2000:]
    ckpt = torch.load(root / "tokenizer_binary" / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["global_step"] == 8


def test_a_generator_without_a_tokenizer_and_a_bad_prompt_file_are_one_line_errors(runs: Path, tmp_path: Path) -> None:
    result = console(["fit", "-c", "generator.yaml", *SMALL_DATA, *SMALL_GENERATOR, "--trainer.max_steps=1",
                      f"--trainer.default_root_dir={tmp_path}"], tmp_path)
    assert result.returncode == 2 and "need a tokenizer" in result.stderr and "Traceback" not in result.stderr
    bad = tmp_path / "prompts.csv"
    bad.write_text("words\nhello\n")
    result = console(["predict", "-c", "generator.yaml", *SMALL_DATA, *SMALL_GENERATOR,
                      f"--trainer.default_root_dir={runs / 'generator'}", "--ckpt_path=last",
                      f"--data.init_args.prompts={bad}"], tmp_path)
    assert result.returncode == 2 and "prompts.csv: line 1: no 'text' column" in result.stderr


def test_help_lists_the_shipped_configs_without_importing_torch(tmp_path: Path) -> None:
    result = console(["--help"], tmp_path)
    assert result.returncode == 0
    assert "tokenizer_binary.yaml" in result.stdout and "reconstruct" in result.stdout
