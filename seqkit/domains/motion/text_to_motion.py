"""Lightning module for text-to-motion diffusion: Motion Mamba or the MLD-like baseline, over latents or frames.

``space="latent"`` denoises the latent of a trained motion VAE (``vae_checkpoint``, frozen and kept in this
module's checkpoint), as Motion Mamba and MLD do; ``space="frames"`` denoises the normalised features frame by
frame (no VAE), for long motions. The denoiser is ε-predicting as in both papers (``prediction="v"`` for
v-prediction, whose x̂_0 errors are not amplified at high noise: DDIM samples of our CPU-budget ε-models
diverged, latent std ≈ 10 where the data have 1), trained with the MSE over uniformly drawn steps of a
1,000-step scaled-linear schedule; the caption's embedding is dropped for 10% of examples (a learned
null embedding) so that sampling can use classifier-free guidance (DDIM, 50 steps, η = 0 by default).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from seqkit.caption_encoder import CaptionEncoder, CaptionVocabulary
from seqkit.compiled import compile_networks
from seqkit.diffusion import DDIMSampler, NoiseSchedule, check_prediction, classifier_free_guidance
from seqkit.domains.motion.feature_statistics import FeatureStatistics
from seqkit.domains.motion.humanml_features import recover_from_ric
from seqkit.domains.motion.motion_mamba import MotionMambaDenoiser
from seqkit.domains.motion.motion_vae import MotionVAE
from seqkit.domains.motion.motion_writer import MotionWriter
from seqkit.domains.motion.transformer_denoiser import SkipTransformerDenoiser
from seqkit.domains.motion.vae_module import masked_mse
from seqkit.optim import adamw_warmup_cosine

DENOISERS = {"motion_mamba": MotionMambaDenoiser, "transformer": SkipTransformerDenoiser}


VAE_KEYS = ("d_feat", "d_model", "n_latent", "layers", "mixer_options", "mlp_ratio", "dropout")


def build_vae(config: dict[str, Any]) -> MotionVAE:
    """An (untrained) VAE of the shape a ``vae_config`` describes."""
    return MotionVAE(config["d_feat"], config["d_model"], config["n_latent"], config["layers"],
                     config.get("mixer_options"), config.get("mlp_ratio", 4.0), config.get("dropout", 0.1))


def load_vae(path: str) -> tuple[MotionVAE, dict[str, Any]]:
    """The VAE of a ``MotionVAEModule`` checkpoint (weights only, no pickle) and that module's hyperparameters."""
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as err:
        raise FileNotFoundError(2, "no such VAE checkpoint (train one with -c motion_vae.yaml)", path) from err
    hp = dict(ckpt.get("hyper_parameters", {}))
    if "n_latent" not in hp:
        raise ValueError(f"{path}: not a motion VAE checkpoint (no n_latent hyperparameter)")
    vae = build_vae(hp)
    state = {k.removeprefix("vae."): v for k, v in ckpt["state_dict"].items() if k.startswith("vae.")}
    vae.load_state_dict(state)
    hp["feature_mean_tensor"] = ckpt["state_dict"].get("statistics.mean")
    hp["feature_std_tensor"] = ckpt["state_dict"].get("statistics.std")
    return vae, hp


