"""DNA benchmarks: pretraining quality against a Markov baseline, promoter classification, throughput
against context length, and reading-frame-keeping generation.

What (each a section of ``results/dna.md``, replaced on its own):

1. ``pretrain``: a ``DnaLM`` checkpoint on the E. coli genome's held-out val and test regions: perplexity
   per base and sequence recovery, against order-m Markov models fitted to the same training regions and
   scored on the same bases (same run).
2. ``classification``: promoter classification (the shared Genomic Benchmarks non-TATA file, its
   train/val split) from scratch and from the pretrained checkpoint: accuracy and MCC (RC-invariant).
3. ``throughput``: training bp/s and the step's peak RSS at 4k, 16k and 64k bp of context for the SSM and
   the windowed-attention backbones (fresh process per point, batch 1), with ratios to the 4k point:
   constant bp/s and memory proportional to length mean linear cost.
4. ``generation``: 1 kb continuations of E. coli genes (prompt: 1,000 bp upstream + the first 102 bp of
   the CDS) — the fraction with no in-frame stop codon, against random sequence and a 5th-order Markov
   chain sampled from the same prompts.
5. ``bgzf``: random window reads per second from a bgzip-compressed FASTA through ``FastaIndex`` (the
   E. coli genome recompressed into a temp folder, or the synthetic genome without the shared data).

    SEQKIT_SHARED_DATA=../shared/data python benchmarks/dna.py --checkpoint runs/dna_ecoli/.../last.ckpt
    python benchmarks/dna.py --sections throughput
    python benchmarks/dna.py --sections bgzf
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
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import provenance  # benchmarks/provenance.py
import torch
from report_sections import replace_section  # benchmarks/report_sections.py
from rss import call_peak_mib  # benchmarks/rss.py

from seqkit.atomic_io import atomic_write
from seqkit.data import resolve_data_path
from seqkit.domains.dna import DnaLM, GenomeDataModule
from seqkit.domains.dna.generation import generate
from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.genome_windows import split_genome, tile_windows
from seqkit.domains.dna.markov_baseline import MarkovModel

REPORT = Path(__file__).resolve().parent / "results" / "dna.md"
PROMOTER_DIR = REPORT.parent / "dna_promoters"  # one JSON per classification run
FASTA = "dna/ecoli_k12_mg1655_GCF_000005845.2.fna.gz"
GENBANK = "dna/ecoli_k12_mg1655_GCF_000005845.2.gbff.gz"
STOPS = {"TAA", "TAG", "TGA"}
BACKBONES = {"ssm": ("Mamba-2 (SSD) ×4", "mamba2*4", {"mamba2": {"d_state": 32, "head_dim": 32}}),
             "window": ("sliding-window attention ×4 (512 tokens, 4 sinks)", "window*4",
                        {"window": {"window": 512, "n_sinks": 4, "n_heads": 4}})}
# The code whose behaviour each section's figures measure (tests/benchmarks/test_results_provenance.py checks it).
_STEP = ("benchmarks/dna.py", "seqkit/domains/dna/model.py", "seqkit/domains/dna/base_marginals.py",
         "seqkit/domains/dna/tokenizers.py", "seqkit/domains/dna/kmer_tokenizer.py",
         "seqkit/domains/dna/nucleotide_tokenizer.py", "seqkit/backbone.py", "seqkit/mixers/__init__.py",
         "seqkit/mixers/base.py", "seqkit/mixers/mamba2.py", "seqkit/kernels/backend.py", "seqkit/kernels/segments.py",
         "seqkit/kernels/ssd/__init__.py", "seqkit/kernels/ssd/chunked.py")
_TRAINED = (*_STEP, "seqkit/domains/dna", "seqkit/cli.py", "seqkit/callbacks.py", "seqkit/optim.py", "seqkit/data")
_ON_GPU = ("seqkit/kernels/ssd/triton.py", "seqkit/kernels/triton_dot.py")  # the classification table has GPU runs
MEASURES = {"pretrain": _TRAINED, "generation": (*_TRAINED, "seqkit/sampling.py"),
            "classification": (*_TRAINED, *_ON_GPU),
            "throughput": (*_STEP, "benchmarks/rss.py", "seqkit/mixers/sliding_window_attention.py",
                           "seqkit/mixers/attention_heads.py", "seqkit/mixers/rotary.py",
                           "seqkit/kernels/window_attention/__init__.py", "seqkit/kernels/window_attention/blocked.py"),
            "bgzf": ("benchmarks/dna.py", "seqkit/domains/dna/fasta_index.py", "seqkit/domains/dna/genome.py",
                     "seqkit/domains/dna/nucleotides.py")}


def _machine(threads: int) -> str:
    return (f"`benchmarks/dna.py`, {date.today().isoformat()}, {platform.processor() or platform.machine()}, "
            f"{threads} torch threads, torch {torch.__version__}.")


def _load(checkpoint: str) -> DnaLM:
    return DnaLM.load_from_checkpoint(checkpoint, map_location="cpu", weights_only=True).eval()


def _training(checkpoint: str) -> dict[str, Any] | None:
    """What training the checkpoint cost and where it ran, as its RunSummary recorded it (None before it existed)."""
    return torch.load(checkpoint, map_location="cpu", weights_only=True).get("seqkit_run")


def section_pretrain(checkpoint: str) -> str:
    """The model's own val/test metrics (``trainer.validate``/``test`` on every held-out tile of the shipped
    config's split) beside Markov models scored on the same tiles."""
    import lightning as L

    model = _load(checkpoint)
    hp = model.hparams
    run = _training(checkpoint)
    trained = (f", trained {run['fit_seconds'] / 60:.0f} min for {run['epochs']} epochs on {run['device']} "
               "(measured by fit, read from the checkpoint)" if run else "")
    data = GenomeDataModule(genome=FASTA, tokenizer=hp.tokenizer, k=hp.k, eval_window_bp=3072, eval_max_windows=None)
    data.setup()
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    lines = ["## Pretraining on E. coli K-12: held-out perplexity per base and sequence recovery", "",
             f"Checkpoint `{checkpoint}` ({hp.layers}, d_model {hp.d_model}, tokenizer {hp.tokenizer}, "
             f"loss {hp.loss}){trained}. "
             "Held-out regions: 5% val + 5% test of the genome in 50 kb blocks (seed 0, the shipped config's "
             "split), tiled into 3,072 bp windows, every base scored once; Markov models are fitted on the "
             "training regions (both strands) and scored on the same bases. Recovery: bases right in the "
             "argmax next 6-mer at every 6-mer boundary (teacher-forced). Uniform: perplexity 4, recovery 0.25.",
             "", "| split | bp | model | perplexity / base | recovery |", "|---|---|---|---|---|"]
    markovs = {order: MarkovModel(order).fit(data.genome, data.spans["train"]) for order in (2, 5, 7)}
    for split, run in (("val", trainer.validate), ("test", trainer.test)):
        metrics = run(model, datamodule=data, verbose=False)[0]
        windows = [b for _, b in tile_windows(data.genome, data.spans[split], data.eval_window_bp)]
        bp = sum(len(w) for w in windows)
        lines.append(f"| {split} | {bp:,} | **seqkit DnaLM** | {metrics[f'{split}_ppl_base']:.4f} | "
                     f"{metrics[f'{split}_recovery']:.4f} |")
        for order, markov in markovs.items():
            lines.append(f"| {split} | {bp:,} | Markov order {order} | {markov.perplexity_per_base(windows):.4f} | "
                         f"{markov.recovery(windows, model.k):.4f} |")
        print(lines[-4:], flush=True)
    return "\n".join(lines)


