"""LightningDataModule for forecasting: a CSV/Parquet file (ETT or any wide table) or the synthetic default."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from seqkit.data import SplitDataModule, resolve_data_path
from seqkit.domains.forecast.scaler import ChannelScaler
from seqkit.domains.forecast.series_table import SeriesTable, read_wide
from seqkit.domains.forecast.splits import ett_borders, ratio_borders
from seqkit.domains.forecast.synthetic_series import synthetic_series
from seqkit.domains.forecast.time_features import fixed_marks, timef
from seqkit.domains.forecast.windows import ForecastWindows

FEATURES = ("M", "S", "MS")


class ForecastDataModule(SplitDataModule):
    """Windows of a scaled series in Informer's layout.

    Args:
        path (str, Optional): CSV/Parquet with a date column, found from the working directory or under
            ``$SEQKIT_SHARED_DATA``; None uses the seeded synthetic series.
        date_column (str): name of the timestamp column.
        target (str): target column (S and MS); for the synthetic series it is ``target``.
        features (str): ``M`` multivariate → multivariate, ``S`` target only, ``MS`` all → target.
        split (str): ``ett`` (the paper's 12/4/4-month borders), ``ratio`` (70/10/20) or ``auto``
            (ett when the file name starts with ETT).
        freq (str): ``h`` or ``t`` (15-minute), for time features and ETT borders.
        embed (str): ``timeF`` continuous calendar features or ``fixed`` integer marks.
        seq_len, label_len, pred_len (int): encoder length, decoder start-token length, horizon.
        missing (str): ``error``, ``interpolate`` or ``ffill`` for gaps and NaNs in the file.
        synthetic_rows (int): length of the synthetic series.
        batch_size, num_workers, seed (int): loader settings; the train order depends on (seed, epoch).
    """

    def __init__(self, path: str | None = None, date_column: str = "date", target: str = "OT", features: str = "M",
                 split: str = "auto", freq: str = "h", embed: str = "timeF", seq_len: int = 96, label_len: int = 48,
                 pred_len: int = 24, missing: str = "error", synthetic_rows: int = 4000, batch_size: int = 32,
                 num_workers: int = 0, seed: int = 0) -> None:
        super().__init__()
        if features not in FEATURES:
            raise ValueError(f"data.features must be one of {', '.join(FEATURES)}, got {features!r}")
        if split not in ("auto", "ett", "ratio"):
            raise ValueError(f"data.split must be 'auto', 'ett' or 'ratio', got {split!r}")
        self.save_hyperparameters()
        self.path, self.date_column, self.target, self.features = path, date_column, target, features
        self.split, self.freq, self.embed, self.missing = split, freq, embed, missing
        self.seq_len, self.label_len, self.pred_len = seq_len, label_len, pred_len
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self.table = self._read()
        self.scaler = ChannelScaler()
        self.datasets: dict[str, ForecastWindows] = {}

    def _read(self) -> SeriesTable:
        if self.path is None:
            table = synthetic_series(self.hparams.synthetic_rows, 7, "h" if self.freq == "h" else "15min", self.seed)
            self.target = "target"
        else:
            table = read_wide(resolve_data_path(self.path), self.date_column, missing=self.missing)
        if self.target not in table.columns:
            raise ValueError(f"{table.source}: target column {self.target!r} not found; columns: "
                             f"{', '.join(table.columns)}")
        order = [c for c in table.columns if c != self.target] + [self.target]  # target last, as Informer does
        if self.features == "S":
            order = [self.target]
        idx = [table.columns.index(c) for c in order]
        return SeriesTable(table.stamps, table.values[:, idx], order, table.source)

    @property
    def enc_in(self) -> int:
        return len(self.table.columns)

    @property
    def c_out(self) -> int:
        return 1 if self.features in ("S", "MS") else self.enc_in

    def borders(self) -> dict[str, tuple[int, int]]:
        use_ett = self.split == "ett" or (self.split == "auto" and self.path is not None
                                          and Path(self.path).name.upper().startswith("ETT"))
        if use_ett:
            return ett_borders(self.freq, self.seq_len)
        return ratio_borders(len(self.table), self.seq_len)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        borders = self.borders()
        start, end = borders["train"]
        self.scaler.fit(self.table.values[start:end])
        values = self.scaler.transform(self.table.values)
        marks = timef(self.table.stamps, self.freq) if self.embed == "timeF" else fixed_marks(self.table.stamps,
                                                                                               self.freq)
        for split, (s, e) in borders.items():
            self.datasets[split] = ForecastWindows(values[s:e], marks[s:e], self.seq_len, self.label_len,
                                                   self.pred_len, source=f"{self.table.source} [{split} rows {s}:{e}]")

    def future_stamps(self) -> pd.DatetimeIndex:
        """The ``pred_len`` timestamps after the last row, at the series' regular step."""
        stamps = self.table.stamps
        step = stamps[-1] - stamps[-2]
        return pd.date_range(stamps[-1] + step, periods=self.pred_len, freq=step)

    def _future_window(self) -> _DictDataset:
        """One window: the last seq_len rows, start token = last label_len rows, marks of future stamps."""
        values = self.scaler.transform(self.table.values[-self.seq_len :])  # (seq_len, C)
        stamps = self.table.stamps[-self.seq_len :].append(self.future_stamps())
        marks = timef(stamps, self.freq) if self.embed == "timeF" else fixed_marks(stamps, self.freq)
        y = np.concatenate([values[-self.label_len :], np.zeros((self.pred_len, values.shape[1]), np.float32)])
        x_mark, y_mark = marks[: self.seq_len], marks[self.seq_len - self.label_len :]
        return _DictDataset(x=values, x_mark=x_mark, y=y, y_mark=y_mark)

    def predict_dataloader(self) -> DataLoader:
        return DataLoader(self._future_window(), batch_size=1)

    def dataset(self, split: str) -> ForecastWindows:
        self.setup()
        return self.datasets[split]

    def inverse(self, scaled: np.ndarray) -> np.ndarray:
        """Model outputs (…, c_out) back to data units."""
        return self.scaler.inverse(scaled, None if self.c_out == self.enc_in else [-1])


class _DictDataset(Dataset):
    """A single example held as named arrays."""

    def __init__(self, **arrays: np.ndarray) -> None:
        self.item = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}
        self.item["index"] = torch.tensor(0)

    def __len__(self) -> int:
        return 1

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return self.item
