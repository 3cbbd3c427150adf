"""A resumable batch over input files: one output per input, written atomically, skipped once it exists.

A killed batch reruns with the same command and only does the inputs whose output is missing. A bad input
does not stop the batch: its error (file and reason) goes to ``failures.csv`` in the output folder, the
rest carry on, and the run reports how many failed. ``shard=(i, n)`` splits the inputs across n
independent workers (each takes every n-th input, in sorted order), which never write the same file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqkit.atomic_io import atomic_write


@dataclass
class BatchReport:
    """What one run of the batch did: inputs done now, skipped (already done) and failed (with reasons)."""

    done: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    failed: list[tuple[Path, str]] = field(default_factory=list)


def expand_inputs(inputs: Iterable[str | Path], patterns: Sequence[str] = ("*.csv", "*.parquet")
                  ) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files named directly, plus the files matching ``patterns`` inside any named folder (sorted, unique),
    and the inputs that gave nothing: a path that does not exist, or a folder with no matching file.

    A bad input among many does not stop a batch (it is reported with the failures), but a batch with no
    input file at all is an error: there is nothing to carry on with.
    """
    files: set[Path] = set()
    problems: list[tuple[Path, str]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = [p for pattern in patterns for p in path.glob(pattern) if p.is_file()]
            if not found:
                problems.append((path, f"{path}: folder has no {' or '.join(patterns)} files"))
            files.update(found)
        elif path.exists():
            files.add(path)
        else:
            problems.append((path, f"{path}: no such file or directory"))
    if not files:
        detail = "; ".join(reason for _, reason in problems) or "no inputs given"
        raise ValueError(f"no input files to process ({detail})")
    return sorted(files), problems


def shard_of(items: Sequence[Path], shard: tuple[int, int]) -> list[Path]:
    """The ``shard[0]``-th of ``shard[1]`` interleaved shares of ``items``."""
    index, count = shard
    if count < 1 or not 0 <= index < count:
        raise ValueError(f"shard must be (i, n) with 0 <= i < n, got {shard}")
    return list(items[index::count])


def run_file_batch(inputs: Sequence[Path], output_for: Callable[[Path], Path], process: Callable[[Path, Path], None],
                   failures_path: Path, *, progress: bool = True, desc: str = "files",
                   missing: Sequence[tuple[Path, str]] = ()) -> BatchReport:
    """Call ``process(input, output)`` for every input whose ``output_for(input)`` does not exist yet.

    ``process`` must write ``output`` atomically (see ``seqkit.atomic_io``) so that its existence means it
    is complete. Two inputs mapping to the same output is an error raised before any work starts.
    ``missing`` (inputs that could not be found, with reasons) are reported as failures beside the rest.
    """
    outputs = {}
    for path in inputs:
        out = output_for(path)
        if out in outputs:
            raise ValueError(f"inputs {outputs[out]} and {path} would both write {out}; rename one")
        outputs[out] = path
    report = BatchReport(failed=list(missing))
    todo = []
    for out, path in outputs.items():
        (report.skipped if out.exists() else todo).append(path)
    bar = _progress(len(todo), progress, desc)
    for path in todo:
        try:
            process(path, output_for(path))
            report.done.append(path)
        except (ValueError, FileNotFoundError, KeyError) as err:  # bad input: record it and carry on
            report.failed.append((path, str(err)))
        bar.update(1)
    bar.close()
    if report.failed:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["input", "error"])
        writer.writerows((str(p), reason) for p, reason in report.failed)
        atomic_write(failures_path, lambda fh: fh.write(buf.getvalue().encode()))
    elif failures_path.exists():
        failures_path.unlink()  # a clean rerun leaves no stale failure list behind
    return report


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="file", desc=desc)
