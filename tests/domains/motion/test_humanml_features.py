"""HumanML3D 263-d / KIT 251-d features: extraction vs the derived CMU 01_01 file, recovery, round trips.

What the derived file pins down (``derived/cmu_01_01_hml263.npy``, made from ``cmu_01_01_joints22_20fps.npy``):
every group is reproduced to float32 rounding (max abs error: root_rot_velocity 3.6e-9, root_linear_velocity
3.5e-9, root_height 0, ric 1.5e-8, rot6d 3.0e-8, local_velocity 1.5e-8, foot_contact 0 — far inside SOURCE.md's
0.007), so all seven groups are exact, with: HumanML3D's face-joint quirk for the root rotation of every group,
frame 0's heading set to the identity, the root XZ velocity rotated by the next frame's heading, rot6d as the
first two matrix columns, contacts as summed squared displacement < 0.002.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from seqkit.domains.motion.humanml_features import (
    FACING_ANATOMICAL,
    GROUPS,
    HUMANML3D,
    KIT,
    KIT_REST_DIRECTIONS,
    T2M_REST_DIRECTIONS,
    FeatureLayout,
    canonicalize,
    extract_features,
    gaussian_smooth,
    layout_for_dim,
    recover_from_ric,
    recover_root,
    rest_directions_from_pose,
    root_rotations,
)
from seqkit.domains.motion.rotations import (
    cont6d_to_matrix,
    quat_inv,
    quat_mul,
    quat_rotate,
    quat_to_matrix,
    yaw_quat,
)

MOTION = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "motion"
JOINTS_FILE = MOTION / "derived" / "cmu_01_01_joints22_20fps.npy"
FEATURES_FILE = MOTION / "derived" / "cmu_01_01_hml263.npy"
needs_data = pytest.mark.skipif(not FEATURES_FILE.exists(), reason=f"motion data not found at {MOTION}")

#: frames t whose yaw step r[t+1] r[t]^-1 crosses the ±180° heading in 01_01 (found by test_yaw_wrap_frames)
WRAP_FRAMES = [234, 295]


@pytest.fixture(scope="module")
def joints() -> np.ndarray:
    return np.load(JOINTS_FILE).astype(np.float64)


@pytest.fixture(scope="module")
def stored() -> np.ndarray:
    return np.load(FEATURES_FILE)


def group_errors(a: np.ndarray, b: np.ndarray, layout: FeatureLayout = HUMANML3D) -> dict[str, float]:
    return {name: float(np.abs(d).max()) for name, d in layout.split(np.asarray(a) - np.asarray(b)).items()}


def synthetic_motion(layout: FeatureLayout, T: int = 120, seed: int = 0, still: bool = False
                     ) -> tuple[np.ndarray, np.ndarray]:
    """A rest pose built from the layout's rest directions, and a clip (T, J, 3) of it: every joint swinging
    about its own axis, the root walking a curve while turning 1.3 times round (so the heading crosses 180°)."""
    J = layout.n_joints
    parent = [-1] * J
    for chain in layout.chains:
        for p, c in zip(chain[:-1], chain[1:], strict=True):
            parent[c] = p
    directions = np.asarray(layout.rest_directions, dtype=np.float64)
    length = np.full(J, 0.2)
    length[list(layout.face_joints[:2])] = 0.08  # hips narrower than the shoulders, as on a body
    rest = np.zeros((J, 3))
    rest[0] = (0.0, 0.9, 0.0)
    for c in range(1, J):
        rest[c] = rest[parent[c]] + length[c] * directions[c]
    if still:
        return rest, np.repeat(rest[None], T, axis=0)
    g = np.random.default_rng(seed)
    t = torch.arange(T, dtype=torch.float64)[:, None]
    axes = torch.from_numpy(g.normal(size=(J, 3)))
    axes = axes / axes.norm(dim=-1, keepdim=True)
    angle = 0.3 * torch.sin(2 * math.pi * t / 20.0 + torch.from_numpy(g.uniform(0, 6.28, J)))  # (T, J)
    local = torch.cat([torch.cos(angle / 2)[..., None], torch.sin(angle / 2)[..., None] * axes], dim=-1)
    heading = 2 * math.pi * 1.3 * t[:, 0] / T
    world = [quat_mul(yaw_quat(heading), local[:, 0])]
    step = torch.stack([torch.sin(heading), torch.zeros(T, dtype=torch.float64), torch.cos(heading)], -1) * 0.06
    root = torch.cumsum(step, 0) + torch.tensor([1.0, 0.0, -2.0], dtype=torch.float64)
    root[:, 1] = 0.9 + 0.03 * torch.sin(2 * math.pi * t[:, 0] / 10.0)
    pos = [root]
    rest_t = torch.from_numpy(rest)
    for c in range(1, J):
        p = parent[c]
        pos.append(pos[p] + quat_rotate(world[p], (rest_t[c] - rest_t[p]).expand(T, 3)))
        world.append(quat_mul(world[p], local[:, c]))
    return rest, torch.stack(pos, 1).numpy()


# ---------------------------------------------------------------------------------------------- layouts


def test_layouts_name_every_group() -> None:
    assert HUMANML3D.dim == 263 and KIT.dim == 251
    assert tuple(HUMANML3D.slices) == GROUPS
    assert [(s.start, s.stop) for s in HUMANML3D.slices.values()] == [(0, 1), (1, 3), (3, 4), (4, 67), (67, 193),
                                                                      (193, 259), (259, 263)]
    assert [(s.start, s.stop) for s in KIT.slices.values()] == [(0, 1), (1, 3), (3, 4), (4, 64), (64, 184),
                                                                (184, 247), (247, 251)]
    assert (HUMANML3D.fps, KIT.fps, HUMANML3D.foot_threshold, KIT.foot_threshold) == (20.0, 12.5, 0.002, 0.05)
    assert layout_for_dim(263) is HUMANML3D and layout_for_dim(251) is KIT
    with pytest.raises(ValueError, match="no known motion feature layout has 250"):
        layout_for_dim(250)
    x = np.arange(2 * 263).reshape(2, 263)
    assert HUMANML3D.group(x, "foot_contact").tolist() == [[259, 260, 261, 262], [522, 523, 524, 525]]
    with pytest.raises(ValueError, match="reach every joint"):
        FeatureLayout("bad", 3, ((0, 1),), (0, 1, 2, 2), (1,), (2,), 20.0, 0.002)


# ---------------------------------------------------------------------------------------------- the derived file


@needs_data
@pytest.mark.parametrize("canonicalize_first", [True, False])
def test_extract_reproduces_the_derived_file(joints: np.ndarray, stored: np.ndarray, canonicalize_first: bool
                                             ) -> None:
    """Every group exact to float32 rounding, on all frames (the file is float32; SOURCE.md allows 0.007)."""
    features = extract_features(joints, canonicalize_first=canonicalize_first)
    assert features.shape == stored.shape == (458, 263) and features.dtype == np.float64
    errors = group_errors(features, stored)
    assert errors["foot_contact"] == 0.0 and errors["root_height"] == 0.0
    assert max(errors.values()) < 1e-7, errors


@needs_data
def test_float32_torch_input_stays_float32_and_close(joints: np.ndarray, stored: np.ndarray) -> None:
    features = extract_features(torch.from_numpy(joints).float())
    assert isinstance(features, torch.Tensor) and features.dtype == torch.float32
    errors = group_errors(features.numpy(), stored)
    assert errors["foot_contact"] == 0.0
    assert max(errors.values()) < 5e-4, errors  # measured 8e-5 (rot6d); float32 yaw steps and arcs


@needs_data
def test_the_conventions_are_pinned_by_the_file(joints: np.ndarray, stored: np.ndarray) -> None:
    """The anatomical facing and other contact thresholds do not reproduce the file: the defaults are not a guess."""
    anatomical = group_errors(extract_features(joints, facing=FACING_ANATOMICAL), stored)
    assert anatomical["ric"] > 0.03 and anatomical["rot6d"] > 0.1
    for threshold in (0.0015, 0.0025):
        assert group_errors(extract_features(joints, foot_threshold=threshold), stored)["foot_contact"] == 1.0


@needs_data
def test_extraction_does_not_depend_on_where_the_clip_stands(joints: np.ndarray, stored: np.ndarray) -> None:
    """Turned 2 rad, moved, lifted: canonicalisation undoes it (also batched, two clips at once)."""
    moved = quat_rotate(yaw_quat(torch.tensor(2.0, dtype=torch.float64)), torch.from_numpy(joints)).numpy()
    moved = moved + np.array([3.0, 0.5, -2.0])
    np.testing.assert_allclose(canonicalize(moved), joints, atol=1e-9)
    both = extract_features(np.stack([joints, moved]))
    assert both.shape == (2, 458, 263)
    for features in both:
        assert max(group_errors(features, stored).values()) < 1e-7


@needs_data
def test_rot6d_decodes_to_the_bone_directions(joints: np.ndarray, stored: np.ndarray) -> None:
    """What the swing-only IK stores: composing the root rotation and the stored local rotations along a chain
    turns each joint's rest direction onto its bone, on the file's own values."""
    r = torch.from_numpy(root_rotations(joints))[:-1]
    local = cont6d_to_matrix(torch.from_numpy(HUMANML3D.group(stored, "rot6d")).double().reshape(458, 21, 6))
    rest = torch.tensor(T2M_REST_DIRECTIONS, dtype=torch.float64)
    pos = torch.from_numpy(joints)[:-1]
    for chain in HUMANML3D.chains:
        frame = quat_to_matrix(r)
        for p, c in zip(chain[:-1], chain[1:], strict=True):
            frame = frame @ local[:, c - 1]
            bone = pos[:, c] - pos[:, p]
            got = (frame @ rest[c].expand(458, 3).unsqueeze(-1)).squeeze(-1)
            torch.testing.assert_close(got, bone / bone.norm(dim=-1, keepdim=True), rtol=0, atol=1e-5)


# ---------------------------------------------------------------------------------------------- recovery


@needs_data
def test_round_trip_is_exact_with_fix_yaw_wrap(joints: np.ndarray) -> None:
    canonical = canonicalize(joints)
    features = extract_features(canonical, fix_yaw_wrap=True)
    recovered = recover_from_ric(features)
    assert recovered.shape == (458, 22, 3)
    assert np.abs(recovered - canonical[:-1]).max() < 1e-5  # measured 8e-16
    r, root = recover_root(features)
    expected = root_rotations(canonical)[:-1]
    np.testing.assert_allclose(np.abs((r * expected).sum(-1)), 1.0, atol=1e-9)  # same rotation, up to sign
    np.testing.assert_allclose(root, canonical[:-1, 0], atol=1e-9)


@needs_data
def test_yaw_wrap_frames(joints: np.ndarray) -> None:
    """HumanML3D's yaw step is wrong exactly where the heading crosses 180°: there the relative quaternion has
    w < 0; fix_yaw_wrap changes those values only, and flips their sign."""
    r = torch.from_numpy(root_rotations(joints))
    step = quat_mul(r[1:], quat_inv(r[:-1]))
    assert torch.nonzero(step[:, 0] < 0).flatten().tolist() == WRAP_FRAMES
    plain, fixed = extract_features(joints), extract_features(joints, fix_yaw_wrap=True)
    changed = np.nonzero(np.abs(plain - fixed).max(axis=1) > 0)[0]
    assert changed.tolist() == WRAP_FRAMES
    assert np.array_equal(plain[:, 1:], fixed[:, 1:])
    np.testing.assert_allclose(plain[WRAP_FRAMES, 0], -fixed[WRAP_FRAMES, 0])


@needs_data
def test_recover_from_ric_of_the_derived_file(joints: np.ndarray, stored: np.ndarray) -> None:
    """SOURCE.md's "max 1.0 cm" (measured 1.016 cm, at the last frame): exact up to the first 180° crossing, then
    the root drifts by the mis-signed yaw steps HumanML3D stores (see test_yaw_wrap_frames)."""
    recovered = recover_from_ric(stored)
    assert isinstance(recovered, np.ndarray) and recovered.dtype == np.float32
    deviation = np.linalg.norm(recovered - joints[:-1], axis=-1).max(axis=-1)  # per frame, metres
    assert deviation[: WRAP_FRAMES[0] + 1].max() < 1e-5
    assert 0.009 < deviation.max() < 0.0105
    torch_recovered = recover_from_ric(torch.from_numpy(stored), n_joints=22)
    np.testing.assert_allclose(torch_recovered.numpy(), recovered, atol=1e-6)


# ---------------------------------------------------------------------------------------------- synthetic


@pytest.mark.parametrize("layout", [HUMANML3D, KIT], ids=lambda lay: lay.name)
def test_round_trip_on_a_synthetic_clip(layout: FeatureLayout) -> None:
    rest, clip = synthetic_motion(layout)
    assert rest_directions_from_pose(rest, layout.chains) == tuple(tuple(float(v) for v in d)
                                                                   for d in layout.rest_directions)
    features = extract_features(clip, layout, fix_yaw_wrap=True)
    assert features.shape == (119, layout.dim)
    canonical = canonicalize(clip, layout)
    assert abs(canonical[..., 1].min()) < 1e-12 and np.abs(canonical[0, 0, [0, 2]]).max() < 1e-12
    recovered = recover_from_ric(features)  # joint count from the width: 263 → 22, 251 → 21
    assert recovered.shape == (119, layout.n_joints, 3)
    assert np.abs(recovered - canonical[:-1]).max() < 1e-5
    # without the fix the clip (1.3 turns) crosses 180° and the recovery drifts, as HumanML3D's does
    drift = np.abs(recover_from_ric(extract_features(clip, layout)) - canonical[:-1]).max()
    assert drift > 1e-3


def test_kit_layout_needs_21_joints_and_accepts_other_rest_directions() -> None:
    _, clip = synthetic_motion(KIT, T=30)
    assert KIT.rest_directions == KIT_REST_DIRECTIONS
    with pytest.raises(ValueError, match=r"\(\.\.\., T, 22, 3\)"):
        extract_features(clip)
    no_rest = FeatureLayout("kit-like", 21, KIT.chains, KIT.face_joints, KIT.feet_left, KIT.feet_right, 12.5, 0.05)
    with pytest.raises(ValueError, match="no rest directions"):
        extract_features(clip, no_rest)
    given = extract_features(clip, no_rest, rest_directions=KIT_REST_DIRECTIONS)
    np.testing.assert_array_equal(given, extract_features(clip, KIT))


def test_a_standing_rest_pose_has_identity_rotations_and_planted_feet() -> None:
    _, clip = synthetic_motion(HUMANML3D, T=8, still=True)
    parts = HUMANML3D.split(extract_features(clip))
    np.testing.assert_allclose(parts["rot6d"].reshape(7, 21, 6), np.broadcast_to([1.0, 0, 0, 0, 1, 0], (7, 21, 6)),
                               atol=1e-12)
    for name in ("root_rot_velocity", "root_linear_velocity", "local_velocity"):
        assert np.abs(parts[name]).max() < 1e-12
    assert (parts["foot_contact"] == 1.0).all()
    np.testing.assert_allclose(parts["root_height"], 0.9 - clip[..., 1].min())


# ---------------------------------------------------------------------------------------------- kinds, errors


def test_numpy_and_torch_in_give_the_same_kind_back_and_gradients_flow() -> None:
    _, clip = synthetic_motion(HUMANML3D, T=40)
    out32 = extract_features(clip.astype(np.float32))
    assert isinstance(out32, np.ndarray) and out32.dtype == np.float32
    x = torch.from_numpy(clip).requires_grad_(True)
    out = extract_features(x)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    np.testing.assert_allclose(out.detach().numpy(), extract_features(clip), atol=1e-12)
    back = recover_from_ric(out)
    back.sum().backward()
    assert x.grad is not None and bool(torch.isfinite(x.grad).all())
    r, root = recover_root(out.detach())
    assert r.shape == (39, 4) and root.shape == (39, 3)


def test_bad_inputs_are_named() -> None:
    _, clip = synthetic_motion(HUMANML3D, T=10)
    with pytest.raises(ValueError, match="at least 2 frames"):
        extract_features(clip[:1])
    bad = clip.copy()
    bad[3, 5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        extract_features(bad)
    with pytest.raises(ValueError, match="facing must be"):
        extract_features(clip, facing="left")
    with pytest.raises(ValueError, match="too few for 22 joints"):
        recover_from_ric(np.zeros((5, 40)), n_joints=22)


@pytest.mark.parametrize("sigma", [20.0, 2.5])
def test_gaussian_smooth_is_scipys_nearest_mode_filter(sigma: float) -> None:
    from scipy.ndimage import gaussian_filter1d

    x = np.random.default_rng(0).normal(size=(2, 30, 3))  # 30 frames: shorter than the σ=20 kernel (161)
    got = gaussian_smooth(torch.from_numpy(x), sigma, dim=-2).numpy()
    np.testing.assert_allclose(got, gaussian_filter1d(x, sigma, axis=1, mode="nearest"), atol=1e-12)
