"""seqkit-forecast end to end: fit and test from the shipped config, on synthetic data and on ETTh1."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqkit.domains.forecast import ForecastDataModule
from seqkit.domains.forecast.cli import main

SHARED = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data"))
ETTH1 = SHARED / "timeseries" / "ETTh1.csv"
TINY = ["--model.init_args.d_model=16", "--model.init_args.n_heads=2", "--model.init_args.d_ff=32",
        "--data.init_args.seq_len=48", "--data.init_args.label_len=24", "--data.init_args.pred_len=12",
        "--trainer.max_epochs=1", "--trainer.limit_train_batches=4", "--trainer.limit_val_batches=2",
        "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def test_fit_then_test_reports_mse_mae_overall_and_per_step(tmp_path: Path) -> None:
    fit = main(["fit", *TINY, f"--trainer.default_root_dir={tmp_path}"])
    assert fit.model.model.pred_len == 12 and fit.model.hparams.enc_in == 7
    ckpt = next(tmp_path.rglob("last.ckpt"))
    cli = main(["test", *TINY, f"--ckpt_path={ckpt}", f"--trainer.default_root_dir={tmp_path}"])
    results = {k: float(v) for k, v in cli.trainer.callback_metrics.items()}
    per_step = pd.read_csv(next(tmp_path.rglob("test_per_step.csv")))
    assert len(per_step) == 12
    assert per_step["mse"].mean() == pytest.approx(results["test_mse"], rel=1e-5)
    assert per_step["mae"].mean() == pytest.approx(results["test_mae"], rel=1e-5)


@pytest.mark.parametrize(("features", "enc_in", "c_out"), [("M", 7, 7), ("S", 1, 1), ("MS", 7, 1)])
def test_features_select_channels_with_the_target_last(features: str, enc_in: int, c_out: int) -> None:
    dm = ForecastDataModule(features=features, synthetic_rows=600, seq_len=48, label_len=24, pred_len=12)
    assert (dm.enc_in, dm.c_out) == (enc_in, c_out) and dm.table.columns[-1] == "target"


@pytest.mark.skipif(not ETTH1.exists(), reason=f"ETTh1 not found at {ETTH1}")
def test_etth1_uses_the_paper_borders_and_every_test_window() -> None:
    dm = ForecastDataModule(path=str(ETTH1), features="S", seq_len=96, label_len=48, pred_len=24)
    dm.setup("fit")
    assert {k: len(v) for k, v in dm.datasets.items()} == {"train": 8521, "val": 2857, "test": 2857}
    assert sum(len(b["x"]) for b in dm.test_dataloader()) == 2857  # no dropped last batch
    with pytest.raises(ValueError, match="target column 'oil' not found"):
        ForecastDataModule(path=str(ETTH1), target="oil")


def test_predict_writes_dated_inverse_scaled_csv_and_plot(tmp_path: Path) -> None:
    main(["fit", *TINY, f"--trainer.default_root_dir={tmp_path}"])
    ckpt = next(tmp_path.rglob("last.ckpt"))
    cli = main(["predict", *TINY, f"--ckpt_path={ckpt}", f"--trainer.default_root_dir={tmp_path}"])
    frame = pd.read_csv(next(tmp_path.rglob("forecast.csv")), parse_dates=["date"])
    table = cli.datamodule.table
    step = table.stamps[-1] - table.stamps[-2]
    assert len(frame) == 12 and list(frame.columns) == ["date", *table.columns]
    assert frame["date"].iloc[0] == table.stamps[-1] + step and frame["date"].diff().iloc[1:].eq(step).all()
    # data units, not standardized: the forecast sits within the range of the series it continues
    lo, hi = table.values.min(0), table.values.max(0)
    spread = hi - lo
    assert ((frame[table.columns].to_numpy() > lo - spread) & (frame[table.columns].to_numpy() < hi + spread)).all()
    assert next(tmp_path.rglob("forecast.png")).stat().st_size > 5000


def test_predict_on_a_long_panel_writes_long_parquet_per_series(tmp_path: Path) -> None:
    """A Nixtla panel (unique_id, ds, y) in, one global model, the same long layout out as Parquet."""
    rng = np.random.default_rng(1)
    parts = [pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=n, freq="h"),
                           "y": level + np.sin(np.arange(n) / 4) + 0.1 * rng.standard_normal(n)})
             for uid, start, n, level in (("north", "2021-01-01", 400, 5.0), ("south", "2021-03-01", 300, 50.0))]
    panel = tmp_path / "panel.parquet"
    pd.concat(parts).to_parquet(panel, index=False)
    data = [f"--data.init_args.path={panel}", "--data.init_args.features=S"]
    main(["fit", *TINY, *data, f"--trainer.default_root_dir={tmp_path}"])
    ckpt = next(tmp_path.rglob("last.ckpt"))
    out = tmp_path / "out"
    main(["predict", *TINY, *data, f"--ckpt_path={ckpt}", f"--trainer.default_root_dir={tmp_path}",
          f"--forecast_writer.output_dir={out}", "--forecast_writer.format=parquet"])
    frame = pd.read_parquet(out / "forecast.parquet")
    assert list(frame.columns) == ["unique_id", "ds", "y"] and len(frame) == 2 * 12
    south = frame[frame["unique_id"] == "south"]
    assert south["ds"].iloc[0] == pd.Timestamp("2021-03-01") + pd.Timedelta(hours=300)
    # each series is inverse-scaled with its own scaler: forecasts sit near their own level
    assert abs(south["y"].mean() - 50) < 5 and abs(frame[frame["unique_id"] == "north"]["y"].mean() - 5) < 5
    assert (out / "forecast.png").stat().st_size > 5000


def test_ddp_predict_on_a_panel_gathers_every_series_into_one_file(tmp_path: Path) -> None:
    """Two CPU ranks each forecast some of the series; rank 0 writes all of them, once."""
    import os
    import subprocess
    import sys

    rng = np.random.default_rng(2)
    parts = [pd.DataFrame({"unique_id": f"s{k}", "ds": pd.date_range("2021-01-01", periods=300, freq="h"),
                           "y": 10 * k + np.sin(np.arange(300) / 4) + 0.1 * rng.standard_normal(300)})
             for k in range(3)]
    panel = tmp_path / "panel.csv"
    pd.concat(parts).to_csv(panel, index=False)
    data = [f"--data.init_args.path={panel}", "--data.init_args.features=S", "--data.init_args.batch_size=1"]
    main(["fit", *TINY, *data, f"--trainer.default_root_dir={tmp_path}"])
    ckpt = next(tmp_path.rglob("last.ckpt"))
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    cmd = [sys.executable, "-m", "seqkit.domains.forecast.cli", "predict", *TINY, *data, f"--ckpt_path={ckpt}",
           "--trainer.strategy=ddp", "--trainer.devices=2", "--trainer.accelerator=cpu",
           f"--trainer.default_root_dir={tmp_path}", f"--forecast_writer.output_dir={out}"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    frame = pd.read_csv(out / "forecast.csv")
    assert sorted(frame["unique_id"].unique()) == ["s0", "s1", "s2"] and len(frame) == 3 * 12
