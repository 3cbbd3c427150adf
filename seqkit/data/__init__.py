"""Data machinery shared by the domains (samplers, windows, tokenizer bases)."""

from seqkit.data.data_path import DATA_ROOT_VARIABLE, resolve_data_path
from seqkit.data.epoch_sampler import EpochSeededSampler
from seqkit.data.length_buckets import BucketedBatches, LengthBucketBatchSampler, rank_and_world
from seqkit.data.packing import pack_sequences, pad_batch
from seqkit.data.split_data_module import SplitDataModule

__all__ = ["DATA_ROOT_VARIABLE", "BucketedBatches", "EpochSeededSampler", "LengthBucketBatchSampler", "SplitDataModule",
           "pack_sequences", "pad_batch", "rank_and_world", "resolve_data_path"]
