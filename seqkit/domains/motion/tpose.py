"""Find the T-pose that mocap conversions put before the take (a calibration frame, not part of the motion).

Both CMU conversions in the shared data start with one: a frame with the arms straight out sideways, from
which the next frame jumps to the actor's real pose. Kept, it becomes a one-frame teleport at 20 fps and sets
the wrong facing for canonicalisation. A leading frame is a T-pose when both arms are straight and level
and the step to the following frame is far larger than the clip's typical step.
"""

from __future__ import annotations

import torch

# SMPL-22 indices: shoulder, elbow, wrist for the left and right arm
ARMS = ((16, 18, 20), (17, 19, 21))


def is_tpose(frame: torch.Tensor, straight: float = 0.9, level: float = 0.3) -> bool:
    """Whether one SMPL-22 frame (22, 3), Y up, has both arms stretched (shoulder–wrist distance at least
    ``straight`` of the arm's length) and level (rise at most ``level`` of that distance)."""
    for shoulder, elbow, wrist in ARMS:
        reach = frame[wrist] - frame[shoulder]
        length = (frame[elbow] - frame[shoulder]).norm() + (frame[wrist] - frame[elbow]).norm()
        span = reach.norm()
        if span < straight * length or reach[1].abs() > level * span:
            return False
    return True


def leading_tpose_frames(joints: torch.Tensor, jump_ratio: float = 4.0, max_frames: int = 10) -> int:
    """How many frames at the start of a clip (T, 22, 3) are an added T-pose (0 if none).

    Counted: the leading run of T-pose frames (at most ``max_frames``), kept only if the step from the last of
    them to the next frame exceeds ``jump_ratio`` times the median frame-to-frame step of the rest of the clip.
    """
    T = joints.shape[0]
    n = 0
    while n < min(max_frames, T - 2) and is_tpose(joints[n]):
        n += 1
    if n == 0:
        return 0
    steps = (joints[1:] - joints[:-1]).norm(dim=-1).mean(dim=-1)  # (T - 1,) mean joint displacement per frame
    typical = steps[n:].median()
    return n if steps[n - 1] > jump_ratio * typical.clamp_min(1e-6) else 0
