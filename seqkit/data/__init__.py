"""Data machinery shared by the domains (samplers, windows, tokenizer bases)."""

from seqkit.data.epoch_sampler import EpochSeededSampler
from seqkit.data.split_data_module import SplitDataModule

__all__ = ["EpochSeededSampler", "SplitDataModule"]
