"""The token-mixer contract, checked for every mixer in the registry (``seqkit.mixers.MIXERS``).

A new mixer gets every test here by being registered. Each mixer runs causally and, where it can look
ahead (``can_look_ahead``) or has a bidirectional build (a ``bidirectional`` option), non-causally:

* packing equals separate runs: ``segment_ids`` (ids may come back: a new run is a new segment) give
  each segment exactly what it gets alone;
* ``step`` token by token equals ``forward`` (causal variants of mixers that decode, ``can_step``);
* causal no-leak: perturbing a token changes no earlier output (and does change later ones);
  non-causal variants do read the future;
* segment no-leak: perturbing one segment changes no other segment (causal or not);
* bf16 runs and stays within bf16 rounding of fp32; gradients are finite in fp32 and bf16.

Mixers that do not take ``segment_ids`` (``can_pack`` False) skip the packing tests; the per-mixer
files check each mixer's own math against references.
"""

from __future__ import annotations

import copy

import pytest
import torch

from seqkit.mixers import MIXERS, build_mixer, mixer_options

D_MODEL = 16
DT = torch.float64
# Small options that exercise each mixer's machinery at test sizes (several scan chunks, groups of heads, windows
# shorter than the sequence, sinks beyond the window); a mixer not listed runs with its defaults.
OPTIONS: dict[str, list[dict]] = {
    "attention": [{"n_heads": 2}],
    "window": [{"n_heads": 2, "window": 4, "n_sinks": 1}, {"n_heads": 2, "window": 3, "n_sinks": 3, "distance_cap": 1},
               {"n_heads": 2, "window": 40, "n_sinks": 2}],
    "s4d": [{"d_state": 8}],
    "mamba2": [{"d_state": 4, "head_dim": 4, "chunk_size": 4, "n_groups": 2},
               {"d_state": 4, "head_dim": 4, "chunk_size": 3, "d_conv": 1}],
    "probsparse": [{"n_heads": 2}],  # at L <= 15 its default factor keeps every query active: deterministic
}


def _variants() -> list[pytest.param]:
    """(name, options, causal) for every registered mixer: causal, plus non-causal where the mixer looks ahead."""
    out = []
    for name in sorted(MIXERS):
        configs = OPTIONS.get(name, [{}])
        for i, options in enumerate(configs):
            tag = name if len(configs) == 1 else f"{name}{i}"
            out.append(pytest.param(name, options, True, id=f"{tag}-causal"))
            if build_mixer(name, D_MODEL, **options).can_look_ahead:
                out.append(pytest.param(name, options, False, id=f"{tag}-noncausal"))
            if "bidirectional" in mixer_options(name):
                out.append(pytest.param(name, {**options, "bidirectional": True}, False, id=f"{tag}-bidirectional"))
    return out


VARIANTS = _variants()
CAUSAL = [v for v in VARIANTS if v.values[2]]
NON_CAUSAL = [v for v in VARIANTS if not v.values[2]]


