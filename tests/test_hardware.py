"""precision: auto picks bf16-mixed only where the device runs bf16 natively, and says so."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
import torch

import seqkit.hardware as hardware
from seqkit.domains.forecast.synthetic_series import synthetic_series
from seqkit.hardware import AutoPrecisionTrainer, choose_precision, cpu_flags

AVX2_ONLY = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nflags\t\t: fpu sse2 avx avx2 fma\n"


def _fake_cpuinfo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> None:
    (tmp_path / "cpuinfo").write_text(text)
    monkeypatch.setattr(hardware, "cpu_flags", lambda: cpu_flags(tmp_path / "cpuinfo"))


def test_cpu_flags_reads_the_flags_line(tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text(AVX2_ONLY)
    assert cpu_flags(tmp_path / "cpuinfo") == {"fpu", "sse2", "avx", "avx2", "fma"}
    assert cpu_flags(tmp_path / "missing") == set()


@pytest.mark.parametrize(("flags", "expected"), [("avx2", "32-true"), ("avx2 avx512f avx512_bf16", "bf16-mixed"),
                                                 ("avx2 amx_tile amx_bf16", "bf16-mixed")])
def test_auto_on_cpu_follows_native_bf16_flags(monkeypatch, tmp_path, flags: str, expected: str) -> None:
    _fake_cpuinfo(monkeypatch, tmp_path, f"flags\t\t: fpu {flags}\n")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for accelerator in ("cpu", "auto"):
        precision, reason = choose_precision("auto", accelerator)
        assert precision == expected
        assert ("avx512_bf16" in reason or "amx_bf16" in reason) and reason.startswith("auto: ")
    assert choose_precision("bf16-mixed", "cpu") == ("bf16-mixed", "as configured")  # explicit values stay
    assert choose_precision(32, "cpu")[0] == 32


@pytest.mark.parametrize(("bf16", "expected"), [(True, "bf16-mixed"), (False, "32-true")])
def test_auto_on_cuda_follows_is_bf16_supported(monkeypatch, tmp_path, bf16: bool, expected: str) -> None:
    _fake_cpuinfo(monkeypatch, tmp_path, "flags\t\t: avx512_bf16\n")  # the CPU's flags do not matter on a GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a, **k: "Test GPU")
    for accelerator in ("gpu", "cuda", "auto"):
        assert choose_precision("auto", accelerator)[0] == expected
    assert choose_precision("auto", "mps")[0] == "32-true"


def test_trainer_resolves_auto_and_logs_the_choice(monkeypatch, tmp_path, caplog) -> None:
    _fake_cpuinfo(monkeypatch, tmp_path, AVX2_ONLY)
    with caplog.at_level(logging.INFO):
        trainer = AutoPrecisionTrainer(precision="auto", accelerator="cpu", logger=False, enable_checkpointing=False,
                                       default_root_dir=tmp_path)
    assert trainer.precision == "32-true"
    assert "Precision: 32-true (auto: the CPU has none of avx512_bf16, amx_bf16" in caplog.text
    assert AutoPrecisionTrainer(precision="bf16-mixed", accelerator="cpu", logger=False).precision == "bf16-mixed"


@pytest.mark.parametrize("flags", ["avx2", "avx2 avx512_bf16"])
def test_shipped_etth1_config_trains_in_the_precision_the_cpu_runs_natively(tmp_path: Path, flags: str) -> None:
    """``seqkit-forecast fit -c etth1_S_24.yaml`` on an AVX2-only CPU trains in fp32 (bf16-mixed, which the
    config used to say, is emulated there and ~20x slower), on an AVX512-BF16 CPU in bf16, and prints which."""
    table = synthetic_series(400, 7, "h", 0)
    frame = pd.DataFrame(table.values, columns=["HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT"])
    frame.insert(0, "date", table.stamps)
    frame.to_csv(tmp_path / "plant.csv", index=False)
    config = resources.files("seqkit.domains.forecast").joinpath("configs", "etth1_S_24.yaml")
    (tmp_path / "cpuinfo").write_text(f"flags\t\t: fpu {flags}\n")
    args = ["fit", "-c", str(config), "--data.init_args.path=plant.csv", "--data.init_args.split=ratio",
            "--data.init_args.seq_len=48", "--data.init_args.label_len=24", "--data.init_args.pred_len=12",
            "--model.init_args.d_model=16", "--model.init_args.n_heads=2", "--model.init_args.d_ff=32",
            "--trainer.max_steps=1", "--trainer.limit_val_batches=1", "--trainer.enable_progress_bar=false",
            "--trainer.enable_model_summary=false", "--trainer.default_root_dir=run"]
    # the console command, with this CPU's /proc/cpuinfo replaced by the fake one
    code = ("import functools, sys, seqkit.hardware as h; h.cpu_flags = functools.partial(h.cpu_flags, 'cpuinfo'); "
            "from seqkit.domains.forecast.cli import main; cli = main(sys.argv[1:]); "
            "print('trainer precision:', cli.trainer.precision)")
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = "bf16-mixed" if "avx512_bf16" in flags else "32-true"
    assert f"Precision: {expected} (auto: " in proc.stdout + proc.stderr
    assert f"trainer precision: {expected}" in proc.stdout
