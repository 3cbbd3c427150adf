"""Block (pre-norm → mixer → residual → MLP) and Backbone (a stack named by a layer spec).

A spec names the mixer of every layer, e.g. ``"attention,window*3"`` repeated or a YAML list, so a
MASFormer schedule (full attention in a few layers, local attention elsewhere) is one config line.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from seqkit.mixers import MIXERS, MixerState, build_mixer


def parse_layers(layers: str | list[str]) -> list[str]:
    """Expand a spec like ``"attention,window*3"`` (or a list of such items) into mixer names."""
    items = layers.split(",") if isinstance(layers, str) else list(layers)
    names: list[str] = []
    for item in items:
        item = item.strip()
        name, star, count = item.partition("*")
        name = name.strip()
        if not name:
            raise ValueError(f"layers: empty layer name in {layers!r}; e.g. layers: 'mamba2*4'")
        try:
            repeat = int(count) if star else 1
        except ValueError as err:
            raise ValueError(f"layers: bad repeat count in {item!r}; write it as name*count, e.g. 'window*3'") from err
        if name not in MIXERS:
            raise ValueError(f"layers: unknown mixer {name!r} in {item!r}; allowed values: {', '.join(sorted(MIXERS))}")
        if repeat < 1:
            raise ValueError(f"layers: repeat count must be >= 1 in {item!r}")
        names.extend([name] * repeat)
    if not names:
        raise ValueError("layers: the spec names no layer; e.g. layers: 'mamba2*4'")
    return names


class Block(nn.Module):
    """x + mixer(norm(x)), then x + MLP(norm(x)) when ``mlp_ratio`` > 0."""

    def __init__(self, d_model: int, mixer: str, mixer_options: dict[str, Any] | None = None,
                 mlp_ratio: float = 4.0, dropout: float = 0.0) -> None:
        super().__init__()
        self.mixer_name = mixer
        self.norm = nn.RMSNorm(d_model)
        self.mixer = build_mixer(mixer, d_model, **(mixer_options or {}))
        self.drop = nn.Dropout(dropout)
        self.mlp = None
        if mlp_ratio > 0:
            hidden = int(mlp_ratio * d_model)
            self.mlp_norm = nn.RMSNorm(d_model)
            self.mlp = nn.Sequential(nn.Linear(d_model, hidden), nn.GELU(), nn.Linear(hidden, d_model))

    def forward(self, x: Tensor, *, segment_ids: Tensor | None = None, positions: Tensor | None = None,
                causal: bool = True) -> Tensor:
        return self._residual(x, self.mixer(self.norm(x), segment_ids=segment_ids, positions=positions, causal=causal))

    def forward_chunk(self, x: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        """Continue from ``state`` over a chunk (B, L, D) in parallel (``TokenMixer.forward_chunk``)."""
        y, state = self.mixer.forward_chunk(self.norm(x), state)
        return self._residual(x, y), state

    def step(self, x_t: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        y, state = self.mixer.step(self.norm(x_t), state)
        return self._residual(x_t, y), state

    def _residual(self, x: Tensor, mixed: Tensor) -> Tensor:
        """x + mixed, then the MLP branch: the part of a block after its mixer, shared by every call path."""
        x = x + self.drop(mixed)
        if self.mlp is not None:
            x = x + self.drop(self.mlp(self.mlp_norm(x)))
        return x


class Backbone(nn.Module):
    """A stack of Blocks built from a spec, with a final norm.

    Args:
        d_model (int): width of the residual stream.
        layers (str | list[str]): mixer per layer, e.g. ``"mamba2*4"`` or ``"attention,window*3,attention"``.
        mixer_options (dict): options per mixer name, e.g. ``{"window": {"window": 256, "n_sinks": 4}}``.
        mlp_ratio (float): MLP hidden width / d_model; 0 removes the MLP (Mamba-style blocks). Default: 4.
        dropout (float): dropout on each residual branch. Default: 0.
    """

    def __init__(self, d_model: int = 128, layers: str | list[str] = "mamba2*2",
                 mixer_options: dict[str, dict[str, Any]] | None = None, mlp_ratio: float = 4.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if d_model < 1:
            raise ValueError(f"Backbone: d_model must be >= 1, got {d_model}")
        names = parse_layers(layers)
        mixer_options = dict(mixer_options or {})
        stray = sorted(set(mixer_options) - set(names))
        if stray:
            raise ValueError(f"mixer_options: options given for {', '.join(stray)} but the layers spec uses only "
                             f"{', '.join(sorted(set(names)))}")
        self.d_model = d_model
        self.layer_names = names
        self.blocks = nn.ModuleList(Block(d_model, n, mixer_options.get(n), mlp_ratio, dropout) for n in names)
        self.norm = nn.RMSNorm(d_model)

    def forward(self, x: Tensor, *, segment_ids: Tensor | None = None, positions: Tensor | None = None,
                causal: bool = True) -> Tensor:
        """(B, L, D) → (B, L, D)."""
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(f"Backbone: input must have shape (batch, length, d_model={self.d_model}), "
                             f"got {tuple(x.shape)}")
        for block in self.blocks:
            x = block(x, segment_ids=segment_ids, positions=positions, causal=causal)
        return self.norm(x)

    @property
    def can_step(self) -> bool:
        return all(b.mixer.can_step for b in self.blocks)

    def init_state(self, batch_size: int, *, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> list[MixerState]:
        """One decoding state per layer."""
        return [b.mixer.init_state(batch_size, device=device, dtype=dtype) for b in self.blocks]

    def forward_chunk(self, x: Tensor, states: list[MixerState]) -> tuple[Tensor, list[MixerState]]:
        """Run a chunk (B, L, D) from per-layer states in parallel, e.g. a generation prompt (prefill);
        returns the normalised output and the states after it, ready for ``step``."""
        new_states = []
        for block, state in zip(self.blocks, states, strict=True):
            x, state = block.forward_chunk(x, state)
            new_states.append(state)
        return self.norm(x), new_states

    def step(self, x_t: Tensor, states: list[MixerState]) -> tuple[Tensor, list[MixerState]]:
        """Advance every layer by one token: (B, D) → (B, D)."""
        new_states = []
        for block, state in zip(self.blocks, states, strict=True):
            x_t, state = block.step(x_t, state)
            new_states.append(state)
        return self.norm(x_t), new_states

    def windows(self) -> list[int]:
        """Window sizes of the windowed-attention layers (for checks against the data length)."""
        return [b.mixer.window for b in self.blocks if hasattr(b.mixer, "window")]
