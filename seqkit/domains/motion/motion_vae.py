"""The motion VAE whose latent Motion Mamba and MLD denoise (Chen et al. 2023, MLD's "global motion tokens").

Encoder: learned global motion tokens (2 per latent token: its mean and log-variance) are put before the
frames' embeddings and read the whole clip through a non-causal seqkit backbone (full attention as MLD, or the
bidirectional Mamba-2 for long clips); their outputs are μ and log σ² of a latent z (n_latent × d_model; 2 ×
256 is the size Motion Mamba found best). Decoder: the latent tokens followed by one query per output frame
(a learned vector plus the frame's sinusoidal position) through a second backbone; the queries' outputs are
the frames. The length is an input of the decoder only, so one latent can be decoded at any length.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from seqkit.backbone import Backbone
from seqkit.diffusion.timestep_embedding import sinusoidal_features
from seqkit.domains.motion.token_denoiser import padding_segments


class MotionVAE(nn.Module):
    """Motion features (B, L, d_feat) ↔ latent (B, n_latent, d_model).

    Args:
        d_feat: feature width (263 for HumanML3D, 251 for KIT).
        d_model: latent and backbone width.
        n_latent: latent tokens.
        layers, mixer_options, mlp_ratio: the backbone spec of encoder and decoder (``seqkit.backbone``);
            every mixer runs non-causally, so recurrent ones must be bidirectional.
    """

    def __init__(self, d_feat: int = 263, d_model: int = 256, n_latent: int = 2, layers: str = "attention*4",
                 mixer_options: dict[str, dict[str, Any]] | None = None, mlp_ratio: float = 4.0,
                 dropout: float = 0.1) -> None:
        super().__init__()
        self.d_feat, self.d_model, self.n_latent = d_feat, d_model, n_latent
        self.embed = nn.Linear(d_feat, d_model)
        self.global_tokens = nn.Parameter(torch.randn(1, 2 * n_latent, d_model) * 0.02)
        self.encoder = Backbone(d_model, layers, mixer_options, mlp_ratio, dropout)
        self.latent_in = nn.Linear(d_model, d_model)
        self.query = nn.Parameter(torch.randn(1, 1, d_model) * 0.02)
        self.decoder = Backbone(d_model, layers, mixer_options, mlp_ratio, dropout)
        self.out = nn.Linear(d_model, d_feat)

    def encode(self, x: Tensor, padding: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """x (B, L, d_feat), padding (B, L) True at padded frames → μ, log σ² (B, n_latent, d_model)."""
        b = x.shape[0]
        h = torch.cat([self.global_tokens.expand(b, -1, -1), self.embed(x)], dim=1)  # (B, 2n + L, D)
        ids = padding_segments(2 * self.n_latent, padding, b, x.device)
        h = self.encoder(h, segment_ids=ids, causal=False)[:, :2 * self.n_latent]  # (B, 2n, D)
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-20.0, 10.0)

    def decode(self, z: Tensor, length: int, padding: Tensor | None = None) -> Tensor:
        """z (B, n_latent, d_model) → features (B, length, d_feat)."""
        b = z.shape[0]
        frames = torch.arange(length, device=z.device)
        queries = self.query + sinusoidal_features(frames, self.d_model).to(z.dtype)[None]  # (1, L, D)
        h = torch.cat([self.latent_in(z), queries.expand(b, -1, -1)], dim=1)  # (B, n + L, D)
        ids = padding_segments(self.n_latent, padding, b, z.device)
        h = self.decoder(h, segment_ids=ids, causal=False)[:, self.n_latent:]
        return self.out(h)  # (B, L, d_feat)

    @staticmethod
    def reparameterize(mu: Tensor, logvar: Tensor, generator: torch.Generator | None = None) -> Tensor:
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + (0.5 * logvar).exp() * eps

    @staticmethod
    def kl_divergence(mu: Tensor, logvar: Tensor) -> Tensor:
        """KL(N(μ, σ²) ‖ N(0, 1)), averaged over every latent element."""
        return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).mean()

    def forward(self, x: Tensor, padding: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """Reconstruction (B, L, d_feat), μ and log σ²."""
        mu, logvar = self.encode(x, padding)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z, x.shape[1], padding), mu, logvar
