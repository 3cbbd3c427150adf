"""DDIM sampling (Song et al. 2021) with classifier-free guidance (Ho & Salimans 2022).

The sampler is split into ``timesteps`` and ``step`` so that a caller can do work between steps: the video
head merges overlapping windows' x_{t-1} after each step (temporal co-denoising), the motion head simply
loops. ``sample`` is the plain loop. With η = 0 the sampler is deterministic given the initial noise.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from seqkit.diffusion.noise_schedule import NoiseSchedule

Denoiser = Callable[[Tensor, Tensor], Tensor]  # (x_t, t) → ε̂


def gaussian(shape: tuple[int, ...] | torch.Size, like: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Standard normal noise of ``shape`` on ``like``'s device and dtype, drawn on the generator's own device
    (a CPU generator then gives the same noise whatever device the model runs on)."""
    device = generator.device if generator is not None else like.device
    return torch.randn(tuple(shape), generator=generator, device=device, dtype=like.dtype).to(like.device)


def classifier_free_guidance(eps_uncond: Tensor, eps_cond: Tensor, scale: float) -> Tensor:
    """ε = ε_u + s (ε_c − ε_u): s = 1 is the conditional model alone, s = 0 the unconditional one."""
    return eps_uncond + scale * (eps_cond - eps_uncond)


class DDIMSampler:
    """DDIM over ``n_inference`` evenly spaced timesteps of a ``NoiseSchedule``."""

    def __init__(self, schedule: NoiseSchedule, n_inference: int = 50, eta: float = 0.0) -> None:
        if not 1 <= n_inference <= schedule.n_steps:
            raise ValueError(f"n_inference must be in 1..{schedule.n_steps}, got {n_inference}")
        if eta < 0:
            raise ValueError(f"eta must be >= 0, got {eta}")
        self.schedule, self.n_inference, self.eta = schedule, n_inference, eta

    def timesteps(self) -> list[tuple[int, int]]:
        """(t, t_prev) pairs from the noisiest step down; t_prev = -1 at the end (x_0)."""
        stride = self.schedule.n_steps // self.n_inference
        ts = [i * stride for i in range(self.n_inference)][::-1]  # "leading" spacing, as diffusers' DDIM
        return [(t, ts[i + 1] if i + 1 < len(ts) else -1) for i, t in enumerate(ts)]

    def step(self, x_t: Tensor, eps: Tensor, t: int, t_prev: int, generator: torch.Generator | None = None,
             noise: Tensor | None = None) -> Tensor:
        """x_{t_prev} from x_t and the predicted noise ε̂ (Song et al., eq. 12).

        With η > 0, ``noise`` (else a fresh draw) is the step's fresh noise: samplers that split one sample into
        overlapping windows pass each window its crop of one draw, so a frame gets the same noise in every window.
        """
        tt = torch.full((x_t.shape[0],), t, device=x_t.device, dtype=torch.long)
        tp = torch.full_like(tt, t_prev)
        return self.step_at(x_t, eps, self.schedule.alpha_bar(tt, x_t), self.schedule.alpha_bar(tp, x_t),
                            generator, noise)

    def step_at(self, x_t: Tensor, eps: Tensor, a_t: Tensor, a_prev: Tensor,
                generator: torch.Generator | None = None, noise: Tensor | None = None) -> Tensor:
        """One DDIM step between noise levels given as ᾱ tensors broadcastable against x_t: (B, 1, …) for one
        level per sample, or one per frame (diagonal denoising)."""
        x0 = (x_t - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        sigma = self.eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).clamp(min=0).sqrt()
        direction = (1 - a_prev - sigma ** 2).clamp(min=0).sqrt() * eps
        x_prev = a_prev.sqrt() * x0 + direction
        if self.eta > 0:
            if noise is None:
                noise = gaussian(x_t.shape, x_t, generator)
            x_prev = x_prev + sigma * noise
        return x_prev

    @torch.no_grad()
    def sample(self, denoise: Denoiser, noise: Tensor, generator: torch.Generator | None = None,
               progress: Callable[[int, int], None] | None = None) -> Tensor:
        """Run the chain from ``noise`` (x_T) to x_0 with ``denoise(x_t, t (B,)) → ε̂``."""
        x = noise
        steps = self.timesteps()
        for i, (t, t_prev) in enumerate(steps):
            tt = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)
            x = self.step(x, denoise(x, tt), t, t_prev, generator)
            if progress is not None:
                progress(i + 1, len(steps))
        return x
