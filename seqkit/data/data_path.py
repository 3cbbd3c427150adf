"""Resolve a data file named in a config: from the working directory, else under ``$SEQKIT_SHARED_DATA``.

Shipped configs name files relative to a data root (``timeseries/ETTh1.csv``) so they run unchanged on any
machine that sets ``SEQKIT_SHARED_DATA``; a path that exists as given always wins.
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ROOT_VARIABLE = "SEQKIT_SHARED_DATA"


def resolve_data_path(path: str | Path) -> Path:
    """``path`` itself when it exists (or is absolute), else ``$SEQKIT_SHARED_DATA/path`` when that exists.

    Raises ``FileNotFoundError`` naming every place looked at, so a missing file is never a pandas traceback.
    """
    given = Path(path).expanduser()
    if given.exists():
        return given
    tried = [str(given.resolve())]
    root = os.environ.get(DATA_ROOT_VARIABLE)
    if root and not given.is_absolute():
        candidate = Path(root).expanduser() / given
        if candidate.exists():
            return candidate
        tried.append(str(candidate))
    hint = "" if root else f" (set {DATA_ROOT_VARIABLE} to the folder that holds it, or pass an absolute path)"
    raise FileNotFoundError(f"data file {str(path)!r} not found; looked at {', '.join(tried)}{hint}")
