"""Which implementation a kernel call runs: Triton for CUDA tensors, the vectorized PyTorch path on the CPU.

``SEQKIT_KERNELS=triton|torch`` (or a function's ``backend=`` argument) forces one for testing; forcing
Triton on CPU tensors needs ``TRITON_INTERPRET=1`` (Triton's interpreter: correct, about 100x slower).
"""

from __future__ import annotations

import os

from torch import Tensor

BACKENDS = ("auto", "triton", "torch")


def choose_backend(tensor: Tensor, backend: str | None = None) -> str:
    """``"triton"`` or ``"torch"`` for a call on ``tensor``: the argument, else $SEQKIT_KERNELS, else by device."""
    choice = backend or os.environ.get("SEQKIT_KERNELS", "auto")
    if choice not in BACKENDS:
        raise ValueError(f"kernel backend must be one of {BACKENDS}, got {choice!r} (argument or $SEQKIT_KERNELS)")
    if choice == "auto":
        return "triton" if tensor.is_cuda else "torch"
    if choice == "triton" and not tensor.is_cuda and os.environ.get("TRITON_INTERPRET") != "1":
        raise RuntimeError("Triton kernels on CPU tensors need TRITON_INTERPRET=1 (set before importing seqkit)")
    return choice
