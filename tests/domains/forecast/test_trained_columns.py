"""A forecast checkpoint records the columns it was trained on, and predict / the batch tool check inputs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch

from seqkit.domains.forecast.cli import main as forecast_cli
from seqkit.domains.forecast.synthetic_series import synthetic_series
from seqkit.domains.forecast.trained_columns import columns_mismatch
from seqkit.pipelines.forecast_files import FileForecaster

TINY = ["--model.init_args.d_model=16", "--model.init_args.n_heads=2", "--model.init_args.d_ff=32",
        "--data.init_args.seq_len=48", "--data.init_args.label_len=24", "--data.init_args.pred_len=12",
        "--trainer.max_epochs=1", "--trainer.limit_train_batches=2", "--trainer.limit_val_batches=1",
        "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
ETT_COLUMNS = ["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"]


def _csv(path: Path, columns: list[str] | None = None, rows: int = 400, seed: int = 0) -> Path:
    """A wide hourly CSV of the synthetic series (x0..x5, target), its value columns renamed to ``columns``."""
    table = synthetic_series(rows, 7, "h", seed)
    frame = pd.DataFrame(table.values, columns=columns or table.columns)
    frame.insert(0, "date", table.stamps)
    frame.to_csv(path, index=False)
    return path


def _forecast_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "seqkit.domains.forecast.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_columns_mismatch_names_missing_unexpected_and_order() -> None:
    assert columns_mismatch(["a", "b", "y"], ["a", "b", "y"]) is None
    assert columns_mismatch(["a", "b", "y"], ["a", "c", "y"]) == "missing b; unexpected c"
    assert columns_mismatch(["a", "y"], ["a", "b", "y"]) == "unexpected b"
    assert "another order" in columns_mismatch(["a", "b", "y"], ["b", "a", "y"])


def test_predict_accepts_the_training_columns_and_names_the_others(tmp_path: Path) -> None:
    """fit on a CSV whose target column is ``target``; predict on a same-shaped file works, one with the same
    number of other columns (which used to be forecast silently) fails naming the file and the columns."""
    train, same = _csv(tmp_path / "train.csv"), _csv(tmp_path / "same.csv", seed=1)
    other = _csv(tmp_path / "other.csv", ["a", "b", "c", "d", "e", "f", "target"], seed=2)
    data = ["--data.init_args.target=target", "--data.init_args.split=ratio"]
    fit = _forecast_cli("fit", *TINY, *data, f"--data.init_args.path={train}", "--trainer.default_root_dir=run",
                        cwd=tmp_path)
    assert fit.returncode == 0, fit.stderr[-3000:]
    ckpt = next(tmp_path.rglob("last.ckpt"))
    saved = torch.load(ckpt, map_location="cpu", weights_only=True)
    assert saved["hyper_parameters"]["columns"] == ["x0", "x1", "x2", "x3", "x4", "x5", "target"]
    assert saved["datamodule_hyper_parameters"]["target"] == "target"

    def predict(path: Path) -> subprocess.CompletedProcess:
        return _forecast_cli("predict", *TINY, *data, f"--data.init_args.path={path}", f"--ckpt_path={ckpt}",
                             "--trainer.default_root_dir=run", f"--forecast_writer.output_dir=out_{path.stem}",
                             cwd=tmp_path)

    ok = predict(same)
    assert ok.returncode == 0, ok.stderr[-3000:]
    assert len(pd.read_csv(tmp_path / "out_same" / "forecast.csv")) == 12
    bad = predict(other)
    assert bad.returncode != 0
    assert f"{other}: columns do not match the checkpoint's: missing x0, x1, x2, x3, x4, x5; unexpected a, b, c, " \
           "d, e, f" in bad.stderr
    assert not (tmp_path / "out_other" / "forecast.csv").exists()


def test_batch_tool_checks_columns_of_a_checkpoint_trained_on_the_synthetic_series(tmp_path: Path) -> None:
    """The synthetic series' target column is ``target``; the checkpoint used to say ``OT``, so files shaped
    like the training data were refused and ETTh1-shaped files (which have an OT column) were forecast."""
    forecast_cli(["fit", *TINY, f"--trainer.default_root_dir={tmp_path}"])
    ckpt = next(tmp_path.rglob("last.ckpt"))
    forecaster = FileForecaster(ckpt)
    assert forecaster.data_args["target"] == "target"
    dm = forecaster.data(_csv(tmp_path / "same.csv", rows=200, seed=3))
    assert dm.columns == ["x0", "x1", "x2", "x3", "x4", "x5", "target"]
    ett_like = _csv(tmp_path / "ett_like.csv", ETT_COLUMNS, rows=200, seed=4)
    with pytest.raises(ValueError, match=f"{re.escape(str(ett_like))}: .*target column 'target' not found"):
        forecaster.data(ett_like)
    renamed = _csv(tmp_path / "renamed.csv", [*ETT_COLUMNS[:-1], "target"], rows=200, seed=5)
    message = f"{re.escape(str(renamed))}: columns do not match .*missing x0, .*unexpected HUFL"
    with pytest.raises(ValueError, match=message):
        forecaster.data(renamed)
