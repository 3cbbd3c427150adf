"""Every notebook runs top to bottom with small parameters (SEQKIT_NB_SMOKE=1), leaves its plots, and its smoke
run has learned something: each writes its headline numbers to ``<out>/metrics.json`` and they must beat the
baseline that needs no training (chance, the naive forecast, uniform perplexity), with a margin."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
EXPECTED_FILES = {"backbones.ipynb": ["backbones_out/accuracy_vs_length.png"],
                  "dna.ipynb": ["dna_out/pretrain_vs_markov.png", "dna_out/reading_frame.png",
                                "dna_out/variant_scores.csv", "dna_out/continuations.fa"],
                  "forecast.ipynb": ["forecast_out/forecast_ot.png"],
                  "motion.ipynb": ["motion_out/imported.gif", "motion_out/generated.png", "motion_out/generated_0.gif",
                                   "motion_out/generated_0.bvh"],
                  "protein.ipynb": ["protein_out/dms_scatter.png", "protein_out/generated_identity.png"],
                  "video.ipynb": ["video_out/training_clips.png", "video_out/ground_truth.gif",
                                  "video_out/co_denoising.gif", "video_out/isolated.gif",
                                  "video_out/seams_per_frame.png"],
                  "textimage.ipynb": ["textimage_out/pages.png", "textimage_out/reconstructions.png",
                                      "textimage_out/generated.png"]}
METRICS = {"backbones.ipynb": "backbones_out/metrics.json", "dna.ipynb": "dna_out/metrics.json",
           "forecast.ipynb": "forecast_out/metrics.json", "motion.ipynb": "motion_out/metrics.json",
           "protein.ipynb": "protein_out/metrics.json", "video.ipynb": "video_out/metrics.json",
           "textimage.ipynb": "textimage_out/metrics.json"}
SHARED = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data"))




def backbones_beat_chance(m: dict) -> None:
    """Selective copying: every backbone recalls well above chance (1 / symbols) at its training length."""
    at_train = {name: accs[str(m["train_len"])] for name, accs in m["accuracy"].items()}
    assert all(acc > 2 * m["chance"] for acc in at_train.values()), (at_train, m["chance"])


def forecasts_beat_naive(m: dict) -> None:
    """ETTh1 (or the synthetic series): each model beats holding the last value and predicting the training mean
    on the same test windows (the seasonal naive forecast is reported, not required of a smoke run)."""
    naive = m["baselines"]["naive (last value)"]["test_mse"]
    mean = m["baselines"]["training mean"]["test_mse"]
    for name, r in m["models"].items():
        assert r["test_mse"] < 0.8 * naive and r["test_mse"] < 0.9 * mean, (name, r, m["baselines"])


def dna_beats_uniform(m: dict) -> None:
    """Pretraining: held-out perplexity per base below uniform (4), as the Markov baseline's is."""
    assert m["lm_ppl_base"] < m["uniform_ppl_base"] - 0.04, m
    assert m["markov_ppl_base"] < m["uniform_ppl_base"], m


def protein_ranks_its_dms(m: dict) -> None:
    """PoET: the DMS ranks with positive Spearman and held-out members beat uniform perplexity (20)."""
    assert m["spearman"] > 0.1 and m["n_variants"] >= 100, m
    assert m["val_perplexity"] < 0.75 * m["uniform_perplexity"], m


def motion_learns_both_stages(m: dict) -> None:
    """Motion: the VAE's reconstruction error (features and root-relative joints) falls well below the untrained
    one, the denoiser's loss below predicting no noise (1.0 for unit-variance noise) and below its untrained value;
    samples are finite."""
    assert m["vae_mse_trained"] < 0.7 * m["vae_mse_untrained"], m
    assert m["vae_root_relative_mpjpe_mm_trained"] < 0.8 * m["vae_root_relative_mpjpe_mm_untrained"], m
    assert m["denoiser_val_loss_trained"] < 0.9 * min(1.0, m["denoiser_val_loss_untrained"]), m
    assert m["generated_finite"] and m["generated_frames"] == 80, m


def video_co_denoising_removes_seams(m: dict) -> None:
    """Video: the short-clip model learned (loss well below its untrained value); isolated clips jump at their
    boundaries (seam ratio above 1), and co-denoising from the same noise removes most of that excess jump."""
    assert m["val_loss_trained"] < 0.8 * m["val_loss_untrained"], m
    isolated, co = m["seam_ratio"]["isolated clips"], m["seam_ratio"]["co-denoising"]
    assert isolated > 1.05 and co - 1 < 0.5 * (isolated - 1), m
    assert m["finite"] and m["length"] == 48, m


def textimage_learns_both_stages(m: dict) -> None:
    """Text images: the tokenizer's reconstruction gains PSNR over its untrained self, the generator's loss falls
    well below an untrained model's K·ln 2 nats per token; OCR reads the rendered originals (when installed)."""
    assert m["tokenizer_psnr_trained"] > m["tokenizer_psnr_untrained"] + 3, m
    assert m["generator_nll_trained"] < 0.8 * min(m["uniform_nll"], m["generator_nll_untrained"]), m
    assert m.get("ocr_original_characters", 1.0) > 0.9, m
    assert m["generated_shape"][0] == 2, m


HEADLINES: dict[str, Callable[[dict], None]] = {"video.ipynb": video_co_denoising_removes_seams,
                                                "backbones.ipynb": backbones_beat_chance,
                                                "motion.ipynb": motion_learns_both_stages,
                                                "forecast.ipynb": forecasts_beat_naive,
                                                "dna.ipynb": dna_beats_uniform, "protein.ipynb": protein_ranks_its_dms,
                                                "textimage.ipynb": textimage_learns_both_stages}


def test_every_notebook_has_expected_outputs_listed() -> None:
    assert NOTEBOOKS and {p.name for p in NOTEBOOKS} <= set(EXPECTED_FILES) & set(METRICS) & set(HEADLINES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_writes_its_plots_and_learns(path: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEQKIT_NB_SMOKE", "1")
    monkeypatch.setenv("SEQKIT_SHARED_DATA", str(SHARED.resolve()))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")
    nb = nbformat.read(path, as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), "first cell must be tagged parameters"
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    for rel in EXPECTED_FILES[path.name]:
        assert (tmp_path / rel).stat().st_size > 1000, rel
    HEADLINES[path.name](json.loads((tmp_path / METRICS[path.name]).read_text()))
