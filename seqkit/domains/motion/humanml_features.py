"""HumanML3D's 263-d motion features (and KIT-ML's 251-d): joint positions → features, and features → positions.

A feature vector describes the step from frame t to frame t+1, so T joint frames give T-1 vectors. For J joints
(22 for HumanML3D, 21 for KIT-ML) the groups are, in order (:class:`FeatureLayout` names them):

==================== ======= ============================================================================
group                size    content
==================== ======= ============================================================================
root_rot_velocity    1       ``arcsin(y)`` of ``r[t+1] * r[t]^-1``: the yaw step as a half-angle
root_linear_velocity 2       XZ of ``root[t+1] - root[t]`` rotated by ``r[t+1]`` (the *next* frame's heading)
root_height          1       root y
ric                  3(J-1)  joints minus the root's XZ (y kept absolute), rotated by ``r[t]``
rot6d                6(J-1)  each joint's local rotation from a swing-only IK, first two matrix columns
local_velocity       3J      ``joints[t+1] - joints[t]`` rotated by ``r[t]`` (the *current* heading)
foot_contact         4       1.0 where a foot joint's squared displacement per frame is below a threshold
==================== ======= ============================================================================

``r[t]`` is the per-frame root yaw quaternion (``w, x, y, z``) that turns the body's facing direction to +Z.
Conventions determined against ``derived/cmu_01_01_hml263.npy`` (reproduced to float32 rounding, ≤3e-8):

* **Facing.** ``across`` is a hip vector plus a shoulder vector; ``forward = Y × across/|across|`` is smoothed
  over time (Gaussian, σ = 20 frames, edge values repeated, as ``scipy.ndimage.gaussian_filter1d(mode="nearest")``),
  normalised, and ``r`` is the shortest arc from ``forward`` to +Z. The face joints ``(2, 1, 17, 16)`` mean
  (right hip, left hip, right shoulder, left shoulder), but HumanML3D's ``inverse_kinematics_np`` unpacks them as
  (*left* hip, *right* hip, …), so its ``across`` is ``(L_hip - R_hip) + (R_sh - L_sh)``: the hip term points the
  wrong way and partly cancels the shoulder term. That quirky ``r`` is the one used for *every* group (ric,
  velocities, yaw steps and the IK), not only for rot6d. ``facing=FACING_HUMANML3D`` (default) copies it, so the
  vectors match what HumanML3D-trained models saw; ``FACING_ANATOMICAL`` uses ``(R_hip - L_hip) + (R_sh - L_sh)``
  (on 01_01 that moves ric by up to 0.037 and rot6d by up to 0.11: not compatible).
* **Frame 0's heading is the identity.** HumanML3D overwrites ``r[0]`` with the identity (the canonicalisation
  has already turned frame 0 to face +Z, with the anatomical, unsmoothed facing); ric and local velocity of frame
  0 and the first yaw step use it. Without the override, errors reach 0.06.
* **Root linear velocity uses the next frame's heading** ``r[t+1]`` (with ``r[t]`` the error is 0.006 — inside the
  0.007 tolerance, but not exact); local velocity uses ``r[t]``.
* **rot6d** is ``(R[:,0], R[:,1])``, the first two *columns* (rows give errors up to 2).
* **Foot contact** is ``Σ_xyz (p[t+1] - p[t])² < 0.002`` (m² per frame at 20 fps), left feet (7, 10) then right
  (8, 11); 0.002 is the only threshold that reproduces every contact bit (0.0015 and 0.0025 both flip some).
* **Canonicalisation** (``canonicalize_first=True``): the floor is the minimum y over *all* joints and frames
  (HumanML3D's ``process_file``; on 01_01 the lowest point is a foot, so a feet-only floor would agree there);
  frame 0's root XZ goes to the origin; everything is turned about Y so frame 0 faces +Z by the *anatomical*,
  unsmoothed ``across`` of frame 0. HumanML3D first retargets every clip to the bone lengths of one reference
  subject ("uniform skeleton", AMASS clip 000021); that needs its data and is **not** done here, so features of
  other subjects differ from HumanML3D's by their bone lengths, as SOURCE.md's derived file does.

**Yaw wrap.** ``arcsin(y)`` is taken without first making ``w`` of ``r[t+1] r[t]^-1`` non-negative. ``r`` comes
from a shortest-arc construction (``w >= 0``), so when the heading crosses ±180° between two frames the relative
quaternion has ``w < 0`` and the stored step has the wrong sign (an error of twice the true step).
:func:`recover_root` integrates that into the heading: on 01_01 ("turn around"; the heading crosses 180° at
frames 234 and 295, where the stored half-angle steps are off by -0.0033 and +0.0036) the root drifts while the
heading is off, and recover_from_ric ends 1.0 cm from the joints (this, not the frame-0 override, is the 1.0 cm
in SOURCE.md; up to frame 234 the recovery is exact). ``fix_yaw_wrap=True`` takes the step from the ``w >= 0``
representative; the features then differ from HumanML3D's only at crossing frames, and the round trip
joints → features → joints is exact.

The rot6d channels come from a naive swing-only IK (each bone's rest direction is turned onto its current
direction by the shortest arc; twist is lost), so they are not usable as animation rotations (MDM #251,
MotionLCM #24); positions recovered through ric (:func:`recover_from_ric`) are the reliable path.

Inputs may be numpy arrays (computed in float64, returned in the input's float dtype) or torch tensors
(computed and returned in their own dtype and device, differentiable); leading batch dims are allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from seqkit.domains.motion import body_joints as bj
from seqkit.domains.motion.rotations import (
    quat_between,
    quat_inv,
    quat_mul,
    quat_rotate,
    quat_to_cont6d,
    yaw_quat,
)

__all__ = [
    "GROUPS", "FACING_HUMANML3D", "FACING_ANATOMICAL", "FACING_SMOOTH_SIGMA", "FeatureLayout", "HUMANML3D", "KIT",
    "LAYOUTS",
    "T2M_REST_DIRECTIONS", "KIT_REST_DIRECTIONS", "layout_for_dim", "rest_directions_from_pose", "gaussian_smooth",
    "canonicalize", "root_rotations", "extract_features", "recover_root", "recover_from_ric",
]

#: the feature groups, in vector order
GROUPS: tuple[str, ...] = ("root_rot_velocity", "root_linear_velocity", "root_height", "ric", "rot6d",
                           "local_velocity", "foot_contact")

#: facing from HumanML3D's IK unpacking of the face joints, (L_hip - R_hip) + (R_sh - L_sh): the stored vectors
FACING_HUMANML3D = "humanml3d"
#: facing from the face joints as named, (R_hip - L_hip) + (R_sh - L_sh): not compatible with HumanML3D's vectors
FACING_ANATOMICAL = "anatomical"
FACING_SMOOTH_SIGMA = 20.0  # frames

#: HumanML3D's t2m raw offsets: each joint's bone direction (from its parent) in the rest pose, +Y up, +X left
T2M_REST_DIRECTIONS: tuple[tuple[float, float, float], ...] = (
    (0, 0, 0), (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, -1, 0), (0, 1, 0), (0, -1, 0), (0, -1, 0),
    (0, 1, 0), (0, 0, 1), (0, 0, 1), (0, 1, 0), (1, 0, 0), (-1, 0, 0), (0, 0, 1), (0, -1, 0), (0, -1, 0),
    (0, -1, 0), (0, -1, 0), (0, -1, 0), (0, -1, 0),
)
#: KIT-ML's raw offsets as tabulated in HumanML3D's ``paramUtil.py`` (kit_raw_offsets). Not checked against a
#: stored KIT vector here (no KIT motion is redistributable); for another 21-joint skeleton pass your own, or
#: estimate them from a rest pose with :func:`rest_directions_from_pose`.
KIT_REST_DIRECTIONS: tuple[tuple[float, float, float], ...] = (
    (0, 0, 0), (0, 1, 0), (0, 1, 0), (0, 1, 0), (0, 1, 0), (1, 0, 0), (0, -1, 0), (0, -1, 0), (-1, 0, 0),
    (0, -1, 0), (0, -1, 0), (1, 0, 0), (0, -1, 0), (0, -1, 0), (0, 0, 1), (0, 0, 1), (-1, 0, 0), (0, -1, 0),
    (0, -1, 0), (0, 0, 1), (0, 0, 1),
)


@dataclass(frozen=True)
class FeatureLayout:
    """A skeleton's feature vector: joints, IK chains, face/foot joints, frame rate and the group slices.

    ``face_joints`` is (right hip, left hip, right shoulder, left shoulder). ``chains`` are root→leaf joint
    chains; the IK walks each one and every non-root joint must be the child in exactly one chain link.
    ``rest_directions`` (J, 3) is each joint's rest bone direction (HumanML3D's "raw offsets"); the rot6d group
    needs it. ``foot_threshold`` is in squared position units per frame.
    """

    name: str
    n_joints: int
    chains: tuple[tuple[int, ...], ...]
    face_joints: tuple[int, int, int, int]
    feet_left: tuple[int, ...]
    feet_right: tuple[int, ...]
    fps: float
    foot_threshold: float
    rest_directions: tuple[tuple[float, float, float], ...] | None = None

    def __post_init__(self) -> None:
        J = self.n_joints
        used = [j for j in (*self.face_joints, *self.feet_left, *self.feet_right) if not 0 <= j < J]
        if used:
            raise ValueError(f"layout {self.name}: joint indices {used} outside 0..{J - 1}")
        children = sorted(c for chain in self.chains for c in chain[1:])
        if children != list(range(1, J)):
            raise ValueError(f"layout {self.name}: the chains must reach every joint 1..{J - 1} exactly once")
        if self.rest_directions is not None and len(self.rest_directions) != J:
            raise ValueError(f"layout {self.name}: {len(self.rest_directions)} rest directions for {J} joints")

    @property
    def group_sizes(self) -> dict[str, int]:
        J = self.n_joints
        sizes = (1, 2, 1, 3 * (J - 1), 6 * (J - 1), 3 * J, len(self.feet_left) + len(self.feet_right))
        return dict(zip(GROUPS, sizes, strict=True))

    @property
    def slices(self) -> dict[str, slice]:
        """Each group's slice of the last dim, in vector order."""
        out, start = {}, 0
        for name, size in self.group_sizes.items():
            out[name] = slice(start, start + size)
            start += size
        return out

    @property
    def dim(self) -> int:
        return sum(self.group_sizes.values())

    def group(self, features: Any, name: str) -> Any:
        """``features[..., slice of name]``."""
        return features[..., self.slices[name]]

    def split(self, features: Any) -> dict[str, Any]:
        """All groups of ``features`` (…, dim) by name."""
        if features.shape[-1] != self.dim:
            raise ValueError(f"{self.name} features have {self.dim} values per frame, got {features.shape[-1]}")
        return {name: features[..., s] for name, s in self.slices.items()}


