"""Motion head: text-to-motion with Motion Mamba (hierarchical and bidirectional SSM blocks, latent diffusion).

Readers for BVH and ASF/AMC mocap, the HumanML3D 263-d (and KIT 251-d) motion features, text and prompt files;
a motion VAE, the Motion Mamba and MLD-like denoisers, a motion–text evaluator. The classes are imported on
first use, so that ``seqkit-motion --help`` does not pay for torch and Lightning.
"""

from seqkit.lazy_exports import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "MotionDataModule": "seqkit.domains.motion.data",
    "MotionVAEModule": "seqkit.domains.motion.vae_module",
    "TextToMotion": "seqkit.domains.motion.text_to_motion",
    "MotionTextEvaluatorModule": "seqkit.domains.motion.evaluator_module",
})
