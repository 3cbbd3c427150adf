"""The resumable file batch: one output per input, skips finished work, records bad inputs, shards cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from seqkit.atomic_io import atomic_write
from seqkit.pipelines import expand_inputs, run_file_batch, shard_of


def _inputs(tmp_path: Path, n: int) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(n):
        (folder / f"s{i}.csv").write_text(str(i))
    files, problems = expand_inputs([folder])
    assert problems == []
    return files


def test_a_killed_batch_resumes_without_redoing_finished_inputs(tmp_path: Path) -> None:
    files = _inputs(tmp_path, 4)
    out = tmp_path / "out"
    calls: list[str] = []

    def output_for(p: Path) -> Path:
        return out / f"{p.stem}.txt"

    def process(p: Path, o: Path) -> None:
        calls.append(p.stem)
        if p.stem == "s2" and calls.count("s2") == 1:
            raise KeyboardInterrupt  # the run is killed while working on s2
        atomic_write(o, lambda fh: fh.write(p.read_bytes() * 2))

    with pytest.raises(KeyboardInterrupt):
        run_file_batch(files, output_for, process, out / "failures.csv", progress=False)
    assert sorted(p.name for p in out.iterdir()) == ["s0.txt", "s1.txt"]  # no partial s2 output
    report = run_file_batch(files, output_for, process, out / "failures.csv", progress=False)
    assert [p.stem for p in report.skipped] == ["s0", "s1"] and [p.stem for p in report.done] == ["s2", "s3"]
    assert calls == ["s0", "s1", "s2", "s2", "s3"]
    assert (out / "s3.txt").read_text() == "33"


def test_bad_inputs_are_recorded_and_the_rest_carry_on(tmp_path: Path) -> None:
    files = _inputs(tmp_path, 3)
    out = tmp_path / "out"

    def process(p: Path, o: Path) -> None:
        if p.stem == "s1":
            raise ValueError(f"{p}: column 'y', row 7: 'abc' is not a number")
        atomic_write(o, lambda fh: fh.write(b"ok"))

    report = run_file_batch(files, lambda p: out / p.name, process, out / "failures.csv", progress=False)
    assert len(report.done) == 2 and [p.stem for p, _ in report.failed] == ["s1"]
    assert "row 7" in (out / "failures.csv").read_text()
    with pytest.raises(ValueError, match="would both write"):
        run_file_batch(files, lambda p: out / "same.txt", process, out / "failures.csv", progress=False)


def test_shards_partition_the_inputs() -> None:
    items = [Path(f"f{i}") for i in range(10)]
    parts = [shard_of(items, (i, 3)) for i in range(3)]
    assert sorted(p for part in parts for p in part) == sorted(items) and all(parts)
    with pytest.raises(ValueError, match="0 <= i < n"):
        shard_of(items, (3, 3))
    with pytest.raises(ValueError, match="no input files to process.*nope.csv: no such file"):
        expand_inputs(["nope.csv"])  # nothing at all to do is an error, not an empty success
