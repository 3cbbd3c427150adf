"""Training data for PoET: sequences-of-sequences drawn from one or many MSAs, bucketed by length.

A training example is a prompt (``HomologSampler``: weighted draw without replacement up to
``context_tokens``, shuffled) from one MSA, packed with ``sequence_ids`` and restarting ``positions``;
the loss is next-token prediction over the whole stream. Validation holds out ``val_fraction`` of each
MSA's rows (never the query): a validation example is a training-row prompt followed by one held-out
homolog, and ``val_loss`` is the per-token loss of that held-out sequence, i.e. how well the model
models unseen family members given their family. Examples are functions of (seed, split, index).
With no MSA path, a seeded synthetic family (``synthetic_family``) is the data, so ``fit`` runs anywhere.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seqkit.data import (
    BucketedBatches,
    LengthBucketBatchSampler,
    SplitDataModule,
    pack_sequences,
    pad_batch,
    resolve_data_path,
)
from seqkit.domains.protein.alphabet import MASK, START, STOP, wrap
from seqkit.domains.protein.msa import MSA, read_msa
from seqkit.domains.protein.prompt import HomologSampler
from seqkit.domains.protein.synthetic_family import synthetic_family
from seqkit.domains.protein.variants import Variants

PAD = {"tokens": MASK, "sequence_ids": -1, "positions": 0, "loss_mask": 0}
_SPLIT_CODE = {"train": 0, "val": 1, "test": 2}


class FamilyExamples(Dataset):
    """Seeded sequences-of-sequences for one split; item = dict of 1-D int64 arrays (see ``PAD``)."""

    def __init__(self, samplers: list[HomologSampler], train_rows: list[np.ndarray], held_out: list[np.ndarray],
                 split: str, n_examples: int, context_tokens: int, seed: int, reverse_prob: float = 0.0) -> None:
        self.samplers, self.held_out, self.reverse_prob = samplers, held_out, reverse_prob
        self.split, self.n_examples, self.context_tokens, self.seed = split, n_examples, context_tokens, seed
        # rows no prompt may use (each family's held-out members), computed once rather than per example
        self.excluded = [tuple(int(i) for i in np.setdiff1d(np.arange(len(s.msa)), rows))
                         for s, rows in zip(samplers, train_rows, strict=True)]

    def __len__(self) -> int:
        return self.n_examples

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        if not 0 <= index < self.n_examples:
            raise IndexError(index)
        rng = np.random.default_rng((self.seed, _SPLIT_CODE[self.split], index))
        family = int(rng.integers(len(self.samplers)))
        sampler = self.samplers[family]
        msa = sampler.msa
        excluded = self.excluded[family]
        if self.split == "train":
            members = sampler.draw(rng, self.context_tokens, exclude=excluded)
            query = None
        else:
            query = int(rng.choice(self.held_out[family]))
            budget = max(1, self.context_tokens - len(msa.raw[query]) - 2)
            members = sampler.draw(rng, budget, exclude=excluded)
        # PoET's augmentation: the whole stream reversed (members in reverse order, each read C→N), so the
        # model can score in both directions and the scoring ensemble may average them
        reverse = self.split == "train" and self.reverse_prob > 0 and rng.random() < self.reverse_prob
        return family_example(msa, members, query, reverse)


def family_example(msa: MSA, members: list[int], query: int | None = None, reverse: bool = False
                   ) -> dict[str, np.ndarray]:
    """One packed example from ``msa``: its ``members`` (prompt order), then ``query`` if given.

    Training (no query): loss on every next token except each sequence's first (start, or stop when
    ``reverse``: it always follows the previous sequence's end). With a query (validation): the query's tokens
    only, so the loss is how well the prompt predicts an unseen member. ``reverse`` flips the whole stream
    (members in reverse order, each read C→N), PoET's augmentation for scoring in both directions.
    """
    seqs = [wrap(msa.raw[i], f"{msa.source} record {i + 1}", reverse) for i in members]
    if reverse:
        seqs = seqs[::-1]
    if query is not None:
        seqs.append(wrap(msa.raw[query], f"{msa.source} record {query + 1}"))
    tokens, sequence_ids, positions = pack_sequences(seqs)
    loss_mask = (tokens != (STOP if reverse else START)).astype(np.int64)
    if query is not None:
        loss_mask[: len(tokens) - len(seqs[-1]) + 1] = 0
    return {"tokens": tokens.astype(np.int64), "sequence_ids": sequence_ids, "positions": positions,
            "loss_mask": loss_mask}


def collate(rows: list[dict[str, np.ndarray]]) -> dict[str, torch.Tensor]:
    return pad_batch(rows, PAD)


class ProteinFamilyDataModule(SplitDataModule):
    """PoET training data from MSAs (A3M/A2M/FASTA/Stockholm) or the seeded synthetic family.

    Args:
        msa_paths (list[str], Optional): homolog files (found from the working directory or under
            ``$SEQKIT_SHARED_DATA``); None uses the synthetic family.
        context_tokens (int): token budget of a training example (PoET scores with 6k-24k; CPU training
            uses less).
        val_fraction (float): held-out share of each MSA's rows (the query row is always kept for training).
        n_train, n_val, n_test (int): examples per split (train examples are reshuffled every epoch).
        reverse_prob (float): probability that a training example is the reversed stream (PoET trains both
            directions; scoring averages forward and reversed prompts, which needs it). Default: 0.5.
        synthetic_length, synthetic_sequences (int): size of the synthetic family.
        batch_size, num_workers, seed (int): loader settings; examples depend only on (seed, split, index).
    """

    def __init__(self, msa_paths: list[str] | None = None, context_tokens: int = 1024, val_fraction: float = 0.05,
                 n_train: int = 2000, n_val: int = 64, n_test: int = 64, synthetic_length: int = 100,
                 synthetic_sequences: int = 512, batch_size: int = 8, num_workers: int = 0, seed: int = 0,
                 reverse_prob: float = 0.5) -> None:
        super().__init__()
        if not 0 < val_fraction < 1:
            raise ValueError(f"data.val_fraction must be in (0, 1), got {val_fraction}")
        if not 0 <= reverse_prob <= 1:
            raise ValueError(f"data.reverse_prob must be in [0, 1], got {reverse_prob}")
        self.save_hyperparameters()
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        #: the synthetic family's true DMS (its query's every single mutant); None for files.
        self.dms: Variants | None = None
        self.msas = self._read()
        self.samplers: list[HomologSampler] = []
        self.datasets: dict[str, FamilyExamples] = {}
        self._train_lengths: list[int] | None = None

    def _read(self) -> list[MSA]:
        paths = self.hparams.msa_paths
        if not paths:
            family = synthetic_family(self.hparams.synthetic_length, self.hparams.synthetic_sequences, seed=self.seed)
            self.dms = family.dms()
            return [family.msa]
        return [read_msa(resolve_data_path(p)) for p in paths]

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        self.samplers = [HomologSampler(msa) for msa in self.msas]
        train_rows, held_out = [], []
        for k, msa in enumerate(self.msas):
            rng = np.random.default_rng((self.seed, 99, k))
            rows = rng.permutation(np.arange(1, len(msa)))
            n_out = max(1, int(round(self.hparams.val_fraction * len(msa))))
            if len(rows) <= n_out:
                raise ValueError(f"{msa.source}: {len(msa)} sequences are too few to hold out {n_out} for validation")
            held_out.append(np.sort(rows[:n_out]))
            train_rows.append(np.sort(np.concatenate([[0], rows[n_out:]])))
        h = self.hparams
        for split, n in (("train", h.n_train), ("val", h.n_val), ("test", h.n_test)):
            self.datasets[split] = FamilyExamples(self.samplers, train_rows, held_out, split, n, h.context_tokens,
                                                  self.seed, h.reverse_prob)

    def dataset(self, split: str) -> FamilyExamples:
        self.setup()
        return self.datasets[split]

    def loader(self, split: str) -> DataLoader:
        data = self.dataset(split)
        if split != "train":
            return DataLoader(data, batch_size=self.batch_size, collate_fn=collate, num_workers=self.num_workers)
        if self._train_lengths is None:
            self._train_lengths = [len(data[i]["tokens"]) for i in range(len(data))]
        sampler = LengthBucketBatchSampler(self._train_lengths, self.batch_size, seed=self.seed)
        batches = BucketedBatches(data, sampler, collate, lambda: self.trainer.current_epoch if self.trainer else 0)
        return DataLoader(batches, batch_size=None, num_workers=self.num_workers)
