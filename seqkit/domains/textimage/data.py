"""The text-image data module: rendered KJV pages (the embedded default) or a user's captioned image folder.

Items are ``{"image": (3, H, W) float in [-1, 1], "text": str}``. Rendered pages are seeded per split and
index, so page i of a split is the same on every run and machine; train pages use the first 75 % of the
verses and val/test pages the rest. ``control`` (val/test only) swaps the words for shuffled words or random
strings, the controls that keep a language prior from hiding a bad reconstruction. Batching goes through
the shared ``SplitDataModule`` (epoch-seeded shuffling, so a resumed run sees the same order).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from seqkit.data import SplitDataModule, resolve_data_path
from seqkit.data.video_files import from_uint8, to_uint8
from seqkit.domains.textimage.fonts import FONTS
from seqkit.domains.textimage.image_folder import TextImageError, TextImageRecord, read_image_folder
from seqkit.domains.textimage.render import ALIGNS, LAYOUTS, PageRenderer

SOURCES = ("rendered", "folder")
SPLIT_SEEDS = {"train": 0, "val": 1_000_003, "test": 2_000_003}


def image_to_tensor(image: Any) -> torch.Tensor:
    """uint8 (H, W, 3) → float (3, H, W) in [-1, 1] (``video_files.from_uint8`` on one frame)."""
    return from_uint8(np.array(image)[None])[0]  # a copy: rendered pages are read-only arrays


def tensor_to_image(x: torch.Tensor) -> Any:
    """float (3, H, W) or (B, 3, H, W) in [-1, 1] → uint8 (H, W, 3) or (B, H, W, 3) (``video_files.to_uint8``)."""
    return to_uint8(x) if x.dim() == 4 else to_uint8(x[None])[0]


class RenderedPages(Dataset):
    """``n`` seeded pages of one split (``PageRenderer`` with the split's verses and seed)."""

    def __init__(self, n: int, split: str, seed: int, **renderer: Any) -> None:
        self.n = n
        verses = "train" if split == "train" else "test"
        self.renderer = PageRenderer(split=verses, seed=seed * 10_000_019 + SPLIT_SEEDS[split], **renderer)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, Any]:
        page = self.renderer(i)
        return {"image": image_to_tensor(page.image), "text": page.text}


class RecordImages(Dataset):
    def __init__(self, records: list[TextImageRecord]) -> None:
        self.records = records

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> dict[str, Any]:
        r = self.records[i]
        return {"image": image_to_tensor(r.image), "text": r.text}


class TextImageDataModule(SplitDataModule):
    """Pages to train a tokenizer (or, through its tokens, a generator) on.

    Args:
        source: ``rendered`` (seeded KJV pages) or ``folder`` (``folder`` of images with captions).
        image_size: side of the square images.
        n_train / n_val / n_test: rendered pages per split (a train epoch is ``n_train`` pages).
        fonts, sizes, layouts, aligns, colour: the renderer's choices (see ``render.PageRenderer``).
        control: val/test words: ``none``, ``shuffled_words`` or ``random_strings``.
        words: (min, max) words per page instead of full pages (the generator's prompts).
        folder / resize: the user's image folder, and whether to scale images of another size.
        prompts (predict): texts to render: a ``.txt`` (one per line), a ``.csv`` with a ``text`` column, or
            ``"text one|text two"``; ``samples`` images per text, seeds ``seed``, ``seed + 1``, ...
    """

    def __init__(self, source: str = "rendered", image_size: int = 256, n_train: int = 16384, n_val: int = 64,
                 n_test: int = 200, fonts: list[str] | None = None, sizes: list[int] | None = None,
                 layouts: list[str] | None = None, aligns: list[str] | None = None, colour: bool = True,
                 control: str = "none", words: list[int] | None = None, folder: str | None = None,
                 resize: bool = False, prompts: str | None = None, samples: int = 1, batch_size: int = 8,
                 num_workers: int = 0, seed: int = 0) -> None:
        super().__init__()
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
        if source == "folder" and not folder:
            raise ValueError("source=folder needs --data.init_args.folder=<folder of images with captions>")
        self.save_hyperparameters()
        self.source, self.image_size = source, image_size
        self.counts = {"train": n_train, "val": n_val, "test": n_test}
        self.renderer = {"image_size": image_size, "fonts": tuple(fonts or FONTS),
                         "sizes": tuple(sizes or (11, 13, 16)),
                         "layouts": tuple(layouts or LAYOUTS), "aligns": tuple(aligns or ALIGNS), "colour": colour,
                         "words": tuple(words) if words else None}
        self.control, self.folder, self.resize, self.prompts, self.samples = control, folder, resize, prompts, samples
        self.batch_size, self.num_workers, self.seed = batch_size, num_workers, seed
        self._records: list[TextImageRecord] | None = None
        self.skipped: list[tuple[str, str]] = []

    def records(self) -> list[TextImageRecord]:
        if self._records is None:
            self._records, self.skipped = read_image_folder(resolve_data_path(self.folder), self.image_size,
                                                            self.resize)
        return self._records

    def dataset(self, split: str) -> Dataset:
        if self.source == "folder":
            return RecordImages([r for r in self.records() if r.split == split])
        control = "none" if split == "train" else self.control
        return RenderedPages(self.counts[split], split, self.seed, control=control, **self.renderer)

    def prompt_texts(self) -> list[str]:
        """The predict prompts, read from a file or split from the inline ``a|b`` form."""
        if not self.prompts:
            raise ValueError("predict needs texts: --data.init_args.prompts=FILE.txt|FILE.csv or 'text one|text two'")
        return read_prompts(self.prompts)

    def predict_dataloader(self) -> DataLoader:
        items = [{"text": text, "seed": self.seed + s, "name": f"prompt{k:03d}_sample{s}"}
                 for k, text in enumerate(self.prompt_texts()) for s in range(self.samples)]
        return DataLoader(items, batch_size=self.batch_size, shuffle=False)


def read_prompts(prompts: str) -> list[str]:
    """Texts from a ``.txt`` (one per non-empty line), a ``.csv`` (``text`` column), or ``"a|b"`` inline."""
    path = Path(prompts)
    if path.suffix.lower() in (".txt", ".csv"):
        path = resolve_data_path(prompts)
        if path.suffix.lower() == ".txt":
            texts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
            texts = [t for t in texts if t]
        else:
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
            if "text" not in table.columns:
                raise TextImageError(path, "line 1", f"no 'text' column (columns: {', '.join(table.columns)})")
            texts = [t.strip() for t in table["text"]]
            for line, text in enumerate(texts, start=2):
                if not text:
                    raise TextImageError(path, f"line {line}", "empty text")
        if not texts:
            raise TextImageError(path, None, "holds no prompt")
        return texts
    texts = [t.strip() for t in prompts.split("|")]
    if not all(texts):
        raise ValueError(f"empty prompt in {prompts!r} (prompts are separated by '|')")
    return texts
