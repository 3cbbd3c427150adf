"""Band-limited frame-rate conversion and zero-phase low-pass smoothing of joint trajectories, with torchaudio.

Mocap is captured at 120 fps (CMU) and text-to-motion data lives at 20 fps. Taking every 6th frame aliases
anything above 10 Hz (marker jitter) into the motion; a windowed-sinc resampler (torchaudio's
``resample``) removes it first. Trajectories are not audio: positions sit far from zero and drift, so each
channel's straight line from the first to the last frame is taken out before filtering and put back after,
and the ends are padded by odd reflection — otherwise the filters' zero padding pulls the first and last
frames towards the origin.

Smoothing is a second-order Butterworth low-pass run forwards and backwards (``filtfilt``: no phase lag),
the usual treatment of mocap trajectories (cut-offs around 6 Hz for gait).
"""

from __future__ import annotations

import math
from fractions import Fraction

import torch
import torchaudio.functional as AF


def _as_channels(x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, ...]]:
    """(T, ...) → (C, T) float64 and the trailing shape."""
    tail = tuple(x.shape[1:])
    return x.reshape(x.shape[0], -1).transpose(0, 1).double(), tail


def _from_channels(c: torch.Tensor, tail: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    return c.transpose(0, 1).reshape(c.shape[1], *tail).to(dtype)


def _detrend(c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Remove each channel's line through its first and last samples: (residual, start, slope per frame)."""
    n = c.shape[1]
    start, end = c[:, :1], c[:, -1:]
    slope = (end - start) / max(n - 1, 1)
    line = start + slope * torch.arange(n, dtype=c.dtype)
    return c - line, start, slope


def _odd_reflect(c: torch.Tensor, pad: int) -> torch.Tensor:
    """Pad (C, T) by ``pad`` frames at each end, point-symmetric about the end samples (zero after detrending)."""
    pad = min(pad, c.shape[1] - 1)
    if pad <= 0:
        return c
    left = 2 * c[:, :1] - c[:, 1:pad + 1].flip(1)
    right = 2 * c[:, -1:] - c[:, -pad - 1:-1].flip(1)
    return torch.cat([left, c, right], dim=1)


def _rate_pair(src_fps: float, dst_fps: float) -> tuple[int, int]:
    """Integer rates in the same ratio (120 → 20 is 6:1; others to within 1/100, e.g. 29.97 → 20 as 3:2)."""
    ratio = Fraction(src_fps / dst_fps).limit_denominator(100)
    return ratio.numerator, ratio.denominator


def resample_frames(x: torch.Tensor, src_fps: float, dst_fps: float = 20.0) -> torch.Tensor:
    """Resample a trajectory (T, ...) from ``src_fps`` to ``dst_fps`` with a band-limited (windowed-sinc) filter.

    Output frame k is at time k / dst_fps; there are floor((T - 1) * dst / src) + 1 of them (the last one not
    after the input's last frame).
    """
    if src_fps <= 0 or dst_fps <= 0:
        raise ValueError(f"frame rates must be positive, got {src_fps} → {dst_fps}")
    if x.shape[0] < 2 or math.isclose(src_fps, dst_fps):
        return x.clone()
    orig, new = _rate_pair(src_fps, dst_fps)
    c, tail = _as_channels(x)  # (C, T)
    resid, start, slope = _detrend(c)
    # pad by whole multiples of ``orig`` input frames (a few filter widths), so that the first real frame
    # lands exactly on output sample ``k * new``
    k = min(max(4, math.ceil(16 / orig)), (c.shape[1] - 1) // orig)
    pad = k * orig
    padded = _odd_reflect(resid, pad)  # (C, pad + T + pad)
    out = AF.resample(padded, orig, new)  # (C, ceil((T + 2 pad) * new / orig))
    n_out = math.floor((x.shape[0] - 1) * new / orig + 1e-9) + 1
    out = out[:, k * new:k * new + n_out]  # (C, T_out)
    t = torch.arange(n_out, dtype=c.dtype) * (orig / new)  # output times in input frames
    out = out + start + slope * t
    return _from_channels(out, tail, x.dtype)


def butterworth_lowpass(x: torch.Tensor, fps: float, cutoff_hz: float = 6.0) -> torch.Tensor:
    """Zero-phase second-order Butterworth low-pass of a trajectory (T, ...) along time."""
    nyquist = fps / 2
    if not 0 < cutoff_hz < nyquist:
        raise ValueError(f"cut-off {cutoff_hz} Hz must lie between 0 and the Nyquist frequency {nyquist} Hz")
    if x.shape[0] < 4:
        return x.clone()
    # bilinear-transform biquad (Q = 1/sqrt 2), the same design as torchaudio's lowpass_biquad
    w0 = 2 * math.pi * cutoff_hz / fps
    alpha = math.sin(w0) / (2 * (1 / math.sqrt(2)))
    cos_w0 = math.cos(w0)
    b = torch.tensor([(1 - cos_w0) / 2, 1 - cos_w0, (1 - cos_w0) / 2], dtype=torch.float64)
    a = torch.tensor([1 + alpha, -2 * cos_w0, 1 - alpha], dtype=torch.float64)
    c, tail = _as_channels(x)
    resid, start, slope = _detrend(c)
    pad = min(3 * max(1, round(fps / cutoff_hz)), c.shape[1] - 1)
    padded = _odd_reflect(resid, pad)
    smooth = AF.filtfilt(padded, a / a[0], b / a[0], clamp=False)[:, pad:pad + c.shape[1]]
    smooth = smooth + start + slope * torch.arange(c.shape[1], dtype=c.dtype)
    return _from_channels(smooth, tail, x.dtype)
