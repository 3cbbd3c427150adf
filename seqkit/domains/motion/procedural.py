"""Seeded procedural motions with captions on the 22-joint SMPL body at 20 fps: the default training set.

Every motion is drawn from a numpy Generator: a kind (walk, run, jump, turn, wave, sit down, kick, ...), its
parameters (speed, direction, duration 2-10 s, amplitude, side, repetitions), and a caption written from those
parameters with several templates and synonyms per kind, so a text encoder has words that matter.

**Body.** A ``Skeleton`` over ``SMPL22_NAMES``/``SMPL22_PARENTS`` with adult rest offsets in metres (``REST_OFFSETS``,
table below): Y up, the body facing +Z, its left side at +X (SMPL's convention: ``left_hip`` has x > 0). The rest
pose stands upright with the arms hanging at the sides (not SMPL's T-pose). Standing, the pelvis is 0.96 m up
(legs 0.9 m: thigh 0.41, shin 0.41, ankle 0.08 above the floor), the head joint 1.57 m, shoulders 0.36 m apart.

**How a motion is made.** A plan gives the root path and heading, where the ball of each foot is and how the
foot is pitched, and the upper-body angles, all as smooth functions of time over every frame at once. Walking
gaits plan footsteps from the root path: a stance foot lands on its heel, rolls flat and peels off over the ball,
the point it pivots on staying exactly where it landed; a swing foot arcs to its next footstep. The pelvis keeps
its nominal height except where the weight-bearing legs could not reach their feet, where it comes down (a
smoothed cut, never shallower than needed), which gives the vertical bob of walking for free. Analytic two-bone
IK turns foot targets into hip, knee and ankle angles. The result is per-frame Euler channels (root position,
root yaw/pitch/roll, three rotation channels per joint), and ``forward_kinematics`` makes the joint positions.

Directions are relative to the initial facing (+Z): "left" is +X, "forward" +Z; positive yaw turns left
(counter-clockwise seen from above). Frame 0 puts the root at x = z = 0 facing +Z, as HumanML3D canonicalises.

Rest offsets (metres, child relative to parent)::

    pelvis (root)        0.00   0.00   0.00   (position channels carry it; 0.96 m up when standing)
    left/right_hip      ±0.09  -0.06   0.00
    spine1               0.00   0.11  -0.02
    left/right_knee      0.00  -0.41   0.00
    spine2               0.00   0.13   0.00
    left/right_ankle     0.00  -0.41   0.00
    spine3               0.00   0.06   0.02
    left/right_foot      0.00  -0.055  0.125  (the ball of the foot, 2.5 cm above the floor when flat)
    neck                 0.00   0.21  -0.03
    left/right_collar   ±0.07   0.12  -0.01
    head                 0.00   0.10   0.04
    left/right_shoulder ±0.11   0.03  -0.01
    left/right_elbow     0.00  -0.27   0.00
    left/right_wrist     0.00  -0.25   0.00
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from seqkit.domains.motion.body_joints import SMPL22_NAMES, SMPL22_PARENTS, T2M_FPS
from seqkit.domains.motion.forward_kinematics import forward_kinematics
from seqkit.domains.motion.skeleton import Skeleton

FPS = T2M_FPS
DT = 1.0 / FPS
THIGH, SHIN, ANKLE_HEIGHT, HIP_DROP, HIP_HALF_WIDTH = 0.41, 0.41, 0.08, 0.06, 0.09
FOOT = np.array([0.0, -0.055, 0.125])  # ankle → ball of the foot, in the foot's frame
HEEL = np.array([0.0, -ANKLE_HEIGHT, -0.05])  # ankle → back of the heel (on the floor when the foot is flat)
BALL_HEIGHT = ANKLE_HEIGHT + FOOT[1]
PELVIS_HEIGHT = ANKLE_HEIGHT + SHIN + THIGH + HIP_DROP  # 0.96: legs straight
STAND_HEIGHT = ANKLE_HEIGHT + HIP_DROP + 0.996 * (THIGH + SHIN)  # relaxed standing, knees ~10° bent
PLAN_REACH = 0.9985 * (THIGH + SHIN)  # the pelvis is kept low enough that hip → ankle is at most this
IK_REACH = 0.9995 * (THIGH + SHIN)

REST_OFFSETS = np.array([
    [0.0, 0.0, 0.0], [HIP_HALF_WIDTH, -HIP_DROP, 0.0], [-HIP_HALF_WIDTH, -HIP_DROP, 0.0], [0.0, 0.11, -0.02],
    [0.0, -THIGH, 0.0], [0.0, -THIGH, 0.0], [0.0, 0.13, 0.0], [0.0, -SHIN, 0.0], [0.0, -SHIN, 0.0],
    [0.0, 0.06, 0.02], FOOT, FOOT, [0.0, 0.21, -0.03], [0.07, 0.12, -0.01], [-0.07, 0.12, -0.01],
    [0.0, 0.10, 0.04], [0.11, 0.03, -0.01], [-0.11, 0.03, -0.01], [0.0, -0.27, 0.0], [0.0, -0.27, 0.0],
    [0.0, -0.25, 0.0], [0.0, -0.25, 0.0],
])
J = {name: i for i, name in enumerate(SMPL22_NAMES)}
LEGS = ((J["left_hip"], J["left_knee"], J["left_ankle"]), (J["right_hip"], J["right_knee"], J["right_ankle"]))
ARMS = {"left": (J["left_shoulder"], J["left_elbow"]), "right": (J["right_shoulder"], J["right_elbow"])}
# Rotation order per joint (file order: R = R_first @ R_second @ R_third). Hips: yaw outermost, abduction
# innermost (the leg IK's parameterisation); ankles: pitch outermost so the middle angle stays small.
ORDERS = {0: "YXZ", J["left_hip"]: "YXZ", J["right_hip"]: "YXZ", J["left_ankle"]: "XZY", J["right_ankle"]: "XZY"}
ROOT_CHANNELS = ("Xposition", "Yposition", "Zposition")

KINDS = ("walk", "run", "jump", "turn", "walk_turn", "wave", "sit_down", "kick", "squat", "arm_raise",
         "side_step", "walk_backward")


@dataclass
class ProceduralMotion:
    """One procedural motion: joint positions (T, 22, 3) float32 metres at 20 fps, its caption, kind, params.

    ``channels`` (T, 69) are the Euler channels (metres, degrees) of ``procedural_skeleton()`` they came from.
    """

    joints: np.ndarray
    caption: str
    kind: str
    params: dict
    channels: np.ndarray | None = None


def procedural_skeleton() -> Skeleton:
    """The 22-joint body the motions are built on: root with 6 channels, every other joint with 3 rotations."""
    channels = []
    for j in range(len(SMPL22_NAMES)):
        rot = tuple(f"{axis}rotation" for axis in ORDERS.get(j, "ZXY"))
        channels.append(ROOT_CHANNELS + rot if j == 0 else rot)
    return Skeleton(list(SMPL22_NAMES), list(SMPL22_PARENTS), REST_OFFSETS.copy(), channels)


def procedural_dataset(n: int, seed: int = 0, kinds: Sequence[str] | None = None, min_seconds: float = 2.0,
                       max_seconds: float = 10.0) -> list[ProceduralMotion]:
    """``n`` motions, the same for the same ``seed``; motion ``i`` is kind ``kinds[i % len(kinds)]``.

    Motion ``i`` depends only on ``(seed, i)``, not on ``n``: a longer set starts with the shorter one.
    """
    kinds = tuple(KINDS if kinds is None else kinds)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise ValueError(f"unknown motion kind(s) {unknown or kinds}; choose from {', '.join(KINDS)}")
    _check_seconds(min_seconds, max_seconds)
    built = [_build(kinds[i % len(kinds)], np.random.default_rng([seed, i]), min_seconds, max_seconds)
             for i in range(n)]
    return _with_joints(built)


def procedural_motion(kind: str, seed: int | np.random.Generator = 0, min_seconds: float = 2.0,
                      max_seconds: float = 10.0) -> ProceduralMotion:
    """One motion of ``kind`` drawn from ``seed`` (an int or a Generator)."""
    if kind not in KINDS:
        raise ValueError(f"unknown motion kind {kind!r}; choose from {', '.join(KINDS)}")
    _check_seconds(min_seconds, max_seconds)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return _with_joints([_build(kind, rng, min_seconds, max_seconds)])[0]


def _check_seconds(min_seconds: float, max_seconds: float) -> None:
    if not 2.0 <= min_seconds <= max_seconds:
        raise ValueError(f"need 2 <= min_seconds <= max_seconds, got {min_seconds}, {max_seconds}")


# ----------------------------------------------------------------------------------------------- rotations


def _rot(axis: str, rad: np.ndarray) -> np.ndarray:
    """Rotation matrices (..., 3, 3) about a coordinate axis (right-handed), angles in radians."""
    rad = np.asarray(rad, dtype=np.float64)
    c, s, one, zero = np.cos(rad), np.sin(rad), np.ones_like(rad), np.zeros_like(rad)
    rows = {"X": ((one, zero, zero), (zero, c, -s), (zero, s, c)),
            "Y": ((c, zero, s), (zero, one, zero), (-s, zero, c)),
            "Z": ((c, -s, zero), (s, c, zero), (zero, zero, one))}[axis]
    return np.stack([np.stack(r, axis=-1) for r in rows], axis=-2)


def _euler(R: np.ndarray, order: str) -> np.ndarray:
    """Angles (..., 3) in radians with R = R_order[0](a) @ R_order[1](b) @ R_order[2](c) (distinct axes)."""
    i, j, k = ("XYZ".index(a) for a in order)
    s = 1.0 if (j - i) % 3 == 1 else -1.0  # +1 for the cyclic orders XYZ, YZX, ZXY
    b = np.arctan2(s * R[..., i, k], np.hypot(R[..., i, i], R[..., i, j]))
    a = np.arctan2(-s * R[..., j, k], R[..., k, k])
    c = np.arctan2(-s * R[..., i, j], R[..., i, i])
    return np.stack([a, b, c], axis=-1)


def _apply(R: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("...ij,...j->...i", R, v)


def _apply_inverse(R: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.einsum("...ji,...j->...i", R, v)


# -------------------------------------------------------------------------------------- smooth time functions


def _mj(x: np.ndarray) -> np.ndarray:
    """Minimum-jerk ease 0 → 1 on [0, 1] (zero velocity and acceleration at both ends), clipped outside."""
    x = np.clip(x, 0.0, 1.0)
    return x ** 3 * (10.0 - 15.0 * x + 6.0 * x * x)


def _ramp(t: np.ndarray, start: float, duration: float) -> np.ndarray:
    return _mj((t - start) / max(duration, 1e-6))


def _bump(t: np.ndarray, start: float, duration: float) -> np.ndarray:
    """0 → 1 → 0 over [start, start + duration] (sin²), 0 outside."""
    x = np.clip((t - start) / max(duration, 1e-6), 0.0, 1.0)
    return np.sin(np.pi * x) ** 2


def _keys(t: np.ndarray, times: Sequence[float], values: Sequence) -> np.ndarray:
    """Minimum-jerk interpolation through keyframes (times increasing); held constant before and after."""
    times = np.asarray(times, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    idx = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    span = np.maximum(times[idx + 1] - times[idx], 1e-6)
    w = _mj((t - times[idx]) / span)
    if values.ndim > 1:
        w = w[:, None]
    return values[idx] + (values[idx + 1] - values[idx]) * w


def _smooth_cut(cut: np.ndarray, radius: int = 2) -> np.ndarray:
    """A smooth curve at or above ``cut`` (T,) everywhere: a running maximum over ±radius frames, then a
    Gaussian of the same radius (each output averages maxima of windows that all contain its own frame)."""
    padded = np.pad(cut, radius, mode="edge")
    peak = np.lib.stride_tricks.sliding_window_view(padded, 2 * radius + 1).max(axis=-1)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / (radius / 2)) ** 2)
    return np.convolve(np.pad(peak, radius, mode="edge"), kernel / kernel.sum(), mode="valid")


# ---------------------------------------------------------------------------------------------------- plans


@dataclass
class _Plan:
    """What a kind asks of the body; ``_channels`` turns it into Euler channels (leg IK included)."""

    n: int
    root_xz: np.ndarray  # (T, 2) x, z in metres
    height: np.ndarray  # (T,) nominal pelvis height; lowered where the legs cannot reach the feet
    yaw: np.ndarray  # (T,) heading, radians
    balls: np.ndarray  # (2, T, 3) ball of the left, right foot
    foot_yaw: np.ndarray  # (2, T) radians
    foot_pitch: np.ndarray  # (2, T) radians; > 0 lifts the heel
    angles: dict = field(default_factory=dict)  # joint → {axis: (T,) degrees}; joint 0: pelvis sway (Y), X, Z
    contact: np.ndarray | None = None  # (2, T) 1 where a foot bears weight: the pelvis stays within its reach
    caption: str = ""
    kind: str = ""
    params: dict = field(default_factory=dict)

    @property
    def t(self) -> np.ndarray:
        return np.arange(self.n) * DT

    def add(self, joint: int, axis: str, degrees) -> None:
        slot = self.angles.setdefault(joint, {})
        slot[axis] = slot.get(axis, 0.0) + np.broadcast_to(np.asarray(degrees, dtype=np.float64), (self.n,))

    def arm(self, side: str, abduct=0.0, flex=0.0, twist=0.0, elbow=0.0) -> None:
        """Arm angles written for the left side (abduct > 0 raises sideways, flex < 0 raises forward,
        elbow < 0 bends the forearm forward); the right side is the mirror image (Y and Z negated)."""
        shoulder, elbow_joint = ARMS[side]
        sign = 1.0 if side == "left" else -1.0
        self.add(shoulder, "Z", sign * np.asarray(abduct))
        self.add(shoulder, "X", flex)
        self.add(shoulder, "Y", sign * np.asarray(twist))
        self.add(elbow_joint, "X", elbow)

    def lean(self, degrees) -> None:
        """Bend the trunk forward (> 0) over the three spine joints; neck and head keep the gaze level."""
        degrees = np.asarray(degrees, dtype=np.float64)
        for joint, share in ((J["spine1"], 0.4), (J["spine2"], 0.35), (J["spine3"], 0.25)):
            self.add(joint, "X", share * degrees)
        self.add(J["neck"], "X", -0.35 * degrees)
        self.add(J["head"], "X", -0.25 * degrees)


def _standing(n: int, rng: np.random.Generator, width: float | None = None) -> _Plan:
    """A person standing: feet flat at hip width, a slight sway of the pelvis, arms relaxed, breathing."""
    t = np.arange(n) * DT
    width = rng.uniform(0.09, 0.12) if width is None else width
    sway = np.stack([rng.uniform(0.004, 0.012) * np.sin(2 * np.pi * t / rng.uniform(2.5, 4.5) + rng.uniform(0, 6.3)),
                     rng.uniform(0.003, 0.008) * np.sin(2 * np.pi * t / rng.uniform(3.0, 5.0) + rng.uniform(0, 6.3))],
                    axis=-1)
    balls = np.zeros((2, n, 3))
    balls[0] = (width, BALL_HEIGHT, FOOT[2])
    balls[1] = (-width, BALL_HEIGHT, FOOT[2])
    plan = _Plan(n, sway - sway[0], np.full(n, STAND_HEIGHT), np.zeros(n), balls, np.zeros((2, n)),
                 np.zeros((2, n)))
    _relaxed_arms(plan, rng)
    plan.add(J["spine3"], "X", 0.6 * np.sin(2 * np.pi * 0.25 * t + rng.uniform(0, 6.3)))
    return plan


def _relaxed_arms(plan: _Plan, rng: np.random.Generator, elbow: float | None = None) -> None:
    for side in ("left", "right"):
        plan.arm(side, abduct=rng.uniform(4.0, 9.0), flex=rng.uniform(-4.0, 2.0),
                 elbow=-rng.uniform(6.0, 15.0) if elbow is None else elbow)


@dataclass
class _Gait:
    """Stepping parameters: steps per second, stance share of a stride cycle, feet half-apart, swing lift."""

    cadence: float
    duty: float
    width: float
    clearance: float
    toe_off: float = 0.0  # heel-off pitch at toe-off, degrees (scaled down for short or non-forward steps)
    heel_strike: float = 0.0  # toe-up pitch at heel strike, degrees (scaled like toe_off)
    heel_start: float = 0.55  # share of stance after which the heel peels off
    heel_roll: float = 0.2  # share of stance spent rolling from the heel onto the flat foot
    plant_back: float = 0.0  # footsteps land this far behind the mid-stance hip (metres): centres the rockers
    swing_shape: float = 1.0  # < 1 lifts the foot early in the swing (the heel kick of running)
    phase0: float = 0.0


def _gait(n: int, gait: _Gait, speed: Callable, direction: Callable, heading: Callable) -> tuple[_Plan, np.ndarray]:
    """Footsteps along a root path: ``speed(t)`` m/s moving at ``direction(t)`` (radians from the heading;
    0 forward, pi/2 left) while facing ``heading(t)``. Returns the plan and the front-foot signal (T,):
    how far the right ball is ahead of the left along the heading, which drives the arm swing.

    A stance foot lands on its heel, rolls flat, then peels the heel off and pivots on the ball (the heel and
    toe rockers); whichever point it pivots on stays put. A swing foot carries its flat-foot position along a
    smooth arc from one footstep to the next.
    """
    pad = 80  # frames planned beyond each end, so the first and last steps are mid-stride, not starts
    te = (np.arange(n + 2 * pad) - pad) * DT
    yaw = heading(te)
    move = yaw + direction(te)
    vel = speed(te)[:, None] * np.stack([np.sin(move), np.cos(move)], axis=-1)  # (Te, 2) x, z
    pos = np.concatenate([np.zeros((1, 2)), np.cumsum(0.5 * (vel[1:] + vel[:-1]) * DT, axis=0)])
    pos -= pos[pad]
    phase = gait.phase0 + 0.5 * gait.cadence * te  # stride cycles: left mid-stance at integers, right at +0.5
    half = gait.duty / 2
    flat = np.zeros((2, n + 2 * pad, 3))  # where the ball would be with the foot flat
    foot_yaw = np.zeros((2, n + 2 * pad))
    pitch = np.zeros((2, n + 2 * pad))
    contact = np.ones((2, n + 2 * pad))
    for f, side in ((0, 1.0), (1, -1.0)):
        pf = phase - 0.5 * f
        k0 = np.floor(pf).astype(int)
        u = pf - k0
        ks = np.arange(k0.min(), k0.max() + 2)
        tk = (ks + 0.5 * f - gait.phase0) / (0.5 * gait.cadence)  # mid-stance time of each footstep
        yk = np.interp(tk, te, yaw)
        px, pz = np.interp(tk, te, pos[:, 0]), np.interp(tk, te, pos[:, 1])
        ahead = FOOT[2] - gait.plant_back
        plant = np.stack([px + side * gait.width * np.cos(yk) + ahead * np.sin(yk),
                          pz - side * gait.width * np.sin(yk) + ahead * np.cos(yk)], axis=-1)  # (K, 2)
        step = plant[1:] - plant[:-1]
        turn = yk[1:] - yk[:-1]
        forward = step[:, 0] * np.sin(yk[:-1]) + step[:, 1] * np.cos(yk[:-1])
        share = np.append(np.clip(forward / 0.9, 0.0, 1.0), 0.0)  # how much of a full forward stride
        toe, heel = np.radians(gait.toe_off) * share, np.radians(gait.heel_strike) * share
        lift = gait.clearance * np.clip(np.hypot(step[:, 0], step[:, 1]) / 0.08 + np.abs(turn) / 0.3, 0.0, 1.0)
        i = k0 - ks[0]
        late, early = u <= half, u >= 1.0 - half
        swing = ~(late | early)
        s = np.clip((u - half) / (1.0 - gait.duty), 0.0, 1.0)
        g = 0.5 - 0.5 * np.cos(np.pi * s)  # swing progress: peak speed pi/2 times the mean, as a real swing foot
        now = np.where(early, i + 1, i)  # the footstep the foot stands on (stance)
        xz = np.where(swing[:, None], plant[i] + g[:, None] * step[i], plant[now])
        flat[f, :, 0], flat[f, :, 2] = xz[:, 0], xz[:, 1]
        flat[f, :, 1] = BALL_HEIGHT + np.where(swing, lift[i] * np.sin(np.pi * s ** gait.swing_shape), 0.0)
        foot_yaw[f] = np.where(swing, yk[i] + g * turn[i], yk[now])
        v = np.where(early, u - 1.0 + half, u + half) / gait.duty  # stance progress, 0 at touchdown
        # the heel strike of footstep k+1 is scaled like the stride that leads to it (share[k])
        strike = np.where(early, heel[i], heel[np.maximum(i - 1, 0)])
        stance = toe[now] * _mj((v - gait.heel_start) / (1.0 - gait.heel_start)) \
            - strike * (1.0 - _mj(v / gait.heel_roll))
        pitch[f] = np.where(swing, toe[i] * (1 - s) ** 2 - heel[i] * g, stance)
        contact[f] = np.where(swing, np.clip(1.0 - 4.0 * np.sin(np.pi * s), 0.0, 1.0), 1.0)
    balls = _pivot(flat, foot_yaw, pitch)
    crop = slice(pad, pad + n)
    yaw_c = yaw[crop]
    front = ((balls[1, crop, 0] - balls[0, crop, 0]) * np.sin(yaw_c)
             + (balls[1, crop, 2] - balls[0, crop, 2]) * np.cos(yaw_c))
    plan = _Plan(n, pos[crop], np.full(n, STAND_HEIGHT), yaw_c, balls[:, crop], foot_yaw[:, crop], pitch[:, crop],
                 contact=contact[:, crop])
    plan.params["_phase"] = phase[crop]
    return plan, front


def _pivot(flat: np.ndarray, foot_yaw: np.ndarray, pitch: np.ndarray) -> np.ndarray:
    """Ball positions (..., 3) of feet pitched about the heel (toe up, pitch < 0) or about the ball (pitch > 0),
    from where the ball would be with the foot flat: the pivot point stays where the flat foot had it."""
    toe_up = np.minimum(pitch, 0.0)
    heel_to_ball = FOOT - HEEL
    turned = _apply(_rot("Y", foot_yaw), np.broadcast_to(heel_to_ball, flat.shape))
    pitched = _apply(_rot("Y", foot_yaw) @ _rot("X", toe_up), np.broadcast_to(heel_to_ball, flat.shape))
    return flat - turned + pitched


def _gait_body(plan: _Plan, front: np.ndarray, step: float, rng: np.random.Generator, arm_swing: float,
               elbow: float, lean: float, sway: float = 4.0) -> None:
    """Arms swing against the legs, the pelvis yaws with the stride and the chest counter-rotates."""
    swing = np.clip(front / step, -1.5, 1.5)
    plan.add(0, "Y", sway * swing)  # right foot ahead → right hip ahead → pelvis turned left
    plan.add(J["spine2"], "Y", -0.5 * sway * swing)
    plan.add(J["spine3"], "Y", -0.5 * sway * swing)
    for side, sign in (("left", -1.0), ("right", 1.0)):
        forward = np.clip(-sign * swing, 0.0, None)
        plan.arm(side, abduct=rng.uniform(5.0, 10.0), flex=sign * arm_swing * swing,
                 elbow=elbow - 0.4 * abs(elbow) * forward)
    plan.lean(lean)


# -------------------------------------------------------------------------------------------------- captions

_SUBJECTS = (("a person", "their", "them"), ("someone", "their", "them"), ("a man", "his", "him"),
             ("a woman", "her", "her"), ("the person", "their", "them"), ("the man", "his", "him"),
             ("a human", "their", "them"))
_TIMES = {1: "once", 2: "twice", 3: "three times", 4: "four times", 5: "five times", 6: "six times"}
_NUMBERS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}


def _pick(rng: np.random.Generator, options: Sequence):
    return options[int(rng.integers(len(options)))]


def _say(rng: np.random.Generator, templates: Sequence[str], **words: str) -> str:
    """One template filled in: {s} subject, {p} possessive, {o} object pronoun, plus ``words``."""
    s, p, o = _pick(rng, _SUBJECTS)
    words = {key: value.format(p=p, o=o) for key, value in words.items()}
    text = _pick(rng, templates).format(s=s, p=p, o=o, **words)
    return " ".join(text.replace(" ,", ",").split()) + "."


def _times(rng: np.random.Generator, n: int, optional_once: bool = True) -> str:
    if n == 1:
        return "" if optional_once and rng.random() < 0.6 else "once"
    return _TIMES[n]


_DIRECTIONS = {"forward": 0.0, "left": 90.0, "right": -90.0, "forward_left": 45.0, "forward_right": -45.0}
_DIRECTION_WORDS = {"forward": ("forward", "forwards", "straight ahead", "straight forward"),
                    "left": ("to the left", "to {p} left", "toward the left", "off to the left"),
                    "right": ("to the right", "to {p} right", "toward the right", "off to the right"),
                    "forward_left": ("forward and to the left", "diagonally to the left", "forward to the left"),
                    "forward_right": ("forward and to the right", "diagonally to the right",
                                      "forward to the right")}


def _direction_phrase(rng: np.random.Generator, direction: str) -> str:
    return _pick(rng, _DIRECTION_WORDS[direction])


# ------------------------------------------------------------------------------------------------ the kinds


def _frames(rng: np.random.Generator, min_seconds: float, max_seconds: float) -> int:
    lo, hi = math.ceil(min_seconds * FPS - 1e-9), math.floor(max_seconds * FPS + 1e-9)
    if lo > hi:  # no whole frame count inside [min, max]: the nearest one
        return max(1, round(min_seconds * FPS))
    return int(np.clip(round(rng.uniform(min_seconds, max_seconds) * FPS), lo, hi))


def _walk_like(kind: str, rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    running = kind == "run"
    if running:
        v = rng.uniform(2.2, 4.2)
        step = 0.5 + 0.25 * v
        gait = _Gait(v / step, rng.uniform(0.3, 0.36), rng.uniform(0.07, 0.1), 0.12 + 0.05 * v,
                     toe_off=rng.uniform(30, 40), heel_strike=5.0, heel_start=0.3, heel_roll=0.15,
                     plant_back=0.05 * step, swing_shape=0.65, phase0=rng.uniform(0, 1))
    else:
        v = rng.uniform(0.6, 1.8)
        step = 0.38 + 0.22 * v * rng.uniform(0.9, 1.1)
        gait = _Gait(v / step, rng.uniform(0.6, 0.64), rng.uniform(0.09, 0.12), 0.045 + 0.02 * v,
                     toe_off=rng.uniform(35, 45), heel_strike=rng.uniform(15, 20), plant_back=0.08 * step,
                     phase0=rng.uniform(0, 1))
    direction = _pick(rng, ("forward",) * 4 + ("left", "right", "forward_left", "forward_right"))
    target = math.radians(_DIRECTIONS[direction])
    turn_start, turn_time = rng.uniform(0.0, 0.4), 0.6 + abs(target) / math.pi * (1.0 if running else 1.2)
    start_standing = not running and rng.random() < 0.25
    stops = seconds >= 3.5 and rng.random() < (0.15 if running else 0.3)
    go = rng.uniform(0.0, 0.3)
    stop_at = rng.uniform(0.45, 0.7) * seconds if stops else math.inf
    stop_time = 1.0 if not running else 1.4

    def speed(t):
        s = np.full_like(t, v)
        if start_standing:
            s = s * _ramp(t, go, 0.8)
        return s * (1.0 - _ramp(t, stop_at, stop_time))

    plan, front = _gait(n, gait, speed, lambda t: np.zeros_like(t), lambda t: target * _ramp(t, turn_start, turn_time))
    if running:
        phase = plan.params.pop("_phase")
        moving = speed(plan.t) / v
        plan.height = STAND_HEIGHT - moving * (0.035 + 0.025 * np.cos(4 * np.pi * phase))
        _gait_body(plan, front, step, rng, arm_swing=rng.uniform(35, 50), elbow=-rng.uniform(75, 95),
                   lean=rng.uniform(6, 12) * moving, sway=6.0)
    else:
        plan.params.pop("_phase")
        _gait_body(plan, front, step, rng, arm_swing=12 + 14 * v / 1.8, elbow=-(8 + 10 * v), lean=2 + 2 * v)
    plan.params.update(speed=v, direction=direction, heading_deg=math.degrees(target), step_length=step,
                       cadence=gait.cadence, stops=stops, start_standing=start_standing)
    words = {"d": _direction_phrase(rng, direction)}
    if running:
        pace = "jog" if v < 2.9 else ("run" if v < 3.7 else "sprint")
        verbs = {"jog": ("jogs", "is jogging", "jogs lightly", "runs slowly"), "run": ("runs", "is running", "runs"),
                 "sprint": ("sprints", "runs fast", "dashes", "is sprinting")}[pace]
        templates = ["{s} {v} {d}", "{s} {v} {d}"]
        plan.params["pace"] = pace
    else:
        pace = "slow" if v < 0.9 else ("fast" if v > 1.45 else "normal")
        verbs = {"slow": ("walks slowly", "walks", "strolls", "walks at a slow pace"),
                 "normal": ("walks", "is walking", "walks", "walks at a normal pace"),
                 "fast": ("walks quickly", "walks briskly", "hurries", "walks at a fast pace")}[pace]
        templates = ["{s} {v} {d}", "{s} {v} {d}", "{s} takes a few steps {d}"] if pace != "fast" else \
            ["{s} {v} {d}", "{s} {v} {d}"]
        plan.params["pace"] = pace
    words["v"] = _pick(rng, verbs)
    if stops:
        templates = [t + _pick(rng, (" and stops", ", then stops", " and comes to a stop", " and then stands still",
                                     " before stopping")) for t in templates]
    plan.caption = _say(rng, templates, **words)
    return plan


def _walk_backward(rng: np.random.Generator, n: int) -> _Plan:
    v = rng.uniform(0.4, 1.0)
    step = 0.3 + 0.2 * v
    gait = _Gait(v / step, rng.uniform(0.6, 0.65), rng.uniform(0.09, 0.12), 0.05, phase0=rng.uniform(0, 1))
    plan, front = _gait(n, gait, lambda t: np.full_like(t, v), lambda t: np.full_like(t, math.pi),
                        lambda t: np.zeros_like(t))
    plan.params.pop("_phase")
    _gait_body(plan, front, step, rng, arm_swing=8.0, elbow=-15.0, lean=-1.0, sway=2.0)
    plan.params.update(speed=v, direction="backward", step_length=step, cadence=gait.cadence)
    slow = v < 0.65
    adverb = _pick(rng, (" slowly", " carefully", "") if slow else ("", "", " steadily"))
    plan.caption = _say(rng, ["{s} walks backward{a}", "{s} walks backwards{a}", "{s} backs up{a}",
                              "{s} steps backward{a}", "{s} moves backwards{a}", "{s} is walking backward{a}"],
                        a=adverb)
    return plan


def _side_step(rng: np.random.Generator, n: int) -> _Plan:
    side = _pick(rng, ("left", "right"))
    step = rng.uniform(0.14, 0.2)
    v = step * rng.uniform(1.6, 2.2)
    gait = _Gait(v / step, 0.55, 0.16, 0.05, phase0=rng.uniform(0, 1))
    sign = 1.0 if side == "left" else -1.0
    plan, _ = _gait(n, gait, lambda t: np.full_like(t, v), lambda t: np.full_like(t, sign * math.pi / 2),
                    lambda t: np.zeros_like(t))
    plan.params.pop("_phase")
    _relaxed_arms(plan, rng)
    plan.params.update(side=side, speed=v, step_length=step, cadence=gait.cadence)
    plan.caption = _say(rng, ["{s} sidesteps to the {d}", "{s} side steps to {p} {d}", "{s} steps sideways to the {d}",
                              "{s} shuffles to the {d}", "{s} moves sideways to the {d}",
                              "{s} takes small steps sideways to the {d}"], d=side)
    return plan


def _turn(rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    fits = [a for a in (90, 180, 360) if a / 170.0 + 0.5 <= seconds]
    angle = _pick(rng, [a for a in fits for _ in range({90: 3, 180: 3, 360: 1}[a])])
    side = _pick(rng, ("left", "right"))
    rate = rng.uniform(max(100.0, angle / (seconds - 0.5)), 170.0) if angle < 360 else \
        rng.uniform(max(140.0, angle / (seconds - 0.5)), 180.0)
    duration = angle / rate
    start = rng.uniform(0.1, max(0.1, seconds - duration - 0.3))
    total = math.radians(angle) * (1.0 if side == "left" else -1.0)
    gait = _Gait(rng.uniform(2.0, 2.4), 0.55, rng.uniform(0.09, 0.12), 0.04, phase0=rng.uniform(0, 1))
    plan, _ = _gait(n, gait, lambda t: np.zeros_like(t), lambda t: np.zeros_like(t),
                    lambda t: total * _ramp(t, start, duration))
    plan.params.pop("_phase")
    _relaxed_arms(plan, rng)
    plan.params.update(angle_deg=math.degrees(total), side=side, start=start, duration=duration)
    if angle == 90:
        templates = ["{s} turns to the {d}", "{s} turns {d}", "{s} turns ninety degrees to the {d}",
                     "{s} turns to {p} {d}", "{s} turns {d} in place", "{s} rotates to face {p} {d}"]
    elif angle == 180:
        templates = ["{s} turns around", "{s} turns around to the {d}", "{s} turns around to face the other way",
                     "{s} does a half turn to the {d}", "{s} turns all the way around over {p} {d} shoulder"]
    else:
        templates = ["{s} spins around in a full circle", "{s} turns in a full circle to the {d}",
                     "{s} does a full turn to the {d}", "{s} spins around in place"]
    plan.caption = _say(rng, templates, d=side)
    return plan


def _walk_turn(rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    v = rng.uniform(0.7, 1.5)
    step = 0.38 + 0.22 * v
    side = _pick(rng, ("left", "right"))
    sign = 1.0 if side == "left" else -1.0
    circle = seconds >= 5.0 and rng.random() < 0.35
    if circle:
        rate = 2 * math.pi / seconds * rng.uniform(1.0, 1.15)
        angle = rate * seconds
        heading = lambda t: sign * rate * np.clip(t, 0.0, None)  # noqa: E731
        start, duration = 0.0, seconds
    else:
        angle = math.pi if (seconds >= 3.0 and rng.random() < 0.4) else math.pi / 2
        duration = angle / math.radians(rng.uniform(70, 120))
        start = rng.uniform(0.25, 0.5) * seconds
        if start + duration > seconds - 0.4:
            start = max(0.3, seconds - 0.4 - duration)
        heading = lambda t: sign * angle * _ramp(t, start, duration)  # noqa: E731
    gait = _Gait(v / step, rng.uniform(0.6, 0.64), rng.uniform(0.09, 0.12), 0.045 + 0.02 * v,
                 toe_off=rng.uniform(35, 45), heel_strike=rng.uniform(15, 20), plant_back=0.08 * step,
                 phase0=rng.uniform(0, 1))
    plan, front = _gait(n, gait, lambda t: np.full_like(t, v), lambda t: np.zeros_like(t), heading)
    plan.params.pop("_phase")
    _gait_body(plan, front, step, rng, arm_swing=12 + 14 * v / 1.8, elbow=-(8 + 10 * v), lean=2 + 2 * v)
    plan.params.update(speed=v, side=side, angle_deg=sign * math.degrees(angle), circle=circle, start=start,
                       duration=duration)
    if circle:
        clock = "counterclockwise" if side == "left" else "clockwise"
        templates = ["{s} walks in a circle", "{s} walks in a circle to the {d}", "{s} walks around in a {c} circle",
                     "{s} walks in a full circle, turning {d}", "{s} walks in a {c} circle"]
    elif angle > 3:
        templates = ["{s} walks forward, turns around and walks back", "{s} walks forward then turns around to the {d}",
                     "{s} walks forward, turns around to {p} {d}, and walks back",
                     "{s} walks ahead, turns back to the {d} and keeps walking"]
        clock = ""
    else:
        templates = ["{s} walks forward and then turns {d}", "{s} walks forward, then turns to the {d} and keeps going",
                     "{s} walks and turns {d}", "{s} walks forward and makes a {d} turn",
                     "{s} walks, turning to the {d}", "{s} walks straight then turns to {p} {d}"]
        clock = ""
    plan.caption = _say(rng, templates, d=side, c=clock)
    return plan


def _jump(rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    direction = _pick(rng, ("in_place",) * 3 + ("forward",) * 4 + ("left", "right", "backward"))
    height = rng.uniform(0.12, 0.35)
    flight = 2.0 * math.sqrt(2.0 * height / 9.81)
    crouch, absorb, recover = rng.uniform(0.3, 0.5), rng.uniform(0.2, 0.3), rng.uniform(0.25, 0.4)
    push = 0.15
    cycle = crouch + push + flight + absorb + recover
    first = rng.uniform(0.1, 0.4)
    fit = max(1, int((seconds - first - 0.1) // (cycle + 0.2)))
    reps = int(rng.integers(1, min(4, fit) + 1))
    gap = min(rng.uniform(0.0, 0.4), max(0.0, (seconds - first - 0.1 - reps * cycle) / max(reps - 1, 1)))
    distance = {"in_place": 0.0, "forward": rng.uniform(0.3, 0.9), "backward": rng.uniform(0.2, 0.4),
                "left": rng.uniform(0.2, 0.5), "right": rng.uniform(0.2, 0.5)}[direction]
    unit = {"in_place": (0, 0), "forward": (0, 1), "backward": (0, -1), "left": (1, 0), "right": (-1, 0)}[direction]
    jump_vec = distance * np.array(unit, dtype=np.float64)
    plan = _standing(n, rng, width=rng.uniform(0.09, 0.12))
    t = plan.t
    plan.angles.clear()
    crouch_depth = rng.uniform(0.12, 0.22)
    h_times, h_vals, p_times, p_vals, a_times, a_vals, l_times, l_vals = [0.0], [0.0], [0.0], [0.0], [0.0], [0.0], \
        [0.0], [0.0]
    arm_up = -(90 + 60 * height / 0.35)
    shift = np.zeros((n, 2))
    parabola = np.zeros(n)
    tuck = rng.uniform(0.04, 0.15)
    t0 = first
    for _ in range(reps):
        tb, tc = t0 + crouch, t0 + crouch + push
        td = tc + flight
        te, tf = td + absorb, td + absorb + recover
        h_times += [t0, tb, tc, td, te, tf]
        h_vals += [0.0, -crouch_depth, 0.05, 0.05, -0.7 * crouch_depth, 0.0]
        p_times += [tb, tc, tc + 0.5 * flight, td, td + 0.1]
        p_vals += [0.0, 40.0, 30.0, 12.0, 0.0]
        a_times += [t0, t0 + 0.6 * crouch, tc + 0.1, td, te, tf]  # arms back in the crouch, up through take-off
        a_vals += [0.0, 40.0, arm_up, 0.6 * arm_up, -20.0, 0.0]
        l_times += [t0, tb, tc, td, te, tf]
        l_vals += [0.0, 30.0, -5.0, 10.0, 25.0, 0.0]
        s = np.clip((t - tc) / flight, 0.0, 1.0)
        in_air = (t > tc) & (t < td)
        parabola += np.where(in_air, 4.0 * height * s * (1 - s), 0.0)
        plan.balls[:, :, 1] += np.where(in_air, 4.0 * height * s * (1 - s) + tuck * np.sin(np.pi * s), 0.0)
        feet_move = _mj(s)[:, None] * jump_vec
        plan.balls[:, :, 0] = plan.balls[:, :, 0] + feet_move[None, :, 0]
        plan.balls[:, :, 2] = plan.balls[:, :, 2] + feet_move[None, :, 1]
        shift += _ramp(t, tb, te - tb)[:, None] * jump_vec
        t0 = tf + gap
    plan.height = STAND_HEIGHT + _keys(t, h_times, h_vals) + parabola
    plan.foot_pitch[:] = np.radians(_keys(t, p_times, p_vals))
    hinge = np.clip(-(plan.height - STAND_HEIGHT) / crouch_depth, 0.0, 1.0)
    plan.root_xz = shift + np.stack([np.zeros(n), -0.06 * hinge], axis=-1)
    arms = _keys(t, a_times, a_vals)
    for side in ("left", "right"):
        plan.arm(side, abduct=8.0, flex=arms, elbow=-15.0 - 20.0 * hinge)
    plan.lean(_keys(t, l_times, l_vals))
    plan.params.update(direction=direction, reps=reps, height=height, distance=distance)
    n_words = {"n": _times(rng, reps), "N": _NUMBERS.get(reps, "")}
    if direction == "in_place":
        templates = ["{s} jumps up and down {n}", "{s} jumps in place {n}", "{s} jumps straight up {n}",
                     "{s} hops up and down {n}"] + (["{s} does {N} vertical jumps"] if reps > 1 else [])
    elif direction == "forward":
        templates = ["{s} jumps forward {n}", "{s} leaps forward {n}", "{s} hops forward {n}",
                     "{s} jumps ahead {n}"] + (["{s} does {N} jumps forward"] if reps > 1 else [])
    elif direction == "backward":
        templates = ["{s} jumps backward {n}", "{s} hops backwards {n}", "{s} jumps backwards {n}"]
    else:
        templates = ["{s} jumps to the {d} {n}", "{s} hops to {p} {d} {n}", "{s} jumps sideways to the {d} {n}",
                     "{s} leaps to the {d} {n}"]
    plan.caption = _say(rng, templates, d=direction, **n_words)
    return plan


def _sit_down(rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    plan = _standing(n, rng)
    t = plan.t
    start, down = rng.uniform(0.2, 0.8), rng.uniform(1.0, 1.8)
    rise = rng.uniform(1.0, 1.6)
    stand_up = seconds >= start + down + 0.8 + rise + 0.3 and rng.random() < 0.5
    seat, back = rng.uniform(0.50, 0.58), rng.uniform(0.22, 0.32)
    py = _ramp(t, start + 0.15 * down, 0.85 * down)
    pz = _ramp(t, start, 0.75 * down)
    bumps = _bump(t, start, down)
    up_at = math.inf
    if stand_up:
        up_at = rng.uniform(start + down + 0.5, seconds - rise - 0.3)
        py = py - _ramp(t, up_at, 0.8 * rise)
        pz = pz - _ramp(t, up_at + 0.25 * rise, 0.75 * rise)
        bumps = bumps + _bump(t, up_at, rise)
    sitting = np.clip(py, 0.0, 1.0)
    plan.height = STAND_HEIGHT + (seat - STAND_HEIGHT) * sitting
    plan.root_xz = plan.root_xz * (1 - sitting[:, None]) + np.stack([np.zeros(n), -back * pz], axis=-1)
    plan.lean(32.0 * bumps + 6.0 * sitting)
    for side in ("left", "right"):
        plan.arm(side, flex=-12.0 * sitting - 25.0 * bumps, elbow=-40.0 * sitting)
    plan.params.update(stand_up=stand_up, seat_height=seat, start=start, down=down,
                       up_at=None if not stand_up else up_at)
    if stand_up:
        templates = ["{s} sits down and then stands back up", "{s} sits down on a chair and gets back up",
                     "{s} sits down, then stands up again", "{s} takes a seat and then stands up"]
    else:
        templates = ["{s} sits down", "{s} sits down on a chair", "{s} takes a seat", "{s} sits down on a bench",
                     "{s} bends {p} knees and sits down"] + (["{s} slowly sits down"] if down > 1.5 else [])
    plan.caption = _say(rng, templates)
    return plan


def _squat(rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    plan = _standing(n, rng, width=rng.uniform(0.12, 0.16))
    t = plan.t
    down, hold, up, gap = rng.uniform(0.6, 1.0), rng.uniform(0.0, 0.4), rng.uniform(0.6, 1.0), rng.uniform(0.1, 0.5)
    first = rng.uniform(0.1, 0.5)
    fit = max(1, int((seconds - first - 0.1 + gap) // (down + hold + up + gap)))
    reps = int(rng.integers(1, min(5, fit) + 1))
    depth, back, lean = rng.uniform(0.25, 0.40), rng.uniform(0.08, 0.18), rng.uniform(20, 35)
    arms_forward = rng.random() < 0.5
    p = np.zeros(n)
    t0 = first
    for _ in range(reps):
        p += _ramp(t, t0, down) - _ramp(t, t0 + down + hold, up)
        t0 += down + hold + up + gap
    plan.height = STAND_HEIGHT - depth * p
    plan.root_xz = plan.root_xz + np.stack([np.zeros(n), -back * p], axis=-1)
    plan.lean(lean * p)
    for side in ("left", "right"):
        plan.arm(side, flex=(-80.0 if arms_forward else -15.0) * p, elbow=-10.0 * p)
    plan.params.update(reps=reps, depth=depth, arms_forward=arms_forward)
    if reps == 1:
        templates = ["{s} squats down and stands back up", "{s} crouches down and then stands up", "{s} does a squat",
                     "{s} bends {p} knees into a squat and rises again"]
    else:
        templates = ["{s} does {N} squats", "{s} squats {n}", "{s} squats down and up {n}", "{s} performs {N} squats"]
    plan.caption = _say(rng, templates, n=_TIMES[reps], N=_NUMBERS.get(reps, ""))
    return plan


def _kick(rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    side = _pick(rng, ("left", "right"))
    f = 0 if side == "left" else 1
    sign = 1.0 if side == "left" else -1.0
    plan = _standing(n, rng, width=rng.uniform(0.09, 0.11))
    t = plan.t
    apex = rng.uniform(50.0, 100.0)
    tempo = rng.uniform(0.85, 1.2)
    length = 1.0 * tempo
    first = rng.uniform(0.2, 0.6)
    gap = rng.uniform(0.2, 0.6)
    fit = max(1, int((seconds - first - 0.2 + gap) // (length + gap)))
    reps = int(rng.integers(1, min(3, fit) + 1))
    # the kicking ankle, relative to where it stands: lifted into a chamber (knee up), snapped out to the apex
    # (``apex`` degrees up from hanging, on a nearly straight leg from the hip), pulled back, set down again
    hip_above = STAND_HEIGHT - 0.02 - HIP_DROP - ANKLE_HEIGHT  # hip over the standing ankle at full weight shift
    a = math.radians(apex)
    apex_up, apex_forward = hip_above - 0.79 * math.cos(a), 0.79 * math.sin(a)
    weight, lift, kick_pitch = np.zeros(n), np.zeros((n, 2)), np.zeros(n)
    t0 = first
    for _ in range(reps):
        times = t0 + tempo * np.array([0.0, 0.3, 0.45, 0.6, 0.95])
        lift += _keys(t, times, [(0.0, 0.0), (0.3, 0.12), (apex_up, apex_forward), (0.3, 0.15), (0.0, 0.0)])
        weight += _keys(t, t0 + tempo * np.array([-0.1, 0.2, 0.7, 1.05]), [0.0, 1.0, 1.0, 0.0])
        kick_pitch += _keys(t, times, [0.0, 10.0, 30.0, 10.0, 0.0])
        t0 += length + gap
    # the pelvis shifts over the standing foot and sinks a little
    plan.root_xz = plan.root_xz + np.stack([-sign * 0.05 * weight, np.zeros(n)], axis=-1)
    plan.height = STAND_HEIGHT - 0.02 * weight
    ankle = plan.balls[f] - FOOT
    ankle[:, 1] += lift[:, 0]
    ankle[:, 2] += lift[:, 1]
    plan.foot_pitch[f] = np.radians(kick_pitch)
    plan.balls[f] = ankle + _apply(_rot("X", plan.foot_pitch[f]), np.broadcast_to(FOOT, (n, 3)))
    plan.contact = np.ones((2, n))
    plan.contact[f] = 1.0 - np.clip(lift[:, 0] / 0.03, 0.0, 1.0)
    alpha = np.degrees(np.arctan2(lift[:, 1], hip_above - lift[:, 0]))
    plan.lean(-10.0 * weight * np.clip((alpha - 30) / 60, 0, 1))
    other = "right" if side == "left" else "left"
    plan.arm(other, flex=-35.0 * weight, abduct=10.0 * weight)
    plan.arm(side, flex=15.0 * weight, abduct=20.0 * weight)
    plan.params.update(side=side, reps=reps, apex_deg=apex)
    height = "high" if apex > 80 else ("low" if apex < 62 else "")
    templates = ["{s} kicks with {p} {d} leg {n}", "{s} kicks forward with {p} {d} foot {n}",
                 "{s} kicks {n} with the {d} leg", "{s} kicks something in front of {o} with {p} {d} foot"]
    if height:
        templates += ["{s} does a {h} kick with {p} {d} leg {n}", "{s} throws a {h} kick with the {d} leg {n}"]
    plan.caption = _say(rng, templates, d=side, h=height, n=_times(rng, reps))
    return plan


def _wave(rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    hand = _pick(rng, ("left", "left", "right", "right", "both"))
    overhead = rng.random() < 0.4
    freq = rng.uniform(1.5, 2.5)
    raise_time, lower_time = rng.uniform(0.4, 0.7), rng.uniform(0.4, 0.7)
    start = rng.uniform(0.1, 0.6)
    room = seconds - start - raise_time - lower_time - 0.1
    count = int(rng.integers(2, 7))
    count = max(1, min(count, int(room * freq)))
    plan = _standing(n, rng)
    t = plan.t
    wave_start = start + raise_time
    wave_end = wave_start + count / freq
    up = _keys(t, [start, wave_start, wave_end, wave_end + lower_time], [0.0, 1.0, 1.0, 0.0])
    window = np.clip(np.minimum(t - wave_start, wave_end - t) / 0.15, 0.0, 1.0)
    osc = np.sin(2 * np.pi * freq * (t - wave_start)) * window
    sides = ("left", "right") if hand == "both" else (hand,)
    for side in sides:
        if overhead:
            plan.arm(side, abduct=rng.uniform(140, 160) * up + 15.0 * osc, elbow=-15.0 * up)
        else:
            plan.arm(side, abduct=rng.uniform(85, 110) * up, twist=90.0 * up, flex=-10.0 * up,
                     elbow=-90.0 * up + 25.0 * osc)
    plan.params.update(hand=hand, count=count, overhead=overhead, frequency=freq)
    n_word = _times(rng, count) if rng.random() < 0.6 else ""
    if hand == "both":
        templates = ["{s} waves with both hands {n}", "{s} raises both arms and waves {n}", "{s} waves both hands {n}",
                     "{s} waves both arms above {p} head"]
    else:
        templates = ["{s} waves with {p} {d} hand {n}", "{s} waves {p} {d} hand {n}",
                     "{s} raises {p} {d} hand and waves", "{s} waves hello with {p} {d} hand",
                     "{s} lifts {p} {d} hand and waves {n}", "{s} waves {p} {d} arm back and forth"]
    plan.caption = _say(rng, templates, d=hand, n=n_word)
    return plan


def _arm_raise(rng: np.random.Generator, n: int) -> _Plan:
    seconds = n * DT
    arm = _pick(rng, ("left", "right", "both"))
    plane = _pick(rng, ("front", "side"))
    high = rng.random() < 0.5
    angle = rng.uniform(160, 175) if high else rng.uniform(80, 95)
    up, hold, down, gap = rng.uniform(0.5, 0.9), rng.uniform(0.3, 1.0), rng.uniform(0.5, 0.9), rng.uniform(0.1, 0.5)
    first = rng.uniform(0.1, 0.5)
    fit = max(1, int((seconds - first - 0.1 + gap) // (up + hold + down + gap)))
    reps = int(rng.integers(1, min(3, fit) + 1))
    plan = _standing(n, rng)
    t = plan.t
    p = np.zeros(n)
    t0 = first
    for _ in range(reps):
        p += _ramp(t, t0, up) - _ramp(t, t0 + up + hold, down)
        t0 += up + hold + down + gap
    for side in (("left", "right") if arm == "both" else (arm,)):
        if plane == "front":
            plan.arm(side, flex=-angle * p, elbow=-5.0 * p)
        else:
            plan.arm(side, abduct=angle * p, elbow=-5.0 * p)
    plan.params.update(arm=arm, plane=plane, angle_deg=angle, reps=reps)
    words = {"d": arm, "n": _times(rng, reps)}
    if arm == "both":
        if high:
            templates = ["{s} raises both arms above {p} head {n}", "{s} lifts both arms up over {p} head {n}",
                         "{s} puts both hands up in the air {n}", "{s} reaches up with both arms {n}"]
        elif plane == "front":
            templates = ["{s} raises both arms in front of {o} {n}",
                         "{s} lifts both arms forward to shoulder height {n}",
                         "{s} holds both arms straight out in front"]
        else:
            templates = ["{s} raises both arms out to the sides {n}", "{s} lifts both arms sideways {n}",
                         "{s} spreads both arms out to the sides"]
    elif high:
        templates = ["{s} raises {p} {d} arm above {p} head {n}", "{s} lifts {p} {d} hand up high {n}",
                     "{s} reaches up with {p} {d} arm {n}", "{s} puts {p} {d} hand up in the air {n}"]
    elif plane == "front":
        templates = ["{s} raises {p} {d} arm forward {n}", "{s} lifts {p} {d} arm in front of {o} {n}",
                     "{s} holds {p} {d} arm straight out in front"]
    else:
        templates = ["{s} raises {p} {d} arm out to the side {n}",
                     "{s} lifts {p} {d} arm sideways to shoulder height {n}", "{s} holds {p} {d} arm out to the side"]
    plan.caption = _say(rng, templates, **words)
    return plan


_BUILDERS: dict[str, Callable[[np.random.Generator, int], _Plan]] = {
    "walk": lambda rng, n: _walk_like("walk", rng, n), "run": lambda rng, n: _walk_like("run", rng, n),
    "jump": _jump, "turn": _turn, "walk_turn": _walk_turn, "wave": _wave, "sit_down": _sit_down, "kick": _kick,
    "squat": _squat, "arm_raise": _arm_raise, "side_step": _side_step, "walk_backward": _walk_backward,
}


def _build(kind: str, rng: np.random.Generator, min_seconds: float, max_seconds: float) -> tuple[_Plan, np.ndarray]:
    n = _frames(rng, min_seconds, max_seconds)
    plan = _BUILDERS[kind](rng, n)
    plan.kind = kind
    params = {"seconds": n * DT, "n_frames": n}
    for key, value in plan.params.items():
        params[key] = value if isinstance(value, (str, bool, type(None))) else (
            int(value) if isinstance(value, (int, np.integer)) else float(value))
    plan.params = params
    return plan, _channels(plan)


# ----------------------------------------------------------------------------------------- IK and channels


def _channels(plan: _Plan) -> np.ndarray:
    """Euler channels (T, 69) for ``procedural_skeleton()``: root from the plan, legs by IK, the rest as given."""
    T = plan.n
    pelvis = plan.angles.get(0, {})
    yaw = plan.yaw + np.radians(pelvis.get("Y", np.zeros(T)))
    pitch, roll = np.radians(pelvis.get("X", np.zeros(T))), np.radians(pelvis.get("Z", np.zeros(T)))
    R_pelvis = _rot("Y", yaw) @ _rot("X", pitch) @ _rot("Z", roll)  # (T, 3, 3)
    R_feet = [_rot("Y", plan.foot_yaw[f]) @ _rot("X", plan.foot_pitch[f]) for f in (0, 1)]
    ankles = [plan.balls[f] - _apply(R_feet[f], np.broadcast_to(FOOT, (T, 3))) for f in (0, 1)]
    hips = [_apply(R_pelvis, np.broadcast_to(REST_OFFSETS[LEGS[f][0]], (T, 3))) for f in (0, 1)]
    caps = []
    for f in (0, 1):
        dx = ankles[f][:, 0] - plan.root_xz[:, 0] - hips[f][:, 0]
        dz = ankles[f][:, 2] - plan.root_xz[:, 1] - hips[f][:, 2]
        cap = ankles[f][:, 1] + np.sqrt(np.clip(PLAN_REACH ** 2 - dx * dx - dz * dz, 0.04, None)) - hips[f][:, 1]
        caps.append(cap if plan.contact is None else cap + (1.0 - plan.contact[f]))  # a lifted foot follows
    # the pelvis comes down where the legs cannot reach the planted feet; the cut is smoothed (never shallower)
    height = plan.height - _smooth_cut(np.maximum(plan.height - np.minimum(*caps), 0.0))
    root = np.stack([plan.root_xz[:, 0], height, plan.root_xz[:, 1]], axis=-1)  # (T, 3)
    out = np.zeros((T, 6 + 3 * (len(SMPL22_NAMES) - 1)))
    out[:, :3] = root
    out[:, 3:6] = np.degrees(np.stack([yaw, pitch, roll], axis=-1))
    legs = {}
    for f in (0, 1):
        hip_j, knee_j, ankle_j = LEGS[f]
        twist = plan.foot_yaw[f] - yaw
        d = _apply_inverse(R_pelvis, ankles[f] - root - hips[f])  # hip → ankle in the pelvis frame
        d = _apply_inverse(_rot("Y", twist), d)  # ... and in the hip frame turned toward the foot
        dist = np.linalg.norm(d, axis=-1)
        clipped = np.clip(dist, 0.1, IK_REACH)
        d = d * (clipped / np.maximum(dist, 1e-9))[:, None]
        knee = np.arccos(np.clip((clipped ** 2 - THIGH ** 2 - SHIN ** 2) / (2 * THIGH * SHIN), -1.0, 1.0))
        uy, uz = -(THIGH + SHIN * np.cos(knee)), -SHIN * np.sin(knee)  # hip → ankle before the hip rotates
        abduct = np.arcsin(np.clip(d[:, 0] / np.maximum(-uy, 1e-6), -0.95, 0.95))
        flex = np.arctan2(d[:, 2], d[:, 1]) - np.arctan2(uz, np.cos(abduct) * uy)
        flex = (flex + np.pi) % (2 * np.pi) - np.pi
        R_shin = R_pelvis @ _rot("Y", twist) @ _rot("X", flex) @ _rot("Z", abduct) @ _rot("X", knee)
        ankle_angles = _euler(np.swapaxes(R_shin, -1, -2) @ R_feet[f], ORDERS[ankle_j])
        legs[hip_j] = np.stack([twist, flex, abduct], axis=-1)
        legs[knee_j] = np.stack([np.zeros(T), knee, np.zeros(T)], axis=-1)  # ZXY
        legs[ankle_j] = ankle_angles
    for j in range(1, len(SMPL22_NAMES)):
        col = 6 + 3 * (j - 1)
        if j in legs:
            out[:, col:col + 3] = np.degrees(legs[j])
        else:
            given = plan.angles.get(j, {})
            for c, axis in enumerate(ORDERS.get(j, "ZXY")):
                if axis in given:
                    out[:, col + c] = given[axis]
    return out


def _with_joints(built: list[tuple[_Plan, np.ndarray]], chunk_frames: int = 20000) -> list[ProceduralMotion]:
    """Forward kinematics for many motions at once: their frames are independent, so they are stacked."""
    skeleton = procedural_skeleton()
    motions: list[ProceduralMotion] = []
    start = 0
    while start < len(built):
        stop, frames = start, 0
        while stop < len(built) and (frames == 0 or frames + built[stop][0].n <= chunk_frames):
            frames += built[stop][0].n
            stop += 1
        stacked = np.concatenate([ch for _, ch in built[start:stop]])
        with torch.no_grad():
            joints = forward_kinematics(skeleton, torch.from_numpy(stacked)).numpy().astype(np.float32)
        offset = 0
        for plan, ch in built[start:stop]:
            motions.append(ProceduralMotion(joints[offset:offset + plan.n], plan.caption, plan.kind, plan.params,
                                            ch.astype(np.float32)))
            offset += plan.n
        start = stop
    return motions
