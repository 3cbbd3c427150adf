"""benchmarks/peers.py: the transformers Mamba-2 it times computes the same function as seqkit's, given its weights."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers")  # the [bench] extra, which [dev] includes
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))  # a folder of scripts, not a package
import peers  # noqa: E402

TINY = dict(peers.MAMBA2, d_model=64, layers=2, d_state=16, head_dim=16, chunk=16, vocab=50)


def test_transformers_mamba2_with_seqkit_weights_gives_seqkit_logits() -> None:
    # 100 tokens: not a multiple of the chunk, so both pad their last chunk
    agreement = peers.mamba2_agreement(TINY, length=100)
    assert agreement["max_abs_diff"] < 1e-4 * max(1.0, agreement["logit_scale"])


def test_weights_copied_change_the_peer() -> None:
    torch.manual_seed(1)
    ours, peer = peers.SeqkitMamba2LM(TINY).eval(), peers.transformers_mamba2(TINY).eval()
    tokens = torch.randint(0, TINY["vocab"], (1, 40))
    with torch.no_grad():
        before = peer(tokens).logits
        peers.copy_seqkit_into_transformers(ours, peer)
        after = peer(tokens).logits
        assert not torch.allclose(before, after)  # independent inits differ: the comparison is not vacuous
        torch.testing.assert_close(after, ours(tokens), rtol=1e-4, atol=1e-5)


def test_one_training_point_reports_throughput_and_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(peers, "MAMBA2", TINY)
    for impl in ("seqkit", "transformers"):
        point = peers._one_mamba2_point(impl, batch=2, length=64, threads=1, steps=1)
        assert point["tokens_per_second"] > 0 and point["seconds_per_step"] > 0 and point["peak_mib"] >= 0


def test_llama_and_seqkit_attention_dna_models_have_matched_weights() -> None:
    counts = {kind: sum(p.numel() for p in peers.dna_model(kind).parameters()) for kind in peers.DNA_MODELS}
    assert abs(counts["seqkit_attention"] - counts["llama"]) / counts["llama"] < 0.01  # like for like
    point = peers._one_dna_point(model="llama", length=64, threads=1, steps=1)
    assert point["tokens_per_second"] > 0 and point["parameters"] == counts["llama"]
