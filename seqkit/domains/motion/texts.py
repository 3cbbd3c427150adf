"""The text side of text-to-motion: HumanML3D caption files, prompt files, CMU's trial index, a word tokenizer.

* HumanML3D caption files (``texts/<id>.txt``): one caption per line, ``caption#word/POS word/POS ...#start#end``;
  start and end are seconds into the clip, ``0.0#0.0`` (or ``nan``) meaning the whole clip.
* Prompt files, three layouts in use: MLD's ``<frames> <text>``, MoMask's ``<text>#<frames>``, MDM's one plain
  prompt per line (no length). Lengths are frame counts at 20 fps, the HumanML3D rate.
* CMU's trial index (``index.csv``): file name → CMU's one-line description, frame count and frame rate. The
  frame rate a file's header states is not always the capture rate; ``CmuTrial.effective_fps`` reads the index's
  note to tell.

A malformed line is a ``MotionFormatError`` naming the file and line number.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from seqkit.atomic_io import atomic_write
from seqkit.domains.motion.body_joints import T2M_FPS
from seqkit.domains.motion.errors import MotionFormatError

PROMPT_FORMATS = ("mld", "momask", "mdm")
_INTEGER = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
_CAPTURE_FPS = re.compile(r"captur\w*\s+(?:at\s+)?(\d+(?:\.\d+)?)\s*fps", re.IGNORECASE)


@dataclass
class Caption:
    """One HumanML3D caption: its text, the word/POS tokens, and the span it describes (seconds; 0, 0 = all)."""

    text: str
    tokens: list[tuple[str, str]] = field(default_factory=list)
    start: float = 0.0
    end: float = 0.0

    @property
    def whole_clip(self) -> bool:
        return self.start == 0.0 and self.end == 0.0

    def frame_span(self, n_frames: int | None = None, fps: float = T2M_FPS) -> tuple[int, int | None]:
        """Frames ``[first, stop)`` the caption covers at ``fps``; ``(0, n_frames)`` for the whole clip.

        Seconds become frames by truncation, ``int(seconds * fps)``, as HumanML3D's loader does, so a span
        selects the same frames it selects there. ``stop`` is clipped to ``n_frames`` when that is given.
        """
        if self.whole_clip:
            return 0, n_frames
        first, stop = int(self.start * fps), int(self.end * fps)
        if n_frames is not None:
            first, stop = min(first, n_frames), min(stop, n_frames)
        return first, stop


@dataclass(frozen=True)
class Prompt:
    """A text prompt and the length asked for, in frames at 20 fps (``None``: the file gave none)."""

    text: str
    n_frames: int | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.n_frames is None else self.n_frames / T2M_FPS


@dataclass(frozen=True)
class CmuTrial:
    """One row of the CMU trial index: a mocap file, CMU's description of it, its length and frame rate."""

    file: str
    subject: int
    trial: int
    frames: int
    fps: float  # the rate the index lists for the file (what the file's header says)
    description: str
    joints: int | None = None
    skeleton: str = ""
    fps_note: str = ""
    source_repo: str = ""
    source_commit: str = ""
    source_path: str = ""
    raw_sha256: str = ""

    @property
    def name(self) -> str:
        """The trial id, ``"16_01"`` for ``16_01.bvh.gz``."""
        return self.file.split(".", 1)[0]

    @property
    def capture_fps(self) -> float | None:
        """The capture rate the note states ("... capture at 120 fps"), when it states one."""
        found = _CAPTURE_FPS.search(self.fps_note)
        return float(found.group(1)) if found else None

    @property
    def effective_fps(self) -> float:
        """The rate to play the frames at: the stated capture rate when the note gives one, else ``fps``.

        CMU captured at 120 fps; some BVH conversions (amc2bvh's default ``Frame Time 0.0333``) write 30 into
        the header, and the index keeps that header value in ``fps`` and the true rate in the note.
        """
        return self.capture_fps or self.fps

    @property
    def seconds(self) -> float:
        return self.frames / self.effective_fps


