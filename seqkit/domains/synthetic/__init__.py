"""Synthetic long-range tasks (selective copying, MQAR, passkey) to train and compare backbones.

The classes are imported on first use, so that ``seqkit-synthetic --help`` does not pay for torch and Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SyntheticDataModule": "seqkit.domains.synthetic.data",
    "SyntheticLM": "seqkit.domains.synthetic.model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
