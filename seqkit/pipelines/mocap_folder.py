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

import sys
from pathlib import Path

from seqkit.atomic_io import save_npy
from seqkit.caption_encoder import tokenize_caption
from seqkit.commands.user_errors import InputError
from seqkit.domains.motion.humanml_features import extract_features
from seqkit.domains.motion.mocap_import import MOCAP_SUFFIXES, import_mocap
from seqkit.domains.motion.render import save_gif
from seqkit.domains.motion.texts import Caption, read_cmu_index, write_humanml_texts
from seqkit.pipelines.file_batch import expand_inputs, run_file_batch


def take_name(path: Path) -> str:
    """``02_01.bvh.gz`` → ``02_01``."""
    name = path.name
    for suffix in (".gz", ".bvh", ".amc"):
        name = name.removesuffix(suffix)
    return name


def import_command(inputs: list[str], output_dir: str, index: str | None = None, fps: float | None = None,
                   smoothing_hz: float | None = None, gif: bool = False) -> int:
    """Import mocap takes (BVH, BVH.gz, ASF/AMC) into a HumanML3D-format folder; reruns skip finished takes.

    Args:
        inputs: mocap files, or folders of them.
        index: a CMU index CSV (file, description, fps, fps_note, ...): captions and true frame rates.
        fps: the capture frame rate of every take (overrides headers; the index's rate wins for its takes).
        smoothing_hz: zero-phase low-pass cut-off after resampling (default: none).
        gif: also write a stick-figure GIF per take.
    """
    try:
        files, missing = expand_inputs(inputs, [f"*{suffix}" for suffix in MOCAP_SUFFIXES])
    except ValueError as err:
        raise InputError(", ".join(inputs), None, f"no mocap files (.bvh, .bvh.gz, .amc) found ({err})") from None
    trials = {take_name(Path(t.file)): t for t in read_cmu_index(index).values()} if index else {}
    out = Path(output_dir)

    def import_take(path: Path, vec_path: Path) -> None:
        name = take_name(path)
        trial = trials.get(name)
        motion = import_mocap(path, source_fps=trial.effective_fps if trial else fps, smoothing_hz=smoothing_hz)
        joints = motion.joints.double()
        save_npy(out / "new_joints" / f"{name}.npy", joints.numpy().astype("float32"))
        if trial is not None and trial.description.strip():
            text = trial.description.strip().replace("#", " ")
            tokens = [(w, "X") for w in tokenize_caption(text) if "/" not in w and "#" not in w]
            write_humanml_texts(out / "texts" / f"{name}.txt", [Caption(text, tokens)])
        if gif:
            save_gif(out / "animations" / f"{name}.gif", joints.numpy(), title=trial.description if trial else name,
                     every=2)
        save_npy(vec_path, extract_features(joints).numpy().astype("float32"))  # last: marks the take done

    report = run_file_batch(files, lambda p: out / "new_joint_vecs" / f"{take_name(p)}.npy", import_take,
                            out / "skipped.csv", desc="importing mocap", missing=missing)
    print(f"{len(report.done)} imported, {len(report.skipped)} already done, {len(report.failed)} skipped"
          + (f" (listed in {out / 'skipped.csv'})" if report.failed else ""))
    for path, reason in report.failed:
        print(f"  {reason if str(path) in reason else f'{path}: {reason}'}", file=sys.stderr)
    return 1 if report.failed and not report.done and not report.skipped else 0
