"""Data files named in configs resolve from the working directory first, then under $SEQKIT_SHARED_DATA."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqkit.data import resolve_data_path


def test_existing_path_wins_then_data_root_then_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    root = tmp_path / "root"
    (root / "timeseries").mkdir(parents=True)
    (root / "timeseries" / "x.csv").write_text("date,a\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SEQKIT_SHARED_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="SEQKIT_SHARED_DATA"):
        resolve_data_path("timeseries/x.csv")

    monkeypatch.setenv("SEQKIT_SHARED_DATA", str(root))
    assert resolve_data_path("timeseries/x.csv") == root / "timeseries" / "x.csv"
    local = tmp_path / "timeseries"
    local.mkdir()
    (local / "x.csv").write_text("date,b\n")
    assert resolve_data_path("timeseries/x.csv") == Path("timeseries/x.csv")  # the working directory wins
    with pytest.raises(FileNotFoundError, match="missing.csv.*root"):
        resolve_data_path("timeseries/missing.csv")
