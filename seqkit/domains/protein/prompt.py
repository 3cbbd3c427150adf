"""PoET prompts: homologs drawn from an MSA into a token budget, as one sequences-of-sequences stream.

Recipe (PoET's scoring script): keep homologs whose identity to the query is at most ``max_similarity``;
order them by a weighted random permutation without replacement (weights = sequence weights); take
them, ungapped with insertions restored and each wrapped in start/stop, until the total reaches
``max_tokens`` (the last one may overshoot, as PoET's does); shuffle. Seeded by a numpy Generator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqkit.data import pack_sequences
from seqkit.domains.protein.alphabet import wrap
from seqkit.domains.protein.msa import MSA
from seqkit.domains.protein.sequence_weights import identity_to_query, sequence_weights


@dataclass
class Prompt:
    """A packed prompt: ``tokens``, ``segment_ids`` and ``positions`` (each (L,)) and the homologs used."""

    tokens: np.ndarray
    segment_ids: np.ndarray
    positions: np.ndarray
    members: list[int]

    def __len__(self) -> int:
        return len(self.tokens)


class HomologSampler:
    """Weights and identities of one MSA, computed once, and seeded prompt draws from them."""

    def __init__(self, msa: MSA, theta: float = 0.2) -> None:
        self.msa = msa
        if msa.aligned is None:  # unaligned homologs: every sequence counts once, no identity filter
            self.weights = np.ones(len(msa))
            self.identity = np.zeros(len(msa))
        else:
            tokens = msa.aligned_tokens()
            self.weights = sequence_weights(tokens, theta)
            self.identity = identity_to_query(tokens)

    def candidates(self, max_similarity: float = 1.0, exclude: tuple[int, ...] = ()) -> np.ndarray:
        """Indices of the homologs a prompt with this identity cutoff may draw from (query included at 1.0)."""
        allowed = np.flatnonzero(self.identity <= max_similarity + 1e-9)
        return np.setdiff1d(allowed, np.asarray(exclude, dtype=np.int64))

    def draw(self, rng: np.random.Generator, max_tokens: int, max_similarity: float = 1.0,
             exclude: tuple[int, ...] = ()) -> list[int]:
        """Indices of the homologs of one prompt, in prompt order."""
        candidates = self.candidates(max_similarity, exclude)
        if len(candidates) == 0:
            raise ValueError(f"{self.msa.source}: no homolog has identity <= {max_similarity} to the query")
        # Weighted permutation without replacement (Efraimidis-Spirakis): sort by log(u) / w, largest first.
        keys = np.log(rng.random(len(candidates))) / self.weights[candidates]
        ordered = candidates[np.argsort(-keys)]
        sizes = np.array([len(self.msa.raw[i]) + 2 for i in ordered])  # + start and stop
        take = int(np.searchsorted(np.cumsum(sizes), max_tokens)) + 1  # stop once the total reaches the budget
        chosen = ordered[: max(1, min(take, len(ordered)))]
        return [int(i) for i in rng.permutation(chosen)]

    def prompt(self, rng: np.random.Generator, max_tokens: int, max_similarity: float = 1.0, reverse: bool = False,
               exclude: tuple[int, ...] = ()) -> Prompt:
        """A packed prompt (see ``draw``); ``reverse`` flips every member (PoET's reversed direction)."""
        return self.prompt_from(self.draw(rng, max_tokens, max_similarity, exclude), reverse)

    def prompt_from(self, members: list[int], reverse: bool = False) -> Prompt:
        """Pack the given homologs (in this order) into a prompt; ``reverse`` flips the whole stream."""
        seqs = [wrap(self.msa.raw[i], f"{self.msa.source} record {i + 1}", reverse) for i in members]
        if reverse:
            seqs = seqs[::-1]  # the whole stream reversed: members in reverse order, each reversed
        tokens, segment_ids, positions = pack_sequences(seqs)
        return Prompt(tokens, segment_ids, positions, members[::-1] if reverse else members)
