"""The fonts pages are rendered in, found on disk as Debian installs them.

Six faces (DejaVu and Liberation; sans, serif, mono), each with a bold for titles. A missing face is a clear
error naming the Debian package that provides it; ``SEQKIT_FONT_DIRS`` (os.pathsep-separated) adds folders
to search, for systems that keep fonts elsewhere.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from PIL import ImageFont

FONT_DIRS_VARIABLE = "SEQKIT_FONT_DIRS"
SYSTEM_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation",
                    "/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype", "/usr/share/fonts")

# name -> (Debian package, regular file, bold file)
FONTS: dict[str, tuple[str, str, str]] = {
    "dejavu-sans": ("fonts-dejavu-core", "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "dejavu-serif": ("fonts-dejavu-core", "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "dejavu-mono": ("fonts-dejavu-core", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "liberation-sans": ("fonts-liberation", "LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    "liberation-serif": ("fonts-liberation", "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    "liberation-mono": ("fonts-liberation", "LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf"),
}


class FontMissingError(FileNotFoundError):
    """A face the renderer needs is not installed; the message names the Debian package."""


def font_dirs() -> list[Path]:
    """Folders searched for font files: ``$SEQKIT_FONT_DIRS`` first, then Debian's."""
    extra = [Path(p) for p in os.environ.get(FONT_DIRS_VARIABLE, "").split(os.pathsep) if p]
    return extra + [Path(p) for p in SYSTEM_FONT_DIRS]


def font_file(name: str, bold: bool = False) -> Path:
    """The path of face ``name`` (one of :data:`FONTS`), or :class:`FontMissingError` saying what to install."""
    if name not in FONTS:
        raise ValueError(f"unknown font {name!r}; choose from {sorted(FONTS)}")
    package, regular, bold_file = FONTS[name]
    wanted = bold_file if bold else regular
    for folder in font_dirs():
        candidate = folder / wanted
        if candidate.is_file():
            return candidate
    raise FontMissingError(f"font {name!r} ({wanted}) is not installed: install the Debian package {package} "
                           f"(sudo apt-get install {package}) or add its folder to ${FONT_DIRS_VARIABLE}")


@functools.lru_cache(maxsize=64)
def load_font(name: str, size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Face ``name`` at ``size`` pixels, cached (rendering many pages reuses a handful of fonts)."""
    return ImageFont.truetype(str(font_file(name, bold)), size)


def check_fonts(names: list[str] | tuple[str, ...]) -> None:
    """Fail early, before any page is drawn, naming every missing face and its package."""
    missing = []
    for name in names:
        for bold in (False, True):
            try:
                font_file(name, bold)
            except FontMissingError as err:
                missing.append(str(err))
    if missing:
        raise FontMissingError("; ".join(dict.fromkeys(missing)))
