"""ProbSparse self-attention (Informer, Zhou et al., AAAI 2021), as a ``TokenMixer``.

Only the ``u = c·ceil(ln L_Q)`` "active" queries, ranked by the sparsity measure
``M(q) = max_j s_j − (1/L_K)·Σ_j s_j`` (``s_j = q·k_j/√d``, estimated on ``c·ceil(ln L_K)`` randomly
sampled keys per query), get a full softmax over the keys. The "lazy" queries, whose attention would be
close to uniform, get the initial context instead: ``mean(V)``, or the running mean of ``V`` when causal.
That gives O(L log L) score evaluations instead of O(L²).

The module also does cross-attention (``memory=``) because the Informer decoder attends to the encoder.
It holds no positional encoding: Informer adds positions in its embedding.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.mixers.base import TokenMixer


class ProbSparseAttention(TokenMixer):
    """Multi-head ProbSparse attention; self-attention by default, cross-attention with ``memory``.

    Key sampling draws from ``generator`` when one is given, else from the global torch RNG (so
    ``torch.manual_seed`` makes a forward pass reproducible). Sampling happens in eval mode too, as in
    the paper. ``mix=True`` reproduces Informer's decoder option: the ``(B, H, L, d)`` context is reshaped
    to ``(B, L, H·d)`` without moving the head axis, instead of concatenating the heads per position.
    """

    can_step = False  # Informer decodes the whole horizon in one pass; init_state/step raise.
    can_pack = False  # one series per row: segment_ids raise
    #: key count up to which sampled scores come from a blocked dense Q·Kᵀ (see ``sampled_scores``).
    dense_scores_max_keys = 1024
    #: elements per (batch, head) of one query block's intermediate in ``sampled_scores``.
    block_elements = 1 << 17

    def __init__(self, d_model: int, n_heads: int = 8, factor: int = 5, dropout: float = 0.0,
                 mix: bool = False, dense: bool = False) -> None:
        super().__init__()
        if n_heads < 1 or d_model % n_heads != 0:
            raise ValueError(f"ProbSparseAttention: d_model={d_model} must be divisible by n_heads={n_heads}")
        if factor < 1:
            raise ValueError(f"ProbSparseAttention: factor must be >= 1, got {factor}")
        self.d_model = d_model
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.factor = factor
        self.mix = mix
        #: every query active: canonical softmax attention (the paper's Informer† baseline).
        self.dense = dense
        self.scale = 1.0 / math.sqrt(self.head_dim)
        self.q_proj = nn.Linear(d_model, d_model)
        self.k_proj = nn.Linear(d_model, d_model)
        self.v_proj = nn.Linear(d_model, d_model)
        self.out_proj = nn.Linear(d_model, d_model)
        self.dropout = nn.Dropout(dropout)

    # ------------------------------------------------------------------ sizes and selection

    def sample_sizes(self, l_q: int, l_k: int) -> tuple[int, int]:
        """``(u, U_part)``: active queries ``min(c·ceil(ln L_Q), L_Q)`` and sampled keys per query
        ``min(c·ceil(ln L_K), L_K)``. Both are at least 1 (``ln 1 = 0`` would otherwise give 0)."""
        u = min(max(1, self.factor * math.ceil(math.log(l_q))), l_q)
        u_part = min(max(1, self.factor * math.ceil(math.log(l_k))), l_k)
        return u, u_part

    def sample_keys(self, l_q: int, l_k: int, *, device: torch.device | None = None,
                    generator: torch.Generator | None = None) -> Tensor:
        """The shared sampling index matrix ``(L_Q, U_part)``: key indices drawn uniformly with replacement,
        independently per query, and reused for every batch row and head (as in the paper's code)."""
        _, u_part = self.sample_sizes(l_q, l_k)
        gen_device = generator.device if generator is not None else device
        idx = torch.randint(l_k, (l_q, u_part), generator=generator, device=gen_device)
        return idx.to(device) if device is not None else idx

    def sampled_scores(self, q: Tensor, k: Tensor, idx: Tensor) -> Tensor:
        """Scaled scores ``q_i·k_j/√d`` for the sampled keys ``j ∈ idx[i]``: (B, H, L_Q, U_part).

        Up to ``dense_scores_max_keys`` keys, a block of queries is scored against every key by one GEMM and
        the sampled columns are gathered: the same values, ~2x faster on a CPU at L = 720 than gathering U_part
        key vectors per query (whose dot products are tiny and memory-bound); at L = 2048 the gather wins
        by 2.4x, so longer inputs gather the sampled keys, keeping the O(L log L) cost. Either way, queries
        go in blocks so no intermediate exceeds ~``block_elements`` per (batch, head).
        """
        l_q, l_k = q.shape[-2], k.shape[-2]
        u_part = idx.shape[-1]
        dense = l_k <= self.dense_scores_max_keys
        per_query = l_k if dense else u_part * q.shape[-1]
        block = max(1, self.block_elements // per_query)
        out = []
        for start in range(0, l_q, block):
            q_blk, idx_blk = q[:, :, start : start + block], idx[start : start + block]  # (B, H, c, d), (c, U)
            if dense:
                s = q_blk @ k.transpose(-2, -1)  # (B, H, c, L_K)
                out.append(s.gather(-1, idx_blk.expand(*s.shape[:2], *idx_blk.shape)))  # (B, H, c, U)
            else:
                k_sample = k.index_select(2, idx_blk.reshape(-1)).unflatten(2, idx_blk.shape)  # (B, H, c, U, d)
                out.append((q_blk.unsqueeze(-2) @ k_sample.transpose(-2, -1)).squeeze(-2))  # (B, H, c, U)
        return torch.cat(out, dim=2) * self.scale

    def sparsity_measure(self, q: Tensor, k: Tensor, idx: Tensor, causal: bool) -> Tensor:
        """``M(q_i) = max_j s_ij − (1/L_K)·Σ_j s_ij`` over the sampled keys ``j ∈ idx[i]``; ``(B, H, L_Q)``.

        ``q``: (B, H, L_Q, d), ``k``: (B, H, L_K, d), ``idx``: (L_Q, U_part). The sum is divided by L_K,
        not by the sample count, as in the paper's Eq. (4). When ``causal``, query i only uses the sampled
        keys with index <= i, and L_K becomes its number of visible keys, i + 1 (the same formula applied
        to the keys it may see); a query with no visible sampled key gets ``-inf`` (ranked last).
        """
        scores = self.sampled_scores(q, k, idx)  # (B, H, L_Q, U_part)
        l_q, l_k = q.shape[-2], k.shape[-2]
        if not causal:
            return scores.amax(dim=-1) - scores.sum(dim=-1) / l_k
        pos = torch.arange(l_q, device=q.device)
        visible = idx <= pos[:, None]  # (L_Q, U_part)
        s_max = scores.masked_fill(~visible, float("-inf")).amax(dim=-1)  # (B, H, L_Q)
        s_sum = scores.masked_fill(~visible, 0.0).sum(dim=-1)
        n_visible_keys = (pos + 1).to(scores.dtype)  # (L_Q,)
        measure = s_max - s_sum / n_visible_keys
        return measure.masked_fill(~visible.any(dim=-1), float("-inf"))

    def select_queries(self, q: Tensor, k: Tensor, causal: bool,
                       generator: torch.Generator | None = None) -> Tensor:
        """Indices ``(B, H, u)`` of the active queries: the top-u of the sparsity measure per (batch, head).

        ``q``: (B, H, L_Q, d) and ``k``: (B, H, L_K, d), already projected and split into heads. When
        ``u >= L_Q`` every query is active: this returns ``arange(L_Q)`` without sampling (and without
        consuming random numbers), so the result is plain full attention. The selection is discrete, so it
        runs without autograd. In causal mode the measure of query i only reads keys <= i, but the top-u
        competition is global (as in Informer): a future token can change which past queries are active.
        """
        b, h, l_q, _ = q.shape
        l_k = k.shape[-2]
        u, _ = self.sample_sizes(l_q, l_k)
        if u >= l_q or self.dense:
            return torch.arange(l_q, device=q.device).expand(b, h, l_q)
        with torch.no_grad():
            idx = self.sample_keys(l_q, l_k, device=q.device, generator=generator)
            measure = self.sparsity_measure(q, k, idx, causal)  # (B, H, L_Q)
            return measure.topk(u, dim=-1, sorted=False).indices  # (B, H, u)

    # ------------------------------------------------------------------ attention

    def _split_heads(self, t: Tensor) -> Tensor:
        b, length, _ = t.shape
        return t.view(b, length, self.n_heads, self.head_dim).transpose(1, 2)  # (B, H, L, d)

    def attend(self, q_in: Tensor, kv_in: Tensor, causal: bool, *, selected: Tensor | None = None,
               generator: torch.Generator | None = None) -> Tensor:
        """ProbSparse attention of ``q_in`` (B, L_Q, D) over ``kv_in`` (B, L_K, D); returns (B, L_Q, D).

        ``selected`` (B, H, n) fixes the active query indices (distinct per (batch, head)) instead of
        sampling them; ``select_queries`` returns this form. ``causal`` needs ``L_Q == L_K``.
        """
        b, l_q, _ = q_in.shape
        l_k = kv_in.shape[1]
        if causal and l_q != l_k:
            raise ValueError(f"ProbSparseAttention: causal attention needs as many queries as keys, "
                             f"got L_Q={l_q}, L_K={l_k}")
        q = self._split_heads(self.q_proj(q_in))  # (B, H, L_Q, d)
        k = self._split_heads(self.k_proj(kv_in))  # (B, H, L_K, d)
        v = self._split_heads(self.v_proj(kv_in))  # (B, H, L_K, d)

        if selected is None:
            selected = self.select_queries(q, k, causal, generator=generator)
        elif selected.dim() != 3 or tuple(selected.shape[:2]) != (b, self.n_heads) or selected.shape[2] > l_q:
            raise ValueError(f"ProbSparseAttention: selected must have shape (batch, n_heads, n<=L_Q)="
                             f"({b}, {self.n_heads}, <={l_q}), got {tuple(selected.shape)}")
        selected = selected.to(device=q.device, dtype=torch.long)

        # Initial context for the lazy queries. Non-causal: mean(V) over all keys. Causal: the running mean
        # cumsum(V)_t / (t + 1). The paper says "mean"; Informer's code uses the bare cumsum, whose scale
        # grows with t. The running mean is the causal form of a mean and stays on the scale of V.
        if causal:
            counts = torch.arange(1, l_k + 1, device=v.device, dtype=v.dtype).unsqueeze(-1)  # (L, 1)
            context = v.cumsum(dim=-2) / counts  # (B, H, L, d)
        else:
            context = v.mean(dim=-2, keepdim=True).expand(b, self.n_heads, l_q, self.head_dim)  # (B, H, L_Q, d)

        # Active queries: full softmax over all keys (masked to keys <= their own position when causal).
        gather_idx = selected.unsqueeze(-1).expand(-1, -1, -1, self.head_dim)  # (B, H, n, d)
        q_top = q.gather(2, gather_idx)  # (B, H, n, d)
        scores = (q_top @ k.transpose(-2, -1)) * self.scale  # (B, H, n, L_K)
        if causal:
            future = torch.arange(l_k, device=q.device) > selected.unsqueeze(-1)  # (B, H, n, L_K)
            scores = scores.masked_fill(future, float("-inf"))
        probs = self.dropout(F.softmax(scores, dim=-1))
        top_out = probs @ v  # (B, H, n, d)
        # .to: under CUDA autocast the cumsum stays float32 while the matmul is bf16
        context = context.scatter(2, gather_idx, top_out.to(context.dtype))  # (B, H, L_Q, d)

        if self.mix:
            # Informer's mix=True: reshape (B, H, L, d) straight to (B, L, H·d), head axis left in place.
            out = context.contiguous().view(b, l_q, self.d_model)
        else:
            out = context.transpose(1, 2).reshape(b, l_q, self.d_model)  # (B, L_Q, H·d), heads per position
        return self.out_proj(out)

    def forward(
        self,
        x: Tensor,
        *,
        segment_ids: Tensor | None = None,
        positions: Tensor | None = None,
        causal: bool = True,
        memory: Tensor | None = None,
        selected: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Self-attention over ``x`` (B, L, D), or cross-attention to ``memory`` (B, S, D) when given.

        ``positions`` is accepted for the common contract and ignored (no positional encoding here).
        ``segment_ids`` (packed sequences) is not supported. ``selected`` and ``generator``: see ``attend``.
        """
        self.check_input(x, segment_ids, positions)
        name = type(self).__name__
        if segment_ids is not None:
            raise NotImplementedError(f"{name} does not support packed sequences; pass one series per row")
        if memory is None:
            return self.attend(x, x, causal, selected=selected, generator=generator)
        if causal:
            raise ValueError(f"{name}: cross-attention to memory must be non-causal; pass causal=False")
        if memory.dim() != 3 or memory.shape[0] != x.shape[0] or memory.shape[-1] != self.d_model:
            raise ValueError(f"{name}: memory must have shape (batch={x.shape[0]}, length, "
                             f"d_model={self.d_model}), got {tuple(memory.shape)}")
        return self.attend(x, memory, False, selected=selected, generator=generator)
