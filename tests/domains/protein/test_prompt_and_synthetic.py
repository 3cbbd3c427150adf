"""Prompt sampling (identity filter, weighted order, token budget, seeding) and the synthetic family."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from seqkit.domains.protein.alphabet import AMINO_ACIDS, START, STOP, decode
from seqkit.domains.protein.msa import msa_from_records, read_msa
from seqkit.domains.protein.prompt import HomologSampler
from seqkit.domains.protein.sequence_weights import identity_to_query, sequence_weights
from seqkit.domains.protein.synthetic_family import synthetic_family
from seqkit.domains.protein.variants import read_variants


@pytest.fixture(scope="module")
def family():
    return synthetic_family(length=60, n_sequences=128, seed=3)


def test_prompt_respects_identity_budget_and_is_seeded(family) -> None:
    sampler = HomologSampler(family.msa)
    prompt = sampler.prompt(np.random.default_rng(0), max_tokens=600, max_similarity=0.7)
    assert all(sampler.identity[m] <= 0.7 for m in prompt.members) and 0 not in prompt.members
    sizes = [len(family.msa.raw[m]) + 2 for m in prompt.members]
    assert len(prompt) == sum(sizes) and sum(sizes[:-1]) < 600 <= sum(sizes)  # stops once the budget is reached
    text = decode(prompt.tokens)
    assert text.startswith("*") and text.endswith("$") and text.count("*") == len(prompt.members)
    assert prompt.positions[prompt.tokens == START].tolist() == [0] * len(prompt.members)
    again = sampler.prompt(np.random.default_rng(0), max_tokens=600, max_similarity=0.7)
    assert again.members == prompt.members
    reverse = sampler.prompt(np.random.default_rng(0), max_tokens=600, max_similarity=0.7, reverse=True)
    assert (reverse.tokens == prompt.tokens[::-1]).all() and reverse.tokens[0] == STOP


def test_weighted_order_prefers_heavy_homologs() -> None:
    # 40 copies of one sequence (weight 1/40 each) against 10 distinct ones (weight 1): the distinct ones
    # should fill most of a small prompt even though they are outnumbered.
    rng = np.random.default_rng(0)
    distinct = ["".join(rng.choice(list(AMINO_ACIDS), 30)) for _ in range(10)]
    records = [("q", distinct[0])] + [(f"c{i}", "A" * 30) for i in range(40)] + [(f"d{i}", s) for i, s in
                                                                                enumerate(distinct[1:])]
    sampler = HomologSampler(msa_from_records(records, "toy.fasta"))
    picks = [m for seed in range(200) for m in sampler.draw(np.random.default_rng(seed), max_tokens=64)]
    copies = sum(1 <= m <= 40 for m in picks)
    assert copies / len(picks) < 0.35  # uniform sampling would pick a copy 40/50 = 80% of the time


def test_synthetic_family_is_seeded_diverse_and_its_dms_is_the_true_fitness(family, tmp_path: Path) -> None:
    again = synthetic_family(length=60, n_sequences=128, seed=3)
    assert again.msa.aligned == family.msa.aligned
    tokens = family.msa.aligned_tokens()
    identity = identity_to_query(tokens)
    assert 0.3 < identity[1:].mean() < 0.85 and sequence_weights(tokens).sum() > 10
    assert any(r.startswith("-") or r.endswith("-") for r in family.msa.aligned[1:])  # fragments
    dms = family.dms()
    assert len(dms) == 60 * 19
    wt = np.array([AMINO_ACIDS.index(c) for c in family.query])
    k = 7
    mutant = np.array([AMINO_ACIDS.index(c) for c in dms.sequences[k]])
    assert dms.dms_score[k] == pytest.approx(family.fitness(mutant[None])[0] - family.fitness(wt[None])[0])
    # selection shaped the family: the family's own column frequencies rank the true effects
    freq = np.stack([np.bincount(tokens[:, i].clip(max=20), minlength=21)[:20] + 0.5 for i in range(60)])
    logp = np.log(freq / freq.sum(1, keepdims=True))
    pred = [logp[int(n[1:-1]) - 1, AMINO_ACIDS.index(n[-1])] - logp[int(n[1:-1]) - 1, AMINO_ACIDS.index(n[0])]
            for n in dms.names]
    assert spearmanr(pred, dms.dms_score).statistic > 0.4
    a3m, csv = family.write(tmp_path)
    assert read_msa(a3m).aligned == family.msa.aligned
    assert read_variants(csv, wild_type=family.query).sequences == dms.sequences
