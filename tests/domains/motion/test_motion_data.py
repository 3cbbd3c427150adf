"""The motion data module: procedural motions, HumanML3D-format folders, prompts, precomputed text embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seqkit.domains.motion.data import MotionDataModule
from seqkit.domains.motion.errors import MotionFormatError
from seqkit.domains.motion.text_to_motion import TextToMotion
from seqkit.domains.motion.training_sets import windows


def test_procedural_module_splits_normalises_and_crops_in_units() -> None:
    dm = MotionDataModule(n_motions=30, batch_size=8, seed=1)
    sizes = {s: len(dm.split(s)) for s in ("train", "val", "test")}
    assert sizes == {"train": 24, "val": 3, "test": 3}
    assert len(dm.feature_mean) == len(dm.feature_std) == dm.d_feat == 263
    assert all(isinstance(v, float) for v in dm.feature_std) and min(dm.feature_std) > 0
    assert "walks" in dm.vocabulary or "walk" in dm.vocabulary
    batch = next(iter(dm.train_dataloader()))
    assert batch["features"].shape[0] == 8 and batch["features"].shape[2] == 263
    assert all(int(n) % 4 == 0 for n in batch["lengths"])  # training crops are whole 4-frame units
    assert (batch["padding"].sum(1) == batch["features"].shape[1] - batch["lengths"]).all()
    assert batch["caption_ids"][:, 0].eq(2).all()  # the summary token first
    val = next(iter(dm.val_dataloader()))
    whole = [r.n_frames for r in dm.split("val")]
    assert sorted(val["lengths"].tolist()) == sorted(min(n, 196) for n in whole)  # evaluation: whole motions
    again = MotionDataModule(n_motions=30, batch_size=8, seed=1)
    np.testing.assert_array_equal(again.records[0].features, dm.records[0].features)


def test_cmu_windows_cover_long_takes() -> None:
    assert windows(30) == []
    assert windows(150) == [(0, 150)]
    w = windows(500)
    assert w[0] == (0, 196) and w[-1] == (304, 500) and all(b - a == 196 for a, b in w)


def _humanml_folder(root: Path, n: int = 12, embed_dim: int | None = None) -> list[str]:
    """A HumanML3D-layout folder made from procedural motions (new_joint_vecs, texts, splits, Mean/Std)."""
    dm = MotionDataModule(n_motions=n)
    (root / "new_joint_vecs").mkdir(parents=True)
    (root / "texts").mkdir()
    names = []
    for i, r in enumerate(dm.records):
        name = f"{i:06d}"
        names.append(name)
        np.save(root / "new_joint_vecs" / f"{name}.npy", r.features)
        span = f"{r.captions[0]} again#a/DET#0.0#0.0\nthe first two seconds#the/DET#0.0#2.0\n"
        (root / "texts" / f"{name}.txt").write_text(f"{r.captions[0]}#x/NOUN#0.0#0.0\n" + span)
        if embed_dim:
            (root / "emb").mkdir(exist_ok=True)
            np.save(root / "emb" / f"{name}.npy", np.full((3, embed_dim), i, dtype=np.float32))
    (root / "train.txt").write_text("\n".join(names[:8]))
    (root / "val.txt").write_text("\n".join(names[8:10]))
    (root / "test.txt").write_text("\n".join(names[10:]))
    np.save(root / "Mean.npy", np.zeros(263, dtype=np.float32))
    np.save(root / "Std.npy", np.ones(263, dtype=np.float32))
    return names


def test_humanml3d_folder_reads_splits_spans_statistics_and_embeddings(tmp_path: Path) -> None:
    names = _humanml_folder(tmp_path, embed_dim=6)
    dm = MotionDataModule(source="humanml3d", path=str(tmp_path), text_embeddings=str(tmp_path / "emb"),
                          batch_size=4)
    train = dm.split("train")
    whole = [r for r in train if "#" not in r.name]
    spans = [r for r in train if "#" in r.name]
    assert len(whole) == 8 and all(len(r.captions) == 2 for r in whole)  # both whole-clip captions kept
    assert len(spans) == 8 and all(r.n_frames == 40 for r in spans)  # 0-2 s at 20 fps
    assert dm.feature_std == [1.0] * 263  # the folder's Std.npy, not fitted
    batch = next(iter(dm.train_dataloader()))
    assert batch["text_embedding"].shape == (4, 6)
    assert {r.name.split("#")[0] for r in dm.split("test")} == set(names[10:])


def test_humanml3d_folder_errors_name_the_file(tmp_path: Path) -> None:
    _humanml_folder(tmp_path, n=12)
    np.save(tmp_path / "new_joint_vecs" / "000003.npy", np.zeros((50, 251), dtype=np.float32))
    with pytest.raises(MotionFormatError, match=r"000003\.npy: expected \(frames, 263\)"):
        len(MotionDataModule(source="humanml3d", path=str(tmp_path)).records)
    with pytest.raises(MotionFormatError, match="not a HumanML3D folder"):
        len(MotionDataModule(source="humanml3d", path=str(tmp_path / "texts")).records)


def test_prompts_inline_from_files_and_with_embeddings(tmp_path: Path) -> None:
    dm = MotionDataModule(n_motions=10, prompts="a person walks | someone waves", default_frames=60, repeats=2)
    batch = next(iter(dm.predict_dataloader()))
    assert batch["captions"] == ["a person walks", "a person walks", "someone waves", "someone waves"]
    assert batch["names"] == ["0000_00", "0000_01", "0001_00", "0001_01"] and batch["lengths"].tolist() == [60] * 4
    (tmp_path / "p.txt").write_text("a person kicks#48\n")
    np.save(tmp_path / "e.npy", np.ones((2, 5), dtype=np.float32))
    bad = MotionDataModule(n_motions=10, prompts=str(tmp_path / "p.txt"), prompt_embeddings=str(tmp_path / "e.npy"))
    with pytest.raises(MotionFormatError, match="2 embeddings for 1 prompts"):
        bad.predict_dataloader()
    good = MotionDataModule(n_motions=10, prompts=str(tmp_path / "p.txt"))
    assert next(iter(good.predict_dataloader()))["lengths"].tolist() == [48]


def test_frame_model_trains_and_samples_from_precomputed_text_embeddings() -> None:
    torch.manual_seed(0)
    model = TextToMotion(space="frames", denoiser="transformer", d_model=32, text_dim=6, precomputed_text=True,
                         denoiser_options={"n_blocks": 1, "n_heads": 2}, vocabulary=["walk"])
    assert model.caption_encoder is None
    batch = {"features": torch.randn(3, 20, 263), "padding": torch.zeros(3, 20, dtype=torch.bool),
             "text_embedding": torch.randn(3, 6), "lengths": torch.full((3,), 20)}
    loss = model._diffusion_loss(batch, 0.1)
    loss.backward()
    assert torch.isfinite(loss) and model.denoiser.output.weight.grad is not None
    out = model.generate(None, [12, 20], text_embedding=torch.randn(2, 6), n_inference_steps=3,
                         generator=torch.Generator().manual_seed(0))
    assert out["features"].shape == (2, 20, 263) and out["joints"].shape == (2, 20, 22, 3)
    assert (out["features"][0, 12:] == 0).all()  # beyond a sample's length: nothing
    with pytest.raises(ValueError, match="precomputed caption embeddings"):
        model.generate(["a person walks"], [12], n_inference_steps=3)


def test_v_prediction_trains_and_samples() -> None:
    torch.manual_seed(0)
    model = TextToMotion(space="frames", denoiser="transformer", d_model=32, text_dim=6, precomputed_text=True,
                         denoiser_options={"n_blocks": 1, "n_heads": 2}, vocabulary=["walk"], prediction="v")
    batch = {"features": torch.randn(3, 20, 263), "padding": torch.zeros(3, 20, dtype=torch.bool),
             "text_embedding": torch.randn(3, 6), "lengths": torch.full((3,), 20)}
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(3):
        loss = model._diffusion_loss(batch, 0.1)
        opt.zero_grad()
        loss.backward()
        opt.step()
    out = model.generate(None, [20], text_embedding=torch.randn(1, 6), n_inference_steps=3)
    assert torch.isfinite(out["features"]).all()
    with pytest.raises(ValueError, match="prediction must be"):
        TextToMotion(space="frames", denoiser="transformer", precomputed_text=True, prediction="x0")
