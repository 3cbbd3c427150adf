"""ETTh1 under the Informer paper's protocol: fit, test on the best-validation checkpoint, compare to the paper.

What: for each shipped config ``etth1_{M,S}_{24,48}.yaml`` and each encoder (Informer's ProbSparse, or the
bidirectional Mamba-2 encoder of ``mamba_encoder.yaml``) and seed, one ``fit`` + ``test --ckpt_path best``
through the same CLI users run. Test MSE/MAE are on z-scored values over every test window (2,857 at
pred 24; no dropped last batch), averaged over seeds and set against the paper's Tables 1-2.

How: every run is a subprocess of this script (``--one``), 2 torch threads, so peak memory (VmHWM) is its own.
A run's result is written atomically to ``results/forecast_ett/<run>.json``; finished runs are skipped, and
a run killed mid-fit resumes from its ``last.ckpt`` (under ``runs/forecast_ett/<run>``). After every run the
ETTh1 section of ``results/forecast.md`` is regenerated from all JSON files present.

    SEQKIT_SHARED_DATA=../shared/data python benchmarks/forecast_ett.py [--only M_24:probsparse:0 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path
from typing import Any

import provenance  # benchmarks/provenance.py
from report_sections import replace_section  # benchmarks/report_sections.py

RESULTS = Path(__file__).resolve().parent / "results"
RUN_JSON = RESULTS / "forecast_ett"
REPORT = RESULTS / "forecast.md"
RUNS_DIR = Path("runs/forecast_ett")
SECTION = ("<!-- forecast_ett:start -->", "<!-- forecast_ett:end -->")

# External reference figures: Zhou et al., "Informer: Beyond Efficient Transformer for Long Sequence Time-Series
# Forecasting", AAAI 2021, ETTh1 at pred 24 and 48, Table 1 (univariate, S) and Table 2 (multivariate, M):
# MSE, MAE on z-scored data.
PAPER = {"M_24": (0.577, 0.549), "M_48": (0.685, 0.625), "S_24": (0.098, 0.247), "S_48": (0.158, 0.319)}
ENCODERS = {"probsparse": "Informer (ProbSparse encoder)", "mamba2": "Mamba-2 encoder (bidirectional)"}
# The code whose behaviour these figures measure (tests/benchmarks/test_results_provenance.py checks it): the
# forecast domain with its shipped configs, trained through the shared CLI.
MEASURES = ("benchmarks/forecast_ett.py", "seqkit/domains/forecast", "seqkit/cli.py", "seqkit/callbacks.py",
            "seqkit/data", "seqkit/mixers/__init__.py", "seqkit/mixers/base.py",
            "seqkit/mixers/probsparse_attention.py", "seqkit/mixers/full_attention.py",
            "seqkit/mixers/attention_heads.py", "seqkit/mixers/rotary.py", "seqkit/mixers/mamba2.py",
            "seqkit/kernels/backend.py", "seqkit/kernels/segments.py", "seqkit/kernels/lse_attention.py",
            "seqkit/kernels/ssd", "seqkit/kernels/triton_dot.py")
# The queue, most informative first; (task, encoder, seed).
DEFAULT_RUNS = ([("M_24", "probsparse", s) for s in range(3)] + [("M_48", "probsparse", s) for s in range(3)]
                + [("M_24", "mamba2", 0), ("M_48", "mamba2", 0), ("S_24", "probsparse", 0), ("S_48", "probsparse", 0)]
                + [("M_24", "mamba2", s) for s in (1, 2)] + [("M_48", "mamba2", s) for s in (1, 2)]
                + [("S_24", "mamba2", 0), ("S_48", "mamba2", 0)])


def run_name(task: str, encoder: str, seed: int) -> str:
    return f"{task}_{encoder}_seed{seed}"


def config_path(name: str) -> str:
    return str(resources.files("seqkit.domains.forecast").joinpath("configs", name))


def peak_rss_gib() -> float:
    with open("/proc/self/status") as fh:
        kib = next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    return kib / 2**20


def run_one(task: str, encoder: str, seed: int, threads: int, max_epochs: int | None,
            extra: list[str] | None = None, accelerator: str = "cpu") -> dict[str, Any]:
    """Fit + test one run in this process (resuming from last.ckpt when present); returns the result record."""
    import lightning as L
    import torch

    from seqkit.domains.forecast.cli import main

    torch.set_num_threads(threads)
    run_dir = RUNS_DIR / run_name(task, encoder, seed)
    args = ["-c", config_path(f"etth1_{task}.yaml")]
    if encoder == "mamba2":
        args += ["-c", config_path("mamba_encoder.yaml")]
    args += [f"--seed_everything={seed}", f"--data.init_args.seed={seed}", f"--trainer.default_root_dir={run_dir}",
             f"--checkpoint.dirpath={run_dir / 'checkpoints'}", "--trainer.enable_progress_bar=false"]
    if max_epochs is not None:
        args.append(f"--trainer.max_epochs={max_epochs}")
    if accelerator != "cpu":  # same config and protocol, another device (recorded in the JSON and the table)
        args.append(f"--trainer.accelerator={accelerator}")
    args += extra or []

    class TrainClock(L.Callback):
        """Seconds spent in training epochs (validation excluded) and the validation loss per epoch."""

        def __init__(self) -> None:
            self.seconds, self.windows, self.val_losses, self._t0 = 0.0, 0, [], 0.0
            self.val_seconds, self._v0, self._val_at_start = 0.0, 0.0, 0.0

        def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            self._t0, self._val_at_start = time.perf_counter(), self.val_seconds

        def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            self._v0 = time.perf_counter()

        def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            self.val_seconds += time.perf_counter() - self._v0

        def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            # Lightning runs the epoch-end validation before this hook: take its time back out.
            self.seconds += time.perf_counter() - self._t0 - (self.val_seconds - self._val_at_start)
            n_train = len(trainer.datamodule.datasets["train"])
            self.windows += min(n_train, trainer.num_training_batches * trainer.datamodule.batch_size)

        def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            if not trainer.sanity_checking and "val_loss" in trainer.callback_metrics:
                self.val_losses.append(round(float(trainer.callback_metrics["val_loss"]), 5))

    cli = main(args, run=False)
    clock = TrainClock()
    cli.trainer.callbacks.append(clock)
    last = run_dir / "checkpoints" / "last.ckpt"
    resumed = last.exists()  # a killed run left its last epoch's checkpoint
    t0 = time.perf_counter()
    cli.trainer.fit(cli.model, cli.datamodule, ckpt_path=str(last) if resumed else None)
    fit_s = time.perf_counter() - t0
    best = cli.trainer.checkpoint_callback.best_model_path
    metrics = cli.trainer.test(cli.model, cli.datamodule, ckpt_path="best", verbose=False)[0]
    return {
        "task": task, "encoder": encoder, "seed": seed, "best_checkpoint": Path(best).name,
        "test_mse": round(metrics["test_mse"], 5), "test_mae": round(metrics["test_mae"], 5),
        "test_windows": len(cli.datamodule.datasets["test"]), "val_losses": clock.val_losses,
        "epochs": cli.trainer.current_epoch, "precision": str(cli.trainer.precision),
        "train_s": round(clock.seconds, 1), "val_s": round(clock.val_seconds, 1), "fit_s": round(fit_s, 1),
        "train_windows_per_s": round(clock.windows / clock.seconds, 1) if clock.seconds else None,
        "peak_rss_gib": round(peak_rss_gib(), 2), "threads": threads, "torch": torch.__version__,
        "cpu": platform.processor() or platform.machine(),
        "device": torch.cuda.get_device_name(0) if accelerator == "gpu" else "CPU",
        "resumed": resumed,
    }


def write_json(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, path)


def _mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def report(records: list[dict[str, Any]]) -> str:
    """The ETTh1 section: one row per (task, encoder), mean ± sd over the seeds present."""
    lines = [SECTION[0], "## ETTh1, the Informer paper's protocol", "",
             "Generated by `benchmarks/forecast_ett.py` from `results/forecast_ett/*.json` (one file per run). "
             "Configs: `seqkit/domains/forecast/configs/etth1_*.yaml` (+ `mamba_encoder.yaml`). Test MSE/MAE "
             "on z-scored values over every test window, best-validation checkpoint; mean ± sd over seeds. "
             "\"paper MSE / MAE\" are external figures, not measured here: Zhou et al., \"Informer: Beyond Efficient "
             "Transformer for Long Sequence Time-Series Forecasting\", AAAI 2021, Table 1 (S) and Table 2 (M), "
             "ETTh1. \"within 10%\": our MSE <= 1.1 × the paper's.", "",
             "| task | encoder | seeds | epochs | test MSE | test MAE | paper MSE / MAE | within 10% | "
             "trained on | train windows/s | train s/epoch | peak RSS GiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["task"], r["encoder"]), []).append(r)
    order = list(PAPER)
    for (task, encoder), rs in sorted(groups.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1] != "probsparse")):
        rs.sort(key=lambda r: r["seed"])
        mse, mae = [r["test_mse"] for r in rs], [r["test_mae"] for r in rs]
        paper_mse, paper_mae = PAPER[task]
        ok = "yes" if statistics.mean(mse) <= 1.1 * paper_mse else "no"
        by_device: dict[str, list[dict[str, Any]]] = {}
        for r in rs:
            by_device.setdefault(r.get("device", "CPU"), []).append(r)
        devices = "; ".join(name if len(by_device) == 1 else f"{name}: seed {','.join(str(r['seed']) for r in runs)}"
                            for name, runs in by_device.items())

        def per_device(value: Any, fmt: str, by_device: dict[str, list[dict[str, Any]]] = by_device) -> str:
            parts = []  # CPU and GPU clocks are never averaged together
            for name, runs in by_device.items():
                values = [v for v in (value(r) for r in runs) if v]
                if values:
                    text = format(statistics.mean(values), fmt)
                    parts.append(text if len(by_device) == 1 else f"{text} ({name})")
            return "; ".join(parts)

        speed = per_device(lambda r: r["train_windows_per_s"], ".1f")
        per_epoch = per_device(lambda r: r["train_s"] / r["epochs"] if r["epochs"] and r["train_s"] else None, ".0f")
        lines.append(f"| {task.replace('_', '-')} | {ENCODERS[encoder]} | {','.join(str(r['seed']) for r in rs)} | "
                     f"{rs[0]['epochs']} | {_mean_sd(mse)} | {_mean_sd(mae)} | {paper_mse} / {paper_mae} | {ok} | "
                     f"{devices} | {speed} | {per_epoch} | {max(r['peak_rss_gib'] for r in rs):.2f} |")
    first = records[0] if records else {}
    lines += ["", f"Machine: {first.get('cpu', '?')}, {first.get('threads', '?')} torch threads, torch "
              f"{first.get('torch', '?')}, precision {first.get('precision', '?')}. Per-run JSON holds the "
              "per-epoch validation losses and which checkpoint was tested. Train windows/s and s/epoch are "
              "clocked inside these runs (validation excluded where the JSON has `val_s`), on a machine shared "
              "with other work; the throughput section is the controlled measurement."]
    gpu = [r for r in records if r.get("device", "CPU") != "CPU"]
    if gpu:
        lines += [""]
        lines.append(f"Runs marked {gpu[0]['device']}: the same configs with `--accelerator gpu` (torch "
                     f"{gpu[0]['torch']}, {len(gpu)} runs sharing the one GPU at once, so their clocks are "
                     "not a GPU speed measurement); peak RSS is host memory.")
    lines += ["", "The runs were made one at a time, possibly at several commits: each JSON under "
              "`results/forecast_ett/` keeps its own `provenance`; the block below is this table's."]
    body = provenance.stamp(REPORT, "\n".join(lines), MEASURES, records, section="forecast_ett")
    return f"{body}\n{SECTION[1]}"


def update_report(section: str) -> None:
    """Replace (or add) this script's section of results/forecast.md; other sections stay."""
    replace_section(REPORT, SECTION, section, "Forecasting benchmarks")


