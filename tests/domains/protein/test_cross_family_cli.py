"""seqkit-protein across families as a user types it: the shipped cross-family config, then fine-tuning its
checkpoint on one family with ``--model.init_args.pretrained``, watching zero-shot Spearman on an unseen family."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqkit.domains.protein import ProteinLM
from seqkit.domains.protein.synthetic_family import synthetic_family

QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1", SEQKIT_SHARED_DATA=str(cwd))
    proc = subprocess.run([sys.executable, "-m", "seqkit.domains.protein.cli", *args, *QUIET], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)
    return proc


def _corpus(root: Path) -> None:
    folder = root / "protein" / "balifam" / "balifam1000"
    folder.mkdir(parents=True)
    for k in range(9):
        family = synthetic_family(30, 24, seed=20 + k).msa
        with gzip.open(folder / f"PF{k:05d}.1000.fa.gz", "wt") as fh:
            fh.writelines(f">{i}\n{r}\n" for i, r in zip(family.ids, family.raw, strict=True))
    blat = root / "protein" / "BLAT_ECOLX"
    blat.mkdir(parents=True)
    a3m, dms = synthetic_family(30, 48, seed=0).write(blat)
    a3m.rename(blat / "BLAT_ECOLX_ColabFold_2202.a3m")
    dms.rename(blat / "BLAT_ECOLX_Jacquier_2013.csv")


def test_cross_family_then_fine_tune_on_one_family(tmp_path: Path) -> None:
    _corpus(tmp_path)
    tiny = ["--model.init_args.d_model=32", "--model.init_args.n_layers=2", "--data.init_args.context_tokens=256",
            "--data.init_args.n_train=16", "--data.init_args.val_per_family=2", "--trainer.max_steps=4",
            "--trainer.val_check_interval=2", f"--trainer.default_root_dir={tmp_path / 'runs'}",
            "--model.init_args.dms_path=protein/BLAT_ECOLX/BLAT_ECOLX_Jacquier_2013.csv",
            "--model.init_args.dms_msa_path=protein/BLAT_ECOLX/BLAT_ECOLX_ColabFold_2202.a3m",
            "--model.init_args.dms_prompt_tokens=256"]
    proc = _run(["fit", "-c", "cross_family.yaml", *tiny], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    pretrained = next((tmp_path / "runs").rglob("last.ckpt"))
    state = torch.load(pretrained, weights_only=True, map_location="cpu")
    assert state["global_step"] == 4
    metrics = next((tmp_path / "runs").rglob("metrics.csv")).read_text()
    assert "val_spearman" in metrics and "val_loss" in metrics  # zero-shot Spearman on the unseen family
    cross = ProteinLM.load_from_checkpoint(pretrained, weights_only=True)
    assert cross.hparams.d_model == 32 and cross.hparams.n_layers == 2

    # fine-tune: the per-family config names another size; the checkpoint's architecture wins, weights carry over
    fine = ["--model.init_args.pretrained=" + str(pretrained), "--trainer.max_epochs=1",
            "--data.init_args.n_train=8", "--data.init_args.n_val=4", "--data.init_args.context_tokens=200",
            f"--trainer.default_root_dir={tmp_path / 'fine'}"]
    proc = _run(["fit", "-c", "blat_ecolx.yaml", *fine], tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    tuned_ckpt = next((tmp_path / "fine").rglob("last.ckpt"))
    assert torch.load(tuned_ckpt, weights_only=True)["hyper_parameters"]["pretrained_from"] == str(pretrained)
    tuned = ProteinLM.load_from_checkpoint(tuned_ckpt, weights_only=True)
    assert tuned.hparams.d_model == 32
    moved = [not torch.equal(a, b) for a, b in zip(tuned.model.parameters(), cross.model.parameters(), strict=True)]
    assert any(moved)  # trained further
    start = ProteinLM(pretrained=str(pretrained))  # and it started from the cross-family weights
    assert all(torch.equal(a, b) for a, b in zip(start.model.parameters(), cross.model.parameters(), strict=True))


def test_pretrained_must_be_a_protein_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "other.ckpt"
    torch.save({"state_dict": {}, "hyper_parameters": {"d_model": 8}}, bad)
    with pytest.raises(ValueError, match="not a ProteinLM checkpoint"):
        ProteinLM(pretrained=str(bad))
