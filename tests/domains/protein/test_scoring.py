"""Ensemble scoring on a shallow alignment: a cutoff that leaves no homolog is skipped, named and reported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seqkit.domains.protein.alphabet import AMINO_ACIDS
from seqkit.domains.protein.cli import main as protein_cli
from seqkit.domains.protein.msa import msa_from_records
from seqkit.domains.protein.poet import PoET
from seqkit.domains.protein.prompt import HomologSampler
from seqkit.domains.protein.scoring import PromptSpec, score_ensemble

TINY_FIT = ["--model.init_args.d_model=32", "--model.init_args.n_layers=2", "--model.init_args.n_heads=4",
            "--data.init_args.synthetic_length=30", "--data.init_args.synthetic_sequences=32",
            "--data.init_args.context_tokens=120", "--data.init_args.n_train=8", "--data.init_args.n_val=2",
            "--trainer.max_epochs=1", "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def shallow_records(n: int = 37, length: int = 40, seed: int = 0) -> list[tuple[str, str]]:
    """A query and ``n - 1`` homologs each 62-100% identical to it (as a shallow real MSA can be)."""
    rng = np.random.default_rng(seed)
    query = rng.choice(list(AMINO_ACIDS), length)
    records = [("query", "".join(query))]
    for i in range(1, n):
        row = query.copy()
        changed = rng.choice(length, int(rng.integers(0, int(0.38 * length) + 1)), replace=False)
        for pos in changed:
            row[pos] = rng.choice([a for a in AMINO_ACIDS if a != query[pos]])
        records.append((f"homolog_{i}", "".join(row)))
    return records


@pytest.fixture(scope="module")
def sampler() -> HomologSampler:
    sampler = HomologSampler(msa_from_records(shallow_records(), "shallow.a3m"))
    assert sampler.identity[1:].min() >= 0.6 and len(sampler.candidates(0.5)) == 0
    return sampler


def test_a_cutoff_without_homologs_is_skipped_named_and_reported(sampler: HomologSampler) -> None:
    torch.manual_seed(0)
    model = PoET(d_model=32, n_layers=2, n_heads=4).eval()
    query = sampler.msa.query
    variants = [query[:5] + ("A" if query[5] != "A" else "C") + query[6:], query]
    specs = [PromptSpec(200, 1.0), PromptSpec(200, 0.9), PromptSpec(200, 0.5)]
    with pytest.warns(UserWarning, match=r"shallow\.a3m: no homolog has identity <= 0\.5 .*max_similarity=0\.5"):
        result = score_ensemble(model, sampler, variants, specs, seed=1)
    assert result.used == specs[:2] and result.skipped == specs[2:]
    alone = score_ensemble(model, sampler, variants, specs[:2], seed=1)  # the same draws: seeds follow the index
    np.testing.assert_allclose(result.scores, alone.scores)
    assert result.scores.shape == (2,) and np.isfinite(result.scores).all()
    with pytest.warns(UserWarning), pytest.raises(ValueError, match=r"shallow\.a3m: no prompt can be built"):
        score_ensemble(model, sampler, variants, [PromptSpec(200, 0.5), PromptSpec(200, 0.4)])


def test_scoring_command_on_a_shallow_alignment_with_the_default_cutoffs(sampler: HomologSampler,
                                                                         tmp_path: Path) -> None:
    fit = protein_cli(["fit", *TINY_FIT, f"--trainer.default_root_dir={tmp_path}"])
    assert fit.trainer.global_step > 0
    ckpt = next(tmp_path.rglob("last.ckpt"))
    msa = tmp_path / "shallow.a3m"
    msa.write_text("".join(f">{rid}\n{row}\n" for rid, row in zip(sampler.msa.ids, sampler.msa.aligned,
                                                                    strict=True)))
    query = sampler.msa.query
    variants = tmp_path / "dms.csv"
    subs = [f"{query[p]}{p + 1}{a}" for p, a in [(0, "W"), (3, "C"), (7, "P"), (12, "G")] if query[p] != a]
    pd.DataFrame({"mutant": subs, "DMS_score": np.arange(len(subs), dtype=float)}).to_csv(variants, index=False)
    out = tmp_path / "scores.csv"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "seqkit.domains.protein.cli", "score", f"--checkpoint={ckpt}", f"--msa={msa}",
           f"--variants={variants}", f"--output={out}", "--max_tokens", "200"]  # default cutoffs, 0.5 included
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "no homolog has identity <= 0.5" in proc.stderr
    assert "prompts used: 200 tokens, identity <= 1; 200 tokens, identity <= 0.95" in proc.stdout
    assert "skipped, no homolog: 200 tokens, identity <= 0.5" in proc.stdout
    report = json.loads(out.with_suffix(".json").read_text())
    assert [p["max_similarity"] for p in report["prompts"]] == [1.0, 0.95, 0.9, 0.7]
    assert report["skipped_prompts"] == [{"max_tokens": 200, "max_similarity": 0.5}]
    assert len(pd.read_csv(out)) == len(subs)
