"""Random access into FASTA files through a samtools ``.fai`` index (plain or BGZF-compressed).

A window from a 100 Mb chromosome is read by seeking to ``offset + row·line_width + column`` instead of
parsing the file. The ``.fai`` (NAME, LENGTH, OFFSET, LINEBASES, LINEWIDTH per record) is read when
present and built (then written atomically beside the file) when not. BGZF files (``bgzip``) are read
with Biopython's ``Bio.bgzf`` through their block map — the samtools ``.gzi`` format, built by one pass
over the blocks when missing.
Plain gzip has no block map, so random access into it is refused with the fix (``bgzip`` it, or load the
genome into memory with ``Genome``).
"""

from __future__ import annotations

import bisect
import gzip
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from Bio import bgzf

from seqkit.atomic_io import atomic_write
from seqkit.domains.dna.nucleotides import clean_sequence

__all__ = ["FaiRecord", "FastaIndex", "compression", "open_decompressed"]


@dataclass(frozen=True)
class FaiRecord:
    name: str
    length: int  # bases
    offset: int  # byte offset of the first base (uncompressed)
    line_bases: int
    line_width: int  # bytes per line including the newline


def compression(path: str | Path) -> str:
    """``"bgzf"``, ``"gzip"`` or ``"plain"``, from the magic bytes (BGZF: gzip with a ``BC`` extra field)."""
    with open(path, "rb") as fh:
        head = fh.read(18)
    if head[:2] != b"\x1f\x8b":
        return "plain"
    if len(head) >= 14 and head[3] & 4 and head[12:14] == b"BC":
        return "bgzf"
    return "gzip"


def open_decompressed(path: str | Path, mode: str = "rt") -> IO:
    """Open a plain, gzip or BGZF file for streaming, decided by its magic bytes rather than its suffix."""
    return (gzip.open if compression(path) != "plain" else open)(path, mode)


class _BgzfReader:
    """Seekable uncompressed view of a BGZF file: Biopython's ``Bio.bgzf.BgzfReader`` addressed through
    the samtools ``.gzi`` block map.

    An uncompressed offset becomes a BGZF virtual offset (block start << 16 | offset in the block) by a
    binary search of the map. Decoded blocks are kept by ``BgzfReader``'s own cache (``max_cache`` blocks of
    at most 64 KiB each), so neighbouring windows decode a block once. The file handle belongs to one
    process: a forked DataLoader worker opens its own (a shared descriptor would share its seek position),
    and pickling (spawned workers) drops it.
    """

    MAX_CACHE = 100  # decoded blocks kept, at most 6.4 MiB

    def __init__(self, path: Path) -> None:
        self.path = path
        gzi = Path(f"{path}.gzi")
        self.blocks = self._read_gzi(gzi) if gzi.exists() else self._scan_and_write(gzi)
        self.starts = [u for _, u in self.blocks]
        self._handle: bgzf.BgzfReader | None = None
        self._pid = -1

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_handle": None, "_pid": -1}

    @staticmethod
    def _read_gzi(gzi: Path) -> list[tuple[int, int]]:
        data = gzi.read_bytes()
        (n,) = struct.unpack_from("<Q", data, 0)
        pairs = struct.unpack_from(f"<{2 * n}Q", data, 8)
        return [(0, 0)] + [(pairs[2 * i], pairs[2 * i + 1]) for i in range(n)]

    def _scan_and_write(self, gzi: Path) -> list[tuple[int, int]]:
        blocks, uncompressed = [], 0
        with open(self.path, "rb") as fh:
            try:
                for start, _, _, size in bgzf.BgzfBlocks(fh):
                    blocks.append((start, uncompressed))
                    uncompressed += size
            except ValueError as err:
                raise ValueError(f"{self.path}: not a valid BGZF file ({err})") from err
        body = struct.pack("<Q", len(blocks) - 1) + b"".join(struct.pack("<QQ", c, u) for c, u in blocks[1:])
        try:
            atomic_write(gzi, lambda out: out.write(body))
        except OSError:  # read-only data folder: keep the map in memory
            pass
        return blocks

    def _reader(self) -> bgzf.BgzfReader:
        if self._handle is None or self._pid != os.getpid():
            self._handle = bgzf.BgzfReader(str(self.path), "rb", max_cache=self.MAX_CACHE)
            self._pid = os.getpid()
        return self._handle

    def read(self, start: int, size: int) -> bytes:
        """``size`` uncompressed bytes from uncompressed offset ``start``."""
        i = bisect.bisect_right(self.starts, start) - 1
        reader = self._reader()
        reader.seek(bgzf.make_virtual_offset(self.blocks[i][0], start - self.starts[i]))
        return reader.read(size)


