"""``test`` on a labelled file scores every row given (or the rows marked test), says how many, and never
needs a train split; the file the model was trained on is scored on its held-out rows only."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqkit.domains.dna.classification_data import LabelledDataModule


def _labelled_csv(path: Path, n: int, seed: int, split: str | None = None) -> Path:
    """Random 30-50 bp sequences, two classes; class 1 carries TATAAT (learnable, though nothing here needs it)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        seq = list(rng.choice(list("ACGT"), int(rng.integers(30, 51))))
        if i % 2:
            seq[10:16] = list("TATAAT")
        rows.append({"sequence": "".join(seq), "label": i % 2})
    frame = pd.DataFrame(rows)
    if split is not None:
        frame["split"] = split
    frame.to_csv(path, index=False)
    return path


def test_training_file_is_tested_on_its_held_out_rows_and_a_new_file_on_all(tmp_path: Path) -> None:
    train = _labelled_csv(tmp_path / "train.csv", 60, 0)
    fit = LabelledDataModule(path=str(train), tokenizer="nucleotide", val_fraction=0.1)
    fit.setup("fit")
    state = fit.state_dict()
    assert len(fit.splits["val"]) == 6
    again = LabelledDataModule(path=str(train), tokenizer="nucleotide", seed=5)  # a test run's own settings
    again.load_state_dict(state)  # what `test --ckpt_path` restores
    again.setup("test")
    rows, which = again.test_rows()
    assert [s.tobytes() for s in rows.sequences] == [s.tobytes() for s in fit.splits["val"].sequences]
    assert "trained on" in which
    new = LabelledDataModule(path=str(_labelled_csv(tmp_path / "new.csv", 37, 1)), tokenizer="nucleotide")
    new.load_state_dict(state)
    new.setup("test")
    assert len(new.test_rows()[0]) == 37 and sum(len(b["labels"]) for b in new.test_dataloader()) == 37
    marked = _labelled_csv(tmp_path / "marked.csv", 20, 2)
    frame = pd.read_csv(marked)
    frame["split"] = ["train"] * 12 + ["test"] * 5 + ["val"] * 3
    frame.to_csv(marked, index=False)
    dm = LabelledDataModule(path=str(marked), tokenizer="nucleotide")
    dm.setup("test")
    assert len(dm.test_rows()[0]) == 5


def _dna_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, "-m", "seqkit.domains.dna.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def classifier_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny promoter classifier fit through the console command on a file without a split column."""
    root = tmp_path_factory.mktemp("dna_fit")
    train = _labelled_csv(root / "train.csv", 60, 0)
    config = resources.files("seqkit.domains.dna").joinpath("configs", "promoters.yaml")
    proc = _dna_cli("fit", "-c", str(config), f"--data.init_args.path={train}", "--data.init_args.batch_size=16",
                    "--model.init_args.d_model=32", "--model.init_args.layers=mamba2",
                    "--model.init_args.mixer_options={mamba2: {d_state: 8, head_dim: 16, chunk_size: 16}}",
                    "--trainer.max_epochs=1", "--trainer.limit_train_batches=2", "--trainer.enable_progress_bar=false",
                    "--trainer.enable_model_summary=false", "--trainer.default_root_dir=run", cwd=root)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return next(root.rglob("last.ckpt"))


@pytest.mark.parametrize(("split", "n"), [(None, 37), ("test", 23)])
def test_console_test_scores_every_row_of_a_new_labelled_file(tmp_path: Path, classifier_checkpoint: Path,
                                                              split: str | None, n: int) -> None:
    """``seqkit-dna test --ckpt_path CKPT --data.init_args.path new.csv``: a file without a split column used
    to be cut to its own 10% held-out rows, and one with every row marked test failed ("train split is empty")."""
    new = _labelled_csv(tmp_path / "new.csv", n, 7, split)
    config = resources.files("seqkit.domains.dna").joinpath("configs", "promoters.yaml")
    proc = _dna_cli("test", "-c", str(config), f"--ckpt_path={classifier_checkpoint}",
                    f"--data.init_args.path={new}", "--model.init_args.d_model=32", "--model.init_args.layers=mamba2",
                    "--model.init_args.mixer_options={mamba2: {d_state: 8, head_dim: 16, chunk_size: 16}}",
                    "--trainer.enable_progress_bar=false", "--trainer.default_root_dir=run", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    output = proc.stdout + proc.stderr
    assert re.search(rf"Testing on {n} of {n} sequences in {re.escape(str(new))}", output), output[-3000:]
    assert "test_acc" in output
