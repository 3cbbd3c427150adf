"""The image tokenizer as a LightningModule: encoder → quantiser (binary or VQ) → decoder.

``quantizer: binary`` is the paper's kind of tokenizer (TextBinarizer: K sign bits per token; ``binary_kind``
``lfq`` or ``bsq``); ``quantizer: vq`` is the baseline with a learned codebook of 2^K codes in the same
K-dimensional latent. Everything else (encoder, decoder, losses, schedule) is shared, so the two differ only
in the quantiser. The reconstruction loss is L1 + L2 on pixels in [-1, 1]; ``text_aware_weight`` α > 0
weighs each pixel by 1 + α·(Sobel edge strength of the original, dilated 3×3, scaled to [0, 1]), so glyph
strokes and their borders count more than flat background (reported with and without in the benchmark).
Validation and test report the reconstruction loss (``val_loss``, what checkpoints keep the best of), PSNR,
SSIM and code usage (distinct codes seen / codebook size).
"""

from __future__ import annotations

from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from torchmetrics.functional.image import structural_similarity_index_measure

from seqkit.compiled import compile_networks
from seqkit.domains.textimage.autoencoder import WIDTHS, ConvDecoder, ConvEncoder
from seqkit.domains.textimage.binary_quantizer import BinaryQuantizer
from seqkit.domains.textimage.vector_quantizer import VectorQuantizer
from seqkit.optim import adamw_warmup_cosine

QUANTIZERS = ("binary", "vq")
REPORTED_LOSSES = ("commitment", "entropy", "codebook")


def edge_weights(images: torch.Tensor, strength: float) -> torch.Tensor:
    """(B, 3, H, W) in [-1, 1] → (B, 1, H, W) weights 1 + strength·edges, edges in [0, 1] per image."""
    gray = images.mean(1, keepdim=True)  # (B, 1, H, W)
    kx = torch.tensor([[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]], device=images.device, dtype=images.dtype)
    kernels = torch.stack([kx, kx.T]).unsqueeze(1)  # (2, 1, 3, 3)
    grad = F.conv2d(F.pad(gray, (1, 1, 1, 1), mode="replicate"), kernels)
    edges = F.max_pool2d(grad.pow(2).sum(1, keepdim=True).sqrt(), 3, stride=1, padding=1)
    edges = edges / edges.flatten(1).amax(1).clamp_min(1e-6).view(-1, 1, 1, 1)
    return 1 + strength * edges