def make(name: str, options: dict, dtype: torch.dtype = DT, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return build_mixer(name, D_MODEL, **options).to(dtype).eval()


def run(mixer: torch.nn.Module, x: torch.Tensor, **kwargs) -> torch.Tensor:
    """Forward with the global RNG reset first, so a mixer that samples (ProbSparse) samples alike every call."""
    torch.manual_seed(1234)
    return mixer(x, **kwargs)


def ids_and_positions(lengths: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(L,) segment ids alternating 7, 8, 7, … (a returning id starts a new segment) and in-segment positions."""
    ids = torch.cat([torch.full((n,), 7 + i % 2) for i, n in enumerate(lengths)])
    positions = torch.cat([torch.arange(n) for n in lengths])
    return ids, positions


def _skip_unless_packs(mixer: torch.nn.Module, name: str) -> None:
    if not mixer.can_pack:
        pytest.skip(f"{name}: can_pack is False (forward takes one sequence per row, no segment_ids)")


@pytest.mark.parametrize(("name", "options", "causal"), VARIANTS)
def test_packing_equals_separate_runs(name: str, options: dict, causal: bool) -> None:
    m = make(name, options)
    _skip_unless_packs(m, name)
    layouts = [[13, 22], [1, 1, 30, 3]]  # two rows of 35 tokens, the second very uneven
    x = torch.randn(len(layouts), 35, D_MODEL, dtype=DT)
    ids, pos = zip(*(ids_and_positions(row) for row in layouts), strict=True)
    packed = run(m, x, segment_ids=torch.stack(ids), positions=torch.stack(pos), causal=causal)
    for b, row in enumerate(layouts):
        start = 0
        for n in row:
            alone = run(m, x[b : b + 1, start : start + n], causal=causal)[0]
            torch.testing.assert_close(packed[b, start : start + n], alone, rtol=1e-8, atol=1e-10)
            start += n
    if m.mixes_tokens:  # without segment_ids the first segment reaches the second: the check above can fail
        assert (run(m, x, causal=causal)[0, 13:] - packed[0, 13:]).abs().max() > 1e-6


@pytest.mark.parametrize(("name", "options", "causal"), CAUSAL)
def test_step_equals_forward(name: str, options: dict, causal: bool, step_loop) -> None:
    m = make(name, options)
    if not m.can_step:
        pytest.skip(f"{name}: can_step is False (no token-by-token decoding)")
    x = torch.randn(2, 15, D_MODEL, dtype=DT)
    ys, _ = step_loop(m, x)
    torch.testing.assert_close(ys, run(m, x), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("name", "options", "causal"), CAUSAL)
def test_causal_outputs_never_read_the_future(name: str, options: dict, causal: bool) -> None:
    m = make(name, options)
    x = torch.randn(2, 12, D_MODEL, dtype=DT)
    x2 = x.clone()
    x2[:, 7] += torch.randn(2, D_MODEL, dtype=DT)
    y, y2 = run(m, x), run(m, x2)
    torch.testing.assert_close(y2[:, :7], y[:, :7], rtol=0, atol=1e-12)
    if m.mixes_tokens:  # the perturbation does reach the token after it
        assert (y2[:, 8] - y[:, 8]).abs().amax(-1).min() > 1e-8


@pytest.mark.parametrize(("name", "options", "causal"), NON_CAUSAL)
def test_non_causal_outputs_read_the_future(name: str, options: dict, causal: bool) -> None:
    m = make(name, options)
    if not m.mixes_tokens:
        pytest.skip(f"{name}: mixes_tokens is False (each output depends on its own token only)")
    x = torch.randn(2, 12, D_MODEL, dtype=DT)
    x2 = x.clone()
    x2[:, 7] += torch.randn(2, D_MODEL, dtype=DT)
    assert (run(m, x2, causal=False)[:, 6] - run(m, x, causal=False)[:, 6]).abs().amax(-1).min() > 1e-8


@pytest.mark.parametrize(("name", "options", "causal"), VARIANTS)
def test_segments_never_see_each_other(name: str, options: dict, causal: bool) -> None:
    """Perturbing one token of one segment changes no output of the other segments (the third segment reuses
    the first one's id: it is a segment of its own)."""
    m = make(name, options)
    _skip_unless_packs(m, name)
    lengths = [7, 9, 8]
    ids, pos = ids_and_positions(lengths)
    kw = {"segment_ids": ids.expand(2, -1), "positions": pos.expand(2, -1), "causal": causal}
    x = torch.randn(2, sum(lengths), D_MODEL, dtype=DT)
    y = run(m, x, **kw)
    bounds = [(0, 7), (7, 16), (16, 24)]
    for lo, hi in bounds:
        x2 = x.clone()
        x2[:, hi - 2] += torch.randn(2, D_MODEL, dtype=DT)  # within every window of the segment's last token
        y2 = run(m, x2, **kw)
        for other_lo, other_hi in bounds:
            if (other_lo, other_hi) != (lo, hi):
                torch.testing.assert_close(y2[:, other_lo:other_hi], y[:, other_lo:other_hi], rtol=0, atol=1e-12)
        if m.mixes_tokens:  # the last token of the perturbed segment sees the perturbation
            assert (y2[:, hi - 1] - y[:, hi - 1]).abs().amax(-1).min() > 1e-8


def _inputs(mixer: torch.nn.Module, dtype: torch.dtype, causal: bool) -> tuple[torch.Tensor, dict]:
    x = torch.randn(2, 14, D_MODEL, generator=torch.Generator().manual_seed(5)).to(dtype)
    kw = {"causal": causal}
    if mixer.can_pack:
        ids, pos = ids_and_positions([5, 9])
        kw |= {"segment_ids": ids.expand(2, -1), "positions": pos.expand(2, -1)}
    return x, kw


@pytest.mark.parametrize("mode", ["bf16-weights", "autocast"])
@pytest.mark.parametrize(("name", "options", "causal"), VARIANTS)
def test_bfloat16_runs_and_stays_close_to_float32(name: str, options: dict, causal: bool, mode: str) -> None:
    """bf16 weights and inputs (Lightning's "bf16-true"), or fp32 weights under bf16 autocast ("bf16-mixed")."""
    m32 = make(name, options, torch.float32)
    x, kw = _inputs(m32, torch.float32, causal)
    y32 = run(m32, x, **kw)
    if mode == "autocast":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            y16 = run(m32, x, **kw)
    else:
        y16 = run(copy.deepcopy(m32).to(torch.bfloat16), x.bfloat16(), **kw)
        assert y16.dtype == torch.bfloat16
    assert y16.shape == y32.shape and torch.isfinite(y16).all()
    error = (y16.float() - y32).abs().max()
    # measured here: under 0.9% of the output's scale for every mixer, either mode
    assert error <= 0.03 * y32.abs().max() + 1e-3, (float(error), float(y32.abs().max()))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
@pytest.mark.parametrize(("name", "options", "causal"), VARIANTS)
def test_gradients_are_finite(name: str, options: dict, causal: bool, dtype: torch.dtype) -> None:
    """Every parameter (and the input) gets a finite gradient."""
    m = make(name, options, dtype)
    x, kw = _inputs(m, dtype, causal)
    x.requires_grad_(True)
    y = run(m, x, **kw)
    if not y.requires_grad:  # an output that ignores the input (the no-mixing control): nothing to differentiate
        assert not m.mixes_tokens and not list(m.parameters())
        return
    (y.float() * torch.randn(y.shape, generator=torch.Generator().manual_seed(6))).sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    for pname, p in m.named_parameters():
        assert p.grad is not None, f"{pname} gets no gradient"
        assert torch.isfinite(p.grad).all(), pname
