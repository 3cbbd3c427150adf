"""Reading a user's CSV or Parquet file so that every failure names the file.

pandas reports an empty file as "No columns to parse from file" and a malformed one by line number only;
a user running a batch over many files needs to know which file it was.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd


def read_table(path: str | os.PathLike, **kwargs: object) -> pd.DataFrame:
    """``pd.read_parquet`` for ``.parquet`` files, else ``pd.read_csv``; errors name ``path``."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path, **kwargs)
        return pd.read_csv(path, **kwargs)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path}: the file is empty (no header row)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ValueError(f"{path}: not a readable {'Parquet' if path.suffix == '.parquet' else 'CSV'} file ({first})"
                         ) from None
    except (OSError, ValueError) as err:
        if path.suffix == ".parquet" and not isinstance(err, FileNotFoundError):
            raise ValueError(f"{path}: not a readable Parquet file ({err})") from None
        raise
