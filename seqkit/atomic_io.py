"""Atomic file writes: a temp file in the destination folder, fsync, then ``os.replace``.

A run killed mid-write leaves either the old file or the new one, never a truncated file. The file gets
the mode any other tool would give it (0666 less the process umask), not ``mkstemp``'s private 0600.
"""

from __future__ import annotations

import io
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

TABLE_FORMATS = ("csv", "parquet")
_UMASK_LOCK = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows.

    Linux reports it in ``/proc/self/status`` (``Umask:`` line, since 4.7); elsewhere the only way is to
    set it and put it back, done under a lock so that two writer threads cannot see each other's 0.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _UMASK_LOCK:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(fh)`` on a temp file next to ``path`` and move it into place atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~current_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Atomically write ``array`` as a ``.npy`` file (no pickled objects)."""
    return atomic_write(path, lambda fh: np.save(fh, np.asarray(array), allow_pickle=False))


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
