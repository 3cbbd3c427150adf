"""seqkit-motion as a user types it: VAE then denoiser from the shipped configs, predict, resume, bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from seqkit.domains.motion.bvh import read_bvh
from seqkit.domains.motion.cli import main

DATA = ["--data.init_args.n_motions=40", "--data.init_args.batch_size=8"]
QUIET = ["--trainer.max_epochs=1", "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
TINY_VAE = ["--model.init_args.d_model=32", "--model.init_args.layers=attention*1",
            "--model.init_args.mixer_options={attention: {n_heads: 2}}"]
TINY_DENOISER = ["--model.init_args.d_model=32", "--model.init_args.text_dim=32",
                 "--model.init_args.text_layers=attention*1", "--model.init_args.n_inference_steps=4"]


def console(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    env.pop("SEQKIT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "seqkit.domains.motion.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """runs/motion_vae and runs/motion_mamba, as the README's two fit commands leave them (tiny sizes)."""
    root = tmp_path_factory.mktemp("motion")
    main(["fit", "-c", "motion_vae.yaml", *DATA, *QUIET, *TINY_VAE, f"--trainer.default_root_dir={root}"])
    vae = root / "motion_vae" / "checkpoints" / "last.ckpt"
    assert vae.exists()
    main(["fit", "-c", "motion_mamba.yaml", *DATA, *QUIET, *TINY_DENOISER, f"--trainer.default_root_dir={root}",
          f"--model.init_args.vae_checkpoint={vae}",
          "--model.init_args.denoiser_options={n_blocks: 2, d_state: 8, head_dim: 16, bsm_width: 8}"])
    assert (root / "motion_mamba" / "checkpoints" / "last.ckpt").exists()
    return root


def denoiser_args(root: Path) -> list[str]:
    return ["-c", "motion_mamba.yaml", *DATA, *TINY_DENOISER, f"--trainer.default_root_dir={root}",
            f"--model.init_args.vae_checkpoint={root / 'motion_vae' / 'checkpoints' / 'last.ckpt'}",
            "--model.init_args.denoiser_options={n_blocks: 2, d_state: 8, head_dim: 16, bsm_width: 8}",
            "--trainer.enable_progress_bar=false"]


def test_the_checkpoints_carry_vocabulary_statistics_and_vae(trained: Path) -> None:
    ckpt = torch.load(trained / "motion_mamba" / "checkpoints" / "last.ckpt", weights_only=True, map_location="cpu")
    hp = ckpt["hyper_parameters"]
    assert "walks" in hp["vocabulary"] and len(hp["feature_mean"]) == 263
    assert all(isinstance(v, float) for v in hp["feature_std"])  # plain types
    assert any(k.startswith("vae.") for k in ckpt["state_dict"]) and float(ckpt["state_dict"]["latent_scale"]) > 0


def test_predict_writes_npy_gif_bvh_per_prompt_and_a_rerun_skips_them(trained: Path, tmp_path: Path) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("60 a person walks forward\n44 someone jumps twice\n")
    args = ["predict", *denoiser_args(trained), "--ckpt_path=last", f"--data.init_args.prompts={prompts}"]
    main(args)
    out = trained / "motion_mamba" / "motions"
    joints = np.load(out / "0000.npy")
    assert joints.shape == (60, 22, 3) and np.isfinite(joints).all()
    assert np.load(out / "0001_features.npy").shape == (44, 263)
    assert (out / "0000.gif").stat().st_size > 1000
    clip = read_bvh(out / "0001.bvh")
    assert clip.n_frames == 44 and "left_wrist" in clip.skeleton.names
    listed = (out / "motions.csv").read_text()
    assert "a person walks forward" in listed and "0001.bvh" in listed
    stamp = (out / "0000.npy").stat().st_mtime_ns
    main(args)  # a rerun finds every sample written and generates nothing
    assert (out / "0000.npy").stat().st_mtime_ns == stamp


def test_fit_resumes_from_last_in_a_new_process(trained: Path) -> None:
    proc = console(["fit", *denoiser_args(trained), "--ckpt_path=last", "--trainer.max_epochs=2"], trained)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ckpt = torch.load(trained / "motion_mamba" / "checkpoints" / "last.ckpt", weights_only=True, map_location="cpu")
    assert ckpt["epoch"] == 1 and ckpt["seqkit_run"]["epochs"] == 2
    rows = (trained / "motion_mamba" / "metrics.csv").read_text().splitlines()
    assert sum(1 for r in rows[1:] if r.split(",")[rows[0].split(",").index("epoch")] == "0") > 0  # epoch 0 kept


def _one_error_line(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def test_bad_inputs_are_one_line_naming_the_file(trained: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad_prompts.txt"
    bad.write_text("a person walks#60\nsomeone jumps#soon\n")
    _one_error_line(console(["predict", *denoiser_args(trained), "--ckpt_path=last",
                             f"--data.init_args.prompts={bad}"], tmp_path), "bad_prompts.txt", "line 2")
    empty = tmp_path / "not_humanml"
    empty.mkdir()
    _one_error_line(console(["fit", "-c", "motion_vae.yaml", "--data.init_args.source=humanml3d",
                             f"--data.init_args.path={empty}", *QUIET], tmp_path),
                    "not_humanml", "not a HumanML3D folder")
    _one_error_line(console(["fit", "-c", "motion_mamba.yaml", *DATA, *QUIET,
                             "--model.init_args.vae_checkpoint=missing/vae.ckpt"], tmp_path), "missing/vae.ckpt")


def test_a_saved_denoiser_loads_and_generates_without_its_vae_file(trained: Path, tmp_path: Path) -> None:
    import seqkit

    ckpt = torch.load(trained / "motion_mamba" / "checkpoints" / "last.ckpt", weights_only=True, map_location="cpu")
    ckpt["hyper_parameters"]["vae_checkpoint"] = str(tmp_path / "gone" / "vae.ckpt")  # moved to another machine
    moved = tmp_path / "motion_mamba.ckpt"
    torch.save(ckpt, moved)
    model = seqkit.load(moved)
    assert model.hparams.vae_config["n_latent"] == 2
    out = model.generate(["a person walks forward"], [40], n_inference_steps=2,
                         generator=torch.Generator().manual_seed(0))
    assert out["joints"].shape == (1, 40, 22, 3) and torch.isfinite(out["joints"]).all()
