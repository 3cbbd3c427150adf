"""A seeded synthetic bacterial-like genome: the embedded default, so ``seqkit-dna fit`` runs anywhere.

What a DNA LM can learn from it, as from a real prokaryote: genes on both strands with codon structure
(start codon, a codon-usage table without internal stops, a stop codon), σ70-like promoters upstream
(-35 ``TTGACA``, 15–19 bp spacer, -10 ``TATAAT``, with mutations) and a Shine–Dalgarno site, intergenic
background whose GC content drifts between regions, and dispersed repeats (copies of earlier stretches,
some reverse-complemented, with point mutations).
"""

from __future__ import annotations

import numpy as np

from seqkit.domains.dna.genome import CodingSequence, Genome

__all__ = ["synthetic_genome"]

_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
_STOPS = ("TAA", "TAG", "TGA")
_SENSE = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in _STOPS]
_COMPLEMENT = bytes.maketrans(b"ACGT", b"TGCA")


def _mutate(seq: bytes, rate: float, rng: np.random.Generator) -> bytes:
    arr = np.frombuffer(seq, dtype=np.uint8).copy()
    hits = rng.random(len(arr)) < rate
    arr[hits] = rng.choice(_BASES, size=int(hits.sum()))
    return arr.tobytes()


def _background(n: int, gc: float, rng: np.random.Generator) -> bytes:
    p = np.array([1 - gc, gc, gc, 1 - gc]) / 2  # A C G T
    return rng.choice(_BASES, size=n, p=p).tobytes()


def _gene(rng: np.random.Generator, codon_weights: np.ndarray) -> tuple[bytes, int]:
    """Promoter + RBS + CDS; returns the text and the CDS start offset within it."""
    spacer = int(rng.integers(15, 20))
    promoter = (_mutate(b"TTGACA", 0.15, rng) + _background(spacer, 0.4, rng) + _mutate(b"TATAAT", 0.15, rng)
                + _background(int(rng.integers(5, 9)), 0.4, rng))
    leader = _background(int(rng.integers(10, 40)), 0.4, rng) + _mutate(b"AGGAGG", 0.1, rng) \
        + _background(int(rng.integers(5, 10)), 0.4, rng)
    n_codons = int(rng.integers(100, 500))
    codons = rng.choice(len(_SENSE), size=n_codons, p=codon_weights)
    start = b"ATG" if rng.random() < 0.9 else b"GTG"
    cds = start + "".join(_SENSE[c] for c in codons).encode() + _STOPS[int(rng.integers(3))].encode()
    return promoter + leader + cds, len(promoter) + len(leader)


def synthetic_genome(length_bp: int = 400_000, seed: int = 0, n_records: int = 1) -> Genome:
    """A genome of about ``length_bp`` bp split over ``n_records`` records, with its CDS annotations."""
    rng = np.random.default_rng(seed)
    codon_weights = rng.dirichlet(np.full(len(_SENSE), 0.6))  # a skewed codon usage, as in real genomes
    sequences, cds = {}, []
    for r in range(n_records):
        name, parts, pos, made = f"synthetic_{r + 1}", [], 0, []
        target = length_bp // n_records
        gc = 0.5
        while pos < target:
            choice = rng.random()
            if choice < 0.7:  # a gene, on either strand
                gene, cds_offset = _gene(rng, codon_weights)
                cds_len = len(gene) - cds_offset
                if rng.random() < 0.5:
                    parts.append(gene)
                    cds.append(CodingSequence(name, pos + cds_offset, pos + len(gene), 1, f"g{len(cds)}"))
                else:
                    parts.append(gene.translate(_COMPLEMENT)[::-1])
                    cds.append(CodingSequence(name, pos, pos + cds_len, -1, f"g{len(cds)}"))
                chunk = gene
            elif choice < 0.8 and made:  # a dispersed repeat of an earlier stretch
                source = made[int(rng.integers(len(made)))]
                chunk = _mutate(source if rng.random() < 0.5 else source.translate(_COMPLEMENT)[::-1], 0.02, rng)
                parts.append(chunk)
            else:  # intergenic background with drifting GC
                gc = float(np.clip(gc + rng.normal(0, 0.05), 0.3, 0.7))
                chunk = _background(int(rng.integers(50, 400)), gc, rng)
                parts.append(chunk)
            if 500 <= len(chunk) <= 1500 and rng.random() < 0.3:
                made.append(chunk)
            pos += len(chunk)
        sequences[name] = b"".join(parts).decode()
    return Genome(sequences=sequences, coding_sequences=cds)
