"""Where training motions come from: seeded procedural motions, real CMU mocap windows, a HumanML3D folder.

Each source yields ``MotionRecord``s: un-normalised features (L, 263) at 20 fps, the captions describing
them and the split they belong to. Splits keep related motions together: a CMU take's windows all go to one
split (chosen from the take's name), HumanML3D's own split files are honoured, and procedural motions are
assigned by their index.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqkit.domains.motion.body_joints import T2M_FPS
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.humanml_features import HUMANML3D, extract_features
from seqkit.domains.motion.mocap_import import MIN_FRAMES, import_folder
from seqkit.domains.motion.texts import read_cmu_index, read_humanml_texts

SPLITS = ("train", "val", "test")
MAX_FRAMES = 196  # HumanML3D's longest training motion (9.8 s at 20 fps)


@dataclass
class MotionRecord:
    """One training motion: features (L, F) float32, un-normalised; its captions; its split."""

    name: str
    features: np.ndarray
    captions: list[str]
    split: str
    text_embeddings: np.ndarray | None = None  # (n_captions, E) from any text encoder
    meta: dict = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return int(self.features.shape[0])


def split_of(name: str, val_fraction: float = 0.1, test_fraction: float = 0.1) -> str:
    """A stable split for a name (its SHA-1), so that a take always lands in the same split."""
    u = int(hashlib.sha1(name.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "test" if u < test_fraction else "val" if u < test_fraction + val_fraction else "train"


def procedural_records(n: int, seed: int = 0, kinds: list[str] | None = None, min_seconds: float = 2.0,
                       max_seconds: float = 9.8) -> list[MotionRecord]:
    """``n`` seeded procedural motions through the HumanML3D extractor; every 10th is val, the next test.

    Kept for the process (the same arguments give the same motions), so that a second data module, or a
    ``validate`` after ``fit`` in one session, does not generate them again. Treat the records as read-only.
    """
    return list(_procedural_records(n, seed, tuple(kinds) if kinds else None, min_seconds, max_seconds))


@functools.lru_cache(maxsize=4)
def _procedural_records(n: int, seed: int, kinds: tuple[str, ...] | None, min_seconds: float,
                        max_seconds: float) -> tuple[MotionRecord, ...]:
    from seqkit.domains.motion.procedural import procedural_dataset

    motions = procedural_dataset(n, seed=seed, kinds=list(kinds) if kinds else None, min_seconds=min_seconds,
                                 max_seconds=max_seconds)
    records = []
    for i, m in enumerate(motions):
        features = extract_features(np.asarray(m.joints, dtype=np.float64)).astype(np.float32)
        split = "val" if i % 10 == 8 else "test" if i % 10 == 9 else "train"
        features.setflags(write=False)
        records.append(MotionRecord(f"procedural_{seed}_{i:05d}", features, [m.caption], split,
                                    meta={"kind": m.kind}))
    return tuple(records)


def windows(n_frames: int, max_frames: int = MAX_FRAMES, min_frames: int = MIN_FRAMES) -> list[tuple[int, int]]:
    """[start, stop) windows over a take: the whole take when it fits, else ``max_frames`` windows at half
    overlap with a last one ending at the take's end."""
    if n_frames < min_frames:
        return []
    if n_frames <= max_frames:
        return [(0, n_frames)]
    stride = max_frames // 2
    starts = list(range(0, n_frames - max_frames + 1, stride))
    if starts[-1] + max_frames < n_frames:
        starts.append(n_frames - max_frames)
    return [(s, s + max_frames) for s in starts]


