"""Time-series forecasting head: Informer (ProbSparse, distilling, generative decoder) and an SSM encoder."""

from seqkit.domains.forecast.data import ForecastDataModule
from seqkit.domains.forecast.model import ForecastModel

__all__ = ["ForecastDataModule", "ForecastModel"]
