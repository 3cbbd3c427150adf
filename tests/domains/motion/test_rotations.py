"""Quaternion / matrix / 6D identities, float32 and float64, over arbitrary leading dims."""

from __future__ import annotations

import math

import pytest
import torch

from seqkit.domains.motion.rotations import (
    cont6d_to_matrix,
    cont6d_to_quat,
    matrix_to_cont6d,
    matrix_to_quat,
    quat_between,
    quat_identity,
    quat_inv,
    quat_mul,
    quat_rotate,
    quat_to_cont6d,
    quat_to_matrix,
    quat_yaw_angle,
    yaw_quat,
)

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: 2e-5, torch.float64: 1e-12}


def random_quats(*shape: int, dtype: torch.dtype, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(*shape, 4, generator=g, dtype=torch.float64)
    return (q / q.norm(dim=-1, keepdim=True)).to(dtype)


def random_vectors(*shape: int, dtype: torch.dtype, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, 3, generator=g, dtype=torch.float64).to(dtype)


def close(a: torch.Tensor, b: torch.Tensor, dtype: torch.dtype) -> None:
    assert a.dtype == dtype and b.dtype == dtype
    torch.testing.assert_close(a, b, rtol=0, atol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_product_composes_rotations_and_inverse_undoes(dtype: torch.dtype) -> None:
    a, b = random_quats(2, 3, 5, dtype=dtype, seed=0), random_quats(2, 3, 5, dtype=dtype, seed=1)
    v = random_vectors(2, 3, 5, dtype=dtype)
    close(quat_rotate(quat_mul(a, b), v), quat_rotate(a, quat_rotate(b, v)), dtype)
    close(quat_rotate(quat_inv(a), quat_rotate(a, v)), v, dtype)
    close(quat_mul(a, quat_inv(a)), quat_identity(2, 3, 5, dtype=dtype), dtype)
    c = random_quats(2, 3, 5, dtype=dtype, seed=2)
    close(quat_mul(quat_mul(a, b), c), quat_mul(a, quat_mul(b, c)), dtype)
    # rotation keeps lengths; a non-unit quaternion's inverse is conj / |q|^2
    close(quat_rotate(a, v).norm(dim=-1), v.norm(dim=-1), dtype)
    close(quat_mul(3.0 * a, quat_inv(3.0 * a)), quat_identity(2, 3, 5, dtype=dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_rotate_broadcasts_one_quaternion_over_many_vectors(dtype: torch.dtype) -> None:
    q = random_quats(4, 1, dtype=dtype)
    v = random_vectors(4, 7, dtype=dtype)
    out = quat_rotate(q, v)
    assert out.shape == (4, 7, 3)
    close(out, quat_rotate(q.expand(4, 7, 4), v), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matrix_agrees_with_rotate_and_is_a_rotation(dtype: torch.dtype) -> None:
    q = random_quats(6, 4, dtype=dtype)
    v = random_vectors(6, 4, dtype=dtype)
    m = quat_to_matrix(q)
    close((m @ v.unsqueeze(-1)).squeeze(-1), quat_rotate(q, v), dtype)
    close(m @ m.transpose(-1, -2), torch.eye(3, dtype=dtype).expand(6, 4, 3, 3), dtype)
    close(torch.linalg.det(m), torch.ones(6, 4, dtype=dtype), dtype)
    close(quat_to_matrix(quat_mul(q, q.flip(0))), m @ quat_to_matrix(q.flip(0)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matrix_to_quat_inverts_up_to_sign_in_every_branch(dtype: torch.dtype) -> None:
    q = random_quats(200, dtype=dtype)
    # half-turns about x, y, z and a diagonal axis: w = 0, so the trace branch cannot be used
    half_turns = torch.tensor([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0.6, 0, 0.8]], dtype=dtype)
    q = torch.cat([q, half_turns, quat_identity(1, dtype=dtype)])
    back = matrix_to_quat(quat_to_matrix(q))
    assert bool((back[..., 0] >= 0).all())
    sign = torch.where((back * q).sum(-1, keepdim=True) < 0, -1.0, 1.0).to(dtype)
    close(back, sign * q, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cont6d_is_the_first_two_columns_and_round_trips(dtype: torch.dtype) -> None:
    q = random_quats(3, 5, dtype=dtype)
    m = quat_to_matrix(q)
    d6 = matrix_to_cont6d(m)
    assert d6.shape == (3, 5, 6)
    close(d6[..., :3], m[..., :, 0], dtype)
    close(d6[..., 3:], m[..., :, 1], dtype)
    close(cont6d_to_matrix(d6), m, dtype)
    close(quat_to_cont6d(q), d6, dtype)
    close(quat_to_matrix(cont6d_to_quat(d6)), m, dtype)
    # a perturbed 6-vector still maps to a rotation, and the identity's 6D is (1,0,0, 0,1,0)
    noisy = cont6d_to_matrix(2.0 * d6 + 0.05)
    close(noisy @ noisy.transpose(-1, -2), torch.eye(3, dtype=dtype).expand(3, 5, 3, 3), dtype)
    close(quat_to_cont6d(quat_identity(dtype=dtype)), torch.tensor([1, 0, 0, 0, 1, 0], dtype=dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_between_takes_u_onto_v_by_the_shortest_arc(dtype: torch.dtype) -> None:
    u = random_vectors(5, 1, dtype=dtype, seed=3) * 2.5
    v = random_vectors(1, 7, dtype=dtype, seed=4) * 0.3
    q = quat_between(u, v)
    assert q.shape == (5, 7, 4)
    assert bool((q[..., 0] >= 0).all())
    got = quat_rotate(q, (u / u.norm(dim=-1, keepdim=True)).expand(5, 7, 3))
    close(got, (v / v.norm(dim=-1, keepdim=True)).expand(5, 7, 3), dtype)
    # shortest arc: the axis is perpendicular to both, the angle is the angle between them
    cos = (u * v).sum(-1) / (u.norm(dim=-1) * v.norm(dim=-1))
    close(2 * q[..., 0] ** 2 - 1, cos, dtype)  # cos of the rotation angle = cos of the angle between u and v
    close((q[..., 1:] * u).sum(-1), torch.zeros(5, 7, dtype=dtype), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_yaw_quaternion_turns_z_toward_x_and_reads_back(dtype: torch.dtype) -> None:
    z = torch.tensor([0.0, 0.0, 1.0], dtype=dtype)
    close(quat_rotate(yaw_quat(torch.tensor(math.pi / 2, dtype=dtype)), z), torch.tensor([1.0, 0, 0], dtype=dtype),
          dtype)
    angles = torch.linspace(-3.1, 3.1, 25, dtype=dtype).reshape(5, 5)
    q = yaw_quat(angles)
    assert q.shape == (5, 5, 4)
    close(quat_yaw_angle(q), angles, dtype)
    close(quat_mul(yaw_quat(angles), yaw_quat(0.5 * angles)), yaw_quat(1.5 * angles), dtype)
    # the twist about Y of yaw(a) followed by a tilt about X is still a
    tilt = torch.tensor([math.cos(0.2), math.sin(0.2), 0.0, 0.0], dtype=dtype)
    close(quat_yaw_angle(quat_mul(yaw_quat(angles), tilt)), angles, dtype)
