"""``seqkit-dna variants`` and ``seqkit-dna generate`` end to end on a tiny checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from seqkit.domains.dna import DnaLM
from seqkit.domains.dna.cli import COMMAND


def _checkpoint(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    lm = DnaLM(d_model=32, layers="mamba2", mixer_options={"mamba2": {"d_state": 8, "head_dim": 16}})
    path = tmp_path / "lm.ckpt"
    torch.save({"state_dict": lm.state_dict(), "hyper_parameters": dict(lm.hparams),
                "pytorch-lightning_version": "2.4.0"}, path)
    return path


def test_variants_pipeline_writes_scores_and_reports_auroc(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGT"), 2000))
    (tmp_path / "g.fa").write_text(f">chrA\n{seq}\n")
    pos = [300, 800, 1200, 1900]
    rows = [("chrA", p, seq[p - 1], "ACGT"[("ACGT".index(seq[p - 1]) + 1) % 4], i % 2) for i, p in enumerate(pos)]
    pd.DataFrame(rows, columns=["chrom", "pos", "ref", "alt", "label"]).to_csv(tmp_path / "v.csv", index=False)
    for name in ("scores.csv", "scores.parquet"):
        assert COMMAND.console(["variants", "--checkpoint", str(_checkpoint(tmp_path)),
                                "--genome", str(tmp_path / "g.fa"), "--variants", str(tmp_path / "v.csv"),
                                "--output", str(tmp_path / name), "--context_bp", "300"]) == 0
    table = pd.read_parquet(tmp_path / "scores.parquet")
    assert list(table.columns[-3:]) == ["log_p_ref", "log_p_alt", "score"] and table["label"].tolist() == [0, 1, 0, 1]
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "scores.csv"), table, check_dtype=False)
    assert "AUROC" in capsys.readouterr().out


def test_generation_pipeline_writes_one_record_per_sample(tmp_path: Path) -> None:
    (tmp_path / "p.fa").write_text(">geneA start\nATGAAACGCATTAGCACCACCATTACC\n>geneB\nATGGCT\n")
    out = tmp_path / "out.fa"
    assert COMMAND.console(["generate", "--checkpoint", str(_checkpoint(tmp_path)), "--prompts", str(tmp_path / "p.fa"),
                                "--n_bp", "50", "--samples", "2", "--top_p", "0.9", "--output", str(out)]) == 0
    lines = out.read_text().splitlines()
    headers = [line for line in lines if line.startswith(">")]
    assert [h.split()[0] for h in headers] == [">geneA_continuation_0", ">geneA_continuation_1",
                                               ">geneB_continuation_0", ">geneB_continuation_1"]
    assert all(len(line) == 50 and set(line) <= set("ACGT") for line in lines if not line.startswith(">"))
