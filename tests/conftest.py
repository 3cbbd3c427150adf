"""Shared test set-up: one torch thread (tiny ops on a shared 2-core machine stall with two OpenMP
threads), Triton's interpreter where there is no GPU (so the Triton kernels' tests run on CPU tensors),
and the forward-and-gradient agreement check used by the mixer-vs-reference tests."""

import os

import pytest
import torch

torch.set_num_threads(1)
if not torch.cuda.is_available():  # before any seqkit Triton module is imported: @triton.jit reads it then
    os.environ.setdefault("TRITON_INTERPRET", "1")


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


def _step_loop(mixer: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """Feed x (B, L, D) through ``mixer.step`` token by token from ``init_state``: (stacked outputs, final state)."""
    state = mixer.init_state(x.shape[0], dtype=x.dtype)
    ys = []
    for x_t in x.unbind(1):
        y_t, state = mixer.step(x_t, state)
        ys.append(y_t)
    return torch.stack(ys, 1), state


@pytest.fixture
def step_loop():
    """Token-by-token decoding of a whole sequence, for the step-equals-forward tests."""
    return _step_loop
