"""The space-time denoiser and the video diffusion module: shapes, per-frame steps, temporal mixing, learning,
and long videos through every sampler."""

from __future__ import annotations

import pytest
import torch

from seqkit.domains.video.data import VideoDataModule
from seqkit.domains.video.long_video import METHODS
from seqkit.domains.video.space_time_denoiser import SpaceTimeDenoiser
from seqkit.domains.video.timed_prompts import parse_inline
from seqkit.domains.video.video_diffusion import VideoDiffusion

TINY = {"d_model": 32, "depth": 1, "n_heads": 2, "clip_frames": 8, "n_inference_steps": 4, "text_layers": "attention*1"}


def randomised(model: SpaceTimeDenoiser) -> SpaceTimeDenoiser:
    """adaLN-Zero starts as the zero function; give every layer weights so mixing shows."""
    torch.manual_seed(0)
    for p in model.parameters():
        if p.dim() >= 2 and float(p.detach().abs().sum()) == 0:
            torch.nn.init.normal_(p, std=0.05)
    return model


@pytest.mark.parametrize("mixer", ["attention", "mamba2"])
def test_denoiser_mixes_over_time_and_takes_per_frame_steps(mixer: str) -> None:
    options = {"d_state": 8, "head_dim": 16, "chunk_size": 8} if mixer == "mamba2" else None
    model = randomised(SpaceTimeDenoiser(image_size=16, patch=4, d_model=32, depth=2, n_heads=2,
                                         temporal_mixer=mixer, temporal_options=options, cond_dim=8)).eval()
    x, cond = torch.randn(2, 6, 3, 16, 16), torch.randn(2, 8)
    t = torch.tensor([10, 500])
    out = model(x, t, cond)
    assert out.shape == x.shape
    torch.testing.assert_close(model(x, t[:, None].expand(2, 6), cond), out)  # one level per frame, all equal
    poked = x.clone()
    poked[:, 0] += 1.0
    changed = (model(poked, t, cond) - out).abs().flatten(2).amax(-1)  # (B, F)
    assert (changed[:, 5] > 1e-4).all()  # the last frame sees the first: bidirectional temporal mixing
    with pytest.raises(ValueError, match="expected clips"):
        model(torch.randn(1, 6, 3, 8, 8), t[:1], cond[:1])


def test_the_model_learns_a_batch() -> None:
    dm = VideoDataModule(n_clips=8, batch_size=8, clip_frames=8)
    batch = next(iter(dm.train_dataloader()))
    torch.manual_seed(0)
    model = VideoDiffusion(vocabulary=dm.vocabulary, **TINY)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    fixed = torch.Generator()
    losses = []
    for _ in range(40):
        fixed.manual_seed(0)
        loss = model._loss(batch, 0.0, fixed)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0]


def test_long_videos_through_every_sampler_are_seeded() -> None:
    dm = VideoDataModule(n_clips=8, clip_frames=8)
    model = VideoDiffusion(vocabulary=dm.vocabulary, **TINY).eval()
    prompts = parse_inline("a small red circle moving left fast@0:20|a large blue square bouncing slowly@20:36")
    for method in METHODS:
        video = model.generate(prompts, seed=3, method=method, partitions=2)
        assert video.shape == (1, 36, 3, 32, 32) and float(video.abs().max()) <= 1
        assert torch.equal(video, model.generate(prompts, seed=3, method=method, partitions=2))
    assert not torch.equal(model.generate(prompts, seed=3), model.generate(prompts, seed=4))
    edited = model.edit(model.generate(prompts, seed=1), prompts, parse_inline("a large green triangle moving up "
                                                                               "slow@0:36"))
    assert edited.shape == (1, 36, 3, 32, 32)
    with pytest.raises(ValueError, match="unknown long-video method"):
        model.generate(prompts, method="magic")
