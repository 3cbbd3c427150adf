"""Multi-head projections with rotary positions, shared by the softmax-attention mixers."""

from __future__ import annotations

from torch import Tensor, nn

from seqkit.mixers.base import TokenMixer
from seqkit.mixers.rotary import Rotary


class RotaryHeads(TokenMixer):
    """q/k/v/out projections split into heads; keys and queries get RoPE.

    Args:
        d_model (int): model width.
        n_heads (int): attention heads; ``d_model`` must divide evenly.
        rope_base (float): RoPE base. Default: 10000.
        rope_scale (float): linear position interpolation factor (> 1 to run past the training
            length). Default: 1.
        rope_truncate (tuple, Optional): ``(a, b, rho)`` truncated basis (see ``Rotary``).
    """

    def __init__(self, d_model: int, n_heads: int = 4, rope_base: float = 10000.0, rope_scale: float = 1.0,
                 rope_truncate: tuple[float, float, float] | None = None) -> None:
        super().__init__()
        if n_heads < 1 or d_model % n_heads:
            raise ValueError(f"{type(self).__name__}: d_model={d_model} must be divisible by n_heads={n_heads}")
        self.d_model, self.n_heads, self.head_dim = d_model, n_heads, d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model, bias=False)
        self.out = nn.Linear(d_model, d_model, bias=False)
        self.rotary = Rotary(self.head_dim, base=rope_base, scale=rope_scale,
                             truncate=None if rope_truncate is None else tuple(rope_truncate))

    def heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(B, L, D) → q, k, v each (B, H, L, d) before rotation."""
        b, length, _ = x.shape
        qkv = self.qkv(x).view(b, length, 3, self.n_heads, self.head_dim)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, H, L, d)
        return q, k, v

    def merge(self, o: Tensor) -> Tensor:
        """(B, H, L, d) → (B, L, D) through the output projection."""
        b, _, length, _ = o.shape
        return self.out(o.transpose(1, 2).reshape(b, length, self.d_model))
