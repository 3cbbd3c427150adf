"""Map a mocap skeleton's joints onto the 22-joint SMPL body, by joint names, and scale to metres.

Text-to-motion models and HumanML3D's features work on the SMPL body joints. Mocap skeletons name and place
their joints differently, so each known naming scheme gets a recipe: an SMPL joint is a named joint, the
midpoint of two, a point between two, or a joint's End Site (a BVH leaf tip such as the toes or the top of
the head). Three schemes are known: CMU's ASF bone names (and CMU's own BVH conversions that keep them),
the CMU BVH names of the cgspeed/fairmotion conversion, and the DAZ/Poser-style names of Bruce Hahne's
"daz-friendly" conversion; a skeleton already on SMPL-22 names (our own BVH export) maps to itself.

The recipes are our choice where a mocap skeleton has no joint at SMPL's place (SMPL's spine3, neck and head
centre, the collar points); the CMU BVH one is the mapping used to derive the shared CMU 01_01 clip.
Names match case-insensitively. A skeleton that no recipe covers is an error naming, for the closest
scheme, the joints that could not be found.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from seqkit.domains.motion.body_joints import SMPL22_NAMES
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.forward_kinematics import end_site_positions, world_transforms
from seqkit.domains.motion.skeleton import MocapClip, Skeleton

# An SMPL joint's source: "Name" (a joint), ("mid", a, b), ("lerp", a, b, t) = a + t (b - a), ("end", a) (the
# joint's End Site), ("any", a, b, ...) (the first of these joints the skeleton has)
Source = str | tuple


@dataclass(frozen=True)
class JointScheme:
    """A naming scheme: how to find each SMPL-22 joint, and the file unit in metres."""

    name: str
    sources: tuple[Source, ...]  # one per SMPL22_NAMES entry
    metres_per_unit: float
    description: str

    def required_names(self) -> set[str]:
        """Joint names that must all be present ("any" alternatives are checked separately)."""
        return {part for src in self.sources for part in _parts(src, alternatives=False) if isinstance(part, str)}


def _parts(src: Source, alternatives: bool = True) -> list[Source]:
    """A recipe and every sub-recipe and joint name in it (keywords left out); the names inside an "any"
    only when ``alternatives``."""
    if isinstance(src, str):
        return [src]
    out: list[Source] = [src]
    if src[0] == "any" and not alternatives:
        return out
    for part in src[1:]:
        if isinstance(part, (str, tuple)):
            out.extend(_parts(part, alternatives))
    return out


# CMU: ASF lengths are in units of 1/0.45 inch (CMU's FAQ), so one unit is (1 / 0.45) * 2.54 cm.
CMU_METRES_PER_UNIT = (1.0 / 0.45) * 2.54 / 100.0

CMU_BVH = JointScheme(
    name="cmu_bvh",
    sources=("Hips", "LeftUpLeg", "RightUpLeg", "Spine", "LeftLeg", "RightLeg", "Spine1", "LeftFoot", "RightFoot",
             ("lerp", "Spine1", "Neck1", 0.3), "LeftToeBase", "RightToeBase", ("mid", "Neck1", "Head"),
             ("mid", "Neck1", "LeftArm"), ("mid", "Neck1", "RightArm"), ("mid", "Head", ("end", "Head")),
             "LeftArm", "RightArm", "LeftForeArm", "RightForeArm", "LeftHand", "RightHand"),
    metres_per_unit=CMU_METRES_PER_UNIT,
    description="CMU BVH (cgspeed / fairmotion conversion, 31 joints)",
)

CMU_ASF = JointScheme(
    name="cmu_asf",
    sources=(("any", "root", "hip"), "lfemur", "rfemur", "upperback", "ltibia", "rtibia", "thorax", "lfoot", "rfoot",
             ("lerp", "thorax", "upperneck", 0.3), "ltoes", "rtoes", ("mid", "upperneck", "head"),
             ("mid", "upperneck", "lhumerus"), ("mid", "upperneck", "rhumerus"), ("mid", "head", ("end", "head")),
             "lhumerus", "rhumerus", "lradius", "rradius", "lwrist", "rwrist"),
    metres_per_unit=CMU_METRES_PER_UNIT,
    description="CMU ASF bone names (ASF/AMC, and amc2bvh output such as cmu_daz 16_01)",
)

DAZ = JointScheme(
    name="daz",
    sources=("hip", "lThigh", "rThigh", "abdomen", "lShin", "rShin", "chest", "lFoot", "rFoot",
             ("lerp", "chest", "neck", 0.3), ("end", "lFoot"), ("end", "rFoot"), "neck",
             "lCollar", "rCollar", ("mid", "head", ("mid", "leftEye", "rightEye")),
             "lShldr", "rShldr", "lForeArm", "rForeArm", "lHand", "rHand"),
    metres_per_unit=0.01,
    description="DAZ/Poser-style names (Bruce Hahne's daz-friendly CMU conversion, 43 joints, centimetres)",
)

SMPL22 = JointScheme(name="smpl22", sources=SMPL22_NAMES, metres_per_unit=1.0,
                     description="SMPL-22 joint names (seqkit's own BVH export), metres")

SCHEMES: tuple[JointScheme, ...] = (SMPL22, CMU_BVH, CMU_ASF, DAZ)


def _lower_index(skeleton: Skeleton) -> dict[str, int]:
    return {n.lower(): i for i, n in enumerate(skeleton.names)}


def _covered(scheme: JointScheme, skeleton: Skeleton) -> set[str]:
    """The scheme's required names missing from the skeleton (End Sites must exist too)."""
    index = _lower_index(skeleton)
    missing = {n for n in scheme.required_names() if n.lower() not in index}
    for src in scheme.sources:
        for part in _parts(src):
            if isinstance(part, tuple) and part[0] == "any" and not any(n.lower() in index for n in part[1:]):
                missing.add(" or ".join(part[1:]))
            if isinstance(part, tuple) and part[0] == "end":
                j = index.get(part[1].lower())
                if j is not None and j not in skeleton.end_sites:
                    missing.add(f"{part[1]} (End Site)")
    return missing


