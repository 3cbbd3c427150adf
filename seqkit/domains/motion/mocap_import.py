"""Mocap files → 22-joint SMPL motion at 20 fps in metres, canonicalised as HumanML3D does: the import pipeline.

read (BVH, gzipped or not, or ASF/AMC) → forward kinematics → SMPL-22 joints by names, in metres → drop a
leading T-pose → band-limited resampling to 20 fps → optional zero-phase low-pass smoothing → canonical
placement (floor at y = 0, first root at the XZ origin, first frame facing +Z) → minimum length check.
The source frame rate is the file's unless the caller (e.g. from CMU's index, whose note corrects a header
that says 30 fps for a 120 fps take) overrides it. ``import_folder`` runs the pipeline over many files,
skipping and recording the bad ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from seqkit.domains.motion.asf_amc import read_asf_amc
from seqkit.domains.motion.body_joints import T2M_FPS
from seqkit.domains.motion.bvh import read_bvh
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.humanml_features import canonicalize
from seqkit.domains.motion.joint_mapping import detect_scheme, smpl22_positions
from seqkit.domains.motion.resampling import butterworth_lowpass, resample_frames
from seqkit.domains.motion.skeleton import MocapClip
from seqkit.domains.motion.tpose import leading_tpose_frames

MIN_FRAMES = 40  # HumanML3D drops clips shorter than 2 s at 20 fps
MOCAP_SUFFIXES = (".bvh", ".bvh.gz", ".amc", ".amc.gz")


@dataclass
class ImportedMotion:
    """A mocap take on the SMPL-22 body: ``joints`` (T, 22, 3) float32 metres at ``fps``, Y up."""

    joints: torch.Tensor
    fps: float
    source: str
    scheme: str
    source_fps: float
    dropped_tpose: int
    smoothing_hz: float | None


@dataclass
class ImportReport:
    """What a folder import did: the motions, and every file it skipped with the reason."""

    motions: list[ImportedMotion] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def is_mocap_file(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(MOCAP_SUFFIXES)


def asf_for(amc: Path) -> Path:
    """The skeleton file of a CMU take: ``11_01.amc`` → ``11.asf`` beside it (or the only ``.asf`` there)."""
    subject = amc.name.split("_")[0]
    candidate = amc.with_name(f"{subject}.asf")
    if candidate.exists():
        return candidate
    found = sorted(amc.parent.glob("*.asf"))
    if len(found) == 1:
        return found[0]
    raise MotionFormatError(amc, None, f"no skeleton file {candidate.name} beside it (pass asf=...)")


def read_mocap(path: str | os.PathLike, asf: str | os.PathLike | None = None) -> MocapClip:
    """A BVH (plain or gzipped) or an AMC take (its ASF found beside it unless given)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    if path.name.lower().endswith((".amc", ".amc.gz")):
        return read_asf_amc(asf or asf_for(path), path)
    return read_bvh(path)


def import_clip(clip: MocapClip, *, source_fps: float | None = None, fps: float = T2M_FPS,
                smoothing_hz: float | None = None, drop_tpose: bool = True, canonical: bool = True,
                metres_per_unit: float | None = None, min_frames: int = MIN_FRAMES,
                resample: str = "band_limited") -> ImportedMotion:
    """Run the pipeline on a clip that is already read. ``resample="decimate"`` takes every n-th frame instead
    (only for whole-number ratios; it aliases, and exists to compare against data made that way)."""
    scheme = detect_scheme(clip.skeleton, clip.source)
    joints = smpl22_positions(clip, scheme, metres_per_unit)  # (T, 22, 3) float64 metres
    bad = (~torch.isfinite(joints)).any(dim=(1, 2)).nonzero()
    if len(bad):
        raise MotionFormatError(clip.source, f"frame {int(bad[0])}", "joint positions are not finite (NaN or inf "
                                "values in the channels)")
    src_fps = source_fps or clip.fps
    dropped = leading_tpose_frames(joints) if drop_tpose else 0
    joints = joints[dropped:]
    if resample == "decimate":
        ratio = src_fps / fps
        if abs(ratio - round(ratio)) > 1e-3 * ratio:  # a header's 0.0083333 s is 120.0005 fps
            raise ValueError(f"decimation needs a whole-number rate ratio, got {src_fps} → {fps}")
        joints = joints[::round(ratio)]
    elif resample == "band_limited":
        joints = resample_frames(joints, src_fps, fps)
    else:
        raise ValueError(f"resample must be 'band_limited' or 'decimate', got {resample!r}")
    if smoothing_hz:
        joints = butterworth_lowpass(joints, fps, smoothing_hz)
    if joints.shape[0] < min_frames:
        raise MotionFormatError(clip.source, None, f"{joints.shape[0]} frames at {fps:g} fps "
                                f"({joints.shape[0] / fps:.1f} s) is shorter than the minimum {min_frames} frames")
    if canonical:
        joints = canonicalize(joints)
    return ImportedMotion(joints=joints.float(), fps=fps, source=clip.source, scheme=scheme.name,
                          source_fps=src_fps, dropped_tpose=dropped, smoothing_hz=smoothing_hz)


def import_mocap(path: str | os.PathLike, *, asf: str | os.PathLike | None = None,
                 source_fps: float | None = None, **options) -> ImportedMotion:
    """Read one mocap file and run the pipeline (options as ``import_clip``)."""
    return import_clip(read_mocap(path, asf), source_fps=source_fps, **options)


def import_folder(paths: Iterable[str | os.PathLike], *, fps_of: Callable[[Path], float | None] | None = None,
                  progress: bool = True, **options) -> ImportReport:
    """Import every mocap file among ``paths`` (folders are searched); a bad file is skipped with its reason.

    ``fps_of(path)`` may give a file's true frame rate (e.g. from CMU's index) to override its header.
    """
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(f for f in p.rglob("*") if is_mocap_file(f)) if p.is_dir() else [p])
    report = ImportReport()
    iterator: Iterable[Path] = files
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc="importing mocap", unit="file")
    for f in iterator:
        try:
            report.motions.append(import_mocap(f, source_fps=fps_of(f) if fps_of else None, **options))
        except (ValueError, OSError) as err:  # MotionFormatError is a ValueError
            report.skipped.append((str(f), str(err)))
    return report