class TextToMotion(L.LightningModule):
    """Text → motion features and joints by classifier-free-guided DDIM.

    Args:
        space: "latent" (needs ``vae_checkpoint``) or "frames".
        vae_config: the VAE's shape, recorded in this module's checkpoint when it is trained, so that the module can
            be rebuilt (its VAE weights are in its own state dict) where ``vae_checkpoint`` no longer exists.
        denoiser: "motion_mamba" or "transformer" (the MLD-like baseline).
        denoiser_options: extra constructor arguments of the denoiser (``n_blocks``, ``d_state``, ...).
        vocabulary: caption words (linked from the data module; kept in the checkpoint).
        text_layers: backbone spec of the caption encoder.
        precomputed_text: condition on precomputed caption embeddings (``text_dim`` wide, from any encoder, given
            by the data as ``text_embedding``) instead of training a caption encoder.
        cond_drop: probability of training with the null caption.
        guidance_scale, n_inference_steps, eta: sampling.
        prediction: "eps" (the papers) or "v" (Salimans & Ho 2022): what the denoiser's output is trained to be.
        compile (bool): ``torch.compile`` the ``denoiser`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, space: str = "latent", denoiser: str = "motion_mamba", vae_checkpoint: str | None = None,
                 vae_config: dict[str, Any] | None = None, d_model: int = 256,
                 denoiser_options: dict[str, Any] | None = None,
                 vocabulary: list[str] | None = None, text_dim: int = 256, text_layers: str = "attention*2",
                 precomputed_text: bool = False,
                 max_caption_tokens: int = 32, cond_drop: float = 0.1, guidance_scale: float = 7.5,
                 n_inference_steps: int = 50, eta: float = 0.0, n_train_steps: int = 1000,
                 beta_schedule: str = "scaled_linear", lr: float = 1e-4, weight_decay: float = 0.0,
                 warmup_steps: int = 200, d_feat: int = 263, feature_mean: list[float] | None = None,
                 feature_std: list[float] | None = None, prediction: str = "eps", compile: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        check_prediction(prediction)
        if space not in ("latent", "frames"):
            raise ValueError(f"space must be 'latent' or 'frames', got {space!r}")
        if denoiser not in DENOISERS:
            raise ValueError(f"unknown denoiser {denoiser!r}; choose from {', '.join(DENOISERS)}")
        self.vae: MotionVAE | None = None
        if space == "latent":
            if vae_config is not None and not (vae_checkpoint and os.path.exists(vae_checkpoint)):
                self.vae = build_vae(vae_config)  # a saved module: its own state dict holds the VAE's weights
            elif not vae_checkpoint:
                raise ValueError("space='latent' needs --model.init_args.vae_checkpoint (a motion VAE checkpoint)")
            else:
                self.vae, vae_hp = load_vae(vae_checkpoint)
                if vae_hp["d_feat"] != d_feat:
                    raise ValueError(f"{vae_checkpoint}: the VAE reads {vae_hp['d_feat']} features, the data has "
                                     f"{d_feat}")
                if vae_hp["feature_mean_tensor"] is not None:  # the VAE's own normalisation wins
                    feature_mean = vae_hp["feature_mean_tensor"].tolist()
                    feature_std = vae_hp["feature_std_tensor"].tolist()
                self.hparams["vae_config"] = {k: vae_hp[k] for k in VAE_KEYS if k in vae_hp}
            self.vae.requires_grad_(False).eval()
            token_dim, n_tokens = self.vae.d_model, self.vae.n_latent
        else:
            token_dim, n_tokens = d_feat, None
        self.statistics = FeatureStatistics(feature_mean, feature_std, d_feat)
        self.vocabulary = CaptionVocabulary(vocabulary or [])
        self.caption_encoder = None if precomputed_text else CaptionEncoder(len(self.vocabulary), text_dim, text_layers)
        self.null_text = nn.Parameter(torch.zeros(text_dim))
        options = dict(denoiser_options or {})
        self.denoiser = DENOISERS[denoiser](d_in=token_dim, d_model=d_model, text_dim=text_dim, n_tokens=n_tokens,
                                            **options)
        self.schedule = NoiseSchedule(n_train_steps, kind=beta_schedule)
        # latents are scaled to unit variance (as latent diffusion does); 0 until the first training batch
        self.register_buffer("latent_scale", torch.zeros(()))
        self._latent_scale_set = False  # read from the buffer once (a loaded checkpoint has it), not every step

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["denoiser"])

    def train(self, mode: bool = True) -> TextToMotion:
        super().train(mode)
        if self.vae is not None:  # frozen: never in training mode (no dropout in the encoder)
            self.vae.eval()
        return self

    # ---- conditioning -------------------------------------------------------------------------------------
    def encode_captions(self, captions: Sequence[str]) -> Tensor:
        if self.caption_encoder is None:
            raise ValueError("this model reads precomputed caption embeddings (precomputed_text=true): give them "
                             "with --data.init_args.prompt_embeddings=FILE.npy")
        ids = self.vocabulary.batch(captions, self.hparams.max_caption_tokens).to(self.device)
        return self.caption_encoder(ids)  # (B, text_dim)

    def _text(self, batch: dict[str, Any]) -> Tensor:
        if self.caption_encoder is None:
            if "text_embedding" not in batch:
                raise ValueError("precomputed_text=true but the data gives no caption embeddings "
                                 "(--data.init_args.text_embeddings=FOLDER)")
            return batch["text_embedding"].to(self.null_text.dtype)
        return self.caption_encoder(batch["caption_ids"])

    # ---- training -----------------------------------------------------------------------------------------
    def _targets(self, batch: dict[str, Any]) -> tuple[Tensor, Tensor | None]:
        """What is denoised: scaled latents (B, n, D) or normalised frames (B, L, F), and its padding."""
        if self.vae is None:
            return batch["features"], batch["padding"]
        with torch.no_grad():
            mu, logvar = self.vae.encode(batch["features"], batch["padding"])
            z = self.vae.reparameterize(mu, logvar)
            if not self._latent_scale_set:
                if self.latent_scale == 0:
                    self.latent_scale.fill_(1.0 / z.std().clamp(min=1e-4).item())
                self._latent_scale_set = True
        return z * self.latent_scale, None

    def _diffusion_loss(self, batch: dict[str, Any], drop: float) -> Tensor:
        x0, padding = self._targets(batch)
        b = x0.shape[0]
        text = self._text(batch)
        if drop > 0:
            dropped = torch.rand(b, device=x0.device) < drop
            text = torch.where(dropped[:, None], self.null_text.expand_as(text), text)
        t = self.schedule.sample_timesteps(b, x0.device)
        noise = torch.randn_like(x0)
        out = self.denoiser(self.schedule.add_noise(x0, noise, t), t, text, padding)
        target = self.schedule.training_target(self.hparams.prediction, x0, noise, t)
        if padding is None:
            return (out - target).pow(2).mean()
        return masked_mse(out, target, padding)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        loss = self._diffusion_loss(batch, self.hparams.cond_drop)
        self.log("train_loss", loss, prog_bar=True, batch_size=batch["features"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self.log("val_loss", self._diffusion_loss(batch, 0.0), prog_bar=True,
                 batch_size=batch["features"].shape[0], sync_dist=True)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self.log("test_loss", self._diffusion_loss(batch, 0.0), batch_size=batch["features"].shape[0],
                 sync_dist=True)

    def configure_optimizers(self) -> dict[str, Any]:
        # the frozen VAE's parameters never get gradients, so AdamW leaves them alone
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches)

    # ---- sampling -----------------------------------------------------------------------------------------
    @torch.no_grad()
    def generate(self, captions: Sequence[str] | None, lengths: Sequence[int], text_embedding: Tensor | None = None,
                 guidance_scale: float | None = None, generator: torch.Generator | None = None,
                 n_inference_steps: int | None = None) -> dict[str, Tensor]:
        """Motions for captions (or precomputed embeddings) at the given lengths in frames: un-normalised
        features (B, L_max, F), joints (B, L_max, J, 3), lengths (B,), padding (B, L_max)."""
        b = len(lengths)
        lengths_t = torch.as_tensor(list(lengths), device=self.device)
        longest = int(lengths_t.max())
        padding = torch.arange(longest, device=self.device)[None] >= lengths_t[:, None]  # (B, L)
        text = text_embedding.to(self.device) if text_embedding is not None else self.encode_captions(captions)
        null = self.null_text.expand_as(text)
        scale = self.hparams.guidance_scale if guidance_scale is None else guidance_scale
        if self.vae is not None:
            shape = (b, self.vae.n_latent, self.vae.d_model)
            denoise_padding = None
        else:
            shape = (b, longest, self.hparams.d_feat)
            denoise_padding = padding
        noise = torch.randn(shape, generator=generator, device=self.device)

        def denoise(x_t: Tensor, t: Tensor) -> Tensor:
            both = self.denoiser(torch.cat([x_t, x_t]), torch.cat([t, t]), torch.cat([null, text]),
                                 None if denoise_padding is None else torch.cat([denoise_padding] * 2))
            both = self.schedule.eps_from_output(self.hparams.prediction, torch.cat([x_t, x_t]), both,
                                                 torch.cat([t, t]))
            eps_u, eps_c = both.chunk(2)
            return classifier_free_guidance(eps_u, eps_c, scale)

        sampler = DDIMSampler(self.schedule, n_inference_steps or self.hparams.n_inference_steps, self.hparams.eta)
        x0 = sampler.sample(denoise, noise, generator=generator)
        if self.vae is not None:
            scale_z = self.latent_scale if self.latent_scale > 0 else torch.ones((), device=self.device)
            x0 = self.vae.decode(x0 / scale_z, longest, padding)
        features = self.statistics.denormalize(x0) * (~padding).unsqueeze(-1)
        joints = recover_from_ric(features)  # (B, L, J, 3)
        return {"features": features, "joints": joints, "lengths": lengths_t, "padding": padding}

    def predict_step(self, batch: dict[str, Any], batch_idx: int) -> dict[str, Any] | None:
        """Generate a batch of prompts; ``None`` (skipped) when the motion writer already holds all of them.

        Keys starting with ``_`` (whole motions) are for the motion writer, the rest for the prediction table.
        """
        trainer = self._trainer
        writers = [cb for cb in trainer.callbacks if isinstance(cb, MotionWriter)] if trainer is not None else []
        if writers and all(w.done(trainer, batch["names"]) for w in writers):
            return None
        out = self.generate(batch.get("captions"), batch["lengths"].tolist(), batch.get("text_embedding"))
        return {"name": batch["names"], "caption": batch["captions"], "frames": out["lengths"],
                "_features": out["features"], "_joints": out["joints"]}
