"""Writes a forecast the way analysts read it: real future timestamps, data units, a plot per channel.

A wide input gives ``forecast.csv`` with a ``date`` column and one column per predicted channel; a long
panel (Nixtla's ``unique_id, ds, y``) gives the same long layout back, one row per (series, future step).
Values are inverse-scaled. ``forecast.png`` shows recent history and the forecast of every channel (or of
the first series of a panel). Files are written atomically, as CSV or Parquet, by rank 0.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
from lightning.pytorch.callbacks import Callback

from seqkit.atomic_io import TABLE_FORMATS, atomic_write, write_table

MAX_PLOTTED_SERIES = 8


def forecast_frame(dm: Any, scaled: dict[str, np.ndarray]) -> pd.DataFrame:
    """Dated, inverse-scaled forecasts; ``scaled`` maps series id → model output (pred_len, c_out)."""
    if dm.layout == "long" and dm.features == "S":
        parts = []
        for sid, out in scaled.items():
            parts.append(pd.DataFrame({"unique_id": sid, "ds": dm.future_stamps(sid),
                                       "y": dm.inverse(out, sid)[:, -1]}))
        return pd.concat(parts, ignore_index=True)
    sid, out = next(iter(scaled.items()))
    values = dm.inverse(out, sid)
    frame = pd.DataFrame(values, columns=dm.series[sid].columns[-values.shape[1]:])
    frame.insert(0, "date", dm.future_stamps(sid))
    return frame


def plot_forecast(dm: Any, frame: pd.DataFrame, path: Path, history: int = 192) -> None:
    """History (grey) and forecast (orange): one panel per channel, or per series of a long panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "unique_id" in frame.columns:
        ids = list(dict.fromkeys(frame["unique_id"]))[:MAX_PLOTTED_SERIES]
        panels = [(sid, dm.series[sid], "y", frame[frame["unique_id"] == sid], "ds") for sid in ids]
    else:
        sid = dm.series_ids[0]
        panels = [(name, dm.series[sid], name, frame, "date") for name in frame.columns[1:]]
    fig, axes = plt.subplots(len(panels), 1, figsize=(8, 1.8 * len(panels)), squeeze=False)
    for ax, (label, table, column, rows, date_col) in zip(axes[:, 0], panels, strict=True):
        col = table.columns.index(column)
        ax.plot(table.stamps[-history:], table.values[-history:, col], color="0.3", lw=1, label="history")
        ax.plot(rows[date_col], rows[column], color="C1", lw=1.5, label="forecast")
        ax.set_ylabel(str(label))
    axes[0, 0].legend(loc="upper left", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write(path, lambda fh: fh.write(buf.getvalue()))


class ForecastWriter(Callback):
    """Collects predict outputs ``{"index", "forecast": (B, pred_len, c_out)}``; writes table + PNG at the end.

    Args:
        output_dir: folder for ``forecast.<format>`` and ``forecast.png`` (default ``<log_dir>/forecast``).
        history: rows of history drawn before the forecast.
        format: ``csv`` or ``parquet``.
    """

    def __init__(self, output_dir: str | None = None, history: int = 192, format: str = "csv") -> None:
        if format not in TABLE_FORMATS:
            raise ValueError(f"ForecastWriter format must be one of {', '.join(TABLE_FORMATS)}, got {format!r}")
        self.output_dir, self.history, self.format = output_dir, history, format
        self.forecasts: dict[int, np.ndarray] = {}

    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.forecasts = {}
        self._dir = Path(self.output_dir) if self.output_dir else Path(trainer.log_dir or ".") / "forecast"

    def on_predict_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                             batch_idx: int, dataloader_idx: int = 0) -> None:
        if outputs is not None and "forecast" in outputs:
            for i, out in zip(outputs["index"].tolist(), outputs["forecast"].detach().float().cpu().numpy(),
                              strict=True):
                self.forecasts[i] = out

    def on_predict_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        forecasts = self.forecasts
        if trainer.world_size > 1:  # under DDP each rank forecast some of the series: collect them on every rank
            import torch.distributed as dist

            parts: list[dict[int, np.ndarray] | None] = [None] * trainer.world_size
            dist.all_gather_object(parts, forecasts)
            forecasts = {i: out for part in parts for i, out in (part or {}).items()}
        dm = trainer.datamodule
        if not forecasts or dm is None or not trainer.is_global_zero:
            return
        ids = dm.series_ids
        frame = forecast_frame(dm, {ids[i]: forecasts[i] for i in sorted(forecasts)})
        write_table(frame, self._dir / "forecast", self.format)
        plot_forecast(dm, frame, self._dir / "forecast.png", self.history)
