"""Choose a DNA tokenizer by name (what configs and checkpoints store: plain strings and ints)."""

from __future__ import annotations

from typing import Literal

from seqkit.domains.dna.kmer_tokenizer import KmerTokenizer
from seqkit.domains.dna.nucleotide_tokenizer import NucleotideTokenizer

__all__ = ["DnaTokenizer", "build_tokenizer"]

DnaTokenizer = KmerTokenizer | NucleotideTokenizer


def build_tokenizer(name: Literal["kmer", "nucleotide"] = "kmer", k: int = 6,
                    align: Literal["pad", "truncate", "error"] = "truncate") -> DnaTokenizer:
    """``"kmer"``: GENERator's k-mer tokenizer (k = 6); ``"nucleotide"``: one token per base (k ignored)."""
    if name == "kmer":
        return KmerTokenizer(k=k, align=align)
    if name == "nucleotide":
        return NucleotideTokenizer()
    raise ValueError(f"tokenizer must be 'kmer' or 'nucleotide', got {name!r}")
