"""Protein-family head: PoET (sequences-of-sequences), variant scoring, family-conditioned generation.

The classes are imported on first use, so that ``seqkit-protein --help`` does not pay for torch and Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ProteinFamilyDataModule": "seqkit.domains.protein.data",
    "ProteinLM": "seqkit.domains.protein.model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
