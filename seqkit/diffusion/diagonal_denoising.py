"""FIFO-Diffusion's diagonal denoising (Kim et al. 2024, arXiv 2405.11473) as a peer of temporal co-denoising.

A queue of f·n latent frames holds frame j at noise level τ_{j+1} of an f·n-step DDIM grid (τ_0 = clean).
Each iteration denoises the queue in windows of f frames, every frame one step down from its own level
(the denoiser gets per-frame timesteps (N, f)), dequeues the now clean head frame and enqueues fresh noise
at the top level. Memory is the queue plus the output buffer, whatever L. With lookahead, windows sit at
stride f/2 and each writes back only its last half (the first window all of it), so every frame is
denoised with f/2 less-noisy frames before it as context.

Our choices, said where they differ from the paper's code:
- all windows of one iteration read the same queue state (so they can be batched);
- the queue is filled by a triangular warm-up with the same model (all frames start from pure noise and
  step down together, each stopping at its level) instead of re-noising a base clip, which would need a
  base sample of f·n frames;
- frame i's initial noise is ``noise[:, i]``, the same draw the other samplers start from.
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqkit.diffusion.co_denoising import ClipDenoiser, Progress, guided_eps
from seqkit.diffusion.ddim import DDIMSampler, gaussian
from seqkit.diffusion.frame_conditions import FrameConditions


class DiagonalDenoisingSampler:
    """FIFO-Diffusion over windows of ``window`` frames and ``partitions`` windows per queue."""

    def __init__(self, ddim: DDIMSampler, window: int, partitions: int = 4, lookahead: bool = True,
                 window_batch: int = 8, guidance_scale: float = 7.5) -> None:
        if lookahead and window % 2:
            raise ValueError(f"lookahead needs an even window, got {window}")
        if partitions < 1:
            raise ValueError(f"partitions must be at least 1, got {partitions}")
        self.window, self.partitions, self.lookahead = window, partitions, lookahead
        self.window_batch, self.guidance_scale = window_batch, guidance_scale
        # the step count is forced to f·n, one level per queue slot
        self.ddim = DDIMSampler(ddim.schedule, window * partitions, eta=ddim.eta)
        self.levels = [-1] + [t for t, _ in self.ddim.timesteps()][::-1]  # τ_0 = -1 (clean), τ_1 < … < τ_{f·n}
        f, q = window, window * partitions
        # (start, first written, end) of each window over the queue
        self.windows = ([(s, s, s + f) for s in range(0, q, f)] if not lookahead else
                        [(s, s if s == 0 else s + f // 2, s + f) for s in range(0, q - f + 1, f // 2)])

    @property
    def queue_length(self) -> int:
        return self.window * self.partitions

    def _denoise_queue(self, denoise: ClipDenoiser, queue: Tensor, level: Tensor, target: Tensor, offset: int,
                       conditions: FrameConditions, taus: Tensor, alphas: Tensor) -> Tensor:
        """One step of every queue frame from ``level`` to ``target`` (indices into ``levels``, (Q,) long);
        frames whose target equals their level stay. ``offset``: the video frame index of queue slot 0;
        ``taus``, ``alphas``: the levels' steps and ᾱ on the queue's device."""
        batch, out = queue.shape[0], queue.clone()
        trailing = (1,) * (queue.dim() - 2)
        todo = [w for w in self.windows if bool((target[w[1]:w[2]] != level[w[1]:w[2]]).any())]
        for i in range(0, len(todo), self.window_batch):
            group = todo[i:i + self.window_batch]
            crops = torch.stack([queue[:, s:e] for s, _, e in group]).flatten(0, 1)  # (n·B, f, ...)
            t = torch.stack([taus[level[s:e]] for s, _, e in group]).repeat_interleave(batch, dim=0)  # (n·B, f)
            cond = conditions.windows([(offset + s, offset + e) for s, _, e in group]).to(queue.device)
            eps = guided_eps(denoise, crops, t, cond.repeat_interleave(batch, dim=0), self.guidance_scale,
                             conditions.null)
            a_t = torch.stack([alphas[level[s:e]] for s, _, e in group]).repeat_interleave(batch, dim=0)
            a_prev = torch.stack([alphas[target[s:e]] for s, _, e in group]).repeat_interleave(batch, dim=0)
            stepped = self.ddim.step_at(crops, eps, a_t.view(*a_t.shape, *trailing).to(queue.dtype),
                                        a_prev.view(*a_prev.shape, *trailing).to(queue.dtype))
            stepped = stepped.unflatten(0, (len(group), batch))
            for j, (s, w0, e) in enumerate(group):
                moved = (target[w0:e] != level[w0:e]).view(1, -1, *trailing)
                out[:, w0:e] = torch.where(moved, stepped[j][:, w0 - s:], queue[:, w0:e])
        return out

    @torch.no_grad()
    def sample(self, denoise: ClipDenoiser, noise: Tensor, conditions: FrameConditions,
               generator: torch.Generator | None = None, progress: Progress | None = None) -> Tensor:
        """x_0 (B, L, ...) frame by frame; frame i starts from ``noise[:, i]``."""
        batch, length = noise.shape[:2]
        q = self.queue_length
        top = torch.full((q,), q, dtype=torch.long)  # every slot at the top level
        slots = torch.arange(q)

        def fresh(i: int) -> Tensor:
            if i < length:
                return noise[:, i]
            return gaussian(noise[:, 0].shape, noise, generator)

        queue = torch.stack([fresh(i) for i in range(q)], dim=1)  # (B, Q, ...)
        taus = torch.tensor(self.levels, device=noise.device)
        alphas = self.ddim.schedule.alpha_bar(taus, taus.float())  # (f·n + 1,) ᾱ of each level
        total = (q - 1) + length
        # warm-up: from the top level down, slot j stops at level j + 1
        level = top.clone()
        for n, ell in enumerate(range(q, 1, -1)):
            target = torch.where(slots + 1 < ell, torch.full_like(level, ell - 1), level)
            queue = self._denoise_queue(denoise, queue, level, target, 0, conditions, taus, alphas)
            level = target
            if progress is not None:
                progress(n + 1, total)
        out = torch.empty_like(noise)
        for i in range(length):
            queue = self._denoise_queue(denoise, queue, slots + 1, slots, i, conditions, taus, alphas)
            out[:, i] = queue[:, 0]
            queue = torch.cat([queue[:, 1:], fresh(i + q)[:, None]], dim=1)
            if progress is not None:
                progress(q - 1 + i + 1, total)
        return out
