"""Shipped configs by bare name, for every domain, and omegaconf interpolation in a shipped config."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from seqkit.commands.shipped_configs import resolve_config_arguments, shipped_configs

DOMAINS = ("synthetic", "forecast", "protein", "dna")


def test_bare_names_resolve_to_the_packaged_file_and_a_local_file_wins(tmp_path: Path, monkeypatch) -> None:
    package = "seqkit.domains.forecast"
    args = resolve_config_arguments(package, ["fit", "-c", "etth1_M_24.yaml", "--config=mamba_encoder", "-c", "x.yaml"])
    assert args[2].endswith("seqkit/domains/forecast/configs/etth1_M_24.yaml") and Path(args[2]).is_file()
    assert args[3].startswith("--config=") and args[3].endswith("configs/mamba_encoder.yaml")
    assert args[5] == "x.yaml"  # not shipped: left for the parser to report
    monkeypatch.chdir(tmp_path)
    (tmp_path / "etth1_M_24.yaml").write_text("seed_everything: 1\n")
    assert resolve_config_arguments(package, ["-c", "etth1_M_24.yaml"]) == ["-c", "etth1_M_24.yaml"]


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_shipped_config_loads_by_its_bare_name(domain: str, tmp_path: Path, monkeypatch,
                                                     capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)  # far from the package folder
    command = importlib.import_module(f"seqkit.domains.{domain}.cli").COMMAND
    names = shipped_configs(command.package)
    assert "default.yaml" in names
    for name in names:
        with pytest.raises(SystemExit) as done:
            command.main(["fit", "-c", name, "--print_config"])
        assert done.value.code in (0, None), name
        config = yaml.safe_load(capsys.readouterr().out)
        assert config["model"]["class_path"].startswith(f"seqkit.domains.{domain}."), name


def test_the_readme_forecast_command_with_a_bare_config_name_and_interpolation(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    proc = subprocess.run([sys.executable, "-m", "seqkit.domains.forecast.cli", "fit", "-c", "etth1_M_24.yaml",
                           "--print_config"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = yaml.safe_load(proc.stdout)["data"]["init_args"]
    assert data["path"] == "timeseries/ETTh1.csv"
    assert data["label_len"] == data["seq_len"] == 48  # `label_len: ${data.init_args.seq_len}` in the file
