"""LightningDataModule for the synthetic long-range tasks; examples are generated on the fly."""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seqkit.data import SplitDataModule
from seqkit.domains.synthetic.tasks import GENERATORS, TASKS, vocab_size

SPLITS = {"train": 0, "val": 1, "test": 2, "predict": 3}


class SyntheticTaskDataset(Dataset):
    """``size`` examples of one task; example i is generated from the seed sequence (seed, split, i)."""

    def __init__(self, task: str, seq_len: int, size: int, seed: int, split: str, n_tokens: int,
                 n_symbols: int) -> None:
        self.generate = GENERATORS[task]
        self.seq_len, self.size, self.seed, self.split = seq_len, size, seed, SPLITS[split]
        self.n_tokens, self.n_symbols = n_tokens, n_symbols

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.split, index])
        inputs, targets = self.generate(rng, self.seq_len, self.n_tokens, self.n_symbols)
        return {"inputs": torch.from_numpy(inputs), "targets": torch.from_numpy(targets),
                "index": torch.tensor(index)}


class SyntheticDataModule(SplitDataModule):
    """Seeded selective copying, MQAR or passkey retrieval at a chosen length.

    Args:
        task (str): one of ``selective_copying``, ``mqar``, ``passkey``.
        seq_len (int): tokens per example, answers included.
        n_tokens (int): items to recall (tokens to copy, key-value pairs, passkey symbols).
        n_symbols (int): size of the content alphabet (chance accuracy is 1/n_symbols).
        n_train, n_val, n_test, n_predict (int): examples per split.
        batch_size (int): examples per batch.
        seed (int): data seed; splits use disjoint streams.
        num_workers (int): DataLoader workers.
    """

    def __init__(self, task: str = "selective_copying", seq_len: int = 256, n_tokens: int = 8, n_symbols: int = 8,
                 n_train: int = 4096, n_val: int = 512, n_test: int = 512, n_predict: int = 256,
                 batch_size: int = 32, seed: int = 0, num_workers: int = 0) -> None:
        super().__init__()
        if task not in TASKS:
            raise ValueError(f"data.task: unknown task {task!r}; allowed values: {', '.join(TASKS)}")
        for name, value in (("seq_len", seq_len), ("n_tokens", n_tokens), ("n_symbols", n_symbols),
                            ("batch_size", batch_size)):
            if value < 1:
                raise ValueError(f"data.{name} must be >= 1, got {value}")
        self.save_hyperparameters()
        self.task, self.seq_len, self.n_tokens, self.n_symbols = task, seq_len, n_tokens, n_symbols
        self.sizes = {"train": n_train, "val": n_val, "test": n_test, "predict": n_predict}
        self.batch_size, self.seed, self.num_workers = batch_size, seed, num_workers
        # Fail at configuration time, not mid-epoch, when the task cannot fit in seq_len.
        self.dataset("val")[0]

    @property
    def vocab_size(self) -> int:
        return vocab_size(self.n_symbols)

    def dataset(self, split: str) -> SyntheticTaskDataset:
        return SyntheticTaskDataset(self.task, self.seq_len, self.sizes[split], self.seed, split, self.n_tokens,
                                    self.n_symbols)

    def predict_dataloader(self) -> DataLoader:
        return self.loader("predict")
