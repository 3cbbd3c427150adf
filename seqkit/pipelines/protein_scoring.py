"""``seqkit-protein score``: score variants with a trained PoET against prompts from their family's MSA.

One assay: ``--msa`` (A3M/A2M/FASTA/Stockholm, query first) and ``--variants`` (ProteinGym CSV with
``mutant``/``mutated_sequence``/optional ``DMS_score``, or FASTA) give a CSV with a ``score`` column (and
Spearman against ``DMS_score`` when present, printed and written next to it as JSON). Many assays:
``--manifest`` (a CSV with ``DMS_id``, ``msa_path``, ``dms_path``, paths relative to the manifest) writes
``<output_dir>/<DMS_id>.scores.csv`` per assay, resumable (finished assays are skipped, bad ones listed
in ``failures.csv``), and ``summary.csv`` with every assay's Spearman.

    seqkit-protein score --checkpoint last.ckpt --msa BLAT.a3m --variants BLAT_dms.csv --output scores.csv
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd
from scipy.stats import spearmanr

from seqkit.atomic_io import atomic_write
from seqkit.data import resolve_data_path
from seqkit.data.tables import read_table
from seqkit.domains.protein.model import ProteinLM
from seqkit.domains.protein.msa import read_msa
from seqkit.domains.protein.prompt import HomologSampler
from seqkit.domains.protein.scoring import PromptSpec, ensemble, score_ensemble
from seqkit.domains.protein.variants import read_variants
from seqkit.pipelines.file_batch import run_file_batch


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    atomic_write(path, lambda fh: fh.write(buf.getvalue().encode()))


def score_assay(model: ProteinLM, msa_path: str | Path, variants_path: str | Path, output: str | Path,
                specs: Sequence[PromptSpec], directions: Sequence[str] = ("forward", "reverse"),
                relative_to_wt: bool = False, batch_size: int = 32, seed: int = 0,
                show_progress: bool = True) -> float | None:
    """Score one assay into ``output`` (CSV, atomic); returns Spearman vs DMS_score when the file has it."""
    msa = read_msa(resolve_data_path(msa_path))
    variants = read_variants(resolve_data_path(variants_path), wild_type=msa.query)
    sampler = HomologSampler(msa)
    result = score_ensemble(model.model, sampler, variants.sequences, specs, directions, batch_size, seed,
                            relative_to=msa.query if relative_to_wt else None, show_progress=show_progress)
    scores = result.scores
    print(f"{msa_path}: prompts used: {'; '.join(map(str, result.used))}"
          + (f" (skipped, no homolog: {'; '.join(map(str, result.skipped))})" if result.skipped else ""))
    frame = pd.DataFrame({"mutant": variants.names, "mutated_sequence": variants.sequences})
    if variants.dms_score is not None:
        frame["DMS_score"] = variants.dms_score
    frame["score"] = scores
    rho = None
    if variants.dms_score is not None:
        rho = float(spearmanr(scores, variants.dms_score, nan_policy="omit").statistic)
        report = {"spearman": rho, "n_variants": len(variants), "msa": str(msa_path), "variants": str(variants_path),
                  "prompts": [vars(s) for s in result.used], "skipped_prompts": [vars(s) for s in result.skipped],
                  "directions": list(directions)}
        atomic_write(Path(output).with_suffix(".json"), lambda fh: fh.write(json.dumps(report, indent=1).encode()))
    _write_csv(frame, Path(output))
    return rho


def load_model(checkpoint: str | Path, device: str = "cpu") -> ProteinLM:
    """A trained PoET from a checkpoint or an export folder, in eval mode."""
    from seqkit.model_files import load

    return load(checkpoint, device, ProteinLM)


def score_manifest(model: ProteinLM, manifest: str | Path, output_dir: str | Path, specs: Sequence[PromptSpec],
                   **kwargs: object) -> tuple[pd.DataFrame, int]:
    """Score every assay of a manifest (resumable); writes ``summary.csv``; returns it and the failure count."""
    manifest = Path(manifest)
    table = read_table(manifest)
    need = [c for c in ("DMS_id", "msa_path", "dms_path") if c not in table.columns]
    if need:
        raise ValueError(f"{manifest}: missing column(s) {', '.join(need)} (needs DMS_id, msa_path, dms_path)")
    out_dir = Path(output_dir)
    rows = {manifest.parent / str(r.dms_path): r for r in table.itertuples(index=False)}

    def output_for(dms: Path) -> Path:
        return out_dir / f"{rows[dms].DMS_id}.scores.csv"

    def process(dms: Path, out: Path) -> None:
        score_assay(model, manifest.parent / str(rows[dms].msa_path), dms, out, specs, show_progress=False,
                    **kwargs)

    report = run_file_batch(list(rows), output_for, process, out_dir / "failures.csv", desc="assays")
    summary = []
    for dms, row in rows.items():
        result = output_for(dms).with_suffix(".json")
        rho = json.loads(result.read_text())["spearman"] if result.exists() else None
        summary.append({"DMS_id": row.DMS_id, "spearman": rho, "scores": str(output_for(dms))})
    frame = pd.DataFrame(summary)
    _write_csv(frame, out_dir / "summary.csv")
    for path, reason in report.failed:
        print(f"  failed: {reason if str(path) in reason else f'{path}: {reason}'}", file=sys.stderr)
    return frame, len(report.failed)


def score_command(checkpoint: str, msa: str | None = None, variants: str | None = None, output: str | None = None,
                  manifest: str | None = None, output_dir: str | None = None, max_tokens: list[int] = [6144],  # noqa: B006
                  max_similarity: list[float] = [1.0, 0.95, 0.9, 0.7, 0.5],  # noqa: B006
                  directions: list[Literal["forward", "reverse"]] = ["forward", "reverse"],  # noqa: B006
                  relative_to_wt: bool = False, batch_size: int = 32, seed: int = 0, device: str = "cpu") -> int:
    """Score one assay (--msa, --variants, --output) or every assay of a --manifest into --output_dir.

    Args:
        msa: the family's MSA (A3M/A2M/FASTA/Stockholm), query first.
        variants: ProteinGym CSV (mutant / mutated_sequence / optional DMS_score) or FASTA.
        output: CSV of scores for one assay (a JSON report is written beside it when DMS_score is present).
        manifest: CSV of assays (DMS_id, msa_path, dms_path; paths relative to the manifest).
        output_dir: folder for a manifest's outputs (resumable; failures.csv, summary.csv).
        max_tokens: prompt token budgets of the ensemble.
        max_similarity: identity cutoffs of the ensemble (PoET's: 1.0 0.95 0.9 0.7 0.5).
        directions: score the prompt forward, reversed, or both.
        relative_to_wt: subtract the wild type's score.
    """
    if manifest is None and not (msa and variants and output):
        raise ValueError("give --msa, --variants and --output (one assay) or --manifest and --output_dir")
    if manifest is not None and output_dir is None:
        raise ValueError("--manifest needs --output_dir")
    model = load_model(checkpoint, device)
    specs = ensemble(max_tokens, max_similarity)
    options = {"directions": directions, "relative_to_wt": relative_to_wt, "batch_size": batch_size, "seed": seed}
    if manifest is not None:
        summary, failed = score_manifest(model, manifest, output_dir, specs, **options)
        print(summary.to_string(index=False))
        return 1 if failed else 0
    rho = score_assay(model, msa, variants, output, specs, **options)
    print(f"wrote {output}" + (f"; Spearman vs DMS_score: {rho:.3f}" if rho is not None else ""))
    return 0
