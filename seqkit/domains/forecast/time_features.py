"""Calendar features of timestamps, as Informer feeds them to its temporal embedding.

- ``timef``: continuous features scaled to [-0.5, 0.5] — hour of day, day of week, day of month,
  day of year (freq ``h``), with minute of hour first for freq ``t`` (4 or 5 columns).
- ``fixed_marks``: integer marks for lookup embeddings — month, day, weekday, hour, and for freq
  ``t`` the 15-minute bucket of the hour.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FREQS = ("h", "t")


def _check_freq(freq: str) -> None:
    if freq not in FREQS:
        raise ValueError(f"freq must be one of {', '.join(FREQS)} (hourly, minutely), got {freq!r}")


def timef(stamps: pd.DatetimeIndex, freq: str = "h") -> np.ndarray:
    """(len(stamps), 4 or 5) float32 features in [-0.5, 0.5]."""
    _check_freq(freq)
    cols = [stamps.hour / 23.0 - 0.5, stamps.dayofweek / 6.0 - 0.5, (stamps.day - 1) / 30.0 - 0.5,
            (stamps.dayofyear - 1) / 365.0 - 0.5]
    if freq == "t":
        cols.insert(0, stamps.minute / 59.0 - 0.5)
    return np.stack([np.asarray(c, dtype=np.float32) for c in cols], axis=1)


def fixed_marks(stamps: pd.DatetimeIndex, freq: str = "h") -> np.ndarray:
    """(len(stamps), 4 or 5) int64 marks: month, day, weekday, hour[, minute // 15]."""
    _check_freq(freq)
    cols = [stamps.month, stamps.day, stamps.dayofweek, stamps.hour]
    if freq == "t":
        cols.append(stamps.minute // 15)
    return np.stack([np.asarray(c, dtype=np.int64) for c in cols], axis=1)
