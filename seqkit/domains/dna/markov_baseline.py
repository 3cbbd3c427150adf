"""Order-m Markov model of DNA: the baseline a DNA LM must beat on the same held-out bases.

Counts of (m-mer context → next base) on the training spans, both strands by default (the LM trains with
reverse complements too; genomes are close to strand-symmetric), with add-α smoothing. The first bases
of a window, which have fewer than m bases of context, use the longest context they have (orders
m-1 … 0 are counted as well). Sequence recovery is
scored like the LM's: at every k-mer boundary the most likely next k-mer (exact argmax over all 4^k
k-mers under the chain rule) is compared base by base with the truth.
"""

from __future__ import annotations

import math

import numpy as np

from seqkit.domains.dna.genome import Genome
from seqkit.domains.dna.genome_windows import Span
from seqkit.domains.dna.nucleotides import reverse_complement

__all__ = ["MarkovModel"]

_CODE = np.full(256, -1, dtype=np.int64)
for _i, _b in enumerate(b"ACGT"):
    _CODE[_b] = _i


def _codes(bases: np.ndarray) -> np.ndarray:
    return _CODE[bases]


def _context_ids(contexts: np.ndarray) -> np.ndarray:
    """(..., o) base codes → (...) base-4 context numbers (first base most significant; 0 when o = 0)."""
    return (contexts * 4 ** np.arange(contexts.shape[-1] - 1, -1, -1)).sum(-1)


class MarkovModel:
    """Per-order log-probability tables ``log_p[o]`` of shape (4^o, 4), o = 0 … order."""

    def __init__(self, order: int = 5, alpha: float = 1.0, both_strands: bool = True) -> None:
        self.order, self.alpha, self.both_strands = order, alpha, both_strands
        self.counts = [np.zeros((4**o, 4)) for o in range(order + 1)]

    def fit(self, genome: Genome, spans: list[Span]) -> MarkovModel:
        for span in spans:
            forward = genome.fetch(span.record, span.start, span.end)
            for bases in (forward, reverse_complement(forward)) if self.both_strands else (forward,):
                self._count(_codes(bases))
        self.log_p = [np.log((c + self.alpha) / (c + self.alpha).sum(1, keepdims=True)) for c in self.counts]
        return self

    def _count(self, codes: np.ndarray) -> None:
        for o in range(self.order + 1):
            if len(codes) <= o:
                continue
            windows = np.lib.stride_tricks.sliding_window_view(codes, o + 1)  # (n, o+1)
            windows = windows[(windows >= 0).all(1)]  # no N anywhere in context or target
            np.add.at(self.counts[o], (_context_ids(windows[:, :o]), windows[:, o]), 1)

    def base_log_probs(self, codes: np.ndarray) -> np.ndarray:
        """(n,) log p(base_i | previous bases of the window) for a window of base codes (no N)."""
        n, m = len(codes), self.order
        out = np.empty(n)
        for i in range(min(m, n)):  # short contexts at the window start
            out[i] = self.log_p[i][_context_ids(codes[:i]), codes[i]]
        if n > m:
            windows = np.lib.stride_tricks.sliding_window_view(codes, m + 1)  # (n - m, m + 1)
            out[m:] = self.log_p[m][_context_ids(windows[:, :m]), windows[:, m]]
        return out

    def perplexity_per_base(self, windows: list[np.ndarray]) -> float:
        total, count = 0.0, 0
        for bases in windows:
            lp = self.base_log_probs(_codes(bases))
            total, count = total - lp.sum(), count + len(lp)
        return math.exp(total / count)

    def recovery(self, windows: list[np.ndarray], k: int = 6) -> float:
        """Fraction of bases right in the argmax next k-mer at every k-mer boundary of each window (the
        first one from no context, like the LM's prediction right after ``<s>``)."""
        m = self.order
        kmers = np.array(np.meshgrid(*[np.arange(4)] * k, indexing="ij")).reshape(k, -1).T  # (4^k, k)
        right = total = 0
        for bases in windows:
            codes = _codes(bases)
            for start in range(0, len(codes) - k + 1, k):
                context = codes[max(0, start - m) : start]
                c = len(context)
                seq = np.concatenate([np.broadcast_to(context, (len(kmers), c)), kmers], axis=1)  # (4^k, c + k)
                score = np.zeros(len(kmers))
                for j in range(k):
                    o = min(c + j, m)
                    score += self.log_p[o][_context_ids(seq[:, c + j - o : c + j]), seq[:, c + j]]
                best = kmers[score.argmax()]
                right += int((best == codes[start : start + k]).sum())
                total += k
        return right / total

    def sample(self, prompt: str, n: int, rng: np.random.Generator) -> str:
        """Continue ``prompt`` by ``n`` bases drawn from the chain (N in the prompt is skipped)."""
        codes = [c for c in _codes(np.frombuffer(prompt.encode(), dtype=np.uint8)).tolist() if c >= 0]
        for _ in range(n):
            o = min(self.order, len(codes))
            context = np.array(codes[len(codes) - o :], dtype=np.int64)
            codes.append(int(rng.choice(4, p=np.exp(self.log_p[o][_context_ids(context)]))))
        return "".join("ACGT"[c] for c in codes[-n:])
