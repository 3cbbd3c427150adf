"""Temporal co-denoising: its exact reductions, and what it is for (seams vanish as windows overlap), on exact
denoisers of known processes."""

from __future__ import annotations

import pytest
import torch

from seqkit.diffusion import CoDenoisingSampler, DDIMSampler, FrameConditions, NoiseSchedule
from seqkit.domains.video.metrics import seam_ratio
from tests.diffusion.oracles import ar1_oracle, plain_sample

SCHEDULE = NoiseSchedule()
NULL = torch.tensor(0.0)


def conditions(values: list[float], spans: list[tuple[int, int]], mapping: str = "majority") -> FrameConditions:
    return FrameConditions(torch.tensor(values), spans, mapping=mapping, null=NULL)


@pytest.mark.parametrize("eta", [0.0, 1.0])
@pytest.mark.parametrize("weighting", ["uniform", "triangular", "gaussian"])
def test_one_window_over_the_whole_video_is_the_plain_sampler(eta: float, weighting: str) -> None:
    ddim = DDIMSampler(SCHEDULE, 20, eta=eta)
    denoise = ar1_oracle(SCHEDULE, 0.9)
    noise = torch.randn(3, 12, 2, 2, generator=torch.Generator().manual_seed(1))
    co = CoDenoisingSampler(ddim, window=12, stride=4, weighting=weighting, guidance_scale=3.0)
    got = co.sample(denoise, noise, conditions([1.5], [(0, 12)]), generator=torch.Generator().manual_seed(2))
    want = plain_sample(ddim, denoise, noise, torch.tensor(1.5), 3.0, NULL, generator=torch.Generator().manual_seed(2))
    assert torch.equal(got, want)


def test_stride_equal_to_the_window_is_isolated_clips_each_with_its_own_condition() -> None:
    ddim = DDIMSampler(SCHEDULE, 20)
    denoise = ar1_oracle(SCHEDULE, 0.9)
    noise = torch.randn(2, 24, 3, generator=torch.Generator().manual_seed(0))
    cond = conditions([1.0, -1.0, 2.0], [(0, 8), (8, 16), (16, 24)])
    got = CoDenoisingSampler(ddim, 8, 8, window_batch=2, guidance_scale=2.0).sample(denoise, noise, cond)
    for k, mu in enumerate([1.0, -1.0, 2.0]):
        clip = plain_sample(ddim, denoise, noise[:, 8 * k:8 * k + 8], torch.tensor(mu), 2.0, NULL)
        torch.testing.assert_close(got[:, 8 * k:8 * k + 8], clip, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize(("stride", "weighting"), [(4, "uniform"), (2, "triangular"), (5, "gaussian")])
def test_a_denoiser_blind_to_window_boundaries_gives_one_call_on_the_whole_video(stride: int, weighting: str) -> None:
    ddim = DDIMSampler(SCHEDULE, 20, eta=0.5)
    denoise = ar1_oracle(SCHEDULE, 0.0)  # frames independent: nothing depends on where a window starts
    noise = torch.randn(2, 30, 4, generator=torch.Generator().manual_seed(3))
    co = CoDenoisingSampler(ddim, 8, stride, weighting, window_batch=3, guidance_scale=1.0)
    got = co.sample(denoise, noise, conditions([0.7], [(0, 30)]), generator=torch.Generator().manual_seed(4))
    want = plain_sample(ddim, denoise, noise, torch.tensor(0.7), 1.0, NULL, generator=torch.Generator().manual_seed(4))
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)


def test_window_batching_does_not_change_the_result() -> None:
    ddim = DDIMSampler(SCHEDULE, 10)
    denoise = ar1_oracle(SCHEDULE, 0.8)
    noise = torch.randn(1, 40, 2, generator=torch.Generator().manual_seed(5))
    cond = conditions([1.0, -1.0], [(0, 20), (20, 40)], mapping="interpolate")
    a = CoDenoisingSampler(ddim, 8, 2, window_batch=1).sample(denoise, noise, cond)
    b = CoDenoisingSampler(ddim, 8, 2, window_batch=64).sample(denoise, noise, cond)
    torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6)


def test_overlapping_windows_remove_the_seams_of_isolated_clips() -> None:
    """AR(1) frames (ρ = 0.9), W = 8 over 32 frames: isolated clips jump at every clip boundary; co-denoising
    with S = W/4 brings the boundary jump close to the jumps inside a clip, at some cost in frame variance."""
    ddim = DDIMSampler(SCHEDULE, 25)
    denoise = ar1_oracle(SCHEDULE, 0.9)
    noise = torch.randn(400, 32, 1, generator=torch.Generator().manual_seed(6))
    cond = conditions([0.0], [(0, 32)])
    isolated = CoDenoisingSampler(ddim, 8, 8, guidance_scale=1.0, window_batch=4).sample(denoise, noise, cond)
    co = CoDenoisingSampler(ddim, 8, 2, guidance_scale=1.0, window_batch=16).sample(denoise, noise, cond)
    tri = CoDenoisingSampler(ddim, 8, 2, "triangular", guidance_scale=1.0, window_batch=16).sample(denoise, noise,
                                                                                                  cond)
    assert seam_ratio(isolated, 8) > 4.0
    assert seam_ratio(co, 8) < 1.6 and seam_ratio(tri, 8) < 1.6
    var_iso, var_co, var_tri = (float(x.var(dim=0).mean()) for x in (isolated, co, tri))
    assert 0.75 < var_iso < 1.15  # the clip model alone samples its prior (variance 1; 25 DDIM steps shrink it)
    assert var_co < var_iso and var_co < var_tri  # averaging shrinks variance; peaked weights shrink it less


def test_two_conditions_switch_within_the_transition() -> None:
    ddim = DDIMSampler(SCHEDULE, 25)
    denoise = ar1_oracle(SCHEDULE, 0.9)
    noise = torch.randn(200, 48, 1, generator=torch.Generator().manual_seed(7))
    cond = conditions([1.0, -1.0], [(0, 24), (24, 48)])
    x = CoDenoisingSampler(ddim, 8, 2, guidance_scale=1.0, window_batch=32).sample(denoise, noise, cond)
    mean = x.mean(dim=(0, 2))
    assert (mean[:16] > 0.7).all() and (mean[-16:] < -0.7).all()
    assert float(mean[16:32].diff().max()) < 0.15  # a smooth descent, no jump back up
