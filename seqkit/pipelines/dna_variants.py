"""``seqkit-dna variants``: zero-shot variant effect for a VCF-like CSV against a genome, with a DnaLM.

Reads ``chrom,pos,ref,alt`` (1-based, single-nucleotide; extra columns such as a label are kept), checks
every ref against the genome (a mismatch names the row: the usual 0/1-based mix-up), scores
log p(ref) − log p(alt) from up to ``--context_bp`` bases of left context, and writes CSV or Parquet
atomically. With a ``label`` column (1 = pathogenic) it prints the AUROC of the score.

    seqkit-dna variants --checkpoint last.ckpt --genome hg38.fa.gz --variants clinvar.csv --output scores.csv
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from seqkit.atomic_io import write_table
from seqkit.data import resolve_data_path
from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.model import DnaLM
from seqkit.domains.dna.variant_effect import read_variants, score_variants


def run(checkpoint: str, genome: str, variants: str, output: str, context_bp: int = 8192, batch_size: int = 16,
        device: str = "cpu") -> pd.DataFrame:
    """Score every variant and write the table (CSV, or Parquet for a ``.parquet`` output) atomically."""
    from seqkit.model_files import load

    model = load(checkpoint, device, DnaLM)
    source = Genome(resolve_data_path(genome))
    table = score_variants(model, source, read_variants(str(resolve_data_path(variants)), source), context_bp,
                           batch_size, progress=True)
    output = Path(output)
    write_table(table, output, "parquet" if output.suffix == ".parquet" else "csv")
    return table


def variants_command(checkpoint: str, genome: str, variants: str, output: str, context_bp: int = 8192,
                     batch_size: int = 16, device: str = "cpu") -> int:
    """Score chrom,pos,ref,alt variants (1-based) zero-shot against --genome; CSV or Parquet by --output's suffix.

    Args:
        genome: FASTA (plain, gzip or bgzip) or GenBank.
        variants: CSV with chrom,pos,ref,alt (1-based pos); other columns (e.g. label) are kept.
        context_bp: bases of left context per variant.
    """
    table = run(checkpoint, genome, variants, output, context_bp, batch_size, device)
    print(f"{len(table)} variants scored -> {output}")
    if "label" in table.columns and table["label"].nunique() == 2:
        from scipy.stats import mannwhitneyu

        pos, neg = table.loc[table["label"] == 1, "score"], table.loc[table["label"] != 1, "score"]
        auroc = mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg))
        print(f"AUROC of the score for label 1: {auroc:.3f}")
    return 0
