"""LightningModule for PoET: next-token loss on sequences-of-sequences; optional DMS Spearman while training.

``val_loss`` is the per-token loss of held-out family members given a prompt of their family. When
``dms_path`` (a ProteinGym-style CSV of the MSA's query) is set, every validation also scores it with
one cached prompt and logs ``val_spearman``, the number the field judges a family model by; with
``dms_msa_path`` the prompt comes from that MSA (a family the model may never have trained on: zero-shot).
``pretrained`` starts from another PoET checkpoint (e.g. one trained across families) to fine-tune it.
"""

from __future__ import annotations

from typing import Any

import lightning as L
import numpy as np
import torch.nn.functional as F
from scipy.stats import spearmanr
from torch import Tensor

from seqkit.compiled import compile_networks
from seqkit.data import resolve_data_path
from seqkit.domains.protein.poet import PoET
from seqkit.domains.protein.scoring import PromptSpec, score_sequences
from seqkit.domains.protein.variants import Variants, read_variants
from seqkit.optim import adamw_warmup_cosine

#: the hyperparameters that fix PoET's weights' shapes; a ``pretrained`` checkpoint's replace the ones given
ARCHITECTURE = ("d_model", "n_layers", "n_heads", "between", "between_options", "set_mode")


class ProteinLM(L.LightningModule):
    """PoET trained from scratch on MSAs.

    Args:
        d_model, n_layers, n_heads: model size.
        between (str): between-sequence mixer (``attention`` as PoET, ``window``, ``mamba2``).
        between_options (dict, Optional): its options.
        set_mode (bool): order-invariant context (attention only).
        dropout (float): dropout.
        lr, weight_decay (float): AdamW; the rate warms up linearly over ``warmup_steps`` then follows a
            cosine to 10% by the last step.
        dms_path (str, Optional): ProteinGym-style CSV for the first MSA's query, scored at every validation
            (the synthetic family's true DMS is used when the data module has one and this is None).
        dms_msa_path (str, Optional): the MSA whose query ``dms_path`` mutates, for the prompt (default: the data
            module's first MSA); needed when training across families.
        dms_prompt_tokens (int): token budget of that validation prompt.
        pretrained (str, Optional): a ``ProteinLM`` checkpoint whose architecture replaces the one given here and
            whose weights initialise this model (fine-tuning); its path is kept as ``pretrained_from``.
        compile (bool): ``torch.compile`` the ``model`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, d_model: int = 256, n_layers: int = 4, n_heads: int = 8, between: str = "attention",
                 between_options: dict[str, Any] | None = None, set_mode: bool = False, dropout: float = 0.0,
                 lr: float = 1e-3, weight_decay: float = 0.01, warmup_steps: int = 100, dms_path: str | None = None,
                 dms_prompt_tokens: int = 3072, dms_msa_path: str | None = None, pretrained: str | None = None,
                 compile: bool = False) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["pretrained"])
        state = None
        if pretrained is not None:
            import torch

            checkpoint = torch.load(pretrained, map_location="cpu", weights_only=True)
            saved = checkpoint.get("hyper_parameters", {})
            missing = [name for name in ARCHITECTURE if name not in saved]
            if missing or "state_dict" not in checkpoint:
                raise ValueError(f"ProteinLM: {pretrained} is not a ProteinLM checkpoint (no state_dict or no "
                                 f"{', '.join(missing)} in its hyperparameters)")
            for name in ARCHITECTURE:  # the checkpoint decides the architecture (plain types in hparams)
                self.hparams[name] = saved[name]
            self.hparams["pretrained_from"] = str(pretrained)
            state = {k.removeprefix("model."): v for k, v in checkpoint["state_dict"].items() if k.startswith("model.")}
        hp = self.hparams
        self.model = PoET(hp.d_model, hp.n_layers, hp.n_heads, hp.between, hp.between_options, hp.set_mode, dropout)
        if state is not None:  # same architecture, so a strict load: a mismatch is an error, not a silent skip
            self.model.load_state_dict(state)
        self._dms: Variants | None = None
        self._dms_sampler = None

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["model"])

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        return self.model(batch["tokens"], batch["sequence_ids"], batch["positions"])

    def _loss(self, batch: dict[str, Tensor]) -> Tensor:
        inputs = {k: batch[k][:, :-1] for k in ("tokens", "sequence_ids", "positions")}
        logits = self.model(inputs["tokens"], inputs["sequence_ids"], inputs["positions"])  # (B, L-1, V)
        targets, mask = batch["tokens"][:, 1:], batch["loss_mask"][:, 1:].float()
        nll = F.cross_entropy(logits.transpose(1, 2).float(), targets, reduction="none")  # (B, L-1)
        return (nll * mask).sum() / mask.sum().clamp(min=1)

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        loss = self._loss(batch)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True, sync_dist=True,
                 batch_size=batch["tokens"].shape[0])
        return loss

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.log("val_loss", self._loss(batch), prog_bar=True, sync_dist=True, batch_size=batch["tokens"].shape[0])

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        self.log("test_loss", self._loss(batch), sync_dist=True, batch_size=batch["tokens"].shape[0])

    def on_validation_epoch_end(self) -> None:
        dm = self.trainer.datamodule
        synthetic_dms = getattr(dm, "dms", None)
        if (self.hparams.dms_path is None and synthetic_dms is None) or self.trainer.sanity_checking:
            return
        if self._dms_sampler is None:
            if self.hparams.dms_msa_path:
                from seqkit.domains.protein.msa import read_msa
                from seqkit.domains.protein.prompt import HomologSampler

                self._dms_sampler = HomologSampler(read_msa(resolve_data_path(self.hparams.dms_msa_path)))
            else:
                dm.setup()
                self._dms_sampler = dm.samplers[0]
        sampler = self._dms_sampler
        if self._dms is None:
            self._dms = (synthetic_dms if self.hparams.dms_path is None else
                         read_variants(resolve_data_path(self.hparams.dms_path), wild_type=sampler.msa.query))
        scores = score_sequences(self.model, sampler, self._dms.sequences,
                                 [PromptSpec(self.hparams.dms_prompt_tokens, 1.0)], directions=("forward",),
                                 batch_size=64, seed=0)
        rho = spearmanr(scores, self._dms.dms_score).statistic
        self.log("val_spearman", float(np.nan_to_num(rho)), prog_bar=True, sync_dist=True)

    def configure_optimizers(self) -> dict[str, Any]:
        return adamw_warmup_cosine(self, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches)
