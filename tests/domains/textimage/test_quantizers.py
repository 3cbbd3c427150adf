"""Binary (LFQ, BSQ) and VQ quantisers: exact codes, straight-through gradients, entropies against brute force."""

from __future__ import annotations

import itertools

import pytest
import torch

from seqkit.domains.textimage.binary_quantizer import BinaryQuantizer, bits_to_indices, indices_to_bits
from seqkit.domains.textimage.vector_quantizer import VectorQuantizer


def test_indices_and_bits_round_trip_most_significant_bit_first() -> None:
    indices = torch.tensor([0, 1, 5, 2 ** 13 - 1, 4096])
    bits = indices_to_bits(indices, 13)
    assert bits[2].tolist() == [0] * 10 + [1, 0, 1] and bits[4, 0] == 1
    assert torch.equal(bits_to_indices(bits), indices)


@pytest.mark.parametrize("kind", ["lfq", "bsq"])
def test_tokens_are_the_signs_and_decode_back_to_the_quantised_latents(kind: str) -> None:
    q = BinaryQuantizer(bits=6, kind=kind)
    z = torch.randn(2, 6, 3, 4)
    quantised, indices, _ = q(z)
    signs = (z > 0).permute(0, 2, 3, 1)  # (B, H, W, K)
    assert torch.equal(indices, bits_to_indices(signs))
    assert torch.allclose(quantised, q.codes_from_indices(indices), atol=1e-6)
    norms = quantised.pow(2).sum(1).sqrt()
    assert torch.allclose(norms, torch.full_like(norms, 1.0 if kind == "bsq" else 6 ** 0.5), atol=1e-5)


def test_gradients_pass_straight_through_the_sign() -> None:
    q = BinaryQuantizer(bits=4, commitment_weight=0.0, entropy_weight=0.0)
    z = torch.randn(1, 4, 2, 2, requires_grad=True)
    quantised, _, _ = q(z)
    (quantised * torch.arange(4.0).view(1, 4, 1, 1)).sum().backward()
    assert torch.allclose(z.grad, torch.arange(4.0).view(1, 4, 1, 1).expand(1, 4, 2, 2))


@pytest.mark.parametrize("kind", ["lfq", "bsq"])
def test_entropies_match_the_full_softmax_over_all_codes(kind: str) -> None:
    k = 5
    q = BinaryQuantizer(bits=k, kind=kind, inverse_temperature=0.7, entropy_group=k)
    x = q._prepare(torch.randn(40, k))
    codes = torch.tensor(list(itertools.product([-1.0, 1.0], repeat=k))) * q.code_scale  # (2^K, K)
    p = torch.softmax(2 * 0.7 * x @ codes.T, -1)  # p(c | x) over every corner code
    per_token = -(p * p.log()).sum(-1).mean()
    mean = p.mean(0)
    codebook = -(mean * mean.log()).sum()
    got_token, got_codebook = q.entropy_terms(x)
    assert got_token.item() == pytest.approx(per_token.item(), rel=1e-4)
    assert got_codebook.item() == pytest.approx(codebook.item(), rel=1e-4)
    grouped = BinaryQuantizer(bits=k, kind=kind, inverse_temperature=0.7, entropy_group=2).entropy_terms(x)[1]
    assert grouped.item() >= codebook.item() - 1e-5  # the sum over groups bounds the joint from above


def test_vq_picks_the_most_similar_unit_code_in_blocks() -> None:
    torch.manual_seed(0)
    vq = VectorQuantizer(bits=6, block=7)
    z = torch.randn(2, 6, 3, 5)
    quantised, indices, losses = vq(z)
    x = torch.nn.functional.normalize(z.permute(0, 2, 3, 1).reshape(-1, 6), dim=-1)
    expected = (x @ vq.normalised_codebook().T).argmax(-1)
    assert torch.equal(indices.flatten(), expected)
    assert torch.allclose(quantised, vq.codes_from_indices(indices), atol=1e-6)
    assert 1 <= losses["perplexity"].item() <= 30 and losses["codebook"].requires_grad
    with pytest.raises(ValueError, match="channels"):
        vq(torch.randn(1, 5, 2, 2))
