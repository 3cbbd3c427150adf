"""A user's folder of text images with captions (the text each image shows), for tokenizers and generators.

Captions come from ``captions.csv`` (header ``file,text``; ``file`` relative to the folder) or a ``<image>.txt``
beside each image. Images must be RGB (or grayscale, converted) at the model's size; ``resize=True`` scales
them instead (area averaging, which blurs small glyphs, so it is opt-in). An unreadable or wrongly sized
image is skipped and listed with the reason, and the batch goes on; a missing or empty caption is an error
naming the image, because a text image without its text cannot be scored. Files are split whole: every
tenth file (in name order) goes to validation, the next to test.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from seqkit.commands.user_errors import InputError
from seqkit.data.captioned_folder import read_captions, split_of

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
IMAGE_MODES = ("RGB", "RGBA", "L", "LA", "P")


class TextImageError(InputError):
    """A text image or caption that cannot be used: ``TextImageError(path, "line 3", "what")``."""


@dataclass
class TextImageRecord:
    """One image: uint8 (H, W, 3), the text on it, its split and file."""

    image: np.ndarray
    text: str
    split: str
    source: str


def read_image(path: str | Path, size: int | None = None, resize: bool = False) -> np.ndarray:
    """An image file as uint8 (H, W, 3); with ``size``, checked (or, with ``resize``, scaled) to size×size."""
    path = Path(path)
    try:
        with Image.open(path) as picture:
            picture.load()
            if picture.mode not in IMAGE_MODES:
                raise TextImageError(path, None, f"image mode {picture.mode} is not supported "
                                                 f"(use 8-bit RGB or grayscale: one of {', '.join(IMAGE_MODES)})")
            if picture.mode in ("RGBA", "LA", "P"):
                background = Image.new("RGB", picture.size, (255, 255, 255))
                rgba = picture.convert("RGBA")
                background.paste(rgba, mask=rgba.getchannel("A"))
                picture = background
            picture = picture.convert("RGB")
            if size is not None and picture.size != (size, size):
                if not resize:
                    raise TextImageError(path, None, f"image is {picture.width}x{picture.height}, the model takes "
                                                     f"{size}x{size} (pass resize=True to scale it)")
                picture = picture.resize((size, size), Image.BOX if picture.width > size else Image.BICUBIC)
            return np.asarray(picture, dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError) as err:
        raise TextImageError(path, None, f"cannot be read as an image ({err.__class__.__name__}: {err})") from err


def read_image_folder(folder: str | Path, size: int, resize: bool = False
                      ) -> tuple[list[TextImageRecord], list[tuple[str, str]]]:
    """The folder's captioned images, and (file, reason) for each image skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise NotADirectoryError(20, "Not a directory", str(folder))
    images = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not images:
        raise TextImageError(folder, None, f"holds no images ({', '.join(IMAGE_SUFFIXES)})")
    captions = read_captions(folder, images, "text", TextImageError)
    records, skipped = [], []
    for i, path in enumerate(images):
        try:
            pixels = read_image(path, size, resize)
        except TextImageError as err:
            skipped.append((str(path), err.what))
            continue
        records.append(TextImageRecord(pixels, captions[path.resolve()], split_of(i, len(images)), path.name))
    for path, reason in skipped:
        warnings.warn(f"skipped {path}: {reason}", stacklevel=2)
    if not any(r.split == "train" for r in records):
        raise TextImageError(folder, None, "no usable training images" + (f" ({len(skipped)} skipped)" if skipped
                                                                           else ""))
    return records, skipped
