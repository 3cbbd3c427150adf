"""``seqkit-protein``: PoET protein-family models — train on MSAs, score variants, generate family members."""

from __future__ import annotations

from seqkit.commands.domain_command import DomainCommand
from seqkit.commands.tool_arguments import Tool

COMMAND = DomainCommand(
    prog="seqkit-protein",
    package="seqkit.domains.protein",
    summary="PoET, a generative model of protein families as sequences of homologous sequences: train on "
            "MSAs (A3M, A2M, FASTA, Stockholm), score variants zero-shot against a prompt of homologs "
            "(substitutions and indels, with PoET's prompt ensemble) and generate new family members.",
    examples=(
        "seqkit-protein fit -c blat_ecolx.yaml",
        "seqkit-protein score --checkpoint last.ckpt --msa BLAT.a3m --variants BLAT_Jacquier_2013.csv "
        "--output scores.csv",
        "seqkit-protein score --checkpoint last.ckpt --manifest assays.csv --output_dir scores/",
        "seqkit-protein generate --checkpoint last.ckpt --msa BLAT.a3m --n 20 --top_p 0.95 --output new.fasta",
    ),
    tools=(
        Tool("score", "seqkit.pipelines.protein_scoring:score_command",
             "score variants (ProteinGym CSV or FASTA) against prompts from their family's MSA; one assay or a "
             "manifest of many, resumable", shared=("checkpoint", "device", "seed", "batch_size")),
        Tool("generate", "seqkit.pipelines.protein_generation:generate_command",
             "sample new family members conditioned on an MSA prompt; writes FASTA and CSV",
             shared=("checkpoint", "device", "seed", "output", "temperature", "top_k", "top_p")),
    ),
)
main = COMMAND.main
entry = COMMAND.entry

if __name__ == "__main__":
    entry()
