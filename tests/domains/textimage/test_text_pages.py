"""Corpus, fonts and the page renderer: seeded, exact text, clear errors for missing fonts."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from seqkit.domains.textimage import fonts as font_module
from seqkit.domains.textimage.corpus import apply_control, kjv_verses, split_verses
from seqkit.domains.textimage.fonts import FontMissingError, load_font
from seqkit.domains.textimage.render import PageRenderer, PageStyle, contrast_ratio, draw_page, wrap_words


def test_the_kjv_has_its_verses_without_verse_numbers_and_splits_in_order() -> None:
    verses = kjv_verses()
    assert len(verses) > 24_000
    assert verses[0].startswith("In the beginning God created")
    assert not any(":" in v.split()[0] and v.split()[0][0].isdigit() for v in verses)
    train, test = split_verses("train"), split_verses("test")
    assert train == verses[:len(train)] and test == verses[len(train):]
    assert len(train) == round(0.75 * len(verses))


def test_controls_keep_word_lengths_and_shuffle_only_order() -> None:
    text = "And God said Let there be light and there was light"
    shuffled = apply_control(text, "shuffled_words", random.Random(0))
    assert sorted(shuffled.split()) == sorted(text.split()) and shuffled != text
    noise = apply_control(text, "random_strings", random.Random(0))
    assert [len(w) for w in noise.split()] == [len(w) for w in text.split()] and noise.islower()
    with pytest.raises(ValueError, match="control must be one of"):
        apply_control(text, "reverse", random.Random(0))


def test_pages_are_seeded_and_their_text_is_exactly_the_lines_drawn() -> None:
    renderer = PageRenderer(128, seed=3)
    a, b = renderer(5), renderer(5)
    assert np.array_equal(a.image, b.image) and a.text == b.text and a.image.shape == (128, 128, 3)
    assert not np.array_equal(renderer(6).image, a.image)
    for i in range(6):
        page = renderer(i)
        assert page.text and contrast_ratio(page.style.foreground, page.style.background) >= 4.5
        font = load_font(page.style.font, page.style.size)
        usable = 128 - 2 * max(4, page.style.size // 2)
        assert all(load_font(page.style.font, round(page.style.size * 1.4), True).getlength(line) <= usable + 1
                   or font.getlength(line) <= usable + 1 for line in page.text.split("\n"))


def test_redrawing_the_recorded_text_gives_the_same_page() -> None:
    style = PageStyle(font="liberation-serif", size=13, align="center")
    page = draw_page([("paragraph", "In the beginning God created the heaven and the earth. " * 8)], style, 128)
    again = draw_page([("paragraph", page.text.replace("\n", " "))], style, 128)
    assert np.array_equal(page.image, again.image)
    assert len(page.text) < len("In the beginning God created the heaven and the earth. " * 8)  # clipped


def test_word_wrap_breaks_an_overlong_word_between_characters() -> None:
    font = load_font("dejavu-mono", 13)
    lines = wrap_words("a " + "x" * 60 + " b", font, 100)
    assert all(font.getlength(line) <= 100 for line in lines) and "".join(lines).count("x") == 60


def test_word_counts_give_short_prompts() -> None:
    renderer = PageRenderer(256, sizes=[16], layouts=["paragraph"], words=(2, 5), seed=0)
    counts = [len(renderer(i).text.split()) for i in range(10)]
    assert min(counts) >= 2 and max(counts) <= 5


def test_a_missing_font_names_the_debian_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(font_module, "SYSTEM_FONT_DIRS", (str(tmp_path),))
    monkeypatch.delenv(font_module.FONT_DIRS_VARIABLE, raising=False)
    with pytest.raises(FontMissingError, match="fonts-liberation"):
        PageRenderer(64, fonts=["liberation-serif"])
    with pytest.raises(ValueError, match="unknown font"):
        font_module.font_file("comic-sans")


def test_draw_page_rejects_an_unknown_alignment() -> None:
    with pytest.raises(ValueError, match="align must be one of"):
        draw_page([("paragraph", "text")], PageStyle(align="justify"), 64)
