"""Run folders across invocations, as a user types the commands: resume with `last`, evaluate `best`, rerun a
killed `predict`, and a clear error when the asked-for checkpoint does not exist."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seqkit.commands.run_folder import run_name_for

SMALL = ["--data.init_args.seq_len=48", "--data.init_args.n_tokens=4", "--data.init_args.n_train=64",
         "--data.init_args.n_val=32", "--data.init_args.n_test=32", "--data.init_args.n_predict=40",
         "--data.init_args.batch_size=16", "--model.init_args.d_model=32",
         "--model.init_args.mixer_options={mamba2: {d_state: 8, head_dim: 16, chunk_size: 16}}",
         "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
         "--trainer.default_root_dir=runs"]


def synthetic(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``seqkit-synthetic ARGS`` in a fresh process, as the console script runs it."""
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    return subprocess.run([sys.executable, "-m", "seqkit.domains.synthetic.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def test_last_best_and_predict_are_found_by_the_next_invocation(tmp_path: Path) -> None:
    fit = synthetic(["fit", *SMALL, "--trainer.max_epochs=1"], tmp_path)
    assert fit.returncode == 0, fit.stderr[-3000:]
    run = tmp_path / "runs" / "default"
    assert (run / "checkpoints" / "last.ckpt").is_file()

    resumed = synthetic(["fit", *SMALL, "--trainer.max_epochs=2", "--ckpt_path=last"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Restored all states from the checkpoint at runs/default/checkpoints/last.ckpt" in resumed.stderr
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["default"]  # no version_1 beside it
    epochs = {line.split(",")[0] for line in (run / "metrics.csv").read_text().splitlines()[1:]}
    assert epochs == {"0", "1"}  # the resumed fit appended to the first one's metrics

    tested = synthetic(["test", *SMALL, "--ckpt_path=best"], tmp_path)
    assert tested.returncode == 0, tested.stderr[-3000:]
    report = json.loads((run / "test_metrics.json").read_text())
    assert report["examples"] == 32 and "epoch=" in report["checkpoint"] and 0 <= report["metrics"]["test_acc"] <= 1

    assert synthetic(["predict", *SMALL, "--ckpt_path=last"], tmp_path).returncode == 0
    shards = sorted((run / "predictions").iterdir())
    assert len(shards) == 3  # 40 examples in batches of 16
    stamps = {p: p.stat().st_mtime_ns for p in shards}
    shards[1].unlink()  # as if the first run had been killed before writing it
    assert synthetic(["predict", *SMALL, "--ckpt_path=last"], tmp_path).returncode == 0
    assert sorted((run / "predictions").iterdir()) == shards
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items() if p != shards[1])


@pytest.mark.parametrize(("subcommand", "ckpt", "message"), [
    ("fit", "last", "no last checkpoint to resume from"),
    ("test", "best", "no checkpoints in this run folder"),
    ("test", "runs", "is a directory, expected a checkpoint file"),
    ("predict", "nope.ckpt", "nope.ckpt: checkpoint not found"),
])
def test_a_checkpoint_that_does_not_exist_is_an_error(tmp_path: Path, subcommand: str, ckpt: str, message: str) -> None:
    (tmp_path / "runs").mkdir()
    proc = synthetic([subcommand, *SMALL, f"--ckpt_path={ckpt}"], tmp_path)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in proc.stderr


def test_run_names() -> None:
    assert run_name_for(None, []) == "default"
    assert run_name_for(None, ["/x/etth1_M_24.yaml", "mamba_encoder.yaml"]) == "etth1_M_24+mamba_encoder"
    assert run_name_for("trial-3", ["a.yaml"]) == "trial-3"
    with pytest.raises(ValueError, match="names a folder"):
        run_name_for("../elsewhere", [])