def psnr(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image PSNR in dB of images in [-1, 1], measured on the [0, 1] scale."""
    mse = ((reconstruction.clamp(-1, 1) - target) / 2).pow(2).flatten(1).mean(1)
    return -10 * torch.log10(mse.clamp_min(1e-10))


def ssim(reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-image SSIM (Gaussian 11×11 window, σ 1.5) of images in [-1, 1], on the [0, 1] scale."""
    return structural_similarity_index_measure((reconstruction.clamp(-1, 1) + 1) / 2, (target + 1) / 2,
                                               data_range=1.0, reduction="none")


class TextImageTokenizer(L.LightningModule):
    """Images (B, 3, H, W) in [-1, 1] ↔ tokens (B, H/f, W/f) of K bits each.

    Args:
        quantizer: ``binary`` (K sign bits) or ``vq`` (2^K learned codes).
        bits: K, bits per token (the paper's TextBinarizer uses 13 and 18).
        binary_kind: ``lfq`` (sign of the latent) or ``bsq`` (sign on the unit sphere).
        downsample: f, pixels per token side (16 as in Chameleon's and the paper's tokenizers).
        patch: pixels folded into channels before the first convolution (see ``autoencoder.py``).
        channels: conv widths, one per resolution after the patch stem.
        text_aware_weight: α of the edge-weighted reconstruction loss (0 = plain L1 + L2).
        compile (bool): ``torch.compile`` the ``encoder`` and ``decoder`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, quantizer: str = "binary", bits: int = 13, binary_kind: str = "lfq", downsample: int = 16,
                 patch: int = 4, channels: list[int] | None = None, image_size: int = 256, l1_weight: float = 1.0,
                 l2_weight: float = 1.0, text_aware_weight: float = 0.0, commitment_weight: float = 0.25,
                 entropy_weight: float = 0.1, lr: float = 5e-4, weight_decay: float = 0.0,
                 warmup_steps: int = 200, compile: bool = False) -> None:
        super().__init__()
        if quantizer not in QUANTIZERS:
            raise ValueError(f"quantizer must be one of {QUANTIZERS}, got {quantizer!r}")
        if image_size % downsample:
            raise ValueError(f"image_size {image_size} is not a multiple of downsample {downsample}")
        channels = list(channels or WIDTHS)
        self.save_hyperparameters()
        self.hparams.channels = channels  # plain list in the checkpoint, whatever was passed
        self.encoder = ConvEncoder(bits, downsample, channels, patch=patch)
        self.decoder = ConvDecoder(bits, downsample, channels, patch=patch)
        if quantizer == "binary":
            self.quantizer: BinaryQuantizer | VectorQuantizer = BinaryQuantizer(
                bits, binary_kind, commitment_weight=commitment_weight, entropy_weight=entropy_weight)
        else:
            self.quantizer = VectorQuantizer(bits, commitment_weight=commitment_weight)
        self.register_buffer("code_counts", torch.zeros(2 ** bits if bits <= 24 else 1, dtype=torch.int64),
                             persistent=False)

    # ---- tokens -----------------------------------------------------------------------------------------

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["encoder", "decoder"])

    @property
    def bits(self) -> int:
        return int(self.hparams.bits)

    @property
    def grid(self) -> int:
        """Tokens per image side."""
        return self.hparams.image_size // self.hparams.downsample

    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [-1, 1] → (B, H/f, W/f) int64 token indices in [0, 2^K)."""
        _, indices, _ = self.quantizer(self.encoder(images))
        return indices

    def decode(self, indices: torch.Tensor) -> torch.Tensor:
        """(B, h, w) token indices → (B, 3, h·f, w·f) images in [-1, 1]."""
        return self.decoder(self.quantizer.codes_from_indices(indices))

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """Reconstruction (B, 3, H, W), token indices (B, h, w), quantiser losses and statistics."""
        quantised, indices, losses = self.quantizer(self.encoder(images))
        return self.decoder(quantised), indices, losses

    # ---- training ---------------------------------------------------------------------------------------
    def reconstruction_loss(self, reconstruction: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
        error = reconstruction - images
        per_pixel = self.hparams.l1_weight * error.abs() + self.hparams.l2_weight * error.pow(2)
        if self.hparams.text_aware_weight > 0:
            weights = edge_weights(images, self.hparams.text_aware_weight)
            return (per_pixel * weights).mean() / weights.mean()
        return per_pixel.mean()

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        images = batch["image"]
        reconstruction, _, losses = self(images)
        recon = self.reconstruction_loss(reconstruction, images)
        loss = recon + sum(losses[k] for k in REPORTED_LOSSES if k in losses)
        n = images.shape[0]
        self.log("train_loss", loss, prog_bar=True, batch_size=n)
        self.log("train_reconstruction", recon, batch_size=n)
        for key, value in losses.items():
            self.log(f"train_{key}", value, batch_size=n)
        return loss

    def _evaluate(self, batch: dict[str, Any], stage: str) -> None:
        images = batch["image"]
        reconstruction, indices, _ = self(images)
        n = images.shape[0]
        self.log(f"{stage}_loss", self.reconstruction_loss(reconstruction, images), batch_size=n,
                 sync_dist=True, prog_bar=stage == "val")
        self.log(f"{stage}_psnr", psnr(reconstruction, images).mean(), batch_size=n, sync_dist=True, prog_bar=True)
        self.log(f"{stage}_ssim", ssim(reconstruction, images).mean(), batch_size=n, sync_dist=True)
        if self.code_counts.numel() > 1:
            self.code_counts += torch.bincount(indices.flatten(), minlength=self.code_counts.numel())

    def _usage(self, stage: str) -> None:
        if self.code_counts.numel() > 1 and self.code_counts.sum() > 0:
            counts = self.code_counts
            if self.trainer is not None and self.trainer.world_size > 1:
                counts = self.all_gather(counts).sum(0)
            self.log(f"{stage}_code_usage", (counts > 0).float().mean(), rank_zero_only=True)
            self.code_counts.zero_()

    def on_validation_epoch_start(self) -> None:
        self.code_counts.zero_()

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._usage("val")

    def on_test_epoch_start(self) -> None:
        self.code_counts.zero_()

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._usage("test")

    def predict_step(self, batch: dict[str, Any], batch_idx: int) -> dict[str, Any]:
        reconstruction, indices, _ = self(batch["image"])
        return {"tokens": indices, "reconstruction": reconstruction, "text": batch.get("text"),
                "source": batch.get("source")}

    def configure_optimizers(self) -> dict[str, Any]:
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches, betas=(0.9, 0.99))
