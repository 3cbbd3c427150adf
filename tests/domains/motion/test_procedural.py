"""Procedural motions: determinism, kinds, durations, rigid bones, feet on (not under) the floor, planted stance
feet, a walking gait with alternating legs and counter-swinging arms, and captions whose words match the motion."""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch

from seqkit.domains.motion.body_joints import SMPL22_NAMES, SMPL22_PARENTS
from seqkit.domains.motion.forward_kinematics import euler_to_matrix, forward_kinematics
from seqkit.domains.motion.procedural import (
    BALL_HEIGHT,
    KINDS,
    PELVIS_HEIGHT,
    REST_OFFSETS,
    STAND_HEIGHT,
    ProceduralMotion,
    _build,
    _euler,
    procedural_dataset,
    procedural_motion,
    procedural_skeleton,
)

J = {name: i for i, name in enumerate(SMPL22_NAMES)}
PER_KIND = 16


@pytest.fixture(scope="module")
def dataset() -> list[ProceduralMotion]:
    return procedural_dataset(PER_KIND * len(KINDS), seed=11)


def _words(caption: str) -> set[str]:
    return set(re.findall(r"[a-z]+", caption.lower()))


def _facing_yaw(joints: np.ndarray) -> np.ndarray:
    """Heading (T,) in radians from the hips: facing = (left hip − right hip) × up; 0 faces +Z, > 0 turned left."""
    across = joints[:, J["left_hip"]] - joints[:, J["right_hip"]]
    return np.unwrap(np.arctan2(-across[:, 2], across[:, 0]))


def test_rest_body_is_an_adult_facing_z_with_its_left_at_plus_x() -> None:
    skeleton = procedural_skeleton()
    assert skeleton.names == list(SMPL22_NAMES) and skeleton.parents == list(SMPL22_PARENTS)
    assert skeleton.n_channels == 6 + 3 * 21
    rest = forward_kinematics(skeleton, np.r_[0.0, PELVIS_HEIGHT, 0.0, np.zeros(66)][None]).numpy()[0]
    assert rest[J["left_hip"], 0] > 0 > rest[J["right_hip"], 0]
    assert rest[J["left_shoulder"], 0] > 0 > rest[J["right_shoulder"], 0]
    assert rest[J["left_foot"], 2] > rest[J["left_ankle"], 2]  # toes point +Z
    assert rest[J["left_foot"], 1] == pytest.approx(BALL_HEIGHT) and rest[J["left_ankle"], 1] == pytest.approx(0.08)
    assert rest[J["left_hip"], 1] == pytest.approx(0.90)  # legs 0.9 m
    assert 1.5 < rest[J["head"], 1] < 1.65 and 0.3 < rest[J["left_shoulder"], 0] - rest[J["right_shoulder"], 0] < 0.4
    assert 0.93 < STAND_HEIGHT < PELVIS_HEIGHT == pytest.approx(0.96)


@pytest.mark.parametrize("order", ["XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"])
def test_euler_decomposition_inverts_the_forward_kinematics_composition(order: str) -> None:
    rng = np.random.default_rng(0)
    angles = rng.uniform(-170, 170, (200, 3))
    angles[:, 1] = rng.uniform(-85, 85, 200)  # the middle angle away from gimbal lock
    R = euler_to_matrix(torch.from_numpy(angles), order).numpy()
    back = np.degrees(_euler(R, order))
    np.testing.assert_allclose(euler_to_matrix(torch.from_numpy(back), order).numpy(), R, atol=1e-10)


def test_same_seed_same_motions_and_motion_i_does_not_depend_on_n() -> None:
    a = procedural_dataset(14, seed=5)
    b = procedural_dataset(14, seed=5)
    short = procedural_dataset(5, seed=5)
    other = procedural_dataset(14, seed=6)
    for x, y in zip(a, b, strict=True):
        assert x.caption == y.caption and x.params == y.params and np.array_equal(x.joints, y.joints)
    for x, y in zip(short, a[:5], strict=True):
        assert x.caption == y.caption and np.array_equal(x.joints, y.joints)
    assert sum(np.array_equal(x.joints, y.joints) for x, y in zip(a, other, strict=True)) == 0
    single = procedural_motion(a[3].kind, np.random.default_rng([5, 3]))
    assert single.caption == a[3].caption and np.array_equal(single.joints, a[3].joints)


def test_every_kind_is_present_and_kinds_can_be_chosen(dataset: list[ProceduralMotion]) -> None:
    assert [m.kind for m in dataset[:len(KINDS)]] == list(KINDS)
    assert {m.kind for m in dataset} == set(KINDS) and len(KINDS) >= 12
    chosen = procedural_dataset(6, seed=1, kinds=["wave", "kick"])
    assert [m.kind for m in chosen] == ["wave", "kick"] * 3
    with pytest.raises(ValueError, match="unknown motion kind"):
        procedural_dataset(2, kinds=["moonwalk"])
    with pytest.raises(ValueError, match="min_seconds"):
        procedural_dataset(2, min_seconds=1.0)