def section_classification(checkpoint: str | None, epochs: int, accelerator: str, threads: int,
                           arms: list[str], pretrained_label: str | None = None) -> str:
    """Fine-tune the promoter classifier (``promoters.yaml``) from scratch and/or from ``checkpoint``; each run
    is kept as JSON under ``results/dna_promoters/`` and the table is rebuilt from all runs kept."""
    from seqkit.domains.dna.cli import main as dna_cli

    config = Path(__file__).resolve().parents[1] / "seqkit" / "domains" / "dna" / "configs" / "promoters.yaml"
    for arm in arms:
        extra = [f"--trainer.max_epochs={epochs}", f"--trainer.accelerator={accelerator}"]
        if arm == "pretrained":
            if not checkpoint:
                raise SystemExit("classification: the pretrained arm needs --checkpoint")
            hp = torch.load(checkpoint, map_location="cpu", weights_only=True)["hyper_parameters"]
            # the data are tokenized as the checkpoint was (the classifier checks it)
            extra += [f"--model.init_args.pretrained={checkpoint}", f"--data.init_args.tokenizer={hp['tokenizer']}"]
        start = time.perf_counter()
        root = Path("runs") / "bench_promoters" / arm
        cli = dna_cli(["fit", "-c", str(config), f"--trainer.default_root_dir={root}",
                       "--trainer.enable_progress_bar=false", *extra])
        metrics, hp = cli.trainer.callback_metrics, cli.model.hparams
        device = torch.cuda.get_device_name(0) if accelerator == "gpu" else "CPU"
        record = {"init": arm, "tokenizer": hp.tokenizer if hp.tokenizer == "nucleotide" else f"{hp.k}-mer",
                  "pretrained": pretrained_label if arm == "pretrained" else None,
                  "pretrained_run": _training(checkpoint) if arm == "pretrained" else None,
                  "model": f"d_model {hp.d_model}, {hp.layers}, pooling {hp.pooling}", "epochs": epochs,
                  "accuracy": round(float(metrics["val_acc"]), 4), "mcc": round(float(metrics["val_mcc"]), 4),
                  "minutes": round((time.perf_counter() - start) / 60, 1), "device": device,
                  "threads": threads, "torch": torch.__version__, "date": date.today().isoformat(),
                  "provenance": provenance.collect(MEASURES["classification"])}
        name = f"{record['tokenizer']}_{arm}_{'cpu' if device == 'CPU' else 'gpu'}_{epochs}ep.json"
        PROMOTER_DIR.mkdir(parents=True, exist_ok=True)
        text = json.dumps(record, indent=1)
        atomic_write(PROMOTER_DIR / name, lambda fh, text=text: fh.write(text.encode()))
        print(record, flush=True)
    lines = ["## Promoter classification (Genomic Benchmarks human non-TATA, shared train/val split)", "",
             "`seqkit-dna fit -c promoters.yaml` (+ `--model.init_args.pretrained=CKPT` for the pretrained arm); "
             "accuracy and MCC on the val split (904 sequences), RC-invariant evaluation, last epoch. Settings "
             "were chosen by `benchmarks/dna_promoter_sweep.py` on an internal split of the train rows, never on "
             "this val split. Not comparable to published Genomic Benchmarks numbers: the file is a stratified "
             "7,227-row subset of the official test split of Genomic Benchmarks' human_nontata_promoters "
             "(Grešová et al., BMC Genomic Data 2023; https://github.com/ML-Bioinfo-CEITEC/genomic_benchmarks), "
             "re-split into train and val. Target: accuracy >= 0.85.", "",
             "| tokens | initialisation | model | epochs | accuracy | MCC | trained on | minutes |",
             "|---|---|---|---|---|---|---|---|"]
    for path in sorted(PROMOTER_DIR.glob("*.json")):
        r = json.loads(path.read_text())
        run = r.get("pretrained_run")
        how = f"; {run['epochs']} epochs, {run['fit_seconds'] / 60:.0f} min on {run['device']}" if run else " ‡"
        init = f"pretrained on E. coli ({r['pretrained']}{how})" if r["pretrained"] else "from scratch"
        device = r["device"] if r["device"] != "CPU" else f"CPU, {r['threads']} threads"
        lines.append(f"| {r['tokenizer']} | {init} | {r['model']} | {r['epochs']} | {r['accuracy']:.4f} | "
                     f"{r['mcc']:.4f} | {device} | {r['minutes']} |")
    lines += ["", "minutes: wall time of the fit, measured around it by this script. ‡ how the pretrained checkpoint "
              "was made, as the operator described it (--pretrained-label), not read from the checkpoint.",
              "", "Each row comes from its JSON under `results/dna_promoters/`, which keeps the provenance of the "
              "run that measured it; the block below is this table's."]
    return "\n".join(lines)


