"""DDIM with classifier-free guidance, checked against exact denoisers whose answer is known."""

from __future__ import annotations

import pytest
import torch

from seqkit.diffusion import DDIMSampler, NoiseSchedule, classifier_free_guidance


def gaussian_eps(schedule: NoiseSchedule, mean: float, std: float):
    """The exact ε-predictor E[ε | x_t] when the data are N(mean, std²)."""
    def denoise(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        a = schedule.alpha_bar(t, x_t)
        return (1 - a).sqrt() * (x_t - a.sqrt() * mean) / (a * std ** 2 + 1 - a)
    return denoise


@pytest.mark.parametrize("kind", ["scaled_linear", "linear", "cosine"])
def test_noising_inverts(kind: str) -> None:
    s = NoiseSchedule(1000, kind=kind)
    x0, eps = torch.randn(4, 3, 5), torch.randn(4, 3, 5)
    t = torch.tensor([0, 10, 500, 999])
    xt = s.add_noise(x0, eps, t)
    torch.testing.assert_close(s.predict_x0(xt, eps, t), x0, atol=2e-3, rtol=1e-3)
    torch.testing.assert_close(s.predict_eps(xt, x0, t), eps, atol=1e-3, rtol=1e-3)
    assert (s.alphas_cumprod[1:] < s.alphas_cumprod[:-1]).all()


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim_with_the_exact_denoiser_of_one_point_returns_that_point(eta: float) -> None:
    s = NoiseSchedule()
    target = torch.tensor([[0.3, -1.2, 2.0]])

    def denoise(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return s.predict_eps(x_t, target.expand_as(x_t), t)

    out = DDIMSampler(s, 50, eta=eta).sample(denoise, torch.randn(8, 3), generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(out, target.expand(8, 3), atol=1e-4, rtol=0)


@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim_maps_noise_to_the_data_distribution(eta: float) -> None:
    s = NoiseSchedule()
    g = torch.Generator().manual_seed(1)
    sampler = DDIMSampler(s, 1000, eta=eta)  # the full chain: 50 steps shrink the spread by discretisation
    # start from the exact marginal at the first step (the scaled-linear schedule keeps some signal at t=980)
    a = s.alphas_cumprod[sampler.timesteps()[0][0]]
    x_T = a.sqrt() * 2.0 + (a * 0.25 + 1 - a).sqrt() * torch.randn(20000, 1, generator=g)
    out = sampler.sample(gaussian_eps(s, 2.0, 0.5), x_T, generator=g)
    assert abs(out.mean().item() - 2.0) < 0.01
    assert abs(out.std().item() - 0.5) < 0.01


def test_deterministic_at_eta_zero_and_timesteps_cover_the_chain() -> None:
    s = NoiseSchedule()
    sampler = DDIMSampler(s, 50)
    steps = sampler.timesteps()
    assert len(steps) == 50 and steps[0][0] == 980 and steps[-1] == (0, -1)
    noise = torch.randn(4, 2)
    den = gaussian_eps(s, 0.0, 1.0)
    assert torch.equal(sampler.sample(den, noise), sampler.sample(den, noise))
    with pytest.raises(ValueError):
        DDIMSampler(s, 0)


def test_guidance_scale_interpolates_and_extrapolates() -> None:
    u, c = torch.zeros(3), torch.ones(3)
    assert torch.equal(classifier_free_guidance(u, c, 1.0), c)
    assert torch.equal(classifier_free_guidance(u, c, 0.0), u)
    assert torch.equal(classifier_free_guidance(u, c, 7.5), torch.full((3,), 7.5))


def test_v_prediction_converts_to_the_noise_exactly_and_per_frame_levels_broadcast() -> None:
    s = NoiseSchedule(1000, kind="linear", beta_start=1e-4, beta_end=0.02)
    x0, eps = torch.randn(3, 5, 2, 4), torch.randn(3, 5, 2, 4)
    t = torch.tensor([0, 500, 999])
    xt = s.add_noise(x0, eps, t)
    torch.testing.assert_close(s.eps_from_v(xt, s.v_target(x0, eps, t), t), eps, atol=1e-5, rtol=1e-5)
    per_frame = torch.tensor([[0, 10, 100, 500, 999]] * 3)  # (B, F): one level per frame of (B, F, ...)
    a = s.alpha_bar(per_frame, x0)
    assert a.shape == (3, 5, 1, 1) and float(a[0, 0]) > float(a[0, 4])
    torch.testing.assert_close(a[:, 3], s.alpha_bar(torch.full((3,), 500), x0[:, 0]))