def detect_scheme(skeleton: Skeleton, source: str = "<skeleton>") -> JointScheme:
    """The naming scheme whose every required joint is in the skeleton; an error naming what is missing."""
    best: tuple[int, JointScheme, set[str]] | None = None
    for scheme in SCHEMES:
        missing = _covered(scheme, skeleton)
        if not missing:
            return scheme
        if best is None or len(missing) < best[0]:
            best = (len(missing), scheme, missing)
    assert best is not None
    _, scheme, missing = best
    raise MotionFormatError(source, None, f"unknown skeleton ({skeleton.n_joints} joints): closest is "
                            f"{scheme.description}, but no joint named {', '.join(sorted(missing))}")


def smpl22_positions(clip: MocapClip, scheme: JointScheme | None = None,
                     metres_per_unit: float | None = None) -> torch.Tensor:
    """The clip's SMPL-22 joint positions (T, 22, 3) in metres (float64), in the file's axes (Y up for all three)."""
    skeleton = clip.skeleton
    scheme = scheme or detect_scheme(skeleton, clip.source)
    pos, rot = world_transforms(skeleton, clip.motion)  # (T, J, 3), (T, J, 3, 3)
    ends = end_site_positions(skeleton, pos, rot)
    index = _lower_index(skeleton)

    def point(src: Source) -> torch.Tensor:
        if isinstance(src, str):
            return pos[:, index[src.lower()]]
        kind = src[0]
        if kind == "any":
            return point(next(n for n in src[1:] if n.lower() in index))
        if kind == "end":
            return ends[index[src[1].lower()]]
        if kind == "mid":
            return 0.5 * (point(src[1]) + point(src[2]))
        if kind == "lerp":
            a = point(src[1])
            return a + float(src[3]) * (point(src[2]) - a)
        raise ValueError(f"unknown joint recipe {src!r}")

    joints = torch.stack([point(src) for src in scheme.sources], dim=1)  # (T, 22, 3)
    return joints * (metres_per_unit if metres_per_unit is not None else scheme.metres_per_unit)
