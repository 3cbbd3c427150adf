"""Time-series forecasting head: Informer (ProbSparse, distilling, generative decoder) and an SSM encoder.

The classes are imported on first use, so that ``seqkit-forecast --help`` does not pay for torch and Lightning.
"""

from seqkit.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "ForecastDataModule": "seqkit.domains.forecast.data",
    "ForecastModel": "seqkit.domains.forecast.model",
})
