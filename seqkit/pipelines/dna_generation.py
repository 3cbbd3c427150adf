"""``seqkit-dna generate``: continue every record of a FASTA of prompts with a DnaLM and write FASTA.

Each prompt is left-truncated to a multiple of k (so no remainder becomes ``<oov>``); continuations are
sampled with temperature / top-k / top-p over base tokens only. Output headers carry the prompt name and
the sampling settings; the file is written atomically.

    seqkit-dna generate --checkpoint last.ckpt --prompts gene_starts.fa --n_bp 1000 --top_p 0.95 --output out.fa
"""

from __future__ import annotations

from seqkit.data import resolve_data_path
from seqkit.domains.dna.fasta_index import open_decompressed
from seqkit.domains.dna.generation import generate, write_fasta
from seqkit.domains.dna.model import DnaLM
from seqkit.domains.dna.nucleotides import clean_sequence


def generate_command(checkpoint: str, prompts: str, output: str, n_bp: int = 1000, samples: int = 1,
                     temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None, seed: int = 0,
                     device: str = "cpu") -> int:
    """Continue every record of --prompts by --n_bp bases; FASTA to --output.

    Args:
        prompts: FASTA (optionally gzipped) of prompts.
        n_bp: bases to generate per continuation.
        samples: continuations per prompt.
    """
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    from seqkit.model_files import load

    path = resolve_data_path(prompts)
    with open_decompressed(path) as fh:
        records = [(title.split()[0] if title.split() else f"prompt{i}", seq)
                   for i, (title, seq) in enumerate(SimpleFastaParser(fh))]
    if not records:
        raise ValueError(f"{path}: no FASTA records")
    for name, seq in records:  # a bad prompt names the file and its record before any model work
        clean_sequence(seq, f"{path}: record {name!r}")
    model = load(checkpoint, device, DnaLM)
    names = [name for name, _ in records for _ in range(samples)]
    texts = [seq for _, seq in records for _ in range(samples)]
    out = generate(model, texts, n_bp, temperature=temperature, top_k=top_k, top_p=top_p, seed=seed)
    settings = f"n_bp={n_bp} temperature={temperature} top_k={top_k} top_p={top_p}"
    written = [(f"{name}_continuation_{i % samples} {settings}", seq)
               for i, (name, seq) in enumerate(zip(names, out, strict=True))]
    write_fasta(output, written)
    print(f"{len(written)} continuations -> {output}")
    return 0
