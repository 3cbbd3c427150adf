"""Atomic file writes: a temp file in the destination folder, fsync, then ``os.replace``.

A run killed mid-write leaves either the old file or the new one, never a truncated file.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

import pandas as pd

TABLE_FORMATS = ("csv", "parquet")


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(fh)`` on a temp file next to ``path`` and move it into place atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def write_table(frame: pd.DataFrame, path: Path, fmt: str = "csv") -> Path:
    """Atomically write ``frame`` as CSV or Parquet at ``path`` (suffix replaced by the format's)."""
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"format must be one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    path = path.with_suffix(f".{fmt}")
    if fmt == "csv":
        atomic_write(path, lambda fh: fh.write(frame.to_csv(index=False).encode()))
    else:
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        atomic_write(path, lambda fh: fh.write(buf.getvalue()))
    return path
