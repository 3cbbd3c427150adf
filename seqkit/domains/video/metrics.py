"""What a long-video sampler is judged by: seams, over-smoothing, and whether each prompt's span shows its prompt.

- ``frame_changes``: mean squared change from each frame to the next, (L − 1,).
- ``seam_ratio``: the mean change across the boundaries of disjoint W-frame clips (frames kW − 1 → kW) over
  the mean change elsewhere: isolated clips jump at those boundaries (ratio ≫ 1), a seamless video has ≈ 1.
- ``sample_variance``: per-frame variance across samples of the same prompts, averaged over pixels: averaging
  overlapping windows pulls samples towards the mean (over-smoothing), which shows as a lower value than the
  short-clip model's own samples.
- ``segment_accuracy`` / ``transition_widths``: from a classifier's per-frame attribute predictions, the share
  of each prompt's frames whose five attributes are all right, and how many frames each prompt change takes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor


def frame_changes(videos: Tensor) -> Tensor:
    """(L − 1,) mean squared change between consecutive frames of videos (B, L, ...), averaged over B."""
    return (videos[:, 1:] - videos[:, :-1]).float().pow(2).flatten(2).mean(dim=(0, 2))


def seam_mask(length: int, window: int) -> Tensor:
    """(L − 1,) True at the changes kW − 1 → kW between disjoint clips of ``window`` frames."""
    mask = torch.zeros(length - 1, dtype=torch.bool)
    mask[window - 1::window] = True
    return mask


def seam_ratio(videos: Tensor, window: int) -> float:
    """Mean change across clip boundaries over the mean change inside clips, of videos (B, L, ...)."""
    changes = frame_changes(videos)
    at_seam = seam_mask(len(changes) + 1, window)
    return float(changes[at_seam].mean() / changes[~at_seam].mean().clamp(min=1e-12))


def sample_variance(videos: Tensor) -> float:
    """Mean over frames and pixels of the variance across samples: videos (N, L, ...)."""
    return float(videos.float().var(dim=0).mean())


def _span_hits(predicted: np.ndarray, truth: Sequence[Sequence[int]], spans: Sequence[tuple[int, int]],
               margin: int) -> list[np.ndarray]:
    """Per span, (frames, n_attributes) bools: each attribute of its frames (less ``margin`` at each inner
    edge) predicted as the span's ``truth``."""
    out = []
    for k, ((start, end), labels) in enumerate(zip(spans, truth, strict=True)):
        a = start + (margin if k > 0 else 0)
        b = end - (margin if k + 1 < len(spans) else 0)
        out.append(predicted[a:b] == np.asarray(labels)[None])
    return out


def segment_accuracy(predicted: np.ndarray, truth: Sequence[Sequence[int]], spans: Sequence[tuple[int, int]],
                     margin: int = 0) -> list[float]:
    """Per span, the share of its frames (less ``margin`` at each inner edge) whose predicted attributes
    (L, n_attributes) all equal the span's ``truth``."""
    return [float(h.all(axis=1).mean()) if len(h) else float("nan")
            for h in _span_hits(predicted, truth, spans, margin)]


def attribute_accuracy(predicted: np.ndarray, truth: Sequence[Sequence[int]], spans: Sequence[tuple[int, int]],
                       margin: int = 0) -> np.ndarray:
    """(n_spans, n_attributes): per span, the share of its frames (as ``segment_accuracy``) whose each
    attribute alone is predicted right, which shows what a generator renders when it misses the whole caption."""
    return np.stack([h.mean(axis=0) if len(h) else np.full(predicted.shape[1], np.nan)
                     for h in _span_hits(predicted, truth, spans, margin)])


def transition_widths(predicted: np.ndarray, truth: Sequence[Sequence[int]], spans: Sequence[tuple[int, int]],
                      reach: int) -> list[int]:
    """Per prompt change, the frames between the first that stops looking like the old prompt and the last that
    does not yet look like the new one, within ``reach`` frames of the change (0 for a clean cut).

    A frame's look is the share of the attributes that differ between the two prompts predicted as the new
    prompt's: 0 is the old prompt, 1 the new.
    """
    widths = []
    for k in range(len(spans) - 1):
        old, new = np.asarray(truth[k]), np.asarray(truth[k + 1])
        differ = old != new
        change = spans[k][1]
        lo, hi = max(spans[k][0], change - reach), min(spans[k + 1][1], change + reach)
        look = (predicted[lo:hi][:, differ] == new[differ][None]).mean(axis=1)  # (hi − lo,)
        departed = np.nonzero(look > 0)[0]
        pending = np.nonzero(look < 1)[0]
        if len(departed) == 0 or len(pending) == 0:
            widths.append(0 if len(departed) and not len(pending) else hi - lo)
            continue
        widths.append(max(0, int(pending[-1] - departed[0] + 1)))
    return widths
