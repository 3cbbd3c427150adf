"""Folders of captioned files (clips, images): captions from a CSV table or a side ``.txt``, and whole-file splits.

A folder's captions come from ``captions.csv`` (header ``file,<column>``; ``file`` relative to the folder) or
from a ``<name>.txt`` beside each file (``<folder name>.txt`` for a sub-folder of frames). A missing or empty
caption is an ``InputError`` (or the caller's subclass) naming the file and line, since an uncaptioned example
cannot be trained on. Files are split whole by their rank in name order: every tenth to validation, the next
to test, so no example leaks across splits.
"""

from __future__ import annotations

import csv
from pathlib import Path

from seqkit.commands.user_errors import InputError

CAPTIONS_FILE = "captions.csv"


def side_caption(path: Path) -> Path:
    """Where the caption of ``path`` lives beside it: ``x.png`` → ``x.txt``, folder ``x/`` → ``x.txt``."""
    return path.with_suffix(".txt") if path.is_file() else path.parent / f"{path.name}.txt"


def read_captions(folder: Path, files: list[Path], column: str = "caption",
                  error: type[InputError] = InputError) -> dict[Path, str]:
    """Caption of every file in ``files`` (keys resolved), from the folder's table first, else side files."""
    table = folder / CAPTIONS_FILE
    out: dict[Path, str] = {}
    if table.exists():
        with table.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            if not {"file", column} <= set(reader.fieldnames or []):
                raise error(table, "line 1", f"expected the header file,{column}")
            for line, row in enumerate(reader, start=2):
                text = (row[column] or "").strip()
                if not text:
                    raise error(table, f"line {line}", f"empty {column} for {row['file']!r}")
                out[(folder / row["file"]).resolve()] = text
    for path in files:
        if path.resolve() in out:
            continue
        side = side_caption(path)
        if not side.exists():
            raise error(path, None, f"no caption: add a line for it to {CAPTIONS_FILE} or write {side.name}")
        text = side.read_text(encoding="utf-8").strip()
        if not text:
            raise error(side, None, "empty caption")
        out[path.resolve()] = text
    return out


def split_of(index: int, n_files: int) -> str:
    """The split of the ``index``-th of ``n_files`` files in name order (see the module docstring)."""
    if n_files < 3:
        return "train" if index == 0 else "val"
    if index % 10 == 8 or (n_files < 10 and index == n_files - 2):
        return "val"
    if index % 10 == 9 or (n_files < 10 and index == n_files - 1):
        return "test"
    return "train"
