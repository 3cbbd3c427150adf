"""The mocap import pipeline on the real CMU files: mapping by names, T-pose, 20 fps, canonical placement."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from seqkit.domains.motion.bvh import read_bvh
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.joint_mapping import detect_scheme, smpl22_positions
from seqkit.domains.motion.metrics import jitter
from seqkit.domains.motion.mocap_import import import_folder, import_mocap
from seqkit.domains.motion.tpose import leading_tpose_frames

MOTION = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "motion"
needs_data = pytest.mark.skipif(not (MOTION / "cmu" / "01_01.bvh").exists(),
                                reason=f"motion data not found at {MOTION}")


@needs_data
def test_01_01_decimated_reproduces_the_shared_derived_joints() -> None:
    """Same mapping, units, decimation and canonicalisation as the shared derived clip: equal to float32."""
    ref = np.load(MOTION / "derived" / "cmu_01_01_joints22_20fps.npy")
    got = import_mocap(MOTION / "cmu" / "01_01.bvh", resample="decimate", drop_tpose=False)
    assert got.scheme == "cmu_bvh" and got.joints.shape == ref.shape
    np.testing.assert_allclose(got.joints.numpy(), ref, atol=1e-5)


@needs_data
def test_band_limited_import_drops_the_tpose_and_lands_canonical() -> None:
    clip = read_bvh(MOTION / "cmu" / "01_01.bvh")
    assert leading_tpose_frames(smpl22_positions(clip)) == 1
    m = import_mocap(MOTION / "cmu" / "01_01.bvh")
    j = m.joints
    assert m.dropped_tpose == 1 and m.fps == 20.0 and j.shape[0] == 459  # 2751 frames at 120 fps → 459
    assert abs(float(j[..., 1].min())) < 1e-5  # floor at y = 0
    assert j[0, 0, [0, 2]].abs().max() < 1e-5  # first root at the XZ origin
    across = (j[0, 1] - j[0, 2]) + (j[0, 16] - j[0, 17])  # left minus right: facing +Z means across points +X
    assert across[0] > 0 and abs(float(across[2])) < 1e-4
    height = float(j[..., 1].max())
    assert 1.5 < height < 2.0  # an adult in metres


@needs_data
@pytest.mark.parametrize("name, scheme", [("02_01", "daz"), ("13_10", "daz"), ("16_01", "cmu_asf")])
def test_each_skeleton_maps_by_names_to_a_plausible_body(name: str, scheme: str) -> None:
    m = import_mocap(MOTION / "cmu_daz" / f"{name}.bvh.gz", source_fps=120.0)
    assert m.scheme == scheme
    j = m.joints
    bones = (j[:, [4, 5, 18, 19]] - j[:, [1, 2, 16, 17]]).norm(dim=-1)  # thighs and upper arms
    assert bones.std(dim=0).max() < 0.01 and 0.2 < bones.mean() < 0.6  # rigid, human-sized
    assert (j[:, 15, 1] > j[:, 0, 1]).all()  # head above pelvis in every frame


@needs_data
def test_asf_amc_import_and_header_fps_override() -> None:
    amc = import_mocap(MOTION / "cmu" / "11_01.amc")
    assert amc.scheme == "cmu_asf" and amc.joints.shape == (100, 22, 3)  # 597 frames at 120 fps
    # 16_01's header says 30 fps, CMU captured it at 120: the index's rate makes it 4× shorter
    header = import_mocap(MOTION / "cmu_daz" / "16_01.bvh.gz")
    fixed = import_mocap(MOTION / "cmu_daz" / "16_01.bvh.gz", source_fps=120.0)
    assert header.source_fps == pytest.approx(30.0, rel=1e-3) and fixed.source_fps == 120.0
    assert abs(header.joints.shape[0] - 4 * fixed.joints.shape[0]) <= 4


@needs_data
def test_smoothing_lowers_jitter() -> None:
    raw = import_mocap(MOTION / "cmu_daz" / "13_10.bvh.gz", source_fps=120.0)
    smooth = import_mocap(MOTION / "cmu_daz" / "13_10.bvh.gz", source_fps=120.0, smoothing_hz=4.0)
    assert jitter(smooth.joints) < 0.8 * jitter(raw.joints)
    assert (smooth.joints - raw.joints).norm(dim=-1).mean() < 0.03  # the motion itself stays


def _bvh(root: str, joints: list[str], frames: int = 60) -> str:
    body = "".join(f"JOINT {n}\n{{\nOFFSET 0 -10 0\nCHANNELS 3 Zrotation Xrotation Yrotation\n"
                   f"End Site\n{{\nOFFSET 0 -5 0\n}}\n}}\n" for n in joints)
    header = (f"HIERARCHY\nROOT {root}\n{{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Zrotation "
              f"Xrotation Yrotation\n{body}}}\nMOTION\nFrames: {frames}\nFrame Time: 0.05\n")
    n_channels = 6 + 3 * len(joints)
    return header + "\n".join(" ".join(["0"] * n_channels) for _ in range(frames)) + "\n"


def test_unknown_skeleton_names_the_joints_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "robot.bvh"
    path.write_text(_bvh("Hips", ["LeftUpLeg", "RightUpLeg", "Antenna"]))
    with pytest.raises(MotionFormatError, match=r"robot\.bvh: unknown skeleton.*CMU BVH.*no joint named.*LeftArm"):
        detect_scheme(read_bvh(path).skeleton, str(path))


def test_folder_import_skips_bad_files_and_records_why(tmp_path: Path) -> None:
    (tmp_path / "robot.bvh").write_text(_bvh("Hips", ["Antenna"]))
    (tmp_path / "broken.bvh").write_text("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\n")
    with gzip.open(tmp_path / "empty.bvh.gz", "wt") as fh:
        fh.write("")
    (tmp_path / "notes.txt").write_text("not mocap")
    report = import_folder([tmp_path], progress=False)
    assert report.motions == []
    reasons = dict(report.skipped)
    assert set(map(lambda p: Path(p).name, reasons)) == {"robot.bvh", "broken.bvh", "empty.bvh.gz"}
    assert "unknown skeleton" in reasons[str(tmp_path / "robot.bvh")]
    assert all(str(tmp_path) in r for r in reasons.values())  # each reason names its file


@needs_data
def test_folder_import_of_the_shared_takes_keeps_the_long_ones(tmp_path: Path) -> None:
    files = [MOTION / "cmu_daz" / f for f in ("02_01.bvh.gz", "09_01.bvh.gz")]
    report = import_folder(files, fps_of=lambda p: 120.0, progress=False)
    assert [Path(m.source).name for m in report.motions] == ["02_01.bvh.gz"]
    assert "shorter than the minimum 40 frames" in report.skipped[0][1]


@needs_data
def test_non_finite_channels_are_named_by_frame() -> None:
    from seqkit.domains.motion.mocap_import import import_clip

    clip = read_bvh(MOTION / "cmu" / "01_01.bvh")
    clip.motion[7, 3] = np.inf  # the reader itself rejects NaN text; values can still overflow
    with pytest.raises(MotionFormatError, match=r"01_01\.bvh: frame 7: joint positions are not finite"):
        import_clip(clip)
    assert torch.isfinite(torch.as_tensor(read_bvh(MOTION / "cmu" / "01_01.bvh").motion)).all()
