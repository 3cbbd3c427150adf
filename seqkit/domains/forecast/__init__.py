"""Time-series forecasting head: Informer (ProbSparse, distilling, generative decoder) and an SSM encoder.

The classes are imported on first use, so that ``seqkit-forecast --help`` does not pay for torch and Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "ForecastDataModule": "seqkit.domains.forecast.data",
    "ForecastModel": "seqkit.domains.forecast.model",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
