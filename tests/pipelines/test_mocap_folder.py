"""seqkit-motion import: mocap takes → a HumanML3D-format folder, bad takes listed, reruns resume."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from seqkit.domains.motion.training_sets import humanml3d_records

MOTION = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[3] / "shared" / "data")) / "motion"


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "seqkit.domains.motion.cli", "import", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(not (MOTION / "cmu_daz" / "index.csv").exists(), reason=f"motion data not found at {MOTION}")
def test_import_writes_a_humanml3d_folder_lists_bad_takes_and_resumes(tmp_path: Path) -> None:
    takes = tmp_path / "takes"
    takes.mkdir()
    for name in ("02_01", "07_01", "09_01"):  # two walks, and a run too short at 20 fps
        shutil.copy(MOTION / "cmu_daz" / f"{name}.bvh.gz", takes)
    (takes / "notes.bvh").write_text("not a bvh\n")
    out = tmp_path / "hml"
    proc = run(["--output_dir", str(out), "--index", str(MOTION / "cmu_daz" / "index.csv"), str(takes)], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "2 imported, 0 already done, 2 skipped" in proc.stdout
    vecs = np.load(out / "new_joint_vecs" / "02_01.npy")
    joints = np.load(out / "new_joints" / "02_01.npy")
    assert vecs.shape == (joints.shape[0] - 1, 263) and joints.shape[1:] == (22, 3)
    assert (out / "texts" / "07_01.txt").read_text().startswith("walk#")
    skipped = (out / "skipped.csv").read_text()
    assert "09_01.bvh.gz" in skipped and "shorter than the minimum" in skipped and "notes.bvh: line 1" in skipped
    records = humanml3d_records(out)
    assert sorted(r.name for r in records) == ["02_01", "07_01"] and records[0].captions == ["walk"]
    again = run(["--output_dir", str(out), str(takes)], tmp_path)
    assert "0 imported, 2 already done, 2 skipped" in again.stdout


def test_import_of_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    proc = run(["--output_dir", str(tmp_path / "out"), str(tmp_path / "empty")], tmp_path)
    assert proc.returncode == 2 and "no mocap files" in proc.stderr
