"""User inputs: captioned image folders and prompt files, with errors that name the file and the record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seqkit.domains.textimage.data import TextImageDataModule, read_prompts
from seqkit.domains.textimage.image_folder import TextImageError, read_image, read_image_folder


def _image(path: Path, size: int = 32, mode: str = "RGB") -> Path:
    Image.new(mode, (size, size), "white" if mode != "I;16" else 0).save(path)
    return path


def test_a_folder_with_a_captions_table_and_side_texts(tmp_path: Path) -> None:
    for i in range(12):
        _image(tmp_path / f"page{i:02d}.png")
    (tmp_path / "captions.csv").write_text("file,text\n" + "".join(f"page{i:02d}.png,text {i}\n" for i in range(11)))
    (tmp_path / "page11.txt").write_text("side text\n")
    records, skipped = read_image_folder(tmp_path, 32)
    assert not skipped and len(records) == 12 and records[11].text == "side text"
    assert [r.split for r in records].count("val") == 1 and [r.split for r in records].count("test") == 1
    assert records[0].image.shape == (32, 32, 3) and records[0].image.dtype == np.uint8


def test_bad_images_are_skipped_with_their_reason_and_the_rest_go_on(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    _image(tmp_path / "b.png", size=48)
    (tmp_path / "c.png").write_bytes(b"not a png at all")
    _image(tmp_path / "d.png")
    for name in "abcd":
        (tmp_path / f"{name}.txt").write_text(f"text {name}")
    with pytest.warns(UserWarning, match="skipped"):
        records, skipped = read_image_folder(tmp_path, 32)
    reasons = dict(skipped)
    assert "48x48, the model takes 32x32" in reasons[str(tmp_path / "b.png")]
    assert "cannot be read as an image" in reasons[str(tmp_path / "c.png")]
    assert [r.source for r in records] == ["a.png", "d.png"]
    assert read_image(tmp_path / "b.png", 32, resize=True).shape == (32, 32, 3)


def test_a_missing_or_empty_caption_is_an_error_naming_the_image(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    with pytest.raises(TextImageError, match=r"a\.png: no caption: add a line for it to captions.csv or write a\.txt"):
        read_image_folder(tmp_path, 32)
    (tmp_path / "captions.csv").write_text("file,text\na.png,  \n")
    with pytest.raises(TextImageError, match=r"captions\.csv: line 2: empty text for 'a.png'"):
        read_image_folder(tmp_path, 32)


def test_unsupported_image_modes_are_named(tmp_path: Path) -> None:
    Image.new("I;16", (32, 32)).save(tmp_path / "deep.png")
    with pytest.raises(TextImageError, match="image mode I;16 is not supported"):
        read_image(tmp_path / "deep.png", 32)
    grey = _image(tmp_path / "grey.png", mode="L")
    assert read_image(grey, 32).shape == (32, 32, 3)


def test_prompts_from_text_csv_and_inline(tmp_path: Path) -> None:
    (tmp_path / "p.txt").write_text("first line\n\nsecond line\n")
    assert read_prompts(str(tmp_path / "p.txt")) == ["first line", "second line"]
    (tmp_path / "p.csv").write_text("text\nalpha\n\n")
    assert read_prompts(str(tmp_path / "p.csv")) == ["alpha"]
    (tmp_path / "bad.csv").write_text("text\nalpha\n\"\"\n")
    with pytest.raises(TextImageError, match=r"bad\.csv: line 3: empty text"):
        read_prompts(str(tmp_path / "bad.csv"))
    (tmp_path / "cols.csv").write_text("prompt\nalpha\n")
    with pytest.raises(TextImageError, match="no 'text' column"):
        read_prompts(str(tmp_path / "cols.csv"))
    assert read_prompts("a b|c") == ["a b", "c"]
    with pytest.raises(ValueError, match="empty prompt"):
        read_prompts("a||b")


def test_the_data_module_serves_seeded_pages_and_predict_prompts() -> None:
    data = TextImageDataModule(image_size=64, n_train=4, n_val=2, n_test=2, control="random_strings",
                               prompts="one|two", samples=2, batch_size=2)
    train = data.dataset("train")[0]
    assert train["image"].shape == (3, 64, 64) and -1 <= train["image"].min() and train["image"].max() <= 1
    test_text = data.dataset("test")[0]["text"]
    assert test_text.replace("\n", " ").replace(" ", "").replace("\u2022", "").isalpha()
    assert test_text.replace("\u2022", "").replace("\n", " ").strip().split()[0].islower()
    batch = next(iter(data.predict_dataloader()))
    assert batch["text"] == ["one", "one"] and batch["seed"].tolist() == [0, 1]
    with pytest.raises(ValueError, match="source=folder needs"):
        TextImageDataModule(source="folder")