def _one_throughput(cfg: dict[str, Any]) -> dict[str, Any]:
    torch.set_num_threads(cfg["threads"])
    _, layers, options = BACKBONES[cfg["backbone"]]
    model = DnaLM(d_model=128, layers=layers, mixer_options=options)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    tokens = torch.randint(32, 4128, (1, cfg["bp"] // 6 + 1))

    def step() -> float:
        start = time.perf_counter()
        model.loss(tokens).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return time.perf_counter() - start

    step()
    if cfg["measure"] == "memory":
        return {"peak_mib": call_peak_mib(step)}
    seconds = statistics.median(step() for _ in range(cfg["repeats"]))
    return {"seconds": seconds, "bp_per_s": cfg["bp"] / seconds}


def section_throughput(threads: int, lengths: list[int], repeats: int) -> str:
    lines = ["## Training throughput and memory against context length", "",
             "One training step (forward, next-6-mer loss, backward, AdamW) on one window, d_model 128, 4 layers, "
             "6-mer tokens; median of the timed steps, each point in fresh processes (memory with every block over "
             "64 KiB served by mmap so the high-water mark is the step's own, above weights and optimizer state). "
             "Linear cost: bp/s stays flat and peak memory grows in proportion to the context.", "",
             "| backbone | context bp | tokens | bp/s | × 4k bp/s | step peak MiB | MiB per kb | × 4k MiB |",
             "|---|---|---|---|---|---|---|---|"]
    for backbone in BACKBONES:
        base = None
        for bp in lengths:
            row = {}
            for measure, env in (("time", {}), ("memory", {"MALLOC_MMAP_THRESHOLD_": "65536"})):
                cfg = {"backbone": backbone, "bp": bp, "threads": threads, "repeats": repeats, "measure": measure}
                out = subprocess.run([sys.executable, __file__, "--one", json.dumps(cfg)], check=True,
                                     capture_output=True, text=True, env={**os.environ, **env}).stdout
                row.update(json.loads(out.strip().splitlines()[-1]))
            base = base or row
            lines.append(f"| {BACKBONES[backbone][0]} | {bp:,} | {bp // 6:,} | {row['bp_per_s']:,.0f} | "
                         f"{row['bp_per_s'] / base['bp_per_s']:.2f} | {row['peak_mib']:.0f} | "
                         f"{row['peak_mib'] / (bp / 1000):.2f} | {row['peak_mib'] / base['peak_mib']:.2f} |")
            print(lines[-1], flush=True)
    return "\n".join(lines)


def _in_frame_stop(seq: str) -> bool:
    return any(seq[i : i + 3] in STOPS for i in range(0, len(seq) - 2, 3))


def section_generation(checkpoint: str, n_genes: int, top_p: float, temperature: float) -> str:
    model = _load(checkpoint)
    annotated = Genome(resolve_data_path(GENBANK))
    spans = split_genome(annotated, 0.05, 0.05, 50_000, 0)
    markov = MarkovModel(5).fit(annotated, spans["train"])
    upstream, into_cds, n_bp = 1000, 102, 1000
    genes = [c for c in annotated.coding_sequences() if c.end - c.start >= into_cds + n_bp + 3
             and c.start >= upstream and c.end + upstream <= annotated.length(c.record)]
    rng = np.random.default_rng(0)
    genes = [genes[i] for i in sorted(rng.choice(len(genes), size=min(n_genes, len(genes)), replace=False))]
    prompts, truths = [], []
    for c in genes:
        if c.strand > 0:
            region = annotated.fetch(c.record, c.start - upstream, c.start + into_cds + n_bp)
        else:
            region = annotated.fetch(c.record, c.end - into_cds - n_bp, c.end + upstream, strand=-1)
        text = region.tobytes().decode()
        prompts.append(text[: upstream + into_cds])
        truths.append(text[upstream + into_cds :])
    start = time.perf_counter()
    generated = generate(model, prompts, n_bp, temperature=temperature, top_p=top_p, seed=0)
    seconds = time.perf_counter() - start
    rows = {"true continuation (the genes themselves)": truths, "seqkit DnaLM": generated,
            "Markov order 5 sampled from the same prompts": [markov.sample(p, n_bp, rng) for p in prompts],
            "uniform random sequence": ["".join(rng.choice(list("ACGT"), n_bp)) for _ in prompts]}
    lines = ["## Generation: do 1 kb continuations of E. coli genes keep the reading frame?", "",
             f"{len(genes)} E. coli CDS of ≥ {into_cds + n_bp + 3} bp (seeded draw); prompt = {upstream} bp upstream "
             f"+ the first {into_cds} bp of the CDS (in frame); {n_bp} bp sampled (top-p {top_p}, temperature "
             f"{temperature}; {seconds:.0f} s for all). Kept frame = no stop codon in frame over the {n_bp} bp. "
             f"GC = mean GC content of the continuations.", "",
             "| continuation | kept reading frame | GC |", "|---|---|---|"]
    for label, seqs in rows.items():
        kept = np.mean([not _in_frame_stop(s) for s in seqs])
        gc = np.mean([(s.count("G") + s.count("C")) / len(s) for s in seqs])
        lines.append(f"| {label} | {kept:.2f} ({int(round(kept * len(seqs)))}/{len(seqs)}) | {gc:.3f} |")
    print("\n".join(lines[-4:]), flush=True)
    return "\n".join(lines)


def section_bgzf(windows: list[int], reads: int) -> str:
    """Random windows read through ``FastaIndex`` from a BGZF copy of the genome (``.fai``/``.gzi`` built
    first, not timed); each window size is timed over ``reads`` reads at seeded random places."""
    import tempfile

    from Bio import bgzf

    from seqkit.domains.dna.fasta_index import FastaIndex

    try:
        genome, source = Genome(resolve_data_path(FASTA)), f"E. coli K-12 (`{FASTA}`)"
    except FileNotFoundError:
        from seqkit.domains.dna.synthetic_genome import synthetic_genome

        genome, source = synthetic_genome(4_000_000, seed=0), "the synthetic genome (4 Mb, seed 0)"
    lines = ["## Random window reads from a bgzip-compressed FASTA", ""]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "genome.fa.gz"
        with bgzf.BgzfWriter(str(path), "wb") as fh:
            for name, length in genome:
                seq = genome.fetch(name, 0, length).tobytes()
                fh.write(f">{name}\n".encode() + b"".join(seq[i : i + 80] + b"\n" for i in range(0, length, 80)))
        index = FastaIndex(path)
        blocks = len(index._bgzf.blocks)
        lines += [f"{source}, rewritten as BGZF (80 bases a line, {blocks} blocks) in a temp folder; "
                  f"`FastaIndex.fetch` of windows at uniform random starts (seed 0), {reads:,} reads per size, "
                  f"after one untimed read of each size. The reader keeps up to {index._bgzf.MAX_CACHE} decoded "
                  "blocks.", "", "| window (bp) | reads/s | Mbp/s |", "|---|---|---|"]
        name = max(index.names, key=index.length)
        rng = np.random.default_rng(0)
        for window in windows:
            starts = rng.integers(0, index.length(name) - window, size=reads)
            index.fetch(name, int(starts[0]), int(starts[0]) + window)
            begin = time.perf_counter()
            for start in starts:
                index.fetch(name, int(start), int(start) + window)
            per_s = reads / (time.perf_counter() - begin)
            lines.append(f"| {window:,} | {per_s:,.0f} | {per_s * window / 1e6:.1f} |")
            print(lines[-1], flush=True)
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        print(json.dumps(_one_throughput(json.loads(sys.argv[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", default=["pretrain", "classification", "throughput", "generation"],
                        choices=["pretrain", "classification", "throughput", "generation", "bgzf"])
    parser.add_argument("--checkpoint", help="a DnaLM checkpoint pretrained on E. coli (pretrain, generation, "
                        "and the pretrained arm of classification)")
    parser.add_argument("--epochs", type=int, default=15, help="classification epochs")
    parser.add_argument("--arms", nargs="*", default=["scratch", "pretrained"], choices=["scratch", "pretrained"],
                        help="classification: which initialisations to run (none: rebuild the table only)")
    parser.add_argument("--accelerator", default="cpu", choices=("cpu", "gpu"), help="classification: device")
    parser.add_argument("--pretrained-label", help="classification: how the checkpoint was made, for the table "
                        "(default: its file name)")
    parser.add_argument("--lengths", type=int, nargs="+", default=[4096, 16384, 65536])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--genes", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--bgzf-windows", type=int, nargs="+", default=[1000, 16384], help="bgzf: window sizes (bp)")
    parser.add_argument("--bgzf-reads", type=int, default=2000, help="bgzf: timed reads per window size")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for section in args.sections:
        if section in ("pretrain", "generation") and not args.checkpoint:
            parser.error(f"section {section} needs --checkpoint")
        if section == "pretrain":
            text = section_pretrain(args.checkpoint)
        elif section == "classification":
            label = args.pretrained_label or (Path(args.checkpoint).name if args.checkpoint else None)
            text = section_classification(args.checkpoint, args.epochs, args.accelerator, args.threads, args.arms,
                                          label)
        elif section == "throughput":
            text = section_throughput(args.threads, [b - b % 6 for b in args.lengths], args.repeats)
        elif section == "bgzf":
            text = section_bgzf(args.bgzf_windows, args.bgzf_reads)
        else:
            text = section_generation(args.checkpoint, args.genes, 0.95, 1.0)
        markers = (f"<!-- dna:{section} -->", f"<!-- /dna:{section} -->")
        text = provenance.stamp(REPORT, f"{text}\n\n{_machine(args.threads)}", MEASURES[section],
                                section=f"dna:{section}")
        replace_section(REPORT, markers, f"{markers[0]}\n{text}\n{markers[1]}",
                        "DNA benchmarks")


if __name__ == "__main__":
    main()
