"""BVH and ASF/AMC readers, the BVH writer and the joints → BVH export, on CMU files and hand-written ones."""

from __future__ import annotations

import gzip
import math
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from seqkit.commands.user_errors import InputError
from seqkit.domains.motion.asf_amc import AsfSkeleton, read_amc, read_asf, read_asf_amc
from seqkit.domains.motion.body_joints import SMPL22_NAMES, SMPL22_PARENTS
from seqkit.domains.motion.bvh import (
    bake_pre_rotations,
    bone_lengths,
    depth_first_order,
    joints_to_bvh,
    matrix_to_euler,
    normalise_bone_lengths,
    read_bvh,
    swing_rotation,
    write_bvh,
)
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.forward_kinematics import euler_to_matrix, forward_kinematics
from seqkit.domains.motion.skeleton import Skeleton

# Test data: wherever SEQKIT_SHARED_DATA points, else the shared/data folder beside the checkout.
MOTION = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "motion"
CMU_BVH = MOTION / "cmu" / "01_01.bvh"
CMU_ASF, CMU_AMC = MOTION / "cmu" / "11.asf", MOTION / "cmu" / "11_01.amc"
DAZ = MOTION / "cmu_daz"
SINUSOIDAL = MOTION / "synthetic" / "sinusoidal.bvh"
needs_data = pytest.mark.skipif(not CMU_BVH.exists(), reason=f"motion data not found at {MOTION}")


def fk(clip) -> np.ndarray:
    return forward_kinematics(clip.skeleton, clip.motion).numpy()


def write(tmp_path: Path, text: str, name: str = "clip.bvh") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------------------- real BVH files


@needs_data
def test_cmu_01_01_has_2752_frames_of_31_joints_at_120_fps_read_in_well_under_a_second() -> None:
    start = time.perf_counter()
    clip = read_bvh(CMU_BVH)
    elapsed = time.perf_counter() - start
    sk = clip.skeleton
    assert (clip.n_frames, sk.n_joints, sk.n_channels) == (2752, 31, 96)
    assert clip.frame_time == 0.0083333 and clip.fps == pytest.approx(120, rel=1e-4)
    assert sk.names[:3] == ["Hips", "LHipJoint", "LeftUpLeg"] and sk.parents[:3] == [-1, 0, 1]
    assert sk.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    assert all(c == ("Zrotation", "Yrotation", "Xrotation") for c in sk.channels[1:])
    np.testing.assert_array_equal(sk.offsets[2], [1.36306, -1.79463, 0.83929])
    assert sorted(sk.names[j] for j in sk.end_sites) == sorted(
        ["LeftToeBase", "RightToeBase", "Head", "LFingers", "LThumb", "RFingers", "RThumb"])
    np.testing.assert_array_equal(sk.end_sites[sk.index("LeftToeBase")], [0.0, 0.0, 1.18966])
    np.testing.assert_array_equal(clip.motion[0, :3], [9.3722, 17.8693, -17.3198])
    assert clip.motion[0, 9] == -17 and clip.motion.dtype == np.float64
    assert elapsed < 1.0, f"reading 2752 x 96 values took {elapsed:.2f} s"


@needs_data
@pytest.mark.parametrize("name", ["02_01", "09_01", "13_11", "16_01"])
def test_gzipped_cmu_daz_files_read_with_their_own_channel_orders(name: str) -> None:
    clip = read_bvh(DAZ / f"{name}.bvh.gz")
    sk = clip.skeleton
    assert np.isfinite(clip.motion).all() and clip.n_frames > 100
    pos = fk(clip)  # (T, J, 3): bone lengths are rigid over the clip
    for j, p in enumerate(sk.parents):
        if p >= 0:
            length = np.linalg.norm(pos[:, j] - pos[:, p], axis=-1)
            np.testing.assert_allclose(length, np.linalg.norm(sk.offsets[j]), atol=1e-9)
    if name == "16_01":  # raw amc2bvh output on CMU's ASF joint names; its header says 30 fps
        assert sk.n_joints == 31 and sk.names[:3] == ["hip", "lhipjoint", "lfemur"] and clip.n_frames == 322
        assert clip.frame_time == 0.033333 and round(clip.fps) == 30
        assert sk.channels[1] == ("Zrotation", "Yrotation", "Xrotation")
    else:
        assert sk.n_joints == 43 and sk.names[:3] == ["hip", "abdomen", "chest"]
        assert clip.fps == pytest.approx(120, rel=1e-4)
        assert sk.channels[0][3:] == ("Zrotation", "Yrotation", "Xrotation")
        assert sk.channels[1] == ("Zrotation", "Xrotation", "Yrotation")


