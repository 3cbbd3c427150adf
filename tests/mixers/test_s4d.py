"""S4D mixer: FFT path vs a naive recurrence, inits, segment methods, bidirectional, errors (packing, step,
causality, bf16 and gradients: test_mixer_contract.py)."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from seqkit.mixers.s4d import S4D


def _make(d_model: int = 3, d_state: int = 8, seed: int = 0, **kwargs) -> S4D:
    torch.manual_seed(seed)
    mixer = S4D(d_model, d_state=d_state, **kwargs).double()
    with torch.no_grad():  # spread dt so that both fast and slow modes are exercised
        mixer.log_dt.uniform_(math.log(0.01), math.log(0.5))
    return mixer


def _reference(mixer: S4D, x: torch.Tensor) -> torch.Tensor:
    """Token-by-token recurrence h_t = dA h_{t-1} + dB u_t, y_t = 2 Re(C·h_t) (+ reverse scan) + D u_t."""
    dt = torch.exp(mixer.log_dt)[:, None]
    A = torch.complex(-torch.exp(mixer.log_A_real), mixer.A_imag)
    dA = torch.exp(dt * A)
    dB = (dA - 1) / A

    def scan(u: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
        h = torch.zeros(u.shape[0], u.shape[2], C.shape[-1], dtype=torch.complex128)
        ys = []
        for t in range(u.shape[1]):
            h = dA * h + dB * u[:, t, :, None]
            ys.append(2 * (C * h).sum(-1).real)
        return torch.stack(ys, dim=1)  # (B, L, D)

    y = scan(x, torch.view_as_complex(mixer.C))
    if mixer.bidirectional:
        y = y + scan(x.flip(1), torch.view_as_complex(mixer.C_reverse)).flip(1)
    y = y + mixer.D * x
    return mixer.output_linear(F.gelu(y))


def _grads(mixer: S4D, x: torch.Tensor, out: torch.Tensor, weight: torch.Tensor) -> list[torch.Tensor]:
    params = [x] + [p for p in mixer.parameters()]
    return list(torch.autograd.grad((out * weight).sum(), params))


@pytest.mark.parametrize("length", [1, 7, 37, 100])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_forward_and_gradients_match_recurrence(length: int, bidirectional: bool) -> None:
    mixer = _make(d_model=3, d_state=8, seed=length, bidirectional=bidirectional)
    x = torch.randn(2, length, 3, dtype=torch.float64, requires_grad=True)
    out = mixer(x, causal=not bidirectional)
    ref = _reference(mixer, x)
    assert out.shape == (2, length, 3) and out.dtype == torch.float64
    torch.testing.assert_close(out, ref, rtol=1e-6, atol=1e-9)
    weight = torch.randn_like(out)
    for g, g_ref in zip(_grads(mixer, x, out, weight), _grads(mixer, x, ref, weight), strict=True):
        torch.testing.assert_close(g, g_ref, rtol=1e-6, atol=1e-9)


def test_inits_follow_formulas() -> None:
    n_state = 16
    for init in ("lin", "inv", "real"):
        mixer = S4D(2, d_state=n_state, init=init)
        A = mixer.A()
        assert A.shape == (2, n_state // 2)
        for n in (0, 1, 5):
            if init == "lin":
                expected = complex(-0.5, math.pi * n)
            elif init == "inv":
                expected = complex(-0.5, n_state / math.pi * (n_state / (2 * n + 1) - 1))
            else:
                expected = complex(-(n + 1), 0.0)
            for d in range(2):
                assert abs(complex(A[d, n].item()) - expected) < 1e-4 * max(1.0, abs(expected)), (init, n)
    dt = torch.exp(S4D(64, dt_min=1e-3, dt_max=0.1).log_dt)
    assert dt.min() >= 1e-3 * (1 - 1e-5) and dt.max() <= 0.1 * (1 + 1e-5) and dt.max() / dt.min() > 5


def test_kernel_is_zoh_vandermonde() -> None:
    mixer = _make(d_model=2, d_state=4)
    dt = torch.exp(mixer.log_dt)[:, None]
    A = mixer.A()
    C = torch.view_as_complex(mixer.C)
    k = mixer.kernel(5)
    for lag in (0, 3):
        expected = 2 * (C * (torch.exp(dt * A) - 1) / A * torch.exp(dt * A * lag)).sum(-1).real
        torch.testing.assert_close(k[:, lag], expected)


def test_unidirectional_ignores_the_causal_flag() -> None:
    """A unidirectional SSM is causal by construction: causal=False runs the same convolution."""
    mixer = _make(d_model=4)
    x = torch.randn(2, 30, 4, dtype=torch.float64)
    assert mixer.can_look_ahead is False and mixer.can_step is True
    torch.testing.assert_close(mixer(x, causal=False), mixer(x))


def test_decoding_state_is_complex_modes() -> None:
    state = _make(d_model=3, d_state=6).init_state(2, dtype=torch.float64)
    assert state["h"].shape == (2, 3, 3) and state["h"].dtype == torch.complex128  # (B, D, N/2)


def test_segment_methods_agree_including_gradients() -> None:
    mixer = _make(d_model=2, d_state=6, bidirectional=True)
    x = torch.randn(2, 40, 2, dtype=torch.float64, requires_grad=True)
    seg = torch.tensor([[0] * 5 + [1] * 25 + [2] * 10, [4] * 40])
    weight = torch.randn(2, 40, 2, dtype=torch.float64)
    results = []
    for method in ("pad", "subtract"):
        mixer._segment_method = method
        out = mixer(x, segment_ids=seg, causal=False)
        results.append((out, _grads(mixer, x, out, weight)))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-8, atol=1e-10)
    for g_pad, g_sub in zip(results[0][1], results[1][1], strict=True):
        torch.testing.assert_close(g_pad, g_sub, rtol=1e-7, atol=1e-9)


def test_bidirectional_rejects_causal_and_decoding() -> None:
    mixer = _make(d_model=3, bidirectional=True)
    assert mixer.can_look_ahead is True and mixer.can_step is False
    x = torch.randn(1, 20, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="causal=False"):
        mixer(x)
    with pytest.raises(NotImplementedError, match="bidirectional"):
        mixer.init_state(1)


def test_float32_matches_float64() -> None:
    mixer64 = _make(d_model=4, d_state=8)
    mixer32 = _make(d_model=4, d_state=8).float()
    x = torch.randn(2, 64, 4, dtype=torch.float64)
    seg = torch.tensor([[0] * 20 + [1] * 44, [0] * 64])
    for kwargs in ({}, {"segment_ids": seg}):
        out32 = mixer32(x.float(), **kwargs)
        assert out32.dtype == torch.float32
        torch.testing.assert_close(out32.double(), mixer64(x, **kwargs), rtol=1e-4, atol=1e-4)


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="init"):
        S4D(4, init="legs")
    with pytest.raises(ValueError, match="d_state"):
        S4D(4, d_state=7)
    with pytest.raises(ValueError, match="d_model"):
        S4D(0)
    with pytest.raises(ValueError, match="dt_min"):
        S4D(4, dt_min=0.5, dt_max=0.1)
    with pytest.raises(ValueError, match="dropout"):
        S4D(4, dropout=1.0)
    mixer = S4D(4, d_state=4)
    with pytest.raises(ValueError, match="d_model"):
        mixer(torch.randn(1, 5, 3))
    with pytest.raises(ValueError, match="segment_ids"):
        mixer(torch.randn(1, 5, 4), segment_ids=torch.zeros(1, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="d_model"):
        mixer.step(torch.randn(1, 3), mixer.init_state(1))
