"""Quaternions, rotation matrices and the continuous 6D representation, in torch, batched over any leading dims.

Conventions (the ones HumanML3D's features are written in):

* a quaternion is ``(w, x, y, z)``, last dim 4, scalar first; it acts on column vectors, and ``quat_mul(a, b)``
  is "b first, then a" (``rotate(a*b, v) == rotate(a, rotate(b, v))``);
* a rotation matrix acts on column vectors, ``v' = R @ v``;
* the continuous 6D representation ("cont6d", Zhou et al. 2019) of ``R`` is its first two *columns*
  concatenated, ``(R[0,0], R[1,0], R[2,0], R[0,1], R[1,1], R[2,1])``; back to ``R`` by Gram–Schmidt;
* a yaw is a rotation about +Y (the up axis); ``yaw_quat(theta) = (cos θ/2, 0, sin θ/2, 0)``.

Everything broadcasts over leading dims and keeps the input's floating dtype (float32 or float64).
"""

from __future__ import annotations

import torch

__all__ = [
    "quat_identity", "quat_normalize", "quat_conjugate", "quat_inv", "quat_mul", "quat_rotate", "quat_between",
    "quat_to_matrix", "matrix_to_quat", "matrix_to_cont6d", "cont6d_to_matrix", "quat_to_cont6d",
    "cont6d_to_quat", "yaw_quat", "quat_yaw_angle",
]


def quat_identity(*shape: int, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None
                  ) -> torch.Tensor:
    """Identity quaternions ``(*shape, 4)``."""
    q = torch.zeros(*shape, 4, dtype=dtype, device=device)
    q[..., 0] = 1.0
    return q


