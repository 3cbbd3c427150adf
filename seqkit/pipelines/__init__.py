"""Batch jobs over many inputs: resumable, sharded, one atomically written output per input."""

from seqkit.pipelines.file_batch import BatchReport, expand_inputs, run_file_batch, shard_of

__all__ = ["BatchReport", "expand_inputs", "run_file_batch", "shard_of"]
