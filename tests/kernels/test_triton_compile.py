"""Every Triton kernel compiles, as the dispatcher's tile plans launch it, for Hopper (sm_90) and for the cards
with the least shared memory per block (sm_86/89), on this GPU-less machine: type errors that the interpreter
lets through (an if/else whose branches give tensors of different shapes, say) and tiles that would not fit a
card's shared memory fail here rather than on the first GPU the code meets. Triton compiles to PTX and runs
its bundled ptxas; nothing is launched."""

import json
import os
import subprocess
import sys
from pathlib import Path


def test_every_planned_launch_compiles_and_fits_shared_memory():
    """bf16 and fp32 (TF32) data at the widest common tiles, on both GPU generations."""
    env = {k: v for k, v in os.environ.items() if k != "TRITON_INTERPRET"}
    script = Path(__file__).with_name("triton_compile_check.py")
    out = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                         timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    results = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(results) == 2 * 2 * 9 + 1
    failed = {name: status for name, status in results.items() if status != "ok"}
    assert not failed, failed
