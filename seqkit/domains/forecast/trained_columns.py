"""A forecast checkpoint's channels: the column names it was trained on, checked against every new input.

The model's channels are positional: a file with the same number of columns but other names (ETTh1 fed to
a model trained on a plant's sensors) would be forecast without complaint. ``ForecastModel`` therefore
keeps the training columns (in model order, target last) in its saved hyperparameters, and ``predict``,
``test`` and the batch tool refuse an input whose columns differ, naming the file and the columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from seqkit.domains.forecast.data import ForecastDataModule

__all__ = ["ColumnMismatchError", "check_columns", "columns_mismatch"]


class ColumnMismatchError(ValueError):
    """An input's columns are not the ones the checkpoint was trained on."""


def columns_mismatch(trained: list[str], given: list[str]) -> str | None:
    """What differs between the trained and the given columns (both in model order), or None if nothing."""
    if list(given) == list(trained):
        return None
    missing = [c for c in trained if c not in given]
    unexpected = [c for c in given if c not in trained]
    parts = []
    if missing:
        parts.append(f"missing {', '.join(missing)}")
    if unexpected:
        parts.append(f"unexpected {', '.join(unexpected)}")
    if not parts:
        parts.append(f"same columns in another order ({', '.join(given)})")
    return "; ".join(parts)


def check_columns(trained: list[str] | None, dm: ForecastDataModule, path: str | Path | None = None) -> None:
    """Raise ``ColumnMismatchError`` when any series of ``dm`` has columns other than ``trained``.

    The columns compared are the model's channels after ``features`` (M: every value column, S: the target,
    MS: every column with the target last; a long panel's ids for M/MS). ``trained`` None (a checkpoint
    from before the names were saved) checks nothing.
    """
    if trained is None:
        return
    for table in dm.series.values():
        problem = columns_mismatch(trained, table.columns)
        if problem:
            source = path if path is not None else table.source
            raise ColumnMismatchError(
                f"{source}: columns do not match the checkpoint's: {problem}. The model was trained on "
                f"{', '.join(trained)} (features={dm.features!r}, target {dm.target!r})")
