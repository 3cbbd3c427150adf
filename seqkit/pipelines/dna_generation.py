"""``seqkit-dna-generate``: continue every record of a FASTA of prompts with a DnaLM and write FASTA.

Each prompt is left-truncated to a multiple of k (so no remainder becomes ``<oov>``); continuations are
sampled with temperature / top-k / top-p over base tokens only. Output headers carry the prompt name and
the sampling settings; the file is written atomically.

    seqkit-dna-generate --checkpoint last.ckpt --prompts gene_starts.fa --n-bp 1000 --top-p 0.95 --output out.fa
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import torch

from seqkit.data import resolve_data_path
from seqkit.domains.dna.fasta_index import open_decompressed
from seqkit.domains.dna.generation import generate, write_fasta
from seqkit.domains.dna.model import DnaLM


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="seqkit-dna-generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--prompts", required=True, help="FASTA (optionally .gz) of prompts")
    parser.add_argument("--n-bp", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=1, help="continuations per prompt")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--top-k", type=int)
    parser.add_argument("--top-p", type=float)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", required=True)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    from Bio.SeqIO.FastaIO import SimpleFastaParser

    path = resolve_data_path(args.prompts)
    with open_decompressed(path) as fh:
        prompts = [(title.split()[0] if title.split() else f"prompt{i}", seq)
                   for i, (title, seq) in enumerate(SimpleFastaParser(fh))]
    if not prompts:
        raise SystemExit(f"{path}: no FASTA records")
    model = DnaLM.load_from_checkpoint(args.checkpoint, map_location=args.device, weights_only=True)
    names = [name for name, _ in prompts for _ in range(args.samples)]
    texts = [seq for _, seq in prompts for _ in range(args.samples)]
    out = generate(model, texts, args.n_bp, temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                   seed=args.seed)
    settings = f"n_bp={args.n_bp} temperature={args.temperature} top_k={args.top_k} top_p={args.top_p}"
    records = [(f"{name}_continuation_{i % args.samples} {settings}", seq)
               for i, (name, seq) in enumerate(zip(names, out, strict=True))]
    write_fasta(args.output, records)
    print(f"{len(records)} continuations → {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
