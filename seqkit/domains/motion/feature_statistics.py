"""Feature mean and std kept inside a model (buffers saved with its weights), for (de)normalising features."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class FeatureStatistics(nn.Module):
    """x_norm = (x − mean) / std over the last axis; identity until statistics are given."""

    def __init__(self, mean: Sequence[float] | None, std: Sequence[float] | None, dim: int) -> None:
        super().__init__()
        mean_t = torch.zeros(dim) if mean is None else torch.as_tensor(list(mean), dtype=torch.float32)
        std_t = torch.ones(dim) if std is None else torch.as_tensor(list(std), dtype=torch.float32)
        if mean_t.shape != (dim,) or std_t.shape != (dim,):
            raise ValueError(f"feature statistics must have {dim} values, got {tuple(mean_t.shape)} and "
                             f"{tuple(std_t.shape)}")
        self.register_buffer("mean", mean_t)
        self.register_buffer("std", std_t)

    def normalize(self, x: Tensor) -> Tensor:
        return (x - self.mean) / self.std

    def denormalize(self, z: Tensor) -> Tensor:
        return z * self.std + self.mean
