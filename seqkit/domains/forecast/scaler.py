"""Per-channel standardisation fitted on the training rows only (no look-ahead into val/test)."""

from __future__ import annotations

import numpy as np


class ChannelScaler:
    """z = (x - mean) / std per channel; ``inverse`` maps model outputs back to data units."""

    def __init__(self, mean: list[float] | None = None, std: list[float] | None = None) -> None:
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float64)
        self.std = None if std is None else np.asarray(std, dtype=np.float64)

    def fit(self, train_values: np.ndarray) -> ChannelScaler:
        """Fit on (rows, C) training values; a constant channel gets std 1 so it scales to 0."""
        self.mean = train_values.mean(axis=0, dtype=np.float64)
        std = train_values.std(axis=0, dtype=np.float64)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, values: np.ndarray) -> np.ndarray:
        self._check()
        return ((values - self.mean) / self.std).astype(np.float32)

    def inverse(self, values: np.ndarray, channels: slice | list[int] | None = None) -> np.ndarray:
        """Undo ``transform``; ``channels`` picks the columns ``values`` holds (e.g. [-1] for the target)."""
        self._check()
        idx = slice(None) if channels is None else channels
        return (values * self.std[idx] + self.mean[idx]).astype(np.float32)

    def state(self) -> dict[str, list[float]]:
        """Plain lists, safe to store in checkpoint hyperparameters."""
        self._check()
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}

    def _check(self) -> None:
        if self.mean is None or self.std is None:
            raise RuntimeError("ChannelScaler: call fit() on the training split first")
