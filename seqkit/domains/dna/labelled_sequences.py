"""Labelled DNA sets: a CSV with ``sequence,label[,split]`` (Genomic Benchmarks' HF layout), or a FASTA
plus a CSV ``id,label[,split]`` keyed by record id. Every sequence is checked (ACGTN, not empty) and a bad
row is reported with its file and row number."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqkit.data.tables import read_table
from seqkit.domains.dna.fasta_index import open_decompressed
from seqkit.domains.dna.nucleotides import clean_sequence

__all__ = ["LabelledSequences", "read_labelled"]

_SEQUENCE_COLUMNS = ("sequence", "seq", "dna_sequence", "dna_seq", "text")


@dataclass
class LabelledSequences:
    sequences: list[np.ndarray]  # uint8 ACGTN bytes
    labels: np.ndarray  # (N,) int64 class ids or float32 targets
    splits: np.ndarray | None  # (N,) "train" / "val" / "test" strings, when the file has them
    names: list[str]

    def subset(self, index: np.ndarray) -> LabelledSequences:
        return LabelledSequences([self.sequences[i] for i in index], self.labels[index],
                                 None if self.splits is None else self.splits[index], [self.names[i] for i in index])

    def __len__(self) -> int:
        return len(self.sequences)


def _labels(frame: pd.DataFrame, path: Path, required: bool = True) -> np.ndarray:
    if "label" not in frame.columns and not required:
        return np.full(len(frame), -1, dtype=np.int64)  # unlabelled (prediction input)
    if "label" not in frame.columns:
        raise ValueError(f"{path}: no 'label' column (columns: {', '.join(map(str, frame.columns))})")
    labels = pd.to_numeric(frame["label"], errors="coerce")
    bad = np.flatnonzero(labels.isna().to_numpy())
    if bad.size:
        raise ValueError(f"{path}: row {bad[0] + 2}: label {frame['label'].iloc[bad[0]]!r} is not a number")
    values = labels.to_numpy()
    return values.astype(np.int64) if np.all(values == np.round(values)) else values.astype(np.float32)


def _splits(frame: pd.DataFrame, path: Path) -> np.ndarray | None:
    if "split" not in frame.columns:
        return None
    splits = frame["split"].astype(str).str.strip().str.lower().replace({"valid": "val", "validation": "val"})
    bad = ~splits.isin(["train", "val", "test"])
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(f"{path}: row {row + 2}: split {frame['split'].iloc[row]!r} is not train, val or test")
    return splits.to_numpy()


def read_labelled(path: str | Path, labels_csv: str | Path | None = None,
                  require_labels: bool = True) -> LabelledSequences:
    """Read a labelled set. ``path`` is a CSV (then ``labels_csv`` is None) or a FASTA (then ``labels_csv``
    maps record ids to labels). ``require_labels=False`` reads sequences to predict: a CSV without a label
    column, or a FASTA alone (labels -1)."""
    path = Path(path)
    is_fasta = path.name.lower().removesuffix(".gz").endswith((".fa", ".fasta", ".fna"))
    if labels_csv is None and not is_fasta:
        frame = read_table(path)
        column = next((c for c in _SEQUENCE_COLUMNS if c in frame.columns), None)
        if column is None:
            raise ValueError(f"{path}: no sequence column (expected one of {', '.join(_SEQUENCE_COLUMNS)}; "
                             f"got {', '.join(map(str, frame.columns))})")
        sequences = [clean_sequence(str(s) if isinstance(s, str) else "", f"{path}: row {i + 2}")
                     for i, s in enumerate(frame[column])]
        names = [f"row{i + 2}" for i in range(len(frame))]
        return LabelledSequences(sequences, _labels(frame, path, require_labels), _splits(frame, path), names)
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    with open_decompressed(path) as fh:
        records = {title.split()[0]: seq for title, seq in SimpleFastaParser(fh) if title.split()}
    if labels_csv is None:
        names = list(records)
        sequences = [clean_sequence(records[n], f"{path}: record {n!r}") for n in names]
        return LabelledSequences(sequences, np.full(len(names), -1, dtype=np.int64), None, names)
    frame = read_table(labels_csv)
    if "id" not in frame.columns:
        raise ValueError(f"{labels_csv}: no 'id' column naming the FASTA records")
    missing = [i for i in frame["id"].astype(str) if i not in records]
    if missing:
        raise ValueError(f"{labels_csv}: id {missing[0]!r} has no record in {path} ({len(missing)} missing)")
    ids = frame["id"].astype(str).tolist()
    sequences = [clean_sequence(records[i], f"{path}: record {i!r}") for i in ids]
    return LabelledSequences(sequences, _labels(frame, Path(labels_csv)), _splits(frame, Path(labels_csv)), ids)