@needs_data
def test_gzip_is_detected_by_magic_bytes_not_the_suffix(tmp_path: Path) -> None:
    raw = (DAZ / "02_01.bvh.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    renamed = tmp_path / "02_01.bvh"
    renamed.write_bytes(raw)
    plain = tmp_path / "plain.bvh.gz"  # a .gz name on a plain file reads as plain text
    plain.write_bytes(gzip.decompress(raw))
    a, b, c = read_bvh(DAZ / "02_01.bvh.gz"), read_bvh(renamed), read_bvh(plain)
    np.testing.assert_array_equal(a.motion, b.motion)
    np.testing.assert_array_equal(a.motion, c.motion)
    assert a.skeleton.names == b.skeleton.names == c.skeleton.names
    truncated = tmp_path / "broken.bvh"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(MotionFormatError, match="broken.bvh: corrupt gzip data"):
        read_bvh(truncated)


@needs_data
def test_sinusoidal_clip_a_leaf_without_end_site_and_xyz_channels() -> None:
    clip = read_bvh(SINUSOIDAL)
    sk = clip.skeleton
    assert (clip.n_frames, clip.fps, sk.names) == (120, 60.0, ["base", "child1", "child2", "child3"])
    assert sk.end_sites == {} and sk.channels[1] == ("Xrotation", "Yrotation", "Zrotation")
    pos = fk(clip)
    # frame 0: root at (-3, 6, 5), child2 turned -90° about X, so child3's +Y offset points along -Z
    np.testing.assert_allclose(pos[0, 0], [-3, 6, 5])
    np.testing.assert_allclose(pos[0, 2], [-8, 11, 5])
    np.testing.assert_allclose(pos[0, 3], [-8, 11, 2], atol=1e-12)


# --------------------------------------------------------------------------------- hand-written BVH and errors

SMALL = """HIERARCHY
ROOT hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT knee
  {
    OFFSET 0 -1 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 -1 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.05
0 1 0 0 0 0 10 20 30
0 1 0 0 0 0 11 21 31
"""


def _chain(order: str, values: str) -> str:
    """Root (no rotation) → joint with rotation channels in ``order`` → tip one unit up."""
    chans = " ".join(f"{a}rotation" for a in order)
    return (f"HIERARCHY\nROOT r\n{{\nOFFSET 0 0 0\nCHANNELS 3 Xposition Yposition Zposition\nJOINT j\n{{\n"
            f"OFFSET 0 0 0\nCHANNELS 3 {chans}\nJOINT tip\n{{\nOFFSET 0 1 0\nCHANNELS 0\n}}\n}}\n}}\n"
            f"MOTION\nFrames: 1\nFrame Time: 0.1\n0 0 0 {values}\n")


def test_channel_order_decides_the_composition(tmp_path: Path) -> None:
    # Z = 90°, X = 90° in both files; ZXY is Rz @ Rx: +Y → +Z (Rx) → +Z (Rz); XYZ is Rx @ Rz: +Y → -X → -X
    zxy = read_bvh(write(tmp_path, _chain("ZXY", "90 90 0"), "zxy.bvh"))
    xyz = read_bvh(write(tmp_path, _chain("XYZ", "90 0 90"), "xyz.bvh"))
    np.testing.assert_allclose(fk(zxy)[0, 2], [0, 0, 1], atol=1e-12)
    np.testing.assert_allclose(fk(xyz)[0, 2], [-1, 0, 0], atol=1e-12)
    yzx = read_bvh(write(tmp_path, _chain("YZX", "0 90 90"), "yzx.bvh"))  # Rz @ Rx again, through Y first
    np.testing.assert_allclose(fk(yzx)[0, 2], [0, 0, 1], atol=1e-12)


def test_position_channels_on_a_non_root_joint_add_to_its_offset(tmp_path: Path) -> None:
    text = """HIERARCHY
ROOT r
{
OFFSET 5 5 5
CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation
JOINT slider
{
OFFSET 0 1 0
CHANNELS 6 Zrotation Xposition Yposition Zposition Xrotation Yrotation
End Site
{
OFFSET 1 0 0
}
}
}
MOTION
Frames: 2
Frame Time: 0.1
1 2 3 0 0 0 0 0.5 0 0 0 0
1 2 3 90 0 0 0 0.5 0 0 0 0
"""
    clip = read_bvh(write(tmp_path, text))
    assert clip.skeleton.channels[1] == ("Zrotation", "Xposition", "Yposition", "Zposition", "Xrotation",
                                         "Yrotation")
    pos = fk(clip)
    np.testing.assert_allclose(pos[0], [[1, 2, 3], [1.5, 3, 3]])  # root offset replaced, slider offset kept
    np.testing.assert_allclose(pos[1, 1], [1, 3, 2.5], atol=1e-12)  # root turned 90° about Y: +X → -Z


def test_crlf_tabs_and_ragged_whitespace_read_the_same(tmp_path: Path) -> None:
    messy = "\r\n".join("\t " + re.sub(" ", " \t  ", line) + "  " for line in SMALL.splitlines()) + "\r\n\r\n"
    messy = messy.replace("MOTION", "\r\nMOTION")  # a blank line before MOTION too
    compact = re.sub(r"\s*\n\s*([{}])", r" \1", SMALL.split("MOTION")[0]) + "\nMOTION" + SMALL.split("MOTION")[1]
    assert "ROOT hips {" in compact and "OFFSET 0 -1 0 } } }" in compact  # braces on the keywords' lines
    a, b = read_bvh(write(tmp_path, SMALL, "a.bvh")), read_bvh(write(tmp_path, messy, "b.bvh"))
    c = read_bvh(write(tmp_path, compact, "c.bvh"))
    for other in (b, c):
        assert other.skeleton.names == ["hips", "knee"] and other.skeleton.channels == a.skeleton.channels
        np.testing.assert_array_equal(a.motion, other.motion)
        np.testing.assert_array_equal(other.skeleton.offsets, a.skeleton.offsets)
        np.testing.assert_array_equal(other.skeleton.end_sites[1], [0, -1, 0])
        assert other.frame_time == 0.05


def _bad(old: str, new: str) -> str:
    assert old in SMALL
    return SMALL.replace(old, new, 1)


BAD_BVH = {
    "frame with a missing value": (_bad("0 1 0 0 0 0 11 21 31", "0 1 0 0 0 0 11 21"), 20,
                                   "frame 2 has 8 values, expected 9"),
    "frame with an extra value": (_bad("0 1 0 0 0 0 10 20 30", "0 1 0 0 0 0 10 20 30 40"), 19,
                                  "frame 1 has 10 values, expected 9"),
    "Frames: larger than the block": (_bad("Frames: 2", "Frames: 3"), 17,
                                      "Frames: says 3 but the MOTION block has 2 frame lines"),
    "no MOTION block": (SMALL.split("MOTION")[0], 15, "no MOTION block"),
    "no HIERARCHY": (_bad("HIERARCHY", "HIERARCHIES"), 1, "expected HIERARCHY"),
    "no ROOT": (_bad("ROOT hips", "JOINT hips"), 2, "no ROOT in the HIERARCHY"),
    "unclosed brace": (_bad("    }\n  }\n}", "    }\n  }"), 3, "unbalanced braces: the '{' of ROOT 'hips' is never"),
    "extra closing brace": (_bad("  }\n}", "  }\n}\n}"), 16, "unbalanced braces: this '}' closes nothing"),
    "unknown channel name": (_bad("Zrotation Xrotation Yrotation\n    End", "Zrotation Xrot Yrotation\n    End"), 9,
                             "unknown channel name 'Xrot'"),
    "CHANNELS count": (_bad("CHANNELS 3", "CHANNELS 4"), 9, "CHANNELS says 4 channels but lists 3"),
    "NaN value": (_bad("10 20 30", "10 nan 30"), 19, r"frame 1: value 'nan' \(knee Xrotation\) is not a finite"),
    "non-numeric value": (_bad("11 21 31", "11 21 3l"), 20, r"frame 2: value '3l' \(knee Yrotation\) is not a num"),
    "zero Frame Time": (_bad("Frame Time: 0.05", "Frame Time: 0"), 18, "Frame Time must be a positive number"),
    "negative Frame Time": (_bad("Frame Time: 0.05", "Frame Time: -0.05"), 18, "Frame Time must be a positive"),
    "bad OFFSET": (_bad("OFFSET 0 -1 0\n    CH", "OFFSET 0 -1\n    CH"), 8, "OFFSET needs 3 numbers, found 2"),
}


@pytest.mark.parametrize("case", list(BAD_BVH))
def test_a_malformed_bvh_names_the_file_and_line(tmp_path: Path, case: str) -> None:
    text, line, what = BAD_BVH[case]
    path = write(tmp_path, text, "bad.bvh")
    with pytest.raises(MotionFormatError) as info:
        read_bvh(path)
    assert isinstance(info.value, InputError)  # the CLI turns it into one error line, exit 2
    assert str(info.value).startswith(f"{path}: line {line}: "), str(info.value)
    assert re.search(what, str(info.value)), str(info.value)


def test_the_small_file_itself_is_fine(tmp_path: Path) -> None:  # so the error cases differ only by their defect
    clip = read_bvh(write(tmp_path, SMALL))
    assert clip.motion.shape == (2, 9) and clip.skeleton.parents == [-1, 0]


# ------------------------------------------------------------------------------------------------ writing


@needs_data
@pytest.mark.parametrize("source", [CMU_BVH, DAZ / "13_11.bvh.gz"], ids=["01_01", "daz_13_11"])
def test_read_write_read_reproduces_the_clip(tmp_path: Path, source: Path) -> None:
    clip = read_bvh(source)
    for name in ("out.bvh", "out.bvh.gz"):
        written = write_bvh(tmp_path / name, clip.skeleton, clip.motion, clip.frame_time)
        assert (written.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
        back = read_bvh(written)
        assert back.skeleton.names == clip.skeleton.names and back.skeleton.parents == clip.skeleton.parents
        assert back.skeleton.channels == clip.skeleton.channels and back.frame_time == clip.frame_time
        # 6 decimals: equal up to half a unit in the 6th decimal (DAZ files have 7)
        np.testing.assert_allclose(back.skeleton.offsets, clip.skeleton.offsets, atol=5.01e-7, rtol=0)
        assert back.skeleton.end_sites.keys() == clip.skeleton.end_sites.keys()
        np.testing.assert_allclose(back.motion, clip.motion, atol=5.01e-7, rtol=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bvh", "out.bvh.gz"]  # no temp files left


def test_write_puts_joints_in_depth_first_order_and_refuses_pre_rotations(tmp_path: Path) -> None:
    parents = [-1, 0, 0, 1, 2]  # breadth-first: BVH order is 0, 1, 3, 2, 4
    assert depth_first_order(parents) == [0, 1, 3, 2, 4]
    rng = np.random.default_rng(1)
    sk = Skeleton(names=list("abcde"), parents=parents, offsets=rng.normal(size=(5, 3)),
                  channels=[("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")]
                  + [("Zrotation", "Xrotation", "Yrotation")] * 4, end_sites={3: np.ones(3)})
    motion = rng.uniform(-90, 90, size=(4, 18))
    back = read_bvh(write_bvh(tmp_path / "bfs.bvh", sk, motion, 0.05))
    assert back.skeleton.names == list("abdce") and back.skeleton.parents == [-1, 0, 1, 0, 3]
    assert back.skeleton.end_sites.keys() == {2}
    np.testing.assert_allclose(fk(back), forward_kinematics(sk, motion).numpy()[:, [0, 1, 3, 2, 4]], atol=1e-5)
    sk.pre_rotations = np.repeat(euler_to_matrix(torch.tensor([[0.0, 0.0, 30.0]]), "XYZ").numpy(), 5, axis=0)
    with pytest.raises(ValueError, match="bake_pre_rotations"):
        write_bvh(tmp_path / "pre.bvh", sk, motion, 0.05)


# ------------------------------------------------------------------------------------ joints → BVH (IK export)


def test_matrix_to_euler_inverts_euler_to_matrix_for_every_order_and_at_gimbal_lock() -> None:
    rng = np.random.default_rng(0)
    for order in ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX"):
        angles = np.stack([rng.uniform(-179, 179, 500), rng.uniform(-89, 89, 500), rng.uniform(-179, 179, 500)], 1)
        matrix = euler_to_matrix(torch.tensor(angles), order).numpy()
        np.testing.assert_allclose(matrix_to_euler(matrix, order), angles, atol=1e-9)
        locked = angles.copy()
        locked[:, 1] = np.where(rng.random(500) < 0.5, 90.0, -90.0)
        matrix = euler_to_matrix(torch.tensor(locked), order).numpy()
        again = euler_to_matrix(torch.tensor(matrix_to_euler(matrix, order)), order).numpy()
        np.testing.assert_allclose(again, matrix, atol=1e-12)
    with pytest.raises(ValueError, match="three distinct axes"):
        matrix_to_euler(np.eye(3), "XYX")


def test_swing_rotation_is_the_smallest_rotation_even_near_a_half_turn() -> None:
    rng = np.random.default_rng(2)
    src = rng.normal(size=(200, 3))
    src /= np.linalg.norm(src, axis=1, keepdims=True)
    dst = rng.normal(size=(200, 3))
    dst /= np.linalg.norm(dst, axis=1, keepdims=True)
    dst[:3] = -src[:3]  # exactly opposite
    dst[3:6] = -src[3:6] + 1e-9 * np.cross(src[3:6], [0, 0, 1])  # nearly opposite
    dst[3:6] /= np.linalg.norm(dst[3:6], axis=1, keepdims=True)
    R = swing_rotation(src, dst)
    np.testing.assert_allclose(np.einsum("nij,nj->ni", R, src), dst, atol=1e-12)
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(3), R.shape), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-12)
    angle = np.arccos(np.clip((np.trace(R, axis1=1, axis2=2) - 1) / 2, -1, 1))
    between = np.arccos(np.clip(np.sum(src * dst, axis=1), -1, 1))
    np.testing.assert_allclose(angle, between, atol=1e-6)  # no twist added on top of the swing


@needs_data
def test_joints_to_bvh_reproduces_the_cmu_clip_positions(tmp_path: Path) -> None:
    clip = read_bvh(CMU_BVH)
    positions = fk(clip)[::2]  # (T, 31, 3), every other frame: 1376 frames
    sk = clip.skeleton
    out = joints_to_bvh(positions, sk.parents, sk.names, 2 * clip.frame_time, tmp_path / "ik.bvh", branches=False)
    np.testing.assert_allclose(fk(out), positions, atol=1e-4, rtol=0)
    np.testing.assert_allclose(out.motion[0, 3:], 0.0, atol=1e-9)  # rest pose = frame 0
    assert out.skeleton.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation",
                                        "Xrotation")
    assert out.skeleton.end_sites.keys() == {j for j in range(31) if j not in sk.parents}
    back = read_bvh(tmp_path / "ik.bvh")  # 01_01 is already depth-first, so the file keeps the order
    assert back.skeleton.names == sk.names and back.frame_time == pytest.approx(2 * clip.frame_time)
    np.testing.assert_allclose(fk(back), positions, atol=1e-4, rtol=0)
    assert np.abs(np.diff(out.motion[:, 3:], axis=0)).max() < 180  # unwrapped: no 360° jumps between frames


