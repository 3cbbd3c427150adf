"""GENERator's 6-mer tokenizer (exact vocabulary, alignment fix) and the single-nucleotide tokenizer."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from seqkit.domains.dna.kmer_tokenizer import SPECIAL_TOKENS, KmerTokenizer
from seqkit.domains.dna.nucleotide_tokenizer import NucleotideTokenizer
from seqkit.domains.dna.nucleotides import clean_sequence, reverse_complement


def test_vocabulary_matches_generator_layout() -> None:
    """32 specials (<oov> 0, <s> 1, </s> 2, <pad> 3), then the 4,096 6-mers in product("ATCG") order."""
    tok = KmerTokenizer()
    assert tok.vocab_size == 4128 and len(SPECIAL_TOKENS) == 32
    assert SPECIAL_TOKENS[:4] == ("<oov>", "<s>", "</s>", "<pad>")
    kmers = ["".join(p) for p in itertools.product("ATCG", repeat=6)]
    ids = tok.encode("".join(kmers))
    np.testing.assert_array_equal(ids, np.arange(32, 4128))
    assert tok.token_name(32) == "AAAAAA" and tok.token_name(33) == "AAAAAT" and tok.token_name(4127) == "GGGGGG"


def test_non_multiple_of_k_never_becomes_oov() -> None:
    """GENERator's trap: a 1-5 bp remainder. Pad keeps every base (A's on the left), truncate keeps the right end."""
    seq = "CCGTTA" * 3 + "GT"  # 20 bp
    padded = KmerTokenizer(align="pad").encode(seq)
    truncated = KmerTokenizer(align="truncate").encode(seq)
    assert KmerTokenizer.oov_id not in padded and KmerTokenizer.oov_id not in truncated
    assert KmerTokenizer().decode(padded) == "AAAA" + seq
    assert KmerTokenizer().decode(truncated) == seq[2:]
    with pytest.raises(ValueError, match="chr7: length 20 is not a multiple of k=6"):
        KmerTokenizer(align="error").encode(seq, record="chr7")


def test_soft_mask_n_and_bad_characters() -> None:
    tok = KmerTokenizer()
    assert (tok.encode("acgtac") == tok.encode("ACGTAC")).all()
    ids = tok.encode("ACGTACNCGTAC")  # the second 6-mer holds an N
    assert ids[1] == tok.oov_id and ids[0] != tok.oov_id
    with pytest.raises(ValueError, match=r"read_12: character 'R' at position 4"):
        tok.encode("ACGRTT", record="read_12")
    with pytest.raises(ValueError, match="empty"):
        clean_sequence("", "rec")


def test_bos_eos_and_token_bases_agree_with_kmer_text() -> None:
    tok = KmerTokenizer(k=3)
    ids = tok.encode("GATTAC", add_bos=True, add_eos=True)
    assert ids[0] == tok.bos_id and ids[-1] == tok.eos_id and tok.decode(ids) == "GATTAC"
    table = tok.token_bases()  # (64, 3) indices into ACGT
    for i in range(64):
        assert "".join("ACGT"[b] for b in table[i]) == tok.kmer(i + tok.n_special)


def test_nucleotide_tokenizer_round_trip_and_reverse_complement() -> None:
    tok = NucleotideTokenizer()
    ids = tok.encode("acgtN", add_bos=True)
    assert ids.tolist() == [1, 4, 5, 6, 7, 8] and tok.decode(ids) == "ACGTN"
    rc = reverse_complement(clean_sequence("AACGTN"))
    assert rc.tobytes() == b"NACGTT"
    assert tok.token_bases().ravel().tolist() == [0, 1, 2, 3]
