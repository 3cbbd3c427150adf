"""FASTA random access (.fai over plain and BGZF files) and the Genome reader on real E. coli files."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
from Bio import bgzf

from seqkit.domains.dna.fasta_index import FastaIndex, compression
from seqkit.domains.dna.genome import Genome


def _records(seed: int = 0) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    return {f"chr{i}": "".join(rng.choice(list("ACGTacgtN"), size=n)) for i, n in enumerate([1003, 60, 2500])}


def _write_fasta(path: Path, records: dict[str, str], width: int = 61, writer=open) -> Path:
    with writer(path, "wb") as fh:
        for name, seq in records.items():
            fh.write(f">{name} description\n".encode())
            for i in range(0, len(seq), width):
                fh.write((seq[i : i + width] + "\n").encode())
    return path


@pytest.mark.parametrize("kind", ["plain", "bgzf"])
def test_indexed_windows_equal_the_sequence(tmp_path: Path, kind: str) -> None:
    records = _records()
    path = tmp_path / ("g.fa" if kind == "plain" else "g.fa.gz")
    _write_fasta(path, records, writer=open if kind == "plain" else bgzf.BgzfWriter)
    assert compression(path) == kind
    index = FastaIndex(path)
    assert Path(f"{path}.fai").exists() and (kind == "plain" or Path(f"{path}.gzi").exists())
    rng = np.random.default_rng(1)
    for _ in range(50):
        name = f"chr{rng.integers(3)}"
        start = int(rng.integers(len(records[name])))
        end = int(rng.integers(start, len(records[name]) + 1))
        assert index.fetch(name, start, end).tobytes().decode() == records[name][start:end].upper()
    reopened = FastaIndex(path)  # from the written .fai/.gzi this time
    assert reopened.fetch("chr2", 2400, 2500).tobytes() == index.fetch("chr2", 2400, 2500).tobytes()
    assert reopened.length("chr1") == 60


def test_bad_inputs_get_clear_errors(tmp_path: Path) -> None:
    plain_gzip = _write_fasta(tmp_path / "g.fa.gz", _records(), writer=gzip.open)
    with pytest.raises(ValueError, match="bgzip"):
        FastaIndex(plain_gzip)
    assert Genome(plain_gzip).length("chr2") == 2500  # plain gzip loads into memory instead
    with pytest.raises(ValueError, match="in_memory"):
        Genome(plain_gzip, in_memory=False)
    bad = _write_fasta(tmp_path / "bad.fa", {"ok": "ACGT" * 10, "chrX": "ACGTRACGT"})
    with pytest.raises(ValueError, match=r"record 'chrX'.*'R' at position 5"):
        Genome(bad)
    empty = tmp_path / "empty.fa"
    empty.write_text(">a\nACGT\n>b\n>c\nAC\n")
    with pytest.raises(ValueError, match="'b'.*empty|empty.*'b'"):
        Genome(empty, in_memory=False)
    genome = Genome(sequences={"c1": "ACGTACGTAA"})
    with pytest.raises(ValueError, match=r"window \[5, 20\) \(15 bp\) does not fit in record 'c1' of length 10"):
        genome.fetch("c1", 5, 20)
    assert genome.fetch("c1", 0, 4, strand=-1).tobytes() == b"ACGT"


# ../shared/data beside the checkout (as seqkit.data.resolve_data_path), or wherever SEQKIT_SHARED_DATA points.
DNA = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "dna"
ECOLI = "ecoli_k12_mg1655_GCF_000005845.2"


def _real(suffix: str) -> Path:
    path = DNA / (ECOLI + suffix)
    if not path.exists():
        pytest.skip(f"E. coli files not found in {DNA}")
    return path


def test_ecoli_fasta_and_genbank_agree() -> None:
    fasta, genbank = Genome(_real(".fna.gz")), Genome(_real(".gbff.gz"))
    assert fasta.names == ["NC_000913.3"] and fasta.length("NC_000913.3") == 4_641_652
    assert fasta.fetch("NC_000913.3", 0, 16).tobytes() == b"AGCTTTTCATTCTGAC"
    assert genbank.fetch("NC_000913.3", 1_000_000, 1_001_000).tobytes() == \
        fasta.fetch("NC_000913.3", 1_000_000, 1_001_000).tobytes()
    cds = genbank.coding_sequences()
    assert 4_200 < len(cds) <= 4_315
    starts = [genbank.fetch(c.record, c.start, c.end, strand=c.strand)[:3].tobytes() for c in cds]
    assert np.mean([s in (b"ATG", b"GTG", b"TTG") for s in starts]) > 0.99  # CDS coordinates are right
