"""PoET's protein alphabet: 20 amino acids, gap, start, stop and mask, 24 tokens.

Indices 0-19 are ``ARNDCQEGHILKMFPSTWYV``; ``-`` = 20 (gap), ``*`` = 21 (start), ``$`` = 22 (stop) and
``X`` = 23 (mask, padding and unknown). Rare letters fold onto the 20 as PoET does: selenocysteine U → C,
pyrrolysine O → K, ambiguous B, Z and J → X. Lowercase (A3M/A2M insertions) reads as its uppercase letter.
"""

from __future__ import annotations

import numpy as np
from torch import Tensor

AMINO_ACIDS = "ARNDCQEGHILKMFPSTWYV"
GAP, START, STOP, MASK = 20, 21, 22, 23
VOCAB_SIZE = 24
SYMBOLS = AMINO_ACIDS + "-*$X"
FOLDED = {"U": "C", "O": "K", "B": "X", "Z": "X", "J": "X"}

# byte → token lookup; 255 marks a character that is not a residue.
_LOOKUP = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(SYMBOLS):
    _LOOKUP[ord(_c)] = _i
    if _c.isalpha():
        _LOOKUP[ord(_c.lower())] = _i
for _src, _dst in FOLDED.items():
    _LOOKUP[ord(_src)] = _LOOKUP[ord(_src.lower())] = SYMBOLS.index(_dst)
_LOOKUP[ord(".")] = GAP  # A2M insert-column gap


class AlphabetError(ValueError):
    """A sequence holds a character that is not an amino-acid letter, a gap or a recognised code."""


def encode(sequence: str, record: str = "sequence") -> np.ndarray:
    """Residues (and gaps) of ``sequence`` as uint8 tokens; raises naming ``record`` and the position."""
    raw = np.frombuffer(sequence.encode("ascii", errors="replace"), dtype=np.uint8)
    tokens = _LOOKUP[raw]
    bad = np.flatnonzero(tokens == 255)
    if len(bad):
        i = int(bad[0])
        raise AlphabetError(f"{record}: position {i + 1}: {sequence[i]!r} is not an amino-acid letter "
                            f"(allowed: 20 amino acids, U/O/B/Z/J/X, and - or . for gaps)")
    return tokens


def wrap(sequence: str, record: str = "sequence", reverse: bool = False) -> np.ndarray:
    """``start`` + residues + ``stop`` (gaps removed): one sequence as PoET reads it. ``reverse`` flips the
    whole token array (stop first), PoET's reversed direction."""
    body = encode(sequence.replace("-", "").replace(".", ""), record)
    tokens = np.concatenate([[START], body, [STOP]]).astype(np.uint8)
    return tokens[::-1].copy() if reverse else tokens


def decode(tokens: Tensor | np.ndarray | list[int]) -> str:
    """Tokens back to letters (start ``*``, stop ``$``, gap ``-``, mask ``X``)."""
    values = tokens.tolist() if isinstance(tokens, (Tensor, np.ndarray)) else tokens
    return "".join(SYMBOLS[int(t)] for t in values)


__all__ = ["AMINO_ACIDS", "GAP", "MASK", "START", "STOP", "SYMBOLS", "VOCAB_SIZE", "AlphabetError", "decode",
           "encode", "wrap"]
