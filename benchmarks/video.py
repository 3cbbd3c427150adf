"""Long-video benchmarks: Gen-L-Video co-denoising against isolated clips, FreeNoise and FIFO-Diffusion.

What (each a section of ``results/video.md``, replaced on its own):

1. ``seams``: trains (through ``seqkit-video fit`` with the shipped configs, ``--train-steps`` optimiser steps
   each) the short-clip model and the attribute classifier, then generates videos of ``--seam-length`` frames from
   single prompts with every method from the same noise: the seam ratio (frame-to-frame change at the clip
   boundaries over the change elsewhere) and the variance across samples (the over-smoothing cost; isolated clips
   are the short-clip model's own samples), with real procedural videos as the reference.
2. ``conditions``: a 3-prompt, ``--condition-length``-frame video per method: the share of each prompt's frames
   whose five attributes the classifier reads as that prompt's, and the transition width in frames at each
   prompt change; the real scheduled video as the reference.
3. ``scaling``: peak memory and time of each method at L = 64, 256, 1024 frames (fresh process per point, the
   shipped model size, untrained weights: cost does not depend on them; ``--scaling-steps`` DDIM steps).

    python benchmarks/video.py --sections seams conditions --train-steps 2000 1000
    python benchmarks/video.py --sections scaling
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import provenance  # benchmarks/provenance.py
import torch
from console_fit import fit_stage  # benchmarks/console_fit.py
from report_sections import replace_section  # benchmarks/report_sections.py
from rss import current_rss_bytes, peak_rss_bytes, reset_peak_rss  # benchmarks/rss.py

REPORT = Path(__file__).parent / "results" / "video.md"
_SAMPLING = ["seqkit/diffusion", "seqkit/domains/video/long_video.py", "seqkit/domains/video/video_diffusion.py",
             "seqkit/domains/video/space_time_denoiser.py", "seqkit/caption_encoder.py",
             "seqkit/mixers/full_attention.py", "seqkit/mixers/attention_heads.py", "seqkit/backbone.py"]
_QUALITY = ["seqkit/domains/video/procedural.py", "seqkit/domains/video/data.py",
            "seqkit/domains/video/attribute_classifier.py", "seqkit/domains/video/metrics.py",
            "seqkit/domains/video/configs", "seqkit/optim.py"]
MEASURES = {"seams": ("benchmarks/video.py", "benchmarks/console_fit.py", *_SAMPLING, *_QUALITY),
            "conditions": ("benchmarks/video.py", "benchmarks/console_fit.py", *_SAMPLING, *_QUALITY),
            "scaling": ("benchmarks/video.py", *_SAMPLING)}
STAGES = ("video_clip", "video_classifier")
VAL_EVERY = 250
FIFO_PARTITIONS = 4
# (label, method, overrides with the stride as a divisor of W): every method from the same noise and model
METHODS = (("isolated clips (S = W)", "isolated", {}),
           ("co-denoising S = W/2, uniform", "co_denoising", {"stride": 2, "weighting": "uniform"}),
           ("co-denoising S = W/4, uniform", "co_denoising", {"stride": 4, "weighting": "uniform"}),
           ("co-denoising S = W/2, triangular", "co_denoising", {"stride": 2, "weighting": "triangular"}),
           ("co-denoising S = W/4, triangular", "co_denoising", {"stride": 4, "weighting": "triangular"}),
           ("FreeNoise (S = W/4)", "freenoise", {"stride": 4}),
           (f"FIFO-Diffusion (n = {FIFO_PARTITIONS}, lookahead)", "fifo",
            {"partitions": FIFO_PARTITIONS, "lookahead": True}))


def _overrides(overrides: dict, window: int) -> dict:
    """A method's sampler settings for windows of ``window`` frames (its stride given as a divisor of W)."""
    return {**overrides, "stride": window // overrides["stride"]} if "stride" in overrides else dict(overrides)


def _shipped_model_args() -> dict:
    """``model.init_args`` of the shipped ``video_clip.yaml``."""
    from importlib import resources

    import yaml

    text = resources.files("seqkit.domains.video").joinpath("configs/video_clip.yaml").read_text()
    return yaml.safe_load(text)["model"]["init_args"]


def _machine(threads: int) -> str:
    return f"{threads} torch thread(s) on this machine's CPU (see provenance)."


def _trained(root: Path, steps: dict[str, int], threads: int):
    from seqkit.domains.video.attribute_classifier import AttributeClassifierModule
    from seqkit.domains.video.video_diffusion import VideoDiffusion

    summaries = {stage: fit_stage("seqkit.domains.video.cli", stage, root, steps[stage], threads, VAL_EVERY)
                 for stage in STAGES}
    torch.set_num_threads(threads)
    ckpt = {s: root / s / "checkpoints" / "last.ckpt" for s in STAGES}
    model = VideoDiffusion.load_from_checkpoint(ckpt["video_clip"], map_location="cpu", weights_only=True).eval()
    classifier = AttributeClassifierModule.load_from_checkpoint(ckpt["video_classifier"], map_location="cpu",
                                                                weights_only=True).eval()
    return model, classifier, summaries


def _training_line(summaries: dict, steps: dict[str, int], h) -> str:
    return (f"Trained by `seqkit-video fit -c video_clip.yaml --trainer.max_steps={steps['video_clip']}` "
            f"({summaries['video_clip']['fit_seconds'] / 60:.0f} min) and `-c video_classifier.yaml "
            f"--trainer.max_steps={steps['video_classifier']}` ({summaries['video_classifier']['fit_seconds'] / 60:.0f}"
            f" min), shipped configs. DDIM {h.n_inference_steps} steps, η = {h.eta:g}, guidance "
            f"{h.guidance_scale:g}, windows of W = {h.clip_frames} frames; FIFO runs its forced f·n = "
            f"{h.clip_frames * FIFO_PARTITIONS} steps.")


def _specs(n: int, seed: int):
    from seqkit.domains.video.procedural import random_spec

    rng = np.random.default_rng(seed)
    return [random_spec(rng) for _ in range(n)]


def section_seams(root: Path, steps: dict[str, int], threads: int, length: int, prompts: int,
                  samples: int) -> tuple[str, dict]:
    from seqkit.data.video_files import from_uint8
    from seqkit.domains.video.metrics import sample_variance, seam_ratio
    from seqkit.domains.video.procedural import render
    from seqkit.domains.video.timed_prompts import TimedPrompt

    model, _, summaries = _trained(root, steps, threads)
    window = model.hparams.clip_frames
    specs = _specs(prompts, seed=1)
    rows = {}
    real = [from_uint8(render([(s, length)], model.hparams.image_size, seed=k)[0]) for k, s in enumerate(specs)]
    rows["real procedural videos"] = {"seam": float(np.mean([seam_ratio(v[None], window) for v in real])),
                                      "variance": None, "seconds": None}
    for label, method, overrides in METHODS:
        seams, variances, start = [], [], time.perf_counter()
        for k, spec in enumerate(specs):
            videos = model.generate([TimedPrompt(spec.caption, 0, length)], seed=100 * k, batch=samples,
                                    method=method, **_overrides(overrides, window))
            seams.append(seam_ratio(videos, window))
            variances.append(sample_variance(videos))
        rows[label] = {"seam": float(np.mean(seams)), "variance": float(np.mean(variances)),
                       "seconds": (time.perf_counter() - start) / (prompts * samples)}
        print(label, rows[label], flush=True)
    base = rows["isolated clips (S = W)"]["variance"]
    lines = ["## Seams and over-smoothing", "", _training_line(summaries, steps, model.hparams) + " "
             f"{prompts} single-prompt videos of {length} frames × {samples} samples each (seeds shared across "
             "methods). Seam ratio: mean squared frame-to-frame change across the boundaries of disjoint "
             f"{window}-frame clips over the change elsewhere (1 = no seam). Variance: per frame and pixel across "
             "the samples of a prompt; isolated clips are the short-clip model's own samples, so variance / "
             "isolated < 1 is the over-smoothing cost of averaging windows.", "",
             "| method | seam ratio ↓ (1 = none) | variance across samples | vs isolated | s per video |",
             "|---|---|---|---|---|"]
    for label, r in rows.items():
        var = "–" if r["variance"] is None else f"{r['variance']:.4f}"
        rel = "–" if r["variance"] is None else f"{r['variance'] / base:.2f}"
        sec = "–" if r["seconds"] is None else f"{r['seconds']:.1f}"
        lines.append(f"| {label} | {r['seam']:.2f} | {var} | {rel} | {sec} |")
    return "\n".join(lines), {"rows": rows, "runs": summaries, "length": length}


def section_conditions(root: Path, steps: dict[str, int], threads: int, length: int, samples: int
                       ) -> tuple[str, dict]:
    from seqkit.data.video_files import from_uint8
    from seqkit.domains.video.attribute_classifier import CLASSES
    from seqkit.domains.video.metrics import attribute_accuracy, segment_accuracy, transition_widths
    from seqkit.domains.video.procedural import ATTRIBUTES, scheduled_video
    from seqkit.domains.video.timed_prompts import TimedPrompt

    model, classifier, summaries = _trained(root, steps, threads)
    window = model.hparams.clip_frames
    seed = 7
    specs = _specs(3, seed)
    while any(a.colour == b.colour for a, b in itertools.pairwise(specs)):  # each change alters the colour
        seed += 1
        specs = _specs(3, seed)
    truth, spans = scheduled_video(specs, length, model.hparams.image_size, seed=0)
    prompts = [TimedPrompt(s.caption, a, b) for s, (a, b) in zip(specs, spans, strict=True)]
    labels = [s.labels() for s in specs]
    colour = ATTRIBUTES.index("colour")

    def judge(videos: torch.Tensor) -> dict:
        acc, per_attribute, widths, colour_widths = [], [], [], []
        for v in videos:
            predicted = classifier.per_frame(v)
            acc.append(segment_accuracy(predicted, labels, spans, margin=window // 2))
            per_attribute.append(attribute_accuracy(predicted, labels, spans, margin=window // 2).mean(axis=0))
            widths.append(transition_widths(predicted, labels, spans, reach=window))
            colour_widths.append(transition_widths(predicted[:, [colour]], [[c[colour]] for c in labels], spans,
                                                   reach=window))
        return {"accuracy": np.mean(acc, axis=0).tolist(), "width": np.mean(widths, axis=0).tolist(),
                "colour_width": np.mean(colour_widths, axis=0).tolist(),
                "attributes": dict(zip(ATTRIBUTES, np.mean(per_attribute, axis=0).tolist(), strict=True))}

    rows = {"real scheduled video": judge(from_uint8(truth)[None])}
    for label, method, overrides in METHODS:
        start = time.perf_counter()
        videos = model.generate(prompts, seed=0, batch=samples, method=method, **_overrides(overrides, window))
        rows[label] = {**judge(videos), "seconds": (time.perf_counter() - start) / samples}
        print(label, rows[label], flush=True)
    lines = ["## Prompt changes: per-prompt accuracy and transition width", "",
             _training_line(summaries, steps, model.hparams) + f" One {length}-frame video from three timed prompts "
             f"({'; '.join(f'{p.start}–{p.end - 1}: “{p.text}”' for p in prompts)}), {samples} samples per method. "
             "Accuracy: share of a prompt's frames (less W/2 at each change) whose five attributes (shape, colour, "
             "size, motion, speed) the classifier, trained on real clips, reads as that prompt's; width: frames "
             "between the first that stops looking like the old prompt and the last that does not yet look like "
             f"the new one, within W of each change (all the attributes that change; colour alone, which every change "
             f"alters), {2 * window} when it never settles. The classifier reads 4-frame snippets, so even the real "
             "video has a width of a few frames.", "",
             "| method | accuracy prompt 1 | prompt 2 | prompt 3 | width change 1 | change 2 | colour width 1 | 2 |",
             "|---|---|---|---|---|---|---|---|"]
    for label, r in rows.items():
        a, w, c = r["accuracy"], r["width"], r["colour_width"]
        lines.append(f"| {label} | {a[0]:.2f} | {a[1]:.2f} | {a[2]:.2f} | {w[0]:.1f} | {w[1]:.1f} | {c[0]:.1f} | "
                     f"{c[1]:.1f} |")
    lines += ["", "Each attribute alone (share of the three prompts' frames, less W/2 at each change, read as the "
              "prompt's), which shows what a method renders when it misses the whole caption; chance is "
              + ", ".join(f"1/{n} {k}" for k, n in zip(ATTRIBUTES, CLASSES, strict=True)) + ".", "",
              "| method | " + " | ".join(ATTRIBUTES) + " |", "|---|" + "---|" * len(ATTRIBUTES)]
    for label, r in rows.items():
        lines.append(f"| {label} | " + " | ".join(f"{r['attributes'][k]:.2f}" for k in ATTRIBUTES) + " |")
    return "\n".join(lines), {"rows": rows, "prompts": [list(p) for p in prompts], "runs": summaries}


def _one_scaling_point(method: str, overrides: dict, length: int, threads: int) -> dict:
    """In a fresh process: the time and peak RSS of one video of ``length`` frames."""
    from seqkit.domains.video.data import VideoDataModule
    from seqkit.domains.video.procedural import ALL_SPECS
    from seqkit.domains.video.timed_prompts import TimedPrompt
    from seqkit.domains.video.video_diffusion import VideoDiffusion

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = VideoDiffusion(vocabulary=VideoDataModule().vocabulary, **_shipped_model_args()).eval()
    prompts = [TimedPrompt(ALL_SPECS[0].caption, 0, length // 2), TimedPrompt(ALL_SPECS[7].caption, length // 2,
                                                                                 length)]
    before = current_rss_bytes()
    reset_peak_rss()
    start = time.perf_counter()
    model.generate(prompts, seed=0, method=method, **overrides)
    return {"seconds": time.perf_counter() - start, "peak_mib": (peak_rss_bytes() - before) / 2 ** 20}


def section_scaling(threads: int, lengths: list[int], n_steps: int) -> tuple[str, dict]:
    from seqkit.domains.video.video_diffusion import VideoDiffusion

    h = VideoDiffusion(**_shipped_model_args()).hparams  # the shipped settings with the class defaults
    window, side = h["clip_frames"], h["image_size"]
    rows = {}
    for label, method, overrides in METHODS:
        if method == "co_denoising" and overrides["weighting"] == "triangular":
            continue  # the weights cost nothing: the same windows as the uniform rows
        if method == "fifo":  # one window per iteration over a W-level queue: its cheapest form
            label, overrides = "FIFO-Diffusion (n = 1, no lookahead)", {"partitions": 1, "lookahead": False}
        else:
            overrides = {**_overrides(overrides, window), "n_inference_steps": n_steps}
        rows[label] = {}
        for n in lengths:
            arg = json.dumps({"method": method, "overrides": overrides, "length": n, "threads": threads})
            out = subprocess.run([sys.executable, __file__, "--one", arg], capture_output=True, text=True, check=True)
            rows[label][n] = json.loads(out.stdout.strip().splitlines()[-1])
            print(label, n, rows[label][n], flush=True)
    head = " | ".join(f"{n} frames: s, MiB" for n in lengths)
    lines = ["## Time and memory against video length", "",
             f"One video of L frames (two timed prompts), the shipped model (`video_clip.yaml`: {window} × {side} × "
             f"{side} clips, width {h['d_model']}, {h['depth']} space-time blocks, temporal {h['temporal_mixer']}) "
             f"with untrained weights, DDIM {n_steps} steps with guidance (time grows linearly with the step count; "
             f"FIFO: its forced f·n = {window} levels), windows batched {h['window_batch']} at a time; a "
             "fresh process per point; peak = RSS high-water mark above the RSS before sampling. Linear time shows "
             "as a constant s per frame, flat memory as a peak that does not grow with L (beyond the latent buffer, "
             f"{3 * side * side * 4 / 1024:g} KiB per frame).", "",
             f"| method | {head} | s per frame at {lengths[-1]} vs {lengths[0]} |",
             "|---|" + "---|" * (len(lengths) + 1)]
    for label, r in rows.items():
        cells = " | ".join(f"{r[n]['seconds']:.1f} s, {r[n]['peak_mib']:.0f}" for n in lengths)
        ratio = (r[lengths[-1]]["seconds"] / lengths[-1]) / (r[lengths[0]]["seconds"] / lengths[0])
        lines.append(f"| {label} | {cells} | {ratio:.2f} |")
    return "\n".join(lines), {"rows": {k: {str(n): v for n, v in r.items()} for k, r in rows.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", choices=["seams", "conditions", "scaling"],
                        default=["seams", "conditions", "scaling"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-steps", type=int, nargs=2, default=[2000, 1000], metavar=("CLIP", "CLASSIFIER"))
    parser.add_argument("--runs", type=Path, default=Path("runs/video_benchmark"))
    parser.add_argument("--seam-length", type=int, default=64)
    parser.add_argument("--prompts", type=int, default=4, help="seams: single-prompt videos")
    parser.add_argument("--samples", type=int, default=4, help="seams, conditions: samples per prompt")
    parser.add_argument("--condition-length", type=int, default=256)
    parser.add_argument("--lengths", type=int, nargs="+", default=[64, 256, 1024], help="scaling")
    parser.add_argument("--scaling-steps", type=int, default=10, help="scaling: DDIM steps of the window methods")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        spec = json.loads(args.one)
        print(json.dumps(_one_scaling_point(spec["method"], spec["overrides"], spec["length"], spec["threads"])))
        return
    steps = dict(zip(STAGES, args.train_steps, strict=True))
    for section in args.sections:
        if section == "seams":
            text, figures = section_seams(args.runs, steps, args.threads, args.seam_length, args.prompts,
                                          args.samples)
        elif section == "conditions":
            text, figures = section_conditions(args.runs, steps, args.threads, args.condition_length, args.samples)
        else:
            text, figures = section_scaling(args.threads, args.lengths, args.scaling_steps)
        markers = (f"<!-- video:{section} -->", f"<!-- /video:{section} -->")
        text = provenance.stamp(REPORT, f"{text}\n\n{_machine(args.threads)}", MEASURES[section], figures,
                                section=f"video:{section}")
        replace_section(REPORT, markers, f"{markers[0]}\n{text}\n{markers[1]}", "Long-video benchmarks")
        print(text, flush=True)


if __name__ == "__main__":
    main()
