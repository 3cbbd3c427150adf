"""``seqkit-dna``: GENERator-style DNA language models — pretrain, classify, score variants, generate."""

from __future__ import annotations

from seqkit.commands.domain_command import DomainCommand
from seqkit.commands.tool_arguments import Tool

COMMAND = DomainCommand(
    prog="seqkit-dna",
    package="seqkit.domains.dna",
    summary="DNA language models in the GENERator style: a causal LM on 6-mer tokens (or single nucleotides) "
            "over FASTA/GenBank genomes, sequence classifiers (promoters, ...) with RC-invariant evaluation, "
            "zero-shot variant effect scores and sequence generation.",
    examples=(
        "seqkit-dna fit -c ecoli.yaml",
        "seqkit-dna fit -c promoters.yaml",
        "seqkit-dna test -c promoters.yaml --ckpt_path=best --data.init_args.path=new_labelled.csv",
        "seqkit-dna variants --checkpoint last.ckpt --genome genome.fa.gz --variants variants.csv "
        "--output scores.parquet",
        "seqkit-dna generate --checkpoint last.ckpt --prompts gene_starts.fa --n_bp 1000 --top_p 0.95 "
        "--output out.fa",
    ),
    links=(("data.tokenizer", "model.init_args.tokenizer"), ("data.k", "model.init_args.k")),
    tools=(
        Tool("variants", "seqkit.pipelines.dna_variants:variants_command",
             "zero-shot variant effect, log p(ref) - log p(alt), for chrom,pos,ref,alt rows against a genome",
             shared=("checkpoint", "device", "output", "batch_size")),
        Tool("generate", "seqkit.pipelines.dna_generation:generate_command",
             "continue every record of a FASTA of prompts; writes FASTA",
             shared=("checkpoint", "device", "seed", "output", "temperature", "top_k", "top_p")),
    ),
)
main = COMMAND.main
entry = COMMAND.entry

if __name__ == "__main__":
    entry()
