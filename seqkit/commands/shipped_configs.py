"""Shipped configs by bare name: ``-c etth1_M_24.yaml`` finds the file packaged with the domain.

A path that exists as given always wins; otherwise a bare name (with or without ``.yaml``) is looked up
in ``<domain package>/configs/``. Only ``importlib.resources`` is used, so this stays cheap for ``--help``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

CONFIG_FLAGS = ("-c", "--config")


def shipped_configs(package: str) -> list[str]:
    """File names of the configs shipped with ``package``, sorted."""
    folder = resources.files(package).joinpath("configs")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith((".yaml", ".yml")))


def shipped_config_path(package: str, name: str) -> str | None:
    """The packaged file for a bare config ``name``, or None when there is none."""
    if Path(name).exists() or Path(name).name != name:
        return None
    folder = resources.files(package).joinpath("configs")
    for candidate in (name, f"{name}.yaml"):
        path = folder.joinpath(candidate)
        if path.is_file():
            return str(path)
    return None


def resolve_config_arguments(package: str, argv: list[str]) -> list[str]:
    """``argv`` with every ``-c NAME`` / ``--config=NAME`` of a shipped config replaced by its packaged path."""
    out: list[str] = []
    expect_value = False
    for arg in argv:
        if expect_value:
            out.append(shipped_config_path(package, arg) or arg)
            expect_value = False
            continue
        flag, eq, value = arg.partition("=")
        if flag in CONFIG_FLAGS and eq:
            out.append(f"{flag}={shipped_config_path(package, value) or value}")
        else:
            out.append(arg)
            expect_value = arg in CONFIG_FLAGS
    return out
