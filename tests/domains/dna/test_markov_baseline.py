"""The order-m Markov baseline recovers a known chain's entropy and predicts a periodic sequence exactly."""

from __future__ import annotations

import math

import numpy as np

from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.genome_windows import Span
from seqkit.domains.dna.markov_baseline import MarkovModel


def test_fitted_chain_reaches_the_true_entropy() -> None:
    rng = np.random.default_rng(0)
    transition = rng.dirichlet(np.ones(4) * 0.5, size=16)  # order 2: context (4²) → next base
    codes = list(rng.integers(4, size=2))
    for _ in range(60_000):
        codes.append(rng.choice(4, p=transition[codes[-2] * 4 + codes[-1]]))
    text = "".join("ACGT"[c] for c in codes)
    genome = Genome(sequences={"c": text})
    model = MarkovModel(order=2, both_strands=False).fit(genome, [Span("c", 0, 50_000)])
    held_out = [genome.fetch("c", 50_000, 60_000)]
    stationary = np.bincount(np.array(codes[:-1]) * 4 + np.array(codes[1:]), minlength=16) / (len(codes) - 1)
    entropy = -sum(stationary[c] * (transition[c] * np.log(transition[c])).sum() for c in range(16))
    assert abs(math.log(model.perplexity_per_base(held_out)) - entropy) < 0.02
    # this chain is not strand-symmetric: pooling the reverse strand (a different chain) must cost
    pooled = MarkovModel(order=2).fit(genome, [Span("c", 0, 50_000)])
    assert pooled.perplexity_per_base(held_out) > model.perplexity_per_base(held_out) * 1.05


def test_periodic_sequence_is_recovered_exactly() -> None:
    genome = Genome(sequences={"p": "ACCGTTAGG" * 400})
    model = MarkovModel(order=3).fit(genome, [Span("p", 0, 2700)])
    window = genome.fetch("p", 2700, 3600)
    assert model.recovery([window[9:]], k=6) > 0.99  # after 3 bases of context every base is determined
    assert model.perplexity_per_base([window]) < 1.1


def test_sampling_continues_a_periodic_sequence() -> None:
    genome = Genome(sequences={"p": "ACCGTTAGG" * 400})
    model = MarkovModel(order=3).fit(genome, [Span("p", 0, 3600)])
    out = model.sample("ACCG", 18, np.random.default_rng(0))  # the period is determined after 3 bases
    assert out == "TTAGGACCGTTAGGACCG"
