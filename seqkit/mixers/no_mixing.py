"""The control mixer: no token mixing at all, so each position sees only itself.

A backbone of these layers is a per-token MLP; a long-range task it cannot solve is a task that
needs memory, which is how the synthetic benchmarks prove a mixer provides it.
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqkit.mixers.base import MixerState, TokenMixer


class NoMixing(TokenMixer):
    """Returns zeros: the residual stream passes through unchanged, per token."""

    mixes_tokens = False

    def __init__(self, d_model: int) -> None:
        super().__init__()
        self.d_model = d_model

    def forward(self, x: Tensor, *, segment_ids: Tensor | None = None, positions: Tensor | None = None,
                causal: bool = True) -> Tensor:
        self.check_input(x, segment_ids, positions)
        return torch.zeros_like(x)

    def init_state(self, batch_size: int, *, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> MixerState:
        return {}

    def step(self, x_t: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        self.check_step_input(x_t)
        return torch.zeros_like(x_t), state
