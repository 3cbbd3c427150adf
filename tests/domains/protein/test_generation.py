"""Generation: step decoding matches the parallel path, sampling filters, validity and identity metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqkit.data import pack_sequences
from seqkit.domains.protein.alphabet import wrap
from seqkit.domains.protein.generation import NearestMember, sample_sequences
from seqkit.domains.protein.poet import PoET

CONTEXT = ["MKVLAAGH", "MKILSAG", "MRVLAAGHW"]


def _prompt_states(model: PoET):
    tokens, seg, pos = (torch.from_numpy(a.astype(np.int64))[None] for a in
                        pack_sequences([wrap(s) for s in CONTEXT]))
    return model.encode_prompt(tokens, seg, pos)


@pytest.mark.parametrize(("between", "options"), [("attention", {}), ("window", {"window": 5, "n_sinks": 1}),
                                                  ("mamba2", {"d_state": 8, "head_dim": 8, "chunk_size": 4})])
def test_step_decoding_equals_the_parallel_forward(between: str, options: dict) -> None:
    torch.manual_seed(0)
    model = PoET(d_model=32, n_layers=2, n_heads=4, between=between, between_options=options).double().eval()
    for layer in model.layers:
        torch.nn.init.normal_(layer.mlp[-1].weight, std=0.2)
    states = _prompt_states(model)
    seqs = torch.from_numpy(np.stack([wrap("MKVLA"), wrap("MRILS")]).astype(np.int64))  # (2, 7)
    parallel = model.logits_after_prompt(seqs, states)
    decoding = model.start_decoding(states, 2)
    stepped = []
    for t in range(seqs.shape[1]):
        logits, decoding = model.step(seqs[:, t], decoding)
        stepped.append(logits)
    torch.testing.assert_close(torch.stack(stepped, dim=1), parallel)


def test_samples_are_seeded_valid_and_bounded() -> None:
    torch.manual_seed(0)
    model = PoET(d_model=32, n_layers=2, n_heads=4).eval()
    states = _prompt_states(model)
    a = sample_sequences(model, states, 6, max_length=12, seed=5, top_p=0.95)
    b = sample_sequences(model, states, 6, max_length=12, seed=5, top_p=0.95)
    assert [s.sequence for s in a] == [s.sequence for s in b]
    for s in a:
        assert 1 <= len(s.sequence) <= 12 and set(s.sequence) <= set("ARNDCQEGHILKMFPSTWYV")
        assert s.finished or len(s.sequence) == 12
        assert np.isfinite(s.log_likelihood) and s.log_likelihood < 0


def test_nearest_member_identity() -> None:
    family = ["MKVLAAGHWERT", "PPPPPPPPPPPP", "MKILSAGHWERT"]
    index = NearestMember(family, candidates=2)
    assert index.identity("MKVLAAGHWERT") == 1.0
    assert index.identity("MKVLSAGHWERT") == pytest.approx(11 / 12)


def test_nearest_member_identity_is_normalised_by_the_longer_sequence() -> None:
    """A fragment of a member is not a member: 12 residues cut from a 48-residue one score 12 / 48."""
    member = "MKVLAAGHWERTPLSDNQYFGIKRCEAVMTHWSPLKDGEQRNFYAVTS"
    index = NearestMember([member, "P" * 48])
    assert index.identity(member[10:22]) == pytest.approx(12 / 48)
    assert index.identity(member + "GG") == pytest.approx(48 / 50)  # longer than every member
