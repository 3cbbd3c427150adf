"""LightningDataModule for forecasting: a wide or long CSV/Parquet file (ETT, any table, a Nixtla panel) or the
synthetic default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from lightning.pytorch.utilities import rank_zero_info
from torch.utils.data import ConcatDataset, DataLoader, Dataset

from seqkit.data import SplitDataModule, resolve_data_path
from seqkit.domains.forecast.scaler import ChannelScaler
from seqkit.domains.forecast.series_table import LAYOUTS, SeriesFormatError, SeriesTable, read_series
from seqkit.domains.forecast.splits import ett_borders, ratio_borders
from seqkit.domains.forecast.synthetic_series import synthetic_series
from seqkit.domains.forecast.time_features import fixed_marks, timef
from seqkit.domains.forecast.windows import ForecastWindows

FEATURES = ("M", "S", "MS")


class ForecastDataModule(SplitDataModule):
    """Windows of one or many scaled series in Informer's layout.

    A wide file (a date column + value columns, the ETT layout) is one series of ``enc_in`` channels. A long
    file (Nixtla's ``unique_id, ds, y``) is a panel: with ``features=S`` every ``unique_id`` is its own
    univariate series and one global model trains on the windows of all of them (each series scaled by its
    own training rows); with ``M``/``MS`` the ids become the channels of one series, which needs every id on
    the same timestamps (``target`` then names an id).

    Args:
        path (str, Optional): CSV/Parquet file, found from the working directory or under
            ``$SEQKIT_SHARED_DATA``; None uses the seeded synthetic series.
        layout (str): ``auto`` (long when the file has unique_id, ds, y), ``wide`` or ``long``.
        date_column (str): name of the timestamp column of a wide file.
        target (str): target column (S and MS); for the synthetic series it is ``target`` whatever is given,
            and the saved hyperparameters record the column actually used.
        features (str): ``M`` multivariate → multivariate, ``S`` target only, ``MS`` all → target.
        split (str): ``ett`` (the paper's 12/4/4-month borders), ``ratio`` (70/10/20, per series) or ``auto``
            (ett when the file name starts with ETT).
        freq (str): ``h`` or ``t`` (15-minute), for time features and ETT borders.
        embed (str): ``timeF`` continuous calendar features or ``fixed`` integer marks.
        seq_len, label_len, pred_len (int): encoder length, decoder start-token length, horizon.
        missing (str): ``error``, ``interpolate`` or ``ffill`` for gaps and NaNs in the file.
        predict_scaler (str): what ``predict`` standardizes with: ``train`` (the training rows' statistics,
            as validation and test do) or ``history`` (every row of the file, for forecasting new series
            whose rows are all history, as the batch pipeline does; needs no split).
        synthetic_rows (int): length of the synthetic series.
        batch_size, num_workers, seed (int): loader settings; the train order depends on (seed, epoch).

    ``test`` scores the test split of whatever file it is given, also a new one: the paper's chronological
    borders for ETT files, the last 20% of rows (per series) otherwise. The rows before it are the history
    the windows need and the rows the scaler is fitted on, so a file is never scored whole; the run logs
    how many windows of which rows it scored.
    """

    def __init__(self, path: str | None = None, layout: str = "auto", date_column: str = "date", target: str = "OT",
                 features: str = "M", split: str = "auto", freq: str = "h", embed: str = "timeF", seq_len: int = 96,
                 label_len: int = 48, pred_len: int = 24, missing: str = "error", predict_scaler: str = "train",
                 synthetic_rows: int = 4000,
                 batch_size: int = 32, num_workers: int = 0, seed: int = 0) -> None:
        super().__init__()
        if features not in FEATURES:
            raise ValueError(f"data.features must be one of {', '.join(FEATURES)}, got {features!r}")
        if split not in ("auto", "ett", "ratio"):
            raise ValueError(f"data.split must be 'auto', 'ett' or 'ratio', got {split!r}")
        if predict_scaler not in ("train", "history"):
            raise ValueError(f"data.predict_scaler must be 'train' or 'history', got {predict_scaler!r}")
        if layout not in LAYOUTS:
            raise ValueError(f"data.layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
        self.save_hyperparameters()
        self.path, self.layout, self.date_column, self.target = path, layout, date_column, target
        self.features, self.split, self.freq, self.embed, self.missing = features, split, freq, embed, missing
        self.predict_scaler = predict_scaler
        self.seq_len, self.label_len, self.pred_len = seq_len, label_len, pred_len
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        #: series id → validated table (columns ordered target last); one entry unless a long panel with S.
        self.series: dict[str, SeriesTable] = self._read()
        self.hparams["target"] = self.target  # the column used, so a checkpoint reloads the data it saw
        self.scalers = {sid: ChannelScaler() for sid in self.series}
        self.datasets: dict[str, Dataset] = {}

    def _read(self) -> dict[str, SeriesTable]:
        if self.path is None:
            tables = {"synthetic": synthetic_series(self.hparams.synthetic_rows, 7,
                                                    "h" if self.freq == "h" else "15min", self.seed)}
            self.target = "target"
        else:
            self.layout, tables = read_series(resolve_data_path(self.path), self.date_column, self.missing,
                                              self.layout)
        if self.layout == "long" and self.features == "S":
            return tables  # a panel of univariate series, one global model
        if self.layout == "long":
            tables = {Path(self.path).stem: _pivot(tables)}
        return {sid: self._order_columns(table) for sid, table in tables.items()}

    def _order_columns(self, table: SeriesTable) -> SeriesTable:
        if self.target not in table.columns:
            raise ValueError(f"{table.source}: target column {self.target!r} not found; columns: "
                             f"{', '.join(table.columns)}")
        order = [c for c in table.columns if c != self.target] + [self.target]  # target last, as Informer does
        if self.features == "S":
            order = [self.target]
        idx = [table.columns.index(c) for c in order]
        return SeriesTable(table.stamps, table.values[:, idx], order, table.source)

    @property
    def table(self) -> SeriesTable:
        """The first (for a wide file, the only) series."""
        return next(iter(self.series.values()))

    @property
    def columns(self) -> list[str]:
        """The model's channels in order (target last): what a checkpoint records and checks new inputs against."""
        return list(self.table.columns)

    @property
    def series_ids(self) -> list[str]:
        return list(self.series)

    @property
    def enc_in(self) -> int:
        return len(self.table.columns)

    @property
    def c_out(self) -> int:
        return 1 if self.features in ("S", "MS") else self.enc_in

    def borders(self, n_rows: int | None = None) -> dict[str, tuple[int, int]]:
        """Row ranges per split for a series of ``n_rows`` rows (default: the first series)."""
        use_ett = self.split == "ett" or (self.split == "auto" and self.path is not None
                                          and Path(self.path).name.upper().startswith("ETT"))
        if use_ett:
            return ett_borders(self.freq, self.seq_len)
        return ratio_borders(len(self.table) if n_rows is None else n_rows, self.seq_len)

    def _marks(self, stamps: pd.DatetimeIndex) -> np.ndarray:
        return timef(stamps, self.freq) if self.embed == "timeF" else fixed_marks(stamps, self.freq)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        per_split: dict[str, list[ForecastWindows]] = {}
        for sid, table in self.series.items():
            borders = self.borders(len(table))
            start, end = borders["train"]
            self.scalers[sid].fit(table.values[start:end])
            values = self.scalers[sid].transform(table.values)
            marks = self._marks(table.stamps)
            for split, (s, e) in borders.items():
                per_split.setdefault(split, []).append(ForecastWindows(
                    values[s:e], marks[s:e], self.seq_len, self.label_len, self.pred_len,
                    source=f"{table.source} [{split} rows {s}:{e}]"))
        self.datasets = {split: parts[0] if len(parts) == 1 else ConcatDataset(parts)
                         for split, parts in per_split.items()}

    def test_dataloader(self) -> DataLoader:
        loader = self.loader("test")
        parts = self.datasets["test"].datasets if isinstance(self.datasets["test"], ConcatDataset) \
            else [self.datasets["test"]]
        where = parts[0].source if len(parts) == 1 else f"{len(parts)} series of {self.path}"
        rank_zero_info(f"Testing on {len(loader.dataset):,} windows of {where} (the chronological test split)")
        return loader

    @property
    def scaler(self) -> ChannelScaler:
        """The first series' scaler (the only one for a wide file)."""
        return next(iter(self.scalers.values()))

    def future_stamps(self, series_id: str | None = None) -> pd.DatetimeIndex:
        """The ``pred_len`` timestamps after the last row of a series, at its regular step."""
        stamps = (self.table if series_id is None else self.series[series_id]).stamps
        step = stamps[-1] - stamps[-2]
        return pd.date_range(stamps[-1] + step, periods=self.pred_len, freq=step)

    def _future_window(self, series_id: str) -> dict[str, np.ndarray]:
        """One window: the last seq_len rows, start token = last label_len rows, marks of future stamps."""
        table = self.series[series_id]
        if len(table) < self.seq_len:
            raise ValueError(f"{table.source}: {len(table)} rows, but a forecast needs seq_len={self.seq_len} rows "
                             f"of history")
        values = self.scalers[series_id].transform(table.values[-self.seq_len :])  # (seq_len, C)
        marks = self._marks(table.stamps[-self.seq_len :].append(self.future_stamps(series_id)))
        y = np.concatenate([values[-self.label_len :], np.zeros((self.pred_len, values.shape[1]), np.float32)])
        return {"x": values, "x_mark": marks[: self.seq_len], "y": y, "y_mark": marks[self.seq_len - self.label_len :]}

    def predict_dataloader(self) -> DataLoader:
        """One window per series, forecasting past its last row; ``index`` is the series' position."""
        if self.predict_scaler == "history":
            for sid, table in self.series.items():
                self.scalers[sid].fit(table.values)
        else:
            self.setup()
        return DataLoader(_FutureWindows([self._future_window(sid) for sid in self.series]),
                          batch_size=self.batch_size)

    def dataset(self, split: str) -> Dataset:
        self.setup()
        return self.datasets[split]

    def inverse(self, scaled: np.ndarray, series_id: str | None = None) -> np.ndarray:
        """Model outputs (…, c_out) of a series back to data units."""
        scaler = self.scaler if series_id is None else self.scalers[series_id]
        return scaler.inverse(scaled, None if self.c_out == self.enc_in else [-1])


def _pivot(tables: dict[str, SeriesTable]) -> SeriesTable:
    """Long panel → one multichannel series (a channel per id); every id must share the same timestamps."""
    ids = list(tables)
    first = tables[ids[0]]
    for uid in ids[1:]:
        if not tables[uid].stamps.equals(first.stamps):
            raise SeriesFormatError(f"{tables[uid].source}: timestamps differ from unique_id={ids[0]}'s; features M "
                                    f"and MS need every id on the same timestamps (use features=S for a panel)")
    values = np.concatenate([tables[uid].values for uid in ids], axis=1)  # (L, n_ids)
    return SeriesTable(first.stamps, values, ids, first.source.rsplit(" [", 1)[0])


class _FutureWindows(Dataset):
    """The forecast windows of predict, one per series, as named tensors."""

    def __init__(self, windows: list[dict[str, np.ndarray]]) -> None:
        self.items = [{k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in w.items()} for w in windows]
        for i, item in enumerate(self.items):
            item["index"] = torch.tensor(i)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.items[i]