def read_humanml_texts(path: str | Path) -> list[Caption]:
    """The captions of one HumanML3D text file, in file order; blank lines are skipped."""
    path = Path(path)
    captions = []
    for number, line in _lines(path):
        captions.append(_parse_caption(line, path, f"line {number}"))
    return captions


def write_humanml_texts(path: str | Path, captions: list[Caption]) -> Path:
    """Write ``captions`` in the HumanML3D layout (atomically); ``read_humanml_texts`` reads them back equal.

    Times are written with ``repr`` so they read back exactly; a caption, word or tag that would break the
    layout (``#``, a line break, a space or ``/`` in a tag) is a ``ValueError``.
    """
    lines = []
    for i, cap in enumerate(captions):
        where = f"caption {i}"
        text = cap.text.strip()
        if not text:
            raise ValueError(f"{where}: empty caption")
        if "#" in text or "\n" in text or "\r" in text:
            raise ValueError(f"{where}: caption {text!r} contains '#' or a line break")
        words = []
        for word, pos in cap.tokens:
            if not word or not pos or any(c in word for c in "# \t\r\n") or any(c in pos for c in "#/ \t\r\n"):
                raise ValueError(f"{where}: token ({word!r}, {pos!r}) cannot be written as word/POS")
            words.append(f"{word}/{pos}")
        start, end = _checked_span(float(cap.start), float(cap.end), lambda what, w=where: ValueError(f"{w}: {what}"))
        lines.append(f"{text}#{' '.join(words)}#{start!r}#{end!r}\n")
    data = "".join(lines).encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data))


def read_prompts(path: str | Path, format: str | None = None) -> list[Prompt]:
    """The prompts of an MLD (``<frames> <text>``), MoMask (``<text>#<frames>``) or MDM (plain) prompt file.

    ``format=None`` detects the layout from the first prompt line: a ``#`` means MoMask, a leading number MLD,
    anything else MDM. Every line is then read in that layout, so a line that does not fit is an error naming
    it (a plain-prompt file whose first prompt starts with a number needs ``format="mdm"``). Blank lines are
    skipped; lengths must be whole, positive frame counts.
    """
    path = Path(path)
    if format is not None and format not in PROMPT_FORMATS:
        raise ValueError(f"prompt format must be one of {', '.join(PROMPT_FORMATS)}, got {format!r}")
    lines = list(_lines(path))
    if not lines:
        raise MotionFormatError(path, None, "no prompts (the file is empty)")
    fmt = format or _detect_prompt_format(lines[0][1])
    return [_parse_prompt(line, fmt, path, f"line {number}") for number, line in lines]


def read_cmu_index(path: str | Path) -> dict[str, CmuTrial]:
    """The CMU trial index (CSV with ``file, subject, trial, frames, fps, description`` and optional extras)."""
    path = Path(path)
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines())
    required = ("file", "subject", "trial", "frames", "fps", "description")
    if reader.fieldnames is None:
        raise MotionFormatError(path, None, "empty file, expected a CSV header")
    missing = [c for c in required if c not in reader.fieldnames]
    if missing:
        raise MotionFormatError(path, "line 1", f"missing column(s) {', '.join(missing)}")
    trials: dict[str, CmuTrial] = {}
    for row in reader:
        where = f"line {reader.line_num}"
        if None in row or any(row[c] is None for c in required):
            raise MotionFormatError(path, where, f"expected {len(reader.fieldnames)} fields")
        name = row["file"].strip()
        if not name:
            raise MotionFormatError(path, where, "empty file name")
        if name in trials:
            raise MotionFormatError(path, where, f"{name} is listed twice")
        fps = _csv_number(row["fps"], "fps", float, path, where)
        frames = _csv_number(row["frames"], "frames", int, path, where)
        if not fps > 0 or not math.isfinite(fps):
            raise MotionFormatError(path, where, f"fps {row['fps']!r} must be a positive number")
        if frames < 0:
            raise MotionFormatError(path, where, f"frames {frames} must not be negative")
        joints = row.get("joints") or ""
        trials[name] = CmuTrial(
            file=name, subject=_csv_number(row["subject"], "subject", int, path, where),
            trial=_csv_number(row["trial"], "trial", int, path, where), frames=frames, fps=fps,
            description=row["description"].strip(),
            joints=_csv_number(joints, "joints", int, path, where) if joints.strip() else None,
            **{k: (row.get(k) or "").strip() for k in ("skeleton", "fps_note", "source_repo", "source_commit",
                                                      "source_path", "raw_sha256")})
    return trials


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise MotionFormatError(path, None, f"not UTF-8 text (byte {err.start})") from None


