"""OCR legibility: the accuracy arithmetic, and tesseract reading rendered pages (real text and controls)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from seqkit.domains.textimage.ocr import legibility, read_text, read_texts
from seqkit.domains.textimage.render import PageRenderer

needs_tesseract = pytest.mark.skipif(shutil.which("tesseract") is None,
                                     reason="tesseract is not installed (apt-get install tesseract-ocr)")


def test_character_and_word_accuracy_are_one_minus_error_rates() -> None:
    assert legibility("the cat sat", "the cat sat") == legibility("the  cat\nsat", "the cat sat")
    one = legibility("abcd efgh", "abcd efgx")
    assert one.characters == pytest.approx(1 - 1 / 9) and one.words == pytest.approx(0.5)
    assert legibility("abc", "a completely different and much longer reading").characters == 0.0
    with pytest.raises(ValueError, match="non-empty reference"):
        legibility("  ", "x")


@needs_tesseract
def test_tesseract_reads_rendered_pages_and_random_strings_score_lower() -> None:
    real = PageRenderer(256, sizes=[13], seed=1, split="test")
    control = PageRenderer(256, sizes=[13], seed=1, split="test", control="random_strings")
    scores = [legibility(p.text, read_text(p.image)).characters for p in (real(0), real(1))]
    assert min(scores) > 0.95
    noise = [legibility(p.text, read_text(p.image)).characters for p in (control(0), control(1))]
    assert min(noise) > 0.8
    blank = np.full((256, 256, 3), 255, np.uint8)
    assert legibility(real(0).text, read_text(blank)).characters < 0.05


@needs_tesseract
def test_pages_read_side_by_side_come_back_in_order() -> None:
    real = PageRenderer(256, sizes=[13], seed=2, split="test")
    pages = [real(i) for i in range(3)]
    blank = np.full((256, 256, 3), 255, np.uint8)
    images = [pages[0].image, blank, pages[1].image, pages[2].image]
    readings = read_texts(images, workers=2)
    assert readings == [read_text(image) for image in images]
    assert readings[1].strip() == ""
    assert all(legibility(p.text, r).characters > 0.95 for p, r in zip(pages, readings[:1] + readings[2:], strict=True))


@needs_tesseract
def test_engine_thread_limit_does_not_leak_into_later_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    # tesseract runs single-threaded, but a training run started after OCR must keep every OpenMP thread
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    page = PageRenderer(256, sizes=[13], seed=2, split="test")(0)
    read_texts([page.image, page.image], workers=2)
    assert "OMP_THREAD_LIMIT" not in os.environ
    monkeypatch.setenv("OMP_THREAD_LIMIT", "3")  # a user's own choice stays
    read_text(page.image)
    assert os.environ["OMP_THREAD_LIMIT"] == "3"
