"""``seqkit-video``: long videos from a short-clip text-to-video diffusion model (Gen-L-Video co-denoising)."""

from __future__ import annotations

from seqkit.commands.domain_command import DomainCommand

COMMAND = DomainCommand(
    prog="seqkit-video",
    package="seqkit.domains.video",
    summary="Generate long videos from timed prompts with a short-clip diffusion model: Gen-L-Video temporal "
            "co-denoising (overlapping windows merged at every DDIM step), against isolated clips, FreeNoise and "
            "FIFO-Diffusion. Trains a small space-time DiT on seeded moving-shape clips or a folder of captioned "
            "clips; `predict` writes an MP4, a GIF, a contact sheet and the frames per video.",
    examples=(
        "seqkit-video fit -c video_clip.yaml                  # the short-clip model (procedural clips)",
        "seqkit-video predict -c video_clip.yaml --ckpt_path=last "
        "--data.init_args.prompts='a small red circle moving left fast@0:96|a large blue square bouncing "
        "slowly@96:192'",
        "seqkit-video predict -c video_clip.yaml --ckpt_path=last --data.init_args.prompts=prompts.yaml "
        "--model.init_args.method=fifo",
        "seqkit-video fit -c video_clip.yaml --data.init_args.source=folder --data.init_args.path=my_clips/",
    ),
    links=(("data.vocabulary", "model.init_args.vocabulary"),),
    callbacks={"video_writer": "seqkit.domains.video.video_writer:VideoWriter"},
)
main = COMMAND.main
entry = COMMAND.entry

if __name__ == "__main__":
    entry()
