"""Pretraining data: a genome (FASTA/GenBank, or the seeded synthetic genome), split by region into train,
val and test; random variable-length training windows; held-out windows tiled once each."""

from __future__ import annotations

from typing import Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader

from seqkit.data import resolve_data_path
from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.genome_windows import split_genome, tile_windows
from seqkit.domains.dna.synthetic_genome import synthetic_genome
from seqkit.domains.dna.tokenizers import build_tokenizer
from seqkit.domains.dna.window_batches import WindowBatches


class GenomeDataModule(L.LightningDataModule):
    """Genome windows for causal LM pretraining.

    Args:
        genome (str | None): FASTA (plain, gzip, bgzip) or GenBank path; ``None`` → synthetic genome.
        synthetic_length_bp (int): size of the synthetic genome. Default: 400,000.
        tokenizer (str): ``"kmer"`` or ``"nucleotide"`` (linked to the model). Default: ``"kmer"``.
        k (int): k-mer length (linked to the model). Default: 6.
        lengths_bp (list[int]): training window lengths; each batch has one (dataset decomposition).
        bp_per_batch (int): bases per training batch; rows = bp_per_batch // length.
        steps_per_epoch (int): training batches per epoch.
        eval_window_bp (int): length of the held-out tiles (val/test).
        eval_max_windows (int | None): cap on held-out tiles (evenly spaced), to bound validation time.
        val_fraction, test_fraction (float): genome share held out, in whole ``block_bp`` blocks.
        rc_prob (float): reverse-complement augmentation probability for training windows.
        curriculum (bool): short windows first instead of a shuffled mix.
        n_policy (str): ``"skip"`` windows with N (beyond ``max_n_fraction``) or ``"keep"`` them.
    """

    def __init__(self, genome: str | None = None, synthetic_length_bp: int = 400_000, tokenizer: Literal[
                 "kmer", "nucleotide"] = "kmer", k: int = 6, lengths_bp: list[int] | None = None,
                 bp_per_batch: int = 12_288, steps_per_epoch: int = 200, eval_window_bp: int = 3072,
                 eval_max_windows: int | None = 64, val_fraction: float = 0.05, test_fraction: float = 0.05,
                 block_bp: int = 50_000, rc_prob: float = 0.5, curriculum: bool = False,
                 n_policy: Literal["skip", "keep"] = "skip", max_n_fraction: float = 0.0, seed: int = 0,
                 num_workers: int = 0) -> None:
        super().__init__()
        self.genome_path, self.synthetic_length_bp = genome, synthetic_length_bp
        self.tokenizer, self.k = tokenizer, k
        self.lengths_bp = list(lengths_bp or [1536, 3072])
        self.bp_per_batch, self.steps_per_epoch = bp_per_batch, steps_per_epoch
        self.eval_window_bp, self.eval_max_windows = eval_window_bp, eval_max_windows
        self.val_fraction, self.test_fraction, self.block_bp = val_fraction, test_fraction, block_bp
        self.rc_prob, self.curriculum = rc_prob, curriculum
        self.n_policy, self.max_n_fraction = n_policy, max_n_fraction
        self.seed, self.num_workers = seed, num_workers
        self.genome: Genome | None = None

    def load_genome(self) -> Genome:
        if self.genome is None:
            self.genome = (synthetic_genome(self.synthetic_length_bp, seed=self.seed) if self.genome_path is None
                           else Genome(resolve_data_path(self.genome_path)))
        return self.genome

    def setup(self, stage: str | None = None) -> None:
        genome = self.load_genome()
        self.spans = split_genome(genome, self.val_fraction, self.test_fraction, self.block_bp, self.seed)
        self.token_encoder = build_tokenizer(self.tokenizer, self.k)

    def _eval_batches(self, split: str) -> list[dict[str, torch.Tensor]]:
        tiles = tile_windows(self.genome, self.spans[split], self.eval_window_bp, n_policy=self.n_policy,
                             max_n_fraction=self.max_n_fraction)
        if not tiles:
            raise ValueError(f"GenomeDataModule: the {split} split has no {self.eval_window_bp} bp window; lower "
                             f"eval_window_bp or raise {split}_fraction / block_bp")
        if self.eval_max_windows is not None and len(tiles) > self.eval_max_windows:
            keep = np.linspace(0, len(tiles) - 1, self.eval_max_windows).round().astype(int)
            tiles = [tiles[i] for i in keep]
        rows = np.stack([self.token_encoder.encode(bases, add_bos=True) for _, bases in tiles])
        per_batch = max(1, self.bp_per_batch // self.eval_window_bp)
        return [{"tokens": torch.from_numpy(rows[i : i + per_batch])} for i in range(0, len(rows), per_batch)]

    def train_dataloader(self) -> DataLoader:
        batches = WindowBatches(self.genome, self.spans["train"], self.token_encoder, self.lengths_bp,
                                self.bp_per_batch, self.steps_per_epoch, seed=self.seed, rc_prob=self.rc_prob,
                                curriculum=self.curriculum, n_policy=self.n_policy,
                                max_n_fraction=self.max_n_fraction,
                                epoch=lambda: self.trainer.current_epoch if self.trainer else 0)
        return DataLoader(batches, batch_size=None, num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self._eval_batches("val"), batch_size=None)

    def test_dataloader(self) -> DataLoader:
        return DataLoader(self._eval_batches("test"), batch_size=None)
