"""Training settings that fit the machine: ``precision: auto`` picks bf16 only where it runs natively.

bf16 autocast is a speed-up only where the matrix units take bf16 operands: CUDA GPUs that support it
(Ampere and later) and x86 CPUs with AVX512-BF16 or AMX. Elsewhere (an AVX2-only CPU) every bf16 matmul
is emulated through fp32 conversions, and a training step ran about 20x slower than in plain fp32. So a
config that says ``trainer.precision: auto`` trains in ``bf16-mixed`` on such hardware and in ``32-true``
everywhere else, and the run logs which one it chose and why.
"""

from __future__ import annotations

import platform
from pathlib import Path
from typing import Any, Literal

import lightning as L
import torch
from lightning.fabric.connector import _PRECISION_INPUT
from lightning.pytorch.utilities import rank_zero_info

__all__ = ["AUTO_PRECISION", "AutoPrecisionTrainer", "choose_precision", "cpu_flags", "cpu_model"]

AUTO_PRECISION = "auto"
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # /proc/cpuinfo names of native bf16 dot products / tiles


def _cpuinfo_field(name: str, cpuinfo: str | Path = "/proc/cpuinfo") -> str | None:
    """The first value of a ``/proc/cpuinfo`` field (Linux); None where it cannot be read."""
    try:
        with open(cpuinfo, encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith(name):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return None


def cpu_flags(cpuinfo: str | Path = "/proc/cpuinfo") -> set[str]:
    """The CPU feature flags the kernel reports (Linux ``/proc/cpuinfo``); empty where it cannot be read."""
    return set((_cpuinfo_field("flags", cpuinfo) or "").split())


def cpu_model(cpuinfo: str | Path = "/proc/cpuinfo") -> str:
    """The CPU's model name, for run records and benchmark reports (``platform`` where /proc is missing)."""
    return _cpuinfo_field("model name", cpuinfo) or platform.processor() or platform.machine() or "CPU"


def _device_kind(accelerator: Any) -> str:
    """``"cuda"``, ``"cpu"`` or another device name for a Trainer ``accelerator`` value (string or object)."""
    name = accelerator if isinstance(accelerator, str) else type(accelerator).__name__.lower()
    name = name.lower()
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name in ("gpu", "cuda") or name.startswith("cuda"):
        return "cuda"
    return "cpu" if name.startswith("cpu") else name


def choose_precision(requested: Any, accelerator: Any) -> tuple[Any, str]:
    """Resolve ``requested`` for a Trainer on ``accelerator``: (precision, reason).

    Only ``"auto"`` is resolved: to ``"bf16-mixed"`` on a CUDA device with bf16 support or a CPU with
    AVX512-BF16 / AMX-BF16, to ``"32-true"`` otherwise (including MPS, whose bf16 support varies). Any
    other value is returned unchanged.
    """
    if requested != AUTO_PRECISION:
        return requested, "as configured"
    kind = _device_kind(accelerator)
    if kind == "cuda":
        if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
            return "bf16-mixed", f"auto: {torch.cuda.get_device_name()} supports bf16"
        return "32-true", "auto: the CUDA device has no native bf16"
    if kind == "cpu":
        native = sorted(set(BF16_CPU_FLAGS) & cpu_flags())
        if native:
            return "bf16-mixed", f"auto: the CPU has {' and '.join(native)}"
        return "32-true", (f"auto: the CPU has none of {', '.join(BF16_CPU_FLAGS)}, so bf16 would be emulated "
                           "(many times slower than fp32)")
    return "32-true", f"auto: no native bf16 check for accelerator {kind!r}"


class AutoPrecisionTrainer(L.Trainer):
    """A Lightning ``Trainer`` that also takes ``precision="auto"`` (see ``choose_precision``).

    Used as the CLI's trainer class so configs can say ``trainer.precision: auto``: the parser accepts the
    value because this signature declares it, and every other Trainer argument passes through unchanged.
    """

    def __init__(self, *, precision: _PRECISION_INPUT | Literal["auto"] | None = None, **kwargs: Any) -> None:
        if precision == AUTO_PRECISION:
            precision, reason = choose_precision(precision, kwargs.get("accelerator", "auto"))
            rank_zero_info(f"Precision: {precision} ({reason})")
        super().__init__(precision=precision, **kwargs)
