"""The co-denoising peers (FreeNoise-style noise rescheduling, FIFO-Diffusion's diagonal denoising) and DDIM
inversion over windows, on exact denoisers of known processes."""

from __future__ import annotations

import pytest
import torch

from seqkit.diffusion import (
    CoDenoisingSampler,
    DDIMSampler,
    DiagonalDenoisingSampler,
    FrameConditions,
    FreeNoiseSampler,
    NoiseSchedule,
    edit,
    invert,
    reschedule_noise,
)
from seqkit.domains.video.metrics import seam_ratio
from tests.diffusion.oracles import ar1_oracle

SCHEDULE = NoiseSchedule()
NULL = torch.tensor(0.0)


def test_rescheduled_noise_repeats_the_first_window_shuffled_locally() -> None:
    noise = torch.randn(2, 37, 3, generator=torch.Generator().manual_seed(0))
    out = reschedule_noise(noise, window=8, stride=4, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out[:, :8], noise[:, :8])
    for f in range(8, 37, 4):
        n = min(4, 37 - f)
        block, source = out[:, f:f + n], out[:, f - 8:f - 4]
        for k in range(n):  # every frame is one of the source block's frames
            assert any(torch.equal(block[:, k], source[:, j]) for j in range(4))
    assert not torch.equal(out[:, 8:12], out[:, :4])  # shuffled, not copied (fails with probability 1/24)


def test_freenoise_windows_start_from_shuffles_of_the_same_noise() -> None:
    ddim = DDIMSampler(SCHEDULE, 20)
    denoise = ar1_oracle(SCHEDULE, 0.9)
    noise = torch.randn(300, 32, 1, generator=torch.Generator().manual_seed(2))
    cond = FrameConditions(torch.tensor([0.0]), [(0, 32)], null=NULL)
    x = FreeNoiseSampler(ddim, 8, 2, window_batch=16, guidance_scale=1.0).sample(
        denoise, noise, cond, generator=torch.Generator().manual_seed(3))
    assert seam_ratio(x, 8) < 1.6
    torch.testing.assert_close(x[:, 8:16].var(dim=0).mean(), x[:, 0:8].var(dim=0).mean(), atol=0.15, rtol=0)


def point_denoiser(target: torch.Tensor):
    """ε̂ of data concentrated on one clip per condition value: any sampler must return ``target`` (W frames)
    shifted by the condition, whatever noise levels its frames are at."""
    def denoise(x: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        n, w = x.shape[:2]
        levels = t if t.dim() == 2 else t[:, None].expand(n, w)
        a = SCHEDULE.alphas_cumprod[levels.clamp(min=0)].reshape(n, w, *([1] * (x.dim() - 2)))
        x0 = target.expand_as(x) + cond.reshape(n, *([1] * (x.dim() - 1)))
        return (x - a.sqrt() * x0) / (1 - a).sqrt()
    return denoise


@pytest.mark.parametrize("lookahead", [False, True])
def test_diagonal_denoising_steps_every_frame_at_its_own_level_to_the_data(lookahead: bool) -> None:
    target = torch.tensor([0.5, -1.0, 2.0])
    fifo = DiagonalDenoisingSampler(DDIMSampler(SCHEDULE, 50), window=4, partitions=3, lookahead=lookahead,
                                    guidance_scale=1.0)
    noise = torch.randn(2, 25, 3, generator=torch.Generator().manual_seed(4))
    cond = FrameConditions(torch.tensor([0.0, 3.0]), [(0, 10), (10, 25)], null=NULL)
    x = fifo.sample(point_denoiser(target), noise, cond)
    assert x.shape == noise.shape
    # the windows' conditions move with the queue: early frames get the first span's, late ones the second's
    torch.testing.assert_close(x[:, :6], target.expand(2, 6, 3), atol=1e-3, rtol=0)
    torch.testing.assert_close(x[:, -6:], (target + 3.0).expand(2, 6, 3), atol=1e-3, rtol=0)


def test_diagonal_denoising_uses_one_step_per_queue_slot() -> None:
    fifo = DiagonalDenoisingSampler(DDIMSampler(SCHEDULE, 50), window=8, partitions=4)
    levels = fifo.levels
    assert len(levels) == 8 * 4 + 1 and levels[0] == -1 and levels == sorted(levels)
    assert fifo.windows[:3] == [(0, 0, 8), (4, 8, 12), (8, 12, 16)]  # stride f/2, last half written
    written = torch.zeros(32, dtype=torch.long)
    for _, first, end in fifo.windows:
        written[first:end] += 1
    assert (written == 1).all()
    with pytest.raises(ValueError, match="even window"):
        DiagonalDenoisingSampler(DDIMSampler(SCHEDULE, 50), window=5)


def test_diagonal_denoising_samples_an_ar1_prior_without_seams() -> None:
    fifo = DiagonalDenoisingSampler(DDIMSampler(SCHEDULE, 50), window=8, partitions=2, guidance_scale=1.0,
                                    window_batch=8)
    noise = torch.randn(200, 32, 1, generator=torch.Generator().manual_seed(5))
    x = fifo.sample(ar1_oracle(SCHEDULE, 0.9), noise, FrameConditions(torch.tensor([0.0]), [(0, 32)], null=NULL))
    assert seam_ratio(x, 8) < 1.6
    assert 0.5 < float(x.var(dim=0).mean()) < 1.3


def test_inversion_then_sampling_reconstructs_the_input() -> None:
    ddim = DDIMSampler(SCHEDULE, 100)
    denoise = ar1_oracle(SCHEDULE, 0.9)
    co = CoDenoisingSampler(ddim, 8, 4, guidance_scale=1.0)
    cond = FrameConditions(torch.tensor([0.5]), [(0, 24)], null=NULL)
    x0 = co.sample(denoise, torch.randn(4, 24, 2, generator=torch.Generator().manual_seed(6)), cond)
    noise = invert(co, denoise, x0, cond)
    assert float(noise.std()) > 0.6  # it really went back to noise
    again = co.sample(denoise, noise, cond)
    assert float((again - x0).abs().max()) < 0.05 * float(x0.abs().max())


def test_editing_keeps_the_structure_and_changes_the_condition() -> None:
    ddim = DDIMSampler(SCHEDULE, 50)
    denoise = ar1_oracle(SCHEDULE, 0.9)
    co = CoDenoisingSampler(ddim, 8, 4, guidance_scale=1.0)
    source = FrameConditions(torch.tensor([1.0]), [(0, 24)], null=NULL)
    target = FrameConditions(torch.tensor([-1.0]), [(0, 24)], null=NULL)
    x0 = co.sample(denoise, torch.randn(64, 24, 1, generator=torch.Generator().manual_seed(7)), source)
    edited = edit(co, denoise, x0, source, target)
    assert float(edited.mean()) < -0.5 < 0.5 < float(x0.mean())  # moved most of the way to the new condition
    fresh = co.sample(denoise, torch.randn(64, 24, 1, generator=torch.Generator().manual_seed(8)), target)
    kept = torch.corrcoef(torch.stack([(edited - edited.mean()).flatten(), (x0 - x0.mean()).flatten()]))[0, 1]
    unrelated = torch.corrcoef(torch.stack([(fresh - fresh.mean()).flatten(), (x0 - x0.mean()).flatten()]))[0, 1]
    assert kept > 0.8 and abs(float(unrelated)) < 0.3  # the edit keeps the source's fluctuations
