"""One LightningCLI for every domain; each ``seqkit-<domain>`` command (``seqkit.commands``) runs it.

Models and data modules are chosen by class path (subclass mode), so a config can swap in any
LightningModule / LightningDataModule. Per-domain defaults are YAML files shipped inside the package and
found with importlib.resources, so commands work from any directory. Configs are parsed in omegaconf mode,
so a value may interpolate another (``${model.init_args.d_model}``). Besides fit/validate/test/predict,
the domain's batch tools are subcommands of the same parser. Every run lives in a stable folder
(``seqkit.commands.run_folder``), so ``--ckpt_path=last|best`` work across invocations.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from seqkit.callbacks import (
    CompileReport,
    EvaluationReport,
    FiniteLossGuard,
    PredictionWriter,
    RunSummary,
    TrainingCurvesPlot,
)
from seqkit.commands.run_folder import resolve_checkpoint, run_directory, run_name_for
from seqkit.commands.tool_arguments import Tool
from seqkit.hardware import AutoPrecisionTrainer

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
    pattern = r"No action for key \"([\w.]+)\"|unrecognized arguments: --([\w.]+)|does not accept option '([\w.]+)'"
    for name in re.findall(pattern, message):
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
    """Option names of ``parser`` and of its subcommands' parsers (a subcommand's keys are relative to it)."""
    keys = {getattr(a, "dest", "") for a in getattr(parser, "_actions", [])}
    subcommands = getattr(getattr(parser, "_subcommands_action", None), "_name_parser_map", {}) or {}
    for sub in subcommands.values():
        keys.update(getattr(a, "dest", "") for a in getattr(sub, "_actions", []))
    return sorted(k for k in keys if k and not k.endswith("help") and k not in ("config", "print_config", "subcommand"))


class SeqkitCLI(LightningCLI):
    """LightningCLI with seqkit's persistent callbacks, stable run folders and tool subcommands.

    Always on: ``FiniteLossGuard``, ``TrainingCurvesPlot`` and ``EvaluationReport`` (not configurable away),
    a ``ModelCheckpoint`` saving ``last.ckpt`` and the best by ``val_loss`` (``--checkpoint.*``) and a
    ``PredictionWriter`` (``--prediction_writer.*``). ``tools`` become subcommands beside the Lightning
    ones; running one calls its function with the parsed arguments (``exit_status`` holds its result).
    """

    def __init__(self, *args: Any, links: Sequence[tuple[str, str]] = (),
                 domain_callbacks: Mapping[str, type[L.Callback]] | None = None, tools: Sequence[Tool] = (),
                 **kwargs: Any) -> None:
        self.links = tuple(links)
        self.domain_callbacks = dict(domain_callbacks or {})
        self.tools = {tool.name: tool for tool in tools}
        self.exit_status = 0
        super().__init__(*args, **kwargs)

    # --- parser -------------------------------------------------------------------------------------------
    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_argument("--run_name", type=str | None, default=None,
                            help="the run folder under trainer.default_root_dir (default: the -c config names "
                                 "joined by '+', else 'default'); `last`/`best` and prediction files are found there")
        parser.add_lightning_class_args(ModelCheckpoint, "checkpoint")
        parser.set_defaults({"checkpoint.save_last": True, "checkpoint.save_top_k": 1,
                             "checkpoint.monitor": "val_loss"})
        parser.add_lightning_class_args(PredictionWriter, "prediction_writer")
        for name, callback_class in self.domain_callbacks.items():
            parser.add_lightning_class_args(callback_class, name)
        for source, target in self.links:
            parser.link_arguments(source, target, apply_on="instantiate")

    def _add_subcommands(self, parser: LightningArgumentParser, **kwargs: Any) -> None:
        super()._add_subcommands(parser, **kwargs)
        for tool in self.tools.values():
            tool_parser = self.init_parser(description=tool.summary)
            tool.add_arguments(tool_parser)
            self._subcommand_parsers[tool.name] = tool_parser
            parser._subcommands_action.add_subcommand(tool.name, tool_parser, help=tool.summary)

    def _is_tool(self) -> bool:
        return self.config.get("subcommand") in self.tools

    # --- run folder and checkpoints ------------------------------------------------------------------------
    def _parse_ckpt_path(self) -> None:
        subcommand = self.config.get("subcommand")
        if not subcommand or self._is_tool():
            return
        config = self.config[subcommand]
        self.run_name = run_name_for(config.get("run_name"), config.get("config") or ())
        self.run_dir = run_directory(config.trainer.default_root_dir, self.run_name)
        config.ckpt_path = resolve_checkpoint(config.get("ckpt_path"), self.run_dir)
        super()._parse_ckpt_path()

    def before_instantiate_classes(self) -> None:
        if self._is_tool() or not self.subcommand:
            return
        trainer = self.config[self.subcommand].trainer
        if trainer.logger in (None, True):  # Lightning's default logger would open a new version_N folder
            fresh = self.subcommand == "fit" and not self.config[self.subcommand].get("ckpt_path")
            if fresh and (self.run_dir / "checkpoints" / "last.ckpt").exists() and _is_rank_zero():
                warnings.warn(f"{self.run_dir} holds checkpoints of an earlier fit; this fit starts from scratch "
                              "and replaces them (resume with --ckpt_path=last, or keep both with --run_name)",
                              stacklevel=1)
            trainer.logger = {"class_path": "seqkit.run_logger.RunLogger",
                              "init_args": {"save_dir": str(self.run_dir.parent), "run_name": self.run_name,
                                            "fresh": fresh}}

    # --- tools ----------------------------------------------------------------------------------------------
    def _set_seed(self) -> None:
        if not self._is_tool():
            super()._set_seed()

    def instantiate_classes(self) -> None:
        if not self._is_tool():
            super().instantiate_classes()

    def _run_subcommand(self, subcommand: str) -> None:
        if subcommand in self.tools:
            self.exit_status = self.tools[subcommand].run(self.config[subcommand])
        else:
            super()._run_subcommand(subcommand)


def _is_rank_zero() -> bool:
    return int(os.environ.get("LOCAL_RANK", 0)) == 0 and int(os.environ.get("NODE_RANK", 0)) == 0


def default_trainer_callbacks() -> list[L.Callback]:
    return [FiniteLossGuard(), TrainingCurvesPlot(), EvaluationReport(), RunSummary(), CompileReport()]


def run_domain_cli(command: Any, args: Any = None, *, run: bool = True) -> SeqkitCLI:
    """Run the CLI of ``command`` (a ``seqkit.commands.DomainCommand``) with its ``configs/default.yaml``
    as every Lightning subcommand's defaults; ``args`` as for LightningCLI (None: ``sys.argv``)."""
    config = str(resources.files(command.package).joinpath("configs", "default.yaml"))
    common = {"parser_mode": "omegaconf"}
    main_kwargs = {**common, "description": command.summary, "epilog": command.epilog(),
                   "prog": command.prog}
    parser_kwargs: dict[str, Any] = {s: {**common, "default_config_files": [config]} for s in SUBCOMMANDS}
    parser_kwargs.update(main_kwargs)
    if not run:
        parser_kwargs = {**common, "default_config_files": [config]}
    callbacks = {name: _import(target) for name, target in command.callbacks.items()}
    return SeqkitCLI(L.LightningModule, L.LightningDataModule, subclass_mode_model=True, subclass_mode_data=True,
                     parser_class=SeqkitParser, parser_kwargs=parser_kwargs, save_config_kwargs={"overwrite": True},
                     trainer_defaults={"callbacks": default_trainer_callbacks()}, args=args, run=run,
                     links=command.links, domain_callbacks=callbacks, tools=command.all_tools if run else (),
                     trainer_class=AutoPrecisionTrainer)


def _import(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)
