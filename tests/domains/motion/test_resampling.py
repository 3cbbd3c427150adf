"""Band-limited resampling and zero-phase smoothing of joint trajectories."""

from __future__ import annotations

import math

import pytest
import torch

from seqkit.domains.motion.resampling import butterworth_lowpass, resample_frames


def trajectory(fps: float, seconds: float = 5.0) -> tuple[torch.Tensor, torch.Tensor]:
    """A drifting 1 Hz sway (the kind of signal a root or joint traces), (T, 2, 3), and its times."""
    t = torch.arange(int(seconds * fps), dtype=torch.float64) / fps
    x = torch.stack([torch.sin(2 * math.pi * t) + 0.5 * t + 3.0, 0.2 * torch.cos(2 * math.pi * 0.5 * t) + 1.0,
                     1.2 * t], dim=-1)
    return torch.stack([x, 2 * x], dim=1), t  # (T, 2, 3)


def test_resampling_120_to_20_follows_the_signal_and_keeps_its_ends() -> None:
    x, _ = trajectory(120.0)
    y = resample_frames(x, 120.0, 20.0)
    ref, _ = trajectory(20.0)
    assert y.shape == (100, 2, 3) == ref.shape
    err = (y - ref).abs()
    assert err[3:-3].max() < 2e-3  # interior: the band-limited signal itself
    assert err.max() < 2e-2  # ends: no pull towards zero from the filter's padding (that would be ~3)


def test_resampling_removes_jitter_above_the_new_nyquist_that_decimation_aliases() -> None:
    x, t = trajectory(120.0)
    jitter = 0.05 * torch.sin(2 * math.pi * 19.0 * t)[:, None, None]  # 19 Hz: aliases to 1 Hz at 20 fps
    ref, _ = trajectory(20.0)
    band_limited = resample_frames(x + jitter, 120.0, 20.0)
    decimated = (x + jitter)[::6]
    assert (decimated - ref)[3:-3].abs().max() > 0.04
    assert (band_limited - ref)[3:-3].abs().max() < 0.01


def test_resampling_odd_rates_and_identity() -> None:
    x, _ = trajectory(30.0)
    assert torch.equal(resample_frames(x, 20.0, 20.0), x)
    y = resample_frames(x, 30.0, 20.0)
    assert y.shape[0] == math.floor((x.shape[0] - 1) * 2 / 3) + 1
    ref, _ = trajectory(20.0)
    assert (y - ref[:y.shape[0]])[3:-3].abs().max() < 5e-3
    with pytest.raises(ValueError, match="positive"):
        resample_frames(x, 0.0, 20.0)


def test_lowpass_is_zero_phase_and_removes_noise() -> None:
    x, _ = trajectory(20.0, seconds=10.0)
    g = torch.Generator().manual_seed(0)
    noisy = x + 0.02 * torch.randn(x.shape, generator=g, dtype=x.dtype)
    smooth = butterworth_lowpass(noisy, 20.0, cutoff_hz=4.0)
    assert (smooth - x).abs()[5:-5].max() < (noisy - x).abs()[5:-5].max() * 0.6
    # no lag: the smoothed 1 Hz sway peaks where the clean one does
    clean = butterworth_lowpass(x, 20.0, cutoff_hz=4.0)
    assert (clean - x)[5:-5].abs().max() < 0.01
    with pytest.raises(ValueError, match="Nyquist"):
        butterworth_lowpass(x, 20.0, cutoff_hz=12.0)
