"""The 22-joint SMPL body that HumanML3D works in (and KIT-ML's 21 joints): names, parents, kinematic chains.

Joint order and chains are HumanML3D's (``paramUtil.py``, t2m_kinematic_chain / kit_kinematic_chain); they fix
the meaning of every slice of the 263-d and 251-d feature vectors.
"""

from __future__ import annotations

SMPL22_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle", "right_ankle",
    "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
SMPL22_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)

#: root→leaf chains drawn as a stick figure: right leg, left leg, spine+head, right arm, left arm
T2M_CHAINS: tuple[tuple[int, ...], ...] = ((0, 2, 5, 8, 11), (0, 1, 4, 7, 10), (0, 3, 6, 9, 12, 15),
                                           (9, 14, 17, 19, 21), (9, 13, 16, 18, 20))
KIT_CHAINS: tuple[tuple[int, ...], ...] = ((0, 11, 12, 13, 14, 15), (0, 16, 17, 18, 19, 20), (0, 1, 2, 3, 4),
                                           (3, 5, 6, 7), (3, 8, 9, 10))

#: HumanML3D's feature extractor constants (t2m): feet and face joints, the frame rate
T2M_FPS = 20.0
T2M_FEET_LEFT, T2M_FEET_RIGHT = (7, 10), (8, 11)
T2M_FACE_JOINTS = (2, 1, 17, 16)  # r_hip, l_hip, sdr_r, sdr_l
KIT_FPS = 12.5
KIT_FEET_LEFT, KIT_FEET_RIGHT = (19, 20), (14, 15)
KIT_FACE_JOINTS = (11, 16, 5, 8)
