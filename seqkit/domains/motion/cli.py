"""``seqkit-motion``: text-to-motion with Motion Mamba (latent diffusion with HTM/BSM SSM blocks)."""

from __future__ import annotations

from seqkit.commands.domain_command import DomainCommand
from seqkit.commands.tool_arguments import Tool

COMMAND = DomainCommand(
    prog="seqkit-motion",
    package="seqkit.domains.motion",
    summary="Generate human motion from text with Motion Mamba: a motion VAE, then a U-Net of hierarchical "
            "temporal (HTM) and bidirectional spatial (BSM) Mamba blocks denoising its latent (or, for long "
            "motions, the frames themselves), against an MLD-like transformer baseline. Trains on seeded "
            "procedural motions, real CMU mocap (BVH, ASF/AMC) or a HumanML3D folder; `predict` writes joints "
            "and 263-d features (.npy), a GIF, and a BVH per prompt.",
    examples=(
        "seqkit-motion fit -c motion_vae.yaml                 # stage 1: the motion VAE",
        "seqkit-motion fit -c motion_mamba.yaml               # stage 2: the denoiser on its latent",
        "seqkit-motion predict -c motion_mamba.yaml --ckpt_path=last "
        "--data.init_args.prompts='a person walks forward|someone waves with the right hand'",
        "seqkit-motion fit -c motion_vae.yaml --data.init_args.source=cmu   # real CMU takes",
        "seqkit-motion import --output_dir cmu_hml/ --index cmu_daz/index.csv cmu_daz/   # mocap → HumanML3D folder",
    ),
    links=tuple((f"data.{name}", f"model.init_args.{name}")
                for name in ("vocabulary", "feature_mean", "feature_std", "d_feat")),
    callbacks={"motion_writer": "seqkit.domains.motion.motion_writer:MotionWriter"},
    tools=(Tool("import", "seqkit.pipelines.mocap_folder:import_command",
                "mocap takes (BVH, ASF/AMC) → a HumanML3D-format folder (joints, 263-d features, texts); bad takes "
                "skipped and listed, reruns resume", shared=("output_dir",), positional=True),),
)
main = COMMAND.main
entry = COMMAND.entry

if __name__ == "__main__":
    entry()
