"""Training across families: the corpus index, whole-family splits, the streaming sampler and held-out examples."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from seqkit.domains.protein.alphabet import START
from seqkit.domains.protein.cross_family_data import CrossFamilyDataModule, CrossFamilyStream
from seqkit.domains.protein.family_corpus import FamilyCache, family_files, family_name, split_families
from seqkit.domains.protein.msa import read_msa
from seqkit.domains.protein.synthetic_family import synthetic_family

BALIFAM = Path(os.environ.get("SEQKIT_SHARED_DATA", Path(__file__).parents[4] / "shared" / "data")) / "protein" / \
    "balifam" / "balifam100"


def _corpus(root: Path, n: int = 12) -> Path:
    """``n`` synthetic families in every supported layout: gzipped unaligned FASTA, A3M, Stockholm, nested."""
    for k in range(n):
        family = synthetic_family(length=30 + 3 * k, n_sequences=16 + k, seed=k).msa
        kind = k % 3
        folder = root / ("nested" if k % 4 == 0 else "")
        folder.mkdir(parents=True, exist_ok=True)
        if kind == 0:
            text = "".join(f">{i}\n{s}\n" for i, s in zip(family.ids, family.raw, strict=True))
            with gzip.open(folder / f"FAM{k:02d}.fa.gz", "wt") as fh:
                fh.write(text)
        elif kind == 1:
            (folder / f"FAM{k:02d}.a3m").write_text("".join(f">{i}\n{s}\n" for i, s in
                                                            zip(family.ids, family.aligned, strict=True)))
        else:
            rows = "".join(f"{i} {s}\n" for i, s in zip(family.ids, family.aligned, strict=True))
            (folder / f"FAM{k:02d}.sto").write_text(f"# STOCKHOLM 1.0\n{rows}//\n")
    (root / "README.txt").write_text("not a family")
    return root


def test_corpus_finds_every_format_gzipped_or_not_and_names_families(tmp_path: Path) -> None:
    files = family_files([_corpus(tmp_path)])
    assert [family_name(f) for f in files] == [f"FAM{k:02d}" for k in range(12)]
    fasta_gz = read_msa(files[0])  # gzipped, unaligned
    assert fasta_gz.aligned is None and len(fasta_gz) == 16
    assert read_msa(files[1]).aligned is not None and read_msa(files[2]).aligned is not None
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "FAM03.fasta").write_text(">a\nMKV\n>b\nMKL\n")
    with pytest.raises(ValueError, match="FAM03.*two files"):
        family_files([tmp_path])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no family files"):
        family_files([tmp_path / "empty"])
    with pytest.raises(FileNotFoundError, match="nowhere"):
        family_files([tmp_path / "nowhere"])


def test_families_split_whole_stably_and_nested(tmp_path: Path) -> None:
    files = family_files([_corpus(tmp_path)])
    train, val = split_families(files, 3, seed=0)
    assert len(val) == 3 and not set(train) & set(val) and set(train) | set(val) == set(files)
    # a family's split does not depend on the other files present
    train_less, val_less = split_families([f for f in files if f not in train[:2]], 3, seed=0)
    assert val_less == val
    assert split_families(files, 0.25, seed=0)[1] == val  # a fraction: 3 of 12
    assert split_families(files, 3, seed=1)[1] != val
    kept, _ = split_families(files, 3, seed=0, exclude=[family_name(train[0])])
    assert train[0] not in kept
    for bad in (0, 12, 1.5, 0.0):
        with pytest.raises(ValueError, match="val_families"):
            split_families(files, bad)


def test_stream_draws_budgeted_examples_across_families_with_a_bounded_working_set(tmp_path: Path) -> None:
    files = family_files([_corpus(tmp_path)])
    stream = CrossFamilyStream(files, n_examples=96, context_tokens=200, batch_size=4, seed=3, reverse_prob=0.5,
                               families_in_memory=3, examples_per_load=4, pool_batches=4)
    batches = list(stream)
    assert len(batches) == len(stream) == 24
    lengths, reversed_streams = [], 0
    for batch in batches:
        assert set(batch) == {"tokens", "sequence_ids", "positions", "loss_mask", "lengths"}
        assert batch["tokens"].shape[0] <= 4
        lengths += batch["lengths"].tolist()
        reversed_streams += int((batch["tokens"][:, 0] != START).sum())
    assert min(lengths) >= 200 and 20 < reversed_streams < 76  # every family holds more than the budget
    # length bucketing: rows of a batch differ far less than rows of the whole epoch
    spread = np.mean([int(b["lengths"].max() - b["lengths"].min()) for b in batches])
    assert spread < (max(lengths) - min(lengths)) / 2
    # the working set rotates through the corpus (with 3 slots and 4 uses per load, most families come in)
    cache_loads = []
    original = FamilyCache.__call__

    def counting(self, path):
        cache_loads.append(family_name(path))
        return original(self, path)

    FamilyCache.__call__ = counting
    try:
        list(stream)
    finally:
        FamilyCache.__call__ = original
    assert len(set(cache_loads)) >= 10
    # seeded: the same epoch gives the same batches, another epoch others
    again = list(CrossFamilyStream(files, 96, 200, 4, seed=3, reverse_prob=0.5, families_in_memory=3,
                                   examples_per_load=4, pool_batches=4))
    assert all(torch.equal(a["tokens"], b["tokens"]) for a, b in zip(batches, again, strict=True))
    other = list(CrossFamilyStream(files, 96, 200, 4, seed=3, reverse_prob=0.5, families_in_memory=3,
                                   examples_per_load=4, pool_batches=4, epoch=lambda: 1))
    assert not all(torch.equal(a["tokens"], b["tokens"]) for a, b in zip(batches, other, strict=True))


def test_loader_workers_split_the_epoch(tmp_path: Path) -> None:
    dm = CrossFamilyDataModule([str(_corpus(tmp_path))], val_families=3, context_tokens=150, n_train=40,
                               batch_size=4, num_workers=2)
    assert len(list(dm.train_dataloader())) == 10


def test_held_out_examples_score_one_unseen_member_of_a_held_out_family(tmp_path: Path) -> None:
    dm = CrossFamilyDataModule([str(_corpus(tmp_path))], val_families=3, context_tokens=300, val_per_family=4,
                               max_train_families=5, batch_size=4)
    assert len(dm.train_families) == 5 and not set(dm.train_families) & set(dm.val_families)
    held = dm.held_out()
    assert len(held) == 12 and held.family(0) == held.family(3) == dm.val_families[0]
    for i in range(len(held)):
        item = held[i]
        starts = np.flatnonzero(item["tokens"] == START)
        assert (item["loss_mask"][: starts[-1] + 1] == 0).all() and item["loss_mask"][starts[-1] + 1 :].all()
        assert len(item["tokens"]) <= 300 + 60  # the budget, overshot by at most one member
    np.testing.assert_array_equal(held[5]["tokens"], dm.held_out()[5]["tokens"])  # a function of (seed, index)
    assert len(dm.held_out(context_tokens=100)[0]["tokens"]) < len(held[0]["tokens"])
    nested = CrossFamilyDataModule([str(tmp_path)], val_families=3, max_train_families=8)
    assert nested.train_families[:5] == dm.train_families
    with pytest.raises(ValueError, match="max_train_families"):
        CrossFamilyDataModule([str(tmp_path)], val_families=3, max_train_families=10)


@pytest.mark.skipif(not BALIFAM.exists(), reason="needs the shared balifam data")
def test_balifam_streams_from_gzipped_pfam_families() -> None:
    dm = CrossFamilyDataModule([str(BALIFAM)], val_families=6, context_tokens=1024, n_train=16, batch_size=4)
    assert len(dm.train_files) == 53 and all(name.startswith("PF") for name in dm.val_families)
    batch = next(iter(dm.train_dataloader()))
    assert batch["tokens"].shape[0] == 4 and batch["lengths"].min() >= 1024
    item = dm.held_out()[0]
    assert item["loss_mask"].sum() > 20


def test_held_out_without_prompt_is_the_same_member_alone(tmp_path: Path) -> None:
    dm = CrossFamilyDataModule([str(_corpus(tmp_path))], val_families=3, context_tokens=300, val_per_family=2)
    for i in range(len(dm.held_out())):
        alone, prompted = dm.held_out(context_tokens=0)[i], dm.held_out()[i]
        assert (alone["tokens"] == START).sum() == 1  # one sequence, every token after its start scored
        assert alone["loss_mask"][1:].all()
        np.testing.assert_array_equal(alone["tokens"], prompted["tokens"][-len(alone["tokens"]):])
