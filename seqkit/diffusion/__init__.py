"""Diffusion pieces shared by the generative heads that denoise (motion latents, video clips): the noise
schedule and the DDIM sampler with classifier-free guidance."""

from seqkit.diffusion.ddim import DDIMSampler, classifier_free_guidance
from seqkit.diffusion.noise_schedule import NoiseSchedule

__all__ = ["DDIMSampler", "NoiseSchedule", "classifier_free_guidance"]
