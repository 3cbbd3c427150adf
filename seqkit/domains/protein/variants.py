"""Variants to score: ProteinGym CSVs (``mutant``, ``mutated_sequence``, optional ``DMS_score``) or FASTA.

Mutant strings follow ProteinGym: ``A1P:D2N`` is 1-based substitutions joined by ``:``. Every one is
checked against the wild type (the stated residue must be there) and, when the CSV also gives
``mutated_sequence``, against it. Indel assays name variants freely and give only the sequence, so a
row without a parseable mutant is fine as long as ``mutated_sequence`` is present.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqkit.data.tables import read_table
from seqkit.domains.protein.alphabet import AlphabetError, encode
from seqkit.domains.protein.msa import read_sequences

_SUBSTITUTION = re.compile(r"^([A-Z])(\d+)([A-Z])$")


class VariantError(ValueError):
    """A variant that does not parse or does not match the wild type (names the file and row)."""


@dataclass
class Variants:
    """Named sequences to score, with measured fitness when the file has it."""

    names: list[str]
    sequences: list[str]
    dms_score: np.ndarray | None
    source: str

    def __len__(self) -> int:
        return len(self.names)


def parse_mutant(mutant: str) -> list[tuple[str, int, str]]:
    """``"A1P:D2N"`` → ``[("A", 1, "P"), ("D", 2, "N")]``; raises VariantError on anything else."""
    subs = []
    for part in mutant.strip().split(":"):
        match = _SUBSTITUTION.match(part.strip())
        if match is None:
            raise VariantError(f"mutant {mutant!r}: {part!r} is not a substitution like A1P (wild-type letter, "
                               f"1-based position, new letter)")
        subs.append((match[1], int(match[2]), match[3]))
    positions = [p for _, p, _ in subs]
    if len(set(positions)) != len(positions):
        raise VariantError(f"mutant {mutant!r}: a position is mutated twice")
    return subs


def apply_mutant(wild_type: str, mutant: str) -> str:
    """The wild type with ``mutant``'s substitutions; each stated wild-type residue must match."""
    seq = list(wild_type)
    for wt, pos, new in parse_mutant(mutant):
        if not 1 <= pos <= len(seq):
            raise VariantError(f"mutant {mutant!r}: position {pos} is outside the wild type (length {len(seq)})")
        if seq[pos - 1] != wt:
            raise VariantError(f"mutant {mutant!r}: the wild type has {seq[pos - 1]!r} at position {pos}, not {wt!r}")
        seq[pos - 1] = new
    return "".join(seq)


def read_variants(path: str | Path, wild_type: str | None = None) -> Variants:
    """Read a ProteinGym-style CSV or a FASTA of variants; checks them against ``wild_type`` when given."""
    path = Path(path)
    if path.suffix.lower() in (".fasta", ".fa", ".faa"):
        records = read_sequences(path)
        return Variants([r for r, _ in records], [s for _, s in records], None, str(path))
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such variants file")
    frame = read_table(path)
    if "mutated_sequence" not in frame.columns and "mutant" not in frame.columns:
        raise VariantError(f"{path}: needs a 'mutant' or a 'mutated_sequence' column; columns are "
                           f"{', '.join(map(str, frame.columns))}")
    if "mutated_sequence" not in frame.columns and wild_type is None:
        raise VariantError(f"{path}: no 'mutated_sequence' column, so the wild type is needed to apply the mutants")
    names, sequences = [], []
    for i, row in enumerate(frame.itertuples(index=False)):
        label = f"{path}: row {i + 2}"  # 1-based line number, header on line 1
        mutant = str(getattr(row, "mutant", "") or "") if "mutant" in frame.columns else ""
        given = getattr(row, "mutated_sequence", None)
        try:
            if isinstance(given, str) and given.strip():
                seq = given.strip().upper()
                encode(seq, label)
                if wild_type is not None and mutant and _SUBSTITUTION.match(mutant.split(":")[0].strip()):
                    expected = apply_mutant(wild_type, mutant)
                    if expected != seq:
                        raise VariantError(f"mutant {mutant!r} applied to the wild type does not give this "
                                           f"row's mutated_sequence")
            elif wild_type is not None and mutant:
                seq = apply_mutant(wild_type, mutant)
            else:
                raise VariantError("empty mutant and mutated_sequence")
        except (VariantError, AlphabetError) as err:
            raise VariantError(f"{label}: {err}") from None
        names.append(mutant or f"row{i + 2}")
        sequences.append(seq)
    score = frame["DMS_score"].to_numpy(dtype=np.float64) if "DMS_score" in frame.columns else None
    return Variants(names, sequences, score, str(path))
