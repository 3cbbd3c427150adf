"""Full softmax attention with RoPE, via ``scaled_dot_product_attention``; KV cache for decoding."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.kernels.lse_attention import attend_with_lse, merge_attention
from seqkit.kernels.segments import in_segment_index, segment_runs
from seqkit.mixers.attention_heads import RotaryHeads
from seqkit.mixers.base import MixerState


class FullAttention(RotaryHeads):
    """Every token attends to every (earlier, if causal) token of its segment. O(L²) time.

    Arguments are those of ``RotaryHeads``; ``rope_scale``/``rope_truncate`` let a model trained at
    length T run at longer lengths (position interpolation / truncated basis).
    """

    def forward(self, x: Tensor, *, segment_ids: Tensor | None = None, positions: Tensor | None = None,
                causal: bool = True, attn_mask: Tensor | None = None) -> Tensor:
        """``attn_mask`` (B, L, L) bool, True where query i may read key j, replaces the causal/segment mask
        (for patterns beyond them, such as a set-mode context)."""
        self.check_input(x, segment_ids, positions)
        b, length, _ = x.shape
        if positions is None:
            positions = torch.arange(length, device=x.device)
        q, k, v = self.heads(x)
        q, k = self.rotary.rotate(q, positions), self.rotary.rotate(k, positions)
        if attn_mask is not None:
            if tuple(attn_mask.shape) != (b, length, length) or attn_mask.dtype != torch.bool:
                raise ValueError(f"FullAttention: attn_mask must be a bool tensor of shape (batch, L, L)="
                                 f"{(b, length, length)}, got {attn_mask.dtype} {tuple(attn_mask.shape)}")
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask[:, None])
        elif segment_ids is None:
            o = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        else:
            o = segment_attention(q, k, v, segment_ids, causal)
        return self.merge(o)  # (B, L, D)

    @staticmethod
    def _segment_mask(segment_ids: Tensor, causal: bool) -> Tensor:
        runs = segment_runs(segment_ids)
        mask = runs[:, :, None] == runs[:, None, :]  # (B, L, L)
        if causal:
            length = segment_ids.shape[1]
            mask = mask & torch.ones(length, length, dtype=torch.bool, device=segment_ids.device).tril()
        return mask

    def forward_chunk(self, x: Tensor, state: MixerState, *, positions: Tensor | None = None,
                      segment_ids: Tensor | None = None, keep_state: bool = True) -> tuple[Tensor, MixerState | None]:
        """Causal attention of the chunk over the cached keys plus the chunk itself.

        The two key blocks are attended separately and merged by log-sum-exp (``kernels.lse_attention``):
        the cache needs no mask, and a batch-1 cache (one prompt, many continuations) is read once for
        all rows by folding the rows into the query axis instead of being copied per row. Positions
        default to ``state["pos"] + arange(L)``; the new state's ``pos`` follows the last one, and a caller
        may reset it (PoET restarts positions in every sequence). ``segment_ids`` limit which chunk tokens
        see each other; every cached key stays visible.
        """
        self.check_input(x, segment_ids, positions if positions is None or positions.dim() == 2 else None)
        b, length, _ = x.shape
        if positions is None:
            positions = state["pos"] + torch.arange(length, device=x.device)
        q, k, v = self.heads(x)  # each (B, H, L, d)
        q, k = self.rotary.rotate(q, positions), self.rotary.rotate(k, positions)
        if segment_ids is None:
            o, lse = attend_with_lse(q, k, v, causal=True)
        else:
            o, lse = attend_with_lse(q, k, v, mask=self._segment_mask(segment_ids, causal=True)[:, None])
        cache_k, cache_v = state["k"], state["v"]  # (1 or B, H, S, d)
        if cache_k.shape[2]:
            if cache_k.shape[0] == 1 and b > 1:  # fold rows into queries: (1, H, B·L, d)
                h, d = q.shape[1], q.shape[3]
                rows = q.transpose(0, 1).reshape(1, h, b * length, d)
                o_cache, lse_cache = attend_with_lse(rows, cache_k, cache_v)
                o_cache = o_cache.reshape(h, b, length, d).transpose(0, 1)  # (B, H, L, d)
                lse_cache = lse_cache.reshape(h, b, length).transpose(0, 1)
            else:
                o_cache, lse_cache = attend_with_lse(q, cache_k, cache_v)
            o = merge_attention(o_cache, lse_cache, o, lse)
        if not keep_state:
            return self.merge(o), None
        keys = torch.cat([cache_k.expand(b, -1, -1, -1), k], dim=2)  # (B, H, S + L, d)
        values = torch.cat([cache_v.expand(b, -1, -1, -1), v], dim=2)
        last = positions.reshape(-1, length)[0, -1] if positions.numel() else state["pos"] - 1
        return self.merge(o), {"k": keys, "v": values, "pos": int(last) + 1}

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


def segment_attention(q: Tensor, k: Tensor, v: Tensor, segment_ids: Tensor, causal: bool) -> Tensor:
    """Attention restricted to each segment (contiguous run), q/k/v (B, H, L, d) → (B, H, L, d).

    Segments are gathered into a padded (runs, H, longest, d) batch and attended separately, so the cost is
    Σ runs × longest² instead of L² per row (PoET's within-sequence step over a packed prompt of homologs is
    ~n times cheaper for n sequences), and causal runs use SDPA's fused is_causal path instead of an explicit
    (L, L) mask. When one long run among many short ones would make the padded batch larger than the rows
    themselves, it falls back to the dense masked form.
    """
    b, h, length, d = q.shape
    runs = segment_runs(segment_ids)  # (B, L): 1, 2, 3, … per row
    offsets = torch.cumsum(torch.cat([runs.new_zeros(1), runs[:, -1][:-1]]), dim=0)  # runs before each row
    run = (runs - 1 + offsets[:, None]).reshape(-1)  # (B·L,) global run index
    n_runs = int(runs[:, -1].sum())
    pos = in_segment_index(segment_ids, b, length, q.device).reshape(-1)  # (B·L,)
    longest = int(pos.max()) + 1
    if n_runs * longest > 2 * b * length:
        mask = FullAttention._segment_mask(segment_ids, causal)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask[:, None])

    def pack(t: Tensor) -> Tensor:  # (B, H, L, d) → (runs, H, longest, d), zeros where a run is shorter
        flat = t.permute(0, 2, 1, 3).reshape(b * length, h, d)
        out = t.new_zeros(n_runs, longest, h, d)
        out[run, pos] = flat
        return out.transpose(1, 2)

    qp, kp, vp = pack(q), pack(k), pack(v)
    if causal:  # padding sits after every real token, so causal queries never reach it
        o = F.scaled_dot_product_attention(qp, kp, vp, is_causal=True)
    else:
        lengths = torch.bincount(run, minlength=n_runs)  # (runs,)
        valid = torch.arange(longest, device=q.device)[None, :] < lengths[:, None]  # (runs, longest)
        o = F.scaled_dot_product_attention(qp, kp, vp, attn_mask=valid[:, None, None, :])
    o = o.transpose(1, 2)[run, pos]  # (B·L, H, d)
    return o.reshape(b, length, h, d).permute(0, 2, 1, 3)
