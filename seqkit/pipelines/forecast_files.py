"""``seqkit-forecast batch``: forecast many files with one trained checkpoint, one output per input, resumable.

Each input (a wide CSV/Parquet, or a long ``unique_id, ds, y`` panel) is read and validated with the
data settings saved in the checkpoint (seq_len, features, target, ...), standardized with its own history,
forecast past its last row and written as ``<output_dir>/<stem>.forecast.<csv|parquet>`` (and a PNG with
``--plot``). Rerunning the same command skips inputs already done; bad files land in ``failures.csv``.

    seqkit-forecast batch --checkpoint runs/.../last.ckpt --output_dir forecasts/ data/*.csv [--format parquet]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch

from seqkit.atomic_io import TABLE_FORMATS, write_table
from seqkit.commands.tool_arguments import parse_shard
from seqkit.domains.forecast import ForecastDataModule, ForecastModel
from seqkit.domains.forecast.forecast_writer import forecast_frame, plot_forecast
from seqkit.domains.forecast.trained_columns import check_columns
from seqkit.pipelines.file_batch import BatchReport, expand_inputs, run_file_batch, shard_of

# Data settings that describe the training file rather than the windows: not carried over to new inputs.
_PER_FILE = ("path", "layout", "split", "synthetic_rows", "num_workers", "predict_scaler", "_class_path",
             "_instantiator")


class FileForecaster:
    """A trained ForecastModel plus the data settings it was trained with, applied to one file at a time."""

    def __init__(self, checkpoint: str | Path, device: str = "cpu", seed: int = 0,
                 data_overrides: dict[str, Any] | None = None) -> None:
        from seqkit.model_files import load, read_config

        data_args = read_config(checkpoint)["datamodule_hyper_parameters"]
        if not data_args:
            raise ValueError(f"{checkpoint}: no data settings saved in this checkpoint (was it written by "
                             f"seqkit-forecast fit?)")
        self.data_args = {k: v for k, v in data_args.items() if k not in _PER_FILE}
        self.data_args.update(data_overrides or {})
        self.model = load(checkpoint, device, ForecastModel)
        self.device, self.seed = torch.device(device), seed

    def data(self, path: Path) -> ForecastDataModule:
        dm = ForecastDataModule(path=str(path), predict_scaler="history", **self.data_args)
        check_columns(self.model.hparams.get("columns"), dm, path)
        expected = self.model.hparams.enc_in
        if dm.enc_in != expected:
            raise ValueError(f"{path}: {dm.enc_in} channel(s) {dm.table.columns} after features="
                             f"{dm.features!r}, but the model was trained on {expected}")
        return dm

    @torch.inference_mode()
    def forecast(self, dm: ForecastDataModule) -> dict[str, Any]:
        """Scaled forecasts per series id, each (pred_len, c_out). Seeded, so a resumed batch matches a full one
        (ProbSparse samples keys even at inference, as in the paper)."""
        torch.manual_seed(self.seed)
        scaled = {}
        for batch in dm.predict_dataloader():
            batch = {k: v.to(self.device) for k, v in batch.items()}
            out = self.model.predict_step(batch, 0)
            for i, f in zip(out["index"].tolist(), out["forecast"].float().cpu().numpy(), strict=True):
                scaled[dm.series_ids[i]] = f
        return scaled


def forecast_files(checkpoint: str | Path, inputs: Sequence[str | Path], output_dir: str | Path, *,
                   fmt: str = "csv", plot: bool = False, shard: tuple[int, int] = (0, 1), device: str = "cpu",
                   seed: int = 0, data_overrides: dict[str, Any] | None = None, progress: bool = True
                   ) -> BatchReport:
    """Forecast every input file into ``output_dir``; see the module docstring. Returns what was done."""
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"format must be one of {', '.join(TABLE_FORMATS)}, got {fmt!r}")
    out_dir = Path(output_dir)
    forecaster = FileForecaster(checkpoint, device, seed, data_overrides)

    def output_for(path: Path) -> Path:
        return out_dir / f"{path.stem}.forecast.{fmt}"

    def process(path: Path, out: Path) -> None:
        dm = forecaster.data(path)
        frame = forecast_frame(dm, forecaster.forecast(dm))
        if plot:  # the plot first: the table's existence marks the input done
            plot_forecast(dm, frame, out.with_suffix(".png"))
        write_table(frame, out, fmt)

    files, missing = expand_inputs(inputs)
    return run_file_batch(shard_of(files, shard), output_for, process, out_dir / "failures.csv", progress=progress,
                          desc="forecasting", missing=missing if shard[0] == 0 else ())


def batch_command(inputs: list[str], checkpoint: str, output_dir: str, format: Literal["csv", "parquet"] = "csv",
                  plot: bool = False, shard: str = "0/1", device: str = "cpu", seed: int = 0,
                  missing: Literal["error", "interpolate", "ffill"] | None = None) -> int:
    """Forecast every input file into --output_dir: <stem>.forecast.<csv|parquet>; reruns skip finished files.

    Args:
        inputs: CSV/Parquet files, or folders of them.
        format: table format of the forecasts.
        plot: also write <stem>.forecast.png per input.
        missing: gap/NaN policy for the inputs (default: the one saved in the checkpoint).
    """
    overrides = {"missing": missing} if missing else None
    report = forecast_files(checkpoint, inputs, output_dir, fmt=format, plot=plot, shard=parse_shard(shard),
                            device=device, seed=seed, data_overrides=overrides)
    print(f"{len(report.done)} forecast, {len(report.skipped)} already done, {len(report.failed)} failed"
          + (f" (listed in {Path(output_dir) / 'failures.csv'})" if report.failed else ""))
    for path, reason in report.failed:
        print(f"  {reason if str(path) in reason else f'{path}: {reason}'}", file=sys.stderr)
    return 1 if report.failed else 0
