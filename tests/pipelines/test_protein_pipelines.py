"""``seqkit-protein score`` and ``seqkit-protein generate`` on a small model trained on the synthetic family."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from seqkit.domains.protein.cli import COMMAND
from seqkit.domains.protein.cli import main as protein_cli
from seqkit.domains.protein.msa import read_msa, read_sequences
from seqkit.domains.protein.synthetic_family import synthetic_family

TINY = ["--model.init_args.d_model=32", "--model.init_args.n_layers=2", "--model.init_args.n_heads=4",
        "--data.init_args.synthetic_length=30", "--data.init_args.synthetic_sequences=64",
        "--data.init_args.context_tokens=200", "--data.init_args.n_train=24", "--data.init_args.n_val=4",
        "--trainer.max_epochs=1", "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


def score_main(args: list[str]) -> int:
    """``seqkit-protein score ARGS`` as the console runs it; returns the exit status."""
    return COMMAND.console(["score", *args])


def generate_main(args: list[str]) -> int:
    """``seqkit-protein generate ARGS`` as the console runs it; returns the exit status."""
    return COMMAND.console(["generate", *args])


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("protein")
    fit = protein_cli(["fit", *TINY, f"--trainer.default_root_dir={root}"])
    assert "val_spearman" in fit.trainer.callback_metrics  # the synthetic family's true DMS was scored
    a3m, dms = synthetic_family(30, 64, seed=0).write(root)
    return next(root.rglob("last.ckpt")), a3m, dms


def test_score_one_assay_writes_scores_and_spearman(trained, tmp_path: Path) -> None:
    ckpt, a3m, dms = trained
    out = tmp_path / "scores.csv"
    assert score_main([f"--checkpoint={ckpt}", f"--msa={a3m}", f"--variants={dms}", f"--output={out}",
                       "--max_tokens", "150", "--max_similarity", "1.0", "0.7", "--relative_to_wt"]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["mutant", "mutated_sequence", "DMS_score", "score"] and len(frame) == 30 * 19
    report = json.loads(out.with_suffix(".json").read_text())
    assert -1 <= report["spearman"] <= 1 and len(report["prompts"]) == 2 and report["n_variants"] == 570


def test_manifest_scores_each_assay_once_and_lists_bad_ones(trained, tmp_path: Path) -> None:
    ckpt, a3m, dms = trained
    first_residue = read_msa(a3m).query[0]
    wrong = "W" if first_residue != "W" else "A"
    bad = tmp_path / "bad.csv"
    bad.write_text(f"mutant,DMS_score\n{wrong}1C,0.3\n")  # the stated wild-type residue is not the query's
    manifest = tmp_path / "assays.csv"
    pd.DataFrame({"DMS_id": ["SYN", "BAD"], "msa_path": [str(a3m), str(a3m)],
                  "dms_path": [str(dms), str(bad)]}).to_csv(manifest, index=False)
    args = [f"--checkpoint={ckpt}", f"--manifest={manifest}", f"--output_dir={tmp_path / 'out'}",
            "--max_tokens", "150", "--max_similarity", "1.0", "--directions", "forward"]
    assert score_main(args) == 1
    summary = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert summary.set_index("DMS_id")["spearman"].notna().to_dict() == {"SYN": True, "BAD": False}
    assert f"{wrong}1C" in (tmp_path / "out" / "failures.csv").read_text()
    first = (tmp_path / "out" / "SYN.scores.csv").stat().st_mtime_ns
    score_main(args)  # resumed: the finished assay is not redone
    assert (tmp_path / "out" / "SYN.scores.csv").stat().st_mtime_ns == first


def test_generate_writes_fasta_with_validity_and_identity(trained, tmp_path: Path) -> None:
    ckpt, a3m, _ = trained
    out = tmp_path / "gen.fasta"
    assert generate_main([f"--checkpoint={ckpt}", f"--msa={a3m}", "--n=4", f"--output={out}", "--max_tokens=150",
                          "--top_p=0.9", "--seed=3"]) == 0
    records = read_sequences(out)
    table = pd.read_csv(out.with_suffix(".csv"))
    assert len(records) == 4 and table["sequence"].tolist() == [s for _, s in records]
    assert table["nearest_identity"].between(0, 1).all() and table["length"].le(46).all()


def test_a_mismatched_wild_type_or_a_bad_msa_record_is_one_error_line(trained, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture) -> None:
    ckpt, a3m, dms = trained
    query = read_msa(a3m).query
    wrong = next(a for a in "ACDEFGHIKLMNPQRSTVWY" if a != query[0])
    bad_dms = tmp_path / "bad.csv"
    pd.DataFrame({"mutant": [f"{wrong}1C"], "DMS_score": [0.0]}).to_csv(bad_dms, index=False)
    assert score_main([f"--checkpoint={ckpt}", f"--msa={a3m}", f"--variants={bad_dms}",
                       f"--output={tmp_path / 's.csv'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "bad.csv" in err.splitlines()[0] and "Traceback" not in err
    bad_msa = tmp_path / "bad.a3m"
    bad_msa.write_text(a3m.read_text().replace(f">{read_msa(a3m).ids[0]}", "no header line", 1))
    assert score_main([f"--checkpoint={ckpt}", f"--msa={bad_msa}", f"--variants={dms}",
                       f"--output={tmp_path / 's.csv'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "bad.a3m" in err.splitlines()[0] and "Traceback" not in err
    assert not (tmp_path / "s.csv").exists()
