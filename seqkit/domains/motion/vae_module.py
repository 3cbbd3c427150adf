"""Lightning module that trains the motion VAE (the first stage of latent text-to-motion diffusion).

Loss: masked MSE of the normalised features plus a small KL weight (1e-4, as MLD). Validation also reports
the mean joint position error (MPJPE, mm) between the joints recovered from the reconstruction and from the
input (both through ``recover_from_ric``), which is what a user sees of the reconstruction, globally and
relative to the root (the pose alone).
"""

from __future__ import annotations

from typing import Any

import lightning as L
from torch import Tensor

from seqkit.compiled import compile_networks
from seqkit.domains.motion.feature_statistics import FeatureStatistics
from seqkit.domains.motion.humanml_features import recover_from_ric
from seqkit.domains.motion.motion_vae import MotionVAE
from seqkit.optim import adamw_warmup_cosine


def masked_mse(pred: Tensor, target: Tensor, padding: Tensor) -> Tensor:
    """Mean squared error over the real frames only: (B, L, F) with padding (B, L) True at padded frames."""
    keep = (~padding).unsqueeze(-1).to(pred.dtype)
    return ((pred - target).pow(2) * keep).sum() / (keep.sum() * pred.shape[-1]).clamp(min=1)


def joint_error_mm(pred_features: Tensor, true_features: Tensor, padding: Tensor, root_relative: bool = False
                   ) -> Tensor:
    """Mean per-joint position error in millimetres between two feature sequences (un-normalised); with
    ``root_relative`` the joints are taken relative to each frame's root (the pose without the trajectory,
    whose integrated drift otherwise dominates)."""
    a = recover_from_ric(pred_features.float())  # (B, L, J, 3)
    b = recover_from_ric(true_features.float())
    if root_relative:
        a, b = a - a[..., :1, :], b - b[..., :1, :]
    err = (a - b).norm(dim=-1).mean(dim=-1)  # (B, L)
    keep = (~padding).float()
    return 1000.0 * (err * keep).sum() / keep.sum().clamp(min=1)


class MotionVAEModule(L.LightningModule):
    """Trains ``MotionVAE`` on normalised motion features.

    Args:
        d_feat, d_model, n_latent, layers, mixer_options, mlp_ratio, dropout: the VAE (``MotionVAE``).
        kl_weight: weight of the KL term.
        feature_mean, feature_std: the data's normalisation statistics (linked from the data module), kept in
            the checkpoint so that decoded latents can be turned back into motion.
        compile (bool): ``torch.compile`` the ``vae`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, d_feat: int = 263, d_model: int = 256, n_latent: int = 2, layers: str = "attention*4",
                 mixer_options: dict[str, dict[str, Any]] | None = None, mlp_ratio: float = 4.0,
                 dropout: float = 0.1, kl_weight: float = 1e-4, lr: float = 2e-4, weight_decay: float = 0.0,
                 warmup_steps: int = 200, feature_mean: list[float] | None = None,
                 feature_std: list[float] | None = None, compile: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.vae = MotionVAE(d_feat, d_model, n_latent, layers, mixer_options, mlp_ratio, dropout)
        self.statistics = FeatureStatistics(feature_mean, feature_std, d_feat)

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["vae"])

    def _losses(self, batch: dict[str, Any]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        x, padding = batch["features"], batch["padding"]
        recon, mu, logvar = self.vae(x, padding)
        mse = masked_mse(recon, x, padding)
        kl = self.vae.kl_divergence(mu, logvar)
        return mse + self.hparams.kl_weight * kl, mse, kl, recon

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        loss, mse, kl, _ = self._losses(batch)
        b = batch["features"].shape[0]
        self.log_dict({"train_loss": loss, "train_mse": mse, "train_kl": kl}, prog_bar=True, batch_size=b)
        return loss

    def _evaluate(self, batch: dict[str, Any], stage: str) -> None:
        loss, mse, kl, recon = self._losses(batch)
        pred, true = self.statistics.denormalize(recon), self.statistics.denormalize(batch["features"])
        mpjpe = joint_error_mm(pred, true, batch["padding"])
        local = joint_error_mm(pred, true, batch["padding"], root_relative=True)
        self.log_dict({f"{stage}_loss": loss, f"{stage}_mse": mse, f"{stage}_mpjpe_mm": mpjpe,
                       f"{stage}_root_relative_mpjpe_mm": local},
                      prog_bar=True, batch_size=batch["features"].shape[0], sync_dist=True)

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def configure_optimizers(self) -> dict[str, Any]:
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches)
