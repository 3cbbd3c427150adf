"""Motion Mamba's denoiser (Zhang et al. 2024, arXiv 2403.07487): a U-Net of HTM + BSM blocks.

ε_θ = {E_1..E_N, M, D_1..D_N}. Each block runs HTM over the token (time) axis, then BSM over the channel
axis, and multiplies the result by a linear map of the block's input (the ⊗ of the paper's Fig. 2); the
decoder blocks take the mirror encoder block's output concatenated to their input (skip + Linear), and M is an
attention block in the middle, where the conditioning tokens meet the motion tokens.

* **HTM** (Hierarchical Temporal Mamba): k isolated SSMs over the same input, each with its own Conv1D, A and
  B/C/Δ projections, summed and projected. Here the k SSMs are k head groups of one shared Mamba-2 mixer
  (``n_groups = k``: separate B, C and conv channels per group, a separate A per head), scanned in one kernel
  call; its out_proj over the k groups' outputs contains the paper's sum-then-Linear as a special case.
  The number of scans follows the paper's schedule: 2N−1, …, 3, 1 in the encoder, 1, 3, …, 2N−1 in the decoder.
* **BSM** (Bidirectional Spatial Mamba): the scan runs over the latent channels, in both directions (the shared
  bidirectional Mamba-2 mixer: forward and reverse branches summed, each gated by SiLU(z)). With ``"tokens"``
  folding (the latent model), the token axis (a fixed handful of tokens) becomes the feature axis of that
  scan, lifted to ``bsm_width`` features; with ``"frames"`` folding (the frame-level model, where the number of
  frames varies), each run of ``frames_per_scan`` consecutive frames is one channel scan with those frames as
  its features (the last run zero-padded), which keeps the number of scans at T / frames_per_scan.

Where the paper is silent we chose: pre-norm residual blocks, the conditioning (diffusion step and text) as
tokens before the motion tokens (as MLD's denoiser does), so that HTM's causal scan and M both read them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqkit.domains.motion.token_denoiser import TokenDenoiser
from seqkit.mixers import Mamba2, build_mixer


def htm_schedule(n_blocks: int) -> tuple[list[int], list[int]]:
    """Scans per encoder block (2N−1, …, 3, 1) and per decoder block (1, 3, …, 2N−1)."""
    encoder = [2 * (n_blocks - i) - 1 for i in range(n_blocks)]
    return encoder, encoder[::-1]


class HierarchicalTemporalMamba(nn.Module):
    """k isolated selective SSMs over the time axis of (B, T, D), as head groups of one Mamba-2 mixer."""

    def __init__(self, d_model: int, n_scans: int, d_state: int = 16, head_dim: int = 32, expand: int = 1,
                 chunk_size: int = 64) -> None:
        super().__init__()
        self.n_scans = n_scans
        # each scan gets expand * d_model inner channels of its own, its own conv taps, B/C (one group) and A
        self.mixer = Mamba2(d_model, d_state=d_state, expand=expand * n_scans, head_dim=head_dim, n_groups=n_scans,
                            chunk_size=chunk_size)

    def forward(self, x: Tensor, segment_ids: Tensor | None = None) -> Tensor:
        """(B, T, D) → (B, T, D), causal over T."""
        return self.mixer(x, segment_ids=segment_ids, causal=True)


class BidirectionalSpatialMamba(nn.Module):
    """A bidirectional selective scan over the channel axis of (B, T, D).

    ``chunk_size`` 32 rather than the usual 64: the scans are narrow (``width`` features), so the chunked scan's
    quadratic in-chunk part dominates their cost, and it shrinks with the chunk.
    """

    def __init__(self, d_model: int, n_tokens: int | None, width: int = 16, d_state: int = 16, chunk_size: int = 32,
                 fold: str = "tokens", frames_per_scan: int = 8) -> None:
        super().__init__()
        if fold not in ("tokens", "frames"):
            raise ValueError(f"BSM fold must be 'tokens' or 'frames', got {fold!r}")
        if fold == "tokens" and not n_tokens:
            raise ValueError("BSM with fold='tokens' needs the (fixed) number of tokens")
        self.fold = fold
        self.frames_per_scan = frames_per_scan
        features = n_tokens if fold == "tokens" else frames_per_scan
        self.up = nn.Linear(features, width)
        self.mixer = Mamba2(width, d_state=d_state, expand=2, head_dim=width, chunk_size=chunk_size,
                            bidirectional=True)
        self.down = nn.Linear(width, features)

    def forward(self, x: Tensor) -> Tensor:
        """(B, T, D) → (B, T, D)."""
        if self.fold == "tokens":
            return self.down(self.mixer(self.up(x.transpose(1, 2)), causal=False)).transpose(1, 2)
        b, t, d = x.shape
        p = self.frames_per_scan
        runs = -(-t // p)
        padded = F.pad(x, (0, 0, 0, runs * p - t))  # (B, runs·P, D)
        seq = padded.reshape(b, runs, p, d).permute(0, 1, 3, 2).reshape(b * runs, d, p)  # (B·runs, D, P)
        y = self.down(self.mixer(self.up(seq), causal=False))  # (B·runs, D, P)
        return y.reshape(b, runs, d, p).permute(0, 1, 3, 2).reshape(b, runs * p, d)[:, :t]


class MotionMambaBlock(nn.Module):
    """x + out(BSM(HTM(norm x)) ⊗ gate(norm x)): one encoder or decoder block."""

    def __init__(self, d_model: int, n_scans: int, n_tokens: int | None, fold: str, d_state: int, head_dim: int,
                 bsm_width: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        # a handful of latent tokens is one short chunk: a 64-token chunk would be mostly padding
        chunk = 64 if n_tokens is None else min(64, n_tokens)
        self.htm = HierarchicalTemporalMamba(d_model, n_scans, d_state=d_state, head_dim=head_dim, chunk_size=chunk)
        self.bsm_norm = nn.LayerNorm(d_model)
        self.bsm = BidirectionalSpatialMamba(d_model, n_tokens, width=bsm_width, d_state=d_state, fold=fold)
        self.gate = nn.Linear(d_model, d_model)
        self.out = nn.Linear(d_model, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, segment_ids: Tensor | None = None) -> Tensor:
        h = self.norm(x)
        y = self.htm(h, segment_ids)
        b = self.bsm_norm(y)
        if segment_ids is not None:  # padded frames enter the channel scans as zeros, as past the clip's end
            b = b * (segment_ids == 0).unsqueeze(-1).to(b.dtype)
        y = y + self.bsm(b)
        return x + self.drop(self.out(y * F.silu(self.gate(h))))


class AttentionBlock(nn.Module):
    """The middle block M: a non-causal token mixer over conditioning + motion tokens (full attention by default;
    for thousands of frames a linear one, e.g. windowed attention whose sinks are the conditioning tokens), then
    an MLP."""

    def __init__(self, d_model: int, n_heads: int, dropout: float = 0.0, mixer: str = "attention",
                 mixer_options: dict | None = None) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        options = dict(mixer_options or {})
        if mixer in ("attention", "window"):
            options.setdefault("n_heads", n_heads)
        self.attn = build_mixer(mixer, d_model, **options)
        self.mlp = nn.Sequential(nn.Linear(d_model, 4 * d_model), nn.GELU(), nn.Linear(4 * d_model, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, x: Tensor, segment_ids: Tensor | None = None) -> Tensor:
        x = x + self.drop(self.attn(self.norm1(x), segment_ids=segment_ids, causal=False))
        return x + self.drop(self.mlp(self.norm2(x)))


class MotionMambaDenoiser(TokenDenoiser):
    """ε̂(x_t, t, text) over motion tokens (B, L, d_in): latent tokens (L = n_latent) or frames (L varies).

    Args:
        d_in: width of a motion token (the VAE latent width, or 263 features for the frame-level model).
        d_model: width inside the U-Net.
        n_blocks: N, encoder blocks (and as many decoder blocks); HTM scans 2N−1 … 1 | M | 1 … 2N−1.
        text_dim: width of the text embedding it is conditioned on.
        n_tokens: motion tokens when fixed (latent model; BSM folds tokens into features); None for frames.
        middle, middle_options: the seqkit mixer of the middle block M and its options (default full attention;
            ``window`` with ``n_sinks: 2`` keeps long frame sequences linear while every frame reads the
            conditioning tokens).
    """

    def __init__(self, d_in: int = 256, d_model: int = 256, n_blocks: int = 5, text_dim: int = 256,
                 n_tokens: int | None = 2, d_state: int = 16, head_dim: int = 32, bsm_width: int = 16,
                 n_heads: int = 4, dropout: float = 0.0, middle: str = "attention",
                 middle_options: dict | None = None) -> None:
        super().__init__(d_in, d_model, text_dim, n_tokens)
        fold = "tokens" if n_tokens else "frames"
        seq_tokens = n_tokens + self.n_cond if n_tokens else None
        self.position = nn.Parameter(torch.zeros(1, seq_tokens or 1, d_model)) if n_tokens else None
        enc_k, dec_k = htm_schedule(n_blocks)
        args = dict(n_tokens=seq_tokens, fold=fold, d_state=d_state, head_dim=head_dim, bsm_width=bsm_width,
                    dropout=dropout)
        self.encoder = nn.ModuleList(MotionMambaBlock(d_model, k, **args) for k in enc_k)
        self.middle = AttentionBlock(d_model, n_heads, dropout, middle, middle_options)
        self.skips = nn.ModuleList(nn.Linear(2 * d_model, d_model) for _ in dec_k)
        self.decoder = nn.ModuleList(MotionMambaBlock(d_model, k, **args) for k in dec_k)

    def forward(self, x: Tensor, t: Tensor, text: Tensor, padding: Tensor | None = None) -> Tensor:
        """x (B, L, d_in), t (B,), text (B, text_dim), padding (B, L) bool True at padded frames → ε̂ (B, L, d_in)."""
        h, segment_ids = self.tokens(x, t, text, padding)  # (B, 2 + L, d_model)
        if self.position is not None:
            h = h + self.position
        skips = []
        for block in self.encoder:
            h = block(h, segment_ids)
            skips.append(h)
        h = self.middle(h, segment_ids)
        for block, skip, merge in zip(self.decoder, reversed(skips), self.skips, strict=True):
            h = block(merge(torch.cat([h, skip], dim=-1)), segment_ids)
        return self.head(h)  # (B, L, d_in)
