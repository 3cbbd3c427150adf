"""Benchmark seqkit's token mixers and their kernels against naive references (CPU, float32).

What: tokens/s of forward+backward and peak memory for every mixer in ``seqkit.mixers.MIXERS`` at
L = 1k, 4k, 16k (batch 2, d_model 256), plus, in the same run, the kernels against naive references:

* ``ssd``: ``ssd_scan_chunked`` vs ``ssd_scan_reference`` (the step-by-step recurrence, O(L) backward),
  at mamba2's inner shape for d_model=256: x (B, L, H=8, P=64), N=64, one group.
* ``window``: ``window_attention_blocked`` vs dense masked SDPA (an (L, L) bool window mask) vs
  ``window_attention_reference`` (explicit O(L^2) einsum + softmax), w=256, B=2, H=4, head_dim 64.
* ``full``: causal full-attention SDPA at the same shape, for scale.

Why: to back the claims that the chunked SSD scan and the block-local window kernel are the fast,
linear-memory paths (verdict lines are computed from the measurements).

How: every (impl, L) runs in a fresh subprocess of this script (``--one <json>``) so peak memory is
clean: peak = RSS high-water mark after the timed runs minus the RSS (/proc/self/statm) right before the
inputs are allocated. The high-water mark is VmHWM, reset (clear_refs) just before the inputs, rather than
ru_maxrss, which a subprocess inherits from its launcher at exec (it would hide anything below the
launcher's own peak). Timing: 1 warm-up, then the median of ``--repeats`` runs with time.perf_counter; the
loss is a fixed random projection of the output. Fast paths are checked against their reference at
the group's smallest L before any timing (max |a-b| / max |b| over the output and input gradients).

    python benchmarks/mixers.py [--lengths 1024 4096 16384] [--threads 1] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import provenance  # benchmarks/provenance.py
import torch
import torch.nn.functional as F
from rss import current_rss_bytes, peak_rss_bytes, reset_peak_rss  # benchmarks/rss.py
from torch import Tensor

from seqkit.atomic_io import atomic_write
from seqkit.kernels.ssd import ssd_scan_chunked, ssd_scan_reference
from seqkit.kernels.window_attention import window_attention_blocked, window_attention_reference
from seqkit.mixers import MIXERS, build_mixer

D_MODEL = 256
SSD_HEADS, SSD_HEAD_DIM, SSD_STATE, SSD_CHUNK = 8, 64, 64, 64  # mamba2(256, expand=2, head_dim=64, d_state=64)
ATTN_HEADS, ATTN_HEAD_DIM, WINDOW = 4, 64, 256
REL_ERR_TOL = 1e-4
RESULTS = Path(__file__).resolve().parent / "results"
# The code whose behaviour these figures measure (tests/benchmarks/test_results_provenance.py checks it).
MEASURES = ("benchmarks/mixers.py", "benchmarks/rss.py", "seqkit/mixers", "seqkit/kernels/backend.py",
            "seqkit/kernels/segments.py", "seqkit/kernels/lse_attention.py", "seqkit/kernels/triton_dot.py",
            "seqkit/kernels/ssd", "seqkit/kernels/window_attention")

# Mixer rows: registry name -> [(key suffix, row label, build options, forward kwargs)]. Registry entries
# missing here are still benchmarked, with their default options.
MIXER_ROWS: dict[str, list[tuple[str, str, dict[str, Any], dict[str, Any]]]] = {
    "attention": [("", "attention (n_heads=4)", {"n_heads": 4}, {})],
    "window": [("_sinks4", "window (w=256, n_sinks=4)", {"window": WINDOW, "n_sinks": 4}, {}),
               ("_sinks0", "window (w=256, n_sinks=0)", {"window": WINDOW, "n_sinks": 0}, {})],
    "s4d": [("", "s4d (d_state=64)", {"d_state": 64}, {})],
    "mamba2": [("", "mamba2 (d_state=64, head_dim=64, T=64)", {"d_state": 64, "head_dim": 64, "chunk_size": 64},
                {})],
    "probsparse": [("", "probsparse (n_heads=4, non-causal)", {"n_heads": 4}, {"causal": False})],
    "none": [("", "none", {}, {})],
}


@dataclass
class Case:
    """Allocated inputs of one config: ``run()`` is the forward; the loss is ``(run() * proj).sum()``."""

    run: Callable[[], Tensor]
    proj: Tensor
    inputs: list[Tensor]  # input tensors whose gradients the correctness check compares
    params: list[Tensor] = field(default_factory=list)  # other leaves (module parameters)


@dataclass
class Impl:
    """One benchmarked implementation. ``prepare()`` runs before the RSS baseline (e.g. builds a module)
    and returns ``make(L, batch, seed) -> Case``, which allocates the inputs."""

    key: str
    group: str
    label: str
    prepare: Callable[[], Callable[[int, int, int], Case]]
    ref: str | None = None  # key of the reference this impl is checked against
    is_ref: bool = False
    est_bytes: Callable[[int, int], float] | None = None  # O(L^2) memory estimate -> skip above --max-dense-gb


# ----------------------------------------------------------------------------------------- inputs
def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _leaf(t: Tensor) -> Tensor:
    return t.requires_grad_(True)


def ssd_inputs(length: int, batch: int, seed: int) -> tuple[Tensor, ...]:
    """x (B, L, H, P), dt (B, L, H) log-uniform in [1e-3, 0.1], A (H,) in [-16, -1], B and C (B, L, 1, N)."""
    g = _gen(seed)
    x = torch.randn(batch, length, SSD_HEADS, SSD_HEAD_DIM, generator=g)
    lo, hi = math.log(1e-3), math.log(0.1)
    dt = torch.exp(torch.rand(batch, length, SSD_HEADS, generator=g) * (hi - lo) + lo)
    A = -(1.0 + 15.0 * torch.rand(SSD_HEADS, generator=g))
    B = torch.randn(batch, length, 1, SSD_STATE, generator=g)
    C = torch.randn(batch, length, 1, SSD_STATE, generator=g)
    proj = torch.randn(batch, length, SSD_HEADS, SSD_HEAD_DIM, generator=g)
    return (*(_leaf(t) for t in (x, dt, A, B, C)), proj)


def ssd_impl(kind: str) -> Callable[[], Callable[[int, int, int], Case]]:
    def prepare() -> Callable[[int, int, int], Case]:
        def make(length: int, batch: int, seed: int) -> Case:
            x, dt, A, B, C, proj = ssd_inputs(length, batch, seed)
            if kind == "chunked":
                run = lambda: ssd_scan_chunked(x, dt, A, B, C, chunk_size=SSD_CHUNK)[0]
            else:
                run = lambda: ssd_scan_reference(x, dt, A, B, C)[0]
            return Case(run, proj, [x, dt, A, B, C])
        return make
    return prepare


def window_mask(length: int, window: int) -> Tensor:
    """(L, L) bool: key j visible from query i iff 0 <= i - j < window (built from bool trils, no int64 L^2)."""
    ones = torch.ones(length, length, dtype=torch.bool)
    return ones.tril() & ~ones.tril(-window)


def attn_impl(kind: str) -> Callable[[], Callable[[int, int, int], Case]]:
    def prepare() -> Callable[[int, int, int], Case]:
        def make(length: int, batch: int, seed: int) -> Case:
            g = _gen(seed)
            shape = (batch, length, ATTN_HEADS, ATTN_HEAD_DIM)  # (B, L, H, d), the kernels' layout
            q, k, v = (_leaf(torch.randn(shape, generator=g)) for _ in range(3))
            qh, kh, vh = (t.transpose(1, 2) for t in (q, k, v))  # SDPA's (B, H, L, d): views, no copies
            proj = torch.randn(shape, generator=g)
            if kind == "blocked":
                run = lambda: window_attention_blocked(q, k, v, window=WINDOW, causal=True)
            elif kind == "reference":
                run = lambda: window_attention_reference(q, k, v, window=WINDOW, causal=True)
            elif kind == "sdpa_dense":
                mask = window_mask(length, WINDOW)  # built once per config: counted in memory, not in time
                run = lambda: F.scaled_dot_product_attention(qh, kh, vh, attn_mask=mask).transpose(1, 2)
            else:
                run = lambda: F.scaled_dot_product_attention(qh, kh, vh, is_causal=True).transpose(1, 2)
            return Case(run, proj, [q, k, v])
        return make
    return prepare


def mixer_impl(name: str, options: dict[str, Any], fwd_kwargs: dict[str, Any]
               ) -> Callable[[], Callable[[int, int, int], Case]]:
    def prepare() -> Callable[[int, int, int], Case]:
        torch.manual_seed(0)
        mixer = build_mixer(name, D_MODEL, **options)

        def make(length: int, batch: int, seed: int) -> Case:
            g = _gen(seed)
            x = _leaf(torch.randn(batch, length, D_MODEL, generator=g))
            proj = torch.randn(batch, length, D_MODEL, generator=g)
            return Case(lambda: mixer(x, **fwd_kwargs), proj, [x], list(mixer.parameters()))
        return make
    return prepare


def _reference_bytes(length: int, batch: int) -> float:
    """``window_attention_reference`` fwd+bwd: ~3 live (B, H, L, L) fp32 tensors + int64/bool (L, L) masks
    (measured 151 / 496 MB at L = 1k / 2k, B=2, torch 2.14)."""
    return 3 * batch * ATTN_HEADS * length**2 * 4 + 9 * length**2 + 3 * batch * length**2


def _sdpa_dense_bytes(length: int, batch: int) -> float:
    """Dense masked SDPA fwd+bwd: the bool mask plus ~2 bytes per (B, H) and L^2 in backward
    (measured 41 / 99 MB at L = 1k / 2k, B=2, torch 2.14)."""
    return length**2 + 2 * batch * ATTN_HEADS * length**2


def all_impls() -> dict[str, Impl]:
    impls: list[Impl] = []
    for name in MIXERS:
        for suffix, label, opts, fwd in MIXER_ROWS.get(name, [("", name, {}, {})]):
            impls.append(Impl(f"mixer/{name}{suffix}", "mixer", label, mixer_impl(name, opts, fwd)))
    impls += [
        Impl("ssd/chunked", "ssd", "ssd_scan_chunked (T=64)", ssd_impl("chunked"), ref="ssd/reference"),
        Impl("ssd/reference", "ssd", "ssd_scan_reference (step-by-step recurrence)", ssd_impl("reference"),
             is_ref=True),
        Impl("window/blocked", "window", "window_attention_blocked", attn_impl("blocked"), ref="window/reference"),
        Impl("window/sdpa_dense", "window", "SDPA + dense (L, L) bool mask", attn_impl("sdpa_dense"),
             ref="window/reference", est_bytes=_sdpa_dense_bytes),
        Impl("window/reference", "window", "window_attention_reference (einsum, O(L^2))", attn_impl("reference"),
             is_ref=True, est_bytes=_reference_bytes),
        Impl("full/sdpa_causal", "full", "SDPA is_causal (full attention)", attn_impl("sdpa_causal")),
    ]
    return {impl.key: impl for impl in impls}


# ------------------------------------------------------------------------------------- child side
def fwd_bwd(case: Case) -> tuple[float, bool]:
    """One forward+backward; returns (seconds, whether a backward ran)."""
    for t in (*case.inputs, *case.params):
        t.grad = None
    start = time.perf_counter()
    loss = (case.run() * case.proj).sum()
    backward = loss.requires_grad
    if backward:
        loss.backward()
    return time.perf_counter() - start, backward


def run_one(cfg: dict[str, Any]) -> dict[str, Any]:
    """Measure one (impl, L, batch) config in this (fresh) process."""
    torch.set_num_threads(cfg["threads"])
    make = all_impls()[cfg["impl"]].prepare()
    reset = reset_peak_rss()
    rss0 = current_rss_bytes()
    floor = peak_rss_bytes() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    case = make(cfg["L"], cfg["batch"], cfg["seed"])
    warm, backward = fwd_bwd(case)
    times = [warm]
    if warm <= cfg["max_seconds"]:
        times = [fwd_bwd(case)[0] for _ in range(cfg["repeats"])]
    peak = peak_rss_bytes() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": statistics.median(times), "runs": len(times), "over_budget": warm > cfg["max_seconds"],
            "backward": backward, "peak_mb": max(0, peak - rss0) / 2**20,
            "peak_floor_mb": max(0, floor - rss0) / 2**20, "peak_at_floor": peak <= floor and floor > rss0 + 2**20}


def triton_check_child(seed: int) -> dict[str, float]:
    """Run in a subprocess with TRITON_INTERPRET=1: the Triton kernels on CPU tensors against the same
    references and inputs as the PyTorch paths (smaller L: the interpreter is ~100x slower)."""
    from seqkit.kernels.ssd.triton import ssd_scan_triton
    from seqkit.kernels.window_attention.triton import window_attention_triton

    x, dt, A, B, C, proj = ssd_inputs(200, 1, seed)
    got = ssd_scan_triton(x, dt, A, B, C, chunk_size=SSD_CHUNK)[0]
    (got * proj).sum().backward()
    got = [got.detach(), *(t.grad for t in (x, dt, A, B, C))]
    ref = outputs_and_grads(Impl("ssd/reference", "ssd", "", ssd_impl("reference")), 200, 1, seed)
    errors = {"ssd/triton": max(rel_err(a, b) for a, b in zip(got, ref, strict=True))}
    case = attn_impl("reference")()(600, 1, seed)
    q, k, v = (t.detach().clone().requires_grad_() for t in case.inputs)
    out = window_attention_triton(q, k, v, window=WINDOW, causal=True)
    (out * case.proj).sum().backward()
    ref = outputs_and_grads(Impl("window/reference", "window", "", attn_impl("reference")), 600, 1, seed)
    errors["window/triton"] = max(rel_err(a, b) for a, b in zip([out.detach(), q.grad, k.grad, v.grad], ref,
                                                                 strict=True))
    return errors


def triton_check(seed: int) -> dict[str, float]:
    """The interpreted Triton check in a fresh process (TRITON_INTERPRET must be set before triton.jit runs)."""
    out = subprocess.run([sys.executable, __file__, "--triton-check"], capture_output=True, text=True,
                         env=dict(os.environ, TRITON_INTERPRET="1"), check=True).stdout
    return json.loads(next(ln for ln in out.splitlines() if ln.startswith("RESULT "))[7:])


# ------------------------------------------------------------------------------------ parent side
def rel_err(got: Tensor, want: Tensor) -> float:
    return ((got - want).abs().max() / want.abs().max().clamp_min(1e-30)).item()


def outputs_and_grads(impl: Impl, length: int, batch: int, seed: int) -> list[Tensor]:
    case = impl.prepare()(length, batch, seed)
    out = case.run()
    (out * case.proj).sum().backward()
    return [out.detach(), *(t.grad for t in case.inputs)]


def check(impls: dict[str, Impl], group: str, length: int, batch: int, seed: int) -> dict[str, float]:
    """Max relative error of each fast path vs its reference over the output and every input gradient."""
    errors: dict[str, float] = {}
    refs: dict[str, list[Tensor]] = {}
    for impl in impls.values():
        if impl.group != group or impl.ref is None:
            continue
        if impl.ref not in refs:
            refs[impl.ref] = outputs_and_grads(impls[impl.ref], length, batch, seed)
        got = outputs_and_grads(impl, length, batch, seed)
        errors[impl.key] = max(rel_err(a, b) for a, b in zip(got, refs[impl.ref], strict=True))
        print(f"check {impl.key} vs {impl.ref} at L={length}: max rel err {errors[impl.key]:.2e}", file=sys.stderr)
    return errors


@dataclass
class Row:
    impl: Impl
    length: int
    batch: int
    result: dict[str, Any] | None = None
    status: str = ""  # why there is no result (skipped, error, timeout)

    @property
    def tokens_per_s(self) -> float | None:
        return None if self.result is None else self.batch * self.length / self.result["seconds"]


def run_config(impl: Impl, length: int, batch: int, args: argparse.Namespace) -> Row:
    cfg = {"impl": impl.key, "L": length, "batch": batch, "threads": args.threads, "repeats": args.repeats,
           "max_seconds": args.max_seconds, "seed": args.seed}
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", json.dumps(cfg)]
    row = Row(impl, length, batch)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.config_timeout)
    except subprocess.TimeoutExpired:
        row.status = f"timeout > {args.config_timeout:.0f} s"
        return row
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode == 0 and lines:
        row.result = json.loads(lines[-1][len("RESULT "):])
    elif proc.returncode < 0:
        row.status = f"killed by signal {-proc.returncode}" + (" (OOM?)" if proc.returncode == -9 else "")
    else:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        row.status = f"error: {last[:120]}"
    return row


def scaled(rows: list[Row], key: str, length: int, batch: int, what: str) -> float:
    """Predict seconds or peak MB of ``key`` at (length, batch) from its two largest measured lengths, with the
    empirical power of L they imply (quadratic if only one was measured). Used for skip decisions only."""
    done = sorted((r for r in rows if r.impl.key == key and r.result is not None and not r.result["over_budget"]),
                  key=lambda r: r.length)
    if not done:
        return 0.0
    last = done[-1]
    value = last.result[what] / last.batch
    power = 2.0
    if len(done) > 1 and done[-2].result[what] > 0 and value > 0 and done[-2].length < last.length:
        prev = done[-2].result[what] / done[-2].batch
        power = max(1.0, math.log(value / prev) / math.log(last.length / done[-2].length))
    return value * batch * (length / last.length) ** power


def ssd_batch(rows: list[Row], length: int, args: argparse.Namespace) -> int:
    """SSD batch at this L: --batch, or 1 for every SSD impl at L >= 16k when a recurrence would take more than
    --max-seconds per run or more than --max-dense-gb of memory at full batch (predicted, decision only)."""
    if length < 16384 or args.ssd_batch_16k == "2":
        return args.batch
    if args.ssd_batch_16k == "1":
        return 1
    for key in ("ssd/reference",):
        if (scaled(rows, key, length, args.batch, "seconds") > args.max_seconds
                or scaled(rows, key, length, args.batch, "peak_mb") * 2**20 > args.max_dense_gb * 1e9):
            return 1
    return args.batch


def run_all(impls: dict[str, Impl], groups: dict[str, list[int]], args: argparse.Namespace) -> list[Row]:
    rows: list[Row] = []
    stopped: dict[str, str] = {}  # impl key -> why larger L are skipped
    todo = [(g, length, impl) for g, lengths in groups.items() for length in lengths
            for impl in impls.values() if impl.group == g]
    for i, (group, length, impl) in enumerate(todo, 1):
        batch = ssd_batch(rows, length, args) if group == "ssd" else args.batch
        est = 0.0
        if impl.est_bytes is not None:  # O(L^2) memory: the formula, or the measured trend if that is larger
            est = max(impl.est_bytes(length, batch), scaled(rows, impl.key, length, batch, "peak_mb") * 2**20)
        if impl.key in stopped:
            row = Row(impl, length, batch, status=f"skipped ({stopped[impl.key]})")
        elif est > args.max_dense_gb * 1e9:
            row = Row(impl, length, batch, status=f"skipped (est. {est / 1e9:.1f} GB > {args.max_dense_gb:g} GB)")
        else:
            row = run_config(impl, length, batch, args)
            if row.result is None:
                stopped[impl.key] = f"{row.status.split(':')[0]} at L={length}"
            elif row.result["over_budget"]:
                stopped[impl.key] = f"1 run > {args.max_seconds:g} s at L={length}"
        rows.append(row)
        what = row.status or f"{row.result['seconds'] * 1e3:,.1f} ms, {row.result['peak_mb']:,.0f} MB"
        print(f"[{i}/{len(todo)}] {impl.key} L={length} B={batch}: {what}", file=sys.stderr, flush=True)
    return rows


# --------------------------------------------------------------------------------------- report
def fmt_row(row: Row, errors: dict[str, float], smallest: dict[str, int]) -> str:
    impl = row.impl
    if row.result is None:
        ms, tps, mb = row.status, "–", "–"
    else:
        r = row.result
        ms = f"{r['seconds'] * 1e3:,.1f}" + (" *" if r["runs"] == 1 and r["over_budget"] else "")
        ms += "" if r["backward"] else " †"
        tps = f"{row.tokens_per_s:,.0f}"
        mb = f"{r['peak_mb']:,.0f}" if not r["peak_at_floor"] else f"≤ {r['peak_floor_mb']:,.0f}"
    if impl.ref is None and not impl.is_ref:
        err = "–"
    elif row.length != smallest[impl.group]:
        err = ""
    else:
        err = "ref" if impl.is_ref else f"{errors[impl.key]:.1e}"
    return f"| {impl.group} | {impl.label} | {row.length} | {row.batch} | {ms} | {tps} | {mb} | {err} |"


def find(rows: list[Row], key: str, length: int) -> Row | None:
    return next((r for r in rows if r.impl.key == key and r.length == length and r.result is not None), None)


def speed_verdict(rows: list[Row], name: str, fast: str, slow: str, lengths: list[int], want_len: int,
                  need: float) -> str:
    length = want_len if want_len in lengths else max(lengths)
    note = "" if length == want_len else f" ({want_len} not in this run)"
    f, s = find(rows, fast, length), find(rows, slow, length)
    head = f"VERDICT {name} speed at L={length}{note}:"
    if f is None or s is None:
        missing = ", ".join(k for k, r in ((fast, f), (slow, s)) if r is None)
        return f"{head} UNDETERMINED (no measurement for {missing}); need >= {need:g}x"
    ratio = f.tokens_per_s / s.tokens_per_s
    star = " (reference: 1 run)" if s.result["runs"] == 1 and s.result["over_budget"] else ""
    return (f"{head} {'PASS' if ratio >= need else 'FAIL'}: {f.impl.label} tokens/s / {s.impl.label}{star} "
            f"tokens/s = {ratio:.1f}x (need >= {need:g}x)")


def memory_verdict(rows: list[Row], name: str, key: str, lengths: list[int]) -> str:
    lo, hi = (4096, 16384) if {4096, 16384} <= set(lengths) else (min(lengths), max(lengths))
    a, b = find(rows, key, lo), find(rows, key, hi)
    head = f"VERDICT {name} memory {hi}/{lo}:"
    if a is None or b is None:
        return f"{head} UNDETERMINED (missing measurement of {key})"
    linear = hi / lo
    ratio = (b.result["peak_mb"] / b.batch) / max(a.result["peak_mb"] / a.batch, 1e-9)
    ok = ratio <= 1.25 * linear
    return (f"{head} {'PASS' if ok else 'FAIL'}: {a.impl.label} peak per sequence grows {ratio:.2f}x "
            f"(linear = {linear:g}, quadratic = {linear**2:g}; pass if <= {1.25 * linear:g})")


def machine() -> str:
    model = platform.processor()
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        model = next((ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Model name")), model)
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{model or 'unknown CPU'}, {os.cpu_count()} logical cores, load average {load}"


def report(rows: list[Row], errors: dict[str, float], groups: dict[str, list[int]], args: argparse.Namespace,
           started: str, seconds: float, triton_errors: dict[str, float] | None = None) -> str:
    smallest = {g: min(ls) for g, ls in groups.items()}
    lines = [
        "# Mixer and kernel benchmarks (CPU, float32, forward+backward)",
        "",
        f"- Date: {started}",
        f"- Machine: {machine()}; torch {torch.__version__}; threads {args.threads}",
        f"- Command: `python {shlex.join(sys.argv)}`",
        f"- Method: one subprocess per row; {args.repeats} timed run(s) after 1 warm-up, median; tokens/s = "
        "batch·L / median; peak MB = RSS high-water mark (VmHWM, reset just before the inputs) − RSS before the "
        f"inputs; wall time of this run {seconds / 60:.1f} min.",
        "",
        "| group | impl | L | batch | fwd+bwd ms (median) | tokens/s | peak MB | rel err vs ref |",
        "|---|---|---|---|---|---|---|---|",
        *(fmt_row(r, errors, smallest) for r in rows),
        "",
        f"`*` one run only: the warm-up took longer than --max-seconds={args.max_seconds:g}, so larger L of that "
        "impl are skipped (never extrapolated). `†` forward only (the output has no autograd graph). "
        "`≤ x` peak below the process's earlier high-water mark. rel err = max |a − b| / max |b| over the output "
        "and all input gradients, vs the group's reference, at the group's smallest L (must be < 1e-4). "
        "Dense configs are skipped when their estimated memory exceeds "
        f"--max-dense-gb={args.max_dense_gb:g}. The dense SDPA mask is built once per row (memory, not time).",
        "",
        speed_verdict(rows, "SSD", "ssd/chunked", "ssd/reference", groups.get("ssd", [0]), 16384, 10),
        memory_verdict(rows, "SSD", "ssd/chunked", groups.get("ssd", [0])),
        speed_verdict(rows, "window", "window/blocked", "window/sdpa_dense", groups.get("window", [0]), 8192, 4),
        memory_verdict(rows, "window", "window/blocked", groups.get("window", [0])),
    ]
    if triton_errors:
        lines += ["", "## Triton kernels, interpreted on this CPU (TRITON_INTERPRET=1)", "",
                  "The CUDA kernels (`seqkit/kernels/*/triton.py`) run by Triton's interpreter on CPU tensors, "
                  "against the same references and the same generated inputs as above, at L=200 (SSD, chunk 64) "
                  f"and L=600 (window {WINDOW}, causal); max relative error over the output and every input "
                  "gradient. Timings there mean nothing (the interpreter is ~100x slower); "
                  "benchmarks/kernels_gpu.py times them on a GPU.", "",
                  "| kernel | rel err vs ref | verdict |", "|---|---|---|"]
        lines += [f"| {k} | {e:.2e} | {'PASS' if e < REL_ERR_TOL else 'FAIL'} |" for k, e in triton_errors.items()]
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lengths", type=int, nargs="+", default=[1024, 4096, 16384], help="L for mixers and SSD")
    p.add_argument("--window-lengths", type=int, nargs="+", default=None,
                   help="L for the window/full groups (default: --lengths plus 8192, the verdict length)")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads in every subprocess")
    p.add_argument("--repeats", type=int, default=3, help="timed runs per config (median)")
    p.add_argument("--batch", type=int, default=2)
    p.add_argument("--max-seconds", type=float, default=120.0,
                   help="if the warm-up run exceeds this, report that one run (*) and skip larger L of that impl")
    p.add_argument("--config-timeout", type=float, default=1800.0, help="kill a config's subprocess after this")
    p.add_argument("--max-dense-gb", type=float, default=8.0, help="skip O(L^2)-memory configs estimated above this")
    p.add_argument("--ssd-batch-16k", choices=["auto", "1", "2"], default="auto",
                   help="SSD batch at L >= 16384 for all SSD impls; auto = 1 if a recurrence is predicted (from its "
                        "measured trend) to exceed --max-seconds or --max-dense-gb at full batch")
    p.add_argument("--groups", nargs="+", choices=["mixer", "ssd", "window", "full"],
                   default=["mixer", "ssd", "window", "full"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="smoke test: lengths 256 512, 1 repeat, results to "
                                                       "results/mixers-quick.md")
    p.add_argument("--out", type=Path, default=None, help="results markdown (default results/mixers.md)")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: run one config (JSON) and exit
    p.add_argument("--triton-check", action="store_true", help=argparse.SUPPRESS)  # internal: interpreted check
    args = p.parse_args(argv)
    if args.quick:
        args.lengths, args.window_lengths, args.repeats = [256, 512], [256, 512], 1
    if args.window_lengths is None:
        args.window_lengths = sorted(set(args.lengths) | {8192})
    if args.out is None:
        args.out = RESULTS / ("mixers-quick.md" if args.quick else "mixers.md")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.one is not None:
        print("RESULT " + json.dumps(run_one(json.loads(args.one))), flush=True)
        return 0
    if args.triton_check:
        print("RESULT " + json.dumps(triton_check_child(args.seed)), flush=True)
        return 0
    torch.set_num_threads(args.threads)
    started = subprocess.run(["date", "-u"], capture_output=True, text=True).stdout.strip()
    t0 = time.perf_counter()
    impls = all_impls()
    lengths = {"mixer": args.lengths, "ssd": args.lengths, "window": args.window_lengths,
               "full": args.window_lengths}
    groups = {g: sorted(lengths[g]) for g in args.groups}
    errors: dict[str, float] = {}
    for g in ("ssd", "window"):
        if g in groups:
            errors.update(check(impls, g, groups[g][0], args.batch, args.seed))
    triton_errors = triton_check(args.seed)
    print(f"interpreted Triton check: {triton_errors}", file=sys.stderr)
    bad = {k: e for k, e in {**errors, **triton_errors}.items() if not e < REL_ERR_TOL}
    if bad:
        print(f"correctness check failed (max rel err >= {REL_ERR_TOL:g}): {bad}", file=sys.stderr)
        return 1
    rows = run_all(impls, groups, args)
    text = report(rows, errors, groups, args, started, time.perf_counter() - t0, triton_errors)
    text = provenance.stamp(args.out, text, MEASURES) + "\n"
    print(text, end="")
    atomic_write(args.out, lambda fh: fh.write(text.encode()))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
