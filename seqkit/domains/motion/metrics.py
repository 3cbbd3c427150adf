"""Text-to-motion metrics as the field computes them (Guo et al. 2022), plus physical plausibility.

On embeddings from a motion–text evaluator: FID between real and generated motion embeddings; R-precision
(each text ranks its own motion among 31 others drawn from the same batch of 32 by Euclidean distance, top-1/2/3
hit rates); MM-Dist (mean distance of matched text and motion embeddings); diversity (mean distance of 300
random pairs of motions); multimodality (mean distance between pairs of motions generated for the same text).
On joints: foot-skating ratio (frames where a foot near the ground slides) and jitter (mean jerk).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import linalg


def frechet_distance(real: np.ndarray, generated: np.ndarray) -> float:
    """FID between two embedding sets (N, D) and (M, D): ‖μ_r − μ_g‖² + tr(Σ_r + Σ_g − 2 (Σ_r Σ_g)^½)."""
    real, generated = np.asarray(real, np.float64), np.asarray(generated, np.float64)
    mu_r, mu_g = real.mean(0), generated.mean(0)
    cov_r, cov_g = np.cov(real, rowvar=False), np.cov(generated, rowvar=False)
    root, _ = linalg.sqrtm(cov_r @ cov_g, disp=False)
    if not np.isfinite(root).all():  # nearly singular product: regularise as the reference implementation does
        eps = np.eye(cov_r.shape[0]) * 1e-6
        root = linalg.sqrtm((cov_r + eps) @ (cov_g + eps))
    root = root.real
    return float(((mu_r - mu_g) ** 2).sum() + np.trace(cov_r + cov_g - 2 * root))


def r_precision(text: np.ndarray, motion: np.ndarray, pool: int = 32, top_k: int = 3,
                rng: np.random.Generator | None = None) -> np.ndarray:
    """Top-1..top_k hit rates (top_k,): pairs (text[i], motion[i]) shuffled into pools of ``pool`` (a last,
    incomplete pool is dropped); in each pool every text ranks the pool's motions by Euclidean distance."""
    n = len(text) // pool * pool
    if n == 0:
        raise ValueError(f"R-precision needs at least {pool} pairs, got {len(text)}")
    order = (rng or np.random.default_rng(0)).permutation(len(text))[:n]
    hits = np.zeros(top_k)
    for start in range(0, n, pool):
        idx = order[start:start + pool]
        d = np.linalg.norm(text[idx][:, None] - motion[idx][None], axis=-1)  # (pool, pool)
        rank = (d < np.diag(d)[:, None]).sum(axis=1)  # how many motions are closer than the true one
        hits += np.array([(rank < k).sum() for k in range(1, top_k + 1)])
    return hits / n


def matching_distance(text: np.ndarray, motion: np.ndarray) -> float:
    """MM-Dist: mean Euclidean distance between each text and its own motion."""
    return float(np.linalg.norm(text - motion, axis=-1).mean())


def diversity(motion: np.ndarray, n_pairs: int = 300, rng: np.random.Generator | None = None) -> float:
    """Mean distance between ``n_pairs`` random pairs of motion embeddings."""
    rng = rng or np.random.default_rng(0)
    n_pairs = min(n_pairs, len(motion))
    a, b = rng.choice(len(motion), n_pairs, replace=False), rng.choice(len(motion), n_pairs, replace=False)
    return float(np.linalg.norm(motion[a] - motion[b], axis=-1).mean())


def multimodality(motion: np.ndarray, n_pairs: int = 10, rng: np.random.Generator | None = None) -> float:
    """Embeddings (N_texts, S samples, D): mean distance between ``n_pairs`` pairs of one text's samples."""
    rng = rng or np.random.default_rng(0)
    s = motion.shape[1]
    a, b = rng.choice(s, n_pairs, replace=True), rng.choice(s, n_pairs, replace=True)
    return float(np.linalg.norm(motion[:, a] - motion[:, b], axis=-1).mean())


def foot_skating_ratio(joints: torch.Tensor, fps: float = 20.0, feet: tuple[int, ...] = (10, 11),
                       height: float = 0.05, slide: float = 0.025) -> float:
    """Fraction of frame steps in which a foot within ``height`` metres of the floor (Y up, floor at the clip's
    lowest foot point) moves more than ``slide`` metres horizontally — at 20 fps, 2.5 cm a frame is 0.5 m/s."""
    f = joints[:, list(feet)]  # (T, F, 3)
    floor = f[..., 1].min()
    near = (f[1:, :, 1] - floor < height) & (f[:-1, :, 1] - floor < height)  # (T-1, F)
    step = (f[1:, :, [0, 2]] - f[:-1, :, [0, 2]]).norm(dim=-1) * (20.0 / fps)  # per 20-fps frame equivalent
    skating = (near & (step > slide)).any(dim=1)
    return float(skating.float().mean())


def jitter(joints: torch.Tensor, fps: float = 20.0) -> float:
    """Mean jerk magnitude (m/s³) over joints and frames: the third difference of positions × fps³."""
    if joints.shape[0] < 4:
        return 0.0
    jerk = joints.diff(n=3, dim=0) * fps ** 3
    return float(jerk.norm(dim=-1).mean())