def quat_normalize(q: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """``q / |q|`` (a zero quaternion stays zero instead of becoming NaN)."""
    return q / q.norm(dim=-1, keepdim=True).clamp_min(eps)


def quat_conjugate(q: torch.Tensor) -> torch.Tensor:
    """``(w, -x, -y, -z)``."""
    return torch.cat([q[..., :1], -q[..., 1:]], dim=-1)


def quat_inv(q: torch.Tensor) -> torch.Tensor:
    """The inverse ``conj(q) / |q|²`` (the conjugate for a unit quaternion)."""
    return quat_conjugate(q) / (q * q).sum(dim=-1, keepdim=True)


def quat_mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Hamilton product ``a * b`` (the rotation ``b`` followed by ``a``), broadcasting leading dims."""
    aw, ax, ay, az = a.unbind(-1)
    bw, bx, by, bz = b.unbind(-1)
    return torch.stack([
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    ], dim=-1)


def quat_rotate(q: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Rotate vectors ``v`` (..., 3) by unit quaternions ``q`` (..., 4): ``q v q*``, without building ``q v q*``.

    With ``u`` the vector part: ``v + 2 w (u × v) + 2 u × (u × v)``.
    """
    w, u = q[..., :1], q[..., 1:]
    u, v = torch.broadcast_tensors(u, v)
    uv = torch.linalg.cross(u, v, dim=-1)
    return v + 2.0 * (w * uv + torch.linalg.cross(u, uv, dim=-1))


def quat_between(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The shortest-arc unit quaternion taking direction ``u`` to direction ``v`` (neither needs unit length).

    ``q ∝ (|u||v| + u·v, u × v)``: the half-way construction, whose scalar part is never negative. Undefined
    (returns zeros) for exactly opposite or zero vectors, where no unique shortest arc exists.
    """
    u, v = torch.broadcast_tensors(u, v)
    w = torch.sqrt((u * u).sum(-1, keepdim=True) * (v * v).sum(-1, keepdim=True)) + (u * v).sum(-1, keepdim=True)
    return quat_normalize(torch.cat([w, torch.linalg.cross(u, v, dim=-1)], dim=-1))


def quat_to_matrix(q: torch.Tensor) -> torch.Tensor:
    """Unit quaternions (..., 4) → rotation matrices (..., 3, 3) (``q`` is normalised first)."""
    w, x, y, z = quat_normalize(q).unbind(-1)
    xx, yy, zz = x * x, y * y, z * z
    xy, xz, yz, wx, wy, wz = x * y, x * z, y * z, w * x, w * y, w * z
    rows = (
        (1 - 2 * (yy + zz), 2 * (xy - wz), 2 * (xz + wy)),
        (2 * (xy + wz), 1 - 2 * (xx + zz), 2 * (yz - wx)),
        (2 * (xz - wy), 2 * (yz + wx), 1 - 2 * (xx + yy)),
    )
    return torch.stack([torch.stack(r, dim=-1) for r in rows], dim=-2)


def matrix_to_quat(m: torch.Tensor) -> torch.Tensor:
    """Rotation matrices (..., 3, 3) → unit quaternions (..., 4) with ``w >= 0``.

    Each of the four candidates ``4w², 4x², 4y², 4z²`` is read off the trace and diagonal; the largest one is
    used as the divisor (the numerically safe branch), chosen per element.
    """
    m00, m01, m02 = m[..., 0, 0], m[..., 0, 1], m[..., 0, 2]
    m10, m11, m12 = m[..., 1, 0], m[..., 1, 1], m[..., 1, 2]
    m20, m21, m22 = m[..., 2, 0], m[..., 2, 1], m[..., 2, 2]
    four_sq = torch.stack([1 + m00 + m11 + m22, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], -1)
    # row k: the quaternion scaled by 4 * (its k-th component)
    candidates = torch.stack([
        torch.stack([four_sq[..., 0], m21 - m12, m02 - m20, m10 - m01], -1),
        torch.stack([m21 - m12, four_sq[..., 1], m10 + m01, m02 + m20], -1),
        torch.stack([m02 - m20, m10 + m01, four_sq[..., 2], m12 + m21], -1),
        torch.stack([m10 - m01, m20 + m02, m21 + m12, four_sq[..., 3]], -1),
    ], dim=-2)
    best = four_sq.argmax(dim=-1)
    chosen = torch.gather(candidates, -2, best[..., None, None].expand(*best.shape, 1, 4)).squeeze(-2)
    q = quat_normalize(chosen)
    return torch.where(q[..., :1] < 0, -q, q)


def matrix_to_cont6d(m: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) → (..., 6): the first two columns, ``(R[:,0], R[:,1])``."""
    return torch.cat([m[..., :, 0], m[..., :, 1]], dim=-1)


def cont6d_to_matrix(d6: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """(..., 6) → (..., 3, 3) by Gram–Schmidt: ``c0 = a/|a|``, ``c1`` = ``b`` minus its ``c0`` part, normalised,
    ``c2 = c0 × c1``. Exact inverse of :func:`matrix_to_cont6d` on rotations; any 6-vector with independent halves
    maps to a rotation."""
    a, b = d6[..., :3], d6[..., 3:]
    c0 = a / a.norm(dim=-1, keepdim=True).clamp_min(eps)
    b = b - (c0 * b).sum(-1, keepdim=True) * c0
    c1 = b / b.norm(dim=-1, keepdim=True).clamp_min(eps)
    c2 = torch.linalg.cross(c0, c1, dim=-1)
    return torch.stack([c0, c1, c2], dim=-1)


def quat_to_cont6d(q: torch.Tensor) -> torch.Tensor:
    """(..., 4) → (..., 6)."""
    return matrix_to_cont6d(quat_to_matrix(q))


def cont6d_to_quat(d6: torch.Tensor) -> torch.Tensor:
    """(..., 6) → (..., 4), ``w >= 0``."""
    return matrix_to_quat(cont6d_to_matrix(d6))


def yaw_quat(angle: torch.Tensor) -> torch.Tensor:
    """Rotation by ``angle`` radians about +Y (counter-clockwise seen from above: +Z turns toward +X)."""
    half = 0.5 * angle
    zero = torch.zeros_like(half)
    return torch.stack([torch.cos(half), zero, torch.sin(half), zero], dim=-1)


def quat_yaw_angle(q: torch.Tensor) -> torch.Tensor:
    """The angle (radians, in [-π, π)) of a pure yaw quaternion; for a general rotation, the angle of its twist
    about +Y (swing–twist decomposition), ``2 atan2(y, w)`` wrapped to [-π, π)."""
    angle = 2.0 * torch.atan2(q[..., 2], q[..., 0])
    return torch.remainder(angle + torch.pi, 2 * torch.pi) - torch.pi
