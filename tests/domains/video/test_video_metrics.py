"""The evaluation's measures on videos whose answer is known, and the attribute classifier learning real clips."""

from __future__ import annotations

import numpy as np
import torch

from seqkit.domains.video.attribute_classifier import AttributeClassifierModule
from seqkit.domains.video.data import VideoDataModule
from seqkit.domains.video.metrics import (
    attribute_accuracy,
    frame_changes,
    sample_variance,
    seam_ratio,
    segment_accuracy,
    transition_widths,
)


def test_seam_ratio_sees_jumps_at_clip_boundaries_only() -> None:
    smooth = torch.linspace(0, 1, 32)[None, :, None, None, None].expand(1, 32, 3, 4, 4).clone()  # steady change
    assert abs(seam_ratio(smooth, 8) - 1.0) < 1e-4
    jumpy = smooth.clone()
    for k in (8, 16, 24):
        jumpy[:, k:] += 0.5  # a jump from frame k-1 to k
    assert seam_ratio(jumpy, 8) > 100
    off_grid = smooth.clone()
    off_grid[:, 12:] += 0.5  # a jump inside a clip is not a seam
    assert seam_ratio(off_grid, 8) < 1
    assert frame_changes(torch.cat([jumpy, jumpy])).shape == (31,)


def test_sample_variance() -> None:
    videos = torch.randn(200, 4, 3, 2, 2) * 2
    assert abs(sample_variance(videos) - 4.0) < 0.5
    assert sample_variance(videos * 0 + 1) == 0


def test_segment_accuracy_and_transition_width() -> None:
    a, b = (0, 1, 0, 2, 1), (1, 1, 0, 4, 1)  # differ in shape and motion
    spans = [(0, 20), (20, 40)]
    clean = np.array([a] * 20 + [b] * 20)
    assert segment_accuracy(clean, [a, b], spans) == [1.0, 1.0]
    assert transition_widths(clean, [a, b], spans, reach=8) == [0]
    blended = clean.copy()
    blended[17:20, 0] = 1  # the shape changes 3 frames early
    blended[20:24, 3] = 2  # the motion changes 4 frames late
    assert transition_widths(blended, [a, b], spans, reach=8) == [7]
    assert segment_accuracy(blended, [a, b], spans) == [0.85, 0.8]
    assert segment_accuracy(blended, [a, b], spans, margin=4) == [1.0, 1.0]
    per_attribute = attribute_accuracy(blended, [a, b], spans)  # (2 spans, 5 attributes)
    np.testing.assert_allclose(per_attribute, [[0.85, 1, 1, 1, 1], [1, 1, 1, 0.8, 1]])
    np.testing.assert_allclose(attribute_accuracy(blended, [a, b], spans, margin=4), np.ones((2, 5)))


def test_the_classifier_learns_colour_and_size_from_real_clips() -> None:
    torch.manual_seed(0)
    dm = VideoDataModule(n_clips=512, n_val_clips=64, batch_size=32, clip_frames=8)
    module = AttributeClassifierModule(snippet=4, width=16, lr=3e-3)
    opt = module.configure_optimizers()
    for _ in range(3):
        for batch in dm.train_dataloader():
            loss, _ = module._step(batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
    batch = next(iter(dm.val_dataloader()))
    _, correct = module._step(batch, torch.Generator().manual_seed(0))
    accuracy = correct.float().mean(dim=0)  # shape, colour, size, motion, speed
    assert accuracy[1] > 0.6 and accuracy[2] > 0.75, accuracy  # chance: 1/6 and 1/2
    labels = module.per_frame(batch["video"][0])
    assert labels.shape == (8, 5) and labels.dtype.kind == "i"
