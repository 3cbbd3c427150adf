"""Benchmark reports shared by several scripts: each script owns one marked section of a markdown file."""

from __future__ import annotations

from pathlib import Path

from seqkit.atomic_io import atomic_write


def replace_section(report: Path, markers: tuple[str, str], section: str, title: str) -> None:
    """Put ``section`` (which starts with ``markers[0]`` and ends with ``markers[1]``) into ``report``,
    replacing the previous one or appending it; other scripts' sections stay. Written atomically."""
    text = report.read_text() if report.exists() else f"# {title}\n"
    if markers[0] in text:
        head, rest = text.split(markers[0], 1)
        text = head + section + rest.split(markers[1], 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    atomic_write(report, lambda fh: fh.write(text.encode()))
