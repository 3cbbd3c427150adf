"""Zero-shot variant effect: log p(ref) − log p(alt) for the base right after the left context.

GENERator's protocol: take up to ``context_bp`` bases upstream of the variant (left context only, the
model is causal), drop leading N, left-truncate to a multiple of k, and read the probability of each base
as the sum of next-k-mer probabilities over the k-mers that start with it. Positive scores: the reference
is more likely than the alternative (a deleterious-looking change).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from seqkit.data.tables import read_table
from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.model import DnaLM

__all__ = ["read_variants", "score_variants"]

_ACGT = "ACGT"


def read_variants(path: str, genome: Genome) -> pd.DataFrame:
    """A VCF-like CSV ``chrom,pos,ref,alt`` (1-based pos, single-nucleotide) checked against the genome."""
    frame = read_table(path)
    missing = [c for c in ("chrom", "pos", "ref", "alt") if c not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (need chrom,pos,ref,alt)")
    for i, row in enumerate(frame.itertuples(index=False)):
        where = f"{path}: row {i + 2}"
        ref, alt = str(row.ref).upper(), str(row.alt).upper()
        if ref not in _ACGT or alt not in _ACGT or len(ref) != 1 or len(alt) != 1:
            raise ValueError(f"{where}: only single-nucleotide variants (ref and alt one of A, C, G, T) are scored; "
                             f"got ref={row.ref!r} alt={row.alt!r}")
        chrom = str(row.chrom)
        if chrom not in genome.names:
            raise ValueError(f"{where}: chromosome {chrom!r} is not in the genome ({', '.join(genome.names[:5])}…)")
        pos = int(row.pos)
        if not 1 <= pos <= genome.length(chrom):
            raise ValueError(f"{where}: pos {pos} is outside {chrom!r} (length {genome.length(chrom)})")
        base = chr(genome.fetch(chrom, pos - 1, pos)[0])
        if base != ref:
            raise ValueError(f"{where}: ref {ref!r} does not match the genome's {base!r} at {chrom}:{pos} "
                             f"(is pos 1-based?)")
    frame["chrom"] = frame["chrom"].astype(str)
    frame["ref"], frame["alt"] = frame["ref"].str.upper(), frame["alt"].str.upper()
    return frame


@torch.no_grad()
def score_variants(model: DnaLM, genome: Genome, variants: pd.DataFrame, context_bp: int = 8192,
                   batch_size: int = 16, progress: bool = False) -> pd.DataFrame:
    """``variants`` plus columns ``log_p_ref``, ``log_p_alt`` and ``score`` = log p(ref) − log p(alt)."""
    model.eval()
    device = model.embed.weight.device
    contexts = []
    for row in variants.itertuples(index=False):
        start = max(0, int(row.pos) - 1 - context_bp)
        bases = genome.fetch(row.chrom, start, int(row.pos) - 1)
        real = np.flatnonzero(bases != ord("N"))
        contexts.append(model.encode_context(bases[real[0] :] if real.size else bases[:0]))  # leading N stripped
    log_p = np.zeros((len(contexts), 4))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(contexts), unit="variant", desc="variant effect")
    for rows in model.rows_by_length(contexts):
        for s in range(0, len(rows), batch_size):
            chunk = rows[s : s + batch_size]
            tokens = torch.from_numpy(np.stack([contexts[i] for i in chunk])).to(device)
            log_p[chunk] = model.next_base_log_probs(tokens).float().cpu().numpy()
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    out = variants.copy()
    out["log_p_ref"] = log_p[np.arange(len(out)), [_ACGT.index(r) for r in out["ref"]]]
    out["log_p_alt"] = log_p[np.arange(len(out)), [_ACGT.index(a) for a in out["alt"]]]
    out["score"] = out["log_p_ref"] - out["log_p_alt"]
    return out
