"""The token-mixer contract shared by every backbone (docs/architecture.md describes it; tests/mixers/
test_mixer_contract.py checks it for every registered mixer).

A mixer maps ``x: (B, L, D)`` to ``(B, L, D)``. Mixers differ only in which tokens mix and how;
the calling convention is the same so a backbone spec can name any of them per layer.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

__all__ = ["MixerState", "TokenMixer"]

MixerState = dict[str, Any]


class TokenMixer(nn.Module):
    """Base class: ``forward`` for training/scoring, ``init_state``/``step`` for O(1) decoding.

    Subclasses set ``d_model`` and implement ``forward``; decoding mixers also implement
    ``init_state`` and ``step``. ``step`` applied token by token must equal ``forward``.
    """

    d_model: int
    #: whether the mixer can decode token by token (``init_state``/``step``).
    can_step: bool = True
    #: whether ``forward`` honours ``causal=False`` by looking at future tokens.
    can_look_ahead: bool = True
    #: whether ``forward`` takes ``segment_ids`` (packed sequences that never see each other).
    can_pack: bool = True
    #: whether an output depends on other tokens than its own (False only for the no-mixing control).
    mixes_tokens: bool = True

    def forward(  # pragma: no cover - abstract
        self,
        x: Tensor,
        *,
        segment_ids: Tensor | None = None,
        positions: Tensor | None = None,
        causal: bool = True,
    ) -> Tensor:
        raise NotImplementedError

    def init_state(self, batch_size: int, *, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> MixerState:
        raise NotImplementedError(f"{type(self).__name__} does not support step-by-step decoding")

    def step(self, x_t: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        raise NotImplementedError(f"{type(self).__name__} does not support step-by-step decoding")

    def forward_chunk(self, x: Tensor, state: MixerState, *, positions: Tensor | None = None,
                      segment_ids: Tensor | None = None, keep_state: bool = True) -> tuple[Tensor, MixerState | None]:
        """Continue from ``state`` over a chunk ``x`` (B, L, D): ``(y, new_state)``.

        Equals ``step`` applied to each token of the chunk in turn (the default does exactly that; mixers
        override it with a parallel path). It is how a long prompt is encoded once and many continuations
        are then scored against its state (PoET's cached context). ``positions`` (B, L) or (L,) override
        the positions a stateful mixer would count on from ``state``; ``segment_ids`` (B, L) restrict which
        earlier tokens *of the chunk* a token sees (the state is always visible) — only mixers that
        override this method accept them. With ``keep_state=False`` a mixer may return ``None`` as the new
        state and skip building it (scoring many rows against one cached prompt needs no per-row cache).
        """
        self.check_input(x, segment_ids, positions if positions is None or positions.dim() == 2 else None)
        if positions is not None or segment_ids is not None:
            raise NotImplementedError(f"{type(self).__name__}.forward_chunk: positions and segment_ids need a mixer "
                                      f"with its own chunked path")
        outs = []
        for x_t in x.unbind(1):
            y_t, state = self.step(x_t, state)
            outs.append(y_t)
        return torch.stack(outs, dim=1), state

    def check_input(self, x: Tensor, segment_ids: Tensor | None = None,
                    positions: Tensor | None = None) -> None:
        """Raise a clear error for a wrong shape, naming the parameter and what was expected."""
        name = type(self).__name__
        if x.dim() != 3:
            raise ValueError(f"{name}: x must have shape (batch, length, d_model={self.d_model}), "
                             f"got {tuple(x.shape)}")
        if x.shape[-1] != self.d_model:
            raise ValueError(f"{name}: x has d_model={x.shape[-1]} but the mixer was built with "
                             f"d_model={self.d_model}")
        for label, t in (("segment_ids", segment_ids), ("positions", positions)):
            if t is not None and tuple(t.shape) != tuple(x.shape[:2]):
                raise ValueError(f"{name}: {label} must have shape (batch, length)={tuple(x.shape[:2])}, "
                                 f"got {tuple(t.shape)}")

    def check_step_input(self, x_t: Tensor) -> None:
        if x_t.dim() != 2 or x_t.shape[-1] != self.d_model:
            raise ValueError(f"{type(self).__name__}.step: x_t must have shape (batch, d_model={self.d_model}), "
                             f"got {tuple(x_t.shape)}")

