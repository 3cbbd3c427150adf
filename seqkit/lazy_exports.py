"""Package attributes imported on first use (PEP 562), so that importing a domain package stays cheap.

``seqkit-<domain> --help`` and the console script's start import the domain package; its Lightning modules
(and with them torch and Lightning) are imported only when a class is actually asked for.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_exports(package: str, exports: dict[str, str]) -> tuple[Callable[[str], Any], list[str]]:
    """A module ``__getattr__`` serving ``exports`` (name -> module path) and the matching ``__all__``."""

    def __getattr__(name: str) -> Any:
        if name in exports:
            return getattr(importlib.import_module(exports[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__, sorted(exports)
