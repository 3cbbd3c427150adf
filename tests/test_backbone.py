"""Backbone: layer specs, per-mixer options, MASFormer schedules, decoding, input checks."""

from __future__ import annotations

import pytest
import torch

from seqkit.backbone import Backbone, Block, parse_layers
from seqkit.mixers import FullAttention, Mamba2, NoMixing, SlidingWindowAttention

DT = torch.float64


def test_parse_layers_expands_repeats():
    assert parse_layers("attention,window*3") == ["attention", "window", "window", "window"]
    assert parse_layers(" mamba2 * 2 , none ") == ["mamba2", "mamba2", "none"]
    assert parse_layers(["attention", "window*2", "attention"]) == ["attention", "window", "window", "attention"]
    assert parse_layers("s4d") == ["s4d"]


@pytest.mark.parametrize("spec", ["window*x", "window*1.5", "attention,window*three", "window*2*3"])
def test_parse_layers_bad_count(spec):
    with pytest.raises(ValueError, match="bad repeat count"):
        parse_layers(spec)


def test_parse_layers_star_without_count_is_rejected():
    # 'window*' (a count lost in editing) must not silently build one layer.
    with pytest.raises(ValueError, match="repeat count"):
        parse_layers("attention,window*")


@pytest.mark.parametrize("spec", ["window*0", "window*-2"])
def test_parse_layers_count_below_one(spec):
    with pytest.raises(ValueError, match="repeat count must be >= 1"):
        parse_layers(spec)


def test_parse_layers_unknown_name_lists_allowed_values():
    with pytest.raises(ValueError) as err:
        parse_layers("attention,windw*2")
    msg = str(err.value)
    assert "'windw'" in msg and "allowed values" in msg
    for name in ("attention", "window", "mamba2", "s4d", "probsparse", "none"):
        assert name in msg


@pytest.mark.parametrize("spec", ["", [], "  "])
def test_parse_layers_empty(spec):
    with pytest.raises(ValueError):
        parse_layers(spec)
    if spec == []:
        with pytest.raises(ValueError, match="names no layer"):
            parse_layers(spec)


def test_mixer_options_for_unused_mixer():
    with pytest.raises(ValueError) as err:
        Backbone(16, "attention*2", mixer_options={"window": {"window": 4}})
    assert "window" in str(err.value) and "attention" in str(err.value)


def test_mixer_options_reach_their_layers_and_unknown_option_fails():
    bb = Backbone(16, "attention,window*2", mixer_options={"window": {"window": 5, "n_sinks": 2, "n_heads": 2},
                                                            "attention": {"n_heads": 8}})
    assert bb.windows() == [5, 5]
    assert bb.blocks[0].mixer.n_heads == 8 and bb.blocks[1].mixer.n_sinks == 2
    with pytest.raises(ValueError, match="windw"):
        Backbone(16, "window", mixer_options={"window": {"windw": 5}})


def test_masformer_schedule_builds_the_right_mixer_per_layer():
    bb = Backbone(16, "attention,window*3", mixer_options={"window": {"window": 4, "n_heads": 2}})
    assert bb.layer_names == ["attention", "window", "window", "window"]
    assert [type(b.mixer) for b in bb.blocks] == [FullAttention] + [SlidingWindowAttention] * 3
    assert len(bb.blocks) == 4
    # layers are independent modules (not one shared instance)
    assert len({id(b.mixer) for b in bb.blocks}) == 4
    bb = Backbone(16, ["mamba2", "none"], mixer_options={"mamba2": {"head_dim": 8, "d_state": 4}})
    assert [type(b.mixer) for b in bb.blocks] == [Mamba2, NoMixing]


def _stack_layers():
    layers = "attention,window,mamba2,s4d"
    options = {"attention": {"n_heads": 2}, "window": {"n_heads": 2, "window": 4, "n_sinks": 2, "distance_cap": 6},
               "mamba2": {"d_state": 4, "head_dim": 8, "chunk_size": 4}, "s4d": {"d_state": 4}}
    return layers, options


def test_step_equals_forward_for_mixed_stack():
    layers, options = _stack_layers()
    torch.manual_seed(0)
    bb = Backbone(16, layers, mixer_options=options, mlp_ratio=2.0).double()
    assert bb.can_step
    x = torch.randn(2, 14, 16, dtype=DT)
    states = bb.init_state(2, dtype=DT)
    assert len(states) == 4
    ys = []
    for t in range(14):
        y_t, states = bb.step(x[:, t], states)
        ys.append(y_t)
    y = bb(x)
    torch.testing.assert_close(torch.stack(ys, 1), y, rtol=1e-9, atol=1e-9)
    # and the stack is causal as a whole
    x2 = x.clone()
    x2[:, 9] += 1.0
    torch.testing.assert_close(bb(x2)[:, :9], y[:, :9], rtol=0, atol=1e-12)


def test_chunk_prefill_then_steps_equals_forward_for_mixed_stack():
    """A prompt run as one chunk, then token steps from its states, equals the parallel forward."""
    layers, options = _stack_layers()
    torch.manual_seed(1)
    bb = Backbone(16, layers, mixer_options=options, mlp_ratio=2.0).double()
    x = torch.randn(2, 14, 16, dtype=DT)
    prefix, states = bb.forward_chunk(x[:, :9], bb.init_state(2, dtype=DT))
    ys = [prefix]
    for t in range(9, 14):
        y_t, states = bb.step(x[:, t], states)
        ys.append(y_t[:, None])
    torch.testing.assert_close(torch.cat(ys, 1), bb(x), rtol=1e-9, atol=1e-9)


def test_packing_equals_separate_runs_for_mixed_stack():
    layers, options = _stack_layers()
    torch.manual_seed(1)
    bb = Backbone(16, layers, mixer_options=options).double()
    l1, l2 = 13, 22
    x = torch.randn(1, l1 + l2, 16, dtype=DT)
    seg = torch.tensor([[0] * l1 + [1] * l2])
    pos = torch.tensor([list(range(l1)) + list(range(l2))])
    packed = bb(x, segment_ids=seg, positions=pos)
    torch.testing.assert_close(packed[:, :l1], bb(x[:, :l1]), rtol=1e-8, atol=1e-8)
    torch.testing.assert_close(packed[:, l1:], bb(x[:, l1:]), rtol=1e-6, atol=1e-8)


def test_wrong_input_width_names_d_model():
    bb = Backbone(16, "none")
    with pytest.raises(ValueError, match="d_model=16"):
        bb(torch.randn(2, 5, 12))
    with pytest.raises(ValueError, match="d_model=16"):
        bb(torch.randn(5, 16))
    with pytest.raises(ValueError, match="d_model"):
        Backbone(0, "none")


def test_mlp_ratio_zero_removes_the_mlp():
    torch.manual_seed(2)
    block = Block(8, "none", mlp_ratio=0).double()
    assert block.mlp is None
    assert not any("mlp" in name for name, _ in block.named_parameters())
    x = torch.randn(2, 5, 8, dtype=DT)
    torch.testing.assert_close(block(x), x, rtol=0, atol=0)  # no mixing, no MLP: identity
    bb0 = Backbone(8, "none*2", mlp_ratio=0).double()
    assert all(b.mlp is None for b in bb0.blocks)
    assert sum(p.numel() for p in bb0.parameters()) == 3 * 8  # only the three RMSNorm weights
    bb4 = Backbone(8, "none*2", mlp_ratio=4).double()
    assert all(b.mlp[0].out_features == 32 for b in bb4.blocks)
