"""Train/val/test borders: the Informer paper's ETT borders, or ratio splits for any other table.

ETT hourly: 12/4/4 months of 30 days (train rows [0, 8640), val [8640, 11520), test [11520, 14400));
15-minute data ×4. Each later split starts ``seq_len`` rows early so its first window has a full
history, exactly as the paper's loader does. Other tables: 70/10/20 by default.
"""

from __future__ import annotations

ETT_MONTH_ROWS = {"h": 30 * 24, "t": 30 * 24 * 4}


def ett_borders(freq: str, seq_len: int) -> dict[str, tuple[int, int]]:
    """Row ranges [start, end) of each split for an ETT table (``freq`` h or t)."""
    if freq not in ETT_MONTH_ROWS:
        raise ValueError(f"ETT freq must be 'h' (ETTh) or 't' (ETTm), got {freq!r}")
    month = ETT_MONTH_ROWS[freq]
    train, val, test = 12 * month, 16 * month, 20 * month
    return {"train": (0, train), "val": (train - seq_len, val), "test": (val - seq_len, test)}


def ratio_borders(n_rows: int, seq_len: int, ratios: tuple[float, float, float] = (0.7, 0.1, 0.2)
                  ) -> dict[str, tuple[int, int]]:
    """Row ranges for a train/val/test ratio split; test takes the last ``ratios[2]`` of the rows."""
    if len(ratios) != 3 or any(r < 0 for r in ratios) or abs(sum(ratios) - 1) > 1e-6:
        raise ValueError(f"split ratios must be three non-negative numbers summing to 1, got {ratios}")
    n_train = int(n_rows * ratios[0])
    n_test = int(n_rows * ratios[2])
    n_val = n_rows - n_train - n_test
    return {"train": (0, n_train), "val": (n_train - seq_len, n_train + n_val),
            "test": (n_rows - n_test - seq_len, n_rows)}
