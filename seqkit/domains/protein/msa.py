"""Read homolog sets: A3M, A2M, aligned or plain FASTA, and Stockholm, into one ``MSA``.

Two views of every homolog are kept, because PoET needs both:

* ``aligned``: the match-state columns only (uppercase letters and ``-``; A3M/A2M lowercase insertions
  and ``.`` removed), all rows the query's length. Sequence weights and identity use this.
* ``raw``: the homolog itself, uppercased with gaps removed and insertions restored. Prompts use this.

Biopython reads the records (FASTA-style files via ``SeqIO``, Stockholm via ``AlignIO``); the insertion
handling is ours, since Biopython has no A3M format and its A2M reader rejects ColabFold A3M files. Any of
these may be gzipped (``.gz``): the format is read from the suffix before it.
"""

from __future__ import annotations

import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqkit.domains.protein.alphabet import AlphabetError, encode

FORMATS = ("auto", "a3m", "a2m", "fasta", "stockholm")
SUFFIX_FORMAT = {".a3m": "a3m", ".a2m": "a2m", ".sto": "stockholm", ".stk": "stockholm", ".stockholm": "stockholm",
                  ".fasta": "fasta", ".fa": "fasta", ".faa": "fasta", ".afa": "fasta", ".aln": "fasta"}
_INSERTION = re.compile(r"[a-z.]")


class MSAFormatError(ValueError):
    """A homolog file that cannot be read as a set of protein sequences (names the file and record)."""


@dataclass
class MSA:
    """Homologs of a query (row 0). ``aligned`` is None for unaligned (plain FASTA) input."""

    ids: list[str]
    raw: list[str]
    aligned: list[str] | None
    source: str
    #: for each residue of the query (row 0), its alignment match column, or -1 for an insertion
    query_columns: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def query(self) -> str:
        return self.raw[0]

    def aligned_tokens(self) -> np.ndarray:
        """(N, L) uint8 tokens of the aligned match columns (gap = 20)."""
        if self.aligned is None:
            raise MSAFormatError(f"{self.source}: unaligned sequences have no alignment columns (weights and identity "
                                 f"need an A3M/A2M/aligned FASTA/Stockholm file)")
        return np.stack([encode(row, f"{self.source} record {i + 1}") for i, row in enumerate(self.aligned)])

    def check_query(self, wild_type: str) -> None:
        """Raise unless row 0 is the wild type (PoET scores against the MSA of the assayed protein)."""
        if self.query != wild_type.upper():
            first = next((i for i, (a, b) in enumerate(zip(self.query, wild_type.upper(), strict=False)) if a != b),
                         min(len(self.query), len(wild_type)))
            raise MSAFormatError(f"{self.source}: the first record ({self.ids[0]!r}) is not the query: it differs from "
                                 f"the wild type at residue {first + 1} (lengths {len(self.query)} and "
                                 f"{len(wild_type)}); put the query first")


def format_suffix(path: Path) -> str:
    """The suffix that names a homolog file's format, looking through a final ``.gz``."""
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    return Path(name).suffix.lower()


def _open_text(path: Path) -> io.TextIOBase:
    """The file as text, decompressed when it is gzipped (told by its magic bytes, whatever its name)."""
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
    if gzipped:
        return gzip.open(path, "rt", encoding="ascii", errors="replace")
    return open(path, encoding="ascii", errors="replace")


def _records_fasta(path: Path) -> list[tuple[str, str]]:
    from Bio import SeqIO

    try:
        with _open_text(path) as handle:
            return [(rec.id, str(rec.seq)) for rec in SeqIO.parse(handle, "fasta")]
    except (ValueError, OSError, EOFError) as err:  # Biopython's message does not name the file
        first = " ".join(str(err).split())
        raise MSAFormatError(f"{path}: not a readable FASTA/A3M/A2M file: {first}") from None


