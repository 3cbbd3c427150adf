"""Informer model: shapes, distilling, decoder input, embeddings, swappable encoder, and that it learns."""

from __future__ import annotations

import pytest
import torch

from seqkit.domains.forecast.embedding import DataEmbedding
from seqkit.domains.forecast.informer import Informer, decoder_input


def _batch(b: int = 3, seq: int = 32, label: int = 16, pred: int = 8, c: int = 3, marks: int = 4):
    g = torch.Generator().manual_seed(0)
    return (torch.randn(b, seq, c, generator=g), torch.rand(b, seq, marks, generator=g) - 0.5,
            torch.randn(b, label + pred, c, generator=g), torch.rand(b, label + pred, marks, generator=g) - 0.5)


def _small(**kw) -> Informer:
    torch.manual_seed(0)
    args = dict(enc_in=3, dec_in=3, c_out=3, pred_len=8, d_model=32, n_heads=4, d_ff=64, dropout=0.0)
    return Informer(**{**args, **kw})


@pytest.mark.parametrize(("distil", "e_layers", "expected"), [(True, 2, 16), (True, 3, 8), (False, 2, 32)])
def test_distilling_halves_the_encoder_length_between_layers(distil: bool, e_layers: int, expected: int) -> None:
    x, xm, _, _ = _batch()
    assert _small(distil=distil, e_layers=e_layers).encode(x, xm).shape == (3, expected, 32)


def test_decoder_input_is_start_token_then_zeros_and_horizon_values_never_leak() -> None:
    x, xm, y, ym = _batch()
    dec = decoder_input(y, 16, 8)
    assert torch.equal(dec[:, :16], y[:, :16]) and (dec[:, 16:] == 0).all()
    model = _small().eval()
    y2 = y.clone()
    y2[:, 16:] += 100.0  # future truth: must not influence the forecast
    torch.manual_seed(1)
    a = model(x, xm, decoder_input(y, 16, 8), ym)
    torch.manual_seed(1)
    b = model(x, xm, decoder_input(y2, 16, 8), ym)
    assert a.shape == (3, 8, 3) and torch.equal(a, b)


def test_fixed_embedding_uses_integer_calendar_marks() -> None:
    emb = DataEmbedding(3, 16, embed="fixed", freq="t", dropout=0.0)
    marks = torch.tensor([[[7, 1, 4, 0, 0], [12, 31, 6, 23, 3]]])
    out = emb(torch.zeros(1, 2, 3), marks)
    assert out.shape == (1, 2, 16)
    assert not any(p.requires_grad for p in emb.temporal.parameters())  # frozen sinusoid tables
    with pytest.raises(ValueError, match="embed must be one of"):
        DataEmbedding(3, 16, embed="learnt")


@pytest.mark.parametrize(("mixer", "options"), [
    ("probsparse", {}), ("full", {}), ("mamba2", {"bidirectional": True, "d_state": 8, "head_dim": 16}),
    ("s4d", {"bidirectional": True, "d_state": 8}),
])
def test_encoder_mixer_is_swappable_and_the_model_learns(mixer: str, options: dict) -> None:
    # A noisy-free seasonal series: a few Adam steps must cut the forecast MSE well below its start.
    model = _small(encoder_mixer=mixer, mixer_options=options)
    t = torch.arange(200, dtype=torch.float32)
    series = torch.stack([torch.sin(2 * torch.pi * t / 12 + k) for k in range(3)], dim=1)  # (200, 3)
    starts = torch.arange(0, 150, 5)
    x = torch.stack([series[s : s + 32] for s in starts])
    y = torch.stack([series[s + 16 : s + 40] for s in starts])
    xm, ym = torch.zeros(len(starts), 32, 4), torch.zeros(len(starts), 24, 4)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(60):
        loss = torch.nn.functional.mse_loss(model(x, xm, decoder_input(y, 16, 8), ym), y[:, 16:])
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.25 * losses[0], (losses[0], losses[-1])


@pytest.mark.parametrize("d_layers", [1, 2])
def test_last_decoder_layer_keeping_only_the_horizon_rows_is_exact(d_layers: int) -> None:
    """Trimming the last decoder layer to pred_len rows must equal slicing the full decoder output."""
    from seqkit.domains.forecast.informer import DecoderLayer

    torch.manual_seed(0)
    layer = DecoderLayer(32, 4, 64, factor=1, dropout=0.0, dense=False).eval()
    x, memory = torch.randn(2, 30, 32), torch.randn(2, 12, 32)
    attn = layer.self_attn
    selected = attn.select_queries(attn._split_heads(attn.q_proj(x)), attn._split_heads(attn.k_proj(x)), causal=True)
    assert selected.shape[-1] < x.shape[1]  # some queries are lazy, so the selection matters
    # Same active queries in both passes, so the only difference is the trimming itself.
    orig = layer.self_attn.forward
    layer.self_attn.forward = lambda h, **kw: orig(h, **{**kw, "selected": selected})
    full = layer(x, memory)[:, -10:]
    kept = layer(x, memory, keep_last=10)
    assert kept.shape == (2, 10, 32)
    torch.testing.assert_close(kept, full, rtol=1e-5, atol=1e-6)

    model = Informer(3, 3, 3, pred_len=6, d_model=32, n_heads=4, d_layers=d_layers, d_ff=64, factor=1,
                     dropout=0.0, encoder_mixer="full", decoder_attn="full").eval()
    xe, me = torch.randn(2, 16, 3), torch.randn(2, 16, 4)
    xd, md = torch.randn(2, 14, 3), torch.randn(2, 14, 4)
    out = model(xe, me, xd, md)
    memory = model.encode(xe, me)
    h = model.dec_embedding(xd, md)
    for layer in model.decoder:
        h = layer(h, memory)
    reference = model.projection(model.dec_norm(h))[:, -6:]
    assert out.shape == (2, 6, 3)
    torch.testing.assert_close(out, reference, rtol=1e-5, atol=1e-6)
