"""Selective copying per backbone: does the mixer provide memory, and does it hold at longer lengths?

Each backbone is trained with the shipped default recipe (selective copying, 4 tokens among noise,
8 symbols, trained at 128 tokens) and then tested at the training length and at 1024 and 4096
tokens (the copied tokens spread over the whole, longer noise region). The ``none`` backbone has
no token mixing: it can only guess, which shows the task needs memory.

Run: ``python benchmarks/synthetic_tasks.py [--backbones mamba2 none ...] [--epochs 10]``;
writes ``benchmarks/results/synthetic_tasks.md``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import lightning as L
import provenance  # benchmarks/provenance.py
import torch

from seqkit.atomic_io import atomic_write
from seqkit.domains.synthetic import SyntheticDataModule, SyntheticLM

# The code whose behaviour these figures measure (tests/benchmarks/test_results_provenance.py checks it).
MEASURES = ("benchmarks/synthetic_tasks.py", "seqkit/domains/synthetic/data.py",
            "seqkit/domains/synthetic/model.py", "seqkit/domains/synthetic/tasks.py", "seqkit/backbone.py",
            "seqkit/optim.py", "seqkit/data/__init__.py", "seqkit/data/data_path.py",
            "seqkit/data/epoch_sampler.py", "seqkit/data/length_buckets.py", "seqkit/data/packing.py",
            "seqkit/data/split_data_module.py", "seqkit/mixers/__init__.py", "seqkit/mixers/base.py",
            "seqkit/mixers/mamba2.py", "seqkit/mixers/s4d.py", "seqkit/mixers/full_attention.py",
            "seqkit/mixers/sliding_window_attention.py", "seqkit/mixers/no_mixing.py",
            "seqkit/mixers/attention_heads.py", "seqkit/mixers/rotary.py", "seqkit/kernels/backend.py",
            "seqkit/kernels/segments.py", "seqkit/kernels/lse_attention.py", "seqkit/kernels/ssd/__init__.py",
            "seqkit/kernels/ssd/chunked.py", "seqkit/kernels/window_attention/__init__.py",
            "seqkit/kernels/window_attention/blocked.py")

BACKBONES = {
    "mamba2": {"layers": "mamba2*2", "mixer_options": {"mamba2": {"d_state": 16, "head_dim": 32}}, "mlp_ratio": 0.0},
    "s4d": {"layers": "s4d*2", "mixer_options": {"s4d": {"d_state": 64}}, "mlp_ratio": 2.0},
    "attention": {"layers": "attention*2", "mixer_options": {"attention": {"n_heads": 4}}, "mlp_ratio": 2.0},
    "window": {"layers": "window*2", "mixer_options": {"window": {"window": 32, "n_heads": 4}}, "mlp_ratio": 2.0},
    "none": {"layers": "none*2", "mlp_ratio": 2.0},
}


def data(seq_len: int, n_train: int, n_test: int) -> SyntheticDataModule:
    return SyntheticDataModule(task="selective_copying", seq_len=seq_len, n_tokens=4, n_symbols=8, n_train=n_train,
                               n_val=256, n_test=n_test, batch_size=32, seed=0)


def quiet_trainer(**kwargs: object) -> L.Trainer:
    return L.Trainer(accelerator="cpu", logger=False, enable_checkpointing=False, enable_progress_bar=False,
                     enable_model_summary=False, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", nargs="+", default=list(BACKBONES), choices=list(BACKBONES))
    parser.add_argument("--train-len", type=int, default=128)
    parser.add_argument("--eval-lens", type=int, nargs="+", default=[128, 1024, 4096])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--n-train", type=int, default=8192)
    parser.add_argument("--n-test", type=int, default=256)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "synthetic_tasks.md"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rows = []
    for name in args.backbones:
        L.seed_everything(0, verbose=False)
        dm = data(args.train_len, args.n_train, args.n_test)
        model = SyntheticLM(vocab_size=dm.vocab_size, d_model=64, lr=0.01, **BACKBONES[name])
        start = time.perf_counter()
        quiet_trainer(max_epochs=args.epochs, gradient_clip_val=1.0).fit(model, dm)
        train_s = time.perf_counter() - start
        accs = [quiet_trainer().test(model, data(n, 32, args.n_test), verbose=False)[0]["test_acc"]
                for n in args.eval_lens]
        rows.append((name, sum(p.numel() for p in model.parameters()), train_s, accs))
        print(name, f"{train_s:.0f}s", [f"{a:.3f}" for a in accs], flush=True)

    header = " | ".join(f"acc @ L={n}" for n in args.eval_lens)
    lines = [
        "# Selective copying: answer accuracy per backbone",
        "",
        f"{args.threads} torch thread(s); train s = wall time of fit.",
        "",
        f"Task: 4 tokens (8 symbols, chance 0.125) scattered among noise, recalled in order at the end; "
        f"trained at L={args.train_len} for {args.epochs} epochs of {args.n_train} examples (batch 32, AdamW 1e-2), "
        f"d_model 64, 2 layers; tested on {args.n_test} unseen examples per length.",
        "",
        f"| backbone | params | train s | {header} |",
        "|---" * (3 + len(args.eval_lens)) + "|",
    ]
    for name, params, train_s, accs in rows:
        lines.append(f"| {name} | {params:,} | {train_s:.0f} | " + " | ".join(f"{a:.3f}" for a in accs) + " |")
    figures = [{"backbone": n, "params": p, "train_s": round(t, 1), "acc": dict(zip(args.eval_lens, a, strict=True))}
               for n, p, t, a in rows]
    text = provenance.stamp(Path(args.out), "\n".join(lines), MEASURES, figures) + "\n"
    print(text)
    atomic_write(args.out, lambda fh: fh.write(text.encode()))


if __name__ == "__main__":
    main()
