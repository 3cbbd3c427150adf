"""GENERator's 6-mer tokenizer: non-overlapping k-mers read from the left, with its exact vocabulary.

Ids 0–31 are GENERator's special tokens (``<oov>`` = 0, ``<s>`` = 1, ``</s>`` = 2, ``<pad>`` = 3, …) and
ids 32… are the 4^k k-mers in ``itertools.product("ATCG")`` order (A, T, C, G — not ACGT), so ids line up
with GENERator checkpoints. Its known trap is fixed here: a length that is not a multiple of k would leave
a 1–5 bp remainder that becomes ``<oov>`` (and degenerate generation), so inputs are aligned first —
left-padded with a base or left-truncated (the right end, which a causal LM continues, is always kept).
A k-mer containing N is ``<oov>``, as in GENERator; lower-case (soft-masked) bases are upper-cased.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from seqkit.domains.dna.nucleotides import clean_sequence

__all__ = ["KMER_BASES", "SPECIAL_TOKENS", "KmerTokenizer"]

SPECIAL_TOKENS = ("<oov>", "<s>", "</s>", "<pad>", "<mask>", "<bog>", "<eog>", "<bok>", "<eok>", "<+>", "<->",
                  "<mam>", "<vrt>", "<inv>", "<pln>", "<fng>", "<prt>",
                  "<cds>", "<pseudo>", "<tRNA>", "<rRNA>", "<ncRNA>", "<misc_RNA>",
                  *(f"<sp{i}>" for i in range(9)))
KMER_BASES = "ATCG"  # GENERator's k-mer order: itertools.product("ATCG", repeat=k)
_DIGIT = np.full(256, 4, dtype=np.int64)  # byte → position in KMER_BASES, 4 for N
for _i, _b in enumerate(KMER_BASES):
    _DIGIT[ord(_b)] = _i


class KmerTokenizer:
    """Encode DNA as non-overlapping k-mers (GENERator: k = 6, vocabulary 4,128).

    Args:
        k (int): k-mer length. Default: 6.
        align (str): how a length that is not a multiple of k is fixed: ``"pad"`` prepends ``pad_base``,
            ``"truncate"`` drops the leftmost bases, ``"error"`` refuses. Default: ``"pad"``.
        pad_base (str): the base used by ``align="pad"`` (GENERator's advice: A). Default: ``"A"``.
    """

    oov_id, bos_id, eos_id, pad_id, mask_id = 0, 1, 2, 3, 4
    n_special = len(SPECIAL_TOKENS)

    def __init__(self, k: int = 6, align: Literal["pad", "truncate", "error"] = "pad", pad_base: str = "A") -> None:
        if align not in ("pad", "truncate", "error"):
            raise ValueError(f"KmerTokenizer: align must be 'pad', 'truncate' or 'error', got {align!r}")
        if pad_base not in KMER_BASES:
            raise ValueError(f"KmerTokenizer: pad_base must be one of A, C, G, T, got {pad_base!r}")
        self.k, self.align, self.pad_base = k, align, pad_base
        self.vocab_size = self.n_special + 4**k
        self._powers = 4 ** np.arange(k - 1, -1, -1)  # first base most significant: product() order

    def aligned(self, codes: np.ndarray, record: str = "sequence") -> np.ndarray:
        """Bytes whose length is a multiple of k, by the ``align`` policy."""
        remainder = len(codes) % self.k
        if remainder == 0:
            return codes
        if self.align == "error":
            raise ValueError(f"{record}: length {len(codes)} is not a multiple of k={self.k}")
        if self.align == "truncate":
            if len(codes) < self.k:
                raise ValueError(f"{record}: {len(codes)} bp is shorter than one {self.k}-mer")
            return codes[remainder:]
        pad = np.full(self.k - remainder, ord(self.pad_base), dtype=np.uint8)
        return np.concatenate([pad, codes])

    def encode(self, sequence: str | bytes | np.ndarray, *, record: str = "sequence", add_bos: bool = False,
               add_eos: bool = False) -> np.ndarray:
        """Token ids (int64) of one sequence; ``record`` names it in errors."""
        codes = self.aligned(clean_sequence(sequence, record), record)
        digits = _DIGIT[codes].reshape(-1, self.k)  # (T, k)
        ids = (np.minimum(digits, 3) * self._powers).sum(axis=1) + self.n_special
        ids[(digits == 4).any(axis=1)] = self.oov_id
        parts = [[self.bos_id]] if add_bos else []
        parts.append(ids)
        if add_eos:
            parts.append([self.eos_id])
        return np.concatenate(parts).astype(np.int64)

    def decode(self, ids: Sequence[int] | np.ndarray, *, oov_as: str = "N") -> str:
        """DNA text of k-mer ids; ``<oov>`` becomes k × ``oov_as`` (the bases are unknown), other specials
        are dropped."""
        ids = np.asarray(ids, dtype=np.int64)
        out = []
        for i in ids.tolist():
            if i >= self.n_special:
                out.append(self.kmer(i))
            elif i == self.oov_id:
                out.append(oov_as * self.k)
        return "".join(out)

    def kmer(self, token_id: int) -> str:
        """The k-mer text of one id ≥ ``n_special``."""
        digits = (token_id - self.n_special) // self._powers % 4
        return "".join(KMER_BASES[d] for d in digits)

    def token_bases(self) -> np.ndarray:
        """(4^k, k): row i holds the bases of token ``n_special + i`` as indices into ``"ACGT"`` (the base
        order every tokenizer shares), for base-level marginals and variant scoring."""
        digits = np.arange(4**self.k)[:, None] // self._powers % 4  # index into "ATCG"
        return np.array([0, 3, 1, 2])[digits]  # A T C G → positions in A C G T

    def token_name(self, token_id: int) -> str:
        return SPECIAL_TOKENS[token_id] if token_id < self.n_special else self.kmer(token_id)
