"""Every notebook runs top to bottom with small parameters (SEQKIT_NB_SMOKE=1) and leaves its plots."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
EXPECTED_FILES = {"backbones.ipynb": ["backbones_out/accuracy_vs_length.png"],
                  "dna.ipynb": ["dna_out/pretrain_vs_markov.png", "dna_out/reading_frame.png",
                                "dna_out/variant_scores.csv", "dna_out/continuations.fa"],
                  "forecast.ipynb": ["forecast_out/forecast_ot.png"],
                  "protein.ipynb": ["protein_out/dms_scatter.png", "protein_out/generated_identity.png"]}
SHARED = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data"))


def test_every_notebook_has_expected_outputs_listed() -> None:
    assert NOTEBOOKS and {p.name for p in NOTEBOOKS} <= set(EXPECTED_FILES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_executes_and_writes_its_plots(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEQKIT_NB_SMOKE", "1")
    monkeypatch.setenv("SEQKIT_SHARED_DATA", str(SHARED.resolve()))
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONWARNINGS", "ignore")
    nb = nbformat.read(path, as_version=4)
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), "first cell must be tagged parameters"
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    for rel in EXPECTED_FILES[path.name]:
        assert (tmp_path / rel).stat().st_size > 1000, rel
