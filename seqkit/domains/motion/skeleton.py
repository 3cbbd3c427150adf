"""A mocap skeleton and a clip of its raw channel values: what the BVH and ASF/AMC readers return.

Both formats describe a joint tree with rest offsets and per-frame channel values (translations and Euler
angles in degrees, in a per-joint order). Forward kinematics turns a clip into joint positions in the file's
own units; everything after that (mapping to the 22 body joints, metres, 20 fps) works on positions only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Skeleton:
    """A joint tree. ``parents[j] < j`` (parents come first), ``-1`` for the root.

    ``offsets`` (J, 3) is each joint's rest position relative to its parent, in file units. ``channels[j]`` are
    the joint's channel names in file order, e.g. ``("Xposition", "Yposition", "Zposition", "Zrotation",
    "Xrotation", "Yrotation")``; rotations are degrees, composed in that order (R = R_first @ R_second @ ...).
    ``end_sites`` maps a joint index to the offset of its BVH ``End Site`` (kept for a faithful re-export).
    ``pre_rotations`` (J, 3, 3), when given (ASF's ``axis``), frames each joint's local rotation:
    local = C @ R(channels) @ C^T.
    """

    names: list[str]
    parents: list[int]
    offsets: np.ndarray  # (J, 3)
    channels: list[tuple[str, ...]]
    end_sites: dict[int, np.ndarray] = field(default_factory=dict)
    pre_rotations: np.ndarray | None = None  # (J, 3, 3)

    @property
    def n_joints(self) -> int:
        return len(self.names)

    @property
    def n_channels(self) -> int:
        return sum(len(c) for c in self.channels)

    def index(self, name: str) -> int:
        return self.names.index(name)


@dataclass
class MocapClip:
    """Raw per-frame channel values of one take: ``motion`` (T, n_channels) in the skeleton's channel order."""

    skeleton: Skeleton
    motion: np.ndarray  # (T, C)
    frame_time: float  # seconds per frame
    source: str  # the file it came from (for error messages and provenance)

    @property
    def n_frames(self) -> int:
        return int(self.motion.shape[0])

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time
