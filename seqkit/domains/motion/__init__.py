"""Motion head: text-to-motion with Motion Mamba (hierarchical and bidirectional SSM blocks, latent diffusion).

Readers for BVH and ASF/AMC mocap, the HumanML3D 263-d (and KIT 251-d) motion features, text and prompt files.
"""
