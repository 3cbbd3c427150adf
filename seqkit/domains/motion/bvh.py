"""BVH (Biovision Hierarchy) mocap files: read, write, and export joint positions as a BVH.

A BVH file is a ``HIERARCHY`` (a tree of ``ROOT``/``JOINT`` blocks, each with an ``OFFSET`` from its parent, a
``CHANNELS`` list and optional ``End Site``) followed by a ``MOTION`` block (``Frames:``, ``Frame Time:`` and one
line of channel values per frame, in the depth-first order of the joints). Rotations are Euler angles in degrees,
composed in the order the channels are listed. The reader accepts plain or gzipped files, any whitespace, CRLF,
any channel order and count per joint; a malformed file raises ``MotionFormatError`` naming the file and line.
``joints_to_bvh`` turns joint positions (e.g. generated 22-joint motion) into a BVH by inverse kinematics.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import re
import zlib
from itertools import chain
from pathlib import Path

import numpy as np
import torch

from seqkit.atomic_io import atomic_write
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.forward_kinematics import AXES, local_transforms
from seqkit.domains.motion.skeleton import MocapClip, Skeleton

GZIP_MAGIC = b"\x1f\x8b"
_CHANNEL = re.compile(r"^([xyz])(position|rotation)$", re.IGNORECASE)
_TOKEN = re.compile(r"[{}]|[^\s{}]+")
_FRAMES = re.compile(r"^\s*frames\s*:\s*(\S*)\s*$", re.IGNORECASE)
_FRAME_TIME = re.compile(r"^\s*frame\s+time\s*:\s*(\S*)\s*$", re.IGNORECASE)
_EVEN_ORDERS = {(0, 1, 2), (1, 2, 0), (2, 0, 1)}


# ----------------------------------------------------------------------------------------------------- reading


def read_text_lines(path: str | os.PathLike) -> list[str]:
    """The file's lines (CRLF or LF), gunzipped first when it starts with gzip's magic bytes (whatever its suffix)."""
    raw = Path(path).read_bytes()
    if raw.startswith(GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise MotionFormatError(path, None, f"corrupt gzip data ({err})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    return text.splitlines()


def channel_name(token: str) -> str | None:
    """The canonical spelling (``Xposition``, ``Zrotation``) of a channel token, or None when it is not one."""
    m = _CHANNEL.match(token)
    return None if m is None else m.group(1).upper() + m.group(2).lower()


class _HierarchyParser:
    """Recursive descent over the HIERARCHY tokens; each token carries its 1-based line number."""

    def __init__(self, path: str | os.PathLike, tokens: list[tuple[str, int]], motion_line: int) -> None:
        self.path, self.tokens, self.pos, self.motion_line = path, tokens, 0, motion_line
        self.names: list[str] = []
        self.parents: list[int] = []
        self.offsets: list[np.ndarray] = []
        self.channels: list[tuple[str, ...]] = []
        self.end_sites: dict[int, np.ndarray] = {}

    def fail(self, line: int, what: str) -> MotionFormatError:
        return MotionFormatError(self.path, f"line {line}", what)

    def next(self) -> tuple[str, int] | None:
        if self.pos >= len(self.tokens):
            return None
        self.pos += 1
        return self.tokens[self.pos - 1]

    def rest_of_line(self, line: int) -> list[str]:
        """The remaining tokens on ``line`` up to a brace (consumed)."""
        out = []
        while (self.pos < len(self.tokens) and self.tokens[self.pos][1] == line
               and self.tokens[self.pos][0] not in ("{", "}")):
            out.append(self.tokens[self.pos][0])
            self.pos += 1
        return out

    def numbers(self, keyword: str, line: int) -> np.ndarray:
        values = self.rest_of_line(line)
        if len(values) != 3:
            raise self.fail(line, f"{keyword} needs 3 numbers, found {len(values)}")
        try:
            out = np.array([float(v) for v in values])
        except ValueError:
            raise self.fail(line, f"{keyword} value is not a number: {' '.join(values)}") from None
        if not np.isfinite(out).all():
            raise self.fail(line, f"{keyword} has a non-finite value: {' '.join(values)}")
        return out

    def open_brace(self, what: str, line: int) -> int:
        tok = self.next()
        if tok is None or tok[0] != "{":
            found = "the MOTION line" if tok is None else repr(tok[0])
            raise self.fail(line if tok is None else tok[1], f"expected '{{' after {what}, found {found}")
        return tok[1]

    def unclosed(self, what: str, line: int) -> MotionFormatError:
        return self.fail(line, f"unbalanced braces: the '{{' of {what} is never closed "
                               f"(the hierarchy ends at the MOTION line {self.motion_line})")

    def parse(self) -> Skeleton:
        self.next()  # HIERARCHY (checked by the caller)
        tok = self.next()
        if tok is None or tok[0].upper() != "ROOT":
            line = self.motion_line if tok is None else tok[1]
            raise self.fail(line, "no ROOT in the HIERARCHY" + ("" if tok is None else f" (found {tok[0]!r})"))
        while tok is not None:
            if tok[0] == "}":
                raise self.fail(tok[1], "unbalanced braces: this '}' closes nothing")
            if tok[0].upper() != "ROOT":
                raise self.fail(tok[1], f"expected ROOT or MOTION, found {tok[0]!r}")
            self.joint(-1, "ROOT", tok[1])
            tok = self.next()
        return Skeleton(names=self.names, parents=self.parents, offsets=np.array(self.offsets).reshape(-1, 3),
                        channels=self.channels, end_sites=self.end_sites)

    def joint(self, parent: int, keyword: str, line: int) -> None:
        name = " ".join(self.rest_of_line(line))
        if not name:
            raise self.fail(line, f"{keyword} without a name")
        what = f"{keyword} {name!r}"
        opened = self.open_brace(what, line)
        j = len(self.names)
        self.names.append(name)
        self.parents.append(parent)
        self.offsets.append(np.zeros(3))
        self.channels.append(())
        seen_offset = seen_channels = False
        while True:
            tok = self.next()
            if tok is None:
                raise self.unclosed(what, opened)
            word, at = tok
            key = word.upper()
            if word == "}":
                break
            if key == "OFFSET":
                self.offsets[j] = self.numbers("OFFSET", at)
                seen_offset = True
            elif key == "CHANNELS":
                if seen_channels:
                    raise self.fail(at, f"{what} has a second CHANNELS line")
                self.channels[j] = self.channel_list(at)
                seen_channels = True
            elif key == "JOINT":
                self.joint(j, "JOINT", at)
            elif key == "END":
                site = self.next()
                if site is None or site[0].upper() != "SITE":
                    raise self.fail(at, "expected 'End Site'")
                if j in self.end_sites:
                    raise self.fail(at, f"{what} has a second End Site")
                self.end_sites[j] = self.end_site(at)
            elif key == "ROOT":
                raise self.unclosed(what, opened)
            else:
                raise self.fail(at, f"unexpected {word!r} in {what}")
        if not seen_offset:
            raise self.fail(opened, f"{what} has no OFFSET")

    def channel_list(self, line: int) -> tuple[str, ...]:
        words = self.rest_of_line(line)
        if not words or not words[0].isdigit():
            raise self.fail(line, "CHANNELS needs a count, then the channel names")
        count, listed = int(words[0]), words[1:]
        if count != len(listed):
            raise self.fail(line, f"CHANNELS says {count} channels but lists {len(listed)}")
        out = []
        for word in listed:
            name = channel_name(word)
            if name is None:
                raise self.fail(line, f"unknown channel name {word!r} (expected X/Y/Z + position/rotation)")
            out.append(name)
        return tuple(out)

    def end_site(self, line: int) -> np.ndarray:
        opened = self.open_brace("End Site", line)
        offset = None
        while True:
            tok = self.next()
            if tok is None:
                raise self.unclosed("End Site", opened)
            if tok[0] == "}":
                break
            if tok[0].upper() != "OFFSET":
                raise self.fail(tok[1], f"unexpected {tok[0]!r} in End Site")
            offset = self.numbers("OFFSET", tok[1])
        if offset is None:
            raise self.fail(opened, "End Site has no OFFSET")
        return offset


def _header_value(path: str | os.PathLike, lines: list[str], start: int, pattern: re.Pattern,
                  label: str) -> tuple[str, int]:
    """The value of the ``Frames:``/``Frame Time:`` line at or after ``start`` (skipping blank lines)."""
    i = start
    while i < len(lines) and not lines[i].strip():
        i += 1
    m = pattern.match(lines[i]) if i < len(lines) else None
    if m is None or not m.group(1):
        line = min(i, len(lines) - 1) + 1
        raise MotionFormatError(path, f"line {line}", f"expected '{label} <value>' in the MOTION block")
    return m.group(1), i


def read_bvh(path: str | os.PathLike) -> MocapClip:
    """Read a BVH file (plain or gzipped) into a clip: the joint tree and the (T, C) channel values.

    The frame time is reported as written (``Frame Time:``); correcting a wrong header is the caller's choice.
    """
    lines = read_text_lines(path)
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None or lines[first].split()[0].upper() != "HIERARCHY":
        found = "an empty file" if first is None else repr(lines[first].strip()[:40])
        raise MotionFormatError(path, f"line {1 if first is None else first + 1}",
                                f"not a BVH file: expected HIERARCHY, found {found}")
    motion_at = next((i for i, line in enumerate(lines) if line.split()[:1] == ["MOTION"]), None)
    if motion_at is None:
        raise MotionFormatError(path, f"line {len(lines)}", "no MOTION block (the file ends after the hierarchy)")
    tokens = [(tok, i + 1) for i in range(first, motion_at) for tok in _TOKEN.findall(lines[i])]
    skeleton = _HierarchyParser(path, tokens, motion_at + 1).parse()

    value, at = _header_value(path, lines, motion_at + 1, _FRAMES, "Frames:")
    if not value.isdigit():
        raise MotionFormatError(path, f"line {at + 1}", f"Frames: {value!r} is not a frame count")
    n_frames, frames_line = int(value), at + 1
    value, at = _header_value(path, lines, at + 1, _FRAME_TIME, "Frame Time:")
    try:
        frame_time = float(value)
    except ValueError:
        raise MotionFormatError(path, f"line {at + 1}", f"Frame Time: {value!r} is not a number") from None
    if not (math.isfinite(frame_time) and frame_time > 0):
        raise MotionFormatError(path, f"line {at + 1}", f"Frame Time must be a positive number, got {value}")

    motion = _parse_frames(path, skeleton, lines, at + 1)
    if motion.shape[0] != n_frames:
        raise MotionFormatError(path, f"line {frames_line}",
                                f"Frames: says {n_frames} but the MOTION block has {motion.shape[0]} frame lines")
    return MocapClip(skeleton=skeleton, motion=motion, frame_time=frame_time, source=str(path))


def _parse_frames(path: str | os.PathLike, skeleton: Skeleton, lines: list[str], start: int) -> np.ndarray:
    """Frame lines from ``start`` on (blank lines skipped) → (T, C) float64, checked line by line."""
    n_channels = skeleton.n_channels
    numbers = [i for i in range(start, len(lines)) if lines[i].strip()]  # 0-based line indices
    rows = [lines[i].split() for i in numbers]
    counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    bad = np.flatnonzero(counts != n_channels)
    if bad.size:
        k = int(bad[0])
        raise MotionFormatError(path, f"line {numbers[k] + 1}", f"frame {k + 1} has {counts[k]} values, "
                                f"expected {n_channels} (one per channel in the hierarchy)")
    if not rows:
        return np.zeros((0, n_channels))
    try:
        motion = np.array(list(chain.from_iterable(rows)), dtype=np.float64).reshape(len(rows), n_channels)
    except ValueError:
        for k, row in enumerate(rows):
            for c, word in enumerate(row):
                try:
                    float(word)
                except ValueError:
                    raise MotionFormatError(path, f"line {numbers[k] + 1}", f"frame {k + 1}: value {word!r} "
                                            f"({_column_label(skeleton, c)}) is not a number") from None
        raise
    finite = np.isfinite(motion)
    if not finite.all():
        k, c = (int(v) for v in np.argwhere(~finite)[0])
        raise MotionFormatError(path, f"line {numbers[k] + 1}", f"frame {k + 1}: value {rows[k][c]!r} "
                                f"({_column_label(skeleton, c)}) is not a finite number")
    return motion  # (T, C)


def _column_label(skeleton: Skeleton, column: int) -> str:
    """``"Hips Xrotation"`` for a motion column."""
    for name, chans in zip(skeleton.names, skeleton.channels, strict=True):
        if column < len(chans):
            return f"{name} {chans[column]}"
        column -= len(chans)
    return f"column {column}"


# ----------------------------------------------------------------------------------------------------- writing


def depth_first_order(parents: list[int] | tuple[int, ...]) -> list[int]:
    """Joint indices in BVH order: depth-first, children in index order, roots in index order."""
    children: list[list[int]] = [[] for _ in parents]
    roots = []
    for j, p in enumerate(parents):
        (roots if p < 0 else children[p]).append(j)
    out: list[int] = []
    stack = roots[::-1]
    while stack:
        j = stack.pop()
        out.append(j)
        stack.extend(children[j][::-1])
    return out


def _check_skeleton(skeleton: Skeleton) -> None:
    J = skeleton.n_joints
    if len(skeleton.parents) != J or len(skeleton.channels) != J or np.shape(skeleton.offsets) != (J, 3):
        raise ValueError("skeleton names, parents, channels and offsets (J, 3) must agree on J")
    for j, p in enumerate(skeleton.parents):
        if not -1 <= p < j:
            raise ValueError(f"joint {j} ({skeleton.names[j]!r}): parent {p} must come before it (or be -1)")
    for name in skeleton.names:
        if not name.strip() or re.search(r"[{}\r\n]", name) or name != name.strip():
            raise ValueError(f"joint name {name!r} cannot be written to a BVH file")
    for j, chans in enumerate(skeleton.channels):
        for c in chans:
            if channel_name(c) != c:
                raise ValueError(f"joint {skeleton.names[j]!r}: unknown channel {c!r}")
    if skeleton.pre_rotations is not None:
        eye = np.eye(3)
        if not all(np.allclose(c, eye, atol=1e-12) for c in skeleton.pre_rotations):
            raise ValueError("BVH has no pre-rotations (ASF axis); convert with bake_pre_rotations first")


def bvh_text(skeleton: Skeleton, motion: np.ndarray, frame_time: float) -> str:
    """The BVH file for a skeleton and (T, C) channel values, joints written depth-first."""
    motion = np.asarray(motion, dtype=np.float64)
    _check_skeleton(skeleton)
    if motion.ndim != 2 or motion.shape[1] != skeleton.n_channels:
        raise ValueError(f"motion must be (T, {skeleton.n_channels}), got {motion.shape}")
    if not np.isfinite(motion).all():
        raise ValueError("motion has non-finite values")
    if not (math.isfinite(frame_time) and frame_time > 0):
        raise ValueError(f"frame_time must be positive, got {frame_time}")
    starts = np.cumsum([0] + [len(c) for c in skeleton.channels])
    order = depth_first_order(skeleton.parents)
    children: list[list[int]] = [[] for _ in skeleton.names]
    for j, p in enumerate(skeleton.parents):
        if p >= 0:
            children[p].append(j)

    def fmt(v: np.ndarray) -> str:
        return " ".join(f"{x:.6f}" for x in np.asarray(v, dtype=np.float64) + 0.0)

    out = ["HIERARCHY"]

    def write(j: int, depth: int) -> None:
        pad = "\t" * depth
        out.append(f"{pad}{'ROOT' if skeleton.parents[j] < 0 else 'JOINT'} {skeleton.names[j]}")
        out.append(f"{pad}{{")
        out.append(f"{pad}\tOFFSET {fmt(skeleton.offsets[j])}")
        chans = skeleton.channels[j]
        out.append(f"{pad}\tCHANNELS {len(chans)}" + "".join(f" {c}" for c in chans))
        for c in children[j]:
            write(c, depth + 1)
        if j in skeleton.end_sites:
            out.extend([f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {fmt(skeleton.end_sites[j])}",
                        f"{pad}\t}}"])
        out.append(f"{pad}}}")

    for j in order:
        if skeleton.parents[j] < 0:
            write(j, 0)
    columns = np.concatenate([np.arange(starts[j], starts[j + 1]) for j in order]).astype(np.int64)
    out += ["MOTION", f"Frames: {motion.shape[0]}", f"Frame Time: {frame_time:.10g}"]
    buf = io.StringIO()
    if motion.shape[0] and columns.size:
        np.savetxt(buf, motion[:, columns] + 0.0, fmt="%.6f", delimiter=" ")
    else:
        buf.write("\n" * motion.shape[0])
    return "\n".join(out) + "\n" + buf.getvalue()


def write_bvh(path: str | os.PathLike, skeleton: Skeleton, motion: np.ndarray, frame_time: float) -> Path:
    """Write a clip as BVH (6 decimals), atomically; gzipped when ``path`` ends in ``.gz``.

    Joints are written depth-first (BVH's order), so ``read_bvh`` lists them in that order; a skeleton whose
    index order is already depth-first (every BVH-read one) round-trips unchanged.
    """
    data = bvh_text(skeleton, motion, frame_time).encode("utf-8")
    if str(path).endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    return atomic_write(path, lambda fh: fh.write(data))


def bake_pre_rotations(skeleton: Skeleton, motion: np.ndarray, order: str = "ZYX") -> tuple[Skeleton, np.ndarray]:
    """Fold ASF-style pre-rotations into plain Euler channels (``order``), so the clip can be written as BVH.

    A joint with rotation channels and a non-identity frame C gets its local rotation C @ R @ C^T re-expressed
    as three rotation channels in ``order`` (its position channels kept, listed first); FK is unchanged.
    """
    if skeleton.pre_rotations is None:
        return skeleton, np.asarray(motion, dtype=np.float64)
    motion = np.asarray(motion, dtype=np.float64)
    rot, _ = local_transforms(skeleton, torch.as_tensor(motion))
    rot = rot.numpy()  # (T, J, 3, 3)
    starts = np.cumsum([0] + [len(c) for c in skeleton.channels])
    channels, columns = [], []
    for j, chans in enumerate(skeleton.channels):
        block = motion[:, starts[j]:starts[j + 1]]
        has_rotation = any(c.endswith("rotation") for c in chans)
        if not has_rotation or np.allclose(skeleton.pre_rotations[j], np.eye(3), atol=1e-12):
            channels.append(tuple(chans))
            columns.append(block)
            continue
        keep = [k for k, c in enumerate(chans) if c.endswith("position")]
        channels.append(tuple(chans[k] for k in keep) + tuple(f"{a}rotation" for a in order))
        columns += [block[:, keep], _unwrap(matrix_to_euler(rot[:, j], order))]
    baked = Skeleton(names=list(skeleton.names), parents=list(skeleton.parents), offsets=skeleton.offsets.copy(),
                     channels=channels, end_sites=dict(skeleton.end_sites))
    return baked, np.concatenate(columns, axis=1) if columns else motion[:, :0]


# ------------------------------------------------------------------------------- joint positions → BVH (IK)


def matrix_to_euler(matrix: np.ndarray, order: str) -> np.ndarray:
    """Euler angles in degrees (..., 3) with ``euler_to_matrix(angles, order) == matrix`` for (..., 3, 3) rotations.

    ``order`` names three distinct axes composed left to right (BVH channel order), e.g. "ZYX" is Rz @ Ry @ Rx.
    The middle angle is in [-90, 90]; at gimbal lock (|cos middle| < 1e-8) the last angle is set to 0 and the
    first one absorbs the whole turn about the now-shared axis, so the matrix is still reproduced.
    """
    if len(order) != 3 or len(set(order.upper())) != 3 or not set(order.upper()) <= set(AXES):
        raise ValueError(f"order must name three distinct axes out of X, Y, Z, got {order!r}")
    i, j, k = (AXES[a] for a in order.upper())
    s = 1.0 if (i, j, k) in _EVEN_ORDERS else -1.0
    R = np.asarray(matrix, dtype=np.float64)
    cos_mid = np.hypot(R[..., i, i], R[..., i, j])
    mid = np.arctan2(s * R[..., i, k], cos_mid)
    first = np.arctan2(-s * R[..., j, k], R[..., k, k])
    last = np.arctan2(-s * R[..., i, j], R[..., i, i])
    locked = cos_mid < 1e-8
    first = np.where(locked, np.arctan2(s * R[..., k, j], R[..., j, j]), first)
    last = np.where(locked, 0.0, last)
    return np.rad2deg(np.stack([first, mid, last], axis=-1))


def _unwrap(degrees: np.ndarray) -> np.ndarray:
    """Remove 360° jumps between consecutive frames (same rotations, smoother curves)."""
    return np.unwrap(degrees, period=360.0, axis=0) if degrees.shape[0] > 1 else degrees


def swing_rotation(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The smallest rotations (..., 3, 3) taking unit vectors ``src`` (..., 3) onto unit vectors ``dst``.

    Axis-angle (Rodrigues) about src × dst, the axis re-orthogonalised against ``src`` and the angle taken with
    atan2, so ``R @ src == dst`` holds to rounding even for nearly opposite vectors; exactly opposite ones get a
    half turn about an axis perpendicular to ``src``.
    """
    src, dst = np.broadcast_arrays(np.asarray(src, np.float64), np.asarray(dst, np.float64))
    cross = np.cross(src, dst)
    angle = np.arctan2(np.linalg.norm(cross, axis=-1), np.sum(src * dst, axis=-1))[..., None, None]
    axis = cross - np.sum(cross * src, axis=-1, keepdims=True) * src
    norm = np.linalg.norm(axis, axis=-1, keepdims=True)
    helper = np.where(np.abs(src[..., :1]) < 0.9, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    perp = np.cross(src, helper)
    perp = perp / np.linalg.norm(perp, axis=-1, keepdims=True)
    axis = np.where(norm > 1e-300, axis / np.where(norm > 1e-300, norm, 1.0), perp)
    x, y, z = axis[..., 0], axis[..., 1], axis[..., 2]
    zero = np.zeros_like(x)
    K = np.stack([np.stack([zero, -z, y], -1), np.stack([z, zero, -x], -1), np.stack([-y, x, zero], -1)], -2)
    return np.eye(3) + np.sin(angle) * K + (1.0 - np.cos(angle)) * (K @ K)


def _fit_rotation(parent_world: np.ndarray, rest: np.ndarray, actual: np.ndarray, tol: float) -> np.ndarray:
    """World rotations (T, 3, 3) of a joint that carry its rest child directions onto the actual child bones.

    ``rest`` (K, 3) unit rest directions, ``actual`` (T, K, 3) child bone vectors. One usable child: the parent's
    rotation followed by the minimal swing (no twist of its own). Two or more non-collinear: the best-fit rotation
    of the unit directions (Kabsch). None (a leaf, or zero-length bones): the parent's rotation.
    """
    T, K = actual.shape[:2]
    if K == 0:
        return parent_world.copy()
    length = np.linalg.norm(actual, axis=-1)  # (T, K)
    valid = length > tol
    unit = actual / np.where(valid, length, 1.0)[..., None]  # (T, K, 3)
    first = np.argmax(valid, axis=1)  # the first usable child per frame
    frames = np.arange(T)
    src = parent_world @ rest[first][..., None]  # (T, 3, 1)
    swing = swing_rotation(src[..., 0], unit[frames, first]) @ parent_world
    n_valid = valid.sum(axis=1)
    out = np.where((n_valid == 0)[:, None, None], parent_world, swing)
    if K >= 2:
        cov = np.einsum("tk,tki,kj->tij", valid.astype(np.float64), unit, rest)  # (T, 3, 3) Σ a r^T
        u, sv, vt = np.linalg.svd(cov)
        flip = np.sign(np.linalg.det(u @ vt))
        flip = np.where(flip == 0, 1.0, flip)
        kabsch = u @ (np.concatenate([np.ones((T, 2)), flip[:, None]], axis=1)[:, :, None] * vt)
        spread = (n_valid >= 2) & (sv[:, 1] > 1e-8 * sv[:, 0])
        out = np.where(spread[:, None, None], kabsch, out)
    return out


def bone_lengths(positions: np.ndarray, parents: list[int] | tuple[int, ...]) -> np.ndarray:
    """Median length over frames of each joint's bone to its parent (J,); 0 for roots. ``positions`` (T, J, 3)."""
    p = np.asarray(positions, dtype=np.float64)
    out = np.zeros(p.shape[1])
    for j, parent in enumerate(parents):
        if parent >= 0:
            out[j] = np.median(np.linalg.norm(p[:, j] - p[:, parent], axis=-1))
    return out


def normalise_bone_lengths(positions: np.ndarray, parents: list[int] | tuple[int, ...],
                           lengths: np.ndarray | None = None) -> np.ndarray:
    """Positions (T, J, 3) rebuilt from the roots with each bone's direction kept and its length fixed.

    ``lengths`` defaults to ``bone_lengths`` (median over frames). A bone of zero length in a frame stays zero.
    """
    p = np.asarray(positions, dtype=np.float64)
    lengths = bone_lengths(p, parents) if lengths is None else np.asarray(lengths, dtype=np.float64)
    out = p.copy()
    for j, parent in enumerate(parents):
        if parent >= 0:
            bone = p[:, j] - p[:, parent]  # (T, 3)
            norm = np.linalg.norm(bone, axis=-1, keepdims=True)
            out[:, j] = out[:, parent] + lengths[j] * bone / np.where(norm > 0, norm, 1.0)
    return out


def split_branches(positions: np.ndarray, parents: list[int], names: list[str]
                   ) -> tuple[np.ndarray, list[int], list[str], dict[int, list[int]]]:
    """Give every child of a branching joint a zero-length joint of its own at the branching joint.

    A BVH joint turns all its children together, so a joint whose child bones do not move as one rigid body
    (the pelvis and spine3 of generated motion, or of SMPL points placed between mocap joints) cannot be matched
    exactly. With a joint ``<parent>__<child>`` between them, each branch turns on its own. Returns the new
    positions, parents and names (each new joint just before its child, so parents still come first) and, per
    branching joint's new index, the new indices of its real children (whose directions fix its rotation).
    """
    J = len(parents)
    kids = {j: [c for c in range(J) if parents[c] == j] for j in range(J)}
    order: list[tuple[str, int, int]] = []  # ("joint", j, -1) or ("branch", parent j, child c)
    for j in range(J):
        parent = parents[j]
        if parent >= 0 and len(kids[parent]) > 1:
            order.append(("branch", parent, j))
        order.append(("joint", j, -1))
    new_index = {("joint", j): i for i, (kind, j, _) in enumerate(order) if kind == "joint"}
    new_index.update({("branch", c): i for i, (kind, _, c) in enumerate(order) if kind == "branch"})
    new_parents, new_names, source = [], [], []
    for kind, j, c in order:
        if kind == "branch":
            new_parents.append(new_index[("joint", j)])
            new_names.append(f"{names[j]}__{names[c]}")
            source.append(j)
        else:
            parent = parents[j]
            if parent < 0:
                new_parents.append(-1)
            elif len(kids[parent]) > 1:
                new_parents.append(new_index[("branch", j)])
            else:
                new_parents.append(new_index[("joint", parent)])
            new_names.append(names[j])
            source.append(j)
    branching = {new_index[("joint", j)]: [new_index[("joint", c)] for c in kids[j]]
                 for j in range(J) if len(kids[j]) > 1}
    return positions[:, source], new_parents, new_names, branching


def joints_to_bvh(positions: np.ndarray | torch.Tensor, parents: list[int] | tuple[int, ...],
                  names: list[str] | tuple[str, ...], frame_time: float, path: str | os.PathLike | None = None,
                  rotation_order: str = "ZYX", branches: bool = True) -> MocapClip:
    """A BVH clip whose forward kinematics reproduces joint positions (T, J, 3); written to ``path`` when given.

    Rest pose: each bone points the way it does in the first frame where it has non-zero length, with its median
    length over frames (so frame 0's rotations are all zero when bone lengths are constant); roots have zero
    OFFSET and 6 channels (X/Y/Z position, then rotations in ``rotation_order``), other joints 3 rotation
    channels; leaves get an End Site of half their own bone, pointing the same way. Rotations are found by
    inverse kinematics, parent first: a joint with one child bone swings its parent's rotation onto that bone
    (no twist of its own, so twist cannot flip between frames); a joint with several (pelvis, spine3) takes the
    best-fit rotation of their unit directions (Kabsch/SVD). Angles are unwrapped over time (no 360° jumps).

    With ``branches`` (the default) every child of a branching joint hangs from a zero-length joint of its own
    (``split_branches``): the branching joint keeps its best-fit rotation, as a rig expects, and each branch
    joint adds the swing that makes its child exact, so non-rigid branches (generated motion) are reproduced too.

    Round trip: ``forward_kinematics`` of the result equals the input within 1e-4 when bone lengths are constant
    over time (and, with ``branches=False``, the child bones of each branching joint move rigidly, as in any FK
    output); with varying bone lengths it equals ``normalise_bone_lengths(positions, parents)`` (same
    directions, median lengths) instead: a BVH skeleton has one length per bone.
    The clip keeps the input's joint order (branch joints just before their child); the file is written
    depth-first (BVH order).
    """
    if isinstance(positions, torch.Tensor):
        positions = positions.detach().cpu().double().numpy()
    p = np.asarray(positions, dtype=np.float64)  # (T, J, 3)
    if p.ndim != 3 or p.shape[-1] != 3:
        raise ValueError(f"positions must be (T, J, 3), got {p.shape}")
    T, J = p.shape[:2]
    parents = [int(x) for x in parents]
    if len(parents) != J or len(names) != J:
        raise ValueError(f"{J} joints but {len(parents)} parents and {len(names)} names")
    if T == 0 or not np.isfinite(p).all():
        raise ValueError("positions must hold at least one frame of finite values")
    for j, parent in enumerate(parents):
        if not -1 <= parent < j:
            raise ValueError(f"joint {j}: parent {parent} must come before it (or be -1)")
    order = rotation_order.upper()
    matrix_to_euler(np.eye(3), order)  # validates the order
    names = [str(n) for n in names]
    branching: dict[int, list[int]] = {}
    if branches:
        p, parents, names, branching = split_branches(p, parents, names)
        J = len(parents)

    lengths = bone_lengths(p, parents)
    tol = 1e-9 * max(float(lengths.max(initial=0.0)), 1e-300)
    offsets = np.zeros((J, 3))
    for j, parent in enumerate(parents):
        if parent >= 0 and lengths[j] > tol:
            bone = p[:, j] - p[:, parent]  # (T, 3)
            norm = np.linalg.norm(bone, axis=-1)
            t0 = int(np.argmax(norm > tol))
            if norm[t0] > tol:
                offsets[j] = lengths[j] * bone[t0] / norm[t0]
    children = [[c for c in range(J) if parents[c] == j and np.any(offsets[c])] for j in range(J)]
    for j, real in branching.items():  # a branching joint turns by the directions of its real children
        children[j] = [c for c in real if np.any(offsets[c])]

    world = np.empty((T, J, 3, 3))
    angles = np.empty((T, J, 3))
    for j, parent in enumerate(parents):
        parent_world = world[:, parent] if parent >= 0 else np.broadcast_to(np.eye(3), (T, 3, 3))
        kids = children[j]
        rest = offsets[kids] / np.linalg.norm(offsets[kids], axis=-1, keepdims=True) if kids else np.zeros((0, 3))
        world[:, j] = _fit_rotation(parent_world, rest, p[:, kids] - p[:, j:j + 1], tol)
        local = np.swapaxes(parent_world, -1, -2) @ world[:, j]  # (T, 3, 3)
        angles[:, j] = _unwrap(matrix_to_euler(local, order))

    rotations = tuple(f"{a}rotation" for a in order)
    channels, columns = [], []
    for j, parent in enumerate(parents):
        if parent < 0:
            channels.append(("Xposition", "Yposition", "Zposition") + rotations)
            columns += [p[:, j], angles[:, j]]
        else:
            channels.append(rotations)
            columns.append(angles[:, j])
    end_sites = {j: 0.5 * offsets[j] for j in range(J) if all(parents[c] != j for c in range(J))}
    skeleton = Skeleton(names=[str(n) for n in names], parents=parents, offsets=offsets, channels=channels,
                        end_sites=end_sites)
    motion = np.concatenate(columns, axis=1)  # (T, C)
    if path is not None:
        write_bvh(path, skeleton, motion, frame_time)
    return MocapClip(skeleton=skeleton, motion=motion, frame_time=float(frame_time),
                     source=str(path) if path is not None else "joints_to_bvh")
