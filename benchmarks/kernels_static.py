"""What every Triton launch needs on each GPU generation, measured on this GPU-less machine.

Compiles each kernel as the dispatcher launches it (``ssd_tile_plan`` / ``attention_tile_plan``) and, as
the baseline in the same run, as the earlier fixed launch (64-wide blocks and chunks, 4 warps, 8 for
``chunk_bwd``; fp32 always with IEEE dots), for sm_86 (RTX 30xx/A10, the least shared memory per block: 99 KB)
and sm_90 (H100/H200: 227 KB). Reports shared memory per block, registers per thread and bytes spilled by
ptxas, and counts the launches that could not start on each card ("out of resource: shared memory").

Shapes: Mamba-2 heads (P = 64) with d_state 64 and 128; attention heads of 64 and 128, with and without
LM-Infinite's far q/k (the Λ-mask's sink scores). Data types: bf16, fp32 with TF32 dots (torch's "high"
matmul precision) and fp32 with IEEE dots ("highest", the default).

    python benchmarks/kernels_static.py [--write] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import provenance  # benchmarks/provenance.py
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))  # the repository's tools/ folder
import triton_inspect as ti  # noqa: E402

# The code whose behaviour these figures measure (tests/benchmarks/test_results_provenance.py checks it).
MEASURES = ("benchmarks/kernels_static.py", "tools/triton_inspect.py", "seqkit/kernels/triton_dot.py",
            "seqkit/kernels/ssd/triton.py", "seqkit/kernels/window_attention/triton.py")

ARCHS = (86, 90)
PRECISIONS = {"bf16": (torch.bfloat16, False), "fp32 TF32": (torch.float32, False),
              "fp32 IEEE": (torch.float32, True)}
SSD_SHAPES = {"P64 N64": (64, 64), "P64 N128": (64, 128)}
ATTN_SHAPES = {"d64": (64, False), "d64 far": (64, True), "d128": (128, False), "d128 far": (128, True)}


def launches(variant: str, label: str) -> list[tuple[str, ti.Launch]]:
    """(shape name, launch) of every kernel for one precision; ``variant`` is "plan" or "fixed64"."""
    dtype, ieee = PRECISIONS[label]
    fixed = variant == "fixed64"
    if fixed:  # the launch before tile plans: fp32 always took IEEE dots
        ieee = dtype == torch.float32
    size, warps = (64, 4) if fixed else (None, None)
    out = []
    for name, (p, n) in SSD_SHAPES.items():
        for launch in ti.ssd_launches(p, n, dtype, ieee, chunk=size, num_warps=warps):
            if fixed and launch.name == "chunk_bwd_kernel":
                launch = ti.Launch(launch.kernel, launch.constexprs, 8)
            out.append((name, launch))
    for name, (d, far) in ATTN_SHAPES.items():
        out += [(name, launch) for launch in ti.attention_launches(d, dtype, ieee, far, block=size, num_warps=warps)]
    return out


def measure(job: tuple[str, str, int, int]) -> tuple[tuple[str, str, int, int], ti.Resources | str]:
    variant, label, index, arch = job
    _, launch = launches(variant, label)[index]
    try:
        return job, ti.resources(launch, PRECISIONS[label][0], arch)
    except Exception as err:  # a kernel that does not compile is a result too
        return job, f"{type(err).__name__}"


def tile(launch: ti.Launch) -> str:
    size = launch.constexprs.get("T", launch.constexprs.get("BM"))
    return f"{size}/{launch.num_warps}w"


def report(results: dict, seconds: float, labels: list[str]) -> str:
    lines = ["# Triton launches: shared memory, registers and spills per GPU generation", "",
             "Measured by `benchmarks/kernels_static.py` on a machine without a GPU: each kernel compiled for the",
             "target with Triton " + __import__("triton").__version__ + " and its bundled ptxas (nothing launched). "
             "`fixed64` is the launch before tile plans (64-wide blocks/chunks, 4 warps, 8 for chunk_bwd, IEEE fp32 "
             "dots); `plan` is what the dispatcher launches now. Shared memory is per block, in KiB (limits: "
             "sm_86/89 99, sm_80 163, sm_90 227); **bold** means the launch cannot start on that card. Spills are "
             "bytes of ptxas spill stores per thread on sm_90.", ""]
    summary = {}
    for label in labels:
        lines += [f"## {label}", "",
                  "| shape | kernel | fixed64 tile | shared sm_86 / sm_90 | regs | spill B | plan tile | "
                  "shared sm_86 / sm_90 | regs | spill B |", "|" + "---|" * 10]
        plan, fixed = launches("plan", label), launches("fixed64", label)
        for index, ((shape, new), (_, old)) in enumerate(zip(plan, fixed, strict=True)):
            cells = [shape, new.name.removesuffix("_kernel")]
            for variant, launch in (("fixed64", old), ("plan", new)):
                got = {arch: results[(variant, label, index, arch)] for arch in ARCHS}
                shared = []
                for arch in ARCHS:
                    r = got[arch]
                    if isinstance(r, str):
                        shared.append(r)
                        continue
                    kib = f"{r.shared_bytes / 1024:.0f}"
                    over = r.shared_bytes > ti.SHARED_LIMIT[arch]
                    shared.append(f"**{kib}**" if over else kib)
                    key = (label, variant, arch)
                    fails, spill = summary.get(key, (0, 0))
                    summary[key] = (fails + over, spill + (r.spill_bytes if arch == 90 else 0))
                h = got[90]
                regs, spill = (h.registers, h.spill_bytes) if not isinstance(h, str) else ("-", "-")
                cells += [tile(launch), " / ".join(shared), str(regs), str(spill)]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["## Summary", "", "| dtype | launches | fixed64: cannot start on sm_86 / sm_90 | fixed64: spill B "
              "(sum, sm_90) | plan: cannot start on sm_86 / sm_90 | plan: spill B (sum, sm_90) |",
              "|---|---|---|---|---|---|"]
    for label in labels:
        n = len(launches("plan", label))
        row = [label, str(n)]
        for variant in ("fixed64", "plan"):
            fails = " / ".join(str(summary.get((label, variant, arch), (0, 0))[0]) for arch in ARCHS)
            row += [fails, str(summary.get((label, variant, 90), (0, 0))[1])]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", f"Compile time: {seconds / 60:.1f} min on this machine.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write benchmarks/results/kernels_static.md")
    parser.add_argument("--workers", type=int, default=2, help="compile processes (this machine has 2 cores)")
    parser.add_argument("--only", choices=list(PRECISIONS), help="one data type (quick look; not written)")
    args = parser.parse_args(argv)
    labels = [args.only] if args.only else list(PRECISIONS)
    jobs = [(variant, label, index, arch) for label in labels for variant in ("plan", "fixed64")
            for index in range(len(launches(variant, label))) for arch in ARCHS]
    # the slowest compiles (IEEE fp32 with 64-wide tiles) first, so the pool does not end on one of them
    jobs.sort(key=lambda j: (j[0] != "fixed64", j[1] != "fp32 IEEE"))
    start = time.perf_counter()
    results = {}
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        for done, (job, res) in enumerate(pool.map(measure, jobs), 1):
            results[job] = res
            print(f"\r{done}/{len(jobs)} compiled", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    text = report(results, time.perf_counter() - start, labels)
    print(text)
    if args.write and not args.only:
        out = Path(__file__).with_name("results") / "kernels_static.md"
        text = provenance.stamp(out, text, MEASURES) + "\n"
        tmp = out.with_suffix(".md.tmp")
        tmp.write_text(text)
        tmp.replace(out)
    return text


if __name__ == "__main__":
    main()
