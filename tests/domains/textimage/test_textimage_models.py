"""Tokenizer and generator modules: shapes, token round trips, decoding equals teacher forcing, losses in nats."""

from __future__ import annotations

import math
from pathlib import Path

import lightning as L
import pytest
import torch

from seqkit.domains.textimage.autoencoder import stage_widths
from seqkit.domains.textimage.data import TextImageDataModule
from seqkit.domains.textimage.generator_module import PAD, TextImageGenerator, text_bytes
from seqkit.domains.textimage.tokenizer_module import TextImageTokenizer, edge_weights, psnr, ssim

SMALL = {"downsample": 8, "patch": 2, "channels": [8, 16, 16], "image_size": 32}


@pytest.mark.parametrize("quantizer", ["binary", "vq"])
def test_tokenizer_shapes_and_decode_of_encode_equals_the_reconstruction(quantizer: str) -> None:
    model = TextImageTokenizer(quantizer=quantizer, bits=6, **SMALL).eval()
    images = torch.rand(2, 3, 32, 32) * 2 - 1
    reconstruction, indices, _ = model(images)
    assert reconstruction.shape == images.shape and indices.shape == (2, 4, 4) and model.grid == 4
    assert indices.max() < 64 and torch.equal(model.encode(images), indices)
    assert torch.allclose(model.decode(indices), reconstruction, atol=1e-5)


def test_the_widths_must_match_the_downsampling() -> None:
    with pytest.raises(ValueError, match="channels must list 3 widths"):
        stage_widths([8, 16], 16, 4)
    with pytest.raises(ValueError, match="power of two"):
        stage_widths([8], 6, 2)
    with pytest.raises(ValueError, match="not a multiple"):
        TextImageTokenizer(image_size=40, downsample=16)


def test_image_metrics_and_edge_weights() -> None:
    images = torch.rand(2, 3, 16, 16) * 2 - 1
    assert psnr(images, images).min() > 90 and ssim(images, images).min() > 0.999
    assert psnr(images * 0, images).max() < 20
    page = torch.ones(1, 3, 16, 16)
    page[..., 6:9, 4:12] = -1  # a dark stroke on white
    w = edge_weights(page, 3.0)
    assert w.min() == pytest.approx(1.0) and w.max() == pytest.approx(4.0) and w[0, 0, 0, 0] == 1.0
    assert w[0, 0, 7, 8] > 1  # next to and on the stroke


def test_a_few_steps_on_rendered_pages_lower_the_reconstruction_loss() -> None:
    torch.manual_seed(0)
    data = TextImageDataModule(image_size=32, n_train=64, n_val=8, sizes=[11], batch_size=8)
    model = TextImageTokenizer(bits=8, lr=3e-3, warmup_steps=1, **SMALL)
    batch = next(iter(data.loader("val")))
    with torch.no_grad():
        before = model.reconstruction_loss(model(batch["image"])[0], batch["image"]).item()
    trainer = L.Trainer(max_steps=24, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, limit_val_batches=0)
    trainer.fit(model, data)
    with torch.no_grad():
        after = model.reconstruction_loss(model(batch["image"])[0], batch["image"]).item()
    assert after < 0.8 * before


def test_text_bytes_are_left_padded_utf8() -> None:
    ids = text_bytes(["ab", "é  x"], 16)
    assert ids.tolist() == [[PAD, PAD, 97, 98], [0xC3, 0xA9, 32, 120]]
    assert text_bytes(["abcdef"], 3).tolist() == [[97, 98, 99]]


@pytest.mark.parametrize("head", ["softmax", "bits"])
@pytest.mark.parametrize("layers", ["mamba2*2", "attention*2"])
def test_generation_step_by_step_equals_the_parallel_forward(head: str, layers: str) -> None:
    torch.manual_seed(0)
    model = TextImageGenerator(bits=5, grid=3, head=head, d_model=32, layers=layers).eval()
    texts = ["hello", "a longer text"]
    tokens = model.generate_tokens(texts, seed=1)
    assert tokens.shape == (2, 3, 3) and torch.equal(tokens, model.generate_tokens(texts, seed=1))
    ids = text_bytes(texts, 64)
    states = model.backbone.init_state(2)
    h, states = model.backbone.forward_chunk(model.prefix(ids), states)
    outputs = [model.head(h[:, -1])]
    flat = tokens.flatten(1)
    for i in range(8):
        h_t, states = model.backbone.step(model.embed_image_tokens(flat[:, i:i + 1], i)[:, 0], states)
        outputs.append(model.head(h_t))
    assert torch.allclose(torch.stack(outputs, 1), model(ids, tokens), atol=1e-4)


@pytest.mark.parametrize("head", ["softmax", "bits"])
def test_an_untrained_generator_costs_about_k_ln2_nats_per_token(head: str) -> None:
    model = TextImageGenerator(bits=6, grid=4, head=head, d_model=32, layers="mamba2*1")
    torch.nn.init.zeros_(model.head.weight)
    torch.nn.init.zeros_(model.head.bias)
    tokens = torch.randint(0, 64, (3, 4, 4))
    nll = model.token_nll(model(text_bytes(["x", "y", "z"], 8), tokens), tokens)
    assert nll.item() == pytest.approx(6 * math.log(2), rel=1e-5)


def test_bits_head_rejects_top_k() -> None:
    model = TextImageGenerator(bits=4, grid=2, head="bits", d_model=32, layers="mamba2*1")
    with pytest.raises(ValueError, match="top_k applies to the softmax head"):
        model.generate_tokens(["x"], top_k=5)


def test_the_generator_carries_its_tokenizer_through_a_checkpoint(tmp_path: Path) -> None:
    tokenizer = TextImageTokenizer(bits=5, **SMALL)
    trainer = L.Trainer(max_steps=0, logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.strategy.connect(tokenizer)
    trainer.save_checkpoint(tmp_path / "tokenizer.ckpt")
    generator = TextImageGenerator(tokenizer=str(tmp_path / "tokenizer.ckpt"), d_model=32, layers="mamba2*1")
    assert generator.bits == 5 and generator.grid == 4 and not any(p.requires_grad for p in
                                                                    generator.tokenizer.parameters())
    trainer.strategy.connect(generator)
    trainer.save_checkpoint(tmp_path / "generator.ckpt")
    (tmp_path / "tokenizer.ckpt").unlink()  # the generator no longer needs the tokenizer's file
    checkpoint = torch.load(tmp_path / "generator.ckpt", weights_only=True)
    assert checkpoint["hyper_parameters"]["tokenizer_config"]["channels"] == [8, 16, 16]
    loaded = TextImageGenerator.load_from_checkpoint(tmp_path / "generator.ckpt", weights_only=True)
    for a, b in zip(loaded.tokenizer.state_dict().values(), tokenizer.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert loaded.generate(["hi"]).shape == (1, 3, 32, 32)
