"""One LightningCLI for every domain; each ``seqkit-<domain>`` entry point wraps it with its configs.

Models and data modules are chosen by class path (subclass mode), so a config can swap in any
LightningModule / LightningDataModule. Per-domain defaults are YAML files shipped inside the
package and found with importlib.resources, so commands work from any directory.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import re
import warnings
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from seqkit.callbacks import FiniteLossGuard, PredictionWriter, RunSummary, TrainingCurvesPlot

SUBCOMMANDS = ("fit", "validate", "test", "predict")

# torch 2.14 + Lightning 2.6 print this deprecation once per rank on every run; it is not the user's to fix.
warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)")


class SeqkitParser(LightningArgumentParser):
    """Adds the nearest valid names to jsonargparse's 'unexpected key' errors (config typos)."""

    def error(self, message: str, *args: Any, **kwargs: Any) -> Any:
        return super().error(explain_unknown_keys(message, self), *args, **kwargs)


def explain_unknown_keys(message: str, parser: Any) -> str:
    """Append 'did you mean …' and the allowed names for each unknown option named in ``message``."""
    notes = []
    class_path = re.search(r"class_path '([\w.]+)'", message)
    for name in re.findall(r"Option '(\w+)' is not accepted", message):
        allowed = _init_parameters(class_path.group(1)) if class_path else []
        notes.append(_note(name, allowed))
    for name in re.findall(r"No action for key \"([\w.]+)\"|unrecognized arguments: --([\w.]+)", message):
        name = next(k for k in name if k)
        section = name.rsplit(".", 1)[0] + "." if "." in name else ""
        notes.append(_note(name, [k for k in _parser_keys(parser) if k.startswith(section)]))
    return "\n".join([message, *notes])


def _note(name: str, allowed: list[str]) -> str:
    close = difflib.get_close_matches(name, allowed, n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return f"unknown option {name!r}: {hint}allowed: {', '.join(allowed) or '(none found)'}"


def _init_parameters(class_path: str) -> list[str]:
    """Constructor parameter names of the class at ``class_path`` (empty if it cannot be imported)."""
    module, _, name = class_path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return []
    params = inspect.signature(cls.__init__).parameters.values()
    return [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _parser_keys(parser: Any) -> list[str]:
    keys = {getattr(a, "dest", "") for a in getattr(parser, "_actions", [])}
    return sorted(k for k in keys if k and not k.endswith("help") and k not in ("config", "print_config"))


class SeqkitCLI(LightningCLI):
    """LightningCLI with seqkit's persistent callbacks and per-domain argument links.

    Always on: ``FiniteLossGuard`` and ``TrainingCurvesPlot`` (not configurable away), a
    ``ModelCheckpoint`` saving ``last.ckpt`` (``--checkpoint.*``) and a ``PredictionWriter``
    (``--prediction_writer.*``).
    """

    def __init__(self, *args: Any, links: Sequence[tuple[str, str]] = (),
                 domain_callbacks: Mapping[str, type[L.Callback]] | None = None, **kwargs: Any) -> None:
        self.links = tuple(links)
        self.domain_callbacks = dict(domain_callbacks or {})
        super().__init__(*args, **kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.save_last": True, "checkpoint.save_top_k": 1,
                             "checkpoint.monitor": "val_loss"})
        parser.add_lightning_class_args(PredictionWriter, "prediction_writer")
        for name, callback_class in self.domain_callbacks.items():
            parser.add_lightning_class_args(callback_class, name)
        for source, target in self.links:
            parser.link_arguments(source, target, apply_on="instantiate")


def default_trainer_callbacks() -> list[L.Callback]:
    return [FiniteLossGuard(), TrainingCurvesPlot(), RunSummary()]


def run_domain_cli(config_package: str, args: Any = None, *, run: bool = True,
                   links: Sequence[tuple[str, str]] = (), config_name: str = "default.yaml",
                   domain_callbacks: Mapping[str, type[L.Callback]] | None = None) -> SeqkitCLI:
    """Run the CLI with ``<config_package>/configs/<config_name>`` as every subcommand's defaults.

    ``domain_callbacks`` are the domain's own always-on callbacks (e.g. its forecast writer), each
    configurable as ``--<name>.<arg>``.
    """
    config = str(resources.files(config_package).joinpath("configs", config_name))
    parser_kwargs: dict[str, Any] = {s: {"default_config_files": [config]} for s in SUBCOMMANDS}
    if not run:
        parser_kwargs = {"default_config_files": [config]}
    return SeqkitCLI(L.LightningModule, L.LightningDataModule, subclass_mode_model=True, subclass_mode_data=True,
                     parser_class=SeqkitParser, parser_kwargs=parser_kwargs, save_config_kwargs={"overwrite": True},
                     trainer_defaults={"callbacks": default_trainer_callbacks()}, args=args, run=run,
                     links=links, domain_callbacks=domain_callbacks)