def _smpl_clip(frames: int = 40, seed: int = 0) -> tuple[Skeleton, np.ndarray, np.ndarray]:
    """A random-rotation clip on the SMPL-22 tree (random rest offsets in metres): skeleton, motion, positions."""
    rng = np.random.default_rng(seed)
    offsets = rng.normal(size=(22, 3))
    offsets *= rng.uniform(0.08, 0.4, size=(22, 1)) / np.linalg.norm(offsets, axis=1, keepdims=True)
    offsets[0] = 0
    channels = [("Xposition", "Yposition", "Zposition", "Yrotation", "Xrotation", "Zrotation")]
    channels += [("Zrotation", "Xrotation", "Yrotation")] * 21
    sk = Skeleton(names=list(SMPL22_NAMES), parents=list(SMPL22_PARENTS), offsets=offsets, channels=channels)
    motion = rng.uniform(-180, 180, size=(frames, sk.n_channels))
    motion[:, :3] = np.cumsum(rng.normal(scale=0.05, size=(frames, 3)), axis=0)
    return sk, motion, forward_kinematics(sk, motion).numpy()


def test_joints_to_bvh_on_the_smpl22_tree_round_trips_through_the_file(tmp_path: Path) -> None:
    sk, _, positions = _smpl_clip()
    out = joints_to_bvh(torch.as_tensor(positions), SMPL22_PARENTS, SMPL22_NAMES, 0.05, tmp_path / "smpl.bvh",
                        branches=False)
    assert out.skeleton.names == list(SMPL22_NAMES)  # the clip keeps the input's joint order
    np.testing.assert_allclose(fk(out), positions, atol=1e-4, rtol=0)
    np.testing.assert_allclose(bone_lengths(fk(out), SMPL22_PARENTS), np.linalg.norm(sk.offsets, axis=1), atol=1e-9)
    back = read_bvh(tmp_path / "smpl.bvh")
    dfs = depth_first_order(SMPL22_PARENTS)
    assert back.skeleton.names == [SMPL22_NAMES[j] for j in dfs] != list(SMPL22_NAMES)
    np.testing.assert_allclose(fk(back), positions[:, dfs], atol=1e-4, rtol=0)
    # a joint with one child bone only swings: its local rotation turns by exactly the angle it moves that bone
    starts = np.cumsum([0] + [len(c) for c in out.skeleton.channels])
    checked = 0
    for j in range(1, 22):
        kids = [c for c, p in enumerate(SMPL22_PARENTS) if p == j]
        if len(kids) == 1:
            local = euler_to_matrix(torch.as_tensor(out.motion[:, starts[j]:starts[j + 1]]), "ZYX").numpy()
            rest = out.skeleton.offsets[kids[0]] / np.linalg.norm(out.skeleton.offsets[kids[0]])
            turn = np.arccos(np.clip((np.trace(local, axis1=1, axis2=2) - 1) / 2, -1, 1))
            swing = np.arccos(np.clip((local @ rest) @ rest, -1, 1))
            np.testing.assert_allclose(turn, swing, atol=1e-6)
            checked += 1
    assert checked == 15


