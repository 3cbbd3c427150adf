"""``forward_chunk``: continuing from a state over a chunk equals running the whole sequence at once."""

from __future__ import annotations

import pytest
import torch

from seqkit.mixers import build_mixer

CASES = [("attention", {"n_heads": 2}), ("mamba2", {"d_state": 8, "head_dim": 8, "chunk_size": 8}),
         ("s4d", {"d_state": 8}), ("window", {"window": 4, "n_sinks": 1, "n_heads": 2})]


@pytest.mark.parametrize(("name", "options"), CASES, ids=[c[0] for c in CASES])
def test_two_chunks_equal_one_causal_forward(name: str, options: dict) -> None:
    torch.manual_seed(0)
    mixer = build_mixer(name, 16, **options).double()
    x = torch.randn(2, 21, 16, dtype=torch.double)
    full = mixer(x, causal=True)
    state = mixer.init_state(2, dtype=torch.double)
    y1, state = mixer.forward_chunk(x[:, :13], state)
    y2, state = mixer.forward_chunk(x[:, 13:], state)
    torch.testing.assert_close(torch.cat([y1, y2], dim=1), full)


@pytest.mark.parametrize(("name", "options"), CASES[:2], ids=[c[0] for c in CASES[:2]])
def test_a_cached_prefix_serves_a_batch_of_continuations(name: str, options: dict) -> None:
    """Encode a prefix once (batch 1), continue many rows from it: each equals prefix + row run alone."""
    torch.manual_seed(1)
    mixer = build_mixer(name, 16, **options).double()
    prefix, rows = torch.randn(1, 11, 16, dtype=torch.double), torch.randn(3, 6, 16, dtype=torch.double)
    _, state = mixer.forward_chunk(prefix, mixer.init_state(1, dtype=torch.double))
    got, _ = mixer.forward_chunk(rows, state)
    for i in range(3):
        alone = mixer(torch.cat([prefix, rows[i : i + 1]], dim=1), causal=True)[:, 11:]
        torch.testing.assert_close(got[i : i + 1], alone)


def test_attention_chunk_positions_and_segments() -> None:
    """Positions restart per segment; chunk tokens of one segment don't see another's, but see the cache."""
    torch.manual_seed(2)
    mixer = build_mixer("attention", 16, n_heads=2).double()
    x = torch.randn(1, 9, 16, dtype=torch.double)
    seg = torch.tensor([[0, 0, 0, 1, 1, 1, 1, 2, 2]])
    pos = torch.tensor([[0, 1, 2, 0, 1, 2, 3, 0, 1]])
    got, state = mixer.forward_chunk(x, mixer.init_state(1, dtype=torch.double), positions=pos, segment_ids=seg)
    torch.testing.assert_close(got, mixer(x, segment_ids=seg, positions=pos))
    assert state["pos"] == 2 and state["k"].shape[2] == 9
    # a continuation after the segmented chunk sees every cached key: like full causal attention over all
    y = torch.randn(1, 4, 16, dtype=torch.double)
    cont, _ = mixer.forward_chunk(y, {**state, "pos": 0})
    mask = torch.ones(13, 13, dtype=torch.bool).tril()
    mask[:9, :9] = seg[0, :, None] == seg[0, None, :]
    mask[:9, :9] &= torch.ones(9, 9, dtype=torch.bool).tril()
    positions = torch.cat([pos[0], torch.arange(4)])[None]
    want = mixer(torch.cat([x, y], dim=1), positions=positions, attn_mask=mask[None])[:, 9:]
    torch.testing.assert_close(cont, want)


def test_attention_chunk_on_the_fused_path_without_a_kept_state() -> None:
    """float32 under no_grad takes the CPU flash kernel with the batch-1 cache folded into the queries;
    ``keep_state=False`` returns no state but the same outputs as the full sequence run at once."""
    torch.manual_seed(2)
    mixer = build_mixer("attention", 16, n_heads=2).eval()
    prefix, rows = torch.randn(1, 40, 16), torch.randn(4, 9, 16)
    with torch.no_grad():
        _, state = mixer.forward_chunk(prefix, mixer.init_state(1))
        got, none = mixer.forward_chunk(rows, state, keep_state=False)
        kept, new_state = mixer.forward_chunk(rows, state)
        alone = mixer(torch.cat([prefix.expand(4, -1, -1), rows], dim=1), causal=True)[:, 40:]
    assert none is None and new_state["k"].shape[:3] == (4, 2, 49)
    torch.testing.assert_close(got, alone, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(kept, got)
