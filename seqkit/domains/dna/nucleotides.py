"""DNA text → validated upper-case bytes, and the reverse complement.

Soft-masked (lower-case) bases are upper-cased; anything outside ``ACGTN`` is an error that names the
record and the 1-based position, because a silent substitution would change what a model reads.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NUCLEOTIDES", "clean_sequence", "reverse_complement"]

NUCLEOTIDES = "ACGTN"
_VALID = np.zeros(256, dtype=bool)
_VALID[np.frombuffer(b"ACGTNacgtn", dtype=np.uint8)] = True
_UPPER = np.arange(256, dtype=np.uint8)
_UPPER[np.frombuffer(b"acgtn", dtype=np.uint8)] = np.frombuffer(b"ACGTN", dtype=np.uint8)
_COMPLEMENT = np.arange(256, dtype=np.uint8)
_COMPLEMENT[np.frombuffer(b"ACGTN", dtype=np.uint8)] = np.frombuffer(b"TGCAN", dtype=np.uint8)


def clean_sequence(sequence: str | bytes | np.ndarray, record: str = "sequence") -> np.ndarray:
    """Upper-case ``ACGTN`` bytes (uint8 array); raises ``ValueError`` naming ``record`` and the first bad
    position. Empty input is an error too (an empty FASTA record is almost always a broken file)."""
    raw = sequence.encode("ascii", errors="replace") if isinstance(sequence, str) else sequence
    codes = np.frombuffer(raw, dtype=np.uint8) if isinstance(raw, bytes) else np.asarray(raw, dtype=np.uint8)
    if codes.size == 0:
        raise ValueError(f"{record}: empty sequence")
    bad = np.flatnonzero(~_VALID[codes])
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{record}: character {chr(codes[i])!r} at position {i + 1} is not one of A, C, G, T, N "
                         f"({bad.size} such characters in total)")
    return _UPPER[codes]


def reverse_complement(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of upper-case ``ACGTN`` bytes (N stays N)."""
    return _COMPLEMENT[codes[::-1]]
