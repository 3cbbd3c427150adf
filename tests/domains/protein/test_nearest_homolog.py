"""The unseen-family check: the nearest training sequence to a query by local alignment identity."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from seqkit.domains.protein.alphabet import AMINO_ACIDS
from seqkit.domains.protein.nearest_homolog import alignment_identity, nearest_training_sequence


def _random(n: int, rng: random.Random) -> str:
    return "".join(rng.choice(AMINO_ACIDS) for _ in range(n))


def _mutate(seq: str, fraction: float, rng: random.Random) -> str:
    out = list(seq)
    for i in rng.sample(range(len(seq)), int(fraction * len(seq))):
        out[i] = rng.choice([a for a in AMINO_ACIDS if a != seq[i]])
    return "".join(out)


def test_identity_is_identical_residues_over_the_shorter_length() -> None:
    rng = random.Random(0)
    query = _random(200, rng)
    assert alignment_identity(query, query) == (1.0, 200, 200)
    half = _mutate(query, 0.5, rng)
    identity, identical, _ = alignment_identity(query, half)
    assert identity == pytest.approx(0.5, abs=0.06) and identical == pytest.approx(100, abs=12)
    domain = query[50:110]  # a short domain identical to part of the query counts as close
    assert alignment_identity(query, domain)[0] == 1.0
    assert alignment_identity(query, _random(200, rng))[0] < 0.2  # unrelated


def test_nearest_finds_the_planted_homolog_among_many_families(tmp_path: Path) -> None:
    rng = random.Random(1)
    query = _random(150, rng)
    for k in range(5):
        records = [_random(rng.randint(80, 200), rng) for _ in range(40)]
        if k == 3:
            records[17] = _mutate(query, 0.6, rng)  # 40 % identical
        (tmp_path / f"F{k}.fasta").write_text("".join(f">s{i}\n{s}\n" for i, s in enumerate(records)))
    hit = nearest_training_sequence(query, sorted(tmp_path.glob("*.fasta")), candidates=20)
    assert (hit.family, hit.record) == ("F3", "s17")
    assert hit.identity == pytest.approx(0.4, abs=0.06) and hit.searched == 200 and hit.aligned_candidates == 20
