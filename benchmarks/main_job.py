"""The README's main job, timed as a user runs it: what a new user waits for and what they get.

What: ``seqkit-synthetic fit --trainer.default_root_dir=<dir>`` (the README's first command after the
install), run once through the console script in a fresh process, exactly as typed. Reported: the wall time of
the whole command (process start, imports, data generation, training, checkpoints), the fit time the run
recorded itself (``run_summary.json``), and the validation answer accuracy after every epoch (``metrics.csv``).

Why: the README quotes this job's cost and outcome; the figure comes from here, not from a typed note.

    python benchmarks/main_job.py            # writes benchmarks/results/main_job.md (+ .json)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import provenance  # benchmarks/provenance.py

from seqkit.atomic_io import atomic_write

# The code whose behaviour these figures measure (tests/benchmarks/test_results_provenance.py checks it).
MEASURES = ("benchmarks/main_job.py", "seqkit/domains/synthetic", "seqkit/cli.py", "seqkit/callbacks.py",
            "seqkit/run_logger.py", "seqkit/hardware.py", "seqkit/backbone.py", "seqkit/optim.py",
            "seqkit/data/__init__.py", "seqkit/data/data_path.py", "seqkit/data/epoch_sampler.py",
            "seqkit/data/length_buckets.py", "seqkit/data/packing.py", "seqkit/data/split_data_module.py",
            "seqkit/mixers/__init__.py", "seqkit/mixers/base.py", "seqkit/mixers/mamba2.py",
            "seqkit/kernels/backend.py", "seqkit/kernels/segments.py", "seqkit/kernels/ssd/__init__.py",
            "seqkit/kernels/ssd/chunked.py")


def console_script(name: str) -> str:
    """The installed console script beside this interpreter (what ``pip install -e .`` put on PATH)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def val_accuracy_per_epoch(metrics_csv: Path) -> dict[int, float]:
    """``val_acc`` of each epoch from the run's ``metrics.csv`` (the epoch-level rows only)."""
    out: dict[int, float] = {}
    with open(metrics_csv, newline="") as fh:
        for row in csv.DictReader(fh):
            if row.get("val_acc"):
                out[int(row["epoch"])] = float(row["val_acc"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "main_job.md"))
    parser.add_argument("--extra", nargs="*", default=[], help="extra CLI arguments (smoke runs only)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "demo"
        command = [console_script("seqkit-synthetic"), "fit", f"--trainer.default_root_dir={root}", *args.extra]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=tmp, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        wall_s = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"the main job failed (exit {done.returncode}):\n{done.stdout[-4000:]}")
        run = root / "default"
        summary = json.loads((run / "run_summary.json").read_text())
        accuracy = val_accuracy_per_epoch(run / "metrics.csv")
        left = sorted(str(p.relative_to(root)) for p in run.rglob("*") if p.suffix in {".ckpt", ".png"})

    lines = [
        "# The README's main job",
        "",
        "`seqkit-synthetic fit --trainer.default_root_dir=runs/demo` in a fresh process, as the README types it "
        "(shipped `default.yaml`: selective copying, 2-layer Mamba-2, chance accuracy 0.125).",
        "",
        "| whole command (s) | fit, recorded (s) | device | threads | precision | epochs |",
        "|---|---|---|---|---|---|",
        f"| {wall_s:.0f} | {summary['fit_seconds']:.0f} | {summary['device']} | {summary['threads']} | "
        f"{summary['precision']} | {summary['epochs']} |",
        "",
        "| epoch | " + " | ".join(str(e) for e in sorted(accuracy)) + " |",
        "|---" * (1 + len(accuracy)) + "|",
        "| val answer accuracy | " + " | ".join(f"{accuracy[e]:.3f}" for e in sorted(accuracy)) + " |",
        "",
        "Files left in the run folder: " + ", ".join(f"`{p}`" for p in left) + ".",
    ]
    figures = {"wall_seconds": round(wall_s, 1), "run_summary": summary, "val_acc": accuracy, "files": left}
    text = provenance.stamp(Path(args.out), "\n".join(lines), MEASURES, figures) + "\n"
    print(text)
    atomic_write(args.out, lambda fh: fh.write(text.encode()))


if __name__ == "__main__":
    main()
