"""Window layouts cover every frame; weights normalise per frame; timed conditions map to windows as the paper's
code does."""

from __future__ import annotations

import pytest
import torch

from seqkit.diffusion import FrameConditions, WindowLayout, window_starts, window_weights


@pytest.mark.parametrize(("length", "window", "stride"), [(20, 8, 5), (64, 16, 8), (64, 16, 4), (17, 16, 4),
                                                          (16, 16, 3), (100, 16, 16), (33, 8, 8)])
def test_every_frame_is_covered_and_the_last_window_ends_at_the_end(length: int, window: int, stride: int) -> None:
    starts = window_starts(length, window, stride)
    assert starts[0] == 0 and starts[-1] + window == length
    assert all(b - a <= stride for a, b in zip(starts, starts[1:], strict=False))
    covered = torch.zeros(length, dtype=torch.bool)
    for s in starts:
        covered[s:s + window] = True
    assert covered.all()


def test_the_original_layout_is_kept_and_only_the_uncovered_tail_gets_a_window() -> None:
    # Gen-L-Video places i·S for i < (L − W)//S + 1 = 3 here: frames 18, 19 would stay uncovered
    assert window_starts(20, 8, 5) == [0, 5, 10, 12]
    assert window_starts(24, 8, 4) == [0, 4, 8, 12, 16]


def test_bad_layouts_are_errors() -> None:
    with pytest.raises(ValueError, match="shorter than one window"):
        window_starts(10, 16, 4)
    with pytest.raises(ValueError, match="uncovered"):
        window_starts(40, 8, 9)


@pytest.mark.parametrize("kind", ["uniform", "triangular", "gaussian"])
def test_normalised_weights_add_up_to_one_per_frame(kind: str) -> None:
    layout = WindowLayout(50, 16, 6, kind)
    w = layout.normalised_weights
    total = torch.zeros(50, dtype=torch.float64)
    for s, row in zip(layout.starts, w, strict=True):
        total[s:s + 16] += row
    torch.testing.assert_close(total, torch.ones(50, dtype=torch.float64))
    assert (w > 0).all()
    single = WindowLayout(16, 16, 4, kind).normalised_weights
    assert torch.equal(single, torch.ones(1, 16, dtype=torch.float64))  # exactly 1, so W = L is exact


def test_triangular_weights_are_freenoise_ramp() -> None:
    assert window_weights(8, "triangular").tolist() == [1, 2, 3, 4, 4, 3, 2, 1]
    with pytest.raises(ValueError, match="unknown window weighting"):
        window_weights(8, "cosine")


def test_majority_mapping_is_gen_l_video_prompt_mix() -> None:
    """n prompts of equal spans, windows at stride S: P1, then gap = W/S − 1 bridging windows of which the first
    ⌊gap/2⌋ + 1 keep the earlier prompt, then P2 ... (Gen-L-Video ``_encode_prompt_mix``)."""
    window = 16
    for stride in (8, 4):
        gap = window // stride - 1
        n_prompts = 3
        n_windows = n_prompts + (n_prompts - 1) * gap
        length = (n_windows - 1) * stride + window
        assert length == n_prompts * window
        # prompt k owns the window at k·W (window k·(gap + 1)); the spans are those windows' frames
        starts = window_starts(length, window, stride)
        spans = [(k * window, (k + 1) * window) for k in range(n_prompts)]
        cond = FrameConditions(torch.arange(n_prompts, dtype=torch.float32)[:, None], spans)
        got = [int(cond.window(s, s + window).item()) for s in starts]
        expected = []
        for k in range(n_prompts):
            expected.append(k)
            if k + 1 < n_prompts:
                expected += [k] * (gap // 2 + 1) + [k + 1] * (gap - gap // 2 - 1)
        assert got == expected, (stride, got, expected)


def test_interpolation_weights_spans_by_their_share_of_the_window() -> None:
    emb = torch.tensor([[0.0, 10.0], [4.0, 2.0]])
    cond = FrameConditions(emb, [(0, 10), (10, 30)], mapping="interpolate")
    torch.testing.assert_close(cond.window(6, 14), 0.5 * emb[0] + 0.5 * emb[1])
    torch.testing.assert_close(cond.window(4, 12), 0.75 * emb[0] + 0.25 * emb[1])
    assert torch.equal(cond.window(0, 8), emb[0]) and torch.equal(cond.window(12, 20), emb[1])
    assert torch.equal(cond.window(28, 36), emb[1])  # frames past the end belong to the last span


def test_bad_spans_are_errors() -> None:
    with pytest.raises(ValueError, match="should start at frame 10"):
        FrameConditions(torch.zeros(2, 3), [(0, 10), (12, 20)])
    with pytest.raises(ValueError, match="2 embeddings for 1 spans"):
        FrameConditions(torch.zeros(2, 3), [(0, 10)])
    with pytest.raises(ValueError, match="unknown condition mapping"):
        FrameConditions(torch.zeros(1, 3), [(0, 10)], mapping="nearest")