def test_joints_to_bvh_with_varying_bone_lengths_gives_the_length_normalised_input() -> None:
    _, _, positions = _smpl_clip(seed=3)
    rng = np.random.default_rng(4)
    stretched = positions.copy()  # (T, 22, 3): every bone scaled per frame by 0.8 … 1.2, directions kept
    for j, p in enumerate(SMPL22_PARENTS):
        if p >= 0:
            scale = rng.uniform(0.8, 1.2, size=(len(positions), 1))
            stretched[:, j] = stretched[:, p] + scale * (positions[:, j] - positions[:, p])
    clip = joints_to_bvh(stretched, SMPL22_PARENTS, SMPL22_NAMES, 0.05)
    out = fk(clip)[:, [clip.skeleton.names.index(n) for n in SMPL22_NAMES]]
    expected = normalise_bone_lengths(stretched, SMPL22_PARENTS)
    assert np.abs(expected - stretched).max() > 1e-2  # the normalisation is not a no-op here
    np.testing.assert_allclose(out, expected, atol=1e-4, rtol=0)
    lengths = np.stack([np.linalg.norm(expected[:, j] - expected[:, p], axis=-1)
                        for j, p in enumerate(SMPL22_PARENTS) if p >= 0], axis=1)
    np.testing.assert_allclose(lengths, np.broadcast_to(lengths[0], lengths.shape), atol=1e-12)


