"""The shared optimiser: which parameters decay, and the warm-up/cosine learning-rate factor."""

from __future__ import annotations

import pytest
from torch import nn

from seqkit.optim import adamw_warmup_cosine


def test_groups_and_schedule() -> None:
    model = nn.ModuleDict({"embed": nn.Embedding(10, 4), "proj": nn.Linear(4, 4), "norm": nn.LayerNorm(4)})
    out = adamw_warmup_cosine(model, lr=1e-3, weight_decay=0.1, warmup_steps=10, total_steps=200)
    decayed, plain = out["optimizer"].param_groups
    assert [p.shape for p in decayed["params"]] == [(4, 4)] and decayed["weight_decay"] == 0.1
    assert len(plain["params"]) == 4 and plain["weight_decay"] == 0.0  # embedding, bias, norm weight and bias
    factor = out["lr_scheduler"]["scheduler"].lr_lambdas[0]
    assert factor(0) == pytest.approx(0.1) and factor(9) == pytest.approx(1.0)
    assert factor(200) == pytest.approx(0.1) and factor(105) == pytest.approx(0.55)
    assert type(factor(50)) is float
    assert out["lr_scheduler"]["interval"] == "step"
