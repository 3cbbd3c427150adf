"""The one matrix-product helper every seqkit Triton kernel uses.

fp32 inputs take IEEE fp32 dots when ``torch.get_float32_matmul_precision()`` is "highest" (PyTorch's default,
so kernels match their references to 1e-4) and TF32 tensor-core dots when the user allowed them ("high" or
"medium", as Lightning suggests on tensor-core GPUs), exactly like ``torch.matmul``; bf16/fp16 inputs take
tensor-core dots with fp32 accumulation. Triton's interpreter multiplies bf16/fp16 dot operands as raw bits,
so under ``TRITON_INTERPRET=1`` operands are upcast first (exact, slower).
"""

from __future__ import annotations

import os

import torch
import triton
import triton.language as tl

_INTERPRETED = tl.constexpr(os.environ.get("TRITON_INTERPRET", "0") == "1")


@triton.jit
def dot(a, b, IEEE: tl.constexpr):
    if IEEE or _INTERPRETED:
        return tl.dot(a.to(tl.float32), b.to(tl.float32), input_precision="ieee")
    else:
        return tl.dot(a, b)


def ieee_dots(dtype: torch.dtype) -> bool:
    """Whether kernels on ``dtype`` inputs must take IEEE fp32 dots (fp32 under "highest" matmul precision)."""
    return dtype == torch.float32 and torch.get_float32_matmul_precision() == "highest"