class FastaIndex:
    """Windows of any record of a plain or BGZF FASTA without reading the whole file.

    >>> index = FastaIndex("genome.fa.gz")          # bgzip-compressed; .fai/.gzi built if missing
    >>> index.fetch("chr1", 10_000, 11_000)          # uint8 ACGTN bytes, upper case, 0-based half-open
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        kind = compression(self.path)
        if kind == "gzip":
            raise ValueError(f"{self.path}: plain gzip has no random access; recompress it with "
                             f"`zcat {self.path.name} | bgzip > {self.path.stem}.bgz` (htslib), or load it into "
                             f"memory with seqkit.domains.dna.Genome(..., in_memory=True)")
        self._bgzf = _BgzfReader(self.path) if kind == "bgzf" else None
        fai = Path(f"{self.path}.fai")
        self.records = self._read_fai(fai) if fai.exists() else self._build_and_write(fai)
        self._by_name = {r.name: r for r in self.records}

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.records]

    def length(self, name: str) -> int:
        return self._record(name).length

    def _record(self, name: str) -> FaiRecord:
        if name not in self._by_name:
            raise KeyError(f"{self.path}: no record {name!r} (records: {', '.join(self.names[:10])}"
                           f"{', …' if len(self.names) > 10 else ''})")
        return self._by_name[name]

    def _read_raw(self, start: int, size: int) -> bytes:
        if self._bgzf is not None:
            return self._bgzf.read(start, size)
        with open(self.path, "rb") as fh:
            fh.seek(start)
            return fh.read(size)

    def fetch(self, name: str, start: int, end: int) -> np.ndarray:
        """Bases ``[start, end)`` of record ``name`` as upper-case ACGTN bytes (uint8)."""
        record = self._record(name)
        if not 0 <= start <= end <= record.length:
            raise ValueError(f"{self.path}: window [{start}, {end}) is outside record {name!r} of length "
                             f"{record.length}")
        if start == end:
            return np.zeros(0, dtype=np.uint8)
        first_row, last_row = start // record.line_bases, (end - 1) // record.line_bases
        byte_start = record.offset + first_row * record.line_width + start % record.line_bases
        byte_end = record.offset + last_row * record.line_width + (end - 1) % record.line_bases + 1
        raw = np.frombuffer(self._read_raw(byte_start, byte_end - byte_start), dtype=np.uint8)
        bases = raw[(raw != ord("\n")) & (raw != ord("\r"))]
        return clean_sequence(bases, f"{self.path}:{name}:{start + 1}-{end}")

    @staticmethod
    def _read_fai(fai: Path) -> list[FaiRecord]:
        records = []
        for line_no, line in enumerate(fai.read_text().splitlines(), start=1):
            fields = line.split("\t")
            if len(fields) < 5:
                raise ValueError(f"{fai}:{line_no}: expected 5 tab-separated fields, got {len(fields)}")
            records.append(FaiRecord(fields[0], *(int(f) for f in fields[1:5])))
        return records

    def _lines(self):  # (byte offset of the line, line bytes) over the uncompressed file
        with open_decompressed(self.path, "rb") as fh:
            offset = 0
            for line in fh:
                yield offset, line
                offset += len(line)

    def _build_and_write(self, fai: Path) -> list[FaiRecord]:
        """One pass over the file; every sequence line but a record's last must have the same width."""
        records: list[FaiRecord] = []
        name, length, offset, line_bases, line_width, short_line = None, 0, 0, 0, 0, None

        def close() -> None:
            if name is not None:
                if length == 0:
                    raise ValueError(f"{self.path}: record {name!r} is empty")
                records.append(FaiRecord(name, length, offset, line_bases, line_width))

        for line_no, (pos, line) in enumerate(self._lines(), start=1):
            if line.startswith(b">"):
                close()
                name = line[1:].split()[0].decode() if line[1:].split() else ""
                if not name:
                    raise ValueError(f"{self.path}:{line_no}: header without a name")
                length, offset, line_bases, line_width, short_line = 0, pos + len(line), 0, 0, None
                continue
            if name is None:
                if line.strip():
                    raise ValueError(f"{self.path}:{line_no}: sequence before the first '>' header")
                continue
            bases = len(line.rstrip(b"\r\n"))
            if bases == 0:
                continue
            if short_line is not None:
                raise ValueError(f"{self.path}:{short_line}: record {name!r} has a short line before its last "
                                 f"line; random access needs equal line widths (reformat, e.g. `seqkit seq -w 80`)")
            if line_bases == 0:
                line_bases, line_width = bases, len(line)
            elif bases != line_bases or len(line) != line_width:
                if bases > line_bases:
                    raise ValueError(f"{self.path}:{line_no}: record {name!r} has lines of different widths")
                short_line = line_no
            length += bases
        close()
        text = "".join(f"{r.name}\t{r.length}\t{r.offset}\t{r.line_bases}\t{r.line_width}\n" for r in records)
        try:
            atomic_write(fai, lambda out: out.write(text.encode()))
        except OSError:  # read-only data folder: keep the index in memory
            pass
        return records
