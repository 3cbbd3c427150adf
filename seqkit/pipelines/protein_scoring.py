"""``seqkit-protein-score``: score variants with a trained PoET against prompts from their family's MSA.

One assay: ``--msa`` (A3M/A2M/FASTA/Stockholm, query first) and ``--variants`` (ProteinGym CSV with
``mutant``/``mutated_sequence``/optional ``DMS_score``, or FASTA) give a CSV with a ``score`` column (and
Spearman against ``DMS_score`` when present, printed and written next to it as JSON). Many assays:
``--manifest`` (a CSV with ``DMS_id``, ``msa_path``, ``dms_path``, paths relative to the manifest) writes
``<output-dir>/<DMS_id>.scores.csv`` per assay, resumable (finished assays are skipped, bad ones listed
in ``failures.csv``), and ``summary.csv`` with every assay's Spearman.

    seqkit-protein-score --checkpoint last.ckpt --msa BLAT.a3m --variants BLAT_dms.csv --output scores.csv
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from seqkit.atomic_io import atomic_write
from seqkit.data import resolve_data_path
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
    return ProteinLM.load_from_checkpoint(checkpoint, map_location=device, weights_only=True).eval()


def score_manifest(model: ProteinLM, manifest: str | Path, output_dir: str | Path, specs: Sequence[PromptSpec],
                   **kwargs: object) -> tuple[pd.DataFrame, int]:
    """Score every assay of a manifest (resumable); writes ``summary.csv``; returns it and the failure count."""
    manifest = Path(manifest)
    table = pd.read_csv(manifest)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seqkit-protein-score", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--msa")
    parser.add_argument("--variants")
    parser.add_argument("--output", help="CSV for one assay")
    parser.add_argument("--manifest", help="CSV of assays: DMS_id, msa_path, dms_path")
    parser.add_argument("--output-dir", help="folder for a manifest's outputs")
    parser.add_argument("--max-tokens", type=int, nargs="+", default=[6144], help="prompt token budgets")
    parser.add_argument("--max-similarity", type=float, nargs="+", default=[1.0, 0.95, 0.9, 0.7, 0.5],
                        help="identity cutoffs (PoET's ensemble: 1.0 0.95 0.9 0.7 0.5)")
    parser.add_argument("--directions", nargs="+", choices=("forward", "reverse"), default=["forward", "reverse"])
    parser.add_argument("--relative-to-wt", action="store_true", help="subtract the wild type's score")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args(argv)
    single = (args.msa, args.variants, args.output)
    if args.manifest is None and not all(single):
        parser.error("give --msa, --variants and --output (one assay) or --manifest and --output-dir")
    if args.manifest is not None and args.output_dir is None:
        parser.error("--manifest needs --output-dir")
    model = load_model(args.checkpoint, args.device)
    specs = ensemble(args.max_tokens, args.max_similarity)
    options = {"directions": args.directions, "relative_to_wt": args.relative_to_wt, "batch_size": args.batch_size,
               "seed": args.seed}
    if args.manifest is not None:
        summary, failed = score_manifest(model, args.manifest, args.output_dir, specs, **options)
        print(summary.to_string(index=False))
        return 1 if failed else 0
    rho = score_assay(model, args.msa, args.variants, args.output, specs, **options)
    print(f"wrote {args.output}" + (f"; Spearman vs DMS_score: {rho:.3f}" if rho is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
