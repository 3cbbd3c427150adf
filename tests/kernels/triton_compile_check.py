"""Compile every seqkit Triton kernel for a Hopper GPU (sm_90) without a GPU and print one JSON line
{kernel: "ok" | error}. Run by test_triton_compile.py in a process without TRITON_INTERPRET (under the
interpreter, @triton.jit gives interpreted functions, which do not compile)."""

import json
import sys

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

from seqkit.kernels.ssd import triton as ssd
from seqkit.kernels.window_attention import triton as win

HOPPER = GPUTarget("cuda", 90, 32)
FP32_POINTERS = {"A_ptr", "S_ptr", "Hs_ptr", "final_ptr", "D_ptr", "dS_ptr", "dlogcarry_ptr", "dfinal_ptr",
                 "dinit_ptr", "ddt_ptr", "dB_ptr", "dC_ptr", "da_ptr", "init_ptr", "LSE", "DELTA"}
INT_POINTERS = {"seg_ptr", "SEG", "START"}
DATA_POINTERS = {"Q", "K", "V", "QF", "KF", "OUT", "DO", "DQ", "DQF", "DK", "DV", "DKF", "x_ptr", "dt_ptr", "B_ptr",
                 "C_ptr", "y_ptr", "dy_ptr", "dx_ptr"}
CONSTEXPRS = {"BM": 64, "BN": 64, "BD": 64, "CAUSAL": True, "HAS_SEG": True, "HAS_FAR": True, "T": 64, "BP": 64,
              "REVERSE": True, "HAS_INIT": True, "HAS_DFINAL": True}
KERNELS = [win._fwd_kernel, win._bwd_dq_kernel, win._bwd_dkdv_kernel, ssd._chunk_state_kernel,
           ssd._state_passing_kernel, ssd._chunk_scan_kernel, ssd._chunk_dstate_kernel, ssd._state_passing_bwd_kernel,
           ssd._chunk_bwd_kernel]


def signature(kernel, data_type: str) -> tuple[dict[str, str], dict[str, object]]:
    """Pointer, integer and constexpr arguments of a kernel, by name (data pointers of ``data_type``)."""
    sig, constexprs = {}, {}
    for name in kernel.arg_names:
        if name in DATA_POINTERS:
            sig[name] = data_type
        elif name in FP32_POINTERS:
            sig[name] = "*fp32"
        elif name in INT_POINTERS:
            sig[name] = "*i32"
        elif name == "scale":
            sig[name] = "fp32"
        elif name == "IEEE":
            sig[name], constexprs[name] = "constexpr", data_type == "*fp32"
        elif name in CONSTEXPRS:
            sig[name], constexprs[name] = "constexpr", CONSTEXPRS[name]
        else:
            sig[name] = "i32"
    return sig, constexprs


def main() -> None:
    data_type = sys.argv[1] if len(sys.argv) > 1 else "*bf16"
    results = {}
    for kernel in KERNELS:
        sig, constexprs = signature(kernel, data_type)
        try:
            compiled = triton.compile(ASTSource(fn=kernel, signature=sig, constexprs=constexprs), target=HOPPER)
            results[kernel.fn.__name__] = "ok" if "ld.global" in compiled.asm["ptx"] else "no global loads in PTX"
        except Exception as err:  # report every kernel, not just the first failure
            results[kernel.fn.__name__] = f"{type(err).__name__}: {err}"[:2000]
    print(json.dumps(results))


if __name__ == "__main__":
    main()