def cmu_records(folder: str | os.PathLike, index: str | os.PathLike | None = None, smoothing_hz: float | None = None,
                val_fraction: float = 0.1, test_fraction: float = 0.1, max_frames: int = MAX_FRAMES,
                progress: bool = True) -> tuple[list[MotionRecord], list[tuple[str, str]]]:
    """Windows of real CMU takes with CMU's description of each take as the caption.

    ``index`` is a CMU index CSV (file, description, fps, fps_note...; default ``index.csv`` in the folder);
    takes missing from it are skipped. Returns the records and the files skipped, with reasons.
    """
    folder = Path(folder)
    index_path = Path(index) if index else folder / "index.csv"
    trials = read_cmu_index(index_path)
    by_file = {folder / t.file: t for t in trials.values()}

    def fps_of(path: Path) -> float | None:
        trial = by_file.get(path)
        return trial.effective_fps if trial else None

    paths = [p for p in by_file if p.exists()]
    report = import_folder(paths, fps_of=fps_of, smoothing_hz=smoothing_hz, progress=progress)
    records = []
    for motion in report.motions:
        trial = by_file[Path(motion.source)]
        features = extract_features(motion.joints.double()).numpy().astype(np.float32)  # (T - 1, 263)
        split = split_of(trial.name, val_fraction, test_fraction)
        for k, (start, stop) in enumerate(windows(features.shape[0], max_frames)):
            records.append(MotionRecord(f"cmu_{trial.name}_{k:02d}", features[start:stop], [trial.description],
                                        split, meta={"take": trial.name, "start": start}))
    return records, report.skipped


def _split_names(root: Path, split: str) -> list[str] | None:
    path = root / f"{split}.txt"
    if not path.exists():
        return None
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def humanml3d_records(root: str | os.PathLike, min_frames: int = MIN_FRAMES, max_frames: int = 200,
                      embeddings: str | os.PathLike | None = None,
                      progress: Callable[[Iterable], Iterable] | None = None) -> list[MotionRecord]:
    """A HumanML3D-format folder: ``new_joint_vecs/<id>.npy``, ``texts/<id>.txt``, ``train/val/test.txt``.

    As HumanML3D's loader: motions outside [min_frames, max_frames) are dropped, and a caption that describes a
    span of its motion becomes a motion of its own. Features are memory-mapped, not read into memory.
    ``embeddings``: a folder of ``<id>.npy`` (n_captions, E) precomputed caption embeddings, in text-file order.
    """
    root = Path(root)
    vec_dir, text_dir = root / "new_joint_vecs", root / "texts"
    for d in (vec_dir, text_dir):
        if not d.is_dir():
            raise MotionFormatError(root, None, f"not a HumanML3D folder: no {d.name}/ in it")
    listed = {s: _split_names(root, s) for s in SPLITS}
    if all(v is None for v in listed.values()):
        names = sorted(p.stem for p in vec_dir.glob("*.npy"))
        listed = {"train": None, "val": None, "test": None}
        assign = {n: split_of(n) for n in names}
    else:
        assign = {n: s for s, ns in listed.items() for n in (ns or [])}
    records = []
    items: Iterable = sorted(assign.items())
    if progress is not None:
        items = progress(items)
    for name, split in items:
        vec_path, text_path = vec_dir / f"{name}.npy", text_dir / f"{name}.txt"
        if not vec_path.exists() or not text_path.exists():
            continue
        features = np.load(vec_path, mmap_mode="r")
        if features.ndim != 2 or features.shape[1] != HUMANML3D.dim:
            raise MotionFormatError(vec_path, None, f"expected (frames, {HUMANML3D.dim}) features, got "
                                    f"{features.shape}")
        captions = read_humanml_texts(text_path)
        emb = np.load(Path(embeddings) / f"{name}.npy") if embeddings else None
        whole = [i for i, c in enumerate(captions) if c.whole_clip]
        if whole and min_frames <= features.shape[0] < max_frames:
            records.append(MotionRecord(name, features, [captions[i].text for i in whole], split,
                                        None if emb is None else emb[whole]))
        for i, c in enumerate(captions):
            if c.whole_clip:
                continue
            first, stop = c.frame_span(features.shape[0], T2M_FPS)
            if stop is not None and min_frames <= stop - first < max_frames:
                records.append(MotionRecord(f"{name}#{i}", features[first:stop], [c.text], split,
                                            None if emb is None else emb[i:i + 1]))
    return records
