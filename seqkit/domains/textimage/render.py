"""Seeded long-text pages: paragraphs, documents and slides drawn with PIL, each keeping its exact text.

A page is a list of blocks (a title, paragraphs, bullets) wrapped to the page width in a chosen face, size,
alignment and colour pair, drawn top to bottom until the next line would not fit. The page's ``text`` is
exactly the lines drawn, joined by newlines, so OCR on the page (or on a reconstruction of it) is scored
against what is really there, never against text that fell off the bottom.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from seqkit.domains.textimage.corpus import CONTROLS, apply_control, passage, split_verses
from seqkit.domains.textimage.fonts import FONTS, check_fonts, load_font

LAYOUTS = ("paragraph", "document", "slide")
ALIGNS = ("left", "center", "right")
BULLET = "\u2022 "


@dataclass(frozen=True)
class PageStyle:
    """How a page looks: face, pixel size, alignment, layout and the (R, G, B) colour pair."""

    font: str = "dejavu-sans"
    size: int = 13
    align: str = "left"
    layout: str = "paragraph"
    foreground: tuple[int, int, int] = (0, 0, 0)
    background: tuple[int, int, int] = (255, 255, 255)


@dataclass
class RenderedPage:
    """A drawn page: ``image`` (H, W, 3) uint8 and the exact ``text`` on it, one line per drawn line."""

    image: np.ndarray
    text: str
    style: PageStyle


def wrap_words(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """Greedy word wrap to ``width`` pixels; a word wider than a line is broken between characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if font.getlength(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while font.getlength(word) > width and len(word) > 1:
            cut = max(1, max(k for k in range(1, len(word) + 1) if font.getlength(word[:k]) <= width or k == 1))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        lines.append(current)
    return lines


def _luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """WCAG contrast ratio (1 to 21) between two colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def draw_page(blocks: list[tuple[str, str]], style: PageStyle, image_size: int | tuple[int, int]) -> RenderedPage:
    """Draw ``blocks`` (kind, text) with kind in title | paragraph | bullet; keep only the lines that fit."""
    height, width = (image_size, image_size) if isinstance(image_size, int) else image_size
    if style.align not in ALIGNS:
        raise ValueError(f"align must be one of {ALIGNS}, got {style.align!r}")
    image = Image.new("RGB", (width, height), style.background)
    draw = ImageDraw.Draw(image)
    margin = max(4, style.size // 2)
    usable = width - 2 * margin
    y = margin
    drawn: list[str] = []
    for kind, text in blocks:
        bold = kind == "title"
        size = round(style.size * 1.4) if bold else style.size
        font = load_font(style.font, size, bold)
        indent = 0
        if kind == "bullet":
            indent = round(font.getlength(BULLET))
            lines = wrap_words(text, font, usable - indent)
            lines = [BULLET + lines[0]] + lines[1:] if lines else []
        else:
            lines = wrap_words(text, font, usable)
        ascent, descent = font.getmetrics()
        step = round((ascent + descent) * 1.15)
        for k, line in enumerate(lines):
            if y + ascent + descent > height - margin:
                return RenderedPage(np.asarray(image), "\n".join(drawn), style)
            offset = indent if (kind == "bullet" and k > 0) else 0
            length = font.getlength(line)
            if style.align == "left":
                x = margin + offset
            elif style.align == "center":
                x = margin + (usable - length) / 2
            else:
                x = width - margin - length
            draw.text((x, y), line, fill=style.foreground, font=font)
            drawn.append(line)
            y += step
        y += step // 2 if kind != "bullet" else 0
    return RenderedPage(np.asarray(image), "\n".join(drawn), style)


class PageRenderer:
    """Seeded pages of KJV text: page ``index`` is the same image and text on every call and machine.

    ``split`` picks the train or test verses; ``control`` replaces the words (shuffled, or random strings of
    the same lengths) after layout choices are drawn, so a control page looks like its real twin.
    ``words`` = (min, max) draws short captions instead of full pages: one paragraph of that many words, the
    prompts a generator learns from (text that fits is drawn whole).
    """

    def __init__(self, image_size: int = 256, fonts: tuple[str, ...] | list[str] = tuple(FONTS),
                 sizes: tuple[int, ...] | list[int] = (11, 13, 16), layouts: tuple[str, ...] | list[str] = LAYOUTS,
                 aligns: tuple[str, ...] | list[str] = ALIGNS, colour: bool = True, split: str = "train",
                 control: str = "none", words: tuple[int, int] | list[int] | None = None, seed: int = 0) -> None:
        unknown = [x for x in layouts if x not in LAYOUTS]
        if unknown:
            raise ValueError(f"unknown layouts {unknown}; choose from {LAYOUTS}")
        if control not in CONTROLS:
            raise ValueError(f"control must be one of {CONTROLS}, got {control!r}")
        check_fonts(tuple(fonts))
        self.image_size = image_size
        self.fonts, self.sizes, self.layouts, self.aligns = tuple(fonts), tuple(sizes), tuple(layouts), tuple(aligns)
        self.colour, self.control, self.seed = colour, control, seed
        if words is not None and not (len(words) == 2 and 1 <= words[0] <= words[1]):
            raise ValueError(f"words must be [min, max] with 1 <= min <= max, got {words}")
        self.words = tuple(words) if words is not None else None
        self.verses = split_verses(split)

    def style(self, rng: random.Random) -> PageStyle:
        """A face, size, alignment, layout and a colour pair with WCAG contrast of at least 4.5."""
        font, size = rng.choice(self.fonts), rng.choice(self.sizes)
        layout, align = rng.choice(self.layouts), rng.choice(self.aligns)
        foreground, background = (0, 0, 0), (255, 255, 255)
        if self.colour:
            while True:
                background = tuple(rng.randrange(170, 256) for _ in range(3))
                foreground = tuple(rng.randrange(0, 90) for _ in range(3))
                if rng.random() < 0.25:
                    foreground, background = background, foreground
                if contrast_ratio(foreground, background) >= 4.5:
                    break
        return PageStyle(font, size, align, layout, foreground, background)

    def blocks(self, rng: random.Random, layout: str, n_chars: int) -> list[tuple[str, str]]:
        """The page's content: a paragraph; a title over paragraphs; or a title over short bullets."""
        if layout == "paragraph":
            return [("paragraph", passage(self.verses, rng, n_chars))]
        title = " ".join(passage(self.verses, rng, 30).split()[: rng.randint(2, 5)]).rstrip(",;:.")
        if layout == "document":
            body = passage(self.verses, rng, n_chars)
            words = body.split()
            cut = rng.randint(len(words) // 3, 2 * len(words) // 3) if len(words) > 6 else len(words)
            return [("title", title), ("paragraph", " ".join(words[:cut])), ("paragraph", " ".join(words[cut:]))]
        bullets = [" ".join(passage(self.verses, rng, 10).split()[: rng.randint(3, 9)]).rstrip(",;:")
                   for _ in range(rng.randint(3, 8))]
        return [("title", title)] + [("bullet", b) for b in bullets]

    def __call__(self, index: int) -> RenderedPage:
        rng = random.Random(f"{self.seed}:{index}")
        style = self.style(rng)
        # enough characters to fill the page at this size (about 0.6 em per glyph, 1.15 em per line)
        n_chars = int((self.image_size / (0.55 * style.size)) * (self.image_size / (1.15 * style.size))) + 20
        if self.words is not None:
            words = passage(self.verses, rng, 20 * self.words[1]).split()[: rng.randint(*self.words)]
            blocks = [("paragraph", " ".join(words))]
        else:
            blocks = self.blocks(rng, style.layout, n_chars)
        blocks = [(kind, apply_control(text, self.control, rng)) for kind, text in blocks]
        return draw_page(blocks, style, self.image_size)

    def render_text(self, text: str, style: PageStyle | None = None) -> RenderedPage:
        """``text`` as one paragraph in ``style`` (layout ignored), for prompts and tests."""
        style = style or PageStyle()
        return draw_page([("paragraph", text)], style, self.image_size)
