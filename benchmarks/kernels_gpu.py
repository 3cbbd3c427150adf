"""GPU benchmark of the Triton kernels against the PyTorch paths, SDPA and FlexAttention.

What, for L = 4k, 16k, 64k in bf16 and fp32, forward and forward+backward (``triton.testing.do_bench``
medians):

* ``ssd``: ``ssd_scan_triton`` vs ``ssd_scan_chunked`` (the PyTorch path) at Mamba-2's inner shape for
  d_model 512 (B=2, H=16, P=64, N=64, one group; the PyTorch path in chunks of 64, the Triton path in
  those of its tile plan, 64 in bf16 and 32 in fp32).
* ``window``: ``window_attention_triton`` (Λ-mask: window 1,024 + 4 sinks, causal) vs
  ``window_attention_blocked`` (PyTorch), FlexAttention with a block mask of the same Λ-mask, and SDPA
  with a dense (L, L) boolean mask (skipped where that mask would not fit); B=1, H=16, head_dim 64. Inputs are
  in seqkit's (B, L, H, d) layout; FlexAttention and SDPA get (B, H, L, d) views of them (no copies).

Every kernel is first checked against its reference on the device (relative error of the output and all
input gradients in fp32: SSD against the step-by-step recurrence at L=512, attention against the dense
reference at L=2,048); a failed check stops the run before any timing. Each row also gives the FLOPs and
the minimum bytes moved, and the achieved TFLOP/s and GB/s, so the gap to the card's limits is visible.
The table goes to stdout and, with ``--write``, to ``results/kernels_gpu.md`` under the card's name.

    python benchmarks/kernels_gpu.py --write            # on a CUDA machine
    TRITON_INTERPRET=1 python benchmarks/kernels_gpu.py --smoke   # CPU: tiny shapes, checks the script
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import provenance  # benchmarks/provenance.py
import torch
from torch import Tensor

RESULTS = Path(__file__).resolve().parent / "results" / "kernels_gpu.md"
# The code whose behaviour these figures measure (tests/benchmarks/test_results_provenance.py checks it).
MEASURES = ("benchmarks/kernels_gpu.py", "seqkit/kernels/backend.py", "seqkit/kernels/segments.py",
            "seqkit/kernels/triton_dot.py", "seqkit/kernels/ssd", "seqkit/kernels/window_attention")
SSD = {"batch": 2, "heads": 16, "head_dim": 64, "d_state": 64, "chunk": 64}
ATTN = {"batch": 1, "heads": 16, "head_dim": 64, "window": 1024, "n_sinks": 4}


def rel_err(got: Tensor, want: Tensor) -> float:
    return float((got.double() - want.double()).abs().max() / want.double().abs().max().clamp_min(1e-30))


def bench(fn: Callable[[], object], smoke: bool) -> float:
    """Median milliseconds of fn: do_bench on CUDA, a perf_counter loop in smoke mode (CPU)."""
    if smoke:
        fn()
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(times)
    import triton.testing

    return float(triton.testing.do_bench(fn, warmup=25, rep=100, return_mode="median"))


def _free(device: str) -> None:
    if device == "cuda":
        torch.cuda.empty_cache()


# ---------------------------------------------------------------- SSD

def ssd_inputs(length: int, dtype: torch.dtype, device: str, grad: bool) -> list[Tensor]:
    g = torch.Generator(device=device).manual_seed(0)
    b, h, p, n = SSD["batch"], SSD["heads"], SSD["head_dim"], SSD["d_state"]
    x = torch.randn(b, length, h, p, generator=g, device=device, dtype=dtype)
    dt = (torch.rand(b, length, h, generator=g, device=device) * 0.1 + 0.01).to(dtype)
    A = -torch.rand(h, generator=g, device=device) - 0.5
    B = torch.randn(b, length, 1, n, generator=g, device=device, dtype=dtype)
    C = torch.randn(b, length, 1, n, generator=g, device=device, dtype=dtype)
    return [t.requires_grad_(grad) for t in (x, dt, A, B, C)]


def ssd_flops_bytes(length: int, elem: int, T: int) -> tuple[float, float]:
    """Forward FLOPs of the chunked algorithm with chunk T and the bytes it must move at least (inputs once,
    y once)."""
    b, h, p, n = SSD["batch"], SSD["heads"], SSD["head_dim"], SSD["d_state"]
    per_token_head = 2 * T * n + 2 * T * p + 2 * p * n + 2 * n * p  # CBᵀ, scores·X, chunk state, state output
    flops = b * length * h * per_token_head
    moved = b * length * (2 * h * p + h + 2 * n) * elem
    return float(flops), float(moved)


def check_ssd(device: str, smoke: bool) -> dict[str, float]:
    from seqkit.kernels.ssd import ssd_scan_reference
    from seqkit.kernels.ssd.triton import ssd_scan_triton

    length = 64 if smoke else 512
    ins = ssd_inputs(length, torch.float32, device, grad=True)
    y, _ = ssd_scan_triton(*ins, chunk_size=16 if smoke else None)  # None: the dispatcher's tile plan
    ref_in = [t.detach().double().requires_grad_() for t in ins]
    y_ref, _ = ssd_scan_reference(*ref_in)
    w = torch.randn_like(y_ref)
    got = torch.autograd.grad((y.double() * w).sum(), ins)
    want = torch.autograd.grad((y_ref * w).sum(), ref_in)
    errors = {"y": rel_err(y, y_ref)}
    errors.update({f"d{name}": rel_err(a, r) for name, a, r in zip("x dt A B C".split(), got, want, strict=True)})
    return errors


def time_ssd(length: int, dtype: torch.dtype, device: str, smoke: bool) -> list[dict]:
    from seqkit.kernels.ssd import ssd_scan_chunked
    from seqkit.kernels.ssd.triton import ssd_scan_triton, ssd_tile_plan

    torch_chunk = 16 if smoke else SSD["chunk"]
    triton_chunk = 16 if smoke else ssd_tile_plan(SSD["head_dim"], SSD["d_state"], dtype)[0]  # what dispatch runs
    paths = {"Triton": (lambda *a: ssd_scan_triton(*a, chunk_size=triton_chunk)[0], triton_chunk),
             "PyTorch chunked": (lambda *a: ssd_scan_chunked(*a, chunk_size=torch_chunk)[0], torch_chunk)}
    rows = []
    for name, (fn, chunk) in paths.items():
        flops, moved = ssd_flops_bytes(length, torch.finfo(dtype).bits // 8, chunk)
        try:
            ins = ssd_inputs(length, dtype, device, grad=True)
            fwd = bench(lambda fn=fn, ins=ins: fn(*ins), smoke)
            y = fn(*ins)
            dy = torch.randn_like(y)
            both = bench(lambda fn=fn, ins=ins, dy=dy: torch.autograd.grad(fn(*ins), ins, dy), smoke)
        except torch.OutOfMemoryError:
            fwd = both = float("nan")
        del ins
        _free(device)
        rows.append({"kernel": "ssd", "path": f"{name} (chunk {chunk})", "L": length,
                     "dtype": str(dtype).split(".")[-1], "fwd_ms": fwd, "fwd_bwd_ms": both, "flops": flops,
                     "bytes": moved})
    return rows


# ---------------------------------------------------------------- window attention

def attn_inputs(length: int, dtype: torch.dtype, device: str) -> list[Tensor]:
    g = torch.Generator(device=device).manual_seed(0)
    shape = (ATTN["batch"], length, ATTN["heads"], ATTN["head_dim"])  # (B, L, H, d), the kernels' layout
    return [torch.randn(shape, generator=g, device=device, dtype=dtype).requires_grad_() for _ in range(3)]


def lambda_mask(length: int, window: int, n_sinks: int, device: str) -> Tensor:
    i = torch.arange(length, device=device)
    return ((i[:, None] - i[None, :] < window) | (i[None, :] < n_sinks)) & (i[:, None] >= i[None, :])


def attn_flops_bytes(length: int, elem: int) -> tuple[float, float]:
    """Forward FLOPs over the visible (query, key) pairs (QKᵀ and PV) and the bytes of q, k, v, o."""
    w, s = ATTN["window"], ATTN["n_sinks"]
    i = torch.arange(length, dtype=torch.float64)
    # query i: the window's min(i + 1, w) keys, plus the sinks that lie before the window
    pairs = float((torch.clamp(i + 1, max=w) + torch.clamp(torch.clamp(i - w + 1, min=0), max=s)).sum())
    flops = 4 * ATTN["batch"] * ATTN["heads"] * pairs * ATTN["head_dim"]
    moved = 4 * ATTN["batch"] * ATTN["heads"] * length * ATTN["head_dim"] * elem
    return float(flops), float(moved)


def check_window(device: str, smoke: bool) -> dict[str, float]:
    from seqkit.kernels.window_attention import window_attention_reference
    from seqkit.kernels.window_attention.triton import window_attention_triton

    length, window = (96 if smoke else 2048), ATTN["window"]
    q, k, v = attn_inputs(length, torch.float32, device)
    out = window_attention_triton(q, k, v, window=window, n_sinks=ATTN["n_sinks"], block=16 if smoke else None)
    ref_in = [t.detach().double().requires_grad_() for t in (q, k, v)]
    ref = window_attention_reference(*ref_in, window=window, n_sinks=ATTN["n_sinks"])
    w = torch.randn_like(ref)
    got = torch.autograd.grad((out.double() * w).sum(), (q, k, v))
    want = torch.autograd.grad((ref * w).sum(), ref_in)
    errors = {"o": rel_err(out, ref)}
    errors.update({f"d{name}": rel_err(a, r) for name, a, r in zip("qkv", got, want, strict=True)})
    return errors


def time_window(length: int, dtype: torch.dtype, device: str, smoke: bool) -> list[dict]:
    from seqkit.kernels.window_attention import window_attention_blocked
    from seqkit.kernels.window_attention.triton import window_attention_triton

    window, ns = ATTN["window"], ATTN["n_sinks"]
    paths: dict[str, Callable[..., Tensor]] = {
        "Triton": lambda q, k, v: window_attention_triton(q, k, v, window=window, n_sinks=ns,
                                                          block=16 if smoke else None),
        "PyTorch blocked": lambda q, k, v: window_attention_blocked(q, k, v, window=window, n_sinks=ns)}
    if not smoke:
        try:
            from torch.nn.attention.flex_attention import create_block_mask, flex_attention

            def visible(b, h, qi, ki):
                return ((qi - ki < window) | (ki < ns)) & (qi >= ki)

            block_mask = create_block_mask(visible, None, None, length, length, device=device)
            flex = torch.compile(flex_attention)
            paths["FlexAttention (block mask)"] = lambda q, k, v: flex(
                *(t.transpose(1, 2) for t in (q, k, v)), block_mask=block_mask).transpose(1, 2)
        except Exception as err:  # an older torch: say so in the table instead of failing the run
            print(f"FlexAttention unavailable: {err}")
        if length * length <= 2**28:  # a dense bool mask of at most 256 MiB
            dense = lambda_mask(length, window, ns, device)
            paths["SDPA (dense mask)"] = lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(
                *(t.transpose(1, 2) for t in (q, k, v)), attn_mask=dense).transpose(1, 2)
    flops, moved = attn_flops_bytes(length, torch.finfo(dtype).bits // 8)
    rows = []
    for name, fn in paths.items():
        try:
            q, k, v = attn_inputs(length, dtype, device)
            fwd = bench(lambda fn=fn, q=q, k=k, v=v: fn(q, k, v), smoke)
            o = fn(q, k, v)
            do = torch.randn_like(o)
            both = bench(lambda fn=fn, q=q, k=k, v=v, do=do: torch.autograd.grad(fn(q, k, v), (q, k, v), do),
                         smoke)
        except torch.OutOfMemoryError:  # the PyTorch paths at 64k: recorded as out of memory
            fwd = both = float("nan")
        _free(device)
        rows.append({"kernel": "window", "path": name, "L": length, "dtype": str(dtype).split(".")[-1],
                     "fwd_ms": fwd, "fwd_bwd_ms": both, "flops": flops, "bytes": moved})
    return rows


# ---------------------------------------------------------------- report

def table(rows: list[dict], checks: dict[str, dict[str, float]], device_name: str) -> str:
    lines = [f"# Triton kernels on {device_name}", "",
             f"`benchmarks/kernels_gpu.py`, {date.today().isoformat()}, torch {torch.__version__}. Medians of "
             "`triton.testing.do_bench`. FLOPs are the forward's useful work (backward ≈ 2.5x); bytes are the "
             "forward's minimum traffic (inputs read once, output written once). "
             f"SSD: B={SSD['batch']}, H={SSD['heads']}, P={SSD['head_dim']}, N={SSD['d_state']}; the PyTorch path "
             f"uses chunk {SSD['chunk']}, the Triton path its tile plan (`ssd_tile_plan`, `attention_tile_plan`; "
             "see kernels_static.md). fp32 runs under torch's default \"highest\" matmul precision: IEEE dots on "
             "every path, no TF32. "
             f"Window: B={ATTN['batch']}, H={ATTN['heads']}, d={ATTN['head_dim']}, window {ATTN['window']} + "
             f"{ATTN['n_sinks']} sinks, causal. OOM: the path ran out of GPU memory.", "",
             "Correctness on this device before timing (fp32, max relative error):", ""]
    for kernel, errs in checks.items():
        lines.append(f"- {kernel}: " + ", ".join(f"{k} {v:.1e}" for k, v in errs.items()))
    lines += ["", "| kernel | L | dtype | path | fwd ms | fwd+bwd ms | × PyTorch (fwd+bwd) | fwd TFLOP/s | "
              "fwd GB/s (min bytes) |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        base = next((x for x in rows if x["kernel"] == r["kernel"] and x["L"] == r["L"] and x["dtype"] == r["dtype"]
                     and x["path"].startswith("PyTorch")), None)
        speedup = f"{base['fwd_bwd_ms'] / r['fwd_bwd_ms']:.2f}" if base else "–"
        if r["fwd_ms"] != r["fwd_ms"]:  # NaN: out of memory
            lines.append(f"| {r['kernel']} | {r['L']} | {r['dtype']} | {r['path']} | OOM | OOM | – | – | – |")
            continue
        lines.append(f"| {r['kernel']} | {r['L']} | {r['dtype']} | {r['path']} | {r['fwd_ms']:.3f} | "
                     f"{r['fwd_bwd_ms']:.3f} | {speedup} | {r['flops'] / r['fwd_ms'] / 1e9:.1f} | "
                     f"{r['bytes'] / r['fwd_ms'] / 1e6:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lengths", type=int, nargs="+", default=[4096, 16384, 65536])
    parser.add_argument("--dtypes", nargs="+", default=["bfloat16", "float32"])
    parser.add_argument("--kernels", nargs="+", default=["ssd", "window"], choices=["ssd", "window"])
    parser.add_argument("--smoke", action="store_true", help="CPU under TRITON_INTERPRET=1, tiny shapes")
    parser.add_argument("--write", action="store_true", help="write results/kernels_gpu.md")
    args = parser.parse_args()
    if args.smoke:
        if os.environ.get("TRITON_INTERPRET") != "1":
            raise SystemExit("--smoke runs the kernels on the CPU: set TRITON_INTERPRET=1")
        device, lengths, device_name = "cpu", [128], "CPU (smoke run, Triton interpreter)"
        SSD.update(batch=1, heads=2, head_dim=16, d_state=16, chunk=16)
        ATTN.update(heads=2, head_dim=16, window=24)
    else:
        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device: run this on a GPU machine (or --smoke on the CPU)")
        device, lengths, device_name = "cuda", args.lengths, torch.cuda.get_device_name(0)
    checks = {}
    for kernel in args.kernels:
        checks[kernel] = (check_ssd if kernel == "ssd" else check_window)(device, args.smoke)
        worst = max(checks[kernel].values())
        print(f"{kernel}: max relative error {worst:.1e}", flush=True)
        if worst > 1e-4:
            raise SystemExit(f"{kernel}: the Triton kernel disagrees with its reference ({checks[kernel]}); no timing")
    rows = []
    for kernel in args.kernels:
        for length in lengths:
            for dtype in args.dtypes:
                rows += (time_ssd if kernel == "ssd" else time_window)(length, getattr(torch, dtype), device,
                                                                       args.smoke)
                print(rows[-1], flush=True)
    text = table(rows, checks, device_name)
    print(text)
    if args.write and not args.smoke:
        from seqkit.atomic_io import atomic_write

        text = provenance.stamp(RESULTS, text, MEASURES) + "\n"
        atomic_write(RESULTS, lambda fh: fh.write(text.encode()))


if __name__ == "__main__":
    main()
