"""Long-text image benchmarks: binary tokens against VQ at equal bits, legibility by OCR, generator cost.

What (each a section of ``results/textimage.md``, replaced on its own):

1. ``reconstruction``: trains (through ``seqkit-textimage fit`` with the shipped configs, ``--tokenizer-steps``
   optimiser steps each) the binary tokenizer (K = 13 sign bits per token), the VQ baseline (2^13 codes, the
   same network and losses) and the binary one with the text-aware (edge-weighted) loss; then on ``--pages``
   unseen test pages per word set (real KJV text, the same words shuffled, random strings of the same lengths):
   PSNR, SSIM, code usage, and tesseract's character and word accuracy on the reconstructions against the exact
   page text, with the originals' accuracy as the ceiling and bootstrap 95 % intervals.
   ``--variants`` chooses among them and ``binary18`` / ``vq18`` / ``bsq13``; each variant's figures are kept as a
   JSON record under ``results/textimage_reconstruction/`` and the table shows every record kept, so variants
   may be trained in separate runs (``--table-only`` rebuilds it).
2. ``generation``: trains the generator (``generator.yaml``: Mamba-2, softmax head) on the binary tokenizer's
   tokens, then renders ``--prompts`` unseen test prompts per length bucket (under 10 words, 10 or more) and
   scores tesseract's reading of each generated image against the prompt, beside the rendered page of the
   same prompt and its tokenizer reconstruction (the ceilings).
3. ``throughput``: generator training tokens/s (forward + backward + AdamW) and peak memory at 1,024 and
   4,096 image tokens (512² and 1024² pages at 16× downsampling), Mamba-2 against attention at the shipped
   width and depth, fresh process per point, same run.

    python benchmarks/textimage.py --sections reconstruction generation --tokenizer-steps 3000 --generator-steps 2000
    python benchmarks/textimage.py --sections throughput
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import provenance  # benchmarks/provenance.py
import torch
from console_fit import fit_stage  # benchmarks/console_fit.py
from report_sections import replace_section  # benchmarks/report_sections.py
from timed_steps import time_steps  # benchmarks/timed_steps.py

from seqkit.atomic_io import atomic_write

REPORT = Path(__file__).parent / "results" / "textimage.md"
RECORDS = REPORT.parent / "textimage_reconstruction"  # one JSON per tokenizer variant, and the originals'
COMMAND = "seqkit.domains.textimage.cli"
_TOKENIZER = ["seqkit/domains/textimage/autoencoder.py", "seqkit/domains/textimage/binary_quantizer.py",
              "seqkit/domains/textimage/vector_quantizer.py", "seqkit/domains/textimage/tokenizer_module.py",
              "seqkit/domains/textimage/render.py", "seqkit/domains/textimage/corpus.py",
              "seqkit/domains/textimage/fonts.py", "seqkit/domains/textimage/data.py",
              "seqkit/domains/textimage/ocr.py", "seqkit/domains/textimage/configs", "seqkit/optim.py"]
_GENERATOR = ["seqkit/domains/textimage/generator_module.py", "seqkit/backbone.py", "seqkit/mixers/mamba2.py",
              "seqkit/mixers/full_attention.py", "seqkit/mixers/attention_heads.py", "seqkit/kernels/ssd",
              "seqkit/sampling.py"]
MEASURES = {"reconstruction": ("benchmarks/textimage.py", "benchmarks/console_fit.py", *_TOKENIZER),
            "generation": ("benchmarks/textimage.py", "benchmarks/console_fit.py", *_TOKENIZER, *_GENERATOR),
            "throughput": ("benchmarks/textimage.py", "benchmarks/timed_steps.py", *_GENERATOR)}
VAL_EVERY = 500
# variant -> (shipped config, extra arguments, label)
VARIANTS = {"binary13": ("tokenizer_binary", [], "binary (LFQ), K = 13"),
            "vq13": ("tokenizer_vq", [], "VQ, 2^13 codes"),
            "binary13_text": ("tokenizer_binary", ["--model.init_args.text_aware_weight=2.0"],
                              "binary (LFQ), K = 13, text-aware loss α = 2"),
            "bsq13": ("tokenizer_binary", ["--model.init_args.binary_kind=bsq"], "binary (BSQ), K = 13"),
            "binary18": ("tokenizer_binary", ["--model.init_args.bits=18"], "binary (LFQ), K = 18"),
            "vq18": ("tokenizer_vq", ["--model.init_args.bits=18"], "VQ, 2^18 codes")}
CONTROLS = (("none", "real text"), ("shuffled_words", "shuffled words"), ("random_strings", "random strings"))


def _machine(threads: int) -> str:
    return f"{threads} torch thread(s) on this machine's CPU (see provenance)."


def bootstrap(values: list[float], rounds: int = 2000, seed: int = 0) -> tuple[float, float, float]:
    """Mean and the 2.5 / 97.5 percentiles of the mean over ``rounds`` resamples."""
    x = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, len(x), (rounds, len(x)))].mean(1)
    return float(x.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def _cell(values: list[float]) -> str:
    mean, lo, hi = bootstrap(values)
    return f"{100 * mean:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]"


def _tokenizer(root: Path, variant: str, steps: int, threads: int):
    from seqkit.domains.textimage.generator_module import load_tokenizer

    stage, extra, _ = VARIANTS[variant]
    summary = fit_stage(COMMAND, stage, root / variant, steps, threads, VAL_EVERY, extra)
    return load_tokenizer(str(root / variant / stage / "checkpoints" / "last.ckpt")), summary


def _pages(control: str, n: int, seed: int) -> tuple[list[str], torch.Tensor]:
    """The texts and images (n, 3, 256, 256) of ``n`` test pages, each rendered once."""
    from seqkit.domains.textimage.data import RenderedPages

    pages = RenderedPages(n, "test", seed, control=control, image_size=256)
    items = [pages[i] for i in range(n)]
    return [item["text"] for item in items], torch.stack([item["image"] for item in items])


def section_reconstruction(root: Path, variants: list[str], steps: int, threads: int, n_pages: int) -> str:
    """Train (or reuse) each variant, score it, keep its record; the table is rebuilt from every record kept,
    so variants trained in different sessions share one table (each record keeps its own provenance)."""
    from seqkit.domains.textimage.data import tensor_to_image
    from seqkit.domains.textimage.ocr import engine_version, legibility, read_texts
    from seqkit.domains.textimage.tokenizer_module import psnr, ssim

    torch.set_num_threads(threads)

    def score(texts: list[str], images: list[np.ndarray]) -> tuple[list[float], list[float]]:
        readings = [legibility(t, r) for t, r in zip(texts, read_texts(images, workers=threads), strict=True)]
        return [r.characters for r in readings], [r.words for r in readings]

    pages = {control: _pages(control, n_pages, seed=7) for control, _ in CONTROLS}  # shared by every tokenizer
    originals: dict[str, dict] = {}
    for control, _ in CONTROLS:
        texts, images = pages[control]
        chars, words = score(texts, list(tensor_to_image(images)))
        originals[control] = {"characters": chars, "words": words}
        print("originals", control, np.mean(originals[control]["characters"]), flush=True)
    _save_record("originals", {"pages": n_pages, "ocr": engine_version(), "rows": originals,
                               "provenance": provenance.collect(MEASURES["reconstruction"])})
    for variant in variants:
        tokenizer, run = _tokenizer(root, variant, steps, threads)
        row: dict[str, dict] = {}
        for control, _ in CONTROLS:
            texts, originals_images = pages[control]
            images, psnrs, ssims, codes = [], [], [], []
            for batch in originals_images.split(8):
                with torch.no_grad():
                    reconstruction, indices, _ = tokenizer(batch)
                psnrs += psnr(reconstruction, batch).tolist()
                ssims += ssim(reconstruction, batch).tolist()
                codes.append(indices.flatten())
                images += list(tensor_to_image(reconstruction))
            chars, words = score(texts, images)
            tokens = torch.cat(codes)
            row[control] = {"psnr": float(np.mean(psnrs)), "ssim": float(np.mean(ssims)),
                            "code_usage": len(torch.unique(tokens)) / 2 ** tokenizer.bits, "tokens": len(tokens),
                            "characters": chars, "words": words}
            print(variant, control, row[control]["psnr"], np.mean(chars), flush=True)
        _save_record(variant, {"variant": variant, "bits": tokenizer.bits, "steps": steps, "pages": n_pages,
                               "run": run, "ocr": engine_version(), "rows": row,
                               "provenance": provenance.collect(MEASURES["reconstruction"])})
    return reconstruction_table()


def _save_record(name: str, record: dict) -> None:
    RECORDS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(record, indent=1)
    atomic_write(RECORDS / f"{name}.json", lambda fh: fh.write(text.encode()))


def reconstruction_table() -> str:
    """The reconstruction section, rebuilt from the records under ``results/textimage_reconstruction/``."""
    originals = json.loads((RECORDS / "originals.json").read_text())
    records = [json.loads((RECORDS / f"{v}.json").read_text()) for v in VARIANTS if (RECORDS / f"{v}.json").exists()]
    n_pages = originals["pages"]
    lines = ["## Reconstruction at equal bits: binary tokens against VQ", "",
             f"{n_pages} unseen 256×256 test pages per word set (verses from the last quarter of the KJV; fonts DejaVu "
             "and Liberation sans/serif/mono at 11, 13 and 16 px; paragraph, document and slide layouts; colour "
             "pairs with contrast ≥ 4.5), 16×16 = 256 tokens per page. Each tokenizer trained by "
             "`seqkit-textimage fit -c <config> --trainer.max_steps=<steps>` (batch 8; steps and minutes in the "
             f"table). OCR: {originals['ocr']} (`--psm 6`, pages upscaled 2×), accuracy = 1 − CER and 1 − WER "
             "against the exact page text, in %, with bootstrap 95 % intervals over pages. Code usage = distinct "
             "codes among all test tokens over 2^K (at most tokens / 2^K).", "",
             "| tokenizer | bits / page | steps | train min | words | PSNR | SSIM | code usage | OCR characters | "
             "OCR words |", "|---|---|---|---|---|---|---|---|---|---|"]
    for control, name in CONTROLS:
        o = originals["rows"][control]
        lines.append(f"| originals (ceiling) | – | – | – | {name} | ∞ | 1 | – | {_cell(o['characters'])} | "
                     f"{_cell(o['words'])} |")
    for record in records:
        for control, name in CONTROLS:
            r = record["rows"][control]
            lines.append(f"| {VARIANTS[record['variant']][2]} | {256 * record['bits']:,} | {record['steps']} | "
                         f"{record['run']['fit_seconds'] / 60:.0f} | {name} | {r['psnr']:.2f} | {r['ssim']:.3f} | "
                         f"{r['code_usage']:.3f} | {_cell(r['characters'])} | {_cell(r['words'])} |")
    if any(r["pages"] != n_pages for r in records):
        raise SystemExit("reconstruction records disagree on --pages; rerun them with the same pages")
    lines += ["", "Each tokenizer's rows come from its JSON under `results/textimage_reconstruction/` (the originals' "
              "from `originals.json`), which keeps the provenance of the run that measured it."]
    # what the operator saw of a run that its figures cannot say (a pause, a shared CPU)
    notes = [f"- {VARIANTS[r['variant']][2]}: {r['note']}" for r in records if r.get("note")]
    return "\n".join(lines + ([""] + notes if notes else []))


def _prompts(n: int, lo: int, hi: int, seed: int) -> list[str]:
    from seqkit.domains.textimage.corpus import passage, split_verses

    rng = random.Random(seed)
    verses = split_verses("test")
    return [" ".join(passage(verses, rng, 20 * hi).split()[: rng.randint(lo, hi)]) for _ in range(n)]


def section_generation(root: Path, tokenizer_steps: int, steps: int, threads: int, n_prompts: int,
                       temperature: float, top_k: int | None) -> tuple[str, dict]:
    from seqkit.domains.textimage.data import image_to_tensor, tensor_to_image
    from seqkit.domains.textimage.generator_module import TextImageGenerator
    from seqkit.domains.textimage.ocr import engine_version, legibility, read_texts
    from seqkit.domains.textimage.render import PageRenderer, PageStyle

    tokenizer, tokenizer_run = _tokenizer(root, "binary13", tokenizer_steps, threads)
    ckpt = root / "binary13" / "tokenizer_binary" / "checkpoints" / "last.ckpt"
    run = fit_stage(COMMAND, "generator", root / "generator", steps, threads, VAL_EVERY,
                    [f"--model.init_args.tokenizer={ckpt}"])
    torch.set_num_threads(threads)
    model = TextImageGenerator.load_from_checkpoint(root / "generator" / "generator" / "checkpoints" / "last.ckpt",
                                                    map_location="cpu", weights_only=True).eval()
    renderer = PageRenderer(256, sizes=[16], layouts=["paragraph"])
    buckets = {"under 10 words": _prompts(n_prompts, 2, 9, seed=11), "10 words or more": _prompts(n_prompts, 10, 24,
                                                                                                   seed=12)}
    rows: dict[str, dict] = {}
    for bucket, prompts in buckets.items():
        images: dict[str, list[np.ndarray]] = {"rendered": [], "reconstructed": [], "generated": []}
        seconds = []
        for k, text in enumerate(prompts):
            page = renderer.render_text(text, PageStyle(font="dejavu-sans", size=16))
            images["rendered"].append(page.image)
            with torch.no_grad():
                images["reconstructed"].append(tensor_to_image(tokenizer(image_to_tensor(page.image)[None])[0][0]))
                start = time.perf_counter()
                image = model.generate([text], temperature=temperature, top_k=top_k, seed=k)[0]
                seconds.append(time.perf_counter() - start)
            images["generated"].append(tensor_to_image(image))
        readings = {kind: read_texts(images[kind], workers=threads) for kind in images}
        generated, rendered, rebuilt = ([legibility(t, r).characters for t, r in zip(prompts, readings[kind],
                                                                                      strict=True)]
                                        for kind in ("generated", "rendered", "reconstructed"))
        # the chance floor: an illegible image's reading still shares characters with any text of that length, so
        # each generated image is also scored against the next prompt of its bucket
        other = [legibility(t, r).characters for t, r in zip(prompts[1:] + prompts[:1], readings["generated"],
                                                             strict=True)]
        rows[bucket] = {"generated": generated, "rendered": rendered, "reconstructed": rebuilt, "other_prompt": other,
                        "seconds": float(np.mean(seconds)), "words": float(np.mean([len(p.split()) for p in prompts]))}
        print(bucket, np.mean(generated), np.mean(rendered), flush=True)
    h = model.hparams
    lines = ["## Generated long-text images: OCR against the prompt", "",
             f"The generator (`generator.yaml`: {h['layers']}, width {h['d_model']}, {h['head']} head; "
             f"`--trainer.max_steps={steps}`, {run['fit_seconds'] / 60:.0f} min) over the binary K = 13 tokenizer "
             f"({tokenizer_steps} steps, {tokenizer_run['fit_seconds'] / 60:.0f} min), trained on 2–24-word prompts "
             f"drawn at 16 px. {n_prompts} unseen test prompts per bucket, one image each (temperature "
             f"{temperature:g}, top-k {top_k or 'off'}); OCR: {engine_version()}. Character accuracy (1 − CER, %) "
             "of the generated image against the prompt, beside the same image against the next prompt of its bucket "
             "(what an illegible image scores by chance), the page the renderer draws for the prompt (the ceiling) "
             "and that page through the tokenizer (the ceiling the tokenizer allows).", "",
             "| prompts | mean words | generated | generated, scored against another prompt (chance floor) | "
             "rendered page | tokenizer reconstruction | s per image |", "|---|---|---|---|---|---|---|"]
    for bucket, r in rows.items():
        lines.append(f"| {bucket} | {r['words']:.1f} | {_cell(r['generated'])} | {_cell(r['other_prompt'])} | "
                     f"{_cell(r['rendered'])} | {_cell(r['reconstructed'])} | {r['seconds']:.1f} |")
    return "\n".join(lines), {"rows": rows, "runs": {"tokenizer": tokenizer_run, "generator": run}}


def _shipped_generator() -> dict:
    from importlib import resources

    import yaml

    text = resources.files("seqkit.domains.textimage").joinpath("configs/generator.yaml").read_text()
    return yaml.safe_load(text)["model"]["init_args"]


def _one_throughput_point(layers: str, grid: int, threads: int, steps: int) -> dict:
    """In a fresh process: training tokens/s and peak RSS of the shipped generator on random tokens."""
    from seqkit.domains.textimage.generator_module import TextImageGenerator, text_bytes

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = _shipped_generator()
    shipped = {k: v for k, v in config.items() if k in ("d_model", "mlp_ratio", "head")}
    depth = int(str(config["layers"]).split("*")[1])
    model = TextImageGenerator(bits=13, grid=grid, layers=f"{layers}*{depth}", **shipped)
    optimiser = torch.optim.AdamW(model.parameters(), 1e-4)
    text = text_bytes(["In the beginning God created the heaven and the earth."], 256)
    tokens = torch.randint(0, 2 ** 13, (1, grid, grid))

    def step() -> None:
        loss = model.token_nll(model(text, tokens), tokens)
        loss.backward()
        optimiser.step()
        optimiser.zero_grad(set_to_none=True)

    seconds, peak_mib = time_steps(step, steps)
    n_tokens = grid * grid + text.shape[1] + 1
    return {"tokens_per_second": n_tokens / seconds, "seconds_per_step": seconds, "peak_mib": peak_mib,
            "sequence": n_tokens,
            "parameters": sum(p.numel() for p in model.parameters())}


def section_throughput(threads: int, steps: int) -> tuple[str, dict]:
    shipped = _shipped_generator()
    grids = {1024: 32, 4096: 64}
    rows: dict[str, dict] = {}
    for layers in ("mamba2", "attention"):
        rows[layers] = {}
        for n, grid in grids.items():
            arg = json.dumps({"layers": layers, "grid": grid, "threads": threads, "steps": steps})
            out = subprocess.run([sys.executable, __file__, "--one", arg], capture_output=True, text=True, check=True)
            rows[layers][n] = json.loads(out.stdout.strip().splitlines()[-1])
            print(layers, n, rows[layers][n], flush=True)
    depth = str(shipped["layers"]).split("*")[1]
    lines = ["## Generator training cost at 1k and 4k image tokens", "",
             f"The shipped generator (width {shipped['d_model']}, {depth} layers, {shipped['head']} head over 2^13 "
             "codes) on random tokens of a 512² (1,024 tokens) and a 1024² page (4,096 tokens) after a 54-byte "
             f"prompt, batch 1; forward + backward + AdamW, mean of {steps} steps after one warm-up step; a fresh "
             "process per point; peak = RSS high-water mark above the RSS before the timed steps.", "",
             "| backbone | parameters | 1,024 tokens: tokens/s | peak MiB | 4,096 tokens: tokens/s | peak MiB | "
             "tokens/s at 4k vs 1k |", "|---|---|---|---|---|---|---|"]
    for layers, r in rows.items():
        a, b = r[1024], r[4096]
        lines.append(f"| {layers} | {a['parameters'] / 1e6:.1f} M | {a['tokens_per_second']:.0f} | "
                     f"{a['peak_mib']:.0f} | {b['tokens_per_second']:.0f} | {b['peak_mib']:.0f} | "
                     f"{b['tokens_per_second'] / a['tokens_per_second']:.2f} |")
    return "\n".join(lines), {"rows": {k: {str(n): v for n, v in r.items()} for k, r in rows.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", choices=["reconstruction", "generation", "throughput"],
                        default=["reconstruction", "generation", "throughput"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tokenizer-steps", type=int, default=3000)
    parser.add_argument("--generator-steps", type=int, default=2000)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["binary13", "vq13", "binary13_text"])
    parser.add_argument("--runs", type=Path, default=Path("runs/textimage_benchmark"))
    parser.add_argument("--pages", type=int, default=100, help="reconstruction: test pages per word set")
    parser.add_argument("--prompts", type=int, default=25, help="generation: prompts per length bucket")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-k", type=int, default=None)
    parser.add_argument("--throughput-steps", type=int, default=3)
    parser.add_argument("--table-only", action="store_true",
                        help="reconstruction: rebuild the table from the records kept, training nothing")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        spec = json.loads(args.one)
        print(json.dumps(_one_throughput_point(spec["layers"], spec["grid"], spec["threads"], spec["steps"])))
        return
    for section in args.sections:
        if section == "reconstruction" and args.table_only:
            text, figures = reconstruction_table(), None
        elif section == "reconstruction":
            text, figures = section_reconstruction(args.runs, args.variants, args.tokenizer_steps, args.threads,
                                                   args.pages), None
        elif section == "generation":
            text, figures = section_generation(args.runs, args.tokenizer_steps, args.generator_steps, args.threads,
                                               args.prompts, args.temperature, args.top_k)
        else:
            text, figures = section_throughput(args.threads, args.throughput_steps)
        markers = (f"<!-- textimage:{section} -->", f"<!-- /textimage:{section} -->")
        text = provenance.stamp(REPORT, f"{text}\n\n{_machine(args.threads)}", MEASURES[section], figures,
                                section=f"textimage:{section}")
        replace_section(REPORT, markers, f"{markers[0]}\n{text}\n{markers[1]}", "Long-text image benchmarks")
        print(text, flush=True)


if __name__ == "__main__":
    main()
