"""NoMixing: the control mixer returns zeros, so a block of it is a per-token function."""

from __future__ import annotations

import pytest
import torch

from seqkit.backbone import Block
from seqkit.mixers import NoMixing

DT = torch.float64


def test_forward_is_zero():
    m = NoMixing(6)
    x = torch.randn(2, 7, 6, dtype=DT)
    y = m(x, segment_ids=torch.zeros(2, 7, dtype=torch.long), causal=False)
    assert y.shape == x.shape and y.dtype == DT
    assert torch.count_nonzero(y) == 0
    assert not m.mixes_tokens  # the contract suite's reach checks skip it for this reason


def test_block_of_no_mixing_is_per_token():
    torch.manual_seed(0)
    block = Block(6, "none", mlp_ratio=2.0).double()
    x = torch.randn(2, 9, 6, dtype=DT)
    y = block(x)
    # every token is processed alone: permuting tokens permutes outputs, and a lone token gives the same result
    perm = torch.randperm(9)
    torch.testing.assert_close(block(x[:, perm]), y[:, perm], rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(block(x[:, 4:5]), y[:, 4:5], rtol=1e-12, atol=1e-12)
    assert not torch.allclose(y, x)  # the MLP still acts


def test_bad_input():
    m = NoMixing(6)
    with pytest.raises(ValueError, match="d_model=6"):
        m(torch.randn(2, 7, 5))
    with pytest.raises(ValueError, match="d_model=6"):
        m(torch.randn(7, 6))
    with pytest.raises(ValueError, match="positions"):
        m(torch.randn(2, 7, 6), positions=torch.arange(7))
    with pytest.raises(ValueError, match="d_model=6"):
        m.step(torch.randn(2, 5), {})
