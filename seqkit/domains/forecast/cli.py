"""``seqkit-forecast fit|validate|test|predict``: Informer forecasting through the shared CLI."""

from __future__ import annotations

from typing import Any

from seqkit.cli import SeqkitCLI, run_domain_cli
from seqkit.domains.forecast.forecast_writer import ForecastWriter

LINKS = tuple((f"data.{name}", f"model.init_args.{name}")
              for name in ("enc_in", "c_out", "seq_len", "label_len", "pred_len", "embed", "freq", "columns"))


def main(args: Any = None, run: bool = True) -> SeqkitCLI:
    return run_domain_cli("seqkit.domains.forecast", args, run=run, links=LINKS,
                          domain_callbacks={"forecast_writer": ForecastWriter})


def entry() -> None:
    """Console-script entry point: returns None, so the process exits 0 (``main`` returns the CLI object,
    which ``sys.exit`` would print and turn into exit status 1)."""
    main()


if __name__ == "__main__":
    entry()
