"""A seeded multivariate series that looks like ETT-style load data: the embedded default dataset.

Each channel = level + trend + daily and weekly seasonality (random phases and amplitudes) +
piecewise-constant regime shifts + AR(1) noise; channels are then coupled by a random mixing
matrix close to the identity, and the last channel (the target, like ETT's OT) also follows a
lagged sum of the others. Everything is a function of ``seed``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from seqkit.domains.forecast.series_table import SeriesTable


def synthetic_series(n_rows: int = 8760, n_channels: int = 7, freq: str = "h", seed: int = 0,
                     start: str = "2020-01-01") -> SeriesTable:
    """``n_rows`` steps of ``n_channels`` coupled channels at pandas frequency ``freq`` ('h' or '15min')."""
    if n_rows < 2 or n_channels < 1:
        raise ValueError(f"synthetic_series: need n_rows >= 2 and n_channels >= 1, got {n_rows}, {n_channels}")
    steps_per_day = {"h": 24, "15min": 96}.get(freq)
    if steps_per_day is None:
        raise ValueError(f"synthetic_series: freq must be 'h' or '15min', got {freq!r}")
    rng = np.random.default_rng(seed)
    t = np.arange(n_rows, dtype=np.float64)[:, None]  # (L, 1)
    day = 2 * np.pi * t / steps_per_day
    week = day / 7
    level = rng.normal(0, 3, n_channels)
    trend = rng.normal(0, 2, n_channels) / n_rows
    daily = rng.uniform(0.5, 2.0, n_channels) * np.sin(day + rng.uniform(0, 2 * np.pi, n_channels))
    weekly = rng.uniform(0.2, 1.0, n_channels) * np.sin(week + rng.uniform(0, 2 * np.pi, n_channels))
    # Regime shifts: a few change points per channel, each moving the level by a random step.
    regimes = np.zeros((n_rows, n_channels))
    for c in range(n_channels):
        for point in rng.integers(0, n_rows, size=rng.integers(1, 4)):
            regimes[point:, c] += rng.normal(0, 1.5)
    # AR(1) noise with coefficient 0.8, vectorised through an exponentially weighted sum.
    shocks = rng.normal(0, 0.3, (n_rows, n_channels))
    noise = np.empty_like(shocks)
    noise[0] = shocks[0]
    for i in range(1, n_rows):  # generation only (not training); L is a few thousand rows
        noise[i] = 0.8 * noise[i - 1] + shocks[i]
    values = level + trend * t + daily + weekly + regimes + noise  # (L, C)
    mixing = np.eye(n_channels) + rng.normal(0, 0.15, (n_channels, n_channels))
    values = values @ mixing.T
    if n_channels > 1:  # the target follows the other channels with a 3-step lag
        lagged = np.roll(values[:, :-1].mean(axis=1), 3)
        lagged[:3] = lagged[3]
        values[:, -1] += 0.5 * lagged
    stamps = pd.date_range(start, periods=n_rows, freq=freq)
    columns = [f"x{i}" for i in range(n_channels - 1)] + ["target"]
    return SeriesTable(stamps, values.astype(np.float32), columns[-n_channels:], f"synthetic(seed={seed})")