def test_joints_to_bvh_branch_joints_make_non_rigid_branches_exact(tmp_path: Path) -> None:
    """Generated motion: the pelvis's and spine3's child bones do not move as one rigid body."""
    _, _, positions = _smpl_clip(seed=5)
    rng = np.random.default_rng(6)
    bent = positions.copy()
    for j in (1, 13, 12):  # left hip, left collar, neck: each turned on its own about its branching parent
        p = SMPL22_PARENTS[j]
        angle = rng.uniform(-0.3, 0.3, size=len(positions))
        c, s_ = np.cos(angle), np.sin(angle)
        bone = positions[:, j] - positions[:, p]
        turned = np.stack([c * bone[:, 0] + s_ * bone[:, 2], bone[:, 1], -s_ * bone[:, 0] + c * bone[:, 2]], -1)
        shift = (positions[:, p] + turned) - positions[:, j]
        below = [k for k in range(22) if k == j or _is_below(k, j)]
        bent[:, below] += shift[:, None]
    rigid = joints_to_bvh(bent, SMPL22_PARENTS, SMPL22_NAMES, 0.05, branches=False)
    assert np.abs(fk(rigid) - bent).max() > 1e-2  # one rotation per branching joint cannot fit them
    clip = joints_to_bvh(bent, SMPL22_PARENTS, SMPL22_NAMES, 0.05, tmp_path / "split.bvh")
    names = clip.skeleton.names
    assert {"pelvis__left_hip", "pelvis__right_hip", "pelvis__spine1", "spine3__neck"} <= set(names)
    assert all(names.index(n.split("__")[1]) > names.index(n) for n in names if "__" in n)
    order = [names.index(n) for n in SMPL22_NAMES]
    np.testing.assert_allclose(fk(clip)[:, order], bent, atol=1e-4, rtol=0)
    back = read_bvh(tmp_path / "split.bvh")
    np.testing.assert_allclose(fk(back)[:, [back.skeleton.names.index(n) for n in SMPL22_NAMES]], bent, atol=1e-4)


