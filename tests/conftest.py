"""Shared test set-up: one torch thread (tiny ops on a shared 2-core machine stall with two OpenMP
threads) and the forward-and-gradient agreement check used by the mixer-vs-reference tests."""

import pytest
import torch

torch.set_num_threads(1)


def _assert_output_and_grads_match(out: torch.Tensor, ref: torch.Tensor, params: list[torch.Tensor],
                                   rtol: float = 1e-6, atol: float = 1e-6) -> None:
    """out equals ref, and so do the gradients of a random projection of each w.r.t. every tensor in params."""
    torch.testing.assert_close(out, ref, rtol=rtol, atol=atol)
    w = torch.randn_like(out)
    got = torch.autograd.grad((out * w).sum(), params)
    want = torch.autograd.grad((ref * w).sum(), params)
    for a, r in zip(got, want, strict=True):
        torch.testing.assert_close(a, r, rtol=rtol, atol=atol)


@pytest.fixture
def assert_output_and_grads_match():
    """The forward-and-gradient agreement check shared by the mixer-vs-reference tests."""
    return _assert_output_and_grads_match
