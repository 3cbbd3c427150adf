"""Where a benchmark's figures come from: commit, tree state, command, machine, software, date, measured paths.

Every benchmark writes this record beside its figures: as a block of lines in its markdown report (one block
per section where several scripts share a report) and in a JSON sidecar next to the report
(``results/<name>.json``). ``measures`` are the repository paths whose code produced the figures (each
benchmark declares them in ``MEASURES``); ``tests/benchmarks/test_results_provenance.py`` fails when one of
them changed in a commit after the one a report names, so a figure is never older than its code.

A commit that touches a measured path without changing what it measures (a report's wording, a comment)
may say so in its message with a line ``Figures-unchanged: <path> [<path> ...]``; the check then ignores
that commit for those paths only. Regenerating the figure is always the better answer.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib.metadata
import json
import os
import platform
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from seqkit.atomic_io import atomic_write
from seqkit.hardware import cpu_model

REPO = Path(__file__).resolve().parents[1]
TRAILER = "Figures-unchanged:"
_COMMIT_LINE = re.compile(r"^- Commit: `([0-9a-f]{7,40})`", re.M)
_MEASURES_LINE = re.compile(r"^- Measures: (.*)$", re.M)


def git(*args: str, repo: Path = REPO) -> str | None:
    """stdout of ``git -C repo <args>``, or None when git is missing or the command fails."""
    try:
        out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def _gpu_name() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def collect(measures: Sequence[str], argv: Sequence[str] | None = None, repo: Path = REPO) -> dict[str, Any]:
    """The provenance of figures measured now, by this process, from the code at ``measures``.

    ``measures`` are paths relative to the repository root; each must exist (a typo would make the
    staleness check silently pass). ``argv`` defaults to ``sys.argv``.
    """
    missing = [p for p in measures if not (repo / p).exists()]
    if missing:
        raise FileNotFoundError(f"MEASURES names paths that do not exist in {repo}: {missing}")
    argv = list(sys.argv if argv is None else argv)
    head = git("rev-parse", "HEAD", repo=repo)
    status = git("status", "--porcelain", "--untracked-files=no", repo=repo)
    # porcelain v1: "XY path" or "XY old -> new"; reports being rewritten are not code
    dirty_paths = sorted(p for p in (line[3:].split(" -> ")[-1] for line in status.splitlines())
                         if not p.startswith("benchmarks/results/")) if status is not None else None
    return {
        "commit": head.strip() if head else None,
        "dirty": bool(dirty_paths) if dirty_paths is not None else None,
        "dirty_paths": dirty_paths,
        "measures": list(measures),
        "command": "python " + shlex.join(argv),
        "machine": {"platform": platform.platform(), "cpu": cpu_model(), "cores": os.cpu_count(),
                    "gpu": _gpu_name()},
        "software": {"python": platform.python_version(), "torch": _version("torch"), "triton": _version("triton"),
                     "lightning": _version("lightning")},
        "date_utc": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def markdown(prov: dict[str, Any]) -> str:
    """The record as the block of lines every report section carries (``parse`` reads it back)."""
    if prov["commit"] is None:
        state = "not a git checkout: these figures cannot be traced to a commit"
    elif prov["dirty"]:
        state = "uncommitted changes to tracked files: " + ", ".join(prov["dirty_paths"])
    else:
        state = "working tree clean"
    machine, software = prov["machine"], prov["software"]
    gpu = f", GPU {machine['gpu']}" if machine.get("gpu") else ", no CUDA GPU"
    return "\n".join([
        "Provenance:",
        "",
        f"- Commit: `{prov['commit'] or 'none'}` ({state})",
        "- Measures: " + ", ".join(f"`{p}`" for p in prov["measures"]),
        f"- Command: `{prov['command']}`",
        f"- Machine: {machine['platform']}, {machine['cpu']}, {machine['cores']} cores{gpu}",
        "- Software: " + ", ".join(f"{k} {v}" for k, v in software.items() if v),
        f"- Date: {prov['date_utc']}",
    ])


def write_json(report: Path, prov: dict[str, Any], figures: Any, section: str | None = None) -> Path:
    """Write the figures and their provenance to the JSON sidecar of ``report`` (``<name>.json``), atomically.

    With ``section`` (reports shared by several scripts) only that section's entry is replaced, under
    ``"sections"``; the other scripts' entries stay."""
    path = Path(report).with_suffix(".json")
    entry = {"provenance": prov, "figures": figures}
    if section is None:
        data = entry
    else:
        data = json.loads(path.read_text()) if path.exists() else {}
        data.setdefault("sections", {})[section] = entry
    text = json.dumps(data, indent=1, default=str) + "\n"
    return atomic_write(path, lambda fh: fh.write(text.encode()))


