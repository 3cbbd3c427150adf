"""Diffusion pieces shared by the generative heads that denoise (motion latents, video clips): the noise
schedule, the DDIM sampler with classifier-free guidance, and the samplers that extend a short-clip denoiser
to sequences of any length (temporal co-denoising, FreeNoise-style noise rescheduling, FIFO-Diffusion's
diagonal denoising) with DDIM inversion for editing."""

from seqkit.diffusion.co_denoising import ClipDenoiser, CoDenoisingSampler, guided_eps, merge_windows
from seqkit.diffusion.ddim import DDIMSampler, classifier_free_guidance, gaussian
from seqkit.diffusion.ddim_inversion import edit, invert
from seqkit.diffusion.diagonal_denoising import DiagonalDenoisingSampler
from seqkit.diffusion.frame_conditions import FrameConditions, check_spans, span_shares
from seqkit.diffusion.noise_rescheduling import FreeNoiseSampler, reschedule_noise
from seqkit.diffusion.noise_schedule import PREDICTIONS, NoiseSchedule, check_prediction
from seqkit.diffusion.windows import WindowLayout, window_starts, window_weights

__all__ = ["PREDICTIONS", "ClipDenoiser", "CoDenoisingSampler", "DDIMSampler", "DiagonalDenoisingSampler",
           "FrameConditions", "FreeNoiseSampler", "NoiseSchedule", "WindowLayout", "check_prediction", "check_spans",
           "classifier_free_guidance", "edit", "gaussian", "guided_eps", "invert", "merge_windows", "reschedule_noise",
           "span_shares", "window_starts", "window_weights"]
