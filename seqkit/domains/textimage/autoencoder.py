"""Convolutional encoder and decoder around the quantiser: f× downsampling in log2(f) stride-2 stages.

The encoder maps (B, 3, H, W) images in [-1, 1] to (B, D, H/f, W/f) latents; the decoder maps quantised
latents back. A space-to-depth stem first folds ``patch``×``patch`` pixels into channels (pixel unshuffle;
the decoder ends with the matching pixel shuffle), so no convolution runs at full resolution: at 256² that
cuts a CPU training step about fivefold, and a 4×4 patch is still finer than a glyph's stroke pattern. Each
stage is a residual block (norm → SiLU → 3×3 conv, twice) then a resampling conv, the VQGAN family's layout
at a CPU-sized width, with one change: the norms act per pixel over channels, not over the image (see
``ChannelNorm``). VQGAN's image-wide GroupNorm, and the GroupNorm MAGVIT-v2's authors put before a lookup-free
quantiser, erase a page's flat background colour; with them a small autoencoder here never learned the page
colours. The latents reach the quantiser as the last 1×1 conv leaves them; the entropy penalty keeps their
signs balanced.
"""

from __future__ import annotations

import math

import torch
from torch import nn

WIDTHS = (64, 128, 192)


class ChannelNorm(nn.Module):
    """LayerNorm over the channels of each pixel, (B, C, H, W) → same.

    Not GroupNorm: a group norm subtracts each channel group's mean over the whole image, and a page is mostly
    flat background, so it erases exactly what a page's colours are (a flat field normalises to zero)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.movedim(1, -1)).movedim(-1, 1)


class ResidualBlock(nn.Module):
    """x + conv(act(norm(conv(act(norm(x)))))), with a 1×1 projection when the width changes."""

    def __init__(self, channels_in: int, channels_out: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            ChannelNorm(channels_in), nn.SiLU(),
            nn.Conv2d(channels_in, channels_out, 3, padding=1),
            ChannelNorm(channels_out), nn.SiLU(),
            nn.Conv2d(channels_out, channels_out, 3, padding=1))
        self.skip = nn.Identity() if channels_in == channels_out else nn.Conv2d(channels_in, channels_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.body(x)


def stage_widths(channels: list[int] | tuple[int, ...], downsample: int, patch: int) -> list[int]:
    """Check that ``channels`` gives one width per conv resolution (log2(f / patch) + 1) and return it as a list."""
    for name, value in (("downsample", downsample), ("patch", patch)):
        if value < 1 or value & (value - 1):
            raise ValueError(f"{name} must be a power of two, got {value}")
    if patch > downsample:
        raise ValueError(f"patch ({patch}) cannot exceed downsample ({downsample})")
    n = int(math.log2(downsample // patch)) + 1
    if len(channels) != n:
        raise ValueError(f"channels must list {n} widths for {downsample}x downsampling after a {patch}x{patch} "
                         f"patch stem (one per resolution), got {list(channels)}")
    return list(channels)


class ConvEncoder(nn.Module):
    """(B, 3, H, W) → (B, latent_dim, H/f, W/f): the raw output of a last 1×1 conv, which the quantiser reads."""

    def __init__(self, latent_dim: int, downsample: int = 16, channels: list[int] | tuple[int, ...] = WIDTHS,
                 image_channels: int = 3, patch: int = 4) -> None:
        super().__init__()
        widths = stage_widths(channels, downsample, patch)
        layers: list[nn.Module] = [nn.PixelUnshuffle(patch),
                                   nn.Conv2d(image_channels * patch * patch, widths[0], 3, padding=1)]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [ResidualBlock(c_in, c_in), nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)]
        layers += [ResidualBlock(widths[-1], widths[-1]), ChannelNorm(widths[-1]), nn.SiLU(),
                   nn.Conv2d(widths[-1], latent_dim, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


class ConvDecoder(nn.Module):
    """(B, latent_dim, h, w) → (B, 3, h·f, w·f), unbounded (no tanh; clamp to [-1, 1] to view).

    A tanh output would saturate exactly where pages live, near-white backgrounds and near-black glyphs, and
    starve those pixels of gradient: with it, a small decoder here never learned the page colours."""

    def __init__(self, latent_dim: int, downsample: int = 16, channels: list[int] | tuple[int, ...] = WIDTHS,
                 image_channels: int = 3, patch: int = 4) -> None:
        super().__init__()
        widths = stage_widths(channels, downsample, patch)[::-1]
        layers: list[nn.Module] = [nn.Conv2d(latent_dim, widths[0], 3, padding=1), ResidualBlock(widths[0], widths[0])]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c_in, c_out, 3, padding=1),
                       ResidualBlock(c_out, c_out)]
        layers += [ChannelNorm(widths[-1]), nn.SiLU(),
                   nn.Conv2d(widths[-1], image_channels * patch * patch, 3, padding=1),
                   nn.PixelShuffle(patch)]
        self.net = nn.Sequential(*layers)

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        return self.net(latents)
