"""Forecasting data layer on the real ETT files and on crafted bad inputs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seqkit.domains.forecast import ForecastDataModule
from seqkit.domains.forecast.scaler import ChannelScaler
from seqkit.domains.forecast.series_table import SeriesFormatError, read_long, read_wide
from seqkit.domains.forecast.splits import ett_borders, ratio_borders
from seqkit.domains.forecast.time_features import fixed_marks, timef
from seqkit.domains.forecast.windows import ForecastWindows

# ../shared/data beside the checkout (as seqkit.data.resolve_data_path), or wherever SEQKIT_SHARED_DATA points.
ETT = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "timeseries"
needs_ett = pytest.mark.skipif(not (ETT / "ETTh1.csv").exists(), reason=f"ETT data not found in {ETT}")


@needs_ett
def test_etth1_paper_borders_give_the_paper_window_counts() -> None:
    table = read_wide(ETT / "ETTh1.csv")
    assert len(table) == 17420 and table.columns[-1] == "OT" and table.values.shape == (17420, 7)
    borders = ett_borders("h", 96)
    counts = {}
    for split, (start, end) in borders.items():
        counts[split] = len(ForecastWindows(table.values[start:end], timef(table.stamps[start:end]), 96, 48, 24))
    # the Informer loader's counts at seq_len 96 / pred_len 24 (reproduced by running the original code)
    assert counts == {"train": 8521, "val": 2857, "test": 2857}


@needs_ett
def test_scaler_is_fit_on_train_rows_only() -> None:
    table = read_wide(ETT / "ETTh1.csv")
    start, end = ett_borders("h", 96)["train"]
    scaler = ChannelScaler().fit(table.values[start:end])
    scaled = scaler.transform(table.values)
    np.testing.assert_allclose(scaled[start:end].mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(scaled[start:end].std(0), 1, atol=1e-4)
    assert np.abs(scaled[11520:14400].mean(0)).max() > 0.05  # test rows are not re-centred
    np.testing.assert_allclose(scaler.inverse(scaled), table.values, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(scaler.inverse(scaled[:, -1:], [-1]), table.values[:, -1:], rtol=1e-5, atol=1e-4)


def test_windows_follow_the_informer_layout() -> None:
    values = np.arange(40, dtype=np.float32)[:, None]
    w = ForecastWindows(values, np.zeros((40, 4), np.float32), seq_len=10, label_len=4, pred_len=3)
    assert len(w) == 40 - 10 - 3 + 1
    item = w[5]
    assert item["x"][:, 0].tolist() == list(range(5, 15))
    assert item["y"][:, 0].tolist() == list(range(11, 18))  # last 4 encoder steps + 3 future steps
    with pytest.raises(ValueError, match="seq_len \\+ pred_len"):
        ForecastWindows(values[:12], np.zeros((12, 4), np.float32), 10, 4, 3, source="short.csv")


def test_time_features_match_the_calendar() -> None:
    stamps = pd.DatetimeIndex(["2016-07-01 00:00", "2016-12-31 23:45"])  # a Friday; the last day of a leap year
    h = timef(stamps, "h")
    np.testing.assert_allclose(h[0], [-0.5, 4 / 6 - 0.5, -0.5, 182 / 365 - 0.5], rtol=1e-6)
    np.testing.assert_allclose(h[1], [0.5, 5 / 6 - 0.5, 0.5, 365 / 365 - 0.5], rtol=1e-6)
    t = timef(stamps, "t")
    assert t.shape == (2, 5) and t[1, 0] == pytest.approx(45 / 59 - 0.5)
    assert fixed_marks(stamps, "t").tolist() == [[7, 1, 4, 0, 0], [12, 31, 5, 23, 3]]
    assert (np.abs(h) <= 0.5).all()


def test_ratio_split_starts_later_splits_one_history_early() -> None:
    b = ratio_borders(1000, 96)
    assert b == {"train": (0, 700), "val": (604, 800), "test": (704, 1000)}


def _write(tmp_path: Path, text: str, name: str = "series.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "date,a,b\n2020-01-01 00:00,1,2\n2020-01-01 01:00,2,3\n2020-01-01 02:00,3,4\n2020-01-01 03:00,4,5\n"


@pytest.mark.parametrize(("text", "pattern"), [
    (GOOD.replace("date,", "time,"), r"no date column 'date'; columns are time, a, b"),
    (GOOD.replace("2020-01-01 01:00", "yesterday"), r"column 'date', row 2: cannot parse timestamp 'yesterday'"),
    (GOOD.replace("2020-01-01 02:00", "2020-01-01 00:30"), r"row 3: timestamp .* does not come after"),
    (GOOD.replace("2020-01-01 02:00,3,4\n", ""), r"row 3: gap from 2020-01-01 01:00:00 to 2020-01-01 03:00:00"),
    (GOOD.replace(",3,4", ",,4"), r"column 'a', row 3: missing value"),
    (GOOD.replace(",3,4", ",3,x7"), r"column 'b', row 3: 'x7' is not a number"),
])
def test_bad_input_names_file_column_and_row(tmp_path: Path, text: str, pattern: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SeriesFormatError, match=pattern) as err:
        read_wide(path)
    assert str(path) in str(err.value)


def test_fill_policies_repair_gaps_and_nans(tmp_path: Path) -> None:
    gap = _write(tmp_path, GOOD.replace("2020-01-01 02:00,3,4\n", "").replace(",4,5", ",,5"))
    filled = read_wide(gap, missing="interpolate")
    assert len(filled) == 4
    np.testing.assert_allclose(filled.values[:, 1], [2, 3, 4, 5])
    np.testing.assert_allclose(read_wide(gap, missing="ffill").values[:, 0], [1, 2, 2, 2])


def test_long_format_gives_one_table_per_id(tmp_path: Path) -> None:
    text = "unique_id,ds,y\n" + "".join(f"{u},2021-01-0{d},{v}\n" for u, d, v in
                                        [("A", 1, 1.0), ("A", 2, 2.0), ("B", 1, 5.0), ("B", 2, 6.0), ("B", 3, 7.0)])
    tables = read_long(_write(tmp_path, text))
    assert {k: len(t) for k, t in tables.items()} == {"A": 2, "B": 3}
    bad = _write(tmp_path, text.replace("B,2021-01-02,6.0", "B,2021-01-02,oops"), "bad.csv")
    with pytest.raises(SeriesFormatError, match=r"unique_id=B.*column 'y', row 4: 'oops' is not a number"):
        read_long(bad)


@needs_ett
def test_ettm1_reads_as_regular_15_minute_series_with_x4_borders() -> None:
    table = read_wide(ETT / "ETTm1.csv")
    assert (table.stamps[1] - table.stamps[0]) == pd.Timedelta(minutes=15)
    assert ett_borders("t", 96) == {"train": (0, 34560), "val": (34464, 46080), "test": (45984, 57600)}
    assert timef(table.stamps[:4], "t").shape == (4, 5)


def test_synthetic_series_is_seeded_seasonal_and_coupled() -> None:
    from seqkit.domains.forecast.synthetic_series import synthetic_series

    a, b, c = synthetic_series(2000, 4, seed=1), synthetic_series(2000, 4, seed=1), synthetic_series(2000, 4, seed=2)
    assert np.array_equal(a.values, b.values) and not np.array_equal(a.values, c.values)
    assert a.values.shape == (2000, 4) and a.columns[-1] == "target"
    assert (a.stamps[1] - a.stamps[0]) == pd.Timedelta(hours=1)
    x = a.values[:, 0] - a.values[:, 0].mean()
    detrended = x - np.convolve(x, np.ones(24) / 24, mode="same")  # remove level shifts, keep the daily cycle
    lag24 = np.corrcoef(detrended[24:-24], detrended[48:])[0, 1]
    lag12 = np.corrcoef(detrended[24:-24], detrended[36:-12])[0, 1]
    assert lag24 > 0.5 and lag24 > lag12  # a daily cycle
    corr = np.corrcoef(a.values.T)
    assert np.abs(corr[-1, :-1]).max() > 0.2  # the target is coupled to the other channels


def _panel(tmp_path: Path, lengths: dict[str, int], start: dict[str, str] | None = None,
           suffix: str = "csv") -> Path:
    """A Nixtla long file: each id a noisy daily sine at its own level and scale (so scalers must differ)."""
    rng = np.random.default_rng(0)
    parts = []
    for k, (uid, n) in enumerate(lengths.items()):
        ds = pd.date_range((start or {}).get(uid, "2021-01-01"), periods=n, freq="h")
        y = 10.0 * (k + 1) + (k + 1) * np.sin(2 * np.pi * np.arange(n) / 24) + 0.1 * rng.standard_normal(n)
        parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": y}))
    path = tmp_path / f"panel.{suffix}"
    frame = pd.concat(parts, ignore_index=True)
    frame.to_csv(path, index=False) if suffix == "csv" else frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_long_panel_with_features_s_is_one_global_model_over_per_series_scaled_windows(tmp_path: Path,
                                                                                      suffix: str) -> None:
    path = _panel(tmp_path, {"a": 300, "b": 400}, {"b": "2022-06-01"}, suffix)
    dm = ForecastDataModule(path=str(path), features="S", seq_len=24, label_len=12, pred_len=6)
    assert dm.layout == "long" and dm.series_ids == ["a", "b"] and (dm.enc_in, dm.c_out) == (1, 1)
    dm.setup()
    # ratio split per series: 70% train rows each, windows pooled across series
    n_windows = {s: int(n * 0.7) - 24 - 6 + 1 for s, n in (("a", 300), ("b", 400))}
    assert len(dm.datasets["train"]) == sum(n_windows.values())
    means = {sid: float(dm.scalers[sid].mean[0]) for sid in dm.series_ids}
    assert means["a"] == pytest.approx(10, abs=0.3) and means["b"] == pytest.approx(20, abs=0.5)
    # every window is standardized by its own series' scaler: the pooled train windows are centred
    xs = torch.cat([dm.datasets["train"][i]["x"] for i in range(0, len(dm.datasets["train"]), 7)])
    assert abs(float(xs.mean())) < 0.2 and 0.7 < float(xs.std()) < 1.3
    batch = next(iter(dm.predict_dataloader()))
    assert batch["x"].shape == (2, 24, 1) and batch["index"].tolist() == [0, 1]
    assert dm.future_stamps("b")[0] == pd.Timestamp("2022-06-01") + pd.Timedelta(hours=400)


def test_long_panel_with_features_m_pivots_ids_into_channels(tmp_path: Path) -> None:
    path = _panel(tmp_path, {"a": 200, "b": 200, "c": 200})
    dm = ForecastDataModule(path=str(path), features="MS", target="b", seq_len=24, label_len=12, pred_len=6)
    assert dm.series_ids == ["panel"] and dm.table.columns == ["a", "c", "b"] and (dm.enc_in, dm.c_out) == (3, 1)
    misaligned = _panel(tmp_path, {"a": 200, "b": 200}, {"b": "2021-01-02"})
    with pytest.raises(SeriesFormatError, match=r"unique_id=b.*same timestamps.*features=S"):
        ForecastDataModule(path=str(misaligned), features="M", target="a")
    with pytest.raises(ValueError, match="layout must be one of"):
        ForecastDataModule(path=str(path), layout="tall")
