"""``seqkit.load`` and ``export``: a trained model back from a checkpoint or a safetensors export, no pickle."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import seqkit
from seqkit.domains.synthetic import SyntheticLM
from seqkit.domains.synthetic.cli import COMMAND, main

TINY = ["--data.init_args.seq_len=32", "--data.init_args.n_tokens=2", "--data.init_args.n_train=32",
        "--data.init_args.n_val=16", "--data.init_args.batch_size=16", "--model.init_args.d_model=16",
        "--model.init_args.mixer_options={mamba2: {d_state: 4, head_dim: 8, chunk_size: 16}}",
        "--trainer.max_epochs=1", "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fit")
    main(["fit", *TINY, f"--trainer.default_root_dir={root}"])
    return root / "default" / "checkpoints" / "last.ckpt"


def _logits(model: torch.nn.Module) -> torch.Tensor:
    tokens = torch.arange(32).remainder(model.hparams.vocab_size)[None]
    with torch.no_grad():
        return model(tokens)


def test_load_a_checkpoint_and_an_export_give_the_same_model(checkpoint: Path, tmp_path: Path) -> None:
    model = seqkit.load(checkpoint)
    assert isinstance(model, SyntheticLM) and not model.training
    trained = torch.load(checkpoint, weights_only=True)["state_dict"]
    assert all(torch.equal(trained[k], v) for k, v in model.state_dict().items())

    out = tmp_path / "shared"
    assert COMMAND.console(["export", f"--checkpoint={checkpoint}", f"--output_dir={out}"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "model.safetensors"]
    config = json.loads((out / "config.json").read_text())
    assert config["class_path"] == "seqkit.domains.synthetic.model.SyntheticLM"
    assert config["hyper_parameters"]["d_model"] == 16 and "_instantiator" not in config["hyper_parameters"]
    assert (out / "model.safetensors").read_bytes()[:8] != b"PK\x03\x04"  # not a torch zip/pickle
    exported = seqkit.load(out)
    assert isinstance(exported, SyntheticLM) and not exported.training
    torch.testing.assert_close(_logits(exported), _logits(model), rtol=0, atol=0)


def test_load_refuses_what_it_cannot_trust_or_find(tmp_path: Path, checkpoint: Path) -> None:
    with pytest.raises(ValueError, match="checkpoint not found"):
        seqkit.load(tmp_path / "missing.ckpt")
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="junk.ckpt: not a readable checkpoint"):
        seqkit.load(tmp_path / "junk.ckpt")
    out = tmp_path / "export"
    seqkit.export(checkpoint, out)
    config = json.loads((out / "config.json").read_text())
    config["class_path"] = "os.system"
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="not a seqkit model; refusing"):
        seqkit.load(out)