def test_shapes_and_durations(dataset: list[ProceduralMotion]) -> None:
    for m in dataset:
        T = m.joints.shape[0]
        assert m.joints.shape == (T, 22, 3) and m.joints.dtype == np.float32 and np.isfinite(m.joints).all()
        assert 40 <= T <= 200 and m.params["n_frames"] == T and m.params["seconds"] == pytest.approx(T / 20)
        assert m.channels.shape == (T, 69)
        assert np.allclose(m.joints[0, 0, [0, 2]], 0.0, atol=1e-6)  # root at the origin on frame 0
    short = procedural_dataset(24, seed=2, min_seconds=3.0, max_seconds=4.0)
    assert all(60 <= m.joints.shape[0] <= 80 for m in short)
    lengths = [m.joints.shape[0] for m in dataset]
    assert min(lengths) < 70 and max(lengths) > 170  # durations spread over 2-10 s


def test_bones_keep_their_rest_length_in_every_frame(dataset: list[ProceduralMotion]) -> None:
    rest = np.linalg.norm(REST_OFFSETS, axis=-1)
    for m in dataset:
        for j, p in enumerate(SMPL22_PARENTS):
            if p >= 0:
                length = np.linalg.norm(m.joints[:, j] - m.joints[:, p], axis=-1)
                np.testing.assert_allclose(length, rest[j], atol=2e-5, err_msg=f"{m.kind}: bone {j}")


def test_no_joint_goes_below_the_floor(dataset: list[ProceduralMotion]) -> None:
    lowest = min(float(m.joints[:, :, 1].min()) for m in dataset)
    assert lowest > -0.02, f"floor penetration {lowest:.3f} m"
    assert lowest == pytest.approx(BALL_HEIGHT, abs=1e-4)  # a flat foot's ball, the lowest joint, on the floor
    for m in dataset:  # and nothing floats: some foot is on the floor in most frames (jumps and runs have flight)
        grounded = (m.joints[:, [J["left_foot"], J["right_foot"]], 1].min(axis=1) < 0.035).mean()
        assert grounded > (0.4 if m.kind in ("jump", "run") else 0.95), (m.kind, grounded)


def test_stance_feet_do_not_slide(dataset: list[ProceduralMotion]) -> None:
    """Stance: a foot joint (ball of the foot) below 3.5 cm (it rests at 2.5 cm) in two consecutive frames."""
    slides = []
    for m in dataset:
        feet = m.joints[:, [J["left_foot"], J["right_foot"]]].astype(np.float64)
        stance = (feet[1:, :, 1] < 0.035) & (feet[:-1, :, 1] < 0.035)
        step = np.linalg.norm(feet[1:, :, [0, 2]] - feet[:-1, :, [0, 2]], axis=-1)
        slides.append(step[stance])
    slide = np.concatenate(slides)
    assert slide.size > 10000
    assert slide.mean() < 2e-4, f"mean stance slide {slide.mean():.2e} m/frame"
    assert np.quantile(slide, 0.99) < 2e-3 and slide.max() < 1e-2, f"max stance slide {slide.max():.4f} m/frame"


@pytest.mark.parametrize("kind", ["walk", "run", "walk_turn", "turn", "side_step", "walk_backward", "kick", "jump"])
def test_planned_footholds_are_reached_exactly(kind: str) -> None:
    """The leg IK puts a weight-bearing foot where the plan put it (the pelvis is kept within the legs' reach)."""
    skeleton = procedural_skeleton()
    for i in range(6):
        plan, channels = _build(kind, np.random.default_rng([3, i]), 2.0, 10.0)
        joints = forward_kinematics(skeleton, torch.from_numpy(channels)).numpy()
        error = np.linalg.norm(joints[:, [J["left_foot"], J["right_foot"]]] - plan.balls.transpose(1, 0, 2), axis=-1)
        bearing = np.ones_like(error) if plan.contact is None else plan.contact.T
        assert error[bearing == 1.0].max() < 1e-6


def test_walking_gait_alternates_legs_swings_arms_and_bobs() -> None:
    checked = 0
    for seed in range(40):
        m = procedural_motion("walk", seed)
        if m.params["direction"] != "forward" or m.params["stops"] or m.params["start_standing"]:
            continue
        checked += 1
        j = m.joints.astype(np.float64)
        pelvis_z = j[:, 0, 2]
        left_ahead = j[:, J["left_foot"], 2] - pelvis_z
        right_ahead = j[:, J["right_foot"], 2] - pelvis_z
        assert np.corrcoef(left_ahead, right_ahead)[0, 1] < -0.8  # the legs alternate
        left_hand = j[:, J["left_wrist"], 2] - pelvis_z
        assert np.corrcoef(left_hand, right_ahead)[0, 1] > 0.8  # the left arm swings with the right leg
        bob = np.ptp(j[20:, 0, 1])
        assert 0.02 < bob < 0.11, bob
        knee = m.channels[:, 6 + 3 * (J["left_knee"] - 1) + 1]
        assert knee.max() > 35 and knee.min() < 15  # flexed in the swing, nearly straight in stance
        lifted = j[:, J["left_ankle"], 1] > 0.12
        assert 0.2 < lifted.mean() < 0.6  # the swing share of a stride
    assert checked >= 4


