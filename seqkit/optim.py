"""The optimiser every seqkit LM uses: AdamW (no decay on embeddings, norms and biases), linear warm-up,
cosine decay to 10% of the peak, stepped per batch."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = ["adamw_warmup_cosine"]


def adamw_warmup_cosine(module: nn.Module, lr: float, weight_decay: float, warmup_steps: int, total_steps: int,
                        betas: tuple[float, float] = (0.9, 0.98)) -> dict[str, Any]:
    """``configure_optimizers`` output. Warm-up is capped at a tenth of ``total_steps`` so short runs
    still decay."""
    decay = [p for n, p in module.named_parameters() if p.dim() >= 2 and "embed" not in n]
    other = [p for n, p in module.named_parameters() if not (p.dim() >= 2 and "embed" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=lr, betas=betas)
    total = max(1, int(total_steps))
    warmup = min(warmup_steps, max(1, total // 10))

    def factor(step: int) -> float:  # a plain float: numpy scalars would break weights_only checkpoint loads
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.1 + 0.45 * (1.0 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
