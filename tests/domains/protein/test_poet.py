"""PoET's tiered layer, the cached prompt, and set mode's permutation invariance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqkit.data import pack_sequences
from seqkit.domains.protein.alphabet import wrap
from seqkit.domains.protein.poet import PoET
from seqkit.domains.protein.scoring import log_likelihoods

CONTEXT = ["MKVLAAGH", "MKILSAG", "MRVLAAGHW", "MKVIAG", "MKVLSSGHA"]
QUERY = "MKVLAAGW"


def _stream(seqs: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    tokens, seg, pos = pack_sequences([wrap(s) for s in seqs])
    return tuple(torch.from_numpy(a.astype(np.int64))[None] for a in (tokens, seg, pos))


def _model(between: str = "attention", set_mode: bool = False, **options) -> PoET:
    torch.manual_seed(0)
    model = PoET(d_model=32, n_layers=3, n_heads=4, between=between, between_options=options, set_mode=set_mode)
    for layer in model.layers:  # PoET zero-inits the MLP output; randomise it so every path matters here
        torch.nn.init.normal_(layer.mlp[-1].weight, std=0.2)
    return model.double().eval()


def _query_ll_full(model: PoET, context: list[str]) -> float:
    """Log-likelihood of the query's tokens after start, from one forward over context + query."""
    tokens, seg, pos = _stream([*context, QUERY])
    logp = torch.log_softmax(model(tokens, seg, pos), dim=-1)
    n = len(QUERY) + 2
    start = tokens.shape[1] - n
    targets = tokens[0, start + 1 :]
    return float(logp[0, start : tokens.shape[1] - 1].gather(-1, targets[:, None]).sum().detach())


def _query_ll_cached(model: PoET, context: list[str]) -> float:
    states = model.encode_prompt(*_stream(context))
    return float(log_likelihoods(model, states, [QUERY])[0])


@pytest.mark.parametrize(("between", "options"), [("attention", {}), ("window", {"window": 6, "n_sinks": 2}),
                                                  ("mamba2", {"d_state": 8, "head_dim": 8, "chunk_size": 8})])
@pytest.mark.parametrize("set_mode", [False, True])
def test_cached_prompt_scores_equal_one_full_forward(between: str, options: dict, set_mode: bool) -> None:
    if set_mode and between != "attention":
        with pytest.raises(ValueError, match="set_mode"):
            _model(between, set_mode, **options)
        return
    model = _model(between, set_mode, **options)
    assert _query_ll_cached(model, CONTEXT) == pytest.approx(_query_ll_full(model, CONTEXT), abs=1e-5)


def test_positions_restart_and_sequences_are_packed_causally() -> None:
    model = _model()
    tokens, seg, pos = _stream(CONTEXT[:2])
    first = len(CONTEXT[0]) + 2
    assert pos[0, :first].tolist() == list(range(first)) and pos[0, first] == 0
    logits = model(tokens, seg, pos)
    # causal: changing the second sequence leaves the first one's logits untouched
    other, seg2, pos2 = _stream([CONTEXT[0], "WWWWWWW"])
    torch.testing.assert_close(model(other, seg2, pos2)[:, : len(CONTEXT[0]) + 2], logits[:, : len(CONTEXT[0]) + 2])


def test_set_mode_query_score_is_invariant_to_context_order_and_poet_mode_is_not() -> None:
    rng = np.random.default_rng(0)
    orders = [list(rng.permutation(len(CONTEXT))) for _ in range(10)]
    set_model, poet_model = _model(set_mode=True), _model(set_mode=False)
    set_scores = [_query_ll_full(set_model, [CONTEXT[i] for i in o]) for o in orders]
    poet_scores = [_query_ll_full(poet_model, [CONTEXT[i] for i in o]) for o in orders]
    assert max(set_scores) - min(set_scores) < 1e-5
    assert max(poet_scores) - min(poet_scores) > 1e-4  # with several layers PoET's causal context is ordered
    cached = [_query_ll_cached(set_model, [CONTEXT[i] for i in o]) for o in orders]
    assert max(cached) - min(cached) < 1e-5 and cached[0] == pytest.approx(set_scores[0], abs=1e-5)


def test_batched_scoring_of_indels_equals_one_at_a_time() -> None:
    """Variants of different lengths (insertions, deletions) padded in one batch score as if alone."""
    model = _model()
    states = model.encode_prompt(*_stream(CONTEXT))
    variants = [QUERY, QUERY[:3] + QUERY[4:], QUERY[:5] + "GG" + QUERY[5:], "M"]
    batched = log_likelihoods(model, states, variants, batch_size=4)
    alone = [log_likelihoods(model, states, [v], batch_size=1)[0] for v in variants]
    np.testing.assert_allclose(batched, alone, rtol=1e-6, atol=1e-6)
    reverse = log_likelihoods(model, states, variants, reverse=True, batch_size=3)
    assert np.isfinite(reverse).all() and not np.allclose(reverse, batched)


@pytest.mark.parametrize(("between", "options", "set_mode"),
                         [("attention", {}, False), ("attention", {}, True),
                          ("window", {"window": 6, "n_sinks": 2}, False),
                          ("mamba2", {"d_state": 8, "head_dim": 8, "chunk_size": 4}, False)])
@pytest.mark.parametrize("reverse", [False, True])
def test_sharing_the_wild_types_prefix_gives_the_same_scores(between: str, options: dict, set_mode: bool,
                                                            reverse: bool) -> None:
    """Substitutions at every site (first and last residue included), a double mutant, indels, the wild type
    itself, a prefix of it and a longer sequence: each scored from where it leaves the wild type equals its
    score from a full pass."""
    model = _model(between, set_mode, **options)
    states = model.encode_prompt(*_stream(CONTEXT))
    variants = [QUERY[:i] + ("W" if QUERY[i] != "W" else "A") + QUERY[i + 1 :] for i in range(len(QUERY))]
    variants += ["MRVLAAGY", QUERY[:3] + QUERY[4:], QUERY[:5] + "GG" + QUERY[5:], QUERY, QUERY[:4], QUERY + "KK",
                 "C"]
    full = log_likelihoods(model, states, variants, reverse=reverse, batch_size=3)
    shared = log_likelihoods(model, states, variants, reverse=reverse, batch_size=3, reference=QUERY)
    np.testing.assert_allclose(shared, full, rtol=1e-6, atol=1e-5)  # log-probabilities are float32
    # a reference PoET cannot read only loses the saving
    unreadable = log_likelihoods(model, states, variants, reverse=reverse, batch_size=3, reference="MK1")
    np.testing.assert_allclose(unreadable, full, rtol=0, atol=0)
