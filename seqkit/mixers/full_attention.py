"""Full softmax attention with RoPE, via ``scaled_dot_product_attention``; KV cache for decoding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.kernels.segments import segment_runs
from seqkit.mixers.attention_heads import RotaryHeads
from seqkit.mixers.base import MixerState


class FullAttention(RotaryHeads):
    """Every token attends to every (earlier, if causal) token of its segment. O(L²) time.

    Arguments are those of ``RotaryHeads``; ``rope_scale``/``rope_truncate`` let a model trained at
    length T run at longer lengths (position interpolation / truncated basis).
    """

    def forward(self, x: Tensor, *, segment_ids: Tensor | None = None, positions: Tensor | None = None,
                causal: bool = True) -> Tensor:
        self.check_input(x, segment_ids, positions)
        b, length, _ = x.shape
        if positions is None:
            positions = torch.arange(length, device=x.device)
        q, k, v = self.heads(x)
        q, k = self.rotary.rotate(q, positions), self.rotary.rotate(k, positions)
        if segment_ids is None:
            o = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        else:
            runs = segment_runs(segment_ids)
            mask = runs[:, :, None] == runs[:, None, :]  # (B, L, L)
            if causal:
                mask = mask & torch.ones(length, length, dtype=torch.bool, device=x.device).tril()
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None])
        return self.merge(o)  # (B, L, D)

    def init_state(self, batch_size: int, *, device: torch.device | None = None,
                   dtype: torch.dtype | None = None) -> MixerState:
        dtype = dtype or self.qkv.weight.dtype
        empty = torch.zeros(batch_size, self.n_heads, 0, self.head_dim, device=device, dtype=dtype)
        return {"k": empty, "v": empty.clone(), "pos": 0}

    def step(self, x_t: Tensor, state: MixerState) -> tuple[Tensor, MixerState]:
        """Attend from the new token to the growing KV cache (memory grows with length)."""
        self.check_step_input(x_t)
        q, k, v = self.heads(x_t[:, None])  # each (B, H, 1, d)
        pos = torch.tensor([state["pos"]], device=x_t.device)
        q, k = self.rotary.rotate(q, pos), self.rotary.rotate(k, pos)
        keys = torch.cat([state["k"], k], dim=2)
        values = torch.cat([state["v"], v], dim=2)
        o = F.scaled_dot_product_attention(q, keys, values)
        return self.merge(o)[:, 0], {"k": keys, "v": values, "pos": state["pos"] + 1}
