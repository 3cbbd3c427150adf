"""LongTextAR-style generation: a causal model over the text to render, then the image's tokens in raster order.

The sequence is the prompt's UTF-8 bytes (left-padded to the batch's longest), a separator, then the image
tokens row by row; the loss covers the image tokens only. Image tokens enter as their K bits (±1) through one
linear layer plus learned row and column embeddings, so the input side is the same for every head and any K.
Two heads, selectable:

- ``softmax``: one 2^K-way softmax per token (what the paper's 8,192-code generator implies);
- ``bits``: K binary heads, each bit a Bernoulli given the sequence so far (as Infinity predicts bits).

Both report the loss in nats per image token, so they compare directly. The frozen tokenizer is stored
inside the generator (its weights in the checkpoint, its hyperparameters as a plain dict), so a generator
always decodes with the tokenizer it was trained on. The backbone is any seqkit layer spec (``mamba2*6``,
``attention*6``, a MASFormer mix …).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from lightning.pytorch.core.mixins.hparams_mixin import _given_hyperparameters
from torch import Tensor, nn

from seqkit.backbone import Backbone
from seqkit.compiled import compile_networks
from seqkit.domains.textimage.binary_quantizer import bits_to_indices, indices_to_bits
from seqkit.domains.textimage.tokenizer_module import TextImageTokenizer
from seqkit.optim import adamw_warmup_cosine
from seqkit.sampling import filter_logits

HEADS = ("softmax", "bits")
PAD, SEPARATOR = 256, 257
TEXT_VOCABULARY = 258


def text_bytes(texts: list[str], max_bytes: int) -> Tensor:
    """UTF-8 bytes of each text (whitespace collapsed, truncated to ``max_bytes``), left-padded: (B, T) int64."""
    encoded = [" ".join(t.split()).encode("utf-8")[:max_bytes] for t in texts]
    width = max(1, max(len(e) for e in encoded))
    out = torch.full((len(texts), width), PAD, dtype=torch.int64)
    for row, e in enumerate(encoded):
        if e:
            out[row, width - len(e):] = torch.tensor(list(e), dtype=torch.int64)
    return out


def build_tokenizer(config: dict[str, Any]) -> TextImageTokenizer:
    """An (untrained) tokenizer of the shape ``config`` (its hyperparameters) describes.

    Built outside Lightning's CLI context: inside it, ``save_hyperparameters`` would record the arguments
    of the module the CLI is instantiating (the generator) instead of the tokenizer's own."""
    token = _given_hyperparameters.set(None)
    try:
        return TextImageTokenizer(**{k: v for k, v in config.items() if not k.startswith("_")})
    finally:
        _given_hyperparameters.reset(token)


def load_tokenizer(path: str) -> TextImageTokenizer:
    """A trained tokenizer checkpoint (read with ``weights_only=True``), frozen, in eval mode."""
    from seqkit.model_files import EXPORT_FORMAT, load

    if Path(path).is_dir():  # an export folder: its config names the class
        tokenizer = load(path)
    else:
        try:
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError as err:
            raise FileNotFoundError(2, "no such tokenizer checkpoint (train one with -c tokenizer_binary.yaml)",
                                    path) from err
        config = dict(checkpoint.get("hyper_parameters", {}))
        if "quantizer" not in config or "downsample" not in config:
            raise ValueError(f"{path}: not a text-image tokenizer checkpoint (no quantizer/downsample "
                             f"hyperparameters; {EXPORT_FORMAT} exports are folders)")
        tokenizer = build_tokenizer(config)
        tokenizer.load_state_dict(checkpoint["state_dict"])
    if not isinstance(tokenizer, TextImageTokenizer):
        raise TypeError(f"{path}: holds a {type(tokenizer).__name__}, not a TextImageTokenizer")
    return tokenizer.requires_grad_(False).eval()


