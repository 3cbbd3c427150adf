"""Data machinery shared by the domains (samplers, windows, tokenizer bases)."""

from seqkit.data.epoch_sampler import EpochSeededSampler

__all__ = ["EpochSeededSampler"]
