"""``seqkit-forecast batch``: many files through one checkpoint, one dated forecast per input, resumable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from seqkit.domains.forecast.cli import COMMAND
from seqkit.domains.forecast.cli import main as forecast_cli
from seqkit.domains.forecast.synthetic_series import synthetic_series

TINY = ["--model.init_args.d_model=16", "--model.init_args.n_heads=2", "--model.init_args.d_ff=32",
        "--data.init_args.seq_len=48", "--data.init_args.label_len=24", "--data.init_args.pred_len=12",
        "--trainer.max_epochs=1", "--trainer.limit_train_batches=3", "--trainer.limit_val_batches=1",
        "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def main(args: list[str]) -> int:
    """``seqkit-forecast batch ARGS`` as the console runs it (parser, tool, user errors); returns the exit status."""
    return COMMAND.console(["batch", *args])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fit")
    forecast_cli(["fit", *TINY, f"--trainer.default_root_dir={root}"])
    return next(root.rglob("last.ckpt"))


def _wide(path: Path, seed: int, rows: int = 200, freq: str = "h") -> Path:
    table = synthetic_series(rows, 7, freq, seed)
    frame = pd.DataFrame(table.values, columns=table.columns)  # shaped like the training data (target last)
    frame.insert(0, "date", table.stamps)
    frame.to_csv(path, index=False)
    return path


def test_batch_forecasts_each_file_records_bad_ones_and_resumes(tmp_path: Path, checkpoint: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    _wide(inputs / "plant_a.csv", 1)
    _wide(inputs / "plant_b.csv", 2, freq="15min")
    bad = _wide(inputs / "plant_bad.csv", 3).read_text().splitlines()
    bad[30] = bad[30].replace(bad[30].split(",")[2], "abc", 1)
    (inputs / "plant_bad.csv").write_text("\n".join(bad) + "\n")
    pd.read_csv(inputs / "plant_a.csv").drop(columns=["x0"]).to_csv(inputs / "plant_narrow.csv", index=False)
    out = tmp_path / "out"
    args = [str(inputs), f"--checkpoint={checkpoint}", f"--output_dir={out}", "--plot"]

    assert main(args) == 1  # two inputs failed
    failures = pd.read_csv(out / "failures.csv")
    reasons = dict(zip(failures["input"].map(lambda p: Path(p).name), failures["error"], strict=True))
    assert set(reasons) == {"plant_bad.csv", "plant_narrow.csv"}
    assert "row 30" in reasons["plant_bad.csv"] and "'abc' is not a number" in reasons["plant_bad.csv"]
    assert "columns do not match the checkpoint's: missing x0" in reasons["plant_narrow.csv"]

    for name, step in (("plant_a", pd.Timedelta(hours=1)), ("plant_b", pd.Timedelta(minutes=15))):
        source = pd.read_csv(inputs / f"{name}.csv", parse_dates=["date"])
        frame = pd.read_csv(out / f"{name}.forecast.csv", parse_dates=["date"])
        assert list(frame.columns) == list(source.columns) and len(frame) == 12
        assert frame["date"].iloc[0] == source["date"].iloc[-1] + step
        assert frame["date"].diff().iloc[1:].eq(step).all()
        assert (out / f"{name}.forecast.png").stat().st_size > 5000
    first = (out / "plant_a.forecast.csv").read_bytes()

    # rerun after fixing nothing: finished files are skipped (not rewritten), the bad ones fail again
    (out / "plant_a.forecast.csv").touch()
    mtime = (out / "plant_a.forecast.csv").stat().st_mtime_ns
    assert main(args) == 1
    assert (out / "plant_a.forecast.csv").stat().st_mtime_ns == mtime
    # a forecast redone from scratch is identical (seeded ProbSparse sampling)
    (out / "plant_a.forecast.csv").unlink()
    main(args)
    assert (out / "plant_a.forecast.csv").read_bytes() == first


def test_parquet_output_and_shards(tmp_path: Path, checkpoint: Path) -> None:
    inputs = [_wide(tmp_path / f"s{i}.csv", i) for i in range(3)]
    out = tmp_path / "out"
    for shard in ("0/2", "1/2"):
        assert main([*map(str, inputs), f"--checkpoint={checkpoint}", f"--output_dir={out}", "--format=parquet",
                     f"--shard={shard}"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [f"s{i}.forecast.parquet" for i in range(3)]
    assert len(pd.read_parquet(out / "s1.forecast.parquet")) == 12
    assert main([str(inputs[0]), f"--checkpoint={checkpoint}", f"--output_dir={out}", "--shard=first"]) == 2


def test_a_missing_input_is_recorded_and_the_rest_carry_on(tmp_path: Path, checkpoint: Path,
                                                           capsys: pytest.CaptureFixture) -> None:
    inputs = [str(_wide(tmp_path / f"s{i}.csv", i)) for i in range(2)]
    out = tmp_path / "out"
    assert main([inputs[0], str(tmp_path / "nope.csv"), inputs[1], f"--checkpoint={checkpoint}",
                 f"--output_dir={out}"]) == 1
    assert sorted(p.name for p in out.glob("*.forecast.csv")) == ["s0.forecast.csv", "s1.forecast.csv"]
    failures = pd.read_csv(out / "failures.csv")
    assert failures["input"].map(lambda p: Path(p).name).tolist() == ["nope.csv"]
    assert "2 forecast, 0 already done, 1 failed" in capsys.readouterr().out


def test_a_folder_with_no_inputs_is_an_error(tmp_path: Path, checkpoint: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty"), f"--checkpoint={checkpoint}", f"--output_dir={tmp_path / 'out'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no input files to process") and "folder has no" in err