def _is_below(k: int, j: int) -> bool:
    while k >= 0:
        k = SMPL22_PARENTS[k]
        if k == j:
            return True
    return False


def test_joints_to_bvh_rejects_malformed_input() -> None:
    _, _, positions = _smpl_clip(frames=2)
    with pytest.raises(ValueError, match=r"\(T, J, 3\)"):
        joints_to_bvh(positions[0], SMPL22_PARENTS, SMPL22_NAMES, 0.05)
    with pytest.raises(ValueError, match="22 joints but 21 parents"):
        joints_to_bvh(positions, SMPL22_PARENTS[:-1], SMPL22_NAMES, 0.05)
    with pytest.raises(ValueError, match="must come before it"):
        joints_to_bvh(positions[:, :3], [-1, 2, 0], ["a", "b", "c"], 0.05)
    bad = positions.copy()
    bad[1, 4, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        joints_to_bvh(bad, SMPL22_PARENTS, SMPL22_NAMES, 0.05)


# --------------------------------------------------------------------------------------------------- ASF/AMC


def _asf_directions(path: Path) -> dict[str, np.ndarray]:
    """Bone name → ``direction`` straight from the file text (independent of the reader)."""
    text = path.read_text()
    names = re.findall(r"^\s*name\s+(\S+)", text, flags=re.MULTILINE)
    dirs = re.findall(r"^\s*direction\s+(\S+)\s+(\S+)\s+(\S+)", text, flags=re.MULTILINE)
    return {n: np.array([float(v) for v in d]) for n, d in zip(names, dirs, strict=True)}


@needs_data
def test_cmu_asf_maps_to_the_amc2bvh_joint_tree() -> None:
    sk = read_asf(CMU_ASF)
    assert isinstance(sk, AsfSkeleton) and sk.n_joints == 31 and sk.names[0] == "root"
    assert (sk.length_unit, sk.angle_unit) == (0.45, "deg")
    daz = read_bvh(DAZ / "16_01.bvh.gz").skeleton  # CMU's own amc2bvh output (another subject, same tree)
    assert sk.names[1:] == daz.names[1:] and sk.parents == daz.parents
    assert sk.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    i = sk.index
    assert sk.channels[i("lhipjoint")] == () and sk.channels[i("ltibia")] == ("Xrotation",)
    assert sk.channels[i("lfemur")] == ("Zrotation", "Yrotation", "Xrotation") and sk.dofs[i("lfoot")] == ("rx", "rz")
    assert sk.channels[i("lclavicle")] == ("Zrotation", "Yrotation")
    dirs = _asf_directions(CMU_ASF)
    np.testing.assert_allclose(sk.offsets[i("lfemur")], dirs["lhipjoint"] * 2.56071, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(sk.offsets[i("ltibia")]), 7.33161, atol=1e-12)
    np.testing.assert_array_equal(sk.offsets[i("lhipjoint")], 0)  # children of root start at the root
    assert sorted(sk.names[j] for j in sk.end_sites) == sorted(
        ["ltoes", "rtoes", "head", "lfingers", "lthumb", "rfingers", "rthumb"])
    np.testing.assert_allclose(sk.pre_rotations[i("lfemur")],
                               euler_to_matrix(torch.tensor([20.0]), "Z").numpy()[...], atol=1e-12)
    metres = read_asf(CMU_ASF, scale=0.0254 / 0.45)
    assert np.linalg.norm(metres.offsets[i("ltibia")]) == pytest.approx(7.33161 * 0.0254 / 0.45)  # 41 cm femur


@needs_data
def test_asf_rest_pose_bones_point_along_their_direction() -> None:
    sk = read_asf(CMU_ASF)
    pos = forward_kinematics(sk, np.zeros((1, sk.n_channels))).numpy()[0]  # (J, 3), all dof zero
    dirs = _asf_directions(CMU_ASF)
    checked = 0
    for j, p in enumerate(sk.parents):
        if p > 0:  # the bone of joint p runs from its start (joint p) to joint j's start
            bone = pos[j] - pos[p]
            np.testing.assert_allclose(bone / np.linalg.norm(bone), dirs[sk.names[p]] / np.linalg.norm(
                dirs[sk.names[p]]), atol=1e-9)
            checked += 1
    assert checked == 27


@needs_data
def test_cmu_11_01_amc_gives_a_plausible_human() -> None:
    clip = read_asf_amc(CMU_ASF, CMU_AMC)
    sk = clip.skeleton
    assert (clip.n_frames, clip.frame_time, sk.n_channels) == (597, 1 / 120, 62)
    np.testing.assert_array_equal(clip.motion[0, :6], [12.2047, 17.4653, -40.3148, 3.92364, -39.9965, -9.79949])
    lfemur = sk.index("lfemur")
    assert clip.motion[0, sum(len(c) for c in sk.channels[:lfemur]):][:3].tolist() == [-28.4595, -0.0174515,
                                                                                        -6.89445]
    pos = fk(clip)  # (597, 31, 3)
    i = sk.index
    femur = np.linalg.norm(pos[:, i("ltibia")] - pos[:, i("lfemur")], axis=-1)
    np.testing.assert_allclose(femur, 7.33161, atol=1e-9)  # constant bone length = ASF length (file units)
    assert (pos[:, i("head"), 1] > pos[:, i("root"), 1] + 5).all()  # upright throughout
    assert (pos[:, i("root"), 1] > pos[:, [i("lfoot"), i("rfoot")], 1].max(axis=1)).all()
    # both feet come down on one floor and stay put while down. The dof order is a composition order about
    # fixed axes (Rz Ry Rx for "rx ry rz"); composing the other way round puts the right toes 1.1 below the left
    # and makes planted feet slide ~5x more, so this fails for the wrong convention.
    low = {}
    for toe in ("ltoes", "rtoes"):
        y = pos[:, i(toe), 1]
        low[toe] = y.min()
        planted = y < y.min() + 0.3
        step = np.linalg.norm(np.diff(pos[:, i(toe)], axis=0), axis=-1)[planted[1:] & planted[:-1]]
        assert planted.sum() > 50 and np.median(step) < 0.04, (toe, np.median(step))
    assert abs(low["ltoes"] - low["rtoes"]) < 0.05 and 0 < low["ltoes"] < 2


ASF = """# hand-written
:version 1.10
:units
  length 1.0
  angle {angle}
:root
  order TX TY TZ RX RY RZ
  axis XYZ
  position 0 0 0
  orientation 0 0 0
:bonedata
  begin
    id 1
    name a
    direction 1 0 0
    length 2
    axis 0 0 {quarter} XYZ
    dof rx
    limits (-180 180)
  end
  begin
    id 2
    name b
    direction 0 1 0
    length 1
    axis 0 0 0 XYZ
    dof rx ry rz
    limits (-180 180)
           (-180 180)
           (-180 180)
  end
  begin
    id 3
    name c
    direction 1 0 0
    length 1
    axis 0 0 0 XYZ
  end
:hierarchy
  begin
    root a
    a b
    b c
  end
"""
AMC = """:FULLY-SPECIFIED
:{unit}
1
root 1 2 3 0 0 0
a {quarter}
b {quarter} 0 {quarter}
c
2
root 1 2 3 0 0 0
a 0
b 0 0 0
"""


@pytest.mark.parametrize("unit", ["deg", "rad"])
def test_asf_axis_frames_the_dof_and_dofs_turn_about_fixed_axes(tmp_path: Path, unit: str) -> None:
    quarter = "90" if unit == "deg" else repr(math.pi / 2)
    asf = write(tmp_path, ASF.format(angle=unit, quarter=quarter), "t.asf")
    amc = write(tmp_path, AMC.format(unit="DEGREES" if unit == "deg" else "RADIANS", quarter=quarter), "t.amc")
    clip = read_asf_amc(asf, amc, fps=60)
    assert clip.skeleton.names == ["root", "a", "b", "c"] and clip.frame_time == 1 / 60
    pos = fk(clip)
    # frame 2 is the rest pose; frame 1: a's axis is Rz(90), so its rx turns about world Y: (2, 0, 0) → (0, 0, -2);
    # b's "rx ry rz" = (90, 0, 90) is Rz @ Rx: +Y → +Z → +Z in a's frame, and a's Ry(90) takes +Z to +X
    np.testing.assert_allclose(pos[1], [[1, 2, 3], [1, 2, 3], [3, 2, 3], [3, 3, 3]], atol=1e-12)
    np.testing.assert_allclose(pos[0], [[1, 2, 3], [1, 2, 3], [1, 2, 1], [2, 2, 1]], atol=1e-12)
    np.testing.assert_allclose(clip.skeleton.end_sites[3], [1, 0, 0])


def _bad_asf(tmp_path: Path, old: str, new: str) -> Path:
    text = ASF.format(angle="deg", quarter="90")
    assert old in text
    return write(tmp_path, text.replace(old, new, 1), "bad.asf")


@pytest.mark.parametrize("old,new,pattern", [
    (":hierarchy\n  begin\n    root a\n    a b\n    b c\n  end\n", "", "line 38: no :hierarchy section"),
    ("    name b\n", "", "line 21: bone has no name"),
    ("    b c\n", "    b z\n", "line 43: unknown bone 'z' in :hierarchy"),
    ("    b c\n", "", "line 32: bone 'c' is not in :hierarchy"),
    ("    dof rx ry rz", "    dof rx ty", "line 27: bone 'b': dof 'ty' .* not supported"),
])
def test_malformed_asf_files_name_the_line(tmp_path: Path, old: str, new: str, pattern: str) -> None:
    path = _bad_asf(tmp_path, old, new)
    with pytest.raises(MotionFormatError, match=rf"^{re.escape(str(path))}: {pattern}"):
        read_asf(path)


@pytest.mark.parametrize("old,new,line,what", [
    ("a 90\n", "arm 90\n", 5, "unknown bone 'arm' \\(not in the ASF skeleton\\)"),
    ("b 90 0 90\n", "b 90 0\n", 6, r"bone 'b' has 2 values, its dof \(rx ry rz\) needs 3"),
    ("root 1 2 3 0 0 0\na 0", "root 1 2 3 0 0 0 0\na 0", 9, "bone 'root' has 7 values"),
    ("b 0 0 0\n", "b 0 x 0\n", 11, "bone 'b': not a number"),
    ("b 0 0 0\n", "b 0 nan 0\n", 11, "bone 'b': non-finite value"),
    ("b 0 0 0\n", "", 8, "frame 2 has no values for bone 'b'"),
    ("2\n", "4\n", 8, "frame 4 follows frame 1"),
    ("1\nroot", "root 1 2 3 0 0 0\n1\nroot", 3, "'root' before the first frame number"),
])
def test_malformed_amc_files_name_the_line(tmp_path: Path, old: str, new: str, line: int, what: str) -> None:
    asf = write(tmp_path, ASF.format(angle="deg", quarter="90"), "t.asf")
    text = AMC.format(unit="DEGREES", quarter="90")
    assert old in text
    amc = write(tmp_path, text.replace(old, new, 1), "bad.amc")
    with pytest.raises(MotionFormatError, match=rf"^{re.escape(str(amc))}: line {line}: {what}"):
        read_amc(amc, read_asf(asf))


@needs_data
def test_asf_clip_baked_to_plain_channels_writes_a_bvh_with_the_same_motion(tmp_path: Path) -> None:
    clip = read_asf_amc(CMU_ASF, CMU_AMC)
    motion = clip.motion[:150]
    with pytest.raises(ValueError, match="bake_pre_rotations"):
        write_bvh(tmp_path / "raw.bvh", clip.skeleton, motion, clip.frame_time)
    baked, baked_motion = bake_pre_rotations(clip.skeleton, motion)
    assert baked.pre_rotations is None
    assert baked.channels[baked.index("lfemur")] == ("Zrotation", "Yrotation", "Xrotation")
    assert baked.channels[baked.index("ltibia")] == ("Zrotation", "Yrotation", "Xrotation")  # 1 dof → 3 once framed
    assert baked.channels[baked.index("lowerback")] == ("Zrotation", "Yrotation", "Xrotation")  # axis 0: unchanged
    back = read_bvh(write_bvh(tmp_path / "11_01.bvh", baked, baked_motion, clip.frame_time))
    assert back.skeleton.names == clip.skeleton.names
    np.testing.assert_allclose(fk(back), forward_kinematics(clip.skeleton, motion).numpy(), atol=1e-4, rtol=0)
