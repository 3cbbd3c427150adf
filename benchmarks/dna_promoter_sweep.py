"""Choose the promoter classifier's settings without touching the evaluation split.

What: each named variant (tokenizer, width, depth, dropout, MLP, pretraining) is trained on 90% of the shared
file's *train* rows and scored every epoch on the other 10% (stratified, seeded); the official ``val`` split
(904 rows), on which ``benchmarks/dna.py`` reports, is never read here. One JSON per variant, rewritten after
every epoch, holds the accuracy/MCC curve, so a killed run keeps what it measured.

Runs are independent processes (``--one NAME``) so several can share a GPU:

    SEQKIT_SHARED_DATA=../shared/data python benchmarks/dna_promoter_sweep.py --one nt_d128_l4 --epochs 20
    python benchmarks/dna_promoter_sweep.py --report   # the curves' table into results/dna.md
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import provenance  # benchmarks/provenance.py

RESULTS = Path(__file__).resolve().parent / "results" / "dna_promoter_sweep"
CONFIG = Path(__file__).resolve().parents[1] / "seqkit" / "domains" / "dna" / "configs" / "promoters.yaml"
NT, K6 = ["--data.init_args.tokenizer=nucleotide"], ["--data.init_args.tokenizer=kmer"]
# The code whose behaviour these figures measure (tests/benchmarks/test_results_provenance.py checks it).
MEASURES = ("benchmarks/dna_promoter_sweep.py", "seqkit/domains/dna", "seqkit/backbone.py", "seqkit/cli.py",
            "seqkit/callbacks.py", "seqkit/optim.py", "seqkit/data", "seqkit/mixers/__init__.py",
            "seqkit/mixers/base.py", "seqkit/mixers/mamba2.py", "seqkit/kernels/backend.py",
            "seqkit/kernels/segments.py", "seqkit/kernels/triton_dot.py", "seqkit/kernels/ssd")
# name -> CLI overrides on top of promoters.yaml
VARIANTS: dict[str, list[str]] = {
    "k6_d128_l4": K6,
    "k6_d64_l2_drop0.3": [*K6, "--model.init_args.d_model=64", "--model.init_args.layers=mamba2*2",
                          "--model.init_args.dropout=0.3"],
    "k6_pretrained": [*K6, "--model.init_args.pretrained=PRETRAINED"],
    "nt_d128_l4": NT,
    "nt_d128_l4_drop0.3": [*NT, "--model.init_args.dropout=0.3"],
    "nt_d64_l2": [*NT, "--model.init_args.d_model=64", "--model.init_args.layers=mamba2*2"],
    "nt_d128_l4_mlp2": [*NT, "--model.init_args.mlp_ratio=2"],
    "nt_d128_l4_lr3e-3": [*NT, "--model.init_args.lr=0.003"],
}


def internal_split(source: Path, out: Path, fraction: float = 0.1, seed: int = 0) -> Path:
    """Write the train rows of ``source`` with a stratified ``fraction`` relabelled as ``val``."""
    table = pd.read_csv(source)
    train = table[table["split"] == "train"].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    split = np.array(["train"] * len(train), dtype=object)
    for label in sorted(train["label"].unique()):
        rows = np.flatnonzero(train["label"].to_numpy() == label)
        split[rng.choice(rows, size=round(fraction * len(rows)), replace=False)] = "val"
    train["split"] = split
    out.parent.mkdir(parents=True, exist_ok=True)
    train.to_csv(out, index=False)
    return out


def _write(path: Path, record: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1) + "\n")
    os.replace(tmp, path)


def run_variant(name: str, epochs: int, accelerator: str, pretrained: str | None, threads: int) -> None:
    import lightning as L
    import torch

    from seqkit.data import resolve_data_path
    from seqkit.domains.dna.cli import main as dna_cli

    torch.set_num_threads(threads)
    split_csv = internal_split(Path(resolve_data_path("dna/gb_human_nontata_promoters.csv")),
                               Path(f"runs/dna_promoter_sweep/internal_split_{name}.csv").resolve())
    overrides = [o.replace("PRETRAINED", pretrained or "") for o in VARIANTS[name]]
    if any("pretrained=" in o for o in overrides) and not pretrained:
        raise SystemExit(f"{name} needs --pretrained CHECKPOINT")
    record: dict[str, Any] = {"variant": name, "overrides": overrides, "epochs": [], "accelerator": accelerator,
                              "device": torch.cuda.get_device_name(0) if accelerator == "gpu" else "CPU",
                              "provenance": provenance.collect(MEASURES)}
    out = RESULTS / f"{name}.json"

    class Curve(L.Callback):
        def __init__(self) -> None:
            self.t0 = time.perf_counter()

        def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
            m = trainer.callback_metrics  # the epoch's validation has run by now
            record["epochs"].append({"epoch": trainer.current_epoch + 1, "acc": round(float(m["val_acc"]), 4),
                                     "mcc": round(float(m["val_mcc"]), 4),
                                     "train_loss": round(float(m["train_loss_epoch"]), 4),
                                     "seconds": round(time.perf_counter() - self.t0, 1)})
            _write(out, record)

    # promoters.yaml at the sweep's time was the 6-mer model with 6 epochs; every variant names its tokenizer
    cli = dna_cli(["-c", str(CONFIG), f"--data.init_args.path={split_csv}", f"--trainer.max_epochs={epochs}",
                   f"--trainer.accelerator={accelerator}", "--trainer.enable_progress_bar=false",
                   "--trainer.logger=false",
                   f"--trainer.default_root_dir=runs/dna_promoter_sweep/{name}", *overrides], run=False)
    cli.trainer.callbacks.append(Curve())
    cli.trainer.fit(cli.model, cli.datamodule)


def report() -> str:
    lines = ["| variant | device | best internal-val acc (epoch) | MCC there | acc at last epoch | epochs | s/epoch |",
             "|---|---|---|---|---|---|---|"]
    for path in sorted(RESULTS.glob("*.json")):
        r = json.loads(path.read_text())
        if not r["epochs"]:
            continue
        best = max(r["epochs"], key=lambda e: e["acc"])
        last = r["epochs"][-1]
        lines.append(f"| {r['variant']} | {r['device']} | {best['acc']:.4f} ({best['epoch']}) | {best['mcc']:.4f} | "
                     f"{last['acc']:.4f} | {last['epoch']} | {last['seconds'] / last['epoch']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--one", choices=sorted(VARIANTS), help="train and record one variant")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--accelerator", default="cpu", choices=("cpu", "gpu"))
    parser.add_argument("--pretrained", help="DnaLM checkpoint for the *_pretrained variants")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--report", action="store_true", help="print the table of recorded curves")
    args = parser.parse_args()
    if args.one:
        run_variant(args.one, args.epochs, args.accelerator, args.pretrained, args.threads)
    if args.report or not args.one:
        from report_sections import replace_section  # benchmarks/report_sections.py

        markers = ("<!-- dna:promoter_sweep -->", "<!-- /dna:promoter_sweep -->")
        records = [json.loads(path.read_text()) for path in sorted(RESULTS.glob("*.json"))]
        epochs = sorted({r["epochs"][-1]["epoch"] for r in records if r["epochs"]})
        text = ("## Promoter classifier settings (internal split of the train rows)\n\n"
                "`benchmarks/dna_promoter_sweep.py`: each variant trained on 90% of the train rows, accuracy and MCC "
                "every epoch on the other 10% (stratified, seed 0); the val split of the promoter classification "
                f"table is not read. {'/'.join(map(str, epochs))} epochs, cosine schedule. s/epoch is wall time "
                "while the runs shared one GPU (8 at once, as the operator reported it: not measured), so it is no "
                "speed measurement.\n\n"
                f"{report()}\n\nEach row comes from its JSON under `results/dna_promoter_sweep/`, which keeps the "
                "provenance of the run that measured it; the block below is this table's.")
        text = provenance.stamp(RESULTS.parent / "dna.md", text, MEASURES, section="dna:promoter_sweep")
        replace_section(RESULTS.parent / "dna.md", markers, f"{markers[0]}\n{text}\n{markers[1]}", "DNA benchmarks")
        print(text)


if __name__ == "__main__":
    main()
