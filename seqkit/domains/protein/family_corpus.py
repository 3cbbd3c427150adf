"""A corpus of protein families: one homolog file per family, in folders, indexed by path and loaded on demand.

Training across families (PoET's setting) needs many homolog sets, far more than fit in memory at once
(Pfam has tens of thousands of families). The corpus holds only the file list; a family is read when a
sampler needs it and dropped when it leaves a small least-recently-used cache. Families are split whole
into train and validation by a seeded hash of their names, so a family's split does not depend on which
other files sit in the folder, and ``max_train`` takes a seeded, nested subset of the training families
(the first 10 of a corpus are among its first 25).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqkit.data import resolve_data_path
from seqkit.domains.protein.msa import MSA, SUFFIX_FORMAT, format_suffix, read_msa
from seqkit.domains.protein.prompt import HomologSampler

#: suffixes of family files (each may end in ``.gz`` too)
FAMILY_SUFFIXES = tuple(SUFFIX_FORMAT)  # the suffixes read_msa knows


def family_name(path: Path) -> str:
    """The family a file holds: its name without ``.gz`` and the format suffix (``PF00009.100.fa.gz`` →
    ``PF00009.100``)."""
    name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
    return name[: -len(format_suffix(path))] if format_suffix(path) else name


def family_files(sources: Sequence[str | Path]) -> list[Path]:
    """The family files under ``sources`` (folders, searched recursively, or single files), sorted by name.

    Paths resolve like every data path (working directory, then ``$SEQKIT_SHARED_DATA``). Two files that
    name the same family are an error, since a family must be one unit of the split.
    """
    files: list[Path] = []
    for source in sources:
        path = resolve_data_path(str(source))
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and format_suffix(p) in FAMILY_SUFFIXES)
            if not found:
                raise FileNotFoundError(f"{path}: no family files (suffixes {', '.join(FAMILY_SUFFIXES)}, "
                                        f"optionally .gz)")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"{source}: no such family file or folder")
    seen: dict[str, Path] = {}
    for path in files:
        name = family_name(path)
        if name in seen:
            raise ValueError(f"family {name!r} is in two files, {seen[name]} and {path}; one file per family")
        seen[name] = path
    return sorted(files, key=family_name)


def _hash_rank(name: str, seed: int) -> str:
    return hashlib.sha1(f"{seed}:{name}".encode()).hexdigest()


def split_families(files: Sequence[Path], val_families: int | float, seed: int = 0,
                   exclude: Sequence[str] = ()) -> tuple[list[Path], list[Path]]:
    """(train, validation) files, each family whole, in a seeded hash order.

    ``val_families`` is a count (an int ≥ 1) or a fraction (a float in (0, 1)); ``exclude`` names families
    to leave out of both (e.g. families related to a test assay).
    """
    kept = [f for f in files if family_name(f) not in set(exclude)]
    order = sorted(kept, key=lambda f: _hash_rank(family_name(f), seed))
    if isinstance(val_families, int) or float(val_families).is_integer():  # a count (6 or 6.0)
        n_val = int(val_families)
    elif 0 < val_families < 1:
        n_val = max(1, int(round(val_families * len(order))))
    else:
        n_val = 0  # a float outside (0, 1)
    if not 0 < n_val < len(order):
        raise ValueError(f"val_families={val_families!r} leaves no training or no validation family among "
                         f"{len(order)} families")
    return order[n_val:], order[:n_val]


def subsample_rows(msa: MSA, max_sequences: int, rng: np.random.Generator) -> MSA:
    """At most ``max_sequences`` rows of ``msa`` (the query, row 0, always kept), so a huge family costs bounded
    memory and weighting time."""
    if len(msa) <= max_sequences:
        return msa
    rows = np.concatenate([[0], np.sort(rng.choice(np.arange(1, len(msa)), max_sequences - 1, replace=False))])
    pick = [int(i) for i in rows]
    return MSA([msa.ids[i] for i in pick], [msa.raw[i] for i in pick],
               None if msa.aligned is None else [msa.aligned[i] for i in pick], msa.source, msa.query_columns)


class FamilyCache:
    """``HomologSampler``s of recently used family files (weights and identities computed once per load)."""

    def __init__(self, capacity: int = 8, max_sequences: int = 4096, seed: int = 0) -> None:
        if capacity < 1 or max_sequences < 2:
            raise ValueError(f"FamilyCache: capacity must be >= 1 and max_sequences >= 2, got {capacity}, "
                             f"{max_sequences}")
        self.capacity, self.max_sequences, self.seed = capacity, max_sequences, seed
        self._items: OrderedDict[Path, HomologSampler] = OrderedDict()
        self.loads = 0

    def __call__(self, path: Path) -> HomologSampler:
        if path in self._items:
            self._items.move_to_end(path)
            return self._items[path]
        msa = read_msa(path)
        if len(msa) < 2:
            raise ValueError(f"{path}: a family needs at least 2 sequences, found {len(msa)}")
        rng = np.random.default_rng((self.seed, int(_hash_rank(family_name(path), 0)[:8], 16)))
        sampler = HomologSampler(subsample_rows(msa, self.max_sequences, rng))
        self.loads += 1
        self._items[path] = sampler
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return sampler