#: HumanML3D (t2m): 22 SMPL body joints, 20 fps, 263 values per frame
HUMANML3D = FeatureLayout(
    name="humanml3d", n_joints=22, chains=bj.T2M_CHAINS, face_joints=bj.T2M_FACE_JOINTS,
    feet_left=bj.T2M_FEET_LEFT, feet_right=bj.T2M_FEET_RIGHT, fps=bj.T2M_FPS, foot_threshold=0.002,
    rest_directions=T2M_REST_DIRECTIONS,
)
#: KIT-ML: 21 joints, 12.5 fps, 251 values per frame. HumanML3D's KIT script calls its extractor with a foot
#: threshold of 0.05 (t2m: 0.002), in KIT's own squared position units per frame; its rest directions are
#: :data:`KIT_REST_DIRECTIONS`. Neither is checked against a stored KIT vector here (see the caveat there).
KIT = FeatureLayout(
    name="kit", n_joints=21, chains=bj.KIT_CHAINS, face_joints=bj.KIT_FACE_JOINTS, feet_left=bj.KIT_FEET_LEFT,
    feet_right=bj.KIT_FEET_RIGHT, fps=bj.KIT_FPS, foot_threshold=0.05, rest_directions=KIT_REST_DIRECTIONS,
)
LAYOUTS: tuple[FeatureLayout, ...] = (HUMANML3D, KIT)


