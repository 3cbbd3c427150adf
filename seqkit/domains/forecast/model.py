"""LightningModule for forecasting: Informer (or its SSM-encoder variant), MSE loss, Adam halved each epoch.

``test`` reports MSE and MAE on standardized values over every test window, overall and per horizon
step (``test_mse``, ``test_mae``; the per-step table goes to ``<log_dir>/test_per_step.csv``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor

from seqkit.atomic_io import atomic_write
from seqkit.compiled import compile_networks
from seqkit.domains.forecast.informer import Informer, decoder_input
from seqkit.domains.forecast.trained_columns import check_columns


class ForecastModel(L.LightningModule):
    """Informer with the paper's defaults; ``enc_in``/``c_out``/lengths are linked from the data by the CLI.

    Args:
        enc_in (int): input channels (dec_in is the same). c_out (int): predicted channels.
        seq_len, label_len, pred_len (int): window lengths (linked from the data).
        lr (float): Adam learning rate, halved after every epoch (Informer's ``type1``).
        columns (list[str] | None): the channels' column names in order (linked from the data). Saved in the
            checkpoint; ``predict``/``test`` from a checkpoint refuse data whose columns differ.
        Other args: see ``seqkit.domains.forecast.informer.Informer``.
        compile (bool): ``torch.compile`` the ``model`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, enc_in: int = 7, c_out: int = 7, seq_len: int = 96, label_len: int = 48, pred_len: int = 24,
                 d_model: int = 512, n_heads: int = 8, e_layers: int = 2, d_layers: int = 1, d_ff: int = 2048,
                 factor: int = 5, dropout: float = 0.05, embed: str = "timeF", freq: str = "h", distil: bool = True,
                 encoder_mixer: str = "probsparse", mixer_options: dict[str, Any] | None = None,
                 decoder_attn: str = "probsparse", lr: float = 1e-4, columns: list[str] | None = None,
                 compile: bool = False) -> None:
        super().__init__()
        if label_len > seq_len:
            raise ValueError(f"model.label_len={label_len} cannot exceed seq_len={seq_len}")
        if columns is not None and len(columns) != enc_in:
            raise ValueError(f"model.columns names {len(columns)} channels ({', '.join(columns)}), enc_in={enc_in}")
        self.save_hyperparameters()
        self.model = Informer(enc_in, enc_in, c_out, pred_len, d_model, n_heads, e_layers, d_layers, d_ff, factor,
                              dropout, embed, freq, distil, encoder_mixer, mixer_options, decoder_attn)
        self._test_sums: dict[str, Tensor] = {}

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["model"])

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Before the weights load (``fit/test/predict --ckpt_path``): the data must have the trained columns."""
        trained = checkpoint.get("hyper_parameters", {}).get("columns")
        datamodule = self._trainer.datamodule if self._trainer is not None else None
        if trained is not None and datamodule is not None and hasattr(datamodule, "series"):
            check_columns(trained, datamodule, datamodule.path)
            self.hparams["columns"] = list(trained)

    def forward(self, x: Tensor, x_mark: Tensor, y: Tensor, y_mark: Tensor) -> Tensor:
        """(B, pred_len, c_out) forecast; ``y`` only contributes its first label_len rows (the start token)."""
        return self.model(x, x_mark, decoder_input(y, self.hparams.label_len, self.hparams.pred_len), y_mark)

    def _pred_and_truth(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        pred = self(batch["x"], batch["x_mark"], batch["y"], batch["y_mark"])
        truth = batch["y"][:, -self.hparams.pred_len :, -self.hparams.c_out :]
        return pred, truth

    def training_step(self, batch: dict[str, Tensor], batch_idx: int) -> Tensor:
        pred, truth = self._pred_and_truth(batch)
        loss = F.mse_loss(pred, truth)
        self.log("train_loss", loss, prog_bar=True, on_step=True, on_epoch=True, sync_dist=True)
        return loss

    def validation_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        pred, truth = self._pred_and_truth(batch)
        self.log("val_loss", F.mse_loss(pred, truth), prog_bar=True, sync_dist=True)

    def on_test_epoch_start(self) -> None:
        self._test_sums = {}

    def test_step(self, batch: dict[str, Tensor], batch_idx: int) -> None:
        pred, truth = self._pred_and_truth(batch)
        err = pred - truth  # (B, pred_len, c_out)
        sums = {"sq": (err**2).sum(dim=(0, 2)), "abs": err.abs().sum(dim=(0, 2)),
                "n": torch.tensor(float(err.shape[0] * err.shape[2]), device=err.device)}
        for k, v in sums.items():
            self._test_sums[k] = self._test_sums.get(k, 0) + v.detach()

    def on_test_epoch_end(self) -> None:
        sums = {k: self.trainer.strategy.reduce(v, reduce_op="sum") for k, v in self._test_sums.items()}
        mse_step, mae_step = sums["sq"] / sums["n"], sums["abs"] / sums["n"]  # (pred_len,)
        self.log("test_mse", mse_step.mean(), sync_dist=False)
        self.log("test_mae", mae_step.mean(), sync_dist=False)
        log_dir = self.trainer.log_dir
        if self.trainer.is_global_zero and log_dir is not None:
            table = pd.DataFrame({"step": range(1, len(mse_step) + 1), "mse": mse_step.cpu().numpy(),
                                  "mae": mae_step.cpu().numpy()})
            atomic_write(Path(log_dir) / "test_per_step.csv", lambda fh: fh.write(table.to_csv(index=False).encode()))

    def predict_step(self, batch: dict[str, Tensor], batch_idx: int, dataloader_idx: int = 0) -> dict[str, Tensor]:
        """Scaled forecast (B, pred_len, c_out); ForecastWriter turns it into dated, data-unit CSV + PNG."""
        return {"index": batch["index"], "forecast": self(batch["x"], batch["x_mark"], batch["y"], batch["y_mark"])}

    def configure_optimizers(self) -> dict[str, Any]:
        opt = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}