def _lines(path: Path):
    """(line number, line) for each non-blank line; numbers count every line, blank or not."""
    for number, line in enumerate(_read_text(path).split("\n"), 1):
        line = line.rstrip("\r")
        if line.strip():
            yield number, line


def _parse_caption(line: str, path: Path, where: str) -> Caption:
    fields = line.split("#")
    if len(fields) == 1:
        raise MotionFormatError(path, where, "no '#': expected caption#tokens#start#end")
    if len(fields) != 4:
        raise MotionFormatError(path, where, f"{len(fields)} '#'-separated fields, expected 4 "
                                             "(caption#tokens#start#end)")
    text = fields[0].strip()
    if not text:
        raise MotionFormatError(path, where, "empty caption")
    tokens = []
    for token in fields[1].split():
        word, slash, pos = token.rpartition("/")
        if not slash or not word or not pos:
            raise MotionFormatError(path, where, f"token {token!r} is not word/POS")
        tokens.append((word, pos))
    start, end = (_seconds(fields[i], name, path, where) for i, name in ((2, "start"), (3, "end")))
    start, end = _checked_span(start, end, lambda what: MotionFormatError(path, where, what))
    return Caption(text, tokens, start, end)


def _seconds(value: str, name: str, path: Path, where: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise MotionFormatError(path, where, f"{name} time {value.strip()!r} is not a number") from None
    return 0.0 if math.isnan(seconds) else seconds  # HumanML3D writes nan for "from the start" / "to the end"


def _checked_span(start: float, end: float, error) -> tuple[float, float]:
    if math.isnan(start) or math.isnan(end):
        start, end = (0.0 if math.isnan(start) else start), (0.0 if math.isnan(end) else end)
    if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end < 0:
        raise error(f"times must be finite and not negative, got start {start}, end {end}")
    if end < start:
        raise error(f"end {end} s is before start {start} s")
    return start, end


def _detect_prompt_format(first_line: str) -> str:
    if "#" in first_line:
        return "momask"
    head = first_line.split(maxsplit=1)[0]
    return "mld" if _NUMBER.fullmatch(head) else "mdm"


def _parse_prompt(line: str, fmt: str, path: Path, where: str) -> Prompt:
    if fmt == "mdm":
        return Prompt(line.strip())
    if fmt == "mld":
        parts = line.strip().split(maxsplit=1)
        text = parts[1].strip() if len(parts) == 2 else ""
        n_frames = _frames(parts[0], path, where, "MLD lines are '<frames> <text>'")
        if not text:
            raise MotionFormatError(path, where, "no prompt text after the length")
        return Prompt(text, n_frames)
    text, hash_, length = line.rpartition("#")
    if not hash_:
        raise MotionFormatError(path, where, "no '#<frames>' at the end (MoMask lines are '<text>#<frames>')")
    n_frames = _frames(length, path, where, "MoMask lines are '<text>#<frames>'")
    if not text.strip():
        raise MotionFormatError(path, where, "empty prompt text before '#'")
    return Prompt(text.strip(), n_frames)


def _frames(value: str, path: Path, where: str, layout: str) -> int:
    value = value.strip()
    if not _INTEGER.fullmatch(value):
        raise MotionFormatError(path, where, f"length {value!r} is not a whole number of frames ({layout})")
    n = int(value)
    if n <= 0:
        raise MotionFormatError(path, where, f"length {n} must be a positive number of frames")
    return n


def _csv_number(value: str, column: str, kind, path: Path, where: str):
    try:
        return kind(value.strip())
    except ValueError:
        raise MotionFormatError(path, where, f"{column} {value!r} is not {'an integer' if kind is int else 'a number'}"
                                ) from None