def load_records() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(RUN_JSON.glob("*.json"))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="runs as TASK:ENCODER:SEED, e.g. M_24:probsparse:0")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-epochs", type=int, default=None, help="override the config (smoke runs)")
    parser.add_argument("--accelerator", default="cpu", choices=("cpu", "gpu"),
                        help="Lightning accelerator; the configs' protocol is otherwise unchanged")
    parser.add_argument("--smoke", action="store_true",
                        help="3 train/2 val/2 test batches, results under /tmp (checks the pipeline, not the model)")
    parser.add_argument("--report-only", action="store_true", help="only regenerate results/forecast.md")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global RUN_JSON, REPORT, RUNS_DIR
    smoke_args = []
    if args.smoke:
        RUN_JSON, REPORT, RUNS_DIR = (Path("/tmp/forecast_ett_smoke") / p for p in ("json", "forecast.md", "runs"))
        smoke_args = ["--trainer.limit_train_batches=3", "--trainer.limit_val_batches=2",
                      "--trainer.limit_test_batches=2"]
    if args.one:
        task, encoder, seed = args.one.split(":")
        record = run_one(task, encoder, int(seed), args.threads, args.max_epochs, smoke_args, args.accelerator)
        record["provenance"] = provenance.collect(MEASURES)
        write_json(RUN_JSON / f"{run_name(task, encoder, int(seed))}.json", record)
        return
    runs = [(t, e, int(s)) for t, e, s in (r.split(":") for r in args.only)] if args.only else DEFAULT_RUNS
    for task, encoder, seed in [] if args.report_only else runs:
        if task not in PAPER or encoder not in ENCODERS:
            raise SystemExit(f"unknown run {task}:{encoder}:{seed}; tasks {list(PAPER)}, encoders {list(ENCODERS)}")
        if (RUN_JSON / f"{run_name(task, encoder, seed)}.json").exists():
            print(f"{run_name(task, encoder, seed)}: done, skipped", flush=True)
            continue
        print(f"{run_name(task, encoder, seed)}: running", flush=True)
        cmd = [sys.executable, __file__, "--one", f"{task}:{encoder}:{seed}", "--threads", str(args.threads),
               "--accelerator", args.accelerator]
        if args.max_epochs is not None:
            cmd += ["--max-epochs", str(args.max_epochs)]
        if args.smoke:
            cmd.append("--smoke")
        subprocess.run(cmd, check=True, env=dict(os.environ, PYTHONWARNINGS="ignore"))
        update_report(report(load_records()))
    update_report(report(load_records()))
    print(REPORT.read_text())


if __name__ == "__main__":
    main()
