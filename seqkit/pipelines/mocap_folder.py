"""``seqkit-motion import``: a folder of mocap takes → a HumanML3D-format folder that ``fit`` can train on.

Every BVH (plain or gzipped) and ASF/AMC take among the inputs goes through the import pipeline (SMPL-22 by
joint names, T-pose dropped, band-limited 20 fps, optional smoothing, canonical placement) and is written as
``new_joints/<name>.npy`` (T, 22, 3), ``new_joint_vecs/<name>.npy`` (T - 1, 263) and, when a CMU index gives
the take's description, ``texts/<name>.txt``; ``--gif`` adds ``animations/<name>.gif``. A bad take is skipped
with its reason in ``skipped.csv`` and the rest go on; a rerun skips takes already written.

    seqkit-motion import --output_dir cmu_hml/ --index cmu_daz/index.csv cmu_daz/
    seqkit-motion fit -c motion_vae.yaml --data.init_args.source=humanml3d --data.init_args.path=cmu_hml/
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from seqkit.atomic_io import atomic_write
from seqkit.commands.user_errors import InputError
from seqkit.domains.motion.humanml_features import extract_features
from seqkit.domains.motion.mocap_import import import_mocap, is_mocap_file
from seqkit.domains.motion.render import save_gif
from seqkit.domains.motion.texts import Caption, read_cmu_index, tokenize_caption, write_humanml_texts


def take_name(path: Path) -> str:
    """``02_01.bvh.gz`` → ``02_01``."""
    name = path.name
    for suffix in (".gz", ".bvh", ".amc"):
        name = name.removesuffix(suffix)
    return name


def _save_npy(path: Path, array: np.ndarray) -> None:
    buf = io.BytesIO()
    np.save(buf, array.astype(np.float32))
    atomic_write(path, lambda fh: fh.write(buf.getvalue()))


def import_command(inputs: list[str], output_dir: str, index: str | None = None, fps: float | None = None,
                   smoothing_hz: float | None = None, gif: bool = False) -> int:
    """Import mocap takes (BVH, BVH.gz, ASF/AMC) into a HumanML3D-format folder; reruns skip finished takes.

    Args:
        inputs: mocap files, or folders searched for them.
        index: a CMU index CSV (file, description, fps, fps_note, ...): captions and true frame rates.
        fps: the capture frame rate of every take (overrides headers; the index's rate wins for its takes).
        smoothing_hz: zero-phase low-pass cut-off after resampling (default: none).
        gif: also write a stick-figure GIF per take.
    """
    files: list[Path] = []
    for p in map(Path, inputs):
        if not p.exists():
            raise FileNotFoundError(2, "No such file or directory", str(p))
        files.extend(sorted(f for f in p.rglob("*") if is_mocap_file(f)) if p.is_dir() else [p])
    if not files:
        raise InputError(", ".join(inputs), None, "no mocap files (.bvh, .bvh.gz, .amc) found")
    trials = {}
    if index:
        trials = {take_name(Path(t.file)): t for t in read_cmu_index(index).values()}
    out = Path(output_dir)
    done, skipped, written = 0, [], 0
    from tqdm.auto import tqdm

    for f in tqdm(files, desc="importing mocap", unit="take"):
        name = take_name(f)
        vec_path = out / "new_joint_vecs" / f"{name}.npy"
        if vec_path.exists():
            done += 1
            continue
        trial = trials.get(name)
        try:
            motion = import_mocap(f, source_fps=trial.effective_fps if trial else fps, smoothing_hz=smoothing_hz)
        except (ValueError, OSError) as err:
            skipped.append((str(f), str(err)))
            continue
        joints = motion.joints.double()
        _save_npy(out / "new_joints" / f"{name}.npy", joints.numpy())
        if trial is not None and trial.description.strip():
            text = trial.description.strip().replace("#", " ")
            tokens = [(w, "X") for w in tokenize_caption(text) if "/" not in w and "#" not in w]
            write_humanml_texts(out / "texts" / f"{name}.txt", [Caption(text, tokens)])
        if gif:
            save_gif(out / "animations" / f"{name}.gif", joints.numpy(), title=trial.description if trial else name,
                     every=2)
        _save_npy(vec_path, extract_features(joints).numpy())  # last: marks the take done
        written += 1
    if skipped:
        table = pd.DataFrame(skipped, columns=["file", "reason"]).to_csv(index=False)
        atomic_write(out / "skipped.csv", lambda fh: fh.write(table.encode()))
    print(f"{written} imported, {done} already done, {len(skipped)} skipped"
          + (f" (listed in {out / 'skipped.csv'})" if skipped else ""))
    for path, reason in skipped:
        print(f"  {reason if path in reason else f'{path}: {reason}'}", file=sys.stderr)
    return 1 if skipped and not written and not done else 0
