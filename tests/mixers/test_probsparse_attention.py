"""ProbSparseAttention against explicit O(L²) references written here from the Informer paper's definitions."""

from __future__ import annotations

import math

import pytest
import torch

from seqkit.mixers.probsparse_attention import ProbSparseAttention

D_MODEL, N_HEADS, BATCH = 16, 4, 2


def make(factor: int = 2, mix: bool = False, seed: int = 0) -> ProbSparseAttention:
    torch.manual_seed(seed)
    return ProbSparseAttention(D_MODEL, n_heads=N_HEADS, factor=factor, mix=mix).double()


def heads(m: ProbSparseAttention, x_q: torch.Tensor, x_kv: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Projected q, k, v as (B, L, H, d), computed independently of the module's own head split."""
    b, h, dh = x_q.shape[0], m.n_heads, m.head_dim
    q = m.q_proj(x_q).reshape(b, -1, h, dh)
    k = m.k_proj(x_kv).reshape(b, -1, h, dh)
    v = m.v_proj(x_kv).reshape(b, -1, h, dh)
    return q, k, v


def naive(m: ProbSparseAttention, x_q: torch.Tensor, x_kv: torch.Tensor, causal: bool,
          selected: torch.Tensor) -> torch.Tensor:
    """Row by row: selected queries get a (masked) softmax over all keys, the others mean(V) over the keys
    they may see (all keys, or keys 0..i when causal)."""
    q, k, v = heads(m, x_q, x_kv)
    b_sz, l_q, h_sz, dh = q.shape
    rows = []
    for b in range(b_sz):
        per_head = []
        for h in range(h_sz):
            active = set(selected[b, h].tolist())
            outs = []
            for i in range(l_q):
                n = i + 1 if causal else k.shape[1]
                keys, vals = k[b, :n, h], v[b, :n, h]
                if i in active:
                    p = torch.softmax(keys @ q[b, i, h] / math.sqrt(dh), dim=0)
                    outs.append(p @ vals)
                else:
                    outs.append(vals.mean(dim=0))
            per_head.append(torch.stack(outs))  # (L, d)
        rows.append(torch.stack(per_head))  # (H, L, d)
    ctx = torch.stack(rows)  # (B, H, L, d)
    if m.mix:
        flat = ctx.reshape(b_sz, -1)  # per batch row: H·L·d numbers in (h, l, d) order
        out = torch.stack([flat[:, i * D_MODEL:(i + 1) * D_MODEL] for i in range(l_q)], dim=1)
    else:
        out = torch.cat([ctx[:, h] for h in range(h_sz)], dim=-1)  # (B, L, H·d): heads side by side
    return m.out_proj(out)


def full_attention(m: ProbSparseAttention, x: torch.Tensor, causal: bool) -> torch.Tensor:
    q, k, v = (t.transpose(1, 2) for t in heads(m, x, x))  # (B, H, L, d)
    s = q @ k.transpose(-2, -1) / math.sqrt(m.head_dim)
    if causal:
        length = x.shape[1]
        s = s.masked_fill(torch.ones(length, length, dtype=torch.bool).triu(1), float("-inf"))
    ctx = torch.softmax(s, dim=-1) @ v
    return m.out_proj(ctx.transpose(1, 2).reshape(x.shape))


def selection(m: ProbSparseAttention, x_q: torch.Tensor, x_kv: torch.Tensor, causal: bool) -> torch.Tensor:
    q, k, _ = heads(m, x_q, x_kv)
    return m.select_queries(q.transpose(1, 2), k.transpose(1, 2), causal)


def random_selected(length: int, n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.stack([torch.stack([torch.randperm(length, generator=g)[:n] for _ in range(N_HEADS)])
                        for _ in range(BATCH)])  # (B, H, n)


def test_sample_sizes_follow_the_paper():
    m = ProbSparseAttention(D_MODEL, n_heads=N_HEADS, factor=5)
    assert m.sample_sizes(96, 96) == (25, 25)  # 5·ceil(ln 96) = 5·5
    assert m.sample_sizes(48, 96) == (20, 25)
    assert m.sample_sizes(10, 3) == (10, 3)  # capped at L
    assert m.sample_sizes(1, 1) == (1, 1)
    assert m.sample_keys(7, 30).shape == (7, 20)  # 5·ceil(ln 30) = 5·4


@pytest.mark.parametrize("max_keys, block", [(1024, 1 << 17), (0, 1 << 17), (1024, 1), (0, 7)],
                         ids=["dense", "gather", "dense-tiny-blocks", "gather-tiny-blocks"])
def test_sparsity_measure_matches_formula(max_keys: int, block: int):
    """Both ways to get the sampled scores (blocked dense GEMM + gather, or gathered keys) give the formula."""
    torch.manual_seed(1)
    m = make()
    m.dense_scores_max_keys, m.block_elements = max_keys, block
    q, k = torch.randn(2, N_HEADS, 9, 4).double(), torch.randn(2, N_HEADS, 11, 4).double()
    idx = torch.randint(11, (9, 6))
    got = m.sparsity_measure(q, k, idx, causal=False)
    want = torch.empty(2, N_HEADS, 9).double()
    for b in range(2):
        for h in range(N_HEADS):
            for i in range(9):
                s = torch.stack([q[b, h, i] @ k[b, h, j] for j in idx[i].tolist()]) / 2.0  # sqrt(d=4)
                want[b, h, i] = s.max() - s.sum() / 11  # the paper divides by L_K
    torch.testing.assert_close(got, want)

    # causal: query i uses only sampled keys j <= i, and divides by its visible key count i + 1
    kc = torch.randn(2, N_HEADS, 9, 4).double()
    idx = torch.randint(9, (9, 6))
    got = m.sparsity_measure(q, kc, idx, causal=True)
    for i in range(9):
        js = [j for j in idx[i].tolist() if j <= i]
        if not js:
            assert torch.isneginf(got[..., i]).all()
            continue
        s = torch.einsum("bhd,bhjd->bhj", q[:, :, i], kc[:, :, js]) / 2.0
        torch.testing.assert_close(got[..., i], s.amax(-1) - s.sum(-1) / (i + 1))


def test_causal_measure_ignores_future_keys():
    m = make()
    torch.manual_seed(2)
    q, k = torch.randn(2, N_HEADS, 20, 4).double(), torch.randn(2, N_HEADS, 20, 4).double()
    idx = torch.randint(20, (20, 8))
    t = 12
    k2 = k.clone()
    k2[:, :, t:] += torch.randn_like(k2[:, :, t:])
    a, b = m.sparsity_measure(q, k, idx, causal=True), m.sparsity_measure(q, k2, idx, causal=True)
    assert torch.equal(a[..., :t], b[..., :t])
    assert not torch.equal(m.sparsity_measure(q, k, idx, causal=False), m.sparsity_measure(q, k2, idx, causal=False))


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("length,factor", [(5, 1), (37, 2), (96, 3)])
def test_forward_and_grad_match_naive(length: int, factor: int, causal: bool):
    m = make(factor=factor)
    u, _ = m.sample_sizes(length, length)
    assert u < length  # some queries are lazy, so the sparse path is exercised
    x = torch.randn(BATCH, length, D_MODEL, dtype=torch.float64, requires_grad=True)
    torch.manual_seed(123)
    y = m(x, causal=causal)
    torch.manual_seed(123)
    sel = selection(m, x, x, causal)
    assert sel.shape == (BATCH, N_HEADS, u)
    assert all(len(set(r.tolist())) == u for r in sel.reshape(-1, u))
    x_ref = x.detach().clone().requires_grad_(True)
    ref = naive(m, x_ref, x_ref, causal, sel)
    torch.testing.assert_close(y, ref)
    g = torch.randn_like(y)
    y.backward(g)
    ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad)
    # the same selection passed explicitly gives the same output
    torch.testing.assert_close(m(x, causal=causal, selected=sel), y)


def test_generator_makes_selection_reproducible():
    m = make(factor=1)
    x = torch.randn(BATCH, 40, D_MODEL, dtype=torch.float64)
    q, k, _ = (t.transpose(1, 2) for t in heads(m, x, x))
    a = m.select_queries(q, k, False, generator=torch.Generator().manual_seed(5))
    torch.rand(100)  # move the global RNG: it must not matter
    b = m.select_queries(q, k, False, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    ya = m(x, causal=False, generator=torch.Generator().manual_seed(5))
    yb = m(x, causal=False, generator=torch.Generator().manual_seed(5))
    assert torch.equal(ya, yb)


@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("length", [1, 6, 13])
def test_all_queries_active_is_full_attention(length: int, causal: bool):
    m = make(factor=50)
    assert m.sample_sizes(length, length)[0] == length
    x = torch.randn(BATCH, length, D_MODEL, dtype=torch.float64)
    torch.testing.assert_close(m(x, causal=causal), full_attention(m, x, causal), rtol=1e-12, atol=1e-12)


def test_causal_with_fixed_selection():
    length, t = 30, 17
    m = make(factor=2)
    sel = random_selected(length, 9, seed=3)
    x = torch.randn(BATCH, length, D_MODEL, dtype=torch.float64)
    x2 = x.clone()
    x2[:, t] += torch.randn(BATCH, D_MODEL, dtype=torch.float64)
    y, y2 = m(x, causal=True, selected=sel), m(x2, causal=True, selected=sel)
    torch.testing.assert_close(y[:, :t], y2[:, :t], rtol=0, atol=0)
    assert (y[:, t] - y2[:, t]).abs().max() > 1e-6
    # non-causal attention does see the change earlier on
    assert (m(x, causal=False, selected=sel)[:, :t] - m(x2, causal=False, selected=sel)[:, :t]).abs().max() > 1e-6


def test_cross_attention_matches_naive():
    m = make(factor=2)
    x = torch.randn(BATCH, 37, D_MODEL, dtype=torch.float64, requires_grad=True)
    mem = torch.randn(BATCH, 23, D_MODEL, dtype=torch.float64, requires_grad=True)
    assert m.sample_sizes(37, 23) == (8, 8)
    torch.manual_seed(7)
    y = m(x, causal=False, memory=mem)
    assert y.shape == x.shape
    torch.manual_seed(7)
    sel = selection(m, x, mem, False)
    x_ref = x.detach().clone().requires_grad_(True)
    mem_ref = mem.detach().clone().requires_grad_(True)
    ref = naive(m, x_ref, mem_ref, False, sel)
    torch.testing.assert_close(y, ref)
    g = torch.randn_like(y)
    y.backward(g)
    ref.backward(g)
    torch.testing.assert_close(x.grad, x_ref.grad)
    torch.testing.assert_close(mem.grad, mem_ref.grad)
    with pytest.raises(ValueError, match="causal"):
        m(x, causal=True, memory=mem)
    with pytest.raises(ValueError, match="memory"):
        m(x, causal=False, memory=mem[..., :8])


@pytest.mark.parametrize("causal", [False, True])
def test_mix_is_the_informer_reshape(causal: bool):
    length = 21
    plain, mixed = make(factor=1), make(factor=1, mix=True)
    mixed.load_state_dict(plain.state_dict())
    sel = random_selected(length, 5, seed=4)
    x = torch.randn(BATCH, length, D_MODEL, dtype=torch.float64)
    y_plain, y_mixed = plain(x, causal=causal, selected=sel), mixed(x, causal=causal, selected=sel)
    torch.testing.assert_close(y_plain, naive(plain, x, x, causal, sel))
    torch.testing.assert_close(y_mixed, naive(mixed, x, x, causal, sel))
    assert (y_plain - y_mixed).abs().max() > 1e-6


def test_bad_input():
    with pytest.raises(ValueError, match="n_heads=5"):
        ProbSparseAttention(16, n_heads=5)
    m = ProbSparseAttention(D_MODEL, n_heads=N_HEADS)
    x = torch.randn(BATCH, 8, D_MODEL)
    with pytest.raises(NotImplementedError, match="packed sequences"):
        m(x, segment_ids=torch.zeros(BATCH, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="d_model"):
        m(torch.randn(BATCH, 8, D_MODEL + 1))
    with pytest.raises(ValueError, match="selected"):
        m(x, selected=torch.zeros(BATCH, N_HEADS + 1, 2, dtype=torch.long))
    assert not m.can_step
    with pytest.raises(NotImplementedError):
        m.init_state(BATCH)
    assert m(x, positions=torch.arange(8).expand(BATCH, 8)).shape == x.shape  # positions are ignored


def test_dense_mode_is_plain_softmax_attention_at_any_length():
    torch.manual_seed(0)
    m = ProbSparseAttention(16, n_heads=2, factor=1, dense=True).double()
    x = torch.randn(2, 60, 16, dtype=torch.float64)  # u = ceil(ln 60) = 5 << 60 without dense
    q, k, v = (t.view(2, 60, 2, 8).transpose(1, 2) for t in (m.q_proj(x), m.k_proj(x), m.v_proj(x)))
    for causal in (False, True):
        mask = torch.ones(60, 60, dtype=torch.bool).tril() if causal else None
        ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        ref = m.out_proj(ref.transpose(1, 2).reshape(2, 60, 16))
        torch.testing.assert_close(m(x, causal=causal), ref)
