"""Timed prompts for a long video: which text holds over which frames.

Three ways to give them:
- a YAML file: a list of ``{text: ..., start: 0, end: 96}`` (or a mapping with a ``prompts:`` list);
- a CSV file with a header ``text,start,end``;
- inline: ``"a red circle moving left@0:96|a blue square bouncing slowly@96:192"``.

Frames are 0-based, ``end`` exclusive; the prompts must tile ``0..length-1`` in order. A bad line is a
``VideoPromptError`` naming the file and the record.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

from seqkit.commands.user_errors import InputError


class VideoPromptError(InputError):
    """A timed-prompt file or string that cannot be used: ``VideoPromptError(source, "record 3", "what")``."""


class TimedPrompt(NamedTuple):
    """``text`` over frames ``start``..``end``-1 (a named tuple, so Lightning can move batches holding it)."""

    text: str
    start: int
    end: int


def _check(prompts: list[TimedPrompt], source: object) -> list[TimedPrompt]:
    if not prompts:
        raise VideoPromptError(source, None, "no prompts")
    expected = 0
    for i, p in enumerate(prompts):
        if not p.text.strip():
            raise VideoPromptError(source, f"record {i + 1}", "empty prompt text")
        if p.start != expected:
            raise VideoPromptError(source, f"record {i + 1}", f"starts at frame {p.start}; the prompts must tile the "
                                   f"video in order, so it should start at frame {expected}")
        if p.end <= p.start:
            raise VideoPromptError(source, f"record {i + 1}", f"ends at frame {p.end}, not after its start {p.start}")
        expected = p.end
    return prompts


def _frame(value: object, source: object, record: str, name: str) -> int:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise VideoPromptError(source, record, f"{name} {value!r} is not a frame number") from None
    if number != int(number) or number < 0:
        raise VideoPromptError(source, record, f"{name} {value!r} is not a frame number (a whole number >= 0)")
    return int(number)


def parse_inline(text: str) -> list[TimedPrompt]:
    """``"text@start:end|text@start:end"``."""
    prompts = []
    for i, part in enumerate(p for p in text.split("|") if p.strip()):
        record = f"prompt {i + 1}"
        if "@" not in part or ":" not in part.rsplit("@", 1)[1]:
            raise VideoPromptError("prompts", record, f"{part.strip()!r} is not 'text@start:end'")
        words, span = part.rsplit("@", 1)
        start, end = span.split(":", 1)
        prompts.append(TimedPrompt(words.strip(), _frame(start, "prompts", record, "start"),
                                   _frame(end, "prompts", record, "end")))
    return _check(prompts, "prompts")


def read_timed_prompts(path: str | Path) -> list[TimedPrompt]:
    """Timed prompts from a ``.yaml``/``.yml`` or ``.csv`` file."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise VideoPromptError(path, None, f"is not valid YAML ({err})") from err
        if isinstance(data, dict):
            data = data.get("prompts")
        if not isinstance(data, list):
            raise VideoPromptError(path, None, "expected a list of {text, start, end} (or a 'prompts:' list)")
        rows = []
        for i, item in enumerate(data):
            if not isinstance(item, dict) or not {"text", "start", "end"} <= set(item):
                raise VideoPromptError(path, f"record {i + 1}", f"expected keys text, start, end; got {item!r}")
            rows.append(item)
    elif path.suffix.lower() == ".csv":
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"text", "start", "end"} - set(reader.fieldnames or [])
            if missing:
                raise VideoPromptError(path, "line 1", f"the header lacks {', '.join(sorted(missing))} "
                                       "(expected text,start,end)")
            rows = list(reader)
    else:
        raise VideoPromptError(path, None, "timed prompts are read from .yaml, .yml or .csv files")
    prompts = []
    for i, row in enumerate(rows):
        record = f"record {i + 1}" if path.suffix.lower() != ".csv" else f"line {i + 2}"
        prompts.append(TimedPrompt(str(row["text"] or "").strip(), _frame(row["start"], path, record, "start"),
                                   _frame(row["end"], path, record, "end")))
    return _check(prompts, path)


def load_timed_prompts(spec: str) -> list[TimedPrompt]:
    """A file path if one exists at ``spec``, else the inline form."""
    if Path(spec).suffix.lower() in (".yaml", ".yml", ".csv") or Path(spec).exists():
        if not Path(spec).exists():
            raise FileNotFoundError(2, "No such file or directory", spec)
        return read_timed_prompts(spec)
    return parse_inline(spec)
