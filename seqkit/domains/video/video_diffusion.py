"""The short-clip text-to-video diffusion model, and long videos from it.

Training: v-prediction (Salimans & Ho 2022; ``prediction: eps`` for plain ε) on clips of W frames, pixels in
[-1, 1]. The samplers get ε̂ = √ᾱ v̂ + √(1 − ᾱ) x_t, whose error vanishes at high noise, where plain
ε-prediction gives x̂_0 = (x_t − √(1 − ᾱ) ε̂)/√ᾱ errors that DDIM amplifies unless the model is very precise
(a small CPU-trained one is not: its samples diverged). A caption encoder is trained alongside (CLIP cannot
be downloaded here); captions are replaced by a learned null embedding with probability ``cond_drop`` so
sampling can use classifier-free guidance. Generation: timed prompts → a video of any length through a
long-video sampler (``method``: Gen-L-Video co-denoising, isolated clips, FreeNoise, FIFO), DDIM with η and
guidance configurable; ``edit`` inverts a video (DDIM inversion over the same windows) and regenerates it
under new prompts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from seqkit.caption_encoder import CaptionEncoder, CaptionVocabulary
from seqkit.compiled import compile_networks
from seqkit.diffusion import DDIMSampler, FrameConditions, NoiseSchedule, check_prediction, edit, gaussian
from seqkit.domains.video.long_video import build_sampler
from seqkit.domains.video.space_time_denoiser import SpaceTimeDenoiser
from seqkit.domains.video.timed_prompts import TimedPrompt
from seqkit.domains.video.video_writer import VideoWriter
from seqkit.optim import adamw_warmup_cosine


class VideoDiffusion(L.LightningModule):
    """Text → short clips (training) → long videos (sampling).

    Args:
        vocabulary: caption words (linked from the data module).
        clip_frames, image_size, channels: the clip the model is trained on; its window W at sampling.
        patch, d_model, depth, n_heads, temporal_mixer, temporal_options: the space-time denoiser.
        text_layers: the caption encoder's backbone spec.
        method, stride, weighting, condition_mapping, partitions, lookahead, window_batch: the long-video sampler.
        guidance_scale, n_inference_steps, eta: DDIM with classifier-free guidance.
        compile (bool): ``torch.compile`` the ``denoiser`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, vocabulary: list[str] | None = None, clip_frames: int = 16, image_size: int = 32,
                 channels: int = 3, patch: int = 4, d_model: int = 128, depth: int = 4, n_heads: int = 4,
                 temporal_mixer: str = "attention", temporal_options: dict[str, Any] | None = None,
                 text_layers: str = "attention*2", max_caption_tokens: int = 16, cond_drop: float = 0.1,
                 n_train_steps: int = 1000, beta_schedule: str = "linear", lr: float = 3e-4,
                 weight_decay: float = 0.0, warmup_steps: int = 200, guidance_scale: float = 3.0,
                 n_inference_steps: int = 50, eta: float = 0.0, method: str = "co_denoising",
                 stride: int | None = None, weighting: str = "uniform", condition_mapping: str = "majority",
                 partitions: int = 4, lookahead: bool = True, window_batch: int = 8, prediction: str = "v",
                 compile: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters()
        check_prediction(prediction)
        self.vocabulary = CaptionVocabulary(vocabulary or [])
        self.caption_encoder = CaptionEncoder(len(self.vocabulary), d_model, text_layers)
        self.null_text = nn.Parameter(torch.zeros(d_model))
        self.denoiser = SpaceTimeDenoiser(image_size, channels, patch, d_model, depth, n_heads, temporal_mixer,
                                          temporal_options, cond_dim=d_model)
        self.schedule = NoiseSchedule(n_train_steps, kind=beta_schedule)

    # ---- conditioning -------------------------------------------------------------------------------------

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["denoiser"])

    def encode_captions(self, captions: Sequence[str]) -> Tensor:
        ids = self.vocabulary.batch(captions, self.hparams.max_caption_tokens).to(self.device)
        return self.caption_encoder(ids)  # (B, d_model)

    # ---- training -----------------------------------------------------------------------------------------
    def _loss(self, batch: dict[str, Any], drop: float, generator: torch.Generator | None = None) -> Tensor:
        x0 = batch["video"]  # (B, F, 3, H, W)
        b = x0.shape[0]
        text = self.encode_captions(batch["caption"])
        if drop > 0:
            dropped = torch.rand(b, device=x0.device) < drop
            text = torch.where(dropped[:, None], self.null_text.expand_as(text), text)
        t = self.schedule.sample_timesteps(b, x0.device, generator)
        noise = gaussian(x0.shape, x0, generator)
        out = self.denoiser(self.schedule.add_noise(x0, noise, t), t, text)
        return (out - self.schedule.training_target(self.hparams.prediction, x0, noise, t)).pow(2).mean()

    def predict_eps(self, x: Tensor, t: Tensor, cond: Tensor) -> Tensor:
        """ε̂ (N, F, C, H, W) at steps t (N,) or per frame (N, F): what the samplers call."""
        return self.schedule.eps_from_output(self.hparams.prediction, x, self.denoiser(x, t, cond), t)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        loss = self._loss(batch, self.hparams.cond_drop)
        self.log("train_loss", loss, prog_bar=True, batch_size=batch["video"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        # fixed steps and noise per batch, so the validation loss compares across epochs
        loss = self._loss(batch, 0.0, torch.Generator().manual_seed(batch_idx))
        self.log("val_loss", loss, prog_bar=True, batch_size=batch["video"].shape[0], sync_dist=True)

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        loss = self._loss(batch, 0.0, torch.Generator().manual_seed(batch_idx))
        self.log("test_loss", loss, batch_size=batch["video"].shape[0], sync_dist=True)

    def configure_optimizers(self) -> dict[str, Any]:
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches)

    # ---- sampling -----------------------------------------------------------------------------------------
    def frame_conditions(self, prompts: Sequence[TimedPrompt], mapping: str | None = None) -> FrameConditions:
        """The prompts' caption embeddings over their frame spans, with the null embedding for guidance."""
        texts = [p.text for p in prompts]
        return FrameConditions(self.encode_captions(texts), [(p.start, p.end) for p in prompts],
                               mapping=mapping or self.hparams.condition_mapping, null=self.null_text)

    def sampler(self, method: str | None = None, **overrides: Any):
        h = {**self.hparams, **overrides}
        ddim = DDIMSampler(self.schedule, h["n_inference_steps"], h["eta"])
        return build_sampler(method or h["method"], ddim, h["clip_frames"], h["stride"], h["weighting"],
                             h["guidance_scale"], h["window_batch"], h["partitions"], h["lookahead"])

    def noise(self, length: int, batch: int = 1, seed: int = 0) -> Tensor:
        """The shared initial noise (B, L, C, H, W) of a seed."""
        h = self.hparams
        shape = (batch, length, h.channels, h.image_size, h.image_size)
        return gaussian(shape, self.null_text, torch.Generator().manual_seed(seed))

    @torch.no_grad()
    def generate(self, prompts: Sequence[TimedPrompt], seed: int = 0, batch: int = 1, method: str | None = None,
                 progress: Callable[[int, int], None] | None = None, **overrides: Any) -> Tensor:
        """Videos (B, L, C, H, W) in [-1, 1] for timed prompts tiling 0..L-1."""
        length = prompts[-1].end
        conditions = self.frame_conditions(prompts, overrides.pop("condition_mapping", None))
        sampler = self.sampler(method, **overrides)
        generator = torch.Generator().manual_seed(seed + 1)  # CPU: the same video on any device
        x = sampler.sample(self.predict_eps, self.noise(length, batch, seed), conditions, generator, progress)
        return x.clamp(-1, 1)

    @torch.no_grad()
    def edit(self, video: Tensor, source: Sequence[TimedPrompt], target: Sequence[TimedPrompt], seed: int = 0,
             progress: Callable[[int, int], None] | None = None, **overrides: Any) -> Tensor:
        """``video`` (B, L, C, H, W) inverted under ``source`` prompts and co-denoised under ``target`` ones."""
        sampler = self.sampler("co_denoising", **overrides)
        generator = torch.Generator().manual_seed(seed + 1)
        out = edit(sampler, self.predict_eps, video.to(self.device), self.frame_conditions(source),
                   self.frame_conditions(target), generator, progress)
        return out.clamp(-1, 1)

    def predict_step(self, batch: dict[str, Any], batch_idx: int) -> dict[str, Any] | None:
        """One long video per item: its frames (L, C, H, W) in [-1, 1] with its prompts and seed, for the writer;
        ``None`` when the video writer holds it already (a rerun resumes)."""
        trainer = self._trainer
        writers = [cb for cb in trainer.callbacks if isinstance(cb, VideoWriter)] if trainer is not None else []
        if writers and all(w.done(trainer, batch["index"]) for w in writers):
            return None
        with tqdm(desc=f"video {batch['index']} ({batch['length']} frames)", unit="step", leave=False,
                  disable=trainer is None or not trainer.progress_bar_callback) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            video = self.generate(batch["prompts"], seed=batch["seed"], progress=progress)[0]
        prompts = batch["prompts"]
        # plain columns for the prediction table; ``_`` keys (the whole video) for the video writer
        return {"index": [batch["index"]], "seed": [batch["seed"]], "frames": [batch["length"]],
                "prompts": ["|".join(f"{p.text}@{p.start}:{p.end}" for p in prompts)],
                "_video": video.cpu(), "_prompts": list(prompts), "_seed": batch["seed"], "_index": batch["index"]}