def layout_for_dim(dim: int) -> FeatureLayout:
    """The known layout with ``dim`` values per frame (263 → HUMANML3D, 251 → KIT)."""
    for layout in LAYOUTS:
        if layout.dim == dim:
            return layout
    known = ", ".join(f"{lay.dim} ({lay.name})" for lay in LAYOUTS)
    raise ValueError(f"no known motion feature layout has {dim} values per frame (known: {known})")


# ---------------------------------------------------------------------------------------------- numpy / torch


def _to_tensor(x: Any) -> tuple[torch.Tensor, Any]:
    """``x`` as a floating tensor, and a function that turns a result back into ``x``'s kind."""
    if isinstance(x, torch.Tensor):
        t = x if x.is_floating_point() else x.double()
        return t, lambda y: y
    arr = np.asarray(x)
    out_dtype = arr.dtype if np.issubdtype(arr.dtype, np.floating) else np.dtype(np.float64)
    # a copy: works for read-only (memory-mapped) and negatively strided arrays alike
    tensor = torch.tensor(np.ascontiguousarray(arr, dtype=np.float64))
    return tensor, lambda y: y.detach().cpu().numpy().astype(out_dtype)


def _check_joints(joints: torch.Tensor, n_joints: int, min_frames: int = 1) -> None:
    if joints.ndim < 3 or joints.shape[-1] != 3 or joints.shape[-2] != n_joints:
        raise ValueError(f"joints must be (..., T, {n_joints}, 3), got {tuple(joints.shape)}")
    if joints.shape[-3] < min_frames:
        raise ValueError(f"need at least {min_frames} frames, got {joints.shape[-3]}")
    if not bool(torch.isfinite(joints).all()):
        raise ValueError("joints contain NaN or inf")