def _displacement(m: ProceduralMotion) -> np.ndarray:
    return m.joints[-1, 0, [0, 2]] - m.joints[0, 0, [0, 2]]


def test_translation_words_match_the_root_path(dataset: list[ProceduralMotion]) -> None:
    checked = 0
    for m in dataset:
        if m.kind not in ("walk", "run", "side_step", "jump", "walk_backward"):
            continue
        words = _words(m.caption)
        dx, dz = _displacement(m)
        if "left" in words:
            assert dx > 0.05, (m.caption, dx)
        if "right" in words:
            assert dx < -0.05, (m.caption, dx)
        if words & {"forward", "forwards", "ahead"}:
            assert dz > 0.05, (m.caption, dz)
        if words & {"backward", "backwards", "backs"}:
            assert dz < -0.05, (m.caption, dz)
        if words & {"place", "down"} and m.kind == "jump":
            assert np.hypot(dx, dz) < 0.05, m.caption
        checked += bool(words & {"left", "right", "forward", "forwards", "ahead", "backward", "backwards", "backs"})
    assert checked > 40


def test_turn_words_match_the_change_of_heading(dataset: list[ProceduralMotion]) -> None:
    checked = 0
    for m in dataset:
        if m.kind not in ("turn", "walk_turn"):
            continue
        words = _words(m.caption)
        turned = np.degrees(_facing_yaw(m.joints)[-1] - _facing_yaw(m.joints)[0])
        if "left" in words or "counterclockwise" in words:
            assert turned > 45, (m.caption, turned)
        if "right" in words or "clockwise" in words:
            assert turned < -45, (m.caption, turned)
        if "around" in words and "full" not in words and "circle" not in words and m.kind == "turn":
            assert abs(abs(turned) - 180) < 25, (m.caption, turned)
        if words & {"full", "circle", "spins"}:
            assert abs(turned) > 320, (m.caption, turned)
        assert np.sign(turned) == np.sign(m.params["angle_deg"])
        checked += 1
    assert checked == 2 * PER_KIND


def test_limb_words_name_the_limb_that_moves(dataset: list[ProceduralMotion]) -> None:
    for m in dataset:
        words = _words(m.caption)
        j = m.joints
        if m.kind in ("wave", "arm_raise"):
            left = j[:, J["left_wrist"], 1].max() - j[0, J["left_wrist"], 1]
            right = j[:, J["right_wrist"], 1].max() - j[0, J["right_wrist"], 1]
            if "both" in words:
                assert min(left, right) > 0.3, m.caption
            elif "left" in words:
                assert left > 0.3 and right < 0.05, m.caption
            else:
                assert "right" in words and right > 0.3 and left < 0.05, m.caption
        if m.kind == "kick":
            left = j[:, J["left_foot"], 1].max()
            right = j[:, J["right_foot"], 1].max()
            kicking, standing = (left, right) if "left" in words else (right, left)
            assert ("left" in words) != ("right" in words) and kicking > 0.3 and standing < 0.03, m.caption
        if m.kind == "wave" and m.params["hand"] != "both":
            hand = J[f"{m.params['hand']}_wrist"]
            assert (j[:, hand, 1] > j[:, J["head"], 1] - 0.1).any(), m.caption  # the waving hand is up by the head


def test_captions_are_clean_and_varied(dataset: list[ProceduralMotion]) -> None:
    captions = [m.caption for m in dataset]
    for c in captions:
        assert c.endswith(".") and "{" not in c and "  " not in c and " ." not in c and " ," not in c, c
    assert len(set(captions)) > 0.7 * len(captions)
    vocabulary = set().union(*(_words(c) for c in captions))
    assert len(vocabulary) > 120
    for kind in KINDS:
        assert len({m.caption for m in dataset if m.kind == kind}) >= PER_KIND // 2, kind
    counted = [m for m in dataset if m.kind in ("squat", "jump", "kick") and m.params["reps"] > 1]
    numbers = {"twice": 2, "two": 2, "three": 3, "four": 4, "five": 5}
    assert len(counted) > 5
    for m in counted:
        said = [numbers[w] for w in _words(m.caption) if w in numbers]
        assert said in ([], [m.params["reps"]]), m.caption


def test_generation_is_fast() -> None:
    start = time.perf_counter()
    motions = procedural_dataset(200, seed=0)
    elapsed = time.perf_counter() - start
    assert len(motions) == 200 and elapsed < 10.0, f"{elapsed:.1f} s for 200 motions"
