"""Atomic writes: content lands whole, a failed write leaves the old file, and the mode follows the umask."""

import os
import stat
import subprocess
import sys

import pandas as pd
import pytest

from seqkit.atomic_io import atomic_write, write_table


def test_current_umask_matches_os_umask():
    from seqkit.atomic_io import current_umask

    mask = os.umask(0o027)
    try:
        assert current_umask() == 0o027
    finally:
        os.umask(mask)


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_written_file_mode_follows_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        out = atomic_write(tmp_path / "a.txt", lambda fh: fh.write(b"x"))
        table = write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    finally:
        os.umask(old)
    for p in (out, table):
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask


def test_mode_follows_umask_in_fresh_process(tmp_path):
    """As a user's shell runs it: umask 022 gives 0644, not mkstemp's 0600."""
    code = ("import os; os.umask(0o022); from seqkit.atomic_io import atomic_write; "
            f"atomic_write({str(tmp_path / 'f.csv')!r}, lambda fh: fh.write(b'a'))")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert stat.S_IMODE((tmp_path / "f.csv").stat().st_mode) == 0o644


def test_failed_write_keeps_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "keep.txt"
    atomic_write(path, lambda fh: fh.write(b"old"))

    def boom(fh):
        fh.write(b"partial")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        atomic_write(path, boom)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
