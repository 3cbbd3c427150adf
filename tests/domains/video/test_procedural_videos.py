"""Procedural moving-shape videos: captions say what is shown, motion follows the caption across segments."""

from __future__ import annotations

import numpy as np
import pytest

from seqkit.domains.video.procedural import (
    ALL_SPECS,
    BACKGROUND,
    COLOURS,
    ShapeSpec,
    parse_caption,
    random_clip,
    render,
    scheduled_video,
)


def centroid(frame: np.ndarray, periodic: bool = False) -> np.ndarray:
    """(x, y) in pixels of the pixels that differ from the background (a circular mean when ``periodic``: the
    shape may wrap around the edges)."""
    mask = np.abs(frame.astype(int) - np.asarray(BACKGROUND)).sum(-1) > 30
    ys, xs = np.nonzero(mask)
    if not periodic:
        return np.array([xs.mean(), ys.mean()])
    side = frame.shape[0]
    angles = 2 * np.pi * np.stack([xs, ys]) / side  # (2, n)
    return (np.angle(np.exp(1j * angles).mean(axis=1)) % (2 * np.pi)) * side / (2 * np.pi)


def test_captions_round_trip_and_cover_every_spec() -> None:
    assert len(ALL_SPECS) == 3 * 6 * 2 * 5 * 2
    for spec in ALL_SPECS:
        assert parse_caption(spec.caption) == spec
    assert ShapeSpec("circle", "red", "small", "left", "fast").caption == "a small red circle moving left fast"
    with pytest.raises(ValueError, match="unknown colour 'purple'"):
        ShapeSpec("circle", "purple", "small", "left", "fast")
    with pytest.raises(ValueError, match="names 0 shapes"):
        parse_caption("a red blob moving left")


@pytest.mark.parametrize(("motion", "axis", "sign"), [("right", 0, 1), ("left", 0, -1), ("down", 1, 1), ("up", 1, -1)])
def test_linear_motion_moves_the_shape_the_captioned_way(motion: str, axis: int, sign: int) -> None:
    spec = ShapeSpec("square", "yellow", "small", motion, "slow")
    frames, _ = render([(spec, 6)], side=64, seed=3)
    steps = [(centroid(frames[k + 1], True)[axis] - centroid(frames[k], True)[axis] + 32) % 64 - 32
             for k in range(5)]
    assert all(np.sign(s) == sign for s in steps)
    assert np.median(np.abs(steps)) == pytest.approx(0.035 * 64, abs=0.6)


def test_colour_and_size_are_rendered() -> None:
    small, _ = render([(ShapeSpec("circle", "green", "small", "bouncing", "slow"), 1)], side=64, seed=0)
    large, _ = render([(ShapeSpec("circle", "green", "large", "bouncing", "slow"), 1)], side=64, seed=0)
    area = [(np.abs(f[0].astype(int) - BACKGROUND).sum(-1) > 30).sum() for f in (small, large)]
    assert area[1] > 2.5 * area[0]
    colours = small[0].reshape(-1, 3)
    assert (np.abs(colours - np.asarray(COLOURS["green"])).sum(-1) < 6).sum() > 20


def test_bouncing_hops_on_the_floor() -> None:
    frames, _ = render([(ShapeSpec("circle", "red", "small", "bouncing", "fast"), 40)], side=64, seed=1)
    ys = np.array([centroid(f)[1] for f in frames])
    assert ys.max() - ys.min() > 15  # hops
    assert ys.max() < 64 - 0.14 * 64 + 1.5  # never below the floor


def test_segments_continue_the_track_and_mark_their_frames() -> None:
    a = ShapeSpec("circle", "red", "large", "right", "slow")
    b = ShapeSpec("triangle", "blue", "large", "right", "slow")
    frames, spans = scheduled_video([a, b], 20, side=64, seed=2)
    assert spans == [(0, 10), (10, 20)] and frames.shape == (20, 64, 64, 3)
    jump = np.abs(centroid(frames[10]) - centroid(frames[9]))
    assert jump[0] < 5 and jump[1] < 8  # the position carries over the change of shape and colour
    red = np.abs(frames[9].astype(int) - COLOURS["red"]).sum(-1) < 10
    blue = np.abs(frames[10].astype(int) - COLOURS["blue"]).sum(-1) < 10
    assert red.sum() > 50 and blue.sum() > 50


def test_clips_are_seeded() -> None:
    a, spec_a = random_clip(7, 8, 32)
    b, spec_b = random_clip(7, 8, 32)
    c, _ = random_clip(8, 8, 32)
    assert np.array_equal(a, b) and spec_a == spec_b and not np.array_equal(a, c)
    assert a.shape == (8, 32, 32, 3) and a.dtype == np.uint8
