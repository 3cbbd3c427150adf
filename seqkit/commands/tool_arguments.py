"""Batch tools as subcommands beside fit/validate/test/predict, with the arguments they share defined once.

A tool is a plain Python function (``seqkit.pipelines.protein_scoring.score_command`` ...). Its parser is
a jsonargparse parser like the Lightning subcommands', so ``-c config.yaml``, ``--print_config`` and the
"did you mean" hints work the same. Arguments that several tools take (the checkpoint, the device,
sampling, output, sharding) are declared here once with their help; the function's own parameters
come from its signature and docstring.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jsonargparse import ActionYesNo


@dataclass(frozen=True)
class SharedArgument:
    type: Any
    help: str
    default: Any = None
    required: bool = False


SHARED_ARGUMENTS: dict[str, SharedArgument] = {
    "checkpoint": SharedArgument(str, "a checkpoint written by `fit` (.ckpt), or a folder written by `export`",
                                 required=True),
    "device": SharedArgument(str, "torch device: cpu, cuda, cuda:1, ...", "cpu"),
    "seed": SharedArgument(int, "random seed (sampling, prompt sampling)", 0),
    "batch_size": SharedArgument(int, "examples per forward pass", 32),
    "output": SharedArgument(str, "output file", required=True),
    "output_dir": SharedArgument(str, "output folder (created if missing)", required=True),
    "shard": SharedArgument(str, "I/N: this worker's share of the inputs, e.g. 0/4 (workers never write the same "
                            "file)", "0/1"),
    "temperature": SharedArgument(float, "sampling temperature", 1.0),
    "top_k": SharedArgument(int | None, "sample from the k most likely tokens only (default: all)"),
    "top_p": SharedArgument(float | None, "nucleus sampling: the smallest set of tokens with this much "
                            "probability (default: all)"),
}


@dataclass(frozen=True)
class Tool:
    """A subcommand that runs ``target`` (``"module:function"``); ``shared`` names its shared arguments."""

    name: str
    target: str
    summary: str
    shared: tuple[str, ...] = ()
    positional: bool = False  # the function's required non-shared parameters become positional arguments

    def function(self) -> Callable[..., Any]:
        module, _, attr = self.target.partition(":")
        return getattr(importlib.import_module(module), attr)

    def add_arguments(self, parser: Any) -> None:
        fn = self.function()
        names = set(inspect.signature(fn).parameters)
        for name in self.shared:
            if name not in names:
                raise TypeError(f"{self.target} does not take the shared argument {name!r}")
            arg = SHARED_ARGUMENTS[name]
            kwargs = {"required": True} if arg.required else {"default": arg.default}
            parser.add_argument(f"--{name}", type=arg.type, help=arg.help, **kwargs)
        skip = set(self.shared)
        hints = typing.get_type_hints(fn)
        for param in inspect.signature(fn).parameters.values():
            if param.name in skip:
                continue
            if hints.get(param.name) is bool:  # a bare flag, as users type it: --plot (and --no_plot)
                parser.add_argument(f"--{param.name}", action=ActionYesNo, default=bool(param.default))
                skip.add(param.name)
            elif typing.get_origin(hints.get(param.name)) is list:  # lists as space-separated words
                item = typing.get_args(hints[param.name])[0]
                kind = {"choices": typing.get_args(item), "type": str} if typing.get_origin(item) is typing.Literal \
                    else {"type": item}
                if self.positional and param.default is param.empty:  # the remaining words (shell globs)
                    parser.add_argument(param.name, nargs="+", help="one or more paths", **kind)
                else:
                    parser.add_argument(f"--{param.name}", nargs="+", default=param.default, **kind)
                skip.add(param.name)
        parser.add_function_arguments(fn, skip=skip, as_group=False, as_positional=self.positional)

    def run(self, config: Any) -> int:
        """Call the function with the parsed values; its int return (or 0) is the exit status."""
        fn = self.function()
        kwargs = {name: config[name] for name in inspect.signature(fn).parameters if name in config}
        status = fn(**kwargs)
        return int(status) if isinstance(status, (int, bool)) else 0


def parse_shard(text: str) -> tuple[int, int]:
    """``"I/N"`` → ``(I, N)``; the range is checked where the shard is taken (``pipelines.shard_of``)."""
    index, _, count = str(text).partition("/")
    try:
        return int(index), int(count)
    except ValueError:
        raise ValueError(f"--shard takes I/N (e.g. 0/4), got {text!r}") from None
