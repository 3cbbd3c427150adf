"""Region splits never overlap, windows respect spans and the N policy, batches keep a constant token budget."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.genome_windows import random_windows, split_genome, tile_windows
from seqkit.domains.dna.kmer_tokenizer import KmerTokenizer
from seqkit.domains.dna.nucleotides import reverse_complement
from seqkit.domains.dna.window_batches import WindowBatches, length_schedule


def _genome(seed: int = 0) -> Genome:
    rng = np.random.default_rng(seed)
    return Genome(sequences={"a": "".join(rng.choice(list("ACGT"), 30_000)),
                             "b": "".join(rng.choice(list("ACGT"), 12_345))})


def test_split_covers_the_genome_once_without_overlap() -> None:
    genome = _genome()
    spans = split_genome(genome, 0.1, 0.1, block_bp=2_000, seed=3)
    covered = {name: np.zeros(length, dtype=int) for name, length in genome}
    for split in spans.values():
        for s in split:
            covered[s.record][s.start : s.end] += 1
    assert all((c == 1).all() for c in covered.values())
    assert spans["val"] and spans["test"] and sum(s.length for s in spans["train"]) > 0.7 * genome.total_length
    with pytest.raises(ValueError, match="lower block_bp"):
        split_genome(genome, 0.1, 0.1, block_bp=40_000)


def test_random_windows_stay_in_spans_and_reverse_complement() -> None:
    genome = _genome()
    spans = split_genome(genome, 0.1, 0.1, block_bp=2_000, seed=3)["val"]
    text = {name: genome.fetch(name, 0, length).tobytes() for name, length in genome}
    allowed = [text[s.record][s.start : s.end] for s in spans]
    windows = random_windows(genome, spans, 600, np.random.default_rng(0), rc_prob=0.5)
    n_rc = 0
    for _ in range(40):
        w = next(windows).tobytes()
        forward = any(w in region for region in allowed)
        backward = any(reverse_complement(np.frombuffer(w, np.uint8)).tobytes() in region for region in allowed)
        assert forward or backward
        n_rc += not forward
    assert 5 < n_rc < 35
    with pytest.raises(ValueError, match="longer than every span"):
        next(random_windows(genome, spans, 10**6, np.random.default_rng(0)))


def test_n_policy() -> None:
    genome = Genome(sequences={"n": "ACGT" * 50 + "N" * 100 + "ACGT" * 50})
    spans = split_genome(genome, 0.0, 0.0, block_bp=1_000)["train"]
    tiles = tile_windows(genome, spans, 100)
    assert [t[0].start for t in tiles] == [0, 100, 300, 400]  # the tile holding N is dropped
    assert len(tile_windows(genome, spans, 100, n_policy="keep")) == 5
    windows = random_windows(genome, spans, 50, np.random.default_rng(0), rc_prob=0.0)
    assert all(ord("N") not in next(windows) for _ in range(30))
    with pytest.raises(ValueError, match="held more than 0% N"):
        next(random_windows(genome, spans, 300, np.random.default_rng(0)))


def test_batches_have_one_length_each_and_a_constant_budget() -> None:
    genome = _genome()
    spans = split_genome(genome, 0.1, 0.1, block_bp=2_000)["train"]
    tok = KmerTokenizer()
    data = WindowBatches(genome, spans, tok, [600, 1200, 2400], bp_per_batch=4800, steps_per_epoch=9, seed=1)
    shapes = [tuple(b["tokens"].shape) for b in data]
    assert sorted(shapes) == sorted([(8, 101), (4, 201), (2, 401)] * 3)
    assert all(b["tokens"][:, 0].eq(tok.bos_id).all() for b in data)
    again = [b["tokens"] for b in data]
    assert all((a == b).all() for a, b in zip([b["tokens"] for b in data], again, strict=True))  # seeded
    other_epoch = WindowBatches(genome, spans, tok, [600, 1200, 2400], 4800, 9, seed=1, epoch=lambda: 1)
    pairs = zip(again, other_epoch, strict=True)
    assert not all(a.shape == b["tokens"].shape and (a == b["tokens"]).all() for a, b in pairs)
    assert length_schedule([1, 2, 3], 7, np.random.default_rng(0), curriculum=True) == [1, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ValueError, match="not a multiple of k=6"):
        WindowBatches(genome, spans, tok, [1000], 4000, 2)
