"""Mamba2 against a reimplementation on the sequential SSD recurrence (packing, step, causality, bf16 and gradients:
test_mixer_contract.py)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from seqkit.kernels.ssd import ssd_scan_reference
from seqkit.mixers import Mamba2

DT = torch.float64


def make(seed=0, d_model=8, **kw):
    kw = {"d_state": 4, "expand": 2, "head_dim": 4, "chunk_size": 4, **kw}
    torch.manual_seed(seed)
    m = Mamba2(d_model, **kw).double()
    with torch.no_grad():  # non-trivial D and norm weights so that every parameter matters
        for br in (m.forward_branch, m.backward_branch):
            if br is not None:
                br.D.uniform_(0.5, 1.5)
                br.norm.weight.uniform_(0.5, 1.5)
                br.conv_bias.normal_(0, 0.1)
                br.dt_bias.add_(1.0)  # larger steps: stronger mixing between tokens
    return m


def naive_branch(br, u, seg):
    """One scan direction written out: projections, explicit conv taps, sequential scan, gate, RMSNorm."""
    b, length, _ = u.shape
    di, g, n, h = br.d_inner, br.n_groups, br.d_state, br.n_heads
    proj = u @ br.in_proj.weight.T
    z, xbc, dt = proj[..., :di], proj[..., di:di + br.conv_dim], proj[..., di + br.conv_dim:]
    kk = br.conv_weight.shape[1]
    conv = torch.zeros_like(xbc) + br.conv_bias
    for t in range(length):
        for s in range(min(kk, t + 1)):  # tap s reads x_{t-s} with weight column kk-1-s, never across a segment
            same = 1.0 if seg is None else (seg[:, t - s: t + 1] == seg[:, t: t + 1]).all(dim=1).to(DT)[:, None]
            conv[:, t] = conv[:, t] + same * xbc[:, t - s] * br.conv_weight[:, kk - 1 - s]
    act = F.silu(conv)
    x = act[..., :di].reshape(b, length, h, di // h)
    B = act[..., di:di + g * n].reshape(b, length, g, n)
    C = act[..., di + g * n:].reshape(b, length, g, n)
    dt = F.softplus(dt + br.dt_bias)
    A = -torch.exp(br.A_log)
    y, _ = ssd_scan_reference(x, dt, A, B, C, segment_ids=seg)
    y = (y + x * br.D[:, None]).reshape(b, length, di) * F.silu(z)
    eps = br.norm.eps if br.norm.eps is not None else torch.finfo(DT).eps
    return y * torch.rsqrt(y.pow(2).mean(-1, keepdim=True) + eps) * br.norm.weight


def naive_mamba2(m, x, seg=None):
    y = naive_branch(m.forward_branch, x, seg)
    if m.backward_branch is not None:
        y = y + naive_branch(m.backward_branch, x.flip(1), None if seg is None else seg.flip(1)).flip(1)
    return y @ m.out_proj.weight.T


CONFIGS = [{}, {"n_groups": 2}, {"d_conv": 2, "chunk_size": 16}, {"d_conv": 1, "chunk_size": 3}]


@pytest.mark.parametrize("kw", CONFIGS)
def test_forward_and_grads_match_naive(kw):
    m = make(**kw)
    x = torch.randn(2, 13, 8, dtype=DT, requires_grad=True)
    out = m(x)
    ref = naive_mamba2(m, x)
    torch.testing.assert_close(out, ref, rtol=1e-6, atol=1e-6)
    w = torch.randn_like(out)
    params = [x, *m.parameters()]
    g_out = torch.autograd.grad((out * w).sum(), params)
    g_ref = torch.autograd.grad((ref * w).sum(), params)
    names = ["x"] + [n for n, _ in m.named_parameters()]
    for name, a, r in zip(names, g_out, g_ref, strict=True):
        assert a.abs().max() > 0, name
        torch.testing.assert_close(a, r, rtol=1e-5, atol=1e-6, msg=lambda msg, name=name: f"grad {name}: {msg}")


def test_segments_match_naive():
    m = make(seed=1, n_groups=2)
    x = torch.randn(2, 14, 8, dtype=DT)
    seg = torch.tensor([[0] * 4 + [1] * 1 + [2] * 9, [7] * 10 + [8] * 4])
    torch.testing.assert_close(m(x, segment_ids=seg), naive_mamba2(m, x, seg), rtol=1e-6, atol=1e-6)


def test_bidirectional():
    m = make(seed=5, bidirectional=True)
    x = torch.randn(2, 11, 8, dtype=DT)
    with pytest.raises(ValueError, match="causal=False"):
        m(x)
    with pytest.raises(ValueError, match="causal=False"):
        m(x, causal=True)
    y = m(x, causal=False)
    # forward branch + flipped backward branch, computed here from the branches and by the naive reimplementation
    manual = m.out_proj(m.forward_branch(x, None) + m.backward_branch(x.flip(1), None).flip(1))
    torch.testing.assert_close(y, manual, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(y, naive_mamba2(m, x), rtol=1e-6, atol=1e-6)
    assert not m.can_step and m.can_look_ahead
    with pytest.raises(NotImplementedError):
        m.init_state(2)
    with pytest.raises(NotImplementedError):
        m.step(x[:, 0], {})


def test_unidirectional_ignores_causal_flag_and_positions():
    m = make(seed=6)
    x = torch.randn(1, 9, 8, dtype=DT)
    assert not m.can_look_ahead
    torch.testing.assert_close(m(x, causal=False), m(x), rtol=0, atol=0)
    torch.testing.assert_close(m(x, positions=torch.arange(9)[None] + 5), m(x), rtol=0, atol=0)


def test_bad_input():
    with pytest.raises(ValueError, match="head_dim"):
        Mamba2(8, expand=2, head_dim=5)
    with pytest.raises(ValueError, match="n_groups"):
        Mamba2(8, expand=2, head_dim=4, n_groups=3)
    for name in ("d_state", "d_conv", "chunk_size"):
        with pytest.raises(ValueError, match=name):
            Mamba2(8, head_dim=4, **{name: 0})
    m = make()
    with pytest.raises(ValueError, match="d_model=8"):
        m(torch.randn(1, 5, 6, dtype=DT))
    with pytest.raises(ValueError, match="d_model=8"):
        m(torch.randn(5, 8, dtype=DT))
    with pytest.raises(ValueError, match="d_model=8"):
        m.step(torch.randn(1, 6, dtype=DT), m.init_state(1))


def test_triton_scan_path_matches_torch_path(monkeypatch):
    """The mixer through the Triton scan (interpreted on CPU) equals the PyTorch path, output and gradients,
    packed segments included."""
    torch.manual_seed(0)
    mixer = Mamba2(32, d_state=16, head_dim=16, chunk_size=16, bidirectional=True)
    u = torch.randn(2, 37, 32, requires_grad=True)
    seg = torch.tensor([[0] * 12 + [1] * 25, [0] * 37])
    monkeypatch.setenv("SEQKIT_KERNELS", "torch")
    want = mixer(u, segment_ids=seg, causal=False)
    want_grads = torch.autograd.grad(want.square().sum(), [u, *mixer.parameters()])
    monkeypatch.setenv("SEQKIT_KERNELS", "triton")
    got = mixer(u, segment_ids=seg, causal=False)
    got_grads = torch.autograd.grad(got.square().sum(), [u, *mixer.parameters()])
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)
    for a, b in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
