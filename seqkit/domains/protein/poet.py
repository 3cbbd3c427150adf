"""PoET (Truong & Bepler, NeurIPS 2023): an autoregressive model of protein families as sequences-of-sequences.

Each tiered layer runs three pre-norm residual steps: causal attention *within* each sequence, causal
mixing *across* the whole stream of homologs, and a GELU MLP (4x). RoPE positions restart at 0 in every
sequence, so no position carries the sequence's index. The between-sequence mixer is a config choice:
``attention`` (PoET), ``window`` or ``mamba2`` (the selective SSM: long prompts at linear cost).

``set_mode`` goes beyond PoET: context sequences mix only within themselves in the between step as
well, and the last sequence (the query) reads all of them, so the query's likelihood is invariant to
any permutation of the context (attention sums over an unordered key set; positions carry no order).

Scoring and generation encode a prompt once (``encode_prompt``: per-layer between-mixer states, e.g. the
KV cache) and then run many continuations against it (``logits_after_prompt``); ``extend`` reads the start of
a new sequence once, so continuations that share it (variants agreeing with the wild type up to a site) start
from there (``logits_after``).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from seqkit.domains.protein.alphabet import VOCAB_SIZE
from seqkit.mixers import build_mixer
from seqkit.mixers.base import MixerState
from seqkit.mixers.full_attention import FullAttention

SET_MODE_MIXERS = ("attention",)


class TieredLayer(nn.Module):
    """Within-sequence attention → between-sequence mixer → MLP, each pre-LN with a residual."""

    def __init__(self, d_model: int, n_heads: int, between: str, between_options: dict[str, Any],
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d_model), nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.within = FullAttention(d_model, n_heads)
        options = dict(between_options)
        if between in ("attention", "window"):
            options.setdefault("n_heads", n_heads)
        self.between = build_mixer(between, d_model, **options)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Dropout(dropout),
                                 nn.Linear(4 * d_model, d_model))
        nn.init.zeros_(self.mlp[-1].weight)  # PoET zero-initialises the MLP's output projection
        nn.init.zeros_(self.mlp[-1].bias)
        self.dropout = nn.Dropout(dropout)

    def forward(self, h: Tensor, sequence_ids: Tensor, positions: Tensor, example_ids: Tensor | None,
                set_mask: Tensor | None) -> Tensor:
        h = h + self.dropout(self.within(self.norm1(h), segment_ids=sequence_ids, positions=positions))
        x = self.norm2(h)
        if set_mask is not None:
            mixed = self.between(x, positions=positions, attn_mask=set_mask)
        else:
            mixed = self.between(x, segment_ids=example_ids, positions=positions, causal=True)
        h = h + self.dropout(mixed)
        return h + self.dropout(self.mlp(self.norm3(h)))


class PoET(nn.Module):
    """Token embedding → tiered layers → LayerNorm → untied vocabulary head.

    Args:
        d_model, n_layers, n_heads: width, depth and heads (PoET 200M: 1024, 12, 16).
        between: the between-sequence mixer (``attention``, ``window``, ``mamba2``, …).
        between_options: its options (e.g. ``{"window": 1024}``).
        set_mode: attend the context as an unordered set (attention only; see the module docstring).
        dropout: residual and MLP dropout.
    """

    def __init__(self, d_model: int = 256, n_layers: int = 4, n_heads: int = 8, between: str = "attention",
                 between_options: dict[str, Any] | None = None, set_mode: bool = False, dropout: float = 0.0) -> None:
        super().__init__()
        if set_mode and between not in SET_MODE_MIXERS:
            raise ValueError(f"PoET: set_mode needs a between-sequence mixer that attends to an unordered set "
                             f"({', '.join(SET_MODE_MIXERS)}), got {between!r}")
        self.set_mode = set_mode
        self.embed = nn.Embedding(VOCAB_SIZE, d_model)
        self.layers = nn.ModuleList(TieredLayer(d_model, n_heads, between, between_options or {}, dropout)
                                    for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, VOCAB_SIZE)

    @staticmethod
    def set_mask(sequence_ids: Tensor) -> Tensor:
        """(B, L, L) mask for one example per row: context tokens see their own sequence (causally); the
        row's last sequence (the query) sees the whole context and itself causally. Padding (sequence id
        -1, after the query) only sees itself."""
        length = sequence_ids.shape[1]
        causal = torch.ones(length, length, dtype=torch.bool, device=sequence_ids.device).tril()
        same_seq = sequence_ids[:, :, None] == sequence_ids[:, None, :]
        is_query = sequence_ids == sequence_ids.amax(dim=1, keepdim=True)  # (B, L)
        return (same_seq | is_query[:, :, None]) & causal

    def forward(self, tokens: Tensor, sequence_ids: Tensor, positions: Tensor,
                example_ids: Tensor | None = None) -> Tensor:
        """Logits (B, L, vocab) for packed streams: ``sequence_ids`` number the sequences, ``positions``
        restart in each, ``example_ids`` separate independent examples packed in one row."""
        if self.set_mode and example_ids is not None:
            raise ValueError("PoET: set mode takes one example per row; pass example_ids=None")
        h = self.embed(tokens)  # (B, L, D)
        mask = self.set_mask(sequence_ids) if self.set_mode else None
        for layer in self.layers:
            h = layer(h, sequence_ids, positions, example_ids, mask)
        return self.head(self.norm(h))

    # ------------------------------------------------------------------ cached prompt

    @torch.no_grad()
    def encode_prompt(self, tokens: Tensor, sequence_ids: Tensor, positions: Tensor) -> list[MixerState]:
        """Run a prompt (1, L) once; returns each layer's between-mixer state, ready for a new sequence."""
        h = self.embed(tokens)
        states = []
        for layer in self.layers:
            h = h + layer.within(layer.norm1(h), segment_ids=sequence_ids, positions=positions)
            state = layer.between.init_state(tokens.shape[0], device=tokens.device, dtype=h.dtype)
            # set mode: context tokens see only their own sequence in the between step too
            chunk_segments = sequence_ids if self.set_mode else None
            mixed, state = layer.between.forward_chunk(layer.norm2(h), state, positions=positions,
                                                       segment_ids=chunk_segments)
            h = h + mixed
            h = h + layer.mlp(layer.norm3(h))
            if "pos" in state:
                state = {**state, "pos": 0}  # the next sequence starts at position 0
            states.append(state)
        return states

    def logits_after_prompt(self, tokens: Tensor, states: list[MixerState]) -> Tensor:
        """Logits (B, L, vocab) for B new sequences (one per row, padded at the end) after a cached prompt."""
        return self.logits_after(tokens, [(None, state) for state in states])

    def logits_after(self, tokens: Tensor, sequence_states: list[tuple[MixerState | None, MixerState]],
                     start: int = 0) -> Tensor:
        """Logits (B, L, vocab) for B continuations (one per row, padded at the end) of the sequence that
        ``sequence_states`` (per layer: within-sequence state or None for an empty sequence, between-sequence
        state) has read, from its position ``start``. States of batch 1 are shared by every row, not copied."""
        b, length = tokens.shape
        positions = (start + torch.arange(length, device=tokens.device)).expand(b, length)
        h = self.embed(tokens)  # (B, L, D)
        for layer, (within, between) in zip(self.layers, sequence_states, strict=True):
            if within is None:
                h = h + layer.within(layer.norm1(h), positions=positions)
            else:
                mixed, _ = layer.within.forward_chunk(layer.norm1(h), within, positions=positions, keep_state=False)
                h = h + mixed
            mixed, _ = layer.between.forward_chunk(layer.norm2(h), between, positions=positions, keep_state=False)
            h = h + mixed
            h = h + layer.mlp(layer.norm3(h))
        return self.head(self.norm(h))

    @torch.no_grad()
    def extend(self, tokens: Tensor, sequence_states: list[tuple[MixerState | None, MixerState]],
               start: int = 0) -> list[tuple[MixerState, MixerState]]:
        """Read ``tokens`` (1, S) at positions ``start``… of the current sequence; the per-layer (within, between)
        states after them. Scoring shares a reference's prefix this way: every variant that agrees with the
        wild type up to a site continues from the wild type's states there instead of re-reading the prefix."""
        positions = (start + torch.arange(tokens.shape[1], device=tokens.device))[None]  # (1, S)
        h = self.embed(tokens)
        new_states = []
        for layer, (within, between) in zip(self.layers, sequence_states, strict=True):
            if within is None:
                within = layer.within.init_state(1, device=tokens.device, dtype=h.dtype)
            mixed, within = layer.within.forward_chunk(layer.norm1(h), within, positions=positions)
            h = h + mixed
            mixed, between = layer.between.forward_chunk(layer.norm2(h), between, positions=positions)
            h = h + mixed
            h = h + layer.mlp(layer.norm3(h))
            new_states.append((within, between))
        return new_states

    # ------------------------------------------------------------------ token-by-token decoding

    def start_decoding(self, prompt_states: list[MixerState], batch_size: int) -> list[tuple[MixerState, MixerState]]:
        """Per-layer (within, between) decoding states for ``batch_size`` new sequences after a cached prompt."""
        def expand(state: MixerState) -> MixerState:
            return {k: v.expand(batch_size, *v.shape[1:]).contiguous() if torch.is_tensor(v) else v
                    for k, v in state.items()}

        device = self.embed.weight.device
        return [(layer.within.init_state(batch_size, device=device, dtype=self.embed.weight.dtype), expand(state))
                for layer, state in zip(self.layers, prompt_states, strict=True)]

    @torch.no_grad()
    def step(self, token: Tensor, states: list[tuple[MixerState, MixerState]]
             ) -> tuple[Tensor, list[tuple[MixerState, MixerState]]]:
        """Next-token logits (B, vocab) after feeding ``token`` (B,); positions count up from 0 per sequence."""
        h = self.embed(token)  # (B, D)
        new_states = []
        for layer, (within, between) in zip(self.layers, states, strict=True):
            y, within = layer.within.step(layer.norm1(h), within)
            h = h + y
            y, between = layer.between.step(layer.norm2(h), between)
            h = h + y
            h = h + layer.mlp(layer.norm3(h))
            new_states.append((within, between))
        return self.head(self.norm(h)), new_states
