"""Rotary position embedding: interpolation, truncated basis, norms, relative positions."""

from __future__ import annotations

import pytest
import torch

from seqkit.mixers.rotary import Rotary

DT = torch.float64


def complex_rope(x: torch.Tensor, positions: torch.Tensor, freqs: torch.Tensor) -> torch.Tensor:
    """Independent RoPE: pair (x[2i], x[2i+1]) is the complex number x[2i] + i·x[2i+1], times e^{i·p·θ_i}."""
    z = torch.complex(x[..., 0::2], x[..., 1::2])
    angle = positions.to(DT)[:, None] * freqs.to(DT)  # (L, d/2)
    z = z * torch.polar(torch.ones_like(angle), angle)
    return torch.stack([z.real, z.imag], dim=-1).flatten(-2)


def test_matches_complex_multiplication():
    dim, base = 8, 10000.0
    rot = Rotary(dim, base=base).double()
    x = torch.randn(2, 3, 11, dim, dtype=DT)
    pos = torch.arange(11)
    freqs = base ** (-torch.arange(0, dim, 2, dtype=DT) / dim)
    torch.testing.assert_close(rot.rotate(x, pos), complex_rope(x, pos, freqs), rtol=1e-6, atol=1e-6)


def test_position_zero_is_identity_and_batched_positions_agree():
    rot = Rotary(8).double()
    x = torch.randn(2, 3, 5, 8, dtype=DT)
    torch.testing.assert_close(rot.rotate(x, torch.zeros(5, dtype=torch.long)), x, rtol=0, atol=0)
    pos = torch.tensor([3, 1, 4, 1, 5])
    torch.testing.assert_close(rot.rotate(x, pos.expand(2, 5)), rot.rotate(x, pos), rtol=0, atol=0)
    # (B, L) positions really are per batch row.
    per_row = rot.rotate(x, torch.stack([pos, pos + 2]))
    torch.testing.assert_close(per_row[1:], rot.rotate(x[1:], pos + 2), rtol=0, atol=0)
    assert not torch.allclose(per_row[1:], rot.rotate(x[1:], pos))


@pytest.mark.parametrize("scale", [2.0, 2.5, 4.0])
def test_rope_scale_is_position_interpolation(scale):
    x = torch.randn(1, 2, 12, 8, dtype=DT)
    pos = torch.arange(12) * 3
    scaled = Rotary(8, scale=scale).double().rotate(x, pos)
    plain = Rotary(8).double().rotate(x, pos.to(DT) / scale)
    torch.testing.assert_close(scaled, plain, rtol=0, atol=1e-15)
    assert not torch.allclose(scaled, Rotary(8).double().rotate(x, pos))


def test_truncated_basis_sets_frequencies_as_specified():
    # base 16, dim 8: frequencies exactly 1, 1/2, 1/4, 1/8.
    assert Rotary(8, base=16.0).freqs.tolist() == [1.0, 0.5, 0.25, 0.125]
    # >= b kept (b itself included), in (a, b) -> rho, <= a (a itself included) -> 0.
    assert Rotary(8, base=16.0, truncate=(0.125, 0.5, 0.3)).freqs.tolist() == pytest.approx([1.0, 0.5, 0.3, 0.0])
    assert Rotary(8, base=16.0, truncate=(0.2, 0.3, 0.05)).freqs.tolist() == pytest.approx([1.0, 0.5, 0.05, 0.0])
    assert Rotary(8, base=16.0, truncate=(0.0, 0.9, 0.1)).freqs.tolist() == pytest.approx([1.0, 0.1, 0.1, 0.1])


def test_truncated_pairs_rotate_at_rho_or_not_at_all():
    rot = Rotary(8, base=16.0, truncate=(0.125, 0.5, 0.3)).double()
    x = torch.randn(1, 1, 6, 8, dtype=DT)
    pos = torch.arange(6) * 7
    out = rot.rotate(x, pos)
    torch.testing.assert_close(out[..., 6:], x[..., 6:], rtol=0, atol=0)  # frequency 0: untouched
    freqs = torch.tensor([1.0, 0.5, 0.3, 0.0], dtype=DT)
    torch.testing.assert_close(out, complex_rope(x, pos, freqs), rtol=1e-6, atol=1e-6)


def test_rotation_preserves_norms():
    rot = Rotary(16, scale=3.0, truncate=(1e-3, 0.1, 0.01)).double()
    x = torch.randn(2, 2, 50, 16, dtype=DT)
    pos = torch.randint(0, 5000, (2, 50))
    out = rot.rotate(x, pos)
    torch.testing.assert_close(out.norm(dim=-1), x.norm(dim=-1), rtol=1e-12, atol=1e-12)
    # ... pairwise, too: each (2i, 2i+1) plane is rotated on its own.
    torch.testing.assert_close(out.view(2, 2, 50, 8, 2).norm(dim=-1), x.view(2, 2, 50, 8, 2).norm(dim=-1),
                               rtol=1e-12, atol=1e-12)
    assert not torch.allclose(out, x)


@pytest.mark.parametrize("kwargs", [{}, {"scale": 4.0}, {"truncate": (0.01, 0.3, 0.05)}])
def test_dot_product_depends_only_on_position_difference(kwargs):
    rot = Rotary(8, **kwargs).double()
    q = torch.randn(1, 1, 1, 8, dtype=DT)
    k = torch.randn(1, 1, 1, 8, dtype=DT)

    def score(pq, pk):
        return float(rot.rotate(q, torch.tensor([pq])) @ rot.rotate(k, torch.tensor([pk])).transpose(-1, -2))

    for pq, pk in [(5, 2), (9, 9), (3, 11), (40, 1)]:
        for shift in (1, 17, 100):
            assert score(pq, pk) == pytest.approx(score(pq + shift, pk + shift), abs=1e-5)
    # and it does depend on the difference
    assert abs(score(5, 2) - score(5, 4)) > 1e-4


def test_bad_arguments():
    with pytest.raises(ValueError, match="even"):
        Rotary(7)
    with pytest.raises(ValueError, match="rope_scale"):
        Rotary(8, scale=0.0)
    with pytest.raises(ValueError, match="rope_truncate"):
        Rotary(8, truncate=(0.5, 0.1, 0.2))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_casting_the_module_keeps_rope_frequencies(dtype):
    # Casting a model (e.g. Lightning precision="bf16-true" calls module.to(bfloat16)) must not round the
    # RoPE frequencies to half precision: at position 4096 a 2^-9 relative error is several radians.
    ref = Rotary(64)
    cast = Rotary(64).to(dtype)
    pos = torch.arange(0, 4096, 64)
    cos_ref, sin_ref = ref.angles(pos)
    cos_cast, sin_cast = cast.angles(pos)
    torch.testing.assert_close(cos_cast.double(), cos_ref.double(), rtol=0, atol=1e-2)
    torch.testing.assert_close(sin_cast.double(), sin_ref.double(), rtol=0, atol=1e-2)
