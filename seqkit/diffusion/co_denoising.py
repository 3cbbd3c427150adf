"""Temporal co-denoising (Gen-L-Video, Wang et al. 2023, arXiv 2305.18264): a short-clip denoiser extended to
sequences of any length.

At every DDIM step each window of W frames (stride S, every frame covered, see ``windows.py``) is denoised with
its own condition and classifier-free guidance, and the windows' x_{t−1} are merged frame by frame by a
weighted average — the minimiser of Σ_i ‖W_i ⊙ (F_i x − Φ(F_i x_t, τ_i, t))‖² (MultiDiffusion's form, with
W_i ≡ 1 in the paper's code). All windows start from one shared initial noise. With η > 0 the step's fresh
noise is drawn once for the whole sequence and each window gets its crop, so a frame's noise is the same in
every window and averaging does not shrink it.

Windows are denoised ``window_batch`` at a time; beyond the (B, L, …) latent buffers memory does not grow
with L. Exact reductions (tested): W = L is the plain sampler; S = W is isolated clips; a denoiser blind to
window boundaries gives one call on the whole sequence.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from seqkit.diffusion.ddim import DDIMSampler, classifier_free_guidance, gaussian
from seqkit.diffusion.frame_conditions import FrameConditions
from seqkit.diffusion.windows import WindowLayout

# (x (N, W, ...), t (N,) or per frame (N, W) long, condition (N, ...)) → ε̂ (N, W, ...)
ClipDenoiser = Callable[[Tensor, Tensor, Tensor], Tensor]
Progress = Callable[[int, int], None]


def guided_eps(denoise: ClipDenoiser, x: Tensor, t: Tensor, cond: Tensor, scale: float,
               null: Tensor | None) -> Tensor:
    """ε̂ with classifier-free guidance (both halves in one call); the conditional ε̂ alone when ``scale`` is 1
    or there is no unconditional embedding."""
    if null is None or scale == 1.0:
        return denoise(x, t, cond)
    uncond = null.to(cond).expand_as(cond)
    eps = denoise(torch.cat([x, x]), torch.cat([t, t]), torch.cat([cond, uncond]))
    eps_cond, eps_uncond = eps.chunk(2)
    return classifier_free_guidance(eps_uncond, eps_cond, scale)


def merge_windows(x: Tensor, layout: WindowLayout, per_window: Callable[[Tensor, list[int]], Tensor],
                  window_batch: int) -> Tensor:
    """Σ_i ŵ_i ⊙ per_window(F_i x) over the windows, with weights ŵ normalised per frame.

    ``per_window(crops (n·B, W, ...), window indices (n,))`` maps crops of ``x`` (B, L, ...) to results of the
    same shape; the crops of one batch of windows are stacked window-major.
    """
    batch, length = x.shape[:2]
    if length != layout.length:
        raise ValueError(f"the sequence has {length} frames, the window layout {layout.length}")
    w = layout.normalised_weights.to(x.dtype).to(x.device)  # (n_windows, W)
    merged = torch.zeros_like(x)
    trailing = (1,) * (x.dim() - 2)
    for i in range(0, len(layout.starts), window_batch):
        idx = list(range(i, min(i + window_batch, len(layout.starts))))
        out = per_window(layout.crops(x, idx), idx).unflatten(0, (len(idx), batch))
        for j, k in enumerate(idx):
            s = layout.starts[k]
            merged[:, s:s + layout.window] += w[k].view(1, -1, *trailing) * out[j]
    return merged


class CoDenoisingSampler:
    """DDIM over windows of ``window`` frames at ``stride``, merged with ``weighting`` after every step."""

    def __init__(self, ddim: DDIMSampler, window: int, stride: int, weighting: str = "uniform",
                 window_batch: int = 8, guidance_scale: float = 7.5) -> None:
        self.ddim, self.window, self.stride, self.weighting = ddim, window, stride, weighting
        self.window_batch, self.guidance_scale = window_batch, guidance_scale

    def layout(self, length: int) -> WindowLayout:
        return WindowLayout(length, self.window, self.stride, self.weighting)

    def window_conditions(self, conditions: FrameConditions, layout: WindowLayout) -> Tensor:
        """(n_windows, ...) each window's condition."""
        return conditions.windows([(s, s + layout.window) for s in layout.starts])

    @torch.no_grad()
    def sample(self, denoise: ClipDenoiser, noise: Tensor, conditions: FrameConditions,
               generator: torch.Generator | None = None, progress: Progress | None = None) -> Tensor:
        """x_0 (B, L, ...) from the shared initial noise x_T (B, L, ...)."""
        layout = self.layout(noise.shape[1])
        conds = self.window_conditions(conditions, layout).to(noise.device)  # (n_windows, ...)
        batch = noise.shape[0]
        x = noise
        steps = self.ddim.timesteps()
        for n, (t, t_prev) in enumerate(steps):
            fresh = None
            if self.ddim.eta > 0:
                fresh = gaussian(x.shape, x, generator)

            def one_step(crops: Tensor, idx: list[int], t: int = t, t_prev: int = t_prev,
                         fresh: Tensor | None = fresh) -> Tensor:
                cond = conds[idx].repeat_interleave(batch, dim=0)  # (n·B, ...)
                tt = torch.full((crops.shape[0],), t, dtype=torch.long, device=crops.device)
                eps = guided_eps(denoise, crops, tt, cond, self.guidance_scale, conditions.null)
                noise_crops = None if fresh is None else layout.crops(fresh, idx)
                return self.ddim.step(crops, eps, t, t_prev, generator, noise=noise_crops)

            x = merge_windows(x, layout, one_step, self.window_batch)
            if progress is not None:
                progress(n + 1, len(steps))
        return x

