"""One LightningCLI for every domain; each ``seqkit-<domain>`` entry point wraps it with its configs.

Models and data modules are chosen by class path (subclass mode), so a config can swap in any
LightningModule / LightningDataModule. Per-domain defaults are YAML files shipped inside the
package and found with importlib.resources, so commands work from any directory.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from seqkit.callbacks import FiniteLossGuard, PredictionWriter, TrainingCurvesPlot

SUBCOMMANDS = ("fit", "validate", "test", "predict")


class SeqkitParser(LightningArgumentParser):
    """Adds the nearest valid names to jsonargparse's 'unexpected key' errors (config typos)."""

    def error(self, message: str, *args: Any, **kwargs: Any) -> Any:
        return super().error(explain_unknown_keys(message, self), *args, **kwargs)


def explain_unknown_keys(message: str, parser: Any) -> str:
    """Append 'did you mean …' and the allowed keys for each unknown key named in ``message``."""
    keys = re.findall(r"No action for key \"([\w.]+)\"|Key \"([\w.]+)\" is not expected|"
                      r"unrecognized arguments: --([\w.]+)", message)
    names = [next(k for k in group if k) for group in keys]
    if not names:
        return message
    notes = []
    for name in names:
        allowed = _allowed_keys(parser, name)
        close = difflib.get_close_matches(name.split(".")[-1], allowed, n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        notes.append(f"unknown key {name!r}: {hint}allowed: {', '.join(sorted(allowed))}")
    return message + "\n" + "\n".join(notes)


def _allowed_keys(parser: Any, name: str) -> list[str]:
    """The leaf option names the parser knows, for the section a bad key was given in."""
    try:
        dests = [a.dest for a in parser._actions if getattr(a, "dest", None)]
    except AttributeError:
        return []
    section = name.rsplit(".", 1)[0] if "." in name else ""
    leaves = {d.split(".")[-1] for d in dests if not section or d.startswith(section.split(".")[0])}
    return sorted(leaf for leaf in leaves if leaf not in ("help", "config", "print_config"))


class SeqkitCLI(LightningCLI):
    """LightningCLI with seqkit's persistent callbacks and per-domain argument links.

    Always on: ``FiniteLossGuard`` and ``TrainingCurvesPlot`` (not configurable away), a
    ``ModelCheckpoint`` saving ``last.ckpt`` (``--checkpoint.*``) and a ``PredictionWriter``
    (``--prediction_writer.*``).
    """

    def __init__(self, *args: Any, links: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        self.links = tuple(links)
        super().__init__(*args, **kwargs)

    def init_parser(self, **kwargs: Any) -> LightningArgumentParser:
        kwargs.setdefault("dump_header", ["seqkit: lightning.pytorch==" + L.__version__])
        return SeqkitParser(**kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.save_last": True, "checkpoint.save_top_k": 1,
                             "checkpoint.monitor": "val_loss"})
        parser.add_lightning_class_args(PredictionWriter, "prediction_writer")
        for source, target in self.links:
            parser.link_arguments(source, target, apply_on="instantiate")


def default_trainer_callbacks() -> list[L.Callback]:
    return [FiniteLossGuard(), TrainingCurvesPlot()]


def run_domain_cli(config_package: str, args: Any = None, *, run: bool = True,
                   links: Sequence[tuple[str, str]] = (), config_name: str = "default.yaml") -> SeqkitCLI:
    """Run the CLI with ``<config_package>/configs/<config_name>`` as every subcommand's defaults."""
    config = str(resources.files(config_package).joinpath("configs", config_name))
    parser_kwargs: dict[str, Any] = {s: {"default_config_files": [config]} for s in SUBCOMMANDS}
    if not run:
        parser_kwargs = {"default_config_files": [config]}
    return SeqkitCLI(L.LightningModule, L.LightningDataModule, subclass_mode_model=True, subclass_mode_data=True,
                     parser_kwargs=parser_kwargs, save_config_kwargs={"overwrite": True},
                     trainer_defaults={"callbacks": default_trainer_callbacks()}, args=args, run=run, links=links)
