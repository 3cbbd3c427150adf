"""``seqkit-dna fit|validate|test|predict``: the DNA LM through the shared CLI."""

from __future__ import annotations

from typing import Any

from seqkit.cli import SeqkitCLI, run_domain_cli

LINKS = (("data.tokenizer", "model.init_args.tokenizer"), ("data.k", "model.init_args.k"))


def main(args: Any = None, run: bool = True) -> SeqkitCLI:
    return run_domain_cli("seqkit.domains.dna", args, run=run, links=LINKS)


def entry() -> None:
    """Console-script entry point: returns None, so the process exits 0."""
    main()


if __name__ == "__main__":
    entry()
