"""``seqkit-textimage``: a binary tokenizer for text-heavy images and an autoregressive generator over its tokens."""

from __future__ import annotations

from seqkit.commands.domain_command import DomainCommand
from seqkit.commands.tool_arguments import Tool

COMMAND = DomainCommand(
    prog="seqkit-textimage",
    package="seqkit.domains.textimage",
    summary="Long-text images: a convolutional tokenizer with a binary (lookup-free) quantiser, K bits per token, "
            "against a VQ codebook of 2^K codes, trained on seeded pages of public-domain text (or your captioned "
            "images); then an autoregressive generator (Mamba-2 or attention) from the text to render to the "
            "image's tokens. `predict` writes a PNG per prompt; `reconstruct` writes tokens (.npy) and "
            "reconstructions of your images.",
    examples=(
        "seqkit-textimage fit -c tokenizer_binary.yaml           # 13-bit binary tokenizer on rendered pages",
        "seqkit-textimage fit -c tokenizer_vq.yaml               # the VQ baseline, 8,192 codes",
        "seqkit-textimage fit -c generator.yaml --model.init_args.tokenizer=runs/tokenizer_binary/"
        "version_0/checkpoints/last.ckpt",
        "seqkit-textimage predict -c generator.yaml --ckpt_path=last --data.init_args.prompts='In the beginning'",
        "seqkit-textimage reconstruct --checkpoint tokenizer.ckpt --output_dir recon/ --ocr my_pages/",
    ),
    callbacks={"image_writer": "seqkit.domains.textimage.image_writer:ImageWriter"},
    tools=(Tool("reconstruct", "seqkit.pipelines.textimage_reconstruct:reconstruct_command",
                "images -> tokens (.npy) and reconstructions (PNG) with a trained tokenizer; --ocr scores legibility",
                shared=("checkpoint", "output_dir", "device"), positional=True),),
)
main = COMMAND.main
entry = COMMAND.entry

if __name__ == "__main__":
    entry()