def _unit_y(like: torch.Tensor) -> torch.Tensor:
    return torch.tensor([0.0, 1.0, 0.0], dtype=like.dtype, device=like.device)


def _unit_z(like: torch.Tensor) -> torch.Tensor:
    return torch.tensor([0.0, 0.0, 1.0], dtype=like.dtype, device=like.device)


# ---------------------------------------------------------------------------------------------- pieces


def rest_directions_from_pose(rest_joints: Any, chains: Sequence[Sequence[int]]) -> tuple[tuple[float, ...], ...]:
    """Unit bone directions (J, 3) of a rest pose (J, 3), for a skeleton whose raw offsets are not tabulated.

    Each joint gets the direction from its chain parent; the root gets (0, 0, 0). Give a pose in the layout's
    canonical frame (+Y up, facing +Z), ideally a T- or A-pose, since rot6d is measured from it.
    """
    p = np.asarray(rest_joints, dtype=np.float64)
    out = np.zeros_like(p)
    for chain in chains:
        for parent, child in zip(chain[:-1], chain[1:], strict=True):
            bone = p[child] - p[parent]
            norm = np.linalg.norm(bone)
            if norm == 0:
                raise ValueError(f"rest pose: joint {child} sits on its parent {parent}")
            out[child] = bone / norm
    return tuple(tuple(float(v) for v in row) for row in out)


def gaussian_smooth(x: torch.Tensor, sigma: float, dim: int = -2, truncate: float = 4.0) -> torch.Tensor:
    """Gaussian smoothing along ``dim`` with edge values repeated: ``scipy.ndimage.gaussian_filter1d(x, sigma,
    axis=dim, mode="nearest", truncate=truncate)`` in torch (same kernel: radius ``int(truncate*sigma + 0.5)``,
    weights ``exp(-k²/2σ²)`` normalised to sum 1)."""
    if sigma <= 0:
        return x
    radius = int(truncate * sigma + 0.5)
    k = torch.arange(-radius, radius + 1, device=x.device)
    weights = torch.exp(-0.5 * (k.to(x.dtype) / sigma) ** 2)
    weights = weights / weights.sum()
    moved = x.movedim(dim, -1)  # (..., T)
    T = moved.shape[-1]
    index = (torch.arange(T, device=x.device)[:, None] + k[None, :]).clamp(0, T - 1)  # (T, K)
    return (moved[..., index] * weights).sum(-1).movedim(-1, dim)


def _across(joints: torch.Tensor, face_joints: Sequence[int], facing: str) -> torch.Tensor:
    r_hip, l_hip, r_sh, l_sh = face_joints
    if facing == FACING_HUMANML3D:
        hips = joints[..., l_hip, :] - joints[..., r_hip, :]
    elif facing == FACING_ANATOMICAL:
        hips = joints[..., r_hip, :] - joints[..., l_hip, :]
    else:
        raise ValueError(f"facing must be {FACING_HUMANML3D!r} or {FACING_ANATOMICAL!r}, got {facing!r}")
    return hips + (joints[..., r_sh, :] - joints[..., l_sh, :])


def _forward(across: torch.Tensor) -> torch.Tensor:
    """``Y × across/|across|``: horizontal, its length the horizontal share of ``across`` (not normalised)."""
    across = across / across.norm(dim=-1, keepdim=True)
    return torch.linalg.cross(_unit_y(across).expand_as(across), across, dim=-1)


