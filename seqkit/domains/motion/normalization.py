"""Z-normalisation of motion features with HumanML3D's statistics: ``(x - Mean) / Std``, one mean per value and
one std per feature *group*.

HumanML3D's ``cal_mean_variance`` computes the per-value mean and std over every frame of every clip, then
replaces the std of each group (root yaw velocity, root XZ velocity, root height, ric, rot6d, local velocity,
foot contacts) by the group's average, so a group is scaled as a whole and a near-constant value inside a group
is not blown up. Its code has a divisor per group, all 1.0 in HumanML3D; text-to-motion's own dataset code
divides the root groups and the foot contacts by ``feat_bias = 5`` (:data:`T2M_FEATURE_BIAS`), which weights them
up 5×. The shipped ``HumanML3D/Std.npy`` has divisor 1 everywhere: its foot-contact std is 0.356, what binary
contacts with its mean of about 0.85 give (``sqrt(p(1-p))`` ≈ 0.35); divided by 5 it would be about 0.07. So
:meth:`FeatureNormalizer.fit` defaults to no divisor and takes ``group_divisors`` for the other convention.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqkit.atomic_io import save_npy
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.humanml_features import HUMANML3D, FeatureLayout, layout_for_dim

__all__ = ["FeatureNormalizer", "T2M_FEATURE_BIAS", "MEAN_FILE", "STD_FILE"]

MEAN_FILE, STD_FILE = "Mean.npy", "Std.npy"
#: text-to-motion's feat_bias: these groups' std divided by 5 (not used in HumanML3D's shipped Std.npy)
T2M_FEATURE_BIAS: dict[str, float] = {"root_rot_velocity": 5.0, "root_linear_velocity": 5.0, "root_height": 5.0,
                                      "foot_contact": 5.0}


def _read_vector(path: Path, dim: int | None) -> np.ndarray:
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, EOFError) as err:  # not an .npy file, truncated, or a pickled object array
        raise MotionFormatError(path, None, f"not a numeric .npy array ({err})") from err
    if not isinstance(arr, np.ndarray) or not np.issubdtype(arr.dtype, np.number):
        raise MotionFormatError(path, None, "not a numeric .npy array")
    if arr.ndim != 1 or (dim is not None and arr.shape[0] != dim):
        want = f"({dim},)" if dim is not None else "one value per feature, (D,)"
        raise MotionFormatError(path, None, f"shape {arr.shape}, expected {want}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise MotionFormatError(path, f"value {int(bad[0])}", f"{bad.size} NaN/inf value(s)")
    return arr.astype(np.float64)


class FeatureNormalizer:
    """Per-value mean and (group-averaged) std of a feature layout; normalises tensors or arrays (..., D)."""

    def __init__(self, mean: Any, std: Any, layout: FeatureLayout | None = HUMANML3D, source: str = "statistics"):
        mean = np.asarray(mean, dtype=np.float64)
        std = np.asarray(std, dtype=np.float64)
        if mean.ndim != 1 or mean.shape != std.shape:
            raise ValueError(f"{source}: mean {mean.shape} and std {std.shape} must be two (D,) vectors")
        self.layout = layout_for_dim(mean.shape[0]) if layout is None else layout
        if mean.shape[0] != self.layout.dim:
            raise ValueError(f"{source}: {mean.shape[0]} values, the {self.layout.name} layout has {self.layout.dim}")
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            raise ValueError(f"{source}: NaN/inf in the statistics")
        if (std <= 0).any():
            raise ValueError(f"{source}: std must be positive (value {int(np.flatnonzero(std <= 0)[0])})")
        self.mean, self.std = mean, std

    @property
    def dim(self) -> int:
        return self.layout.dim

    # ------------------------------------------------------------------------------------------ files

    @classmethod
    def load(cls, mean_path: str | os.PathLike, std_path: str | os.PathLike | None = None,
             layout: FeatureLayout | None = HUMANML3D) -> FeatureNormalizer:
        """Read ``Mean.npy`` and ``Std.npy``. ``mean_path`` may be the folder holding both (HumanML3D's names).

        A file of the wrong shape, with NaN/inf, or with a std that is not positive raises
        :class:`MotionFormatError` naming it. ``layout=None`` accepts any known layout's length (263 or 251).
        """
        mean_path = Path(mean_path)
        if std_path is None:
            if not mean_path.is_dir():
                raise MotionFormatError(mean_path, None, f"give the folder holding {MEAN_FILE} and {STD_FILE}, or "
                                                         "both file paths")
            mean_path, std_path = mean_path / MEAN_FILE, mean_path / STD_FILE
        std_path = Path(std_path)
        dim = None if layout is None else layout.dim
        mean = _read_vector(mean_path, dim)
        std = _read_vector(std_path, dim)
        if mean.shape != std.shape:
            raise MotionFormatError(std_path, None, f"{std.shape[0]} values, but {mean_path} has {mean.shape[0]}")
        bad = np.flatnonzero(std <= 0)
        if bad.size:
            raise MotionFormatError(std_path, f"value {int(bad[0])}", f"std must be positive, got {std[bad[0]]}")
        return cls(mean, std, layout, source=f"{mean_path} / {std_path}")

    def save(self, mean_path: str | os.PathLike, std_path: str | os.PathLike | None = None,
             dtype: Any = np.float32) -> tuple[Path, Path]:
        """Write the statistics as two .npy vectors (float32, as HumanML3D's), each atomically. ``mean_path`` may be a
        folder (then ``Mean.npy`` and ``Std.npy`` go in it)."""
        mean_path = Path(mean_path)
        if std_path is None:
            mean_path, std_path = mean_path / MEAN_FILE, mean_path / STD_FILE
        return save_npy(mean_path, self.mean.astype(dtype)), save_npy(Path(std_path), self.std.astype(dtype))

    # ------------------------------------------------------------------------------------------ fitting

    @classmethod
    def fit(cls, clips: Iterable[Any], layout: FeatureLayout = HUMANML3D,
            group_divisors: Mapping[str, float] | None = None) -> FeatureNormalizer:
        """Statistics of feature clips (each (T_i, D), numpy or torch, unnormalised), HumanML3D's way: mean and std
        (ddof 0) per value over all frames of all clips, then each group's std replaced by its average and divided
        by ``group_divisors[group]`` (default 1; :data:`T2M_FEATURE_BIAS` for text-to-motion's convention)."""
        frames = []
        for i, clip in enumerate(clips):
            arr = clip.detach().cpu().numpy() if isinstance(clip, torch.Tensor) else np.asarray(clip)
            if arr.ndim != 2 or arr.shape[1] != layout.dim:
                raise ValueError(f"clip {i}: expected (T, {layout.dim}), got {arr.shape}")
            frames.append(arr.astype(np.float64))
        if not frames:
            raise ValueError("no clips to fit the statistics on")
        data = np.concatenate(frames, axis=0)
        if not np.isfinite(data).all():
            raise ValueError("the clips contain NaN/inf")
        mean = data.mean(axis=0)
        per_value = data.std(axis=0)
        std = np.empty_like(per_value)
        divisors = dict(group_divisors or {})
        unknown = set(divisors) - set(layout.slices)
        if unknown:
            raise ValueError(f"unknown feature groups {sorted(unknown)}; groups are {list(layout.slices)}")
        for name, s in layout.slices.items():
            std[s] = per_value[s].mean() / divisors.get(name, 1.0)
            if std[s][0] <= 0:
                raise ValueError(f"group {name} does not vary over the clips (std 0): cannot normalise it")
        return cls(mean, std, layout, source="fitted statistics")

    # ------------------------------------------------------------------------------------------ use

    def _stats_like(self, x: Any) -> tuple[Any, Any]:
        if x.shape[-1] != self.dim:
            raise ValueError(f"features have {x.shape[-1]} values per frame, the statistics {self.dim}")
        if isinstance(x, torch.Tensor):
            dtype = x.dtype if x.is_floating_point() else torch.get_default_dtype()
            return (torch.as_tensor(self.mean, dtype=dtype, device=x.device),
                    torch.as_tensor(self.std, dtype=dtype, device=x.device))
        dtype = x.dtype if np.issubdtype(np.asarray(x).dtype, np.floating) else np.float64
        return self.mean.astype(dtype), self.std.astype(dtype)

    def normalize(self, x: Any) -> Any:
        """``(x - mean) / std`` over the last dim (torch tensor or numpy array, same kind and dtype back)."""
        mean, std = self._stats_like(x)
        return (x - mean) / std

    def denormalize(self, z: Any) -> Any:
        """``z * std + mean``: the inverse of :meth:`normalize`."""
        mean, std = self._stats_like(z)
        return z * std + mean

    def __repr__(self) -> str:
        return f"FeatureNormalizer(layout={self.layout.name}, dim={self.dim})"
