"""OCR legibility, the field's measure of a text image: tesseract's reading scored against the exact text.

Character accuracy is 1 − CER and word accuracy 1 − WER, both Levenshtein distances over the reference
length (floored at 0), after collapsing whitespace, so line breaks do not count. The engine and its
version are reported with every figure, because the choice of OCR engine dominates such numbers.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image
from rapidfuzz.distance import Levenshtein

TESSERACT_PACKAGES = "tesseract-ocr tesseract-ocr-eng"


class OCRUnavailableError(RuntimeError):
    """The tesseract binary is not installed; the message says which Debian packages to install."""


def _check_tesseract() -> None:
    if shutil.which("tesseract") is None:
        raise OCRUnavailableError(f"OCR needs the tesseract binary: install the Debian packages {TESSERACT_PACKAGES} "
                                  f"(sudo apt-get install {TESSERACT_PACKAGES})")


@functools.lru_cache(maxsize=1)
def engine_version() -> str:
    """``tesseract <version>`` of the installed engine."""
    _check_tesseract()
    import pytesseract
    return f"tesseract {pytesseract.get_tesseract_version()}"


_ENGINE_ENV_LOCK = threading.Lock()
_engine_env = {"users": 0, "set_by_us": False}


@contextlib.contextmanager
def _single_threaded_engine() -> Iterator[None]:
    """Tesseract's OpenMP threads make one small page slower, not faster (4× on 2 busy cores here): one
    thread per tesseract process, unless the user chose otherwise, while pages are being read; ``read_texts``
    runs pages side by side. The variable is removed again afterwards, so processes this one starts later
    (a training run, say) keep every thread."""
    with _ENGINE_ENV_LOCK:
        if _engine_env["users"] == 0:
            _engine_env["set_by_us"] = "OMP_THREAD_LIMIT" not in os.environ
            if _engine_env["set_by_us"]:
                os.environ["OMP_THREAD_LIMIT"] = "1"
        _engine_env["users"] += 1
    try:
        yield
    finally:
        with _ENGINE_ENV_LOCK:
            _engine_env["users"] -= 1
            if _engine_env["users"] == 0 and _engine_env["set_by_us"]:
                os.environ.pop("OMP_THREAD_LIMIT", None)


def read_text(image: np.ndarray, upscale: int = 2, page_segmentation: int = 6) -> str:
    """Tesseract's reading of an (H, W, 3) or (H, W) uint8 image, upscaled ``upscale``× (bicubic) first.

    ``page_segmentation`` 6 reads the page as one block of text, which suits paragraphs and slides alike;
    upscaling small glyphs (11–13 px) 2× lifts tesseract's accuracy on clean pages to the ~99 % ceiling."""
    _check_tesseract()
    import pytesseract
    picture = Image.fromarray(np.ascontiguousarray(image))
    if upscale > 1:
        picture = picture.resize((picture.width * upscale, picture.height * upscale), Image.BICUBIC)
    with _single_threaded_engine():
        return pytesseract.image_to_string(picture, config=f"--psm {page_segmentation}")


def read_texts(images: Sequence[np.ndarray], workers: int | None = None, **options: int) -> list[str]:
    """``read_text`` of each image, in order, ``workers`` tesseract processes at a time (default: the CPUs
    this process may use); ``options`` go to ``read_text``."""
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:  # each thread waits on its own process
        return list(pool.map(lambda image: read_text(image, **options), images))


def normalise(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped."""
    return " ".join(text.split())


@dataclass(frozen=True)
class Legibility:
    """Character and word accuracy of one reading against its reference."""

    characters: float
    words: float
    n_characters: int
    n_words: int


def legibility(reference: str, reading: str) -> Legibility:
    """1 − CER and 1 − WER of ``reading`` against ``reference`` (each floored at 0)."""
    ref, hyp = normalise(reference), normalise(reading)
    ref_words, hyp_words = ref.split(), hyp.split()
    if not ref:
        raise ValueError("legibility needs a non-empty reference text")
    chars = 1.0 - Levenshtein.distance(ref, hyp) / len(ref)
    words = 1.0 - Levenshtein.distance(ref_words, hyp_words) / len(ref_words)
    return Legibility(max(0.0, chars), max(0.0, words), len(ref), len(ref_words))
