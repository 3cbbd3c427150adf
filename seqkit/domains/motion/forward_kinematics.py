"""Forward kinematics: a clip's channel values (translations, Euler angles) → joint positions, all frames at once.

Rotation channels compose in file order (``Zrotation Xrotation Yrotation`` is R = Rz @ Rx @ Ry), the BVH and
ASF/AMC convention; a joint's world rotation is its parent's times its local one, and its position is the
parent's position plus the parent's world rotation applied to the joint's offset (plus its own translation
channels, when it has any). ASF's ``axis`` frames the local rotation as C @ R @ C^T.
"""

from __future__ import annotations

import numpy as np
import torch

from seqkit.domains.motion.skeleton import Skeleton

AXES = {"X": 0, "Y": 1, "Z": 2}


def axis_rotation(axis: str, degrees: torch.Tensor) -> torch.Tensor:
    """Rotation matrices (..., 3, 3) about one coordinate axis by ``degrees`` (...) (right-handed)."""
    theta = torch.deg2rad(degrees)
    c, s = torch.cos(theta), torch.sin(theta)
    one, zero = torch.ones_like(theta), torch.zeros_like(theta)
    if axis == "X":
        rows = ((one, zero, zero), (zero, c, -s), (zero, s, c))
    elif axis == "Y":
        rows = ((c, zero, s), (zero, one, zero), (-s, zero, c))
    elif axis == "Z":
        rows = ((c, -s, zero), (s, c, zero), (zero, zero, one))
    else:
        raise ValueError(f"unknown rotation axis {axis!r}")
    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)


def euler_to_matrix(degrees: torch.Tensor, order: str) -> torch.Tensor:
    """(..., k) angles about the axes named in ``order`` (e.g. "ZXY"), composed left to right → (..., 3, 3)."""
    out = None
    for i, axis in enumerate(order):
        r = axis_rotation(axis, degrees[..., i])
        out = r if out is None else out @ r
    if out is None:
        return torch.eye(3, dtype=degrees.dtype).expand(*degrees.shape[:-1], 3, 3)
    return out


def local_transforms(skeleton: Skeleton, motion: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-joint local rotations (T, J, 3, 3) and translations (T, J, 3) (offset + position channels)."""
    T = motion.shape[0]
    J = skeleton.n_joints
    rot = torch.eye(3, dtype=motion.dtype).repeat(T, J, 1, 1)
    offsets = torch.as_tensor(skeleton.offsets, dtype=motion.dtype)
    trans = offsets.unsqueeze(0).repeat(T, 1, 1)  # (T, J, 3)
    pre = None if skeleton.pre_rotations is None else torch.as_tensor(skeleton.pre_rotations, dtype=motion.dtype)
    col = 0
    for j, chans in enumerate(skeleton.channels):
        values = motion[:, col:col + len(chans)]
        col += len(chans)
        order, angles = "", []
        translated = False
        for k, name in enumerate(chans):
            axis, kind = name[0].upper(), name[1:].lower()
            if kind == "position":
                if not translated:  # position channels replace the rest offset (BVH root convention)
                    trans[:, j] = offsets[j] if skeleton.parents[j] >= 0 else 0.0
                    translated = True
                trans[:, j, AXES[axis]] += values[:, k]
            elif kind == "rotation":
                order += axis
                angles.append(values[:, k])
            else:
                raise ValueError(f"{skeleton.names[j]}: unknown channel {name!r}")
        if order:
            r = euler_to_matrix(torch.stack(angles, dim=-1), order)  # (T, 3, 3)
            if pre is not None:
                r = pre[j] @ r @ pre[j].transpose(-1, -2)
            rot[:, j] = r
        elif pre is not None:
            rot[:, j] = pre[j] @ pre[j].transpose(-1, -2)
    return rot, trans


def world_transforms(skeleton: Skeleton, motion: np.ndarray | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """World positions (T, J, 3) and rotations (T, J, 3, 3) from channel values (T, C).

    float64 unless given a float tensor.
    """
    motion = torch.as_tensor(motion)
    if not motion.is_floating_point():
        motion = motion.double()
    if motion.shape[-1] != skeleton.n_channels:
        raise ValueError(f"motion has {motion.shape[-1]} channels, the skeleton {skeleton.n_channels}")
    rot, trans = local_transforms(skeleton, motion)
    world_rot: list[torch.Tensor] = []
    world_pos: list[torch.Tensor] = []
    for j, p in enumerate(skeleton.parents):
        if p < 0:
            world_rot.append(rot[:, j])
            world_pos.append(trans[:, j])
        else:
            world_pos.append(world_pos[p] + (world_rot[p] @ trans[:, j].unsqueeze(-1)).squeeze(-1))
            world_rot.append(world_rot[p] @ rot[:, j])
    return torch.stack(world_pos, dim=1), torch.stack(world_rot, dim=1)  # (T, J, 3), (T, J, 3, 3)


def forward_kinematics(skeleton: Skeleton, motion: np.ndarray | torch.Tensor) -> torch.Tensor:
    """Joint positions (T, J, 3) in file units from channel values (T, C); float64 unless given a float tensor."""
    return world_transforms(skeleton, motion)[0]


def end_site_positions(skeleton: Skeleton, positions: torch.Tensor, rotations: torch.Tensor) -> dict[int, torch.Tensor]:
    """Positions (T, 3) of each joint's End Site (BVH leaf tips: toes, head top, fingers), keyed by joint index."""
    out = {}
    for j, offset in skeleton.end_sites.items():
        off = torch.as_tensor(offset, dtype=positions.dtype)
        out[j] = positions[:, j] + rotations[:, j] @ off
    return out
