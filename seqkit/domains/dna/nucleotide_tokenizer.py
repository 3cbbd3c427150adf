"""Single-nucleotide tokenizer (HyenaDNA/Caduceus style): one token per base, N kept as its own token."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from seqkit.domains.dna.nucleotides import clean_sequence

__all__ = ["NucleotideTokenizer"]

_TOKENS = ("<pad>", "<s>", "</s>", "<mask>", "A", "C", "G", "T", "N")
_ID = np.zeros(256, dtype=np.int64)
for _i, _t in enumerate(_TOKENS[4:], start=4):
    _ID[ord(_t)] = _i


class NucleotideTokenizer:
    """Ids: ``<pad>`` 0, ``<s>`` 1, ``</s>`` 2, ``<mask>`` 3, then A C G T N (4–8). Same interface as
    ``KmerTokenizer`` with k = 1, so a model and its tasks take either."""

    pad_id, bos_id, eos_id, mask_id = 0, 1, 2, 3
    oov_id = 8  # N: an unknown base
    n_special = 4
    k = 1
    vocab_size = len(_TOKENS)

    def encode(self, sequence: str | bytes | np.ndarray, *, record: str = "sequence", add_bos: bool = False,
               add_eos: bool = False) -> np.ndarray:
        ids = _ID[clean_sequence(sequence, record)]
        parts = ([[self.bos_id]] if add_bos else []) + [ids] + ([[self.eos_id]] if add_eos else [])
        return np.concatenate(parts).astype(np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray, *, oov_as: str = "N") -> str:
        return "".join(_TOKENS[i] if i != self.oov_id else oov_as for i in np.asarray(ids).tolist() if i >= 4)

    def token_bases(self) -> np.ndarray:
        """(4, 1): tokens 4–7 are A C G T, indices 0–3 into ``"ACGT"``; N (8) is not a base."""
        return np.arange(4)[:, None]

    def token_name(self, token_id: int) -> str:
        return _TOKENS[token_id]
