"""The forward (noising) process of a DDPM: β schedule, ᾱ_t, and x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε.

``scaled_linear`` (β linear in √β from 0.00085 to 0.012 over 1,000 steps) is the schedule of latent
diffusion and of MLD/Motion Mamba; ``linear`` (1e-4 to 0.02) is DDPM's; ``cosine`` is Nichol & Dhariwal's.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def make_betas(kind: str, n_steps: int, beta_start: float, beta_end: float) -> Tensor:
    """β_1..β_T (float64) for a named schedule."""
    if kind == "linear":
        return torch.linspace(beta_start, beta_end, n_steps, dtype=torch.float64)
    if kind == "scaled_linear":
        return torch.linspace(beta_start ** 0.5, beta_end ** 0.5, n_steps, dtype=torch.float64) ** 2
    if kind == "cosine":
        s = 0.008
        t = torch.arange(n_steps + 1, dtype=torch.float64) / n_steps
        f = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2
        return (1 - f[1:] / f[:-1]).clamp(max=0.999)
    raise ValueError(f"unknown beta schedule {kind!r} (linear, scaled_linear, cosine)")


BETA_RANGES = {"linear": (1e-4, 0.02), "scaled_linear": (0.00085, 0.012), "cosine": (0.0, 0.0)}
PREDICTIONS = ("eps", "v")  # what a denoiser's output is: the noise ε, or v (Salimans & Ho 2022)


def check_prediction(prediction: str) -> str:
    if prediction not in PREDICTIONS:
        raise ValueError(f"prediction must be 'eps' (ε, as DDPM, MLD and Motion Mamba) or 'v', got {prediction!r}")
    return prediction


class NoiseSchedule(nn.Module):
    """ᾱ_t for t = 0..T-1 (a buffer, so it moves with the model), noising, and the ε ↔ x_0 ↔ v conversions.

    ``beta_start``/``beta_end`` default to the named schedule's own range (cosine has none).
    """

    def __init__(self, n_steps: int = 1000, kind: str = "scaled_linear", beta_start: float | None = None,
                 beta_end: float | None = None) -> None:
        super().__init__()
        if n_steps < 2:
            raise ValueError(f"n_steps must be at least 2, got {n_steps}")
        if kind not in BETA_RANGES:
            raise ValueError(f"unknown beta schedule {kind!r} (linear, scaled_linear, cosine)")
        self.n_steps = n_steps
        default_start, default_end = BETA_RANGES[kind]
        betas = make_betas(kind, n_steps, default_start if beta_start is None else beta_start,
                           default_end if beta_end is None else beta_end)
        self.register_buffer("alphas_cumprod", torch.cumprod(1 - betas, dim=0).float(), persistent=False)

    def alpha_bar(self, t: Tensor, like: Tensor) -> Tensor:
        """ᾱ_t broadcast against ``like`` (B, ...): t (B,) long, or (B, F) for one level per frame of (B, F, ...);
        t = -1 means ᾱ = 1 (no noise)."""
        a = torch.where(t >= 0, self.alphas_cumprod[t.clamp(min=0)], torch.ones((), device=t.device))
        return a.to(like.dtype).reshape(*t.shape, *([1] * (like.dim() - t.dim())))

    def add_noise(self, x0: Tensor, noise: Tensor, t: Tensor) -> Tensor:
        """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε."""
        a = self.alpha_bar(t, x0)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def sample_timesteps(self, batch: int, device: torch.device, generator: torch.Generator | None = None) -> Tensor:
        """Training timesteps, uniform over 0..T-1: (B,) long, drawn on the generator's device (a CPU generator
        gives the same steps on any device)."""
        where = generator.device if generator is not None else device
        return torch.randint(0, self.n_steps, (batch,), device=where, generator=generator).to(device)

    def predict_x0(self, x_t: Tensor, eps: Tensor, t: Tensor) -> Tensor:
        a = self.alpha_bar(t, x_t)
        return (x_t - (1 - a).sqrt() * eps) / a.sqrt()

    def v_target(self, x0: Tensor, noise: Tensor, t: Tensor) -> Tensor:
        """v = √ᾱ_t ε − √(1 − ᾱ_t) x_0, the target of v-prediction (Salimans & Ho 2022)."""
        a = self.alpha_bar(t, x0)
        return a.sqrt() * noise - (1 - a).sqrt() * x0

    def eps_from_v(self, x_t: Tensor, v: Tensor, t: Tensor) -> Tensor:
        """ε̂ = √ᾱ_t v̂ + √(1 − ᾱ_t) x_t: an error in v̂ reaches x̂_0 undamped by 1/√ᾱ_t at high noise, where an error
        in a directly predicted ε̂ is multiplied by it (and DDIM samples of a weak ε-model diverge)."""
        a = self.alpha_bar(t, x_t)
        return a.sqrt() * v + (1 - a).sqrt() * x_t

    def training_target(self, prediction: str, x0: Tensor, noise: Tensor, t: Tensor) -> Tensor:
        """What a ``prediction`` ("eps" or "v") denoiser is trained to output for x_t = noised x0."""
        return noise if prediction == "eps" else self.v_target(x0, noise, t)

    def eps_from_output(self, prediction: str, x_t: Tensor, out: Tensor, t: Tensor) -> Tensor:
        """ε̂ from a ``prediction`` denoiser's output, for the samplers."""
        return out if prediction == "eps" else self.eps_from_v(x_t, out, t)

    def predict_eps(self, x_t: Tensor, x0: Tensor, t: Tensor) -> Tensor:
        a = self.alpha_bar(t, x_t)
        return (x_t - a.sqrt() * x0) / (1 - a).sqrt()
