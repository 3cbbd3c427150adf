"""Continue a DNA prompt with a ``DnaLM``: prefill the prompt in parallel, then sample k-mers one step at a
time (constant memory per step for SSM backbones) with temperature / top-k / top-p over base tokens only
(special tokens are never sampled). Prompts are left-truncated to a multiple of k, GENERator's fix for the
trailing-remainder ``<oov>`` that otherwise derails generation."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from seqkit.atomic_io import atomic_write
from seqkit.domains.dna.model import DnaLM
from seqkit.domains.dna.nucleotides import clean_sequence
from seqkit.sampling import filter_logits

__all__ = ["generate", "write_fasta"]


@torch.no_grad()
def generate(model: DnaLM, prompts: Sequence[str | np.ndarray], n_bp: int, *, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, seed: int = 0) -> list[str]:
    """One continuation of ``n_bp`` bases (rounded up to whole k-mers, then cut) per prompt.

    Prompts of equal aligned length are decoded together in one batch."""
    model.eval()
    tok, k = model.tokenizer, model.k
    device = model.embed.weight.device
    encoded = [model.encode_context(clean_sequence(prompt, f"prompt {i}")) for i, prompt in enumerate(prompts)]
    out: list[str] = [""] * len(prompts)
    generator = torch.Generator(device=device).manual_seed(seed)
    n_steps = -(-n_bp // k)
    lo, hi = model.first_base_id, model.first_base_id + model.n_base_tokens
    for rows in model.rows_by_length(encoded):
        tokens = torch.from_numpy(np.stack([encoded[i] for i in rows])).to(device)  # (B, T)
        states = model.backbone.init_state(len(rows), device=device, dtype=model.embed.weight.dtype)
        h, states = model.backbone.forward_chunk(model.embed(tokens), states)
        logits = model.head(h[:, -1])
        sampled = []
        for step in range(n_steps):
            filtered = filter_logits(logits[:, lo:hi].float(), temperature, top_k, top_p)  # base tokens only
            nxt = torch.multinomial(filtered.softmax(-1), 1, generator=generator)[:, 0] + lo  # (B,)
            sampled.append(nxt)
            if step + 1 < n_steps:
                h_t, states = model.backbone.step(model.embed(nxt), states)
                logits = model.head(h_t)
        ids = torch.stack(sampled, 1).cpu().numpy()  # (B, n_steps)
        for row, i in enumerate(rows):
            out[i] = tok.decode(ids[row])[:n_bp]
    return out


def write_fasta(path: str | Path, records: Sequence[tuple[str, str]], width: int = 80) -> Path:
    """Write (name, sequence) records as FASTA, atomically."""
    lines = []
    for name, seq in records:
        lines.append(f">{name}")
        lines.extend(seq[i : i + width] for i in range(0, len(seq), width))
    text = "\n".join(lines) + "\n"
    return atomic_write(path, lambda fh: fh.write(text.encode()))
