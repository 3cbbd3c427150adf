"""A genome as named chromosomes you can cut windows from: FASTA (plain, gzip, BGZF) or GenBank.

Small genomes and anything without random access (plain gzip, GenBank) are streamed once into memory
(one uint8 array per record, ~1 byte per base: E. coli is 4.6 MB). Large plain or BGZF FASTA files are
read through a ``.fai`` index instead, so a 3 Gb genome costs no memory. GenBank files also give their
CDS annotations (``coding_sequences``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqkit.domains.dna.fasta_index import FastaIndex, compression, open_decompressed
from seqkit.domains.dna.nucleotides import clean_sequence, reverse_complement

__all__ = ["CodingSequence", "Genome"]

_IN_MEMORY_LIMIT = 512 * 2**20  # file size below which a plain or BGZF FASTA is loaded rather than indexed


@dataclass(frozen=True)
class CodingSequence:
    """A CDS on one record: 0-based half-open [start, end) on the forward strand, ``strand`` ±1."""
    record: str
    start: int
    end: int
    strand: int
    name: str


def _is_genbank(path: Path) -> bool:
    with open_decompressed(path, "rb") as fh:
        return fh.read(5) == b"LOCUS"


class Genome:
    """Named chromosomes → windows (uint8 ACGTN bytes).

    Args:
        path (str | Path | None): FASTA (.fa/.fna/.fasta, optionally .gz or bgzip) or GenBank (.gb/.gbff).
        in_memory (bool | None): load every record into memory. ``None`` decides: in memory for GenBank,
            plain gzip and files under 512 MiB; indexed otherwise. ``False`` on plain gzip is an error.
        sequences (Mapping[str, str] | None): build from text instead of a file (synthetic genomes, tests).
        coding_sequences (list[CodingSequence] | None): CDS annotations of ``sequences``.
    """

    def __init__(self, path: str | Path | None = None, *, in_memory: bool | None = None,
                 sequences: Mapping[str, str | np.ndarray] | None = None,
                 coding_sequences: list[CodingSequence] | None = None) -> None:
        if (path is None) == (sequences is None):
            raise ValueError("Genome: give exactly one of path and sequences")
        self.path = Path(path) if path is not None else None
        self._index: FastaIndex | None = None
        self._records: dict[str, np.ndarray] = {}
        self._cds: list[CodingSequence] = list(coding_sequences or [])
        if sequences is not None:
            self._records = {name: clean_sequence(seq, f"record {name!r}") for name, seq in sequences.items()}
        elif not self.path.exists():
            raise FileNotFoundError(f"Genome: {self.path} does not exist")
        elif _is_genbank(self.path):
            self._load_genbank()
        else:
            kind = compression(self.path)
            if in_memory is None:
                in_memory = kind == "gzip" or self.path.stat().st_size < _IN_MEMORY_LIMIT
            if in_memory:
                self._load_fasta()
            else:
                self._index = FastaIndex(self.path)  # raises for plain gzip with the fix
        if self._index is None and not self._records:
            raise ValueError(f"Genome: {self.path or 'sequences'} holds no records")

    def _load_fasta(self) -> None:
        from Bio.SeqIO.FastaIO import SimpleFastaParser

        with open_decompressed(self.path) as fh:
            for title, seq in SimpleFastaParser(fh):
                name = title.split()[0] if title.split() else ""
                if not name:
                    raise ValueError(f"{self.path}: a record has an empty header")
                if name in self._records:
                    raise ValueError(f"{self.path}: record {name!r} appears twice")
                self._records[name] = clean_sequence(seq, f"{self.path}: record {name!r}")

    def _load_genbank(self) -> None:
        from Bio import SeqIO

        with open_decompressed(self.path) as fh:
            for record in SeqIO.parse(fh, "genbank"):
                self._records[record.id] = clean_sequence(str(record.seq), f"{self.path}: record {record.id!r}")
                for feature in record.features:
                    if feature.type != "CDS" or len(feature.location.parts) != 1:
                        continue  # joined (spliced / origin-spanning) CDS are skipped
                    name = (feature.qualifiers.get("gene") or feature.qualifiers.get("locus_tag") or ["?"])[0]
                    self._cds.append(CodingSequence(record.id, int(feature.location.start),
                                                    int(feature.location.end), int(feature.location.strand or 1),
                                                    name))

    @property
    def names(self) -> list[str]:
        return self._index.names if self._index is not None else list(self._records)

    def length(self, name: str) -> int:
        if self._index is not None:
            return self._index.length(name)
        if name not in self._records:
            raise KeyError(f"Genome {self.path or ''}: no record {name!r} (records: {', '.join(self.names[:10])})")
        return len(self._records[name])

    @property
    def total_length(self) -> int:
        return sum(self.length(n) for n in self.names)

    def fetch(self, name: str, start: int, end: int, *, strand: int = 1) -> np.ndarray:
        """Bases [start, end) of ``name`` (0-based); ``strand=-1`` gives the reverse complement."""
        length = self.length(name)
        if not 0 <= start <= end <= length:
            raise ValueError(f"Genome {self.path or ''}: window [{start}, {end}) ({end - start} bp) does not fit in "
                             f"record {name!r} of length {length}")
        bases = self._index.fetch(name, start, end) if self._index is not None else self._records[name][start:end]
        return reverse_complement(bases) if strand < 0 else bases

    def coding_sequences(self) -> list[CodingSequence]:
        """CDS features (GenBank input only; empty for FASTA)."""
        return list(self._cds)

    def __iter__(self) -> Iterator[tuple[str, int]]:
        return ((n, self.length(n)) for n in self.names)
