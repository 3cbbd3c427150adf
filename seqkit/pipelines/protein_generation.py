"""``seqkit-protein generate``: sample new family members from a trained PoET, conditioned on an MSA prompt.

Writes the samples as FASTA (header: index, length, log-likelihood, identity to the nearest family
member) and a CSV with the same columns; prints the fraction valid and the mean nearest identity. A
sample is *valid* when it ended with the stop token and its length is within ±50% of the query's
(invalid tokens are blocked during sampling, so residues are always the 20 amino acids).

    seqkit-protein generate --checkpoint last.ckpt --msa BLAT.a3m --n 20 --output generated.fasta --top_p 0.95
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from seqkit.atomic_io import atomic_write
from seqkit.data import resolve_data_path
from seqkit.domains.protein.generation import NearestMember, sample_sequences
from seqkit.domains.protein.msa import read_msa
from seqkit.domains.protein.prompt import HomologSampler
from seqkit.domains.protein.scoring import prompt_tensors
from seqkit.pipelines.protein_scoring import load_model


def generate(checkpoint: str | Path, msa_path: str | Path, n: int, output: str | Path, *, max_tokens: int = 6144,
             max_similarity: float = 1.0, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, max_length: int | None = None, seed: int = 0,
             device: str = "cpu") -> pd.DataFrame:
    """Sample ``n`` sequences and write FASTA + CSV; returns the per-sample table."""
    model = load_model(checkpoint, device).model
    msa = read_msa(resolve_data_path(msa_path))
    sampler = HomologSampler(msa)
    prompt = sampler.prompt(np.random.default_rng(seed), max_tokens, max_similarity)
    with torch.no_grad():
        states = model.encode_prompt(*prompt_tensors(prompt, torch.device(device)))
    limit = max_length or int(1.5 * len(msa.query)) + 1
    samples = sample_sequences(model, states, n, temperature=temperature, top_k=top_k, top_p=top_p,
                               max_length=limit, seed=seed)
    nearest = NearestMember(msa.raw)
    lo, hi = 0.5 * len(msa.query), 1.5 * len(msa.query)
    table = pd.DataFrame({
        "name": [f"sample_{i}" for i in range(n)],
        "sequence": [s.sequence for s in samples],
        "length": [len(s.sequence) for s in samples],
        "log_likelihood": [s.log_likelihood for s in samples],
        "finished": [s.finished for s in samples],
        "nearest_identity": [nearest.identity(s.sequence) for s in samples],
    })
    table["valid"] = table["finished"] & table["length"].between(lo, hi)
    fasta = "".join(f">{r.name} length={r.length} loglik={r.log_likelihood:.2f} "
                    f"nearest_identity={r.nearest_identity:.3f}\n{r.sequence}\n" for r in table.itertuples())
    output = Path(output)
    atomic_write(output, lambda fh: fh.write(fasta.encode()))
    buf = io.StringIO()
    table.to_csv(buf, index=False)
    atomic_write(output.with_suffix(".csv"), lambda fh: fh.write(buf.getvalue().encode()))
    return table


def generate_command(checkpoint: str, msa: str, output: str, n: int = 10, max_tokens: int = 6144,
                     max_similarity: float = 1.0, temperature: float = 1.0, top_k: int | None = None,
                     top_p: float | None = None, max_length: int | None = None, seed: int = 0,
                     device: str = "cpu") -> int:
    """Sample --n sequences conditioned on a prompt from --msa; FASTA to --output, a CSV beside it.

    Args:
        msa: homologs for the prompt (A3M/A2M/FASTA/Stockholm), query first.
        n: number of samples.
        max_tokens: prompt token budget.
        max_similarity: identity cutoff for the prompt's homologs.
        max_length: longest sample (default: 1.5 x the query length).
    """
    table = generate(checkpoint, msa, n, output, max_tokens=max_tokens, max_similarity=max_similarity,
                     temperature=temperature, top_k=top_k, top_p=top_p, max_length=max_length, seed=seed,
                     device=device)
    print(f"wrote {output}: {len(table)} samples, {table['valid'].mean():.0%} valid, mean identity to the "
          f"nearest family member {table['nearest_identity'].mean():.3f}")
    return 0
