"""``torch.compile`` as a model option: networks compiled in place, parameter names kept, graph breaks counted."""

from __future__ import annotations

import importlib

import pytest
import torch
from torch import nn

from seqkit.compiled import compile_networks, compiled_networks, graph_breaks

# Every domain's LightningModule, the constructor arguments a bare instance needs, and what it compiles.
DOMAIN_MODELS = [
    ("seqkit.domains.synthetic.model", "SyntheticLM", {}, ["backbone"]),
    ("seqkit.domains.dna.model", "DnaLM", {}, ["backbone"]),
    ("seqkit.domains.dna.classifier", "DnaClassifier", {}, ["backbone"]),
    ("seqkit.domains.protein.model", "ProteinLM", {}, ["model"]),
    ("seqkit.domains.forecast.model", "ForecastModel", {}, ["model"]),
    ("seqkit.domains.motion.text_to_motion", "TextToMotion", {"space": "frames"}, ["denoiser"]),
    ("seqkit.domains.motion.vae_module", "MotionVAEModule", {}, ["vae"]),
    ("seqkit.domains.motion.evaluator_module", "MotionTextEvaluatorModule", {}, ["evaluator"]),
    ("seqkit.domains.video.video_diffusion", "VideoDiffusion", {}, ["denoiser"]),
    ("seqkit.domains.video.attribute_classifier", "AttributeClassifierModule", {}, ["classifier"]),
    ("seqkit.domains.textimage.generator_module", "TextImageGenerator", {}, ["backbone"]),
    ("seqkit.domains.textimage.tokenizer_module", "TextImageTokenizer", {}, ["encoder", "decoder"]),
]


class _Owner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 8), nn.GELU(), nn.Linear(8, 3))
        self.optional = None
        self.scale = 2.0


def test_compile_networks_compiles_in_place_keeps_names_and_matches_eager() -> None:
    owner = _Owner()
    x = torch.randn(5, 8)
    eager = owner.body(x)
    keys = list(owner.state_dict())
    assert compile_networks(owner, ["body", "optional"]) == ["body"]  # an absent (None) network is skipped
    assert compiled_networks(owner) == ["body"]
    assert list(owner.state_dict()) == keys  # checkpoints of compiled and eager runs are interchangeable
    assert owner.body._compiled_call_impl is not None
    torch.testing.assert_close(owner.body(x), eager)


def test_compile_networks_refuses_what_is_not_a_module() -> None:
    with pytest.raises(TypeError, match="_Owner.scale is a float"):
        compile_networks(_Owner(), ["scale"])


def test_an_eager_model_has_no_compiled_networks() -> None:
    assert compiled_networks(_Owner()) == []


def test_graph_breaks_counts_each_break_with_its_reason() -> None:
    torch._dynamo.reset()
    torch._dynamo.utils.counters.clear()

    @torch.compile(backend="eager")
    def broken(x: torch.Tensor) -> torch.Tensor:
        y = x * 2
        torch._dynamo.graph_break()
        return y + 1

    assert sum(graph_breaks().values()) == 0
    torch.testing.assert_close(broken(torch.ones(3)), torch.full((3,), 3.0))
    breaks = graph_breaks()
    assert sum(breaks.values()) >= 1 and all(isinstance(reason, str) for reason in breaks)


@pytest.mark.parametrize(("module", "name", "kwargs", "networks"), DOMAIN_MODELS, ids=[m[1] for m in DOMAIN_MODELS])
def test_every_domain_model_compiles_its_networks_at_setup(module: str, name: str, kwargs: dict,
                                                           networks: list[str]) -> None:
    cls = getattr(importlib.import_module(module), name)
    eager = cls(**kwargs)
    eager.configure_model()  # Lightning's setup hook
    assert compiled_networks(eager) == []
    model = cls(compile=True, **kwargs)
    assert model.hparams.compile is True  # saved with the checkpoint, a plain bool
    model.configure_model()
    assert compiled_networks(model) == networks
    assert all(getattr(model, n)._compiled_call_impl is not None for n in networks)
