"""Acclaim ASF (skeleton) and AMC (motion) files, as in the CMU motion capture database.

An ASF file lists bones (``direction`` unit vector and ``length`` in the rest pose, a local frame given by
``axis`` angles, ``dof`` rotations) and a ``:hierarchy``; an AMC file gives each frame's dof values per bone.
The mapping to ``Skeleton`` is the usual ASF→BVH conversion (CMU's amc2bvh): one joint per bone, located at the
bone's start, whose offset is its parent bone's direction × length; the bone's frame C (from ``axis``) becomes
its pre-rotation, so its local rotation is C @ M(dof) @ C^T; a leaf bone's end becomes an End Site.

Rotation order follows the ASF definition: the letters of ``order``/``axis`` (and the dof list) name rotations
about fixed axes, applied first to last, so ``rx ry rz`` is M = Rz @ Ry @ Rx, i.e. BVH channels
``Zrotation Yrotation Xrotation`` (the order CMU's own BVH conversions use). Lengths stay in file units
(``scale`` multiplies them; the ``:units length`` value is kept in ``AsfSkeleton.length_unit``).
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field

import numpy as np
import torch

from seqkit.domains.motion.bvh import read_text_lines
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.forward_kinematics import euler_to_matrix
from seqkit.domains.motion.skeleton import MocapClip, Skeleton

CMU_FPS = 120.0
ROOT = "root"
_ROTATION_DOFS = ("rx", "ry", "rz")
_TRANSLATION_DOFS = ("tx", "ty", "tz")
_SEPARATORS = re.compile(r"[(),]")


@dataclass
class AsfSkeleton(Skeleton):
    """A ``Skeleton`` read from an ASF file, plus what reading its AMC files needs.

    ``dofs[j]`` are joint j's AMC value names in file order (``tx``…``rz``, lower case); ``length_unit`` and
    ``angle_unit`` are the ASF ``:units``; ``scale`` is the factor applied to every length; ``root_position``
    is the ASF root ``position`` (added to the root's translations, in scaled units).
    """

    dofs: list[tuple[str, ...]] = field(default_factory=list)
    length_unit: float = 1.0
    angle_unit: str = "deg"
    scale: float = 1.0
    root_position: np.ndarray = field(default_factory=lambda: np.zeros(3))


@dataclass
class _Bone:
    name: str
    line: int
    direction: np.ndarray = field(default_factory=lambda: np.zeros(3))
    length: float = 0.0
    axis: tuple[float, float, float] = (0.0, 0.0, 0.0)
    axis_order: str = "XYZ"
    dof: tuple[str, ...] = ()


def _content_lines(path: str | os.PathLike) -> list[tuple[int, list[str]]]:
    """(1-based line number, tokens) of each non-empty line; ``#`` comments dropped, commas and parentheses
    read as spaces (as the Acclaim definition says)."""
    out = []
    for i, line in enumerate(read_text_lines(path)):
        words = _SEPARATORS.sub(" ", line.split("#", 1)[0]).split()
        if words:
            out.append((i + 1, words))
    return out


def fixed_axes_rotation(angles: tuple[float, float, float], order: str, degrees: bool = True) -> np.ndarray:
    """Rotation (3, 3) for angles about x, y, z applied about fixed axes in ``order`` (first letter first)."""
    values = [angles["XYZ".index(a)] for a in order]
    if not degrees:
        values = [math.degrees(v) for v in values]
    return euler_to_matrix(torch.tensor(values[::-1], dtype=torch.float64), order[::-1]).numpy()


def _floats(path: str | os.PathLike, line: int, words: list[str], n: int, what: str) -> list[float]:
    if len(words) < n:
        raise MotionFormatError(path, f"line {line}", f"{what} needs {n} numbers, found {len(words)}")
    try:
        out = [float(w) for w in words[:n]]
    except ValueError:
        raise MotionFormatError(path, f"line {line}", f"{what}: not a number in {' '.join(words[:n])}") from None
    if not all(math.isfinite(v) for v in out):
        raise MotionFormatError(path, f"line {line}", f"{what}: non-finite value in {' '.join(words[:n])}")
    return out


def _axis_order(path: str | os.PathLike, line: int, word: str) -> str:
    order = word.upper()
    if len(order) != 3 or set(order) != set("XYZ"):
        raise MotionFormatError(path, f"line {line}", f"axis order {word!r} is not a permutation of XYZ")
    return order


def read_asf(path: str | os.PathLike, scale: float = 1.0) -> AsfSkeleton:
    """Read an ASF skeleton; lengths (offsets, End Sites, root translations) are multiplied by ``scale``.

    CMU files say ``:units length 0.45``: file lengths / 0.45 are inches, so ``scale=0.0254 / 0.45`` gives
    metres. Translation dofs on non-root bones and the ``l`` (stretch) dof are not supported.
    """
    lines = _content_lines(path)
    sections: dict[str, list[tuple[int, list[str]]]] = {}
    current: str | None = None
    for line, words in lines:
        if words[0].startswith(":"):
            current = words[0][1:].lower()
            sections.setdefault(current, [])
            if len(words) > 1:
                sections[current].append((line, words[1:]))
        elif current is not None:
            sections[current].append((line, words))
    last = lines[-1][0] if lines else 1
    for required in ("root", "bonedata", "hierarchy"):
        if required not in sections:
            raise MotionFormatError(path, f"line {last}", f"no :{required} section (end of file)")

    length_unit, angle_unit = 1.0, "deg"
    for line, words in sections.get("units", []):
        key = words[0].lower()
        if key == "length":
            length_unit = _floats(path, line, words[1:], 1, "length unit")[0]
        elif key == "angle":
            if len(words) < 2 or words[1].lower() not in ("deg", "rad"):
                raise MotionFormatError(path, f"line {line}", "angle unit must be deg or rad")
            angle_unit = words[1].lower()
    degrees = angle_unit == "deg"

    root_order: tuple[str, ...] = ()
    root_axis, root_position, root_orientation = "XYZ", [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]
    for line, words in sections["root"]:
        key = words[0].lower()
        if key == "order":
            root_order = tuple(w.lower() for w in words[1:])
            for w in root_order:
                if w not in _ROTATION_DOFS + _TRANSLATION_DOFS:
                    raise MotionFormatError(path, f"line {line}", f"unknown root order token {w!r}")
            if len(set(root_order)) != len(root_order):
                raise MotionFormatError(path, f"line {line}", "root order repeats a token")
        elif key == "axis":
            root_axis = _axis_order(path, line, words[1] if len(words) > 1 else "")
        elif key == "position":
            root_position = _floats(path, line, words[1:], 3, "root position")
        elif key == "orientation":
            root_orientation = _floats(path, line, words[1:], 3, "root orientation")

    bones = _read_bones(path, sections["bonedata"])
    parent_of = _read_hierarchy(path, sections["hierarchy"], bones, last)

    order = _depth_first(path, parent_of, bones)
    index = {name: j for j, name in enumerate(order)}
    J = len(order)
    offsets = np.zeros((J, 3))
    pre = np.repeat(np.eye(3)[None], J, axis=0)
    channels: list[tuple[str, ...]] = []
    dofs: list[tuple[str, ...]] = []
    end_sites: dict[int, np.ndarray] = {}
    has_child = set(parent_of.values())
    root_pos = np.asarray(root_position) * scale
    for j, name in enumerate(order):
        if name == ROOT:
            offsets[j] = root_pos
            pre[j] = fixed_axes_rotation(tuple(root_orientation), root_axis, degrees)
            moves = tuple(f"{w[1].upper()}position" for w in root_order if w.startswith("t"))
            turns = tuple(f"{w[1].upper()}rotation" for w in root_order if w.startswith("r"))
            channels.append(moves + turns[::-1])
            dofs.append(root_order)
            continue
        bone = bones[name]
        parent = parent_of[name]
        if parent != ROOT:
            offsets[j] = bones[parent].direction * bones[parent].length * scale
        pre[j] = fixed_axes_rotation(bone.axis, bone.axis_order, degrees)
        channels.append(tuple(f"{w[1].upper()}rotation" for w in bone.dof)[::-1])
        dofs.append(bone.dof)
        if name not in has_child:
            end_sites[j] = bone.direction * bone.length * scale
    parents = [-1 if name == ROOT else index[parent_of[name]] for name in order]
    return AsfSkeleton(names=list(order), parents=parents, offsets=offsets, channels=channels, end_sites=end_sites,
                       pre_rotations=pre, dofs=dofs, length_unit=length_unit, angle_unit=angle_unit, scale=scale,
                       root_position=root_pos)


def _read_bones(path: str | os.PathLike, lines: list[tuple[int, list[str]]]) -> dict[str, _Bone]:
    """The ``begin … end`` blocks of ``:bonedata`` by name (limits, bodymass and the like are skipped)."""
    bones: dict[str, _Bone] = {}
    block: list[tuple[int, list[str]]] | None = None
    begin = 0
    for line, words in lines:
        key = words[0].lower()
        if key == "begin":
            if block is not None:
                raise MotionFormatError(path, f"line {line}", f"'begin' inside the bone block of line {begin}")
            block, begin = [], line
        elif key == "end":
            if block is None:
                raise MotionFormatError(path, f"line {line}", "'end' without 'begin' in :bonedata")
            bone = _bone(path, begin, block)
            if bone.name in bones or bone.name == ROOT:
                raise MotionFormatError(path, f"line {begin}", f"bone name {bone.name!r} is used twice")
            bones[bone.name] = bone
            block = None
        elif block is None:
            raise MotionFormatError(path, f"line {line}", f"{words[0]!r} outside a begin … end bone block")
        else:
            block.append((line, words))
    if block is not None:
        raise MotionFormatError(path, f"line {begin}", "bone block without 'end'")
    return bones


def _bone(path: str | os.PathLike, begin: int, block: list[tuple[int, list[str]]]) -> _Bone:
    name = next((words[1] for _, words in block if words[0].lower() == "name" and len(words) > 1), None)
    if name is None:
        raise MotionFormatError(path, f"line {begin}", "bone has no name")
    bone = _Bone(name=name, line=begin)
    seen = set()
    for line, words in block:
        key = words[0].lower()
        seen.add(key)
        if key == "direction":
            d = np.array(_floats(path, line, words[1:], 3, f"bone {name!r} direction"))
            norm = np.linalg.norm(d)
            bone.direction = d / norm if norm > 0 else d
        elif key == "length":
            bone.length = _floats(path, line, words[1:], 1, f"bone {name!r} length")[0]
        elif key == "axis":
            x, y, z = _floats(path, line, words[1:], 3, f"bone {name!r} axis")
            bone.axis = (x, y, z)
            bone.axis_order = _axis_order(path, line, words[4] if len(words) > 4 else "XYZ")
        elif key == "dof":
            dof = tuple(w.lower() for w in words[1:])
            for w in dof:
                if w in _TRANSLATION_DOFS or w == "l":
                    raise MotionFormatError(path, f"line {line}", f"bone {name!r}: dof {w!r} (translation or "
                                            "stretch of a non-root bone) is not supported")
                if w not in _ROTATION_DOFS:
                    raise MotionFormatError(path, f"line {line}", f"bone {name!r}: unknown dof {w!r}")
            if len(set(dof)) != len(dof):
                raise MotionFormatError(path, f"line {line}", f"bone {name!r}: dof repeats a rotation")
            bone.dof = dof
    for required in ("direction", "length"):
        if required not in seen:
            raise MotionFormatError(path, f"line {begin}", f"bone {name!r} has no {required}")
    if bone.length > 0 and not np.any(bone.direction):
        raise MotionFormatError(path, f"line {begin}", f"bone {name!r} has a zero direction")
    return bone


def _read_hierarchy(path: str | os.PathLike, lines: list[tuple[int, list[str]]], bones: dict[str, _Bone],
                    last: int) -> dict[str, str]:
    """Each bone's parent (``root`` for the top ones), from the ``parent child child …`` lines."""
    parent_of: dict[str, str] = {}
    for line, words in lines:
        if words[0].lower() in ("begin", "end"):
            continue
        for name in words:
            if name != ROOT and name not in bones:
                raise MotionFormatError(path, f"line {line}", f"unknown bone {name!r} in :hierarchy")
        for child in words[1:]:
            if child == ROOT or child in parent_of:
                raise MotionFormatError(path, f"line {line}", f"bone {child!r} is given a second parent")
            parent_of[child] = words[0]
    for name, bone in bones.items():
        if name not in parent_of:
            raise MotionFormatError(path, f"line {bone.line}", f"bone {name!r} is not in :hierarchy")
    return parent_of


def _depth_first(path: str | os.PathLike, parent_of: dict[str, str], bones: dict[str, _Bone]) -> list[str]:
    """Bone names from ``root`` down, depth-first, children in hierarchy order; cycles are an error."""
    children: dict[str, list[str]] = {}
    for child, parent in parent_of.items():
        children.setdefault(parent, []).append(child)
    out, stack = [], [ROOT]
    while stack:
        name = stack.pop()
        out.append(name)
        stack.extend(children.get(name, [])[::-1])
    reached = set(out)
    missing = [name for name in bones if name not in reached]
    if missing:
        raise MotionFormatError(path, f"line {bones[missing[0]].line}",
                                f"bone {missing[0]!r} is not connected to root (a cycle in :hierarchy)")
    return out


def read_amc(path: str | os.PathLike, skeleton: AsfSkeleton, fps: float = CMU_FPS) -> MocapClip:
    """Read an AMC motion for an ASF skeleton: (T, C) channel values in the skeleton's channel order.

    Angles are converted to degrees (``:RADIANS``, or the ASF's angle unit when the AMC says neither);
    translations are multiplied by the skeleton's ``scale``. AMC files carry no frame rate: ``fps`` (CMU: 120).
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
    degrees = skeleton.angle_unit == "deg"
    starts = np.cumsum([0] + [len(c) for c in skeleton.channels])
    layout: dict[str, tuple[int, np.ndarray, np.ndarray]] = {}
    root_offset = np.zeros(skeleton.n_channels)
    for j, name in enumerate(skeleton.names):
        chans = skeleton.channels[j]
        dof = skeleton.dofs[j]
        cols = np.array([starts[j] + chans.index(f"{w[1].upper()}{'position' if w[0] == 't' else 'rotation'}")
                         for w in dof], dtype=np.int64)
        is_move = np.array([w[0] == "t" for w in dof], dtype=bool)
        layout[name] = (len(dof), cols, is_move)
        if skeleton.parents[j] < 0:
            for w, c in zip(dof, cols, strict=True):
                if w[0] == "t":
                    root_offset[c] = skeleton.root_position["xyz".index(w[1])]
    moving = [name for name in skeleton.names if layout[name][0]]

    frames: list[np.ndarray] = []
    row: np.ndarray | None = None
    seen: set[str] = set()
    number = frame_line = 0

    def finish() -> None:
        if row is not None:
            missing = [name for name in moving if name not in seen]
            if missing:
                raise MotionFormatError(path, f"line {frame_line}",
                                        f"frame {number} has no values for bone {missing[0]!r}")
            frames.append(row)

    for line, words in _content_lines(path):
        head = words[0]
        if head.startswith(":"):
            key = head[1:].upper()
            if key == "RADIANS":
                degrees = False
            elif key == "DEGREES":
                degrees = True
            continue
        if len(words) == 1 and head.isdigit():
            finish()
            if row is not None and int(head) != number + 1:
                raise MotionFormatError(path, f"line {line}", f"frame {head} follows frame {number}")
            number, frame_line = int(head), line
            row, seen = np.zeros(skeleton.n_channels), set()
            continue
        if row is None:
            raise MotionFormatError(path, f"line {line}", f"{head!r} before the first frame number")
        if head not in layout:
            raise MotionFormatError(path, f"line {line}", f"unknown bone {head!r} (not in the ASF skeleton)")
        n, cols, is_move = layout[head]
        if len(words) - 1 != n:
            need = " ".join(skeleton.dofs[skeleton.index(head)]) or "none"
            raise MotionFormatError(path, f"line {line}", f"bone {head!r} has {len(words) - 1} values, "
                                    f"its dof ({need}) needs {n}")
        if head in seen:
            raise MotionFormatError(path, f"line {line}", f"bone {head!r} appears twice in frame {number}")
        seen.add(head)
        try:
            values = np.array([float(w) for w in words[1:]])
        except ValueError:
            raise MotionFormatError(path, f"line {line}", f"bone {head!r}: not a number in "
                                    f"{' '.join(words[1:])}") from None
        if not np.isfinite(values).all():
            raise MotionFormatError(path, f"line {line}", f"bone {head!r}: non-finite value in "
                                    f"{' '.join(words[1:])}")
        row[cols] = np.where(is_move, values * skeleton.scale, values if degrees else np.rad2deg(values))
    finish()
    motion = np.stack(frames) + root_offset if frames else np.zeros((0, skeleton.n_channels))  # (T, C)
    return MocapClip(skeleton=skeleton, motion=motion, frame_time=1.0 / fps, source=str(path))


def read_asf_amc(asf: str | os.PathLike, amc: str | os.PathLike, fps: float = CMU_FPS,
                 scale: float = 1.0) -> MocapClip:
    """``read_amc(amc, read_asf(asf, scale), fps)``."""
    return read_amc(amc, read_asf(asf, scale), fps)
