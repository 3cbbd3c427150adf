"""Token mixers: every long-sequence method behind one contract (``TokenMixer``).

``MIXERS`` maps the names used in backbone specs and YAML configs to classes; ``build_mixer``
validates the name and options and says what is allowed when they are wrong.
"""

from __future__ import annotations

import inspect
from typing import Any

from seqkit.mixers.base import MixerState, TokenMixer
from seqkit.mixers.full_attention import FullAttention
from seqkit.mixers.mamba2 import Mamba2
from seqkit.mixers.no_mixing import NoMixing
from seqkit.mixers.probsparse_attention import ProbSparseAttention
from seqkit.mixers.s4d import S4D
from seqkit.mixers.sliding_window_attention import SlidingWindowAttention

MIXERS: dict[str, type[TokenMixer]] = {
    "attention": FullAttention,
    "window": SlidingWindowAttention,
    "s4d": S4D,
    "mamba2": Mamba2,
    "probsparse": ProbSparseAttention,
    "none": NoMixing,
}

__all__ = ["MIXERS", "FullAttention", "Mamba2", "MixerState", "NoMixing", "ProbSparseAttention", "S4D",
           "SlidingWindowAttention", "TokenMixer", "build_mixer", "mixer_options"]


def mixer_options(name: str) -> list[str]:
    """Constructor options a mixer accepts besides ``d_model``."""
    params = inspect.signature(MIXERS[name].__init__).parameters
    return [p for p in params if p not in ("self", "d_model")]


def build_mixer(name: str, d_model: int, **options: Any) -> TokenMixer:
    """Instantiate the mixer called ``name``; unknown names or options raise a ValueError listing choices."""
    if name not in MIXERS:
        raise ValueError(f"unknown mixer {name!r}; allowed values: {', '.join(sorted(MIXERS))}")
    allowed = mixer_options(name)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"mixer {name!r} got unknown option(s) {', '.join(unknown)}; "
                         f"allowed options: {', '.join(allowed) or '(none)'}")
    return MIXERS[name](d_model, **options)
