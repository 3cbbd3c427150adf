"""Motion Mamba's HTM/BSM blocks and U-Net, the MLD-like baseline and the motion VAE: structure and masking."""

from __future__ import annotations

import pytest
import torch

from seqkit.domains.motion.motion_mamba import (
    BidirectionalSpatialMamba,
    HierarchicalTemporalMamba,
    MotionMambaDenoiser,
    htm_schedule,
)
from seqkit.domains.motion.motion_vae import MotionVAE
from seqkit.domains.motion.transformer_denoiser import SkipTransformerDenoiser


def test_htm_schedule_is_the_papers() -> None:
    assert htm_schedule(5) == ([9, 7, 5, 3, 1], [1, 3, 5, 7, 9])
    assert htm_schedule(1) == ([1], [1])


def test_htm_runs_k_isolated_causal_scans() -> None:
    torch.manual_seed(0)
    htm = HierarchicalTemporalMamba(32, n_scans=3, d_state=8, head_dim=16, chunk_size=8)
    assert htm.mixer.forward_branch.n_groups == 3  # one B/C group per scan
    assert htm.mixer.forward_branch.n_heads == 3 * 32 // 16  # each scan its own heads (and decays A)
    x = torch.randn(2, 12, 32)
    y = htm(x)
    x2 = x.clone()
    x2[:, 7:] += 1.0
    y2 = htm(x2)
    torch.testing.assert_close(y[:, :7], y2[:, :7])  # causal over time
    assert (y[:, 7:] - y2[:, 7:]).abs().max() > 1e-3


def test_bsm_scans_channels_in_both_directions() -> None:
    torch.manual_seed(0)
    bsm = BidirectionalSpatialMamba(32, n_tokens=4, width=8, d_state=8)
    x = torch.randn(2, 4, 32)
    x2 = x.clone()
    x2[:, :, 16] += 1.0  # one channel, every token
    delta = (bsm(x2) - bsm(x)).abs().amax(dim=(0, 1))  # (32,) per channel
    assert delta[:16].max() > 1e-4 and delta[17:].max() > 1e-4  # channels before and after both see it


def test_bsm_frames_fold_keeps_runs_of_frames_apart() -> None:
    torch.manual_seed(0)
    bsm = BidirectionalSpatialMamba(16, n_tokens=None, width=8, d_state=8, fold="frames", frames_per_scan=4)
    x = torch.randn(1, 13, 16)  # 13 frames: runs [0,4) [4,8) [8,12) [12,13)
    x2 = x.clone()
    x2[:, 9] += 1.0
    delta = (bsm(x2) - bsm(x)).abs().amax(dim=(0, 2))
    assert delta[:8].max() == 0 and delta[12:].max() == 0 and delta[8:12].max() > 1e-4


@pytest.mark.parametrize("cls", [MotionMambaDenoiser, SkipTransformerDenoiser])
def test_latent_denoisers_start_at_zero_and_learn(cls: type) -> None:
    torch.manual_seed(0)
    kwargs = dict(d_in=16, d_model=32, n_blocks=2, text_dim=8, n_tokens=2)
    if cls is MotionMambaDenoiser:
        kwargs.update(d_state=8, head_dim=16, bsm_width=8)
    net = cls(**kwargs)
    x, t, text = torch.randn(4, 2, 16), torch.randint(0, 1000, (4,)), torch.randn(4, 8)
    assert net(x, t, text).abs().max() == 0  # zero-initialised output layer: ε̂ = 0 at the start
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    target = torch.randn(4, 2, 16)
    first = None
    for _ in range(30):
        loss = (net(x, t, text) - target).pow(2).mean()
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.5 * first
    with pytest.raises(ValueError, match="2 motion tokens"):
        net(torch.randn(4, 3, 16), t, text)


@pytest.mark.parametrize("cls", [MotionMambaDenoiser, SkipTransformerDenoiser])
def test_frame_denoisers_never_read_padded_frames(cls: type) -> None:
    torch.manual_seed(0)
    kwargs = dict(d_in=12, d_model=32, n_blocks=2, text_dim=8, n_tokens=None)
    if cls is MotionMambaDenoiser:
        kwargs.update(d_state=8, head_dim=16, bsm_width=8)
    net = cls(**kwargs)
    torch.nn.init.normal_(net.output.weight)
    x, t, text = torch.randn(2, 24, 12), torch.randint(0, 1000, (2,)), torch.randn(2, 8)
    padding = torch.zeros(2, 24, dtype=torch.bool)
    padding[1, 16:] = True
    x2 = x.clone()
    x2[1, 16:] += 10.0
    a, b = net(x, t, text, padding), net(x2, t, text, padding)
    torch.testing.assert_close(a[1, :16], b[1, :16], atol=1e-5, rtol=0)
    torch.testing.assert_close(a[0], b[0])
    alone = net(x[1:2, :16], t[1:2], text[1:2])  # the short motion on its own, unpadded
    torch.testing.assert_close(a[1:2, :16], alone, atol=1e-5, rtol=1e-5)


def test_vae_ignores_padding_and_decodes_any_length() -> None:
    torch.manual_seed(0)
    vae = MotionVAE(d_feat=20, d_model=32, n_latent=2, layers="attention*2", dropout=0.0).eval()
    x = torch.randn(2, 30, 20)
    padding = torch.zeros(2, 30, dtype=torch.bool)
    padding[1, 18:] = True
    x2 = x.clone()
    x2[1, 18:] = 100.0
    mu, logvar = vae.encode(x, padding)
    mu2, _ = vae.encode(x2, padding)
    assert mu.shape == (2, 2, 32) and logvar.shape == (2, 2, 32)
    torch.testing.assert_close(mu, mu2, atol=1e-5, rtol=0)
    assert vae.decode(mu, 45).shape == (2, 45, 20)
    recon, _, _ = vae(x, padding)
    assert recon.shape == x.shape
    assert vae.kl_divergence(torch.zeros(3), torch.zeros(3)) == 0


def test_vae_with_bidirectional_mamba_layers() -> None:
    vae = MotionVAE(d_feat=20, d_model=32, n_latent=2, layers="mamba2*2",
                    mixer_options={"mamba2": {"bidirectional": True, "d_state": 8, "head_dim": 16}}, dropout=0.0)
    recon, mu, _ = vae(torch.randn(2, 25, 20))
    assert recon.shape == (2, 25, 20) and mu.shape == (2, 2, 32)
