"""Sliding-window attention with global sink tokens: the LM-Infinite Λ-mask (Han et al. 2023).

Each query sees the last ``window`` tokens of its segment (local branch) and the first ``n_sinks``
tokens of its segment (global branch). LM-Infinite's distance cap: a sink outside the window is
scored as if it were ``distance_cap`` tokens away (query rotated at ``distance_cap``, sink key at
0), so no relative distance exceeds what the model saw in training. Training runs block-local
(``seqkit.kernels.window_attention``); decoding keeps a bounded cache of window + sinks.
"""

from __future__ import annotations

import torch
from torch import Tensor

from seqkit.kernels.window_attention import window_attention
from seqkit.mixers.attention_heads import RotaryHeads
from seqkit.mixers.base import MixerState


class SlidingWindowAttention(RotaryHeads):
    """Windowed causal (or symmetric, with ``causal=False``) attention with optional sinks.

    Args:
        d_model (int): model width.
        n_heads (int): attention heads. Default: 4.
        window (int): tokens each query sees, itself included (w). Default: 256.
        n_sinks (int): global tokens at each segment start (LM-Infinite uses 10; 0 = plain
            sliding window). Must be <= window. Default: 0.
        distance_cap (int, Optional): relative distance at which out-of-window sinks are seen.
            Default: ``window`` (the pre-training length in LM-Infinite's setting).
        rope_base, rope_scale, rope_truncate: see ``RotaryHeads``.
    """

    def __init__(self, d_model: int, n_heads: int = 4, window: int = 256, n_sinks: int = 0,
                 distance_cap: int | None = None, rope_base: float = 10000.0, rope_scale: float = 1.0,
                 rope_truncate: tuple[float, float, float] | None = None) -> None:
        super().__init__(d_model, n_heads, rope_base, rope_scale, rope_truncate)
        if window < 1:
            raise ValueError(f"SlidingWindowAttention: window must be >= 1, got {window}")
        if not 0 <= n_sinks <= window:
            raise ValueError(f"SlidingWindowAttention: n_sinks must be in [0, window={window}], got {n_sinks}")
        self.window, self.n_sinks = window, n_sinks
        self.distance_cap = window if distance_cap is None else distance_cap
        if self.distance_cap < 0:
            raise ValueError(f"SlidingWindowAttention: distance_cap must be >= 0, got {distance_cap}")

    def forward(self, x: Tensor, *, segment_ids: Tensor | None = None, positions: Tensor | None = None,
                causal: bool = True) -> Tensor:
        self.check_input(x, segment_ids, positions)
        b, length, _ = x.shape
        if positions is None:
            positions = torch.arange(length, device=x.device)
        # the kernels' (B, L, H, d) layout is the projection's own: no head transposes
        q, k, v = self.qkv(x).view(b, length, 3, self.n_heads, self.head_dim).unbind(2)  # each (B, L, H, d)
        q_far = k_far = None
        if self.n_sinks:
            cap = torch.full((1,), self.distance_cap, device=x.device)
            q_far, k_far = self.rotary.rotate(q, cap, heads_after_length=True), k  # sink keys sit at position 0
        q = self.rotary.rotate(q, positions, heads_after_length=True)
        k = self.rotary.rotate(k, positions, heads_after_length=True)
        o = window_attention(q, k, v, window=self.window, causal=causal, segment_ids=segment_ids,
                             n_sinks=self.n_sinks, q_far=q_far, k_far=k_far)  # (B, L, H, d)
        return self.out(o.reshape(b, length, self.d_model))  # (B, L, D)

    def init_state(self, batch_size: int, *, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> MixerState:
        """Bounded cache: the last ``window`` rotated keys/values and the ``n_sinks`` raw sink keys.

        ``index`` counts tokens seen (window and sink membership); ``pos`` is the RoPE position of the next
        token. They move together unless a caller resets ``pos`` (PoET restarts positions per sequence).
        """
        dtype = dtype or self.qkv.weight.dtype
        shape = (batch_size, self.n_heads, self.window, self.head_dim)
        sink_shape = (batch_size, self.n_heads, self.n_sinks, self.head_dim)

        def zeros(s: tuple[int, ...]) -> Tensor:
            return torch.zeros(s, device=device, dtype=dtype)

        return {"k": zeros(shape), "v": zeros(shape), "sink_k": zeros(sink_shape), "sink_v": zeros(sink_shape),
                "pos": 0, "index": 0}

    def step(self, x_t: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        """One causal token; memory stays O(window + n_sinks) however long the sequence grows."""
        self.check_step_input(x_t)
        y, new_state = self.forward_chunk(x_t[:, None], state)
        return y[:, 0], new_state

    def forward_chunk(self, x: Tensor, state: MixerState, *, positions: Tensor | None = None,
                      segment_ids: Tensor | None = None, keep_state: bool = True) -> tuple[Tensor, MixerState | None]:
        """Causal windowed attention of a chunk over the cache and itself, in one pass (see ``init_state``)."""
        self.check_input(x, None, positions if positions is None or positions.dim() == 2 else None)
        if segment_ids is not None:
            raise NotImplementedError("SlidingWindowAttention.forward_chunk: segment_ids are not supported")
        b, length, _ = x.shape
        t0 = state["index"]
        if positions is None:
            positions = state["pos"] + torch.arange(length, device=x.device)
        q, k, v = self.heads(x)  # each (B, H, L, d)
        q_rot, k_rot = self.rotary.rotate(q, positions), self.rotary.rotate(k, positions)
        keys = torch.cat([state["k"].expand(b, -1, -1, -1), k_rot], dim=2)  # (B, H, W + L, d)
        window_values = torch.cat([state["v"].expand(b, -1, -1, -1), v], dim=2)
        values = window_values
        q_index = t0 + torch.arange(length, device=x.device)  # (L,)
        k_index = t0 - self.window + torch.arange(self.window + length, device=x.device)  # (W + L,)
        gap = q_index[:, None] - k_index[None, :]
        near = (k_index >= 0)[None, :] & (gap >= 0) & (gap < self.window)  # (L, W + L)
        scores = (q_rot @ keys.transpose(-1, -2)).masked_fill(~near, float("-inf"))  # (B, H, L, W + L)
        sink_k, sink_v = state["sink_k"].expand(b, -1, -1, -1), state["sink_v"].expand(b, -1, -1, -1)
        if self.n_sinks:
            if t0 < self.n_sinks:  # tokens of this chunk that are sinks keep their raw keys
                n_new = min(self.n_sinks - t0, length)
                sink_k, sink_v = sink_k.clone(), sink_v.clone()
                sink_k[:, :, t0 : t0 + n_new], sink_v[:, :, t0 : t0 + n_new] = k[:, :, :n_new], v[:, :, :n_new]
            sink_index = torch.arange(self.n_sinks, device=x.device)
            far = (q_index[:, None] - sink_index[None, :]) >= self.window  # (L, S): sink outside the window
            q_far = self.rotary.rotate(q, torch.full((1,), self.distance_cap, device=x.device))
            scores_far = (q_far @ sink_k.transpose(-1, -2)).masked_fill(~far, float("-inf"))  # (B, H, L, S)
            scores = torch.cat([scores, scores_far], dim=-1)
            values = torch.cat([values, sink_v], dim=2)
        o = torch.softmax(scores * self.head_dim**-0.5, dim=-1) @ values  # (B, H, L, d)
        new_state = {"k": keys[:, :, -self.window :], "v": window_values[:, :, -self.window :], "sink_k": sink_k,
                     "sink_v": sink_v, "index": t0 + length, "pos": int(positions.reshape(-1, length)[0, -1]) + 1}
        return self.merge(o), new_state
