"""Text-to-motion metrics on embeddings and joints whose answers are known."""

from __future__ import annotations

import numpy as np
import torch

from seqkit.domains.motion.metrics import (
    diversity,
    foot_skating_ratio,
    frechet_distance,
    jitter,
    matching_distance,
    multimodality,
    r_precision,
)


def test_fid_is_zero_for_one_set_and_matches_the_gaussian_formula() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4000, 4))
    assert abs(frechet_distance(a, a)) < 1e-6
    b = rng.normal(size=(4000, 4)) * 2.0 + 1.0  # N(1, 4 I): ‖μ‖² = 4, tr(I + 4I − 2·2I) = 4
    assert abs(frechet_distance(a, b) - 8.0) < 0.5


def test_r_precision_perfect_random_and_ordering() -> None:
    rng = np.random.default_rng(0)
    motion = rng.normal(size=(320, 8))
    assert np.allclose(r_precision(motion, motion), 1.0)
    random = r_precision(rng.normal(size=(320, 8)), motion)
    assert np.all(np.abs(random - np.array([1, 2, 3]) / 32) < 0.05)
    noisy = r_precision(motion + rng.normal(scale=0.5, size=motion.shape), motion)
    assert noisy[0] <= noisy[1] <= noisy[2] and noisy[0] > 0.5


def test_distances() -> None:
    rng = np.random.default_rng(1)
    m = rng.normal(size=(1000, 16))
    assert matching_distance(m, m) == 0.0
    # two independent N(0, I_16) points are about sqrt(2·16) apart
    assert abs(diversity(m) - np.sqrt(32)) < 0.4
    same = np.repeat(m[:5, None], 30, axis=1)
    assert multimodality(same) == 0.0


def test_foot_skating_and_jitter() -> None:
    t = torch.arange(100, dtype=torch.float64)
    still = torch.zeros(100, 22, 3, dtype=torch.float64)
    assert foot_skating_ratio(still) == 0.0 and jitter(still) == 0.0
    sliding = still.clone()
    sliding[:, 10, 0] = 0.05 * t  # left toe slides 5 cm a frame along the floor
    assert foot_skating_ratio(sliding) == 1.0
    lifted = sliding.clone()
    lifted[:, 10, 1] = 0.3  # the same slide 30 cm above the other foot's height: swing, not skating
    assert foot_skating_ratio(lifted) == 0.0
    shaky = still.clone()
    shaky[::2, :, 1] = 0.01
    assert jitter(shaky) > 100 * jitter(sliding) + 1.0
