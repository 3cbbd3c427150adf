"""Read forecasting tables (wide CSV/Parquet or long ``unique_id, ds, y``) and validate them.

Bad input never yields a silent wrong forecast: a missing date column, an unparseable or
non-monotonic timestamp, a gap, a NaN or a non-numeric value raises ``SeriesFormatError`` naming
the file, the column and the row (1-based data row, header excluded), unless ``missing`` names a
fill policy for gaps and NaNs (``interpolate`` in time, or ``ffill``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqkit.data.tables import read_table

MISSING_POLICIES = ("error", "interpolate", "ffill")


class SeriesFormatError(ValueError):
    """A forecasting input file that cannot be read as a regular, complete time series."""


@dataclass
class SeriesTable:
    """A validated regular series: timestamps (L,), values (L, C) float32 and the column names."""

    stamps: pd.DatetimeIndex
    values: np.ndarray
    columns: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.stamps)


def _read_frame(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    return read_table(path)


LONG_COLUMNS = ("unique_id", "ds", "y")
LAYOUTS = ("auto", "wide", "long")


def read_series(path: str | Path, date_column: str = "date", missing: str = "error",
                layout: str = "auto") -> tuple[str, dict[str, SeriesTable]]:
    """Read a wide or long file in one pass: ``(layout, {series id: table})``.

    ``auto`` picks long when the file has ``unique_id, ds, y`` and no ``date_column``. A wide file gives one
    table keyed by the file stem; a long file gives one univariate table per ``unique_id``.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    path = Path(path)
    frame = _read_frame(path)
    if layout == "auto":
        layout = "long" if set(LONG_COLUMNS) <= set(frame.columns) and date_column not in frame.columns else "wide"
    if layout == "long":
        return layout, _long_from_frame(frame, path, missing)
    return layout, {path.stem: _wide_from_frame(frame, path, date_column, None, missing)}


def read_wide(path: str | Path, date_column: str = "date", columns: list[str] | None = None,
              missing: str = "error") -> SeriesTable:
    """A date column plus value columns (ETT layout); ``columns`` selects and orders the value columns."""
    path = Path(path)
    return _wide_from_frame(_read_frame(path), path, date_column, columns, missing)


def _wide_from_frame(frame: pd.DataFrame, path: Path, date_column: str, columns: list[str] | None,
                     missing: str) -> SeriesTable:
    if date_column not in frame.columns:
        names = ", ".join(map(str, frame.columns))
        raise SeriesFormatError(f"{path}: no date column {date_column!r}; columns are {names} (set date_column)")
    value_cols = [c for c in frame.columns if c != date_column] if columns is None else list(columns)
    unknown = [c for c in value_cols if c not in frame.columns]
    if unknown:
        raise SeriesFormatError(f"{path}: column(s) {', '.join(unknown)} not found; available: "
                                f"{', '.join(c for c in frame.columns if c != date_column)}")
    return validate(frame[date_column], frame[value_cols], str(path), missing)


def read_long(path: str | Path, missing: str = "error") -> dict[str, SeriesTable]:
    """Nixtla long format (``unique_id, ds, y``): one univariate table per ``unique_id``."""
    path = Path(path)
    return _long_from_frame(_read_frame(path), path, missing)


def _long_from_frame(frame: pd.DataFrame, path: Path, missing: str) -> dict[str, SeriesTable]:
    need = [c for c in LONG_COLUMNS if c not in frame.columns]
    if need:
        raise SeriesFormatError(f"{path}: long format needs columns unique_id, ds, y; missing {', '.join(need)}")
    tables = {}
    for uid, part in frame.groupby("unique_id", sort=False):
        tables[str(uid)] = validate(part["ds"], part[["y"]], f"{path} [unique_id={uid}]", missing,
                                    row_numbers=part.index.to_numpy() + 1)
    return tables


def validate(dates: pd.Series, values: pd.DataFrame, source: str, missing: str = "error",
             row_numbers: np.ndarray | None = None) -> SeriesTable:
    """Parse and check timestamps and values; apply the ``missing`` policy to gaps and NaNs."""
    if missing not in MISSING_POLICIES:
        raise ValueError(f"missing must be one of {', '.join(MISSING_POLICIES)}, got {missing!r}")
    rows = np.arange(1, len(dates) + 1) if row_numbers is None else np.asarray(row_numbers)
    stamps = pd.to_datetime(dates, errors="coerce")
    bad = np.flatnonzero(stamps.isna().to_numpy())
    if len(bad):
        i = bad[0]
        raise SeriesFormatError(f"{source}: column {dates.name!r}, row {rows[i]}: cannot parse timestamp "
                                f"{dates.iloc[i]!r}")
    stamps = pd.DatetimeIndex(stamps)
    step = stamps[1:] - stamps[:-1]  # TimedeltaIndex (unit-safe: pandas may parse to s, ms or ns)
    back = np.flatnonzero(step <= pd.Timedelta(0))
    if len(back):
        i = back[0] + 1
        raise SeriesFormatError(f"{source}: column {dates.name!r}, row {rows[i]}: timestamp {stamps[i]} does not "
                                f"come after {stamps[i - 1]} (timestamps must be strictly increasing)")
    numeric = {}
    for col in values.columns:
        parsed = pd.to_numeric(values[col], errors="coerce")
        wrong = np.flatnonzero(parsed.isna().to_numpy() & values[col].notna().to_numpy())
        if len(wrong):
            i = wrong[0]
            raise SeriesFormatError(f"{source}: column {col!r}, row {rows[i]}: {values[col].iloc[i]!r} is not a number")
        numeric[col] = parsed.to_numpy(dtype=np.float64)
    data = pd.DataFrame(numeric, index=stamps)

    if len(step):
        regular = pd.Series(step).mode().iloc[0]
        gaps = np.flatnonzero(step != regular)
        if len(gaps):
            i = gaps[0] + 1
            if missing == "error":
                raise SeriesFormatError(f"{source}: row {rows[i]}: gap from {stamps[i - 1]} to {stamps[i]} (the series "
                                        f"steps by {regular}); set missing='interpolate' or 'ffill' to fill gaps")
            data = data.reindex(pd.date_range(stamps[0], stamps[-1], freq=regular))
    nan_rows, nan_cols = np.nonzero(data.isna().to_numpy())
    if len(nan_rows):
        if missing == "error":
            r, c = nan_rows[0], nan_cols[0]
            raise SeriesFormatError(f"{source}: column {data.columns[c]!r}, row {rows[r] if r < len(rows) else r + 1}: "
                                    f"missing value; set missing='interpolate' or 'ffill' to fill it")
        if missing == "interpolate":
            data = data.interpolate(method="time", limit_direction="both")
        else:
            data = data.ffill().bfill()
    columns = [str(c) for c in data.columns]
    return SeriesTable(pd.DatetimeIndex(data.index), data.to_numpy(dtype=np.float32), columns, source)
