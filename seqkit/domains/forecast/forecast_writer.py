"""Writes a forecast the way analysts read it: real future timestamps, data units, a plot per channel.

``forecast.csv`` has a ``date`` column and one column per predicted channel (inverse-scaled);
``forecast.png`` shows the recent history and the forecast of every channel. Both are written
atomically to ``output_dir`` (default ``<log_dir>/forecast``) by rank 0.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import pandas as pd
from lightning.pytorch.callbacks import Callback

from seqkit.atomic_io import atomic_write


class ForecastWriter(Callback):
    """Collects predict outputs ``{"forecast": (B, pred_len, c_out)}`` and writes CSV + PNG at the end."""

    def __init__(self, output_dir: str | None = None, history: int = 192) -> None:
        self.output_dir, self.history = output_dir, history
        self.forecasts: list[np.ndarray] = []

    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.forecasts = []
        self._dir = Path(self.output_dir) if self.output_dir else Path(trainer.log_dir or ".") / "forecast"

    def on_predict_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
                             batch_idx: int, dataloader_idx: int = 0) -> None:
        if outputs is not None and "forecast" in outputs:
            self.forecasts.append(outputs["forecast"].detach().cpu().numpy())

    def on_predict_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        dm = trainer.datamodule
        if not self.forecasts or dm is None or not trainer.is_global_zero:
            return
        scaled = np.concatenate(self.forecasts)[0]  # (pred_len, c_out): the forecast after the last row
        values = dm.inverse(scaled)
        stamps = dm.future_stamps()
        names = dm.table.columns[-values.shape[1]:]
        frame = pd.DataFrame(values, columns=names)
        frame.insert(0, "date", stamps)
        atomic_write(self._dir / "forecast.csv", lambda fh: fh.write(frame.to_csv(index=False).encode()))
        self._plot(dm, frame, names)

    def _plot(self, dm: Any, frame: pd.DataFrame, names: list[str]) -> None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        hist_stamps = dm.table.stamps[-self.history:]
        fig, axes = plt.subplots(len(names), 1, figsize=(8, 1.8 * len(names)), squeeze=False, sharex=True)
        for ax, name in zip(axes[:, 0], names, strict=True):
            col = dm.table.columns.index(name)
            ax.plot(hist_stamps, dm.table.values[-self.history:, col], color="0.3", lw=1, label="history")
            ax.plot(frame["date"], frame[name], color="C1", lw=1.5, label="forecast")
            ax.set_ylabel(name)
        axes[0, 0].legend(loc="upper left", fontsize=8)
        fig.autofmt_xdate()
        fig.tight_layout()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        plt.close(fig)
        atomic_write(self._dir / "forecast.png", lambda fh: fh.write(buf.getvalue()))
