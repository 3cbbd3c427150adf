"""Compile seqkit's Triton kernels for a GPU generation without a GPU, and read what each launch uses.

A launch fails on a GPU ("out of resource: shared memory") when its tiles need more shared memory than the
card allows one block, and runs slowly when ptxas spills registers to local memory. Both are known at
compile time: shared memory from Triton's compiled metadata, registers and spilled bytes from ``ptxas -v``
(the ptxas shipped with Triton). The compile test and ``benchmarks/kernels_static.py`` use this to check
every tile plan the dispatcher would launch against each GPU generation before a GPU ever runs it.

A development tool, not part of the runtime package: scripts import it after putting this folder on
``sys.path`` (``sys.path.insert(0, "<repo>/tools")``; ``import triton_inspect``).
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

from seqkit.kernels.ssd import triton as ssd
from seqkit.kernels.window_attention import triton as win

# Shared memory one block may use (opt-in maximum, bytes), by compute capability (CUDA programming guide).
SHARED_LIMIT = {80: 166_912, 86: 101_376, 89: 101_376, 90: 232_448}
GPU_NAMES = {80: "A100", 86: "RTX 30xx / A10 / A40", 89: "RTX 40xx / L4 / L40", 90: "H100 / H200"}

ATTENTION_KERNELS = (win._fwd_kernel, win._bwd_dq_kernel, win._bwd_dkdv_kernel)
SSD_KERNELS = (ssd._chunk_state_kernel, ssd._state_passing_kernel, ssd._chunk_scan_kernel,
               ssd._chunk_dstate_kernel, ssd._state_passing_bwd_kernel, ssd._chunk_bwd_kernel)

_FP32_POINTERS = {"A_ptr", "S_ptr", "Hs_ptr", "final_ptr", "D_ptr", "dS_ptr", "dlogcarry_ptr", "dfinal_ptr",
                  "dinit_ptr", "ddt_ptr", "dB_ptr", "dC_ptr", "da_ptr", "init_ptr", "LSE", "DELTA"}
_INT_POINTERS = {"seg_ptr", "SEG", "START"}
_DATA_POINTERS = {"Q", "K", "V", "QF", "KF", "OUT", "DO", "DQ", "DQF", "DK", "DV", "DKF", "x_ptr", "dt_ptr",
                  "B_ptr", "C_ptr", "y_ptr", "dy_ptr", "dx_ptr"}
_TRITON_TYPES = {torch.bfloat16: "*bf16", torch.float16: "*fp16", torch.float32: "*fp32"}


@dataclass(frozen=True)
class Launch:
    """One kernel with the compile-time constants and warp count the dispatcher would give it."""

    kernel: object
    constexprs: dict
    num_warps: int

    @property
    def name(self) -> str:
        return self.kernel.fn.__name__.strip("_")


@dataclass(frozen=True)
class Resources:
    shared_bytes: int
    registers: int
    spill_bytes: int


def ssd_launches(head_dim: int, d_state: int, dtype: torch.dtype, ieee: bool, chunk: int | None = None,
                 num_warps: int | None = None) -> list[Launch]:
    """The six SSD kernels as ``ssd_scan_triton`` launches them (``chunk``/``num_warps`` override the plan)."""
    planned_chunk, planned_warps = ssd.ssd_tile_plan(head_dim, d_state, dtype)
    const = {"T": chunk or planned_chunk, "BP": ssd._block(head_dim), "BN": ssd._block(d_state),
             "REVERSE": False, "HAS_INIT": True, "HAS_DFINAL": True, "IEEE": ieee}
    return [Launch(k, const, num_warps or planned_warps) for k in SSD_KERNELS]


def attention_launches(head_dim: int, dtype: torch.dtype, ieee: bool, far: bool, block: int | None = None,
                       num_warps: int | None = None) -> list[Launch]:
    """Forward, dQ and dK/dV kernels as ``window_attention_triton`` launches them (causal, segments)."""
    plan = win.attention_tile_plan(head_dim, dtype)
    out = []
    for kernel, step in zip(ATTENTION_KERNELS, ("forward", "backward", "backward"), strict=True):
        size, warps = plan[step]
        size = block or size
        const = {"BM": size, "BN": size, "BD": max(16, triton.next_power_of_2(head_dim)), "CAUSAL": True,
                 "HAS_SEG": True, "HAS_FAR": far, "IEEE": ieee}
        out.append(Launch(kernel, const, num_warps or warps))
    return out


def _signature(launch: Launch, dtype: torch.dtype) -> tuple[dict[str, str], dict[str, object]]:
    sig, constexprs = {}, {}
    for name in launch.kernel.arg_names:
        if name in _DATA_POINTERS:
            sig[name] = _TRITON_TYPES[dtype]
        elif name in _FP32_POINTERS:
            sig[name] = "*fp32"
        elif name in _INT_POINTERS:
            sig[name] = "*i32"
        elif name == "scale":
            sig[name] = "fp32"
        elif name in launch.constexprs:
            sig[name], constexprs[name] = "constexpr", launch.constexprs[name]
        else:
            sig[name] = "i32"
    return sig, constexprs


def compile_launch(launch: Launch, dtype: torch.dtype, arch: int):
    """Triton's compiled kernel for ``arch`` (a compute capability such as 90), built on this machine."""
    sig, constexprs = _signature(launch, dtype)
    return triton.compile(ASTSource(fn=launch.kernel, signature=sig, constexprs=constexprs),
                          target=GPUTarget("cuda", arch, 32), options={"num_warps": launch.num_warps})


def resources(launch: Launch, dtype: torch.dtype, arch: int) -> Resources:
    """Shared memory, registers per thread and spilled bytes of one launch compiled for ``arch``."""
    from triton.backends.nvidia.compiler import get_ptxas

    compiled = compile_launch(launch, dtype, arch)
    ptxas = get_ptxas(arch)
    ptxas = getattr(ptxas, "path", ptxas)
    with tempfile.TemporaryDirectory() as tmp:
        ptx = Path(tmp) / "kernel.ptx"
        ptx.write_text(compiled.asm["ptx"])
        gpu = f"sm_{arch}a" if arch >= 90 else f"sm_{arch}"
        report = subprocess.run([ptxas, "-v", "--gpu-name", gpu, str(ptx), "-o", str(Path(tmp) / "k.cubin")],
                                capture_output=True, text=True, check=True).stderr
    registers = re.search(r"Used (\d+) registers", report)
    spills = re.search(r"(\d+) bytes spill stores", report)
    if registers is None or spills is None:
        raise RuntimeError(f"unexpected ptxas report for {launch.name}: {report[-500:]}")
    return Resources(compiled.metadata.shared, int(registers.group(1)), int(spills.group(1)))