class TextImageGenerator(L.LightningModule):
    """Text → image tokens, autoregressively.

    Args:
        tokenizer: path of a trained ``TextImageTokenizer`` checkpoint (its K and grid set the generator's).
        bits / grid: K and tokens per side when no tokenizer is given (throughput runs on random tokens).
        head: ``softmax`` (2^K classes) or ``bits`` (K Bernoullis).
        d_model, layers, mixer_options, mlp_ratio, dropout: the backbone (see ``seqkit.backbone.Backbone``).
        max_text_bytes: prompt bytes kept (the rest is cut; pages of the shipped configs stay below it).
        temperature / top_k: sampling defaults (top-k applies to the softmax head only).
        compile (bool): ``torch.compile`` the ``backbone`` in place at setup (``seqkit.compiled``).
    """

    def __init__(self, tokenizer: str | None = None, tokenizer_config: dict[str, Any] | None = None, bits: int = 13,
                 grid: int = 16, head: str = "softmax", d_model: int = 256, layers: str | list[str] = "mamba2*6",
                 mixer_options: dict[str, dict[str, Any]] | None = None, mlp_ratio: float = 0.0,
                 dropout: float = 0.0, max_text_bytes: int = 512, temperature: float = 1.0, top_k: int | None = None,
                 lr: float = 1e-3, weight_decay: float = 0.1, warmup_steps: int = 200, compile: bool = False) -> None:
        super().__init__()
        if head not in HEADS:
            raise ValueError(f"head must be one of {HEADS}, got {head!r}")
        self.save_hyperparameters()
        self.tokenizer: TextImageTokenizer | None = None
        if tokenizer_config is not None:  # reloading: the weights come with this checkpoint's state dict
            self.tokenizer = build_tokenizer(tokenizer_config)
        elif tokenizer is not None:
            self.tokenizer = load_tokenizer(tokenizer)
            self.hparams.tokenizer_config = {k: (list(v) if isinstance(v, tuple) else v)
                                             for k, v in dict(self.tokenizer.hparams).items()}
        if self.tokenizer is not None:
            self.tokenizer.requires_grad_(False).eval()
            bits, grid = self.tokenizer.bits, self.tokenizer.grid
            self.hparams.bits, self.hparams.grid = bits, grid
        self.bits, self.grid = bits, grid
        self.text_embed = nn.Embedding(TEXT_VOCABULARY, d_model)
        self.bit_embed = nn.Linear(bits, d_model)
        self.row_embed = nn.Embedding(grid, d_model)
        self.col_embed = nn.Embedding(grid, d_model)
        self.backbone = Backbone(d_model, layers, mixer_options, mlp_ratio, dropout)
        self.head = nn.Linear(d_model, 2 ** bits if head == "softmax" else bits)

    def configure_model(self) -> None:
        if self.hparams.get("compile"):
            compile_networks(self, ["backbone"])

    def train(self, mode: bool = True) -> TextImageGenerator:
        super().train(mode)
        if self.tokenizer is not None:
            self.tokenizer.eval()  # frozen: never in training mode
        return self

    @property
    def n_image_tokens(self) -> int:
        return self.grid * self.grid

    # ---- sequence ---------------------------------------------------------------------------------------
    def embed_image_tokens(self, tokens: Tensor, start: int = 0) -> Tensor:
        """(B, n) token indices at raster positions ``start``… → (B, n, D) embeddings."""
        signs = indices_to_bits(tokens, self.bits).to(self.bit_embed.weight.dtype) * 2 - 1  # (B, n, K)
        position = torch.arange(start, start + tokens.shape[1], device=tokens.device)
        return self.bit_embed(signs) + self.row_embed(position // self.grid) + self.col_embed(position % self.grid)

    def prefix(self, text_ids: Tensor) -> Tensor:
        """(B, T) text bytes → (B, T + 1, D): the prompt and the separator that asks for the first token."""
        separator = torch.full_like(text_ids[:, :1], SEPARATOR)
        return self.text_embed(torch.cat([text_ids, separator], 1))

    def forward(self, text_ids: Tensor, tokens: Tensor) -> Tensor:
        """Head outputs for every image token given the text and the tokens before it: (B, N, 2^K or K)."""
        tokens = tokens.flatten(1)  # (B, N) raster order
        x = torch.cat([self.prefix(text_ids), self.embed_image_tokens(tokens[:, :-1])], 1)  # (B, T + N, D)
        h = self.backbone(x)
        return self.head(h[:, -tokens.shape[1]:])

    def token_nll(self, outputs: Tensor, tokens: Tensor) -> Tensor:
        """Mean negative log-likelihood in nats per image token, for either head."""
        tokens = tokens.flatten(1)
        if self.hparams.head == "softmax":
            return F.cross_entropy(outputs.flatten(0, 1).float(), tokens.flatten())
        target = indices_to_bits(tokens, self.bits).to(outputs.dtype)
        return F.binary_cross_entropy_with_logits(outputs.float(), target.float(), reduction="none").sum(-1).mean()

    @torch.no_grad()
    def image_tokens(self, batch: dict[str, Any]) -> Tensor:
        """The batch's (B, h, w) tokens: given, or encoded from its images by the frozen tokenizer."""
        if "tokens" in batch:
            return batch["tokens"]
        if self.tokenizer is None:
            raise ValueError("batches of images need a tokenizer: pass --model.init_args.tokenizer=<checkpoint>")
        return self.tokenizer.encode(batch["image"])

    def batch_text(self, batch: dict[str, Any]) -> Tensor:
        if "text_ids" in batch:
            return batch["text_ids"]
        return text_bytes(list(batch["text"]), self.hparams.max_text_bytes).to(self.device)

    def loss(self, batch: dict[str, Any]) -> Tensor:
        """Mean nats per image token of a batch (``tokens`` or ``image``, and ``text`` or ``text_ids``)."""
        tokens = self.image_tokens(batch)
        return self.token_nll(self(self.batch_text(batch), tokens), tokens)

    def _step(self, batch: dict[str, Any], stage: str) -> Tensor:
        loss = self.loss(batch)
        n = len(batch["text"]) if "text" in batch else batch["text_ids"].shape[0]
        self.log(f"{stage}_loss", loss, prog_bar=True, batch_size=n, sync_dist=stage != "train")
        return loss

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._step(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._step(batch, "test")

    # ---- sampling ---------------------------------------------------------------------------------------
    def sample_next(self, outputs: Tensor, temperature: float, top_k: int | None, generator: torch.Generator
                    ) -> Tensor:
        """(B, 2^K or K) head outputs → (B,) sampled token indices."""
        if self.hparams.head == "softmax":
            probs = filter_logits(outputs.float(), temperature, top_k).softmax(-1)
            return torch.multinomial(probs, 1, generator=generator)[:, 0]
        if top_k is not None:
            raise ValueError("top_k applies to the softmax head; the bits head samples each bit with temperature")
        p_one = torch.sigmoid(outputs.float() / temperature)  # (B, K)
        return bits_to_indices(torch.rand(p_one.shape, generator=generator, device=p_one.device) < p_one)

    @torch.no_grad()
    def generate_tokens(self, texts: list[str], temperature: float | None = None, top_k: int | None = None,
                        seed: int = 0) -> Tensor:
        """(B, h, w) tokens for each text: the prompt is prefilled in parallel, then one token per step."""
        temperature = self.hparams.temperature if temperature is None else temperature
        top_k = self.hparams.top_k if top_k is None else top_k
        text_ids = text_bytes(texts, self.hparams.max_text_bytes).to(self.device)
        generator = torch.Generator(device=self.device).manual_seed(seed)
        states = self.backbone.init_state(len(texts), device=self.device, dtype=self.text_embed.weight.dtype)
        h, states = self.backbone.forward_chunk(self.prefix(text_ids), states)
        outputs = self.head(h[:, -1])
        sampled = []
        for i in range(self.n_image_tokens):
            token = self.sample_next(outputs, temperature, top_k, generator)  # (B,)
            sampled.append(token)
            if i + 1 < self.n_image_tokens:
                h_t, states = self.backbone.step(self.embed_image_tokens(token[:, None], i)[:, 0], states)
                outputs = self.head(h_t)
        return torch.stack(sampled, 1).view(len(texts), self.grid, self.grid)

    @torch.no_grad()
    def generate(self, texts: list[str], temperature: float | None = None, top_k: int | None = None,
                 seed: int = 0) -> Tensor:
        """(B, 3, H, W) images in [-1, 1] rendering each text, decoded by the stored tokenizer."""
        if self.tokenizer is None:
            raise ValueError("decoding images needs the generator to have been trained with a tokenizer")
        return self.tokenizer.decode(self.generate_tokens(texts, temperature, top_k, seed))

    def predict_step(self, batch: dict[str, Any], batch_idx: int) -> dict[str, Any]:
        texts = list(batch["text"])
        seeds = batch.get("seed")
        seed = int(seeds[0]) if seeds is not None else batch_idx
        tokens = self.generate_tokens(texts, seed=seed)
        return {"tokens": tokens, "images": self.tokenizer.decode(tokens) if self.tokenizer is not None else None,
                "text": texts, "name": batch.get("name")}

    def configure_optimizers(self) -> dict[str, Any]:
        trainable = nn.ModuleDict({k: m for k, m in self.named_children() if k != "tokenizer"})
        return adamw_warmup_cosine(trainable, self.hparams.lr, self.hparams.weight_decay, self.hparams.warmup_steps,
                                   self.trainer.estimated_stepping_batches)
