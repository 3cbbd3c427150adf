"""Is a test family unseen? The training sequence nearest to a query, by local alignment identity.

A cross-family model scores a family "zero-shot" only if no training sequence is close to its query; the
usual bar is 30 % identity. Every training sequence is ranked by the 3-mers it shares with the query
(a cheap prefilter over the whole corpus), then the ``candidates`` best are aligned exactly
(Smith-Waterman, BLOSUM62, gap open 11 and extend 1, as BLAST's defaults for proteins). Identity is the
identical residues of the best local alignment over the length of the shorter sequence (CD-HIT's
convention), so a short domain identical to part of the query counts as close.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqkit.domains.protein.alphabet import GAP, encode
from seqkit.domains.protein.family_corpus import family_name
from seqkit.domains.protein.msa import read_msa

K = 3


@dataclass(frozen=True)
class NearestHit:
    """The closest training sequence to a query."""

    family: str
    record: str
    identity: float  # identical residues / length of the shorter sequence
    identical: int
    aligned: int  # aligned columns of the local alignment (gaps excluded)
    searched: int  # training sequences ranked by the prefilter
    aligned_candidates: int  # of which aligned exactly


def _kmer_codes(sequence: str) -> np.ndarray:
    """The distinct 3-mers of ``sequence`` as integers in [0, 21^3)."""
    t = encode(sequence).astype(np.int64).clip(max=GAP)  # (L,)
    if len(t) < K:
        return np.empty(0, dtype=np.int64)
    codes = t[:-2] * 21 * 21 + t[1:-1] * 21 + t[2:]
    return np.unique(codes)


def _aligner():
    from Bio.Align import PairwiseAligner, substitution_matrices

    return PairwiseAligner(mode="local", substitution_matrix=substitution_matrices.load("BLOSUM62"),
                           open_gap_score=-11, extend_gap_score=-1)


def alignment_identity(a: str, b: str, aligner=None) -> tuple[float, int, int]:
    """(identity over the shorter length, identical residues, aligned columns) of the best local alignment."""
    aligner = aligner or _aligner()
    alignments = aligner.align(a, b)
    if alignments.score <= 0:
        return 0.0, 0, 0
    counts = alignments[0].counts()
    return counts.identities / min(len(a), len(b)), int(counts.identities), int(counts.aligned)


def nearest_training_sequence(query: str, files: Sequence[Path], candidates: int = 200) -> NearestHit:
    """The training sequence (over every family file in ``files``) with the highest identity to ``query``."""
    query_kmers = _kmer_codes(query)
    shared: list[int] = []
    where: list[tuple[int, int]] = []
    families = [read_msa(path) for path in files]
    for f, msa in enumerate(families):
        for r, sequence in enumerate(msa.raw):
            shared.append(int(np.isin(_kmer_codes(sequence), query_kmers, assume_unique=True).sum()))
            where.append((f, r))
    if not where:
        raise ValueError("nearest_training_sequence: no training sequences")
    top = np.argsort(-np.asarray(shared), kind="stable")[:candidates]
    aligner = _aligner()
    best: tuple[float, int, int, int] | None = None
    for i in top:
        f, r = where[int(i)]
        identity, identical, aligned = alignment_identity(query, families[f].raw[r], aligner)
        if best is None or identity > best[0]:
            best = (identity, identical, aligned, int(i))
    identity, identical, aligned, i = best
    f, r = where[i]
    return NearestHit(family_name(Path(files[f])), families[f].ids[r], identity, identical, aligned, len(where),
                      len(top))
