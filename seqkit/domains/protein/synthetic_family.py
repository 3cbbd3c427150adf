"""A seeded synthetic protein family with a known fitness landscape, so training and scoring run anywhere.

Fitness is a Potts model: ``F(s) = Σ_i h_i(s_i) + Σ_(i,j) J_ij(s_i, s_j)``, with site preferences ``h``
(each site's log-profile drawn from a Dirichlet whose concentration varies, so some sites are conserved
and some are free) and couplings ``J`` on random residue pairs (the "contacts"). A root sequence is
equilibrated by Metropolis sampling; the family evolves along a balanced binary tree, every branch
taking Metropolis substitution steps accepted with ``min(1, exp(beta * ΔF))``, so leaves are related
by the tree and shaped by selection. Some leaves are fragments (gapped ends), as in real MSAs.
The deep mutational scan is every single mutant of the query with ``DMS_score = F(mutant) - F(query)``:
the ground truth any scorer should rank.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from seqkit.atomic_io import atomic_write
from seqkit.domains.protein.alphabet import AMINO_ACIDS
from seqkit.domains.protein.msa import MSA
from seqkit.domains.protein.variants import Variants

N_AA = 20


@dataclass
class SyntheticFamily:
    """Family members (row 0 is the query), the Potts landscape that shaped them, and its DMS."""

    msa: MSA
    fields: np.ndarray  # (L, 20)
    pairs: np.ndarray  # (P, 2) coupled positions
    couplings: np.ndarray  # (P, 20, 20)

    @property
    def query(self) -> str:
        return self.msa.query

    def fitness(self, tokens: np.ndarray) -> np.ndarray:
        """F(s) of (N, L) residue tokens."""
        rows = np.arange(tokens.shape[1])
        f = self.fields[rows, tokens].sum(axis=1)
        i, j = self.pairs[:, 0], self.pairs[:, 1]
        return f + self.couplings[np.arange(len(self.pairs)), tokens[:, i], tokens[:, j]].sum(axis=1)

    def dms(self) -> Variants:
        """Every single substitution of the query, scored by the true fitness difference."""
        wt = np.array([AMINO_ACIDS.index(c) for c in self.query])
        names, seqs, rows = [], [], []
        for pos, old in enumerate(wt):
            for new in range(N_AA):
                if new != old:
                    mutant = wt.copy()
                    mutant[pos] = new
                    rows.append(mutant)
                    names.append(f"{AMINO_ACIDS[old]}{pos + 1}{AMINO_ACIDS[new]}")
                    seqs.append("".join(AMINO_ACIDS[t] for t in mutant))
        scores = self.fitness(np.stack(rows)) - self.fitness(wt[None])[0]
        return Variants(names, seqs, scores, f"{self.msa.source} DMS")

    def write(self, folder: str | Path, stem: str = "synthetic") -> tuple[Path, Path]:
        """``<stem>.a3m`` (query first) and ``<stem>_dms.csv`` (ProteinGym columns), written atomically."""
        folder = Path(folder)
        a3m = folder / f"{stem}.a3m"
        text = "".join(f">{rid}\n{row}\n" for rid, row in zip(self.msa.ids, self.msa.aligned or [], strict=True))
        atomic_write(a3m, lambda fh: fh.write(text.encode()))
        dms = self.dms()
        frame = pd.DataFrame({"mutant": dms.names, "mutated_sequence": dms.sequences, "DMS_score": dms.dms_score})
        buf = io.StringIO()
        frame.to_csv(buf, index=False)
        csv = folder / f"{stem}_dms.csv"
        atomic_write(csv, lambda fh: fh.write(buf.getvalue().encode()))
        return a3m, csv


def synthetic_family(length: int = 100, n_sequences: int = 512, n_pairs: int | None = None, beta: float = 1.0,
                     mutations_per_branch: int | None = None, fragment_fraction: float = 0.2, seed: int = 0
                     ) -> SyntheticFamily:
    """Evolve ``n_sequences`` members of length ``length`` (see the module docstring); seeded.

    ``mutations_per_branch`` Metropolis steps per tree branch (default length // 5: ~57% identity to the
    query on average, Neff ~100 of 512 at length 100) set the divergence.
    """
    if length < 8 or n_sequences < 2:
        raise ValueError(f"synthetic_family: needs length >= 8 and n_sequences >= 2, got {length}, {n_sequences}")
    rng = np.random.default_rng(seed)
    steps_per_branch = mutations_per_branch if mutations_per_branch is not None else max(2, length // 5)
    concentration = np.exp(rng.uniform(np.log(0.05), np.log(2.0), size=length))  # small = conserved site
    profiles = np.stack([rng.dirichlet(np.full(N_AA, c)) for c in concentration])
    fields = np.log(profiles + 1e-3)  # (L, 20)
    n_pairs = n_pairs if n_pairs is not None else 2 * length
    i = rng.integers(0, length, size=4 * n_pairs)
    j = rng.integers(0, length, size=4 * n_pairs)
    keep = np.abs(i - j) > 3
    pairs = np.unique(np.sort(np.stack([i[keep], j[keep]], axis=1), axis=1), axis=0)[:n_pairs]
    pairs = pairs[rng.permutation(len(pairs))]
    couplings = rng.normal(0.0, 0.6, size=(len(pairs), N_AA, N_AA))

    # Per position: its partners and the coupling matrices oriented (this position's aa, partner's aa).
    partners = [[] for _ in range(length)]
    for p, (a, b) in enumerate(pairs):
        partners[a].append((b, couplings[p]))
        partners[b].append((a, couplings[p].T))
    width = max(1, max(len(x) for x in partners))
    partner_pos = np.zeros((length, width), dtype=np.int64)
    partner_j = np.zeros((length, width, N_AA, N_AA))  # zero matrices pad positions with fewer partners
    for pos, items in enumerate(partners):
        for k, (other, mat) in enumerate(items):
            partner_pos[pos, k], partner_j[pos, k] = other, mat

    def metropolis(seqs: np.ndarray, steps: int) -> np.ndarray:
        n = len(seqs)
        rows = np.arange(n)
        for _ in range(steps):
            pos = rng.integers(0, length, size=n)
            old, new = seqs[rows, pos], rng.integers(0, N_AA, size=n)
            ctx = seqs[rows[:, None], partner_pos[pos]]  # (n, width) partner residues
            jp = partner_j[pos]  # (n, width, 20, 20)
            k = np.arange(width)
            gain = (fields[pos, new] - fields[pos, old]
                    + (jp[rows[:, None], k, new[:, None], ctx] - jp[rows[:, None], k, old[:, None], ctx]).sum(1))
            accept = rng.random(n) < np.exp(np.minimum(0.0, beta * gain))
            seqs[rows[accept], pos[accept]] = new[accept]
        return seqs

    root = metropolis(rng.integers(0, N_AA, size=(1, length)), 50 * length)
    seqs = root
    while len(seqs) < n_sequences:  # one tree level: every lineage splits in two and both evolve
        seqs = metropolis(np.repeat(seqs, 2, axis=0), steps_per_branch)
    seqs = seqs[rng.permutation(len(seqs))[:n_sequences]]
    rows = ["".join(AMINO_ACIDS[t] for t in s) for s in seqs]
    for r in range(1, n_sequences):  # fragments: gapped ends (never the query)
        if rng.random() < fragment_fraction:
            start, end = sorted(rng.integers(0, length // 3, size=2))
            rows[r] = "-" * start + rows[r][start : length - end] + "-" * end
    ids = ["query"] + [f"member_{k}" for k in range(1, n_sequences)]
    msa = MSA(ids, [r.replace("-", "") for r in rows], rows, f"synthetic_family(seed={seed})")
    return SyntheticFamily(msa, fields, pairs, couplings)
