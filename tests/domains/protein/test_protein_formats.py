"""Protein formats on the real BLAT_ECOLX / PTEN_HUMAN files and on crafted bad inputs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from seqkit.domains.protein.alphabet import GAP, START, STOP, VOCAB_SIZE, AlphabetError, decode, encode, wrap
from seqkit.domains.protein.msa import MSAFormatError, msa_from_records, read_msa, read_sequences
from seqkit.domains.protein.sequence_weights import identity_to_query, sequence_weights
from seqkit.domains.protein.variants import VariantError, apply_mutant, parse_mutant, read_variants

PROTEIN = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "protein"
BLAT = PROTEIN / "BLAT_ECOLX"
PTEN = PROTEIN / "PTEN_HUMAN"
needs_data = pytest.mark.skipif(not BLAT.exists(), reason=f"protein data not found at {PROTEIN}")


def test_alphabet_is_poets_uniprot21_with_folded_rare_letters() -> None:
    assert VOCAB_SIZE == 24 and (GAP, START, STOP) == (20, 21, 22)
    assert encode("ARNDCQEGHILKMFPSTWYV").tolist() == list(range(20))
    assert decode(encode("UOBZJx-.")) == "CKXXXX--"  # U→C, O→K, B/Z/J→X, lowercase reads as upper, . is a gap
    assert decode(wrap("AC-D")) == "*ACD$" and decode(wrap("ACD", reverse=True)) == "$DCA*"
    with pytest.raises(AlphabetError, match=r"record 7: position 3: '1'"):
        encode("AC1D", "record 7")


def test_insertions_are_dropped_from_the_alignment_and_kept_in_the_raw_homolog() -> None:
    records = [("q", "MKV-LA"), ("h1", "MaKV-LA"), ("h2", "M-VcdLA-"), ("h3", "M..KV-LA")]
    msa = msa_from_records(records, "toy.a2m", "a2m")
    assert msa.aligned == ["MKV-LA", "MKV-LA", "M-VLA-", "MKV-LA"]
    assert msa.raw == ["MKVLA", "MAKVLA", "MVCDLA", "MKVLA"]
    assert msa.query_columns.tolist() == [0, 1, 2, 4, 5]  # query residue → match column
    assert msa_from_records([("q", "MkV-a")], "q.a2m", "a2m").query_columns.tolist() == [0, -1, 1, -1]
    with pytest.raises(MSAFormatError, match=r"record 2 \('h'\) has 5 match columns, the query has 6"):
        msa_from_records([("q", "MKV-LA"), ("h", "MKVLA")], "toy.a3m", "a3m")
    with pytest.raises(MSAFormatError, match=r"record 2 \('h'\): empty sequence"):
        msa_from_records([("q", "MKV"), ("h", "---")], "toy.a3m", "a3m")
    with pytest.raises(MSAFormatError, match=r"record 2 \('h'\): position 2: '#'"):
        msa_from_records([("q", "MKV"), ("h", "M#V")], "toy.a3m", "a3m")
    plain = msa_from_records([("a", "MKV"), ("b", "MKVLA")], "toy.fasta", "fasta")
    assert plain.aligned is None and plain.raw == ["MKV", "MKVLA"]
    with pytest.raises(MSAFormatError, match="unaligned"):
        plain.aligned_tokens()


def test_weights_count_neighbours_within_theta_over_each_rows_residues() -> None:
    rows = ["AAAAAAAAAA", "AAAAAAAAAC", "CCCCCCCCCC", "AAAAA-----"]
    tokens = np.stack([encode(r) for r in rows])
    w = sequence_weights(tokens, theta=0.2, block=2)
    # row 0: itself, row 1 (1/10 apart), row 3? over row 0's 10 residues, row 3 differs at 5 → not a neighbour
    # row 3: over its own 5 residues rows 0 and 1 match fully → neighbours 0, 1, 3
    assert w.tolist() == pytest.approx([1 / 2, 1 / 2, 1.0, 1 / 3])
    assert identity_to_query(tokens).tolist() == pytest.approx([1.0, 0.9, 0.0, 0.5])


def test_fasta_readers_reject_duplicates_and_gapped_queries(tmp_path: Path) -> None:
    path = tmp_path / "v.fasta"
    path.write_text(">a\nMKV\n>b\nMKL\n>a\nMKI\n")
    with pytest.raises(MSAFormatError, match=r"record 3 \('a'\): duplicated id, first seen at record 1"):
        read_sequences(path)
    path.write_text(">a\nMK-V\n")
    with pytest.raises(MSAFormatError, match="gaps"):
        read_sequences(path)
    sto = tmp_path / "toy.sto"
    sto.write_text("# STOCKHOLM 1.0\nq  MKV-LA\nh1 MK.VLA\n//\n")
    msa = read_msa(sto)
    assert msa.aligned is not None and msa.raw == ["MKVLA", "MKVLA"]


def test_mutants_parse_and_must_match_the_wild_type(tmp_path: Path) -> None:
    assert parse_mutant("A1P:D2N") == [("A", 1, "P"), ("D", 2, "N")]
    assert apply_mutant("ADK", "A1P:D2N") == "PNK"
    for bad, pattern in (("A1", "not a substitution"), ("A1P:A1G", "mutated twice"), ("a1P", "not a substitution")):
        with pytest.raises(VariantError, match=pattern):
            parse_mutant(bad)
    with pytest.raises(VariantError, match="has 'D' at position 2, not 'E'"):
        apply_mutant("ADK", "E2N")
    with pytest.raises(VariantError, match="outside the wild type"):
        apply_mutant("ADK", "K9N")
    csv = tmp_path / "dms.csv"
    csv.write_text("mutant,mutated_sequence,DMS_score\nA1P,PDK,0.5\nD2N,ADN,0.1\n")
    with pytest.raises(VariantError, match=r"dms.csv: row 3: mutant 'D2N' applied to the wild type does not give"):
        read_variants(csv, wild_type="ADK")
    csv.write_text("mutant,DMS_score\nA1P,0.5\nD2N,0.1\n")
    variants = read_variants(csv, wild_type="ADK")
    assert variants.sequences == ["PDK", "ANK"] and variants.dms_score.tolist() == [0.5, 0.1]


@needs_data
def test_real_msas_and_assays_read_and_agree_with_their_wild_types() -> None:
    blat = read_msa(BLAT / "BLAT_ECOLX_ColabFold_2202.a3m")
    assert len(blat) == 4501 and len(blat.aligned[0]) == 286 and {len(r) for r in blat.aligned} == {286}
    pten = read_msa(PTEN / "PTEN_HUMAN_b1.0.a2m")
    assert len(pten) == 1197 and {len(r) for r in pten.aligned} == {387} and len(pten.query) == 403
    wt = read_sequences(PTEN / "PTEN_HUMAN_wt.fasta")[0][1]
    pten.check_query(wt)
    assert len(pten.query_columns) == 403 and (pten.query_columns >= 0).sum() == 387 - pten.aligned[0].count("-")
    with pytest.raises(MSAFormatError, match="first record .* is not the query"):
        blat.check_query(wt)
    dms = read_variants(BLAT / "BLAT_ECOLX_Jacquier_2013.csv", wild_type=blat.query)
    assert len(dms) == 989 and dms.dms_score is not None and np.isfinite(dms.dms_score).all()
    fasta = read_variants(BLAT / "BLAT_ECOLX_Jacquier_2013_variants.fasta")
    assert len(fasta) == 989 and set(fasta.sequences) == set(dms.sequences)
    pten_dms = read_variants(PTEN / "PTEN_HUMAN_VAMPseq_ProteinGym_format.csv", wild_type=wt)
    assert len(pten_dms) == 4112
    w = sequence_weights(pten.aligned_tokens())
    assert 0 < w.min() and w.max() <= 1 and 50 < w.sum() < len(pten)  # redundancy is down-weighted
