"""``seqkit-<domain> --help`` says what the domain does, lists every subcommand and example, and is fast:
it imports neither torch nor Lightning."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

DOMAINS = ("synthetic", "forecast", "protein", "dna")


@pytest.mark.parametrize("domain", DOMAINS)
def test_help_describes_the_domain_without_importing_torch(domain: str) -> None:
    code = (f"import sys\nfrom seqkit.domains.{domain}.cli import COMMAND\nstatus = COMMAND.console(['--help'])\n"
            "print('heavy imported:', sorted(m for m in ('torch', 'lightning') if m in sys.modules))\n"
            "sys.exit(status)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "heavy imported: []" in out
    assert "Lightning Trainer command line tool" not in out
    assert out.startswith(f"usage: seqkit-{domain}") and "examples:" in out and f"seqkit-{domain} fit" in out
    for sub in ("fit", "validate", "test", "predict", "export"):
        assert f"\n  {sub} " in out
    tools = {"synthetic": [], "forecast": ["batch"], "protein": ["score", "generate"], "dna": ["variants", "generate"]}
    for tool in tools[domain]:
        assert f"\n  {tool} " in out


def test_subcommand_help_carries_the_description_and_tool_options() -> None:
    proc = subprocess.run([sys.executable, "-m", "seqkit.domains.protein.cli", "score", "--help"], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONWARNINGS="ignore"))
    assert proc.returncode == 0, proc.stderr
    for option in ("--checkpoint", "--msa", "--variants", "--manifest", "--max_similarity", "--device", "-c CONFIG",
                   "--print_config"):
        assert option in proc.stdout, option