def stamp(report: Path, text: str, measures: Sequence[str], figures: Any = None, section: str | None = None) -> str:
    """Record the provenance of figures measured now: write it with ``figures`` (default: the tables of
    ``text``) to the report's JSON sidecar and return ``text`` followed by the markdown block."""
    prov = collect(measures)
    write_json(report, prov, markdown_tables(text) if figures is None else figures, section)
    return f"{text.rstrip()}\n\n{markdown(prov)}"


def markdown_tables(text: str) -> list[list[dict[str, str]]]:
    """Every markdown table in ``text`` as a list of rows (header -> cell): the figures as the report shows them,
    for scripts whose figures are only assembled as text."""
    tables, lines = [], text.splitlines()
    for i in range(len(lines) - 1):
        if lines[i].startswith("|") and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            header = [c.strip() for c in lines[i].strip().strip("|").split("|")]
            rows = []
            for line in lines[i + 2:]:
                if not line.startswith("|"):
                    break
                rows.append(dict(zip(header, (c.strip() for c in line.strip().strip("|").split("|")), strict=False)))
            tables.append(rows)
    return tables


def parse(text: str) -> dict[str, Any] | None:
    """The commit and measured paths a report (or one section) names: ``{"commit", "measures"}``, or None
    when it names no commit. Reads both the blocks ``markdown`` writes and the ones recorded afterwards."""
    commit = _COMMIT_LINE.search(text)
    if commit is None:
        return None
    measures = _MEASURES_LINE.search(text)
    paths = re.findall(r"`([^`]+)`", measures.group(1)) if measures else []
    return {"commit": commit.group(1), "measures": paths}


def sections(text: str) -> dict[str, str]:
    """A report's sections by marker (``<!-- name -->`` ... ``<!-- /name -->`` or ``<!-- name:start -->`` ...
    ``<!-- name:end -->``); a report without markers is one section named ``""``."""
    found = {m.group(1): m.group(2) for m in re.finditer(
        r"<!-- (?!/)([\w:.-]+?)(?::start)? -->(.*?)<!-- (?:/\1|\1:end) -->", text, re.S)}
    return found or {"": text}


def _code(source: str | None) -> str | None:
    """Python source without its comments, docstrings and layout (its AST), or the text itself if not Python."""
    if source is None:
        return None
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            node.body = body[1:] or [ast.Pass()]
    return ast.dump(tree)


def _same_code(name: str, commit: str, repo: Path) -> bool:
    """True when ``commit`` changed only comments, docstrings or layout of the Python file ``name``."""
    if not name.endswith(".py"):
        return False
    before, after = (git("show", f"{rev}:{name}", repo=repo) for rev in (f"{commit}^", commit))
    return before is not None and after is not None and _code(before) == _code(after)


def newer_commits(commit: str, paths: Sequence[str], repo: Path = REPO) -> list[str]:
    """Commits after ``commit`` (up to HEAD) that changed the code at any of ``paths``, as ``"<short hash> <subject>"``.

    Changes to comments, docstrings or layout of Python files do not count, nor do changes to paths a commit's
    message declares with ``Figures-unchanged:``."""
    out = git("log", "--format=%x1e%h %s%x1f%B%x1f", "--name-only", f"{commit}..HEAD", "--", *paths, repo=repo)
    if out is None:
        raise RuntimeError(f"git log {commit}..HEAD failed in {repo}")
    newer = []
    for record in out.split("\x1e")[1:]:
        title, body, names = record.split("\x1f")
        declared = [p for line in body.splitlines() if line.startswith(TRAILER)
                    for p in line[len(TRAILER):].split()]
        changed = [n for n in names.split() if not any(n == d or n.startswith(d.rstrip("/") + "/") for d in declared)]
        sha = title.split()[0]
        if any(not _same_code(n, sha, repo) for n in changed):
            newer.append(title.strip())
    return newer
