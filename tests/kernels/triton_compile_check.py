"""Compile the launches the dispatcher would make at the widest common tiles, for the GPU generations with
the least shared memory per block (sm_86/89: 99 KB) and for Hopper (sm_90), without a GPU, and print one
JSON line {"arch/dtype/kernel": "ok" | what is wrong}. Run by test_triton_compile.py in a process without
TRITON_INTERPRET (under the interpreter, @triton.jit gives interpreted functions, which do not compile)."""

import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))  # the repository's tools/ folder
import triton_inspect as ti  # noqa: E402

# Mamba-2 heads (P 64) with d_state 128, attention heads of 128 with LM-Infinite's far q/k: the widest tiles.
CASES = {"bf16": (torch.bfloat16, False), "tf32": (torch.float32, False)}


def main() -> None:
    results = {}
    for arch in (86, 90):
        for label, (dtype, ieee) in CASES.items():
            launches = ti.ssd_launches(64, 128, dtype, ieee) + ti.attention_launches(128, dtype, ieee, far=True)
            for launch in launches:
                key = f"sm_{arch}/{label}/{launch.name}"
                try:
                    compiled = ti.compile_launch(launch, dtype, arch)
                except Exception as err:  # report every kernel, not just the first failure
                    results[key] = f"{type(err).__name__}: {err}"[:2000]
                    continue
                shared = compiled.metadata.shared
                if "ld.global" not in compiled.asm["ptx"]:
                    results[key] = "no global loads in PTX"
                elif shared > ti.SHARED_LIMIT[arch]:
                    results[key] = f"needs {shared} B of shared memory, sm_{arch} allows {ti.SHARED_LIMIT[arch]}"
                else:
                    results[key] = "ok"
    # ptxas reads back registers and spills (what benchmarks/kernels_static.py reports)
    used = ti.resources(ti.ssd_launches(64, 64, torch.bfloat16, False)[-1], torch.bfloat16, 90)
    results["ptxas report"] = "ok" if 0 < used.registers <= 255 and used.shared_bytes > 0 else str(used)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
