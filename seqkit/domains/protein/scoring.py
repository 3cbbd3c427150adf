"""Variant scoring with PoET: encode each prompt once, score every variant against its cached state.

A variant's score is the log-likelihood of its tokens after ``start``, stop included. PoET's ensemble:
prompts at several token budgets × identity cutoffs, each scored forward and reversed (prompt and variant
token arrays both flipped), averaged over directions and then over prompts. Variants may differ in
length (indels need no alignment). ``relative_to`` subtracts a reference sequence's score (the wild type).

A shallow alignment may have no homolog under a cutoff (every homolog of a 37-sequence MSA 62-100%
identical to the query leaves nothing at 0.5). Such a prompt is skipped with a warning naming it, not
replaced by a neighbouring cutoff (that would weight one cutoff twice); the ensemble averages over the
prompts it could build and reports them, and fails only when no prompt is left.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.data import pad_batch
from seqkit.domains.protein.alphabet import MASK, AlphabetError, wrap
from seqkit.domains.protein.poet import PoET
from seqkit.domains.protein.prompt import HomologSampler, Prompt

#: PoET's ensemble: token budgets × maximum identity to the query (scripts/score.py).
POET_MAX_TOKENS = (6144, 12288, 24576)
POET_MAX_SIMILARITY = (1.0, 0.95, 0.90, 0.70, 0.50)


@dataclass(frozen=True)
class PromptSpec:
    """One ensemble member: a prompt with this token budget and identity cutoff."""

    max_tokens: int
    max_similarity: float

    def __str__(self) -> str:
        return f"{self.max_tokens} tokens, identity <= {self.max_similarity:g}"


@dataclass
class EnsembleScores:
    """Ensemble scores (N,) and the prompts they average over; ``skipped`` had no homolog under their cutoff."""

    scores: np.ndarray
    used: list[PromptSpec]
    skipped: list[PromptSpec] = field(default_factory=list)


def ensemble(max_tokens: Iterable[int] = POET_MAX_TOKENS,
             max_similarity: Iterable[float] = POET_MAX_SIMILARITY) -> list[PromptSpec]:
    return [PromptSpec(t, s) for t in max_tokens for s in max_similarity]


def prompt_tensors(prompt: Prompt, device: torch.device) -> tuple[Tensor, Tensor, Tensor]:
    def to(a: np.ndarray) -> Tensor:
        return torch.from_numpy(a.astype(np.int64))[None].to(device)

    return to(prompt.tokens), to(prompt.segment_ids), to(prompt.positions)


@torch.no_grad()
def log_likelihoods(model: PoET, states: list, sequences: Sequence[str], reverse: bool = False,
                    batch_size: int = 32, progress: object | None = None, reference: str | None = None) -> np.ndarray:
    """(N,) Σ log p(token | earlier tokens, prompt) over each sequence's tokens after the first.

    With a ``reference`` (the wild type), a sequence that agrees with it up to position j reads its first j
    tokens' predictions off the reference's single pass and is run only from j on, continuing from the
    reference's states there (``PoET.extend``). Sequences are sorted by where they leave the reference and
    each batch runs from its earliest departure, so batches stay full: single mutants cost about L − m tokens
    instead of L, half on average, and the same holds reversed. The scores equal a full pass's up to float
    rounding."""
    arrays = [wrap(s, f"variant {i + 1}", reverse) for i, s in enumerate(sequences)]
    empty = [(None, state) for state in states]  # a new sequence right after the prompt
    if reference is None:
        return _continuation_scores(model, empty, arrays, list(range(len(arrays))), 0, batch_size, progress)
    device = next(model.parameters()).device
    try:
        ref = wrap(reference, "reference", reverse)
    except AlphabetError:  # a reference only saves work; one PoET cannot read saves none
        return _continuation_scores(model, empty, arrays, list(range(len(arrays))), 0, batch_size, progress)
    ref_tokens = torch.from_numpy(ref.astype(np.int64))[None].to(device)  # (1, Lr)
    ref_logp = F.log_softmax(model.logits_after(ref_tokens, empty).float(), dim=-1)[0].cpu().numpy()  # (Lr, V)
    out = np.zeros(len(arrays))

    def from_reference(i: int, start: int) -> float:  # Σ log p of arrays[i]'s tokens 1..start, all in the reference
        a = arrays[i]
        n = min(start, len(a) - 1)
        return float(ref_logp[np.arange(n), a[1 : n + 1]].sum())

    pending = []  # (first position where the sequence leaves the reference, index)
    for i, a in enumerate(arrays):
        common = min(len(a), len(ref))
        differs = np.flatnonzero(a[:common] != ref[:common])
        j = int(differs[0]) if len(differs) else common  # a[:j] == ref[:j]
        if j < len(a) - 1:
            pending.append((j, i))
        else:  # nothing left after the shared part
            out[i] = from_reference(i, j)
            if progress is not None:
                progress.update(1)
    pending.sort()
    sequence_states, read = empty, 0
    for first in range(0, len(pending), batch_size):  # walk the reference once, left to right
        batch = pending[first : first + batch_size]
        start, rows = batch[0][0], [i for _, i in batch]  # the batch runs from its earliest departure
        if start > read:
            sequence_states = model.extend(ref_tokens[:, read:start], sequence_states, start=read)
            read = start
        out[rows] = [from_reference(i, start) for i in rows]
        out[rows] += _continuation_scores(model, sequence_states, arrays, rows, start, batch_size, progress)
    return out


def _continuation_scores(model: PoET, sequence_states: list, arrays: list[np.ndarray], indices: list[int],
                         start: int, batch_size: int, progress: object | None) -> np.ndarray:
    """(len(indices),) Σ log p over tokens start+1… of each ``arrays[i]``, whose first ``start`` tokens are what
    ``sequence_states`` has read; similar lengths batch together."""
    device = next(model.parameters()).device
    out = np.zeros(len(indices))
    order = np.argsort([len(arrays[i]) for i in indices], kind="stable")
    for first in range(0, len(order), batch_size):
        rows = order[first : first + batch_size]
        batch = pad_batch([{"tokens": arrays[indices[k]][start:]} for k in rows], {"tokens": MASK})
        tokens = batch["tokens"].to(device)  # (B, S)
        logits = model.logits_after(tokens[:, :-1], sequence_states, start).float()  # predicts tokens 1..S-1
        logp = F.log_softmax(logits, dim=-1).gather(-1, tokens[:, 1:, None])[..., 0]  # (B, S-1)
        valid = torch.arange(tokens.shape[1] - 1, device=device)[None] < (batch["lengths"].to(device) - 1)[:, None]
        out[rows] = (logp * valid).sum(dim=1).cpu().numpy()
        if progress is not None:
            progress.update(len(rows))
    return out


def score_ensemble(model: PoET, sampler: HomologSampler, sequences: Sequence[str], specs: Sequence[PromptSpec],
                   directions: Sequence[str] = ("forward", "reverse"), batch_size: int = 32, seed: int = 0,
                   relative_to: str | None = None, show_progress: bool = False,
                   share_prefix: bool = True) -> EnsembleScores:
    """Mean over the usable prompts of the mean over directions (minus ``relative_to``'s), and which were used.

    ``share_prefix`` runs each sequence only from where it leaves the reference (``relative_to``, else the
    alignment's query; see ``log_likelihoods``): the same scores, about half the work for single mutants.

    A prompt whose identity cutoff leaves no homolog is skipped with a warning; each prompt's draw is seeded
    by its index in ``specs``, so skipping one leaves the others' homologs unchanged.
    """
    used = [(k, spec) for k, spec in enumerate(specs) if len(sampler.candidates(spec.max_similarity))]
    skipped = [spec for spec in specs if len(sampler.candidates(spec.max_similarity)) == 0]
    for spec in skipped:
        warnings.warn(f"{sampler.msa.source}: no homolog has identity <= {spec.max_similarity:g} to the query; "
                      f"prompt (max_tokens={spec.max_tokens}, max_similarity={spec.max_similarity:g}) skipped",
                      stacklevel=2)
    if not used:
        raise ValueError(f"{sampler.msa.source}: no prompt can be built: no homolog has identity <= "
                         f"{max(s.max_similarity for s in specs):g} to the query")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    seqs = list(sequences) + ([relative_to] if relative_to is not None else [])
    reference = (relative_to if relative_to is not None else sampler.msa.query) if share_prefix else None
    bar = None
    if show_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(used) * len(directions) * len(seqs), unit="seq", desc="scoring")
    totals = np.zeros(len(seqs))
    for k, spec in used:
        rng = np.random.default_rng((seed, k))
        members = sampler.draw(rng, spec.max_tokens, spec.max_similarity)
        per_direction = []
        for direction in directions:
            prompt = sampler.prompt_from(members, reverse=direction == "reverse")
            states = model.encode_prompt(*prompt_tensors(prompt, device))
            per_direction.append(log_likelihoods(model, states, seqs, direction == "reverse", batch_size, bar,
                                                 reference))
        totals += np.mean(per_direction, axis=0)
    if bar is not None:
        bar.close()
    model.train(was_training)
    scores = totals / len(used)
    scores = scores[:-1] - scores[-1] if relative_to is not None else scores
    return EnsembleScores(scores, [spec for _, spec in used], skipped)


def score_sequences(model: PoET, sampler: HomologSampler, sequences: Sequence[str], specs: Sequence[PromptSpec],
                    directions: Sequence[str] = ("forward", "reverse"), batch_size: int = 32, seed: int = 0,
                    relative_to: str | None = None, show_progress: bool = False,
                    share_prefix: bool = True) -> np.ndarray:
    """The scores (N,) of ``score_ensemble``, for callers that need only them."""
    return score_ensemble(model, sampler, sequences, specs, directions, batch_size, seed, relative_to,
                          show_progress, share_prefix).scores
