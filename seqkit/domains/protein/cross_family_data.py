"""PoET training across many protein families, streamed: a family, then homologs of it under a token budget.

PoET (Truong & Bepler, NeurIPS 2023) trains one model on sets of homologs from many families, so that it
can score a family it never saw given that family's homologs as the prompt. A training example here is
drawn that way: a family uniformly at random (every family counts the same, however deep), then a
prompt from it exactly as scoring draws one (``HomologSampler``: sequence-weighted draw without replacement
up to ``context_tokens``, shuffled; aligned files are weighted, unaligned ones, like balifam's, count each
homolog once, as scoring does), reversed with probability ``reverse_prob``.

Streaming: only ``families_in_memory`` families are loaded at a time. Each loaded family serves
``examples_per_load`` draws before the next family of a seeded pass over the corpus replaces it, so a
corpus of tens of thousands of files streams through a bounded working set. Examples are gathered into
pools of ``pool_batches`` batches, sorted by length inside a pool and cut into batches (length bucketing,
as the single-family module does). Every (epoch, rank, loader worker) draws its own seeded stream.

Validation holds out whole families: a validation example is a prompt from a held-out family followed by
one more member of it, and ``val_loss`` is that member's per-token loss (its log-perplexity), the
measure of how well the model generalises to families it never trained on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

from seqkit.data import rank_and_world
from seqkit.domains.protein.data import collate, family_example
from seqkit.domains.protein.family_corpus import FamilyCache, family_files, family_name, split_families


class CrossFamilyStream(IterableDataset):
    """Collated training batches drawn across ``files``; use with ``DataLoader(batch_size=None)``.

    Args:
        files (list[Path]): one family per file.
        n_examples (int): examples per epoch over all ranks and workers.
        context_tokens (int): token budget of one example.
        batch_size, pool_batches (int): batch rows; batches per length-sorted pool.
        families_in_memory, examples_per_load (int): streaming working set (see the module docstring).
        reverse_prob (float): probability that an example is the reversed stream.
        max_sequences (int): rows kept of a larger family (query kept), bounding memory and weighting time.
        epoch (Callable[[], int]): current epoch, so every epoch draws its own examples.
    """

    def __init__(self, files: Sequence[Path], n_examples: int, context_tokens: int, batch_size: int,
                 seed: int = 0, reverse_prob: float = 0.5, families_in_memory: int = 16, examples_per_load: int = 32,
                 pool_batches: int = 16, max_sequences: int = 4096, epoch: Callable[[], int] = lambda: 0) -> None:
        if not files:
            raise ValueError("CrossFamilyStream: no training families")
        self.files, self.n_examples, self.context_tokens = list(files), n_examples, context_tokens
        self.batch_size, self.pool_batches, self.seed, self.reverse_prob = batch_size, pool_batches, seed, reverse_prob
        self.families_in_memory, self.examples_per_load = families_in_memory, examples_per_load
        self.max_sequences, self.epoch = max_sequences, epoch

    def __len__(self) -> int:
        _, world = rank_and_world()
        return -(-self.n_examples // self.batch_size) // world

    def _examples(self, rng: np.random.Generator) -> Iterator[dict[str, np.ndarray]]:
        """An endless seeded stream of examples from a rotating working set of families."""
        cache = FamilyCache(capacity=self.families_in_memory, max_sequences=self.max_sequences, seed=self.seed)
        order: list[int] = []

        def next_family() -> Path:
            if not order:
                order.extend(rng.permutation(len(self.files)).tolist())
            return self.files[order.pop()]

        slots = [next_family() for _ in range(min(self.families_in_memory, len(self.files)))]
        uses = [0] * len(slots)
        while True:
            k = int(rng.integers(len(slots)))
            sampler = cache(slots[k])
            members = sampler.draw(rng, self.context_tokens)
            reverse = self.reverse_prob > 0 and rng.random() < self.reverse_prob
            yield family_example(sampler.msa, members, None, reverse)
            uses[k] += 1
            if uses[k] >= self.examples_per_load and len(self.files) > len(slots):
                slots[k], uses[k] = next_family(), 0

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        rank, world = rank_and_world()
        worker = get_worker_info()
        worker_id, n_workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
        n_batches = len(self)
        mine = len(range(worker_id, n_batches, n_workers))  # this worker's share of the rank's batches
        rng = np.random.default_rng((self.seed, self.epoch(), rank, worker_id))
        stream = self._examples(rng)
        pool = self.batch_size * self.pool_batches
        served = 0
        while served < mine:
            examples = [next(stream) for _ in range(min(pool, (mine - served) * self.batch_size))]
            examples.sort(key=lambda e: len(e["tokens"]))
            batches = [examples[i : i + self.batch_size] for i in range(0, len(examples), self.batch_size)]
            for b in rng.permutation(len(batches)):
                yield collate(batches[b])
            served += len(batches)


class HeldOutFamilyExamples(Dataset):
    """Validation examples from held-out families: a prompt of ``context_tokens`` (query included; 0 = no
    prompt) from one family, then one more member of it, whose tokens alone carry the loss. Item ``i`` is a function of
    (seed, i); items of one family are consecutive, so a small cache serves them."""

    def __init__(self, files: Sequence[Path], per_family: int, context_tokens: int, seed: int = 0,
                 max_sequences: int = 4096) -> None:
        if not files:
            raise ValueError("HeldOutFamilyExamples: no validation families")
        self.files, self.per_family, self.context_tokens, self.seed = list(files), per_family, context_tokens, seed
        self.cache = FamilyCache(capacity=2, max_sequences=max_sequences, seed=seed)

    def __len__(self) -> int:
        return len(self.files) * self.per_family

    def family(self, index: int) -> str:
        return family_name(self.files[index // self.per_family])

    def __getitem__(self, index: int) -> dict[str, np.ndarray]:
        if not 0 <= index < len(self):
            raise IndexError(index)
        sampler = self.cache(self.files[index // self.per_family])
        rng = np.random.default_rng((self.seed, 1, index))
        query = int(rng.integers(len(sampler.msa)))
        if self.context_tokens == 0:  # no prompt: the member alone
            return family_example(sampler.msa, [], query)
        budget = max(1, self.context_tokens - len(sampler.msa.raw[query]) - 2)
        members = sampler.draw(rng, budget, exclude=(query,))
        return family_example(sampler.msa, members, query)


class CrossFamilyDataModule(L.LightningDataModule):
    """PoET training data across families: any folders of homolog files (FASTA/A3M/A2M/Stockholm, one family
    per file, gzipped or not), streamed; families split whole into train and validation.

    Args:
        families (list[str]): folders (searched recursively) or files; paths resolve from the working directory
            or under ``$SEQKIT_SHARED_DATA``.
        val_families (int | float): held-out families, a fraction (0.1) or a count (6).
        max_train_families (int, Optional): train on the first N training families of the seeded order (nested:
            the first 10 are among the first 25), to measure how the model scales with families.
        exclude_families (list[str]): family names (file names without suffixes) to leave out entirely.
        context_tokens (int): token budget of an example (prompt and, in validation, the held-out member).
        n_train (int): training examples per epoch; val_per_family: validation examples per held-out family.
        families_in_memory, examples_per_load, pool_batches, max_sequences: see ``CrossFamilyStream``.
        reverse_prob (float): probability of a reversed training stream (scoring averages both directions).
        batch_size, num_workers, seed (int): loader settings.
    """

    def __init__(self, families: list[str], val_families: int | float = 0.1, max_train_families: int | None = None,
                 exclude_families: list[str] | None = None, context_tokens: int = 2048, n_train: int = 4000,
                 val_per_family: int = 8, families_in_memory: int = 16, examples_per_load: int = 32,
                 pool_batches: int = 16, max_sequences: int = 4096, reverse_prob: float = 0.5, batch_size: int = 4,
                 num_workers: int = 0, seed: int = 0) -> None:
        super().__init__()
        if not 0 <= reverse_prob <= 1:
            raise ValueError(f"data.reverse_prob must be in [0, 1], got {reverse_prob}")
        if context_tokens < 16:
            raise ValueError(f"data.context_tokens must be at least 16, got {context_tokens}")
        self.save_hyperparameters()
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        #: no DMS of its own (``ProteinLM.dms_path`` with ``dms_msa_path`` scores an unseen family instead)
        self.dms = None
        files = family_files(families)
        self.train_files, self.val_files = split_families(files, val_families, seed, exclude_families or ())
        if max_train_families is not None:
            if not 0 < max_train_families <= len(self.train_files):
                raise ValueError(f"data.max_train_families={max_train_families}: the corpus has "
                                 f"{len(self.train_files)} training families")
            self.train_files = self.train_files[:max_train_families]

    @property
    def train_families(self) -> list[str]:
        return [family_name(f) for f in self.train_files]

    @property
    def val_families(self) -> list[str]:
        return [family_name(f) for f in self.val_files]

    def stream(self) -> CrossFamilyStream:
        h = self.hparams
        return CrossFamilyStream(self.train_files, h.n_train, h.context_tokens, self.batch_size, self.seed,
                                 h.reverse_prob, h.families_in_memory, h.examples_per_load, h.pool_batches,
                                 h.max_sequences, lambda: self.trainer.current_epoch if self.trainer else 0)

    def held_out(self, context_tokens: int | None = None) -> HeldOutFamilyExamples:
        """Validation examples; ``context_tokens`` overrides the budget (prompt-length sweeps)."""
        h = self.hparams
        budget = h.context_tokens if context_tokens is None else context_tokens
        return HeldOutFamilyExamples(self.val_files, h.val_per_family, budget,
                                     self.seed, h.max_sequences)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.stream(), batch_size=None, num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.held_out(), batch_size=self.batch_size, collate_fn=collate,
                          num_workers=self.num_workers)

    def test_dataloader(self) -> DataLoader:
        return self.val_dataloader()
