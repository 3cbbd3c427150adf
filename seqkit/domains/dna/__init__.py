"""DNA head: GENERator-style 6-mer causal LM on seqkit backbones (generation, classification, variant effect).

The classes are imported on first use, so that ``seqkit-dna --help`` does not pay for torch and Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "LabelledDataModule": "seqkit.domains.dna.classification_data",
    "DnaClassifier": "seqkit.domains.dna.classifier",
    "GenomeDataModule": "seqkit.domains.dna.data",
    "DnaLM": "seqkit.domains.dna.model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
