"""Motion benchmarks: format round trips, mocap import quality, inference time, frame-level training cost.

What (each a section of ``results/motion.md``, replaced on its own):

1. ``round_trips``: CMU 01_01.bvh → joints → 263-d → joints (our features, yaw wrap fixed), the shared
   derived clip (our extractor against its 263-d file; ``recover_from_ric`` of that file against its joints),
   and joints → BVH → joints (a take whose bone lengths vary after resampling, and one with constant lengths).
2. ``mocap_quality``: foot-skating ratio and jitter of the shared CMU takes imported by decimation (every 6th
   frame), by band-limited resampling, and with zero-phase low-pass smoothing on top.
3. ``aits``: average inference time per sample (50 DDIM steps, classifier-free guidance, VAE decode) of the
   Motion Mamba and MLD-like denoisers at the shipped sizes, batch 1 and 32, same run, same VAE.
4. ``frames_throughput``: the frame-level Motion Mamba denoiser's training tokens/s and peak memory at
   256, 1k and 4k frames (fresh process per point, batch 1): linear cost means flat tokens/s.
5. ``evaluation`` (``--source procedural`` or ``cmu``): trains, through ``seqkit-motion fit`` with the shipped
   configs and a number of optimiser steps each (``--train-steps``), the VAE, the motion–text evaluator, Motion Mamba
   and the MLD-like baseline, then scores one generated motion per test caption (at the real motion's length)
   in the evaluator's embedding space: FID, R-precision top-1/3 (pools of 32), MM-Dist, diversity, with the
   real test motions as the ceiling, plus foot skating and jitter of the joints. Runs resume where they stopped.

    SEQKIT_SHARED_DATA=../shared/data python benchmarks/motion.py --sections round_trips mocap_quality
    python benchmarks/motion.py --sections aits frames_throughput
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import provenance  # benchmarks/provenance.py
import torch
from console_fit import fit_stage  # benchmarks/console_fit.py
from report_sections import replace_section  # benchmarks/report_sections.py
from rss import current_rss_bytes, peak_rss_bytes, reset_peak_rss  # benchmarks/rss.py

REPORT = Path(__file__).parent / "results" / "motion.md"
DATA = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data")) / "motion"
_IMPORT = ["seqkit/domains/motion/bvh.py", "seqkit/domains/motion/asf_amc.py",
           "seqkit/domains/motion/forward_kinematics.py", "seqkit/domains/motion/joint_mapping.py",
           "seqkit/domains/motion/mocap_import.py", "seqkit/domains/motion/resampling.py",
           "seqkit/domains/motion/tpose.py", "seqkit/domains/motion/skeleton.py"]
_FEATURES = ["seqkit/domains/motion/humanml_features.py", "seqkit/domains/motion/rotations.py"]
_MODELS = ["seqkit/domains/motion/text_to_motion.py", "seqkit/domains/motion/motion_mamba.py",
           "seqkit/domains/motion/transformer_denoiser.py", "seqkit/domains/motion/motion_vae.py",
           "seqkit/caption_encoder.py", "seqkit/diffusion", "seqkit/mixers/mamba2.py",
           "seqkit/mixers/full_attention.py", "seqkit/mixers/attention_heads.py",
           "seqkit/mixers/sliding_window_attention.py", "seqkit/kernels/window_attention", "seqkit/backbone.py",
           "seqkit/kernels/ssd/__init__.py", "seqkit/kernels/ssd/chunked.py", "seqkit/kernels/backend.py"]
# The code whose behaviour each section measures (tests/benchmarks/test_results_provenance.py checks it).
MEASURES = {
    "round_trips": ("benchmarks/motion.py", *_IMPORT, *_FEATURES),
    "mocap_quality": ("benchmarks/motion.py", *_IMPORT, "seqkit/domains/motion/metrics.py",
                      "seqkit/domains/motion/texts.py"),
    "aits": ("benchmarks/motion.py", *_MODELS, "seqkit/domains/motion/vae_module.py"),
    "frames_throughput": ("benchmarks/motion.py", *_MODELS),
    "evaluation": ("benchmarks/motion.py", "benchmarks/console_fit.py", *_MODELS, *_IMPORT, *_FEATURES,
                   "seqkit/domains/motion/vae_module.py",
                   "seqkit/domains/motion/evaluator.py", "seqkit/domains/motion/evaluator_module.py",
                   "seqkit/domains/motion/metrics.py", "seqkit/domains/motion/data.py",
                   "seqkit/domains/motion/training_sets.py", "seqkit/domains/motion/procedural.py",
                   "seqkit/domains/motion/normalization.py", "seqkit/domains/motion/texts.py",
                   "seqkit/domains/motion/configs", "seqkit/optim.py"),
}
STAGES = ("motion_vae", "motion_evaluator", "motion_mamba", "mld_baseline")
VAL_EVERY = 50  # evaluation: optimiser steps between validations


def _machine(threads: int) -> str:
    return f"{threads} torch thread(s) on this machine's CPU (see provenance)."


def section_round_trips() -> str:
    from seqkit.domains.motion.body_joints import SMPL22_NAMES, SMPL22_PARENTS
    from seqkit.domains.motion.bvh import joints_to_bvh, normalise_bone_lengths, read_bvh
    from seqkit.domains.motion.forward_kinematics import forward_kinematics
    from seqkit.domains.motion.humanml_features import extract_features, recover_from_ric
    from seqkit.domains.motion.mocap_import import import_mocap

    lines = ["## Round trips", "", "| round trip | clip | max error | target |", "|---|---|---|---|"]
    figures = {}
    take = import_mocap(DATA / "cmu" / "01_01.bvh")  # (459, 22, 3) canonical, 20 fps
    joints = take.joints.double()
    feats = extract_features(joints, fix_yaw_wrap=True, canonicalize_first=False)
    back = recover_from_ric(feats)
    err = float((back - joints[:-1]).abs().max())
    figures["bvh_joints_263_joints_m"] = err
    lines.append(f"| BVH → joints → 263-d → joints (ours, yaw wrap fixed) | CMU 01_01, {joints.shape[0]} frames "
                 f"| {err:.1e} m | 1e-5 m |")

    derived_joints = np.load(DATA / "derived" / "cmu_01_01_joints22_20fps.npy").astype(np.float64)
    derived_263 = np.load(DATA / "derived" / "cmu_01_01_hml263.npy").astype(np.float64)
    ours = extract_features(derived_joints)
    err = float(np.abs(ours - derived_263)[1:-1].max())
    figures["extractor_vs_derived_263"] = err
    lines.append(f"| our 263-d extractor vs the shared derived 263-d file (interior frames) | derived 01_01 | "
                 f"{err:.1e} | 0.007 (its SOURCE.md) |")
    rec = recover_from_ric(derived_263)
    err = float(np.linalg.norm(rec - derived_joints[:-1], axis=-1).max())
    figures["recover_from_ric_vs_derived_joints_m"] = err
    lines.append(f"| `recover_from_ric`(derived 263-d) vs derived joints | derived 01_01 | {100 * err:.2f} cm | "
                 "1.0 cm (its SOURCE.md) |")

    with tempfile.TemporaryDirectory() as tmp:
        def bvh_round_trip(positions: np.ndarray) -> float:
            path = Path(tmp) / "out.bvh"
            joints_to_bvh(positions, SMPL22_PARENTS, list(SMPL22_NAMES), 1 / 20, path)
            read = read_bvh(path)
            fk = forward_kinematics(read.skeleton, read.motion).numpy()
            order = [read.skeleton.names.index(n) for n in SMPL22_NAMES]
            return float(np.abs(fk[:, order] - normalise_bone_lengths(positions, SMPL22_PARENTS)).max())

        varying = take.joints.double().numpy()
        bones = np.linalg.norm(varying[:, 1:] - varying[:, list(SMPL22_PARENTS[1:])], axis=-1)
        spread = float((bones.max(0) - bones.min(0)).max())
        err = bvh_round_trip(varying)
        figures["joints_bvh_joints_varying_m"] = err
        lines.append(f"| joints → BVH → joints, vs the input with fixed bone lengths | CMU 01_01 at 20 fps (bone "
                     f"lengths vary by up to {100 * spread:.1f} cm after resampling) | {err:.1e} m | 1e-4 m |")
        fixed = normalise_bone_lengths(varying, SMPL22_PARENTS)
        err = bvh_round_trip(fixed)
        figures["joints_bvh_joints_fixed_m"] = err
        lines.append(f"| joints → BVH → joints | the same with constant bone lengths | {err:.1e} m | 1e-4 m |")
    return "\n".join(lines), figures


def section_mocap_quality(cutoff_hz: float) -> tuple[str, dict]:
    from seqkit.domains.motion.metrics import foot_skating_ratio, jitter
    from seqkit.domains.motion.mocap_import import import_mocap
    from seqkit.domains.motion.texts import read_cmu_index

    trials = read_cmu_index(DATA / "cmu_daz" / "index.csv")
    variants = {"decimated (every 6th frame)": dict(resample="decimate"),
                "band-limited resampling": {},
                f"band-limited + {cutoff_hz:g} Hz low-pass": dict(smoothing_hz=cutoff_hz)}
    rows = {name: {"skate": [], "jitter": []} for name in variants}
    used = 0
    for trial in trials.values():
        path = DATA / "cmu_daz" / trial.file
        try:
            for name, options in variants.items():
                m = import_mocap(path, source_fps=trial.effective_fps, **options)
                rows[name]["skate"].append(foot_skating_ratio(m.joints))
                rows[name]["jitter"].append(jitter(m.joints))
            used += 1
        except ValueError:  # too short at 20 fps
            continue
    lines = ["## Imported mocap: foot skating and jitter", "",
             f"{used} of the {len(trials)} shared CMU takes (the others are shorter than 2 s at 20 fps), imported "
             "to SMPL-22 at 20 fps. Foot skating: share of frame steps where a toe within 5 cm of the floor "
             "slides more than 2.5 cm; jitter: mean jerk (m/s³) over joints and frames. Mean over takes.", "",
             "| import | foot skating | jitter (m/s³) |", "|---|---|---|"]
    figures = {}
    for name, r in rows.items():
        skate, jit = float(np.mean(r["skate"])), float(np.mean(r["jitter"]))
        figures[name] = {"foot_skating": skate, "jitter": jit}
        lines.append(f"| {name} | {skate:.3f} | {jit:.1f} |")
    return "\n".join(lines), figures


def _untrained_vae_checkpoint(path: Path) -> None:
    """An untrained VAE at the shipped size (timing does not depend on the weights)."""
    from seqkit.domains.motion.vae_module import MotionVAEModule

    module = MotionVAEModule(layers="attention*4", mixer_options={"attention": {"n_heads": 4}})
    torch.save({"state_dict": module.state_dict(), "hyper_parameters": dict(module.hparams)}, path)


def section_aits(threads: int, batches: list[int], repeats: int) -> tuple[str, dict]:
    from seqkit.domains.motion.text_to_motion import TextToMotion

    torch.set_num_threads(threads)
    vocab = ["a", "person", "walks", "forward", "jumps", "waves"]
    figures = {}
    lines = ["## Inference time per sample (AITS)", "",
             "50 DDIM steps with classifier-free guidance (both halves in one batch), caption encoding and VAE "
             f"decoding of 120 frames included; untrained weights at the shipped sizes (speed does not depend on "
             f"them). Median of {repeats} runs after a warm-up; seconds per sample = run time / batch.", "",
             "| denoiser | params | batch | s per sample |", "|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        vae = Path(tmp) / "vae.ckpt"
        _untrained_vae_checkpoint(vae)
        for name, options in (("motion_mamba", {"n_blocks": 5, "d_state": 16, "head_dim": 32}),
                              ("transformer", {"n_blocks": 7, "n_heads": 4})):
            model = TextToMotion(space="latent", denoiser=name, vae_checkpoint=str(vae), denoiser_options=options,
                                 vocabulary=vocab).eval()
            params = sum(p.numel() for p in model.denoiser.parameters())
            for b in batches:
                captions = ["a person walks forward"] * b
                times = []
                for i in range(repeats + 1):  # the first run warms up
                    start = time.perf_counter()
                    model.generate(captions, [120] * b, generator=torch.Generator().manual_seed(0))
                    if i:
                        times.append(time.perf_counter() - start)
                per = float(np.median(times)) / b
                figures[f"{name}_b{b}"] = {"params": params, "seconds_per_sample": per}
                lines.append(f"| {name} | {params / 1e6:.1f} M | {b} | {per:.3f} |")
                print(lines[-1], flush=True)
    lines += ["", "For reference (not measured here): the Motion Mamba paper's Fig. 4 gives AITS 0.058 s for Motion "
              "Mamba and 0.217 s for MLD on one V100 (arXiv 2403.07487)."]
    return "\n".join(lines), figures


def _one_frames_point(frames: int, threads: int) -> dict:
    """Run in a fresh process: one training step timing and its peak RSS at ``frames`` frames."""
    from seqkit.domains.motion.text_to_motion import TextToMotion

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = TextToMotion(space="frames", denoiser="motion_mamba", d_model=128,
                         denoiser_options={"n_blocks": 3, "d_state": 16, "head_dim": 32, "middle": "window",
                                           "middle_options": {"window": 64, "n_sinks": 2}},
                         vocabulary=["walk"]).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    batch = {"features": torch.randn(1, frames, 263), "padding": torch.zeros(1, frames, dtype=torch.bool),
             "caption_ids": torch.tensor([[2, 3]]), "lengths": torch.tensor([frames])}

    def step() -> None:
        loss = model._diffusion_loss(batch, 0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    before = current_rss_bytes()
    reset_peak_rss()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return {"frames": frames, "seconds": float(np.median(times)),
            "peak_mib": (peak_rss_bytes() - before) / 2 ** 20}


def section_frames_throughput(threads: int, lengths: list[int]) -> tuple[str, dict]:
    rows = []
    for n in lengths:
        out = subprocess.run([sys.executable, __file__, "--one", json.dumps({"frames": n, "threads": threads})],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    base = rows[0]
    lines = ["## Frame-level denoiser: training cost against motion length", "",
             "One AdamW step (forward + backward) of the frame-level Motion Mamba denoiser (`motion_frames.yaml` "
             "sizes: width 128, 3 + 1 + 3 blocks, HTM scans 5,3,1 | 1,3,5, windowed attention (64, 2 sinks) in the "
             "middle), batch 1, a fresh process per length; "
             "median of 3 steps after a warm-up; peak = RSS high-water mark of the steps above the RSS before them.",
             "", "| frames | s per step | frames/s | peak MiB | frames/s vs 256 | MiB per frame |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        fps = r["frames"] / r["seconds"]
        lines.append(f"| {r['frames']:,} | {r['seconds']:.3f} | {fps:,.0f} | {r['peak_mib']:.0f} | "
                     f"{fps / (base['frames'] / base['seconds']):.2f} | {r['peak_mib'] / r['frames']:.3f} |")
    return "\n".join(lines), {"points": rows}


def _fit(stage: str, root: Path, source: str, steps: int, threads: int, prediction: str = "eps") -> dict:
    """``seqkit-motion fit -c <stage>.yaml`` on ``source`` for ``steps`` optimiser steps (validated every 50: a CMU
    epoch is one step), resumed if a previous run stopped."""
    extra = [f"--data.init_args.source={source}"]
    if stage in ("motion_mamba", "mld_baseline"):
        extra += [f"--model.init_args.vae_checkpoint={root / 'motion_vae' / 'checkpoints' / 'last.ckpt'}",
                  f"--model.init_args.prediction={prediction}"]
    return fit_stage("seqkit.domains.motion.cli", stage, root, steps, threads, VAL_EVERY, extra)


def _embed(evaluator, features: list[np.ndarray], batch: int = 64) -> np.ndarray:
    """Evaluator embeddings of un-normalised feature sequences of any lengths."""
    out = []
    for i in range(0, len(features), batch):
        chunk = features[i:i + batch]
        lengths = torch.tensor([len(f) for f in chunk])
        padded = torch.zeros(len(chunk), int(lengths.max()), chunk[0].shape[1])
        for k, f in enumerate(chunk):
            padded[k, :len(f)] = torch.as_tensor(np.asarray(f, dtype=np.float32))
        with torch.no_grad():
            out.append(evaluator.embed_motions(padded, lengths).numpy())
    return np.concatenate(out)


def _scores(text: np.ndarray, motion: np.ndarray, real: np.ndarray, pool: int) -> dict:
    from seqkit.domains.motion.metrics import diversity, frechet_distance, matching_distance, r_precision

    top = r_precision(text, motion, pool=pool, top_k=3)
    return {"fid": frechet_distance(real, motion), "top1": float(top[0]), "top3": float(top[2]),
            "mm_dist": matching_distance(text, motion), "diversity": diversity(motion, n_pairs=min(300, len(motion)))}


def section_evaluation(source: str, steps: dict[str, int], threads: int, runs: Path,
                       prediction: str = "eps") -> tuple[str, dict]:
    from seqkit.domains.motion.data import MotionDataModule
    from seqkit.domains.motion.evaluator_module import MotionTextEvaluatorModule
    from seqkit.domains.motion.humanml_features import recover_from_ric
    from seqkit.domains.motion.metrics import foot_skating_ratio, jitter
    from seqkit.domains.motion.text_to_motion import TextToMotion

    root = runs / source
    summaries = {stage: _fit(stage, root, source, steps[stage], threads, prediction) for stage in STAGES}
    torch.set_num_threads(threads)
    dm = MotionDataModule(source=source)
    test = dm.split("test")
    captions = [r.captions[0] for r in test]
    lengths = [min(r.n_frames, 196) for r in test]
    real_features = [np.asarray(r.features[:n]) for r, n in zip(test, lengths, strict=True)]
    ckpt = {s: root / s / "checkpoints" / "last.ckpt" for s in STAGES}
    evaluator = MotionTextEvaluatorModule.load_from_checkpoint(ckpt["motion_evaluator"], map_location="cpu",
                                                               weights_only=True).eval()
    with torch.no_grad():
        text = np.concatenate([evaluator.embed_captions(captions[i:i + 64]).numpy()
                               for i in range(0, len(captions), 64)])
    real = _embed(evaluator, real_features)
    pool = min(32, len(test))

    def physical(features: list[np.ndarray]) -> tuple[float, float]:
        joints = [recover_from_ric(torch.as_tensor(np.asarray(f, dtype=np.float64))) for f in features]
        return (float(np.mean([foot_skating_ratio(j) for j in joints])), float(np.mean([jitter(j) for j in joints])))

    rows = {"real test motions": {**_scores(text, real, real, pool), "train_minutes": None,
                                  "skate_jitter": physical(real_features)}}
    generator = torch.Generator().manual_seed(0)
    for stage, label in (("motion_mamba", "Motion Mamba"), ("mld_baseline", "MLD-like transformer")):
        model = TextToMotion.load_from_checkpoint(ckpt[stage], map_location="cpu", weights_only=True).eval()
        generated = []
        for i in range(0, len(test), 32):
            out = model.generate(captions[i:i + 32], lengths[i:i + 32], generator=generator)
            generated += [out["features"][k, :n].numpy() for k, n in enumerate(lengths[i:i + 32])]
        motion = _embed(evaluator, generated)
        rows[label] = {**_scores(text, motion, real, pool),
                       "train_minutes": summaries[stage]["fit_seconds"] / 60,
                       "params": sum(p.numel() for p in model.denoiser.parameters()),
                       "skate_jitter": physical(generated)}
        print(label, rows[label], flush=True)
    title = f"## Text-to-motion on {source} motions: Motion Mamba against the MLD-like baseline"
    lines = [title + ("" if prediction == "eps" else ", v-prediction"), "",
             f"Each stage trained by `seqkit-motion fit -c <stage>.yaml --data.init_args.source={source} "
             f"--trainer.max_steps=<steps>` (shipped configs, batch 32, validated every {VAL_EVERY} steps): "
             f"VAE {steps['motion_vae']} steps "
             f"({summaries['motion_vae']['fit_seconds'] / 60:.0f} min), evaluator {steps['motion_evaluator']} steps "
             f"({summaries['motion_evaluator']['fit_seconds'] / 60:.0f} min), both denoisers "
             f"{steps['motion_mamba']} steps each (the same budget of data; their minutes are in the table), "
             + ("predicting ε as both papers do. " if prediction == "eps" else
                "predicting v (`--model.init_args.prediction=v`; the papers predict ε). ") +
             f"Scored on the {len(test)} test motions: one "
             f"generated motion per test caption at that motion's length (DDIM 50 steps, guidance 7.5, seed 0), "
             f"in the embedding space of our motion–text evaluator trained on the training split (not Guo et al.'s "
             f"HumanML3D evaluator, so the numbers are not comparable with the papers'). R-precision in pools of "
             f"{pool}; diversity over {min(300, len(test))} pairs; foot skating and jitter as in the mocap section.",
             "", "| motions | denoiser params | train min | FID ↓ | top-1 ↑ | top-3 ↑ | MM-Dist ↓ | diversity → real | "
             "foot skating | jitter (m/s³) |", "|---|---|---|---|---|---|---|---|---|---|"]
    for label, r in rows.items():
        params = f"{r['params'] / 1e6:.1f} M" if r.get("params") else "–"
        minutes_ = f"{r['train_minutes']:.0f}" if r["train_minutes"] is not None else "–"
        lines.append(f"| {label} | {params} | {minutes_} | {r['fid']:.3f} | {r['top1']:.3f} | {r['top3']:.3f} | "
                     f"{r['mm_dist']:.3f} | {r['diversity']:.3f} | {r['skate_jitter'][0]:.3f} | "
                     f"{r['skate_jitter'][1]:.1f} |")
    return "\n".join(lines), {"source": source, "rows": rows, "runs": {k: v for k, v in summaries.items()}}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        args = json.loads(sys.argv[2])
        print(json.dumps(_one_frames_point(args["frames"], args["threads"])))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sections", nargs="+", default=["round_trips", "mocap_quality", "aits", "frames_throughput"],
                        choices=list(MEASURES))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32], help="aits: batch sizes")
    parser.add_argument("--repeats", type=int, default=3, help="aits: timed runs per point")
    parser.add_argument("--lengths", type=int, nargs="+", default=[256, 1024, 4096], help="frames_throughput")
    parser.add_argument("--cutoff-hz", type=float, default=6.0, help="mocap_quality: low-pass cut-off")
    parser.add_argument("--source", default="procedural", choices=["procedural", "cmu"], help="evaluation: data")
    parser.add_argument("--train-steps", type=int, nargs=3, default=[1000, 1500, 1500],
                        metavar=("VAE", "EVALUATOR", "DENOISERS"), help="evaluation: optimiser steps per stage")
    parser.add_argument("--prediction", choices=["eps", "v"], default="eps",
                        help="evaluation: what the denoisers predict (the papers: eps)")
    parser.add_argument("--runs", type=Path, default=Path("runs/motion_benchmark"), help="evaluation: run folders")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for section in args.sections:
        if section == "round_trips":
            text, figures = section_round_trips()
        elif section == "mocap_quality":
            text, figures = section_mocap_quality(args.cutoff_hz)
        elif section == "aits":
            text, figures = section_aits(args.threads, args.batches, args.repeats)
        elif section == "evaluation":
            vae, evaluator, denoisers = args.train_steps
            steps = {"motion_vae": vae, "motion_evaluator": evaluator, "motion_mamba": denoisers,
                     "mld_baseline": denoisers}
            text, figures = section_evaluation(args.source, steps, args.threads, args.runs, args.prediction)
        else:
            text, figures = section_frames_throughput(args.threads, args.lengths)
        name = section
        if section == "evaluation":
            name = f"{section}_{args.source}" + ("" if args.prediction == "eps" else f"_{args.prediction}")
        markers = (f"<!-- motion:{name} -->", f"<!-- /motion:{name} -->")
        text = provenance.stamp(REPORT, f"{text}\n\n{_machine(args.threads)}", MEASURES[section], figures,
                                section=f"motion:{name}")
        replace_section(REPORT, markers, f"{markers[0]}\n{text}\n{markers[1]}", "Motion benchmarks")
        print(text, flush=True)


if __name__ == "__main__":
    main()