def canonicalize(joints: Any, layout: FeatureLayout = HUMANML3D) -> Any:
    """HumanML3D's canonical placement of a clip (..., T, J, 3), +Y up: floor (min y over all joints and
    frames) at y = 0, frame 0's root XZ at the origin, and frame 0 turned to face +Z (anatomical, unsmoothed
    facing of frame 0). Bone lengths are left as they are (no "uniform skeleton" retargeting)."""
    x, back = _to_tensor(joints)
    _check_joints(x, layout.n_joints)
    floor = x[..., 1].amin(dim=(-1, -2))  # (...)
    root0 = x[..., 0, 0, :]  # (..., 3)
    shift = torch.stack([root0[..., 0], floor, root0[..., 2]], dim=-1)
    x = x - shift[..., None, None, :]
    forward = _forward(_across(x[..., 0, :, :], layout.face_joints, FACING_ANATOMICAL))
    q = quat_between(forward, _unit_z(forward).expand_as(forward))  # (..., 4)
    return back(quat_rotate(q[..., None, None, :], x))


def root_rotations(joints: Any, layout: FeatureLayout = HUMANML3D, facing: str = FACING_HUMANML3D,
                   smooth_sigma: float = FACING_SMOOTH_SIGMA) -> Any:
    """The per-frame root yaw quaternions ``r`` (..., T, 4) the features are written in: the shortest arc from the
    smoothed facing to +Z, with frame 0 set to the identity (HumanML3D's override)."""
    x, back = _to_tensor(joints)
    _check_joints(x, layout.n_joints)
    forward = gaussian_smooth(_forward(_across(x, layout.face_joints, facing)), smooth_sigma, dim=-2)
    r = quat_between(forward, _unit_z(forward).expand_as(forward))
    identity = torch.zeros_like(r[..., :1, :])
    identity[..., 0] = 1.0
    return back(torch.cat([identity, r[..., 1:, :]], dim=-2))


def _local_rotations(x: torch.Tensor, r: torch.Tensor, layout: FeatureLayout,
                     rest_directions: torch.Tensor) -> torch.Tensor:
    """Swing-only IK (..., T, J, 4): along each chain, joint c gets ``R^-1 * arc(rest[c] → p[c] - p[parent])``
    where ``R`` is the previous link's arc, or the root rotation ``r`` at the chain's first link."""
    quats = [r] + [None] * (layout.n_joints - 1)
    for chain in layout.chains:
        frame = r
        for parent, child in zip(chain[:-1], chain[1:], strict=True):
            bone = x[..., child, :] - x[..., parent, :]
            arc = quat_between(rest_directions[child].expand_as(bone), bone)
            quats[child] = quat_mul(quat_inv(frame), arc)
            frame = arc
    return torch.stack(quats, dim=-2)


# ---------------------------------------------------------------------------------------------- extraction


def extract_features(joints: Any, layout: FeatureLayout = HUMANML3D, *, canonicalize_first: bool = True,
                     facing: str = FACING_HUMANML3D, fix_yaw_wrap: bool = False,
                     rest_directions: Any = None, foot_threshold: float | None = None,
                     smooth_sigma: float = FACING_SMOOTH_SIGMA) -> Any:
    """Joint positions (..., T, J, 3), +Y up (metres for HumanML3D) → features (..., T-1, layout.dim).

    ``canonicalize_first=False`` skips :func:`canonicalize` for joints that are already canonical (it is
    idempotent, so leaving it on costs only time). ``facing``, ``fix_yaw_wrap``: see the module docstring; the
    defaults reproduce HumanML3D. ``rest_directions`` (J, 3) overrides ``layout.rest_directions``;
    ``foot_threshold`` overrides ``layout.foot_threshold``.
    """
    x, back = _to_tensor(joints)
    _check_joints(x, layout.n_joints, min_frames=2)
    rest = rest_directions if rest_directions is not None else layout.rest_directions
    if rest is None:
        raise ValueError(f"layout {layout.name} has no rest directions: pass rest_directions (J, 3), e.g. from "
                         "rest_directions_from_pose")
    rest_t = torch.as_tensor(np.asarray(rest, dtype=np.float64), device=x.device).to(x.dtype)
    if rest_t.shape != (layout.n_joints, 3):
        raise ValueError(f"rest_directions must be ({layout.n_joints}, 3), got {tuple(rest_t.shape)}")
    if bool((rest_t[1:].norm(dim=-1) == 0).any()):
        raise ValueError("rest_directions: every non-root joint needs a non-zero direction")
    threshold = layout.foot_threshold if foot_threshold is None else foot_threshold
    if canonicalize_first:
        x = canonicalize(x, layout)

    r = root_rotations(x, layout, facing, smooth_sigma)  # (..., T, 4)
    root = x[..., 0, :]  # (..., T, 3)

    step = quat_mul(r[..., 1:, :], quat_inv(r[..., :-1, :]))
    if fix_yaw_wrap:
        step = torch.where(step[..., :1] < 0, -step, step)
    root_rot_velocity = torch.asin(step[..., 2:3].clamp(-1.0, 1.0))
    root_linear_velocity = quat_rotate(r[..., 1:, :], root[..., 1:, :] - root[..., :-1, :])[..., [0, 2]]
    root_height = root[..., :-1, 1:2]

    lead = x.shape[:-3]
    n = x.shape[-3] - 1
    horizontal = torch.stack([root[..., 0], torch.zeros_like(root[..., 1]), root[..., 2]], dim=-1)
    ric = quat_rotate(r[..., None, :], x - horizontal[..., None, :])[..., :-1, 1:, :].reshape(*lead, n, -1)
    rot6d = quat_to_cont6d(_local_rotations(x, r, layout, rest_t))[..., :-1, 1:, :].reshape(*lead, n, -1)
    local_velocity = quat_rotate(r[..., :-1, None, :], x[..., 1:, :, :] - x[..., :-1, :, :]).reshape(*lead, n, -1)
    feet = list(layout.feet_left) + list(layout.feet_right)
    moved = x[..., 1:, feet, :] - x[..., :-1, feet, :]
    foot_contact = ((moved ** 2).sum(-1) < threshold).to(x.dtype)
    features = torch.cat([root_rot_velocity, root_linear_velocity, root_height, ric, rot6d, local_velocity,
                          foot_contact], dim=-1)
    assert features.shape[-1] == layout.dim
    return back(features)


