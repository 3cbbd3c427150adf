"""Synthetic task generators: layout, determinism, and that answers are recoverable from the input."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.domains.synthetic.data import SyntheticDataModule, SyntheticTaskDataset
from seqkit.domains.synthetic.tasks import (
    FIRST_SYMBOL,
    IGNORE,
    KEY_CUE,
    MARKER,
    NOISE,
    mqar,
    passkey,
    selective_copying,
)


def test_selective_copying_answers_are_the_scattered_tokens_in_order() -> None:
    rng = np.random.default_rng(0)
    x, y = selective_copying(rng, 64, 5, 6)
    assert x.shape == y.shape == (64,)
    content = x[:59][x[:59] != NOISE]
    assert len(content) == 5 and (x[59:] == MARKER).all()
    assert (y[59:] == content).all() and (y[:59] == IGNORE).all()
    assert ((content >= FIRST_SYMBOL) & (content < FIRST_SYMBOL + 6)).all()


def test_mqar_targets_are_the_values_paired_with_queried_keys() -> None:
    rng = np.random.default_rng(1)
    x, y = mqar(rng, 80, 4, 10)
    pairs = dict(zip(x[0:8:2].tolist(), x[1:8:2].tolist(), strict=True))
    asked = np.flatnonzero(y != IGNORE)
    assert len(asked) == 4 and (asked >= 8).all()
    assert sorted(x[asked].tolist()) == sorted(pairs)
    assert all(pairs[int(x[i])] == y[i] for i in asked)


def test_passkey_follows_the_cue_and_is_asked_at_the_end() -> None:
    rng = np.random.default_rng(2)
    x, y = passkey(rng, 100, 5, 10)
    cue = int(np.flatnonzero(x == KEY_CUE)[0])
    assert (y[95:] == x[cue + 1 : cue + 6]).all()
    assert (x[95:] == MARKER).all() and (y[:95] == IGNORE).all()


def test_examples_are_a_function_of_seed_split_and_index() -> None:
    a = SyntheticTaskDataset("mqar", 64, 10, 7, "train", 4, 10)
    b = SyntheticTaskDataset("mqar", 64, 10, 7, "train", 4, 10)
    val = SyntheticTaskDataset("mqar", 64, 10, 7, "val", 4, 10)
    assert (a[3]["inputs"] == b[3]["inputs"]).all()
    assert not (a[3]["inputs"] == a[4]["inputs"]).all()
    assert not (a[3]["inputs"] == val[3]["inputs"]).all()


@pytest.mark.parametrize(("kwargs", "expected"), [
    ({"task": "copy"}, "allowed values"),
    ({"seq_len": 10, "n_tokens": 8}, "seq_len"),
    ({"task": "mqar", "n_symbols": 6, "n_tokens": 4}, "n_symbols"),
    ({"batch_size": 0}, "batch_size"),
])
def test_bad_data_options_fail_early_with_the_parameter_name(kwargs: dict, expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        SyntheticDataModule(**kwargs)
