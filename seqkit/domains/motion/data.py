"""The motion data module: training motions with captions, normalised, batched with padding; prompts to predict.

``source``: ``procedural`` (seeded motions, the embedded default), ``cmu`` (a folder of CMU takes with their
index, default the shared CMU data) or ``humanml3d`` (a HumanML3D-format folder). Features are normalised
with the folder's ``Mean.npy``/``Std.npy`` when it has them (or ``statistics``), else with statistics fitted
on the training split (HumanML3D's recipe: a mean per feature, an std per feature group). Training examples
are random crops of whole 4-frame units (as HumanML3D's loader); evaluation uses whole motions.
The vocabulary of the training captions, the statistics and the feature width are read by the model
(linked by the command line), so a checkpoint carries what it was trained with.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from seqkit.caption_encoder import CaptionVocabulary
from seqkit.data.data_path import resolve_data_path
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.humanml_features import HUMANML3D
from seqkit.domains.motion.normalization import FeatureNormalizer
from seqkit.domains.motion.texts import Prompt, read_prompts
from seqkit.domains.motion.training_sets import (
    MotionRecord,
    cmu_records,
    humanml3d_records,
    procedural_records,
)

UNIT = 4  # frames: crops are whole units, as HumanML3D's loader


class MotionDataset(Dataset):
    """Normalised features of records; training mode crops and picks one caption at random."""

    def __init__(self, records: list[MotionRecord], normalizer: FeatureNormalizer, vocabulary: CaptionVocabulary,
                 train: bool, max_frames: int, max_caption_tokens: int, seed: int = 0) -> None:
        self.records, self.normalizer, self.vocabulary = records, normalizer, vocabulary
        self.train, self.max_frames, self.max_tokens = train, max_frames, max_caption_tokens
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> dict[str, Any]:
        r = self.records[i]
        n = min(r.n_frames, self.max_frames)
        start = 0
        k = self.rng.integers(len(r.captions)) if self.train else 0
        if self.train:
            n = max(UNIT, n // UNIT * UNIT - (UNIT if self.rng.random() < 1 / 3 and n >= 2 * UNIT else 0))
            start = int(self.rng.integers(0, r.n_frames - n + 1))
        features = np.asarray(r.features[start:start + n], dtype=np.float32)
        item = {"features": self.normalizer.normalize(torch.from_numpy(features)), "caption": r.captions[k],
                "name": r.name}
        if r.text_embeddings is not None:
            item["text_embedding"] = torch.as_tensor(np.asarray(r.text_embeddings[k], dtype=np.float32))
        return item


def collate_motions(items: list[dict[str, Any]], vocabulary: CaptionVocabulary, max_tokens: int) -> dict[str, Any]:
    """Pad features to the longest: features (B, L, F), lengths (B,), padding (B, L), caption ids (B, T)."""
    lengths = torch.tensor([it["features"].shape[0] for it in items])
    longest = int(lengths.max())
    feats = torch.zeros(len(items), longest, items[0]["features"].shape[1])
    for i, it in enumerate(items):
        feats[i, :lengths[i]] = it["features"]
    captions = [it["caption"] for it in items]
    batch = {"features": feats, "lengths": lengths, "padding": torch.arange(longest)[None] >= lengths[:, None],
             "captions": captions, "caption_ids": vocabulary.batch(captions, max_tokens),
             "names": [it["name"] for it in items]}
    if all("text_embedding" in it for it in items):
        batch["text_embedding"] = torch.stack([it["text_embedding"] for it in items])
    return batch


class PromptDataset(Dataset):
    """Prompts to generate from: caption, length in frames, a file-safe name; ``repeats`` samples each."""

    def __init__(self, prompts: list[Prompt], default_frames: int, repeats: int,
                 embeddings: np.ndarray | None = None) -> None:
        self.items = []
        for i, p in enumerate(prompts):
            for r in range(repeats):
                item = {"caption": p.text, "length": p.n_frames or default_frames,
                        "name": f"{i:04d}_{r:02d}" if repeats > 1 else f"{i:04d}"}
                if embeddings is not None:
                    item["text_embedding"] = torch.as_tensor(embeddings[i], dtype=torch.float32)
                self.items.append(item)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return self.items[i]


def collate_prompts(items: list[dict[str, Any]]) -> dict[str, Any]:
    batch = {"captions": [it["caption"] for it in items], "lengths": torch.tensor([it["length"] for it in items]),
             "names": [it["name"] for it in items]}
    if all("text_embedding" in it for it in items):
        batch["text_embedding"] = torch.stack([it["text_embedding"] for it in items])
    return batch


class MotionDataModule(L.LightningDataModule):
    """Motions and captions for the VAE, the denoisers and the evaluator; prompts for ``predict``.

    Args:
        source: "procedural", "cmu" or "humanml3d".
        path: the CMU folder (default: the shared CMU takes) or the HumanML3D folder.
        n_motions, seed: procedural motions.
        statistics: a folder with Mean.npy/Std.npy (or a Mean.npy path) to normalise with.
        text_embeddings: humanml3d only: a folder of ``<id>.npy`` precomputed caption embeddings.
        smoothing_hz: CMU import: zero-phase low-pass cut-off (None: resampling only).
        prompts: predict: a prompt file (MLD ``<len> <text>``, MoMask ``<text>#<len>`` or one text per line)
            or texts separated by ``|``; ``prompt_embeddings``: an .npy (n_prompts, E) to use instead.
        default_frames: predict: the length of prompts that give none (frames at 20 fps).
    """

    def __init__(self, source: str = "procedural", path: str | None = None, n_motions: int = 2000, seed: int = 0,
                 batch_size: int = 32, max_frames: int = 196, max_caption_tokens: int = 32,
                 statistics: str | None = None, text_embeddings: str | None = None,
                 smoothing_hz: float | None = None, prompts: str | None = None,
                 prompt_embeddings: str | None = None, default_frames: int = 120, repeats: int = 1,
                 num_workers: int = 0) -> None:
        super().__init__()
        if source not in ("procedural", "cmu", "humanml3d"):
            raise ValueError(f"source must be procedural, cmu or humanml3d, got {source!r}")
        self.source, self.path, self.n_motions, self.seed = source, path, n_motions, seed
        self.batch_size, self.max_frames, self.max_caption_tokens = batch_size, max_frames, max_caption_tokens
        self.statistics_path, self.text_embeddings = statistics, text_embeddings
        self.smoothing_hz = smoothing_hz
        self.prompts, self.prompt_embeddings = prompts, prompt_embeddings
        self.default_frames, self.repeats, self.num_workers = default_frames, repeats, num_workers
        self._records: list[MotionRecord] | None = None
        self._normalizer: FeatureNormalizer | None = None
        self._vocabulary: CaptionVocabulary | None = None
        self.skipped: list[tuple[str, str]] = []

    # ---- what the model reads ---------------------------------------------------------------------------
    @property
    def records(self) -> list[MotionRecord]:
        if self._records is None:
            self._records = self._load()
        return self._records

    def split(self, name: str) -> list[MotionRecord]:
        return [r for r in self.records if r.split == name]

    @property
    def normalizer(self) -> FeatureNormalizer:
        if self._normalizer is None:
            self._normalizer = self._statistics()
        return self._normalizer

    @property
    def caption_vocabulary(self) -> CaptionVocabulary:
        """The words of the training captions, built once."""
        if self._vocabulary is None:
            self._vocabulary = CaptionVocabulary.build(c for r in self.split("train") for c in r.captions)
        return self._vocabulary

    @property
    def vocabulary(self) -> list[str]:
        return self.caption_vocabulary.to_plain()["words"]

    @property
    def feature_mean(self) -> list[float]:
        return [float(v) for v in self.normalizer.mean]

    @property
    def feature_std(self) -> list[float]:
        return [float(v) for v in self.normalizer.std]

    @property
    def d_feat(self) -> int:
        return HUMANML3D.dim

    # ---- loading ----------------------------------------------------------------------------------------
    def _load(self) -> list[MotionRecord]:
        if self.source == "procedural":
            records = procedural_records(self.n_motions, self.seed)
        elif self.source == "cmu":
            folder = resolve_data_path(self.path or "motion/cmu_daz")
            records, self.skipped = cmu_records(folder)
        else:
            if not self.path:
                raise ValueError("source='humanml3d' needs --data.init_args.path (the HumanML3D folder)")
            records = humanml3d_records(resolve_data_path(self.path), embeddings=self.text_embeddings)
        if not any(r.split == "train" for r in records):
            raise MotionFormatError(self.path or self.source, None, "no training motions")
        return records

    def _statistics(self) -> FeatureNormalizer:
        candidates = [self.statistics_path] if self.statistics_path else []
        if self.source == "humanml3d" and self.path:
            candidates.append(self.path)
        for c in candidates:
            folder = Path(c)
            if (folder / "Mean.npy").exists() or folder.suffix == ".npy":
                return FeatureNormalizer.load(folder)
            if self.statistics_path:
                raise FileNotFoundError(2, "no Mean.npy/Std.npy there", str(folder))
        return FeatureNormalizer.fit([r.features for r in self.split("train")])

    # ---- loaders ----------------------------------------------------------------------------------------
    def _loader(self, split: str, train: bool) -> DataLoader:
        vocab = self.caption_vocabulary
        records = self.split(split)
        if not records:
            raise MotionFormatError(self.path or self.source, None, f"the {split} split is empty")
        dataset = MotionDataset(records, self.normalizer, vocab, train, self.max_frames, self.max_caption_tokens,
                                self.seed)
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=train, num_workers=self.num_workers,
                          collate_fn=lambda items: collate_motions(items, vocab, self.max_caption_tokens),
                          drop_last=False)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)

    def prompt_list(self) -> list[Prompt]:
        if not self.prompts:
            raise ValueError("predict needs prompts: --data.init_args.prompts=FILE (or 'text one|text two')")
        if os.path.exists(self.prompts):
            return read_prompts(self.prompts)
        return [Prompt(t.strip()) for t in self.prompts.split("|") if t.strip()]

    def predict_dataloader(self) -> DataLoader:
        embeddings = np.load(self.prompt_embeddings) if self.prompt_embeddings else None
        prompts = self.prompt_list()
        if embeddings is not None and len(embeddings) != len(prompts):
            raise MotionFormatError(self.prompt_embeddings, None, f"{len(embeddings)} embeddings for "
                                    f"{len(prompts)} prompts")
        dataset = PromptDataset(prompts, self.default_frames, self.repeats, embeddings)
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=False, collate_fn=collate_prompts)
