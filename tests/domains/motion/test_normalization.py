"""FeatureNormalizer: HumanML3D's Mean/Std, group-averaged fitting, atomic saving, and files that are wrong."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.humanml_features import HUMANML3D, KIT
from seqkit.domains.motion.normalization import T2M_FEATURE_BIAS, FeatureNormalizer

MOTION = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "motion"
STATS = MOTION / "humanml3d_stats"
FEATURES_FILE = MOTION / "derived" / "cmu_01_01_hml263.npy"
needs_data = pytest.mark.skipif(not (STATS / "Std.npy").exists(), reason=f"motion data not found at {MOTION}")


@needs_data
def test_humanml3d_statistics_load_and_are_group_averaged_without_feature_bias() -> None:
    norm = FeatureNormalizer.load(STATS)
    same = FeatureNormalizer.load(STATS / "Mean.npy", STATS / "Std.npy")
    assert norm.mean.shape == norm.std.shape == (263,) and norm.layout is HUMANML3D
    np.testing.assert_array_equal(norm.std, same.std)
    for name, s in HUMANML3D.slices.items():
        assert np.unique(norm.std[s]).size == 1, name  # one std per group
    # divisor 1, not text-to-motion's feat_bias 5: binary contacts with mean p have std sqrt(p(1-p)) ≈ 0.35
    p = norm.mean[HUMANML3D.slices["foot_contact"]]
    contact_std = norm.std[HUMANML3D.slices["foot_contact"]][0]
    assert abs(contact_std - np.sqrt(p * (1 - p)).mean()) < 0.01
    assert abs(contact_std - np.sqrt(p * (1 - p)).mean() / 5) > 0.2


@needs_data
def test_normalize_then_denormalize_is_the_identity() -> None:
    norm = FeatureNormalizer.load(STATS)
    clip = np.load(FEATURES_FILE)
    for x, tol in ((torch.from_numpy(clip), 1e-5), (torch.from_numpy(clip).double(), 1e-12), (clip, 1e-5)):
        z = norm.normalize(x)
        assert type(z) is type(x) and z.dtype == x.dtype and z.shape == x.shape
        back = norm.denormalize(z)
        assert float(np.abs(np.asarray(back) - np.asarray(x)).max()) < tol
    # the CMU clip sits in HumanML3D's range: a z-score of order one (research note: 0.5-0.9 per group)
    assert 0.3 < float(np.abs(norm.normalize(clip)).mean()) < 1.5
    batch = torch.from_numpy(clip).reshape(2, 229, 263)
    torch.testing.assert_close(norm.normalize(batch), norm.normalize(torch.from_numpy(clip)).reshape(2, 229, 263))
    with pytest.raises(ValueError, match="263"):
        norm.normalize(torch.zeros(3, 251))


def write(path: Path, values: object) -> Path:
    np.save(path, np.asarray(values))
    return path


def test_bad_statistics_files_name_the_file(tmp_path: Path) -> None:
    good = write(tmp_path / "Mean.npy", np.zeros(263, np.float32))
    cases = {
        "short.npy": (np.ones(262, np.float32), r"short\.npy: shape \(262,\), expected \(263,\)"),
        "matrix.npy": (np.ones((1, 263), np.float32), r"matrix\.npy: shape \(1, 263\)"),
        "nan.npy": (np.where(np.arange(263) == 7, np.nan, 1.0), r"nan\.npy: value 7: 1 NaN/inf"),
        "zero.npy": (np.where(np.arange(263) == 100, 0.0, 1.0), r"zero\.npy: value 100: std must be positive"),
        "text.npy": (None, r"text\.npy: not a numeric \.npy array"),
        "strings.npy": (np.array(["a"] * 263), r"strings\.npy: not a numeric \.npy array"),
    }
    for name, (values, message) in cases.items():
        path = tmp_path / name
        if values is None:
            path.write_text("0.1 0.2\n")
        else:
            write(path, values)
        with pytest.raises(MotionFormatError, match=message):
            FeatureNormalizer.load(good, path)
    with pytest.raises(FileNotFoundError):
        FeatureNormalizer.load(good, tmp_path / "missing.npy")
    with pytest.raises(MotionFormatError, match="give the folder"):
        FeatureNormalizer.load(good)
    # layout=None takes any known width; a KIT pair loads as KIT
    kit = FeatureNormalizer.load(write(tmp_path / "km.npy", np.zeros(251)), write(tmp_path / "ks.npy", np.ones(251)),
                                 layout=None)
    assert kit.layout is KIT
    with pytest.raises(MotionFormatError, match=r"ks\.npy: 251 values, but .*m263\.npy has 263"):
        FeatureNormalizer.load(write(tmp_path / "m263.npy", np.zeros(263)), tmp_path / "ks.npy", layout=None)


def test_fit_averages_std_within_groups_and_saves_atomically(tmp_path: Path) -> None:
    g = np.random.default_rng(0)
    scale = g.uniform(0.1, 3.0, 263)
    clips = [g.normal(size=(n, 263)) * scale + 1.0 for n in (40, 55, 70)]
    norm = FeatureNormalizer.fit([clips[0], torch.from_numpy(clips[1]), clips[2]])
    data = np.concatenate(clips)
    np.testing.assert_allclose(norm.mean, data.mean(0), atol=1e-12)
    for name, s in HUMANML3D.slices.items():
        np.testing.assert_allclose(norm.std[s], data.std(0)[s].mean(), rtol=1e-12, err_msg=name)
    biased = FeatureNormalizer.fit(clips, group_divisors=T2M_FEATURE_BIAS)
    np.testing.assert_allclose(biased.std[:4], norm.std[:4] / 5)
    np.testing.assert_allclose(biased.std[4:259], norm.std[4:259])
    np.testing.assert_allclose(biased.std[259:], norm.std[259:] / 5)

    mean_path, std_path = norm.save(tmp_path / "stats")
    assert (mean_path.name, std_path.name) == ("Mean.npy", "Std.npy")
    assert sorted(p.name for p in (tmp_path / "stats").iterdir()) == ["Mean.npy", "Std.npy"]  # no temp files left
    loaded = FeatureNormalizer.load(tmp_path / "stats")
    assert np.load(std_path).dtype == np.float32
    np.testing.assert_allclose(loaded.std, norm.std, rtol=1e-6)
    np.testing.assert_allclose(loaded.mean, norm.mean, rtol=1e-6)


def test_fit_refuses_what_it_cannot_normalise() -> None:
    with pytest.raises(ValueError, match="no clips"):
        FeatureNormalizer.fit([])
    with pytest.raises(ValueError, match=r"clip 1: expected \(T, 263\)"):
        FeatureNormalizer.fit([np.ones((3, 263)), np.ones((3, 251))])
    still = np.random.default_rng(1).normal(size=(20, 263))
    still[:, 259:] = 1.0  # feet always planted
    with pytest.raises(ValueError, match="group foot_contact does not vary"):
        FeatureNormalizer.fit([still])
    with pytest.raises(ValueError, match="unknown feature groups"):
        FeatureNormalizer.fit([np.random.default_rng(2).normal(size=(5, 263))], group_divisors={"feet": 5.0})
