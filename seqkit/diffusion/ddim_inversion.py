"""DDIM inversion over windows: a clean sequence → the noise from which the sampler regenerates it.

The DDIM step run backwards (Song et al. 2021; as in Gen-L-Video's editing, which inverts the source video
with the same windowed averaging): at level t_prev with ε̂ = ε(x, t, c), x_t = √ᾱ_t x̂_0 + √(1 − ᾱ_t) ε̂ with
x̂_0 = (x − √(1 − ᾱ_{t_prev}) ε̂)/√ᾱ_{t_prev}. Windows' x_t are merged as in co-denoising. Editing inverts
under the source condition and co-denoises the result under a new one.
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqkit.diffusion.co_denoising import ClipDenoiser, CoDenoisingSampler, Progress, guided_eps, merge_windows
from seqkit.diffusion.ddim import DDIMSampler
from seqkit.diffusion.frame_conditions import FrameConditions


@torch.no_grad()
def invert(sampler: CoDenoisingSampler, denoise: ClipDenoiser, x0: Tensor, conditions: FrameConditions,
           guidance_scale: float = 1.0, progress: Progress | None = None) -> Tensor:
    """x_T (B, L, ...) of a clean (B, L, ...) sequence, on ``sampler``'s windows and DDIM grid (η ignored).

    Guidance 1 (the conditional ε̂ alone) inverts most faithfully; larger scales drift, as in image editing.
    """
    layout = sampler.layout(x0.shape[1])
    conds = sampler.window_conditions(conditions, layout).to(x0.device)
    ddim = DDIMSampler(sampler.ddim.schedule, sampler.ddim.n_inference, eta=0.0)
    batch = x0.shape[0]
    steps = ddim.timesteps()[::-1]  # from clean up: (t, t_prev) with t_prev the level we are at
    x = x0
    for n, (t, t_prev) in enumerate(steps):
        def one_step(crops: Tensor, idx: list[int], t: int = t, t_prev: int = t_prev) -> Tensor:
            cond = conds[idx].repeat_interleave(batch, dim=0)
            tt = torch.full((crops.shape[0],), t, dtype=torch.long, device=crops.device)
            eps = guided_eps(denoise, crops, tt, cond, guidance_scale, conditions.null)
            return ddim.step(crops, eps, t_prev, t)  # the deterministic step, from level t_prev up to t

        x = merge_windows(x, layout, one_step, sampler.window_batch)
        if progress is not None:
            progress(n + 1, len(steps))
    return x


@torch.no_grad()
def edit(sampler: CoDenoisingSampler, denoise: ClipDenoiser, x0: Tensor, source: FrameConditions,
         target: FrameConditions, generator: torch.Generator | None = None,
         progress: Progress | None = None) -> Tensor:
    """Invert ``x0`` under the ``source`` conditions, then co-denoise the noise under the ``target`` ones."""
    noise = invert(sampler, denoise, x0, source)
    return sampler.sample(denoise, noise, target, generator, progress)
