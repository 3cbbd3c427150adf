"""``seqkit-protein fit|validate|test|predict``: PoET through the shared CLI."""

from __future__ import annotations

from typing import Any

from seqkit.cli import SeqkitCLI, run_domain_cli


def main(args: Any = None, run: bool = True) -> SeqkitCLI:
    return run_domain_cli("seqkit.domains.protein", args, run=run)


def entry() -> None:
    """Console-script entry point: returns None, so the process exits 0 (``main`` returns the CLI object,
    which ``sys.exit`` would print and turn into exit status 1)."""
    main()


if __name__ == "__main__":
    entry()
