"""``torch.compile`` for a domain model's networks, with graph breaks counted instead of hidden.

Every domain's LightningModule takes ``compile: bool`` (``--model.init_args.compile=true``) and, in Lightning's
``configure_model`` hook, compiles its heavy networks in place (``nn.Module.compile``: parameter names and
checkpoints are unchanged, so an eager run resumes a compiled one and back). A graph break is a silent
fallback to eager Python for part of a step; ``graph_breaks`` counts them from TorchDynamo's counters so
``RunSummary`` records them and ``CompileReport`` warns with the reasons after the first compiled step.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from torch import nn

#: attribute a compiled LightningModule carries: the names of the networks it compiled
COMPILED_ATTRIBUTE = "_seqkit_compiled_networks"


def compile_networks(owner: nn.Module, names: Sequence[str], **options: Any) -> list[str]:
    """Compile ``owner``'s child networks ``names`` in place (``options`` go to ``torch.compile``); returns
    the names compiled. Absent children (``None``, e.g. an optional text encoder) are skipped."""
    compiled = []
    for name in names:
        network = getattr(owner, name, None)
        if network is None:
            continue
        if not isinstance(network, nn.Module):
            raise TypeError(f"compile: {type(owner).__name__}.{name} is a {type(network).__name__}, not a module")
        network.compile(**options)
        compiled.append(name)
    object.__setattr__(owner, COMPILED_ATTRIBUTE, compiled)  # a plain attribute, never a submodule or state
    return compiled


def compiled_networks(owner: nn.Module) -> list[str]:
    """The networks ``compile_networks`` compiled on ``owner`` (empty for an eager model)."""
    return list(getattr(owner, COMPILED_ATTRIBUTE, []))


def graph_breaks() -> Counter[str]:
    """Graph breaks TorchDynamo has recorded in this process, by reason (empty when nothing broke)."""
    from torch._dynamo.utils import counters

    return Counter(dict(counters["graph_break"]))
