"""seqkit/kernels/triton_dot.py: which dots fp32 kernels take follows torch's float32 matmul precision."""

import torch

from seqkit.kernels.triton_dot import ieee_dots


def test_fp32_dots_follow_torch_matmul_precision():
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("highest")
        assert ieee_dots(torch.float32)
        torch.set_float32_matmul_precision("high")  # the user allowed TF32, as for torch.matmul
        assert not ieee_dots(torch.float32)
        assert not ieee_dots(torch.bfloat16) and not ieee_dots(torch.float16)
    finally:
        torch.set_float32_matmul_precision(before)
