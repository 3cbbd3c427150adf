"""A user's mistake is one line, ``error: <file>: <record>: <what>``, exit status 2 — through the console."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from seqkit.commands.user_errors import describe, root_cause

FORECAST_TINY = ["--trainer.max_epochs=1", "--trainer.enable_progress_bar=false", "--trainer.default_root_dir=runs"]


def console(domain: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONWARNINGS="ignore", OMP_NUM_THREADS="1")
    env.pop("SEQKIT_DEBUG", None)
    return subprocess.run([sys.executable, "-m", f"seqkit.domains.{domain}.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _assert_one_line_error(proc: subprocess.CompletedProcess, *fragments: str) -> None:
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    first = errors[0]
    for fragment in fragments:
        assert fragment in first, first


def test_forecast_data_errors_name_the_file(tmp_path: Path) -> None:
    (tmp_path / "nodate.csv").write_text("a,b,OT\n1,2,3\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "folder.csv").mkdir()
    _assert_one_line_error(console("forecast", ["fit", "--data.init_args.path=nodate.csv", *FORECAST_TINY], tmp_path),
                           "nodate.csv", "no date column 'date'")
    _assert_one_line_error(console("forecast", ["fit", "--data.init_args.path=empty.csv", *FORECAST_TINY], tmp_path),
                           "empty.csv", "empty")
    _assert_one_line_error(console("forecast", ["fit", "--data.init_args.path=folder.csv", *FORECAST_TINY],
                                   tmp_path), "folder.csv", "is a directory")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    (tmp_path / "nodate.csv").write_text("a,b,OT\n1,2,3\n")
    proc = console("forecast", ["fit", "--data.init_args.path=nodate.csv", "--debug", *FORECAST_TINY], tmp_path)
    assert proc.returncode != 0 and "Traceback" in proc.stderr and "no date column" in proc.stderr


def test_a_typo_in_a_trainer_key_gets_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("trainer:\n  max_epoch: 1\n")
    proc = console("synthetic", ["fit", "-c", "mine.yaml"], tmp_path)
    assert proc.returncode == 2
    assert "did you mean trainer.max_epochs" in proc.stderr, proc.stderr[-2000:]


def test_dna_prompt_errors_name_the_file_and_record(tmp_path: Path) -> None:
    from seqkit.domains.dna import DnaLM

    torch.manual_seed(0)
    lm = DnaLM(d_model=32, layers="mamba2", mixer_options={"mamba2": {"d_state": 8, "head_dim": 16}})
    torch.save({"state_dict": lm.state_dict(), "hyper_parameters": dict(lm.hparams),
                "pytorch-lightning_version": "2.4.0"}, tmp_path / "lm.ckpt")
    (tmp_path / "p.fa").write_text(">good\nACGTACGTAC\n>chr7_bad some description\nACGTXACG\n")
    proc = console("dna", ["generate", "--checkpoint=lm.ckpt", "--prompts=p.fa", "--output=o.fa", "--n_bp=12"],
                   tmp_path)
    _assert_one_line_error(proc, "p.fa", "record 'chr7_bad'", "'X' at position 5")
    assert not (tmp_path / "o.fa").exists()
    (tmp_path / "ok.fa").write_text(">good\nACGTACGTAC\n")
    proc = console("dna", ["generate", "--checkpoint=.", "--prompts=ok.fa", "--output=o.fa"], tmp_path)
    _assert_one_line_error(proc, "is a directory", "expected a checkpoint file")


def test_describe_unwraps_and_formats() -> None:
    try:
        try:
            raise ValueError("a.csv: row 3: 'x' is not a number")
        except ValueError as inner:
            raise ValueError("Does not validate against any of the Union subtypes\n...") from inner
    except ValueError as outer:
        assert str(root_cause(outer)) == "a.csv: row 3: 'x' is not a number"
        assert describe(outer) == "a.csv: row 3: 'x' is not a number"
    assert describe(FileNotFoundError(2, "No such file or directory", "x.ckpt")) == "x.ckpt: no such file or directory"
    assert describe(IsADirectoryError(21, "Is a directory", "d")) == "d: is a directory, expected a file"