# ---------------------------------------------------------------------------------------------- recovery


def _recover_root(f: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    zeros = torch.zeros_like(f[..., :1, 0])
    half_angle = torch.cumsum(torch.cat([zeros, f[..., :-1, 0]], dim=-1), dim=-1)  # (..., T)
    r = yaw_quat(2.0 * half_angle)
    step = torch.stack([f[..., :-1, 1], torch.zeros_like(f[..., :-1, 1]), f[..., :-1, 2]], dim=-1)
    step = torch.cat([torch.zeros_like(step[..., :1, :]), step], dim=-2)
    xz = torch.cumsum(quat_rotate(quat_inv(r), step), dim=-2)
    position = torch.stack([xz[..., 0], f[..., 3], xz[..., 2]], dim=-1)
    return r, position


def recover_root(features: Any) -> tuple[Any, Any]:
    """Root yaw quaternions (..., T, 4) and root positions (..., T, 3) from features (..., T, D), any layout.

    The heading starts at 0 and adds up the stored yaw steps (``r[t] = yaw(2 Σ_{s<t} f[s, 0])``); the XZ
    position starts at the origin and adds up the stored velocities turned back by ``r[t]^-1`` (the inverse of
    the extractor's ``r[t+1]`` rotation); y is the stored root height.
    """
    f, back = _to_tensor(features)
    if f.ndim < 2 or f.shape[-1] < 4:
        raise ValueError(f"features must be (..., T, D) with D >= 4, got {tuple(f.shape)}")
    r, position = _recover_root(f)
    return back(r), back(position)


def recover_from_ric(features: Any, n_joints: int | None = None) -> Any:
    """Joint positions (..., T, J, 3) from features (..., T, D): ric turned back by the recovered heading, plus the
    recovered root XZ, with the root itself prepended. ``n_joints`` defaults to the known layout of D
    (263 → 22, 251 → 21). Exact inverse of :func:`extract_features` on canonical joints, except after a heading
    crossing ±180° when the features were made without ``fix_yaw_wrap`` (see the module docstring)."""
    f, back = _to_tensor(features)
    if f.ndim < 2:
        raise ValueError(f"features must be (..., T, D), got {tuple(f.shape)}")
    J = layout_for_dim(f.shape[-1]).n_joints if n_joints is None else n_joints
    start = HUMANML3D.slices["ric"].start  # after the 4 root values, in every layout
    stop = start + 3 * (J - 1)
    if f.shape[-1] < stop:
        raise ValueError(f"features have {f.shape[-1]} values per frame, too few for {J} joints")
    r, position = _recover_root(f)
    local = f[..., start:stop].reshape(*f.shape[:-1], J - 1, 3)
    world = quat_rotate(quat_inv(r)[..., None, :], local)
    offset = torch.stack([position[..., 0], torch.zeros_like(position[..., 0]), position[..., 2]], dim=-1)
    joints = torch.cat([position[..., None, :], world + offset[..., None, :]], dim=-2)
    return back(joints)
