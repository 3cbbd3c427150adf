"""Family-conditioned generation: sample new members from PoET given a prompt of homologs.

Decoding starts from ``start`` after the cached prompt and samples until ``stop`` or ``max_length``,
with temperature, top-k and nucleus (top-p) filtering. Invalid tokens (start, gap, mask) are blocked,
as PoET's ``remove_invalid`` does, so every finished sample is a plain amino-acid sequence. Seeded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from seqkit.domains.protein.alphabet import AMINO_ACIDS, GAP, MASK, START, STOP
from seqkit.domains.protein.poet import PoET
from seqkit.sampling import filter_logits


@dataclass
class Sample:
    """A generated sequence and whether it ended with ``stop`` (not cut at ``max_length``)."""

    sequence: str
    finished: bool
    log_likelihood: float


@torch.no_grad()
def sample_sequences(model: PoET, prompt_states: list, n: int, *, temperature: float = 1.0,
                     top_k: int | None = None, top_p: float | None = None, max_length: int = 1000,
                     seed: int = 0) -> list[Sample]:
    """``n`` sequences sampled after a cached prompt (``PoET.encode_prompt``)."""
    model.eval()
    device = model.embed.weight.device
    gen = torch.Generator(device=device).manual_seed(seed)
    states = model.start_decoding(prompt_states, n)
    token = torch.full((n,), START, dtype=torch.long, device=device)
    blocked = torch.zeros(model.head.out_features, dtype=torch.bool, device=device)
    blocked[[START, GAP, MASK]] = True
    out = torch.full((n, max_length), STOP, dtype=torch.long, device=device)
    loglik = torch.zeros(n, device=device)
    done = torch.zeros(n, dtype=torch.bool, device=device)
    for t in range(max_length + 1):
        logits, states = model.step(token, states)
        logits = logits.float().masked_fill(blocked, float("-inf"))
        if t == 0:
            logits[:, STOP] = float("-inf")  # no empty sequences
        if t == max_length:
            break
        filtered = filter_logits(logits, temperature, top_k, top_p)
        token = torch.multinomial(filtered.softmax(dim=-1), 1, generator=gen)[:, 0]
        logp = logits.log_softmax(dim=-1).gather(-1, token[:, None])[:, 0]
        loglik = loglik + torch.where(done, torch.zeros_like(logp), logp)
        token = torch.where(done, torch.full_like(token, STOP), token)
        out[:, t] = token
        done = done | (token == STOP)
        if bool(done.all()):
            break
    samples = []
    for row, finished, ll in zip(out.tolist(), done.tolist(), loglik.tolist(), strict=True):
        residues = row[: row.index(STOP)] if STOP in row else row
        samples.append(Sample("".join(AMINO_ACIDS[r] for r in residues), finished, ll))
    return samples


class NearestMember:
    """Identity of a sequence to its closest family member, for judging generated sequences.

    The ``candidates`` members sharing the most 3-mers with the sequence are aligned globally (Biopython
    PairwiseAligner: match 1, mismatch 0, gap open -1, extend -0.5) and the best count of identical
    aligned residues, divided by the longer of the two sequences, is returned. Dividing by the longer one
    keeps a short fragment of a member (a 12-residue piece of a 286-residue family) from scoring 1.0.
    """

    def __init__(self, family: list[str], candidates: int = 32) -> None:
        from Bio import Align

        self.family, self.candidates = family, candidates
        self._kmers = [self._kmer_set(f) for f in family]
        self._aligner = Align.PairwiseAligner(mode="global", match_score=1.0, mismatch_score=0.0,
                                              open_gap_score=-1.0, extend_gap_score=-0.5)

    @staticmethod
    def _kmer_set(s: str) -> set[str]:
        return {s[i : i + 3] for i in range(len(s) - 2)}

    def identity(self, sequence: str) -> float:
        if not sequence:
            return 0.0
        query = self._kmer_set(sequence)
        shared = np.array([len(query & k) for k in self._kmers])
        best = 0.0
        for i in np.argsort(-shared, kind="stable")[: self.candidates]:
            alignment = self._aligner.align(sequence, self.family[i])[0]
            top, bottom = alignment[0], alignment[1]
            matches = sum(a == b != "-" for a, b in zip(top, bottom, strict=True))
            best = max(best, matches / max(len(sequence), len(self.family[i])))
        return best
