"""build_mixer / MIXERS: names and options are validated; every mixer keeps the (B, L, D) contract."""

from __future__ import annotations

import pytest
import torch

from seqkit.mixers import MIXERS, TokenMixer, build_mixer, mixer_options

DT = torch.float64

SMALL = {  # small, valid options per mixer
    "attention": {"n_heads": 2},
    "window": {"n_heads": 2, "window": 3, "n_sinks": 1},
    "s4d": {"d_state": 4},
    "mamba2": {"d_state": 4, "head_dim": 4, "chunk_size": 4},
    "probsparse": {"n_heads": 2},
    "none": {},
}


def test_registry_names():
    assert set(MIXERS) == {"attention", "window", "s4d", "mamba2", "probsparse", "none"}
    assert all(issubclass(cls, TokenMixer) for cls in MIXERS.values())


def test_unknown_name_lists_allowed_values():
    with pytest.raises(ValueError) as err:
        build_mixer("transformer", 8)
    msg = str(err.value)
    assert "'transformer'" in msg and "allowed values" in msg
    for name in MIXERS:
        assert name in msg


def test_unknown_option_is_named_and_allowed_ones_listed():
    with pytest.raises(ValueError) as err:
        build_mixer("window", 8, n_heads=2, windw=4)
    msg = str(err.value)
    assert "windw" in msg and "allowed options" in msg
    for opt in ("n_heads", "window", "n_sinks", "distance_cap", "rope_scale"):
        assert opt in msg
    assert "d_model" not in mixer_options("window")
    with pytest.raises(ValueError, match="allowed options: \\(none\\)"):
        build_mixer("none", 8, window=4)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_every_mixer_maps_bld_to_bld(name):
    torch.manual_seed(0)
    m = build_mixer(name, 8, **SMALL[name]).double()
    assert isinstance(m, MIXERS[name]) and m.d_model == 8
    x = torch.randn(2, 10, 8, dtype=DT)
    causal = not getattr(m, "bidirectional", False)
    y = m(x, causal=causal)
    assert y.shape == (2, 10, 8) and y.dtype == DT and torch.isfinite(y).all()
    # batch rows are independent (at L=10 ProbSparse keeps every query, so it is deterministic too)
    torch.testing.assert_close(m(x[1:], causal=causal), y[1:], rtol=1e-8, atol=1e-10)
    with pytest.raises(ValueError, match="d_model=8"):
        m(torch.randn(2, 10, 7, dtype=DT), causal=causal)
