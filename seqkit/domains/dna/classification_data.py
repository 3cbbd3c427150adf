"""Labelled sequences for fine-tuning: the file's own split (``split`` column) or a seeded stratified one,
reverse-complement augmentation for training, and both strands in every batch for RC-invariant scoring.

``test`` (and ``predict`` without ``predict_path``) scores the rows marked ``test`` when the file has a
split column (its ``val`` rows when none is marked test), and every row when it has none, so that
``seqkit-dna test --ckpt_path CKPT --data.init_args.path new.csv`` evaluates the whole new file. The one
exception is the file the checkpoint was trained on (recognised by a digest of its rows, saved in the
checkpoint): without a split column its seeded held-out rows are scored, never the training rows.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info
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
            needed); default: the rows ``test`` scores. Predictions carry each input's row order as ``index``.
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
        self._trained: dict[str, Any] = {}  # digest, seed and val_fraction of the fit (from fit, or a checkpoint)

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
        if stage in ("test", "predict"):
            return  # the rows are chosen by test_rows(), after a checkpoint's state has been loaded
        if data.splits is not None:
            self.splits = {s: data.subset(np.flatnonzero(data.splits == s)) for s in ("train", "val", "test")}
        else:
            train, held = self._held_out(data)
            self.splits = {"train": data.subset(train), "val": data.subset(held), "test": data.subset(held)}
        for name in ("train", "val") if stage in (None, "fit") else ("val",):
            if len(self.splits[name]) == 0:
                raise ValueError(f"{self.path}: the {name} split is empty")
        if stage in (None, "fit"):
            self._trained = {"digest": self.digest(), "seed": self.seed, "val_fraction": self.val_fraction}

    def _held_out(self, data: LabelledSequences, seed: int | None = None, val_fraction: float | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(train rows, held-out rows): ``val_fraction`` of each class (of all rows for regression), seeded."""
        seed = self.seed if seed is None else seed
        val_fraction = self.val_fraction if val_fraction is None else val_fraction
        rng = np.random.default_rng(seed)
        held = []
        groups = [np.flatnonzero(data.labels == c) for c in np.unique(data.labels)] \
            if data.labels.dtype == np.int64 else [np.arange(len(data))]
        for group in groups:
            held.extend(rng.permutation(group)[: max(1, round(val_fraction * len(group)))])
        held = np.array(sorted(held), dtype=np.int64)
        return np.setdiff1d(np.arange(len(data)), held), held

    def digest(self) -> str:
        """A digest of the file's sequences and labels: how a checkpoint recognises the data it was fit on."""
        data, h = self._read(), hashlib.blake2b(digest_size=16)
        for seq in data.sequences:
            h.update(len(seq).to_bytes(8, "little"))
            h.update(seq.tobytes())
        h.update(np.ascontiguousarray(data.labels).tobytes())
        return h.hexdigest()

    def state_dict(self) -> dict[str, Any]:
        """Saved in checkpoints: the training file's digest and held-out split (see ``test_rows``)."""
        return {f"trained_{k}": v for k, v in self._trained.items()}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        trained = {k.removeprefix("trained_"): v for k, v in state_dict.items() if k.startswith("trained_")}
        self._trained = trained or self._trained

    def test_rows(self) -> tuple[LabelledSequences, str]:
        """The rows ``test`` scores, and which they are (see the module docstring)."""
        data = self._read()
        if data.splits is not None:
            rows = data.subset(np.flatnonzero(data.splits == "test"))
            if len(rows):
                return rows, "the rows marked test"
            rows = data.subset(np.flatnonzero(data.splits == "val"))
            if len(rows) == 0:
                raise ValueError(f"{self.path}: no rows marked test or val in its split column")
            return rows, "the rows marked val (none is marked test)"
        if self._trained.get("digest") == self.digest():
            seed, fraction = self._trained["seed"], self._trained["val_fraction"]
            _, held = self._held_out(data, seed, fraction)
            return data.subset(held), (f"the held-out {fraction:.0%} (seed {seed}): this is the file the model was "
                                       f"trained on, and it has no split column")
        return data, "every row (the file has no split column)"

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
        rows, which = self.test_rows()
        rank_zero_info(f"Testing on {len(rows):,} of {len(self._read()):,} sequences in {self.path}: {which}")
        return DataLoader(_Examples(rows, 0.0), batch_size=self.batch_size, collate_fn=self.collate,
                          num_workers=self.num_workers)

    def predict_dataloader(self) -> DataLoader:
        if self.predict_path is None:
            rows, which = self.test_rows()
            rank_zero_info(f"Predicting {len(rows):,} of {len(self._read()):,} sequences in {self.path}: {which}")
            return DataLoader(_Examples(rows, 0.0), batch_size=self.batch_size, collate_fn=self.collate,
                              num_workers=self.num_workers)
        data = read_labelled(resolve_data_path(self.predict_path), require_labels=False)
        return DataLoader(_Examples(data, 0.0), batch_size=self.batch_size, collate_fn=self.collate,
                          num_workers=self.num_workers)
