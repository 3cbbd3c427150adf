"""PoET training examples: seeded, held-out queries, and the reversed-stream augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.domains.protein.alphabet import START, STOP
from seqkit.domains.protein.data import ProteinFamilyDataModule


def _module(reverse_prob: float) -> ProteinFamilyDataModule:
    dm = ProteinFamilyDataModule(context_tokens=300, n_train=40, n_val=4, n_test=4, synthetic_length=40,
                                 synthetic_sequences=64, reverse_prob=reverse_prob)
    dm.setup()
    return dm


def test_reversed_examples_are_the_whole_stream_flipped_and_score_every_sequence_end() -> None:
    forward, both, always = _module(0.0), _module(0.5), _module(1.0)
    flipped = 0
    for i in range(40):
        f, r = forward.dataset("train")[i], always.dataset("train")[i]
        np.testing.assert_array_equal(r["tokens"], f["tokens"][::-1])  # same members, stream reversed
        # the first token of every sequence is never a target; the last (stop, or start when reversed) is
        assert (f["loss_mask"][f["tokens"] == START] == 0).all() and (f["loss_mask"][f["tokens"] == STOP] == 1).all()
        assert (r["loss_mask"][r["tokens"] == STOP] == 0).all() and (r["loss_mask"][r["tokens"] == START] == 1).all()
        flipped += not np.array_equal(both.dataset("train")[i]["tokens"], f["tokens"])
    assert 8 < flipped < 32
    val = always.dataset("val")[0]  # validation always reads forward: its query is the last sequence
    assert val["tokens"][0] == START
    with pytest.raises(ValueError, match="reverse_prob"):
        ProteinFamilyDataModule(reverse_prob=1.5)
