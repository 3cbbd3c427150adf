"""``seqkit-dna-variants``: zero-shot variant effect for a VCF-like CSV against a genome, with a DnaLM.

Reads ``chrom,pos,ref,alt`` (1-based, single-nucleotide; extra columns such as a label are kept), checks
every ref against the genome (a mismatch names the row: the usual 0/1-based mix-up), scores
log p(ref) − log p(alt) from up to ``--context-bp`` bases of left context, and writes CSV or Parquet
atomically. With a ``label`` column (1 = pathogenic) it prints the AUROC of the score.

    seqkit-dna-variants --checkpoint last.ckpt --genome hg38.fa.gz --variants clinvar.csv --output scores.csv
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import torch

from seqkit.atomic_io import write_table
from seqkit.data import resolve_data_path
from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.model import DnaLM
from seqkit.domains.dna.variant_effect import read_variants, score_variants


def run(checkpoint: str, genome: str, variants: str, output: str, context_bp: int = 8192, batch_size: int = 16,
        device: str = "cpu") -> pd.DataFrame:
    model = DnaLM.load_from_checkpoint(checkpoint, map_location=device, weights_only=True)
    source = Genome(resolve_data_path(genome))
    table = score_variants(model, source, read_variants(str(resolve_data_path(variants)), source), context_bp,
                           batch_size, progress=True)
    output = Path(output)
    write_table(table, output, "parquet" if output.suffix == ".parquet" else "csv")
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seqkit-dna-variants", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="a seqkit-dna (DnaLM) checkpoint")
    parser.add_argument("--genome", required=True, help="FASTA (plain, gzip or bgzip) or GenBank")
    parser.add_argument("--variants", required=True, help="CSV with chrom,pos,ref,alt (1-based pos)")
    parser.add_argument("--output", required=True, help=".csv or .parquet")
    parser.add_argument("--context-bp", type=int, default=8192)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    table = run(args.checkpoint, args.genome, args.variants, args.output, args.context_bp, args.batch_size,
                args.device)
    print(f"{len(table)} variants scored → {args.output}")
    if "label" in table.columns and table["label"].nunique() == 2:
        from scipy.stats import mannwhitneyu

        pos, neg = table.loc[table["label"] == 1, "score"], table.loc[table["label"] != 1, "score"]
        auroc = mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg))
        print(f"AUROC of the score for label 1: {auroc:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