def _records_stockholm(path: Path) -> list[tuple[str, str]]:
    from Bio import AlignIO

    try:
        with _open_text(path) as handle:
            alignment = AlignIO.read(handle, "stockholm")
    except (ValueError, OSError, EOFError) as err:
        raise MSAFormatError(f"{path}: not a readable Stockholm file ({err})") from err
    return [(rec.id, str(rec.seq)) for rec in alignment]


def read_msa(path: str | Path, fmt: str = "auto") -> MSA:
    """Read homologs from ``path``; ``fmt`` is one of FORMATS (``auto`` uses the suffix, FASTA otherwise)."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"MSA format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such MSA file")
    if fmt == "auto":
        fmt = SUFFIX_FORMAT.get(format_suffix(path), "fasta")
    records = _records_stockholm(path) if fmt == "stockholm" else _records_fasta(path)
    return msa_from_records(records, str(path), fmt)


def msa_from_records(records: list[tuple[str, str]], source: str, fmt: str = "fasta") -> MSA:
    """Build an MSA from ``(id, row)`` pairs; validates letters, empty rows and column counts."""
    if not records:
        raise MSAFormatError(f"{source}: no sequences found (is it a {fmt.upper()} file?)")
    ids, raw, rows = [], [], []
    for i, (rid, row) in enumerate(records):
        label = f"{source}: record {i + 1} ({rid!r})"
        row = row.strip().rstrip("*")  # a trailing * is a FASTA stop, not a residue
        try:
            encode(row, label)
        except AlphabetError as err:
            raise MSAFormatError(str(err)) from None
        residues = re.sub(r"[-.]", "", row).upper()
        if not residues:
            raise MSAFormatError(f"{label}: empty sequence")
        ids.append(rid)
        raw.append(residues)
        rows.append(row)
    has_insertions = any(_INSERTION.search(r) for r in rows)
    if fmt in ("a3m", "a2m") or has_insertions:
        aligned = [_INSERTION.sub("", r) for r in rows]  # match columns: uppercase and '-'
    else:
        aligned = rows
    lengths = {len(r) for r in aligned}
    if len(lengths) > 1:
        if fmt == "fasta" and not has_insertions and not any("-" in r for r in rows):
            return MSA(ids, raw, None, source)  # plain, unaligned FASTA
        ref = len(aligned[0])
        bad = next(i for i, r in enumerate(aligned) if len(r) != ref)
        raise MSAFormatError(f"{source}: record {bad + 1} ({ids[bad]!r}) has {len(aligned[bad])} match columns, the "
                             f"query has {ref} (after removing lowercase insertions and '.')")
    return MSA(ids, raw, [r.upper() for r in aligned], source, _query_columns(rows[0]))


def _query_columns(row: str) -> np.ndarray:
    """Walk the query's row: uppercase = a residue in a match column, lowercase = an inserted residue (no
    column), '-' = a column without residue, '.' = neither."""
    columns, column = [], 0
    for c in row:
        if c == "-":
            column += 1
        elif c.isupper():
            columns.append(column)
            column += 1
        elif c.islower():
            columns.append(-1)
    return np.array(columns, dtype=np.int64)


def read_sequences(path: str | Path) -> list[tuple[str, str]]:
    """Plain FASTA records ``(id, sequence)`` for variants or queries: no gaps, no empty or duplicated ids."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such FASTA file")
    records = _records_fasta(path)
    if not records:
        raise MSAFormatError(f"{path}: no FASTA records found")
    seen: dict[str, int] = {}
    out = []
    for i, (rid, seq) in enumerate(records):
        label = f"{path}: record {i + 1} ({rid!r})"
        if rid in seen:
            raise MSAFormatError(f"{label}: duplicated id, first seen at record {seen[rid] + 1}")
        seen[rid] = i
        seq = seq.strip().rstrip("*")
        if not seq:
            raise MSAFormatError(f"{label}: empty sequence")
        if "-" in seq or "." in seq:
            raise MSAFormatError(f"{label}: gaps in a sequence to score; give the full, ungapped sequence")
        try:
            encode(seq, label)
        except AlphabetError as err:
            raise MSAFormatError(str(err)) from None
        out.append((rid, seq.upper()))
    return out
