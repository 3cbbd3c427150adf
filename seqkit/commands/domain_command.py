"""``seqkit-<domain>``: one console command per domain, described once by a ``DomainCommand``.

The Lightning subcommands (fit, validate, test, predict) and the domain's batch tools (score, generate,
batch, export ...) share one parser, one config mechanism and one error convention. ``--help`` without a
subcommand is answered from this description alone, without importing torch or Lightning.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from seqkit.commands.shipped_configs import resolve_config_arguments, shipped_configs
from seqkit.commands.tool_arguments import Tool
from seqkit.commands.user_errors import debug_requested, is_user_error, report, root_cause

LIGHTNING_SUBCOMMANDS = {
    "fit": "train a model (resume with --ckpt_path=last)",
    "validate": "evaluate a checkpoint on the validation split",
    "test": "evaluate a checkpoint on the test split, or on every row of a labelled file given as the data path; "
            "prints the metrics and writes test_metrics.json",
    "predict": "run a checkpoint over the predict data; resumable, one file per batch",
}

EXPORT_TOOL = Tool("export", "seqkit.model_files:export_command",
                   "write a checkpoint's weights as safetensors plus its config (no pickle), for seqkit.load",
                   shared=("checkpoint", "output_dir"))


@dataclass(frozen=True)
class DomainCommand:
    """What ``seqkit-<domain>`` is: its package, what it does, examples, and its tools."""

    prog: str
    package: str
    summary: str
    examples: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    callbacks: dict[str, str] = field(default_factory=dict)  # --<name>.* -> "module:Class"
    tools: tuple[Tool, ...] = ()

    @property
    def all_tools(self) -> tuple[Tool, ...]:
        return (*self.tools, EXPORT_TOOL)

    def help_text(self) -> str:
        names = [*LIGHTNING_SUBCOMMANDS, *(t.name for t in self.all_tools)]
        lines = [f"usage: {self.prog} [-h] [--debug] {{{','.join(names)}}} ...", "", self.summary, "", "subcommands:"]
        width = max(len(n) for n in names) + 2
        for name, text in [*LIGHTNING_SUBCOMMANDS.items(), *((t.name, t.summary) for t in self.all_tools)]:
            lines.append(f"  {name:<{width}}{text}")
        lines += ["", f"shipped configs (-c NAME): {', '.join(shipped_configs(self.package))}"]
        if self.examples:
            lines += ["", "examples:", *(f"  {e}" for e in self.examples)]
        lines += ["", f"`{self.prog} <subcommand> --help` lists every option; `--print_config` prints the full "
                      "config; --debug shows tracebacks."]
        return "\n".join(lines)

    def epilog(self) -> str:
        return "examples:\n" + "\n".join(f"  {e}" for e in self.examples) if self.examples else ""

    def main(self, args: Sequence[str] | None = None, run: bool = True) -> Any:
        """Parse ``args`` (default ``sys.argv[1:]``) and run the subcommand; returns the CLI object."""
        from seqkit.cli import run_domain_cli

        if args is None:  # the console: Lightning's DDP launcher re-runs sys.argv, so resolve it in place
            sys.argv[1:] = resolve_config_arguments(self.package, sys.argv[1:])
            return run_domain_cli(self, None, run=run)
        return run_domain_cli(self, resolve_config_arguments(self.package, list(args)), run=run)

    def console(self, argv: Sequence[str] | None = None) -> int:
        """What the console script does: help, run, and user errors as one line with exit status 2."""
        from_console = argv is None
        argv = list(sys.argv[1:] if argv is None else argv)
        debug = debug_requested(argv)
        if not argv or argv in (["-h"], ["--help"]):
            print(self.help_text(), file=sys.stdout if argv else sys.stderr)
            return 0 if argv else 2
        if from_console:
            sys.argv[1:] = argv  # without --debug, for Lightning's DDP launcher
        try:
            cli = self.main(None if from_console else argv)
        except Exception as err:  # noqa: BLE001 - only user errors are caught; the rest re-raise
            if debug or not is_user_error(root_cause(err)):
                raise
            return report(err, self.prog)
        return int(getattr(cli, "exit_status", 0) or 0)

    def entry(self) -> None:
        """Console-script entry point."""
        sys.exit(self.console())
