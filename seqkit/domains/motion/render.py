"""Stick-figure animations of joint motion: GIF (Pillow, no ffmpeg) and MP4 (PyAV), through seqkit.data.video_files.

The figure is drawn as the field draws it (the kinematic chains in five colours over a grey floor, the camera
following the root), with matplotlib's 3D axes created the current way (``add_subplot(projection="3d")``;
``Axes3D(fig)`` and ``grid(b=...)`` broke HumanML3D's script on matplotlib ≥ 3.5). Frames are rendered to
arrays with the Agg backend, so it works headless.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqkit.domains.motion.body_joints import T2M_CHAINS

CHAIN_COLOURS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd")


def render_frames(joints: np.ndarray, chains: Sequence[Sequence[int]] = T2M_CHAINS, title: str = "",
                  size_px: int = 320, every: int = 1) -> list[np.ndarray]:
    """RGB frames (H, W, 3) uint8 of a motion (T, J, 3) in metres, Y up."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from mpl_toolkits.mplot3d.art3d import Poly3DCollection

    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[-1] != 3:
        raise ValueError(f"joints must have shape (frames, joints, 3), got {joints.shape}")
    floor = joints[..., 1].min()
    height = joints[..., 1].max() - floor
    radius = max(0.5, 0.6 * height)  # the cube around the root: 1.2 body heights on every side
    dpi = 80
    fig = plt.figure(figsize=(size_px / dpi, size_px / dpi), dpi=dpi)
    ax = fig.add_subplot(projection="3d")
    fig.subplots_adjust(0, 0, 1, 1)
    frames = []
    try:
        for t in range(0, joints.shape[0], every):
            ax.cla()
            root = joints[t, 0]
            ax.set_xlim(root[0] - radius, root[0] + radius)
            ax.set_ylim(root[2] - radius, root[2] + radius)  # matplotlib's y is our z (depth)
            ax.set_zlim(floor - 0.3 * radius, floor + 1.7 * radius)
            ax.set_box_aspect((1, 1, 1), zoom=1.4)
            ax.view_init(elev=20, azim=-60)
            ax.set_axis_off()
            x0, x1, z0, z1 = root[0] - radius, root[0] + radius, root[2] - radius, root[2] + radius
            ax.add_collection3d(Poly3DCollection([[(x0, z0, floor), (x0, z1, floor), (x1, z1, floor),
                                                   (x1, z0, floor)]], facecolor=(0.5, 0.5, 0.5, 0.3)))
            ax.plot(joints[:t + 1, 0, 0], joints[:t + 1, 0, 2], np.full(t + 1, floor), color="#555555", lw=1)
            for chain, colour in zip(chains, CHAIN_COLOURS, strict=False):
                p = joints[t, list(chain)]
                ax.plot(p[:, 0], p[:, 2], p[:, 1], color=colour, lw=3 if chain[0] == 0 else 2.5)
            if title:
                ax.set_title(title[:60], fontsize=8)
            fig.canvas.draw()
            frames.append(np.asarray(fig.canvas.buffer_rgba())[..., :3].copy())
    finally:
        plt.close(fig)
    return frames


def save_gif(path: str | Path, joints: np.ndarray, fps: float = 20.0, title: str = "",
             chains: Sequence[Sequence[int]] = T2M_CHAINS, size_px: int = 320, every: int = 1) -> Path:
    """An animated GIF of the motion, written atomically (``every`` > 1 keeps every n-th frame)."""
    from seqkit.data.video_files import write_gif

    return write_gif(path, np.stack(render_frames(joints, chains, title, size_px, every)), fps / every)


def save_mp4(path: str | Path, joints: np.ndarray, fps: float = 20.0, title: str = "",
             chains: Sequence[Sequence[int]] = T2M_CHAINS, size_px: int = 320) -> Path:
    """An H.264 MP4 of the motion (through PyAV), written atomically."""
    from seqkit.data.video_files import write_mp4

    return write_mp4(path, np.stack(render_frames(joints, chains, title, size_px)), fps)
