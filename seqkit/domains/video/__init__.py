"""Long-video head: Gen-L-Video temporal co-denoising over a short-clip text-to-video diffusion model.

Seeded procedural moving-shape clips (or a user's folder of captioned clips), a factorised space-time DiT
whose temporal mixer is any seqkit mixer, and long videos from timed prompts through co-denoising, FreeNoise,
FIFO-Diffusion or isolated clips; MP4/GIF/PNG in and out. The classes are imported on first use, so that
``seqkit-video --help`` does not pay for torch and Lightning.
"""

from seqkit.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "VideoDataModule": "seqkit.domains.video.data",
    "VideoDiffusion": "seqkit.domains.video.video_diffusion",
    "AttributeClassifierModule": "seqkit.domains.video.attribute_classifier",
})
