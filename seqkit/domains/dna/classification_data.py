"""Labelled sequences for fine-tuning: the file's own split (``split`` column) or a seeded stratified one,
reverse-complement augmentation for training, and both strands in every batch for RC-invariant scoring."""

from __future__ import annotations

from typing import Literal

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seqkit.data import resolve_data_path
from seqkit.domains.dna.labelled_sequences import LabelledSequences, read_labelled
from seqkit.domains.dna.nucleotides import reverse_complement
from seqkit.domains.dna.tokenizers import build_tokenizer


class _Examples(Dataset):
    def __init__(self, data: LabelledSequences, rc_prob: float) -> None:
        self.data, self.rc_prob = data, rc_prob

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, i: int) -> tuple[np.ndarray, float | int]:
        bases = self.data.sequences[i]
        if self.rc_prob > 0 and float(torch.rand(())) < self.rc_prob:  # torch's RNG: seeded, new every epoch
            bases = reverse_complement(bases)
        return bases, self.data.labels[i]


class LabelledDataModule(L.LightningDataModule):
    """Sequence classification (integer labels) or regression (float labels) data.

    Args:
        path (str): CSV ``sequence,label[,split]``, or a FASTA when ``labels_csv`` is given.
        labels_csv (str | None): CSV ``id,label[,split]`` for a FASTA ``path``.
        tokenizer, k: linked to the model (must match a pretrained checkpoint).
        align (str): k-mer alignment of lengths that are not a multiple of k (``"pad"`` keeps every base).
        val_fraction (float): held out per class when the file has no ``split`` column.
        rc_prob (float): reverse-complement augmentation of training sequences.
        predict_path (str | None): sequences to predict (CSV with a sequence column, or FASTA; labels not
            needed); default: the test split. Predictions carry each input's row order as ``index``.
    """

    def __init__(self, path: str = "dna/gb_human_nontata_promoters.csv", labels_csv: str | None = None,
                 tokenizer: Literal["kmer", "nucleotide"] = "kmer", k: int = 6,
                 align: Literal["pad", "truncate", "error"] = "pad", batch_size: int = 64, val_fraction: float = 0.1,
                 rc_prob: float = 0.5, seed: int = 0, num_workers: int = 0, predict_path: str | None = None) -> None:
        super().__init__()
        self.predict_path = predict_path
        self.path, self.labels_csv = path, labels_csv
        self.tokenizer, self.k, self.align = tokenizer, k, align
        self.batch_size, self.val_fraction, self.rc_prob = batch_size, val_fraction, rc_prob
        self.seed, self.num_workers = seed, num_workers
        self.splits: dict[str, LabelledSequences] = {}
        self._data: LabelledSequences | None = None

    @property
    def num_classes(self) -> int:
        """Classes in the file (1 for float labels: regression)."""
        data = self._read()
        return int(data.labels.max()) + 1 if data.labels.dtype == np.int64 else 1

    def _read(self) -> LabelledSequences:
        if self._data is None:
            labels = resolve_data_path(self.labels_csv) if self.labels_csv else None
            self._data = read_labelled(resolve_data_path(self.path), labels)
        return self._data

    def setup(self, stage: str | None = None) -> None:
        data = self._read()
        self.encoder = build_tokenizer(self.tokenizer, self.k, self.align)
        if data.splits is not None:
            self.splits = {s: data.subset(np.flatnonzero(data.splits == s)) for s in ("train", "val", "test")}
            if len(self.splits["test"]) == 0:  # a train/val file: the validation split is also the test split
                self.splits["test"] = self.splits["val"]
        else:
            rng = np.random.default_rng(self.seed)
            held = []
            groups = [np.flatnonzero(data.labels == c) for c in np.unique(data.labels)] \
                if data.labels.dtype == np.int64 else [np.arange(len(data))]
            for group in groups:
                held.extend(rng.permutation(group)[: max(1, round(self.val_fraction * len(group)))])
            held = np.array(sorted(held))
            train = np.setdiff1d(np.arange(len(data)), held)
            self.splits = {"train": data.subset(train), "val": data.subset(held), "test": data.subset(held)}
        for name in ("train", "val"):
            if len(self.splits[name]) == 0:
                raise ValueError(f"{self.path}: the {name} split is empty")

    def collate(self, items: list[tuple[np.ndarray, float | int]]) -> dict[str, torch.Tensor]:
        """Both strands, each ``<s> seq </s>`` right-padded: tokens / tokens_rc (B, T), lengths (B,)."""
        out: dict[str, torch.Tensor] = {}
        for key, strand in (("", lambda b: b), ("_rc", reverse_complement)):
            rows = [self.encoder.encode(strand(bases), add_bos=True, add_eos=True) for bases, _ in items]
            lengths = torch.tensor([len(r) for r in rows])
            tokens = torch.full((len(rows), int(lengths.max())), self.encoder.pad_id, dtype=torch.long)
            for i, r in enumerate(rows):
                tokens[i, : len(r)] = torch.from_numpy(r)
            out[f"tokens{key}"], out[f"lengths{key}"] = tokens, lengths
        labels = np.array([label for _, label in items])
        out["labels"] = torch.from_numpy(labels)
        return out

    def _loader(self, split: str, train: bool) -> DataLoader:
        dataset = _Examples(self.splits[split], self.rc_prob if train else 0.0)
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=train, collate_fn=self.collate,
                          num_workers=self.num_workers)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)

    def predict_dataloader(self) -> DataLoader:
        if self.predict_path is None:
            return self._loader("test", False)
        data = read_labelled(resolve_data_path(self.predict_path), require_labels=False)
        return DataLoader(_Examples(data, 0.0), batch_size=self.batch_size, collate_fn=self.collate,
                          num_workers=self.num_workers)
