"""Seeded long-range synthetic tasks: each example is a pure function of (seed, split, index).

Every generator returns ``(inputs, targets)``, int64 arrays of length ``seq_len``; ``targets`` is
``IGNORE`` except at answer positions, so one causal forward pass scores the whole example.

Token layout (shared): 0 = noise/filler, 1 = marker (answer slot or query cue), 2 = key cue (passkey
prefix), then ``n_symbols`` content symbols from ``FIRST_SYMBOL``; MQAR keys and values use two
disjoint halves of the content range.
"""

from __future__ import annotations

import numpy as np

IGNORE = -100
NOISE, MARKER, KEY_CUE = 0, 1, 2
FIRST_SYMBOL = 3
TASKS = ("selective_copying", "mqar", "passkey")


def vocab_size(n_symbols: int) -> int:
    """Vocabulary size for ``n_symbols`` content symbols plus the three special tokens."""
    return FIRST_SYMBOL + n_symbols


def selective_copying(rng: np.random.Generator, seq_len: int, n_tokens: int, n_symbols: int
                      ) -> tuple[np.ndarray, np.ndarray]:
    """Mamba's selective copying: n content tokens scattered among noise, recalled in order at the end.

    Layout: ``seq_len - n`` positions hold the scattered tokens, then ``n`` markers; at the i-th
    marker the model must emit the i-th content token. Chance accuracy is 1 / n_symbols.
    """
    region = seq_len - n_tokens
    _check(seq_len, region >= n_tokens, f"seq_len={seq_len} must be at least 2 * n_tokens={2 * n_tokens}")
    symbols = rng.integers(FIRST_SYMBOL, FIRST_SYMBOL + n_symbols, size=n_tokens)
    where = np.sort(rng.choice(region, size=n_tokens, replace=False))
    inputs = np.full(seq_len, NOISE, dtype=np.int64)
    inputs[where] = symbols
    inputs[region:] = MARKER
    targets = np.full(seq_len, IGNORE, dtype=np.int64)
    targets[region:] = symbols
    return inputs, targets


def mqar(rng: np.random.Generator, seq_len: int, n_tokens: int, n_symbols: int) -> tuple[np.ndarray, np.ndarray]:
    """Multi-query associative recall (Zoology): n key-value pairs, then each key queried later.

    Keys come from the first half of the symbols, values from the second. After the pairs the rest
    of the sequence is noise with the n keys re-inserted at random positions in random order; the
    target at a queried key is its value.
    """
    half = n_symbols // 2
    _check(seq_len, half >= n_tokens, f"n_symbols={n_symbols} must be at least 2 * n_tokens={2 * n_tokens}")
    _check(seq_len, seq_len >= 3 * n_tokens, f"seq_len={seq_len} must be at least 3 * n_tokens={3 * n_tokens}")
    keys = FIRST_SYMBOL + rng.choice(half, size=n_tokens, replace=False)
    values = FIRST_SYMBOL + half + rng.integers(0, n_symbols - half, size=n_tokens)
    inputs = np.full(seq_len, NOISE, dtype=np.int64)
    inputs[0 : 2 * n_tokens : 2] = keys
    inputs[1 : 2 * n_tokens : 2] = values
    slots = 2 * n_tokens + np.sort(rng.choice(seq_len - 2 * n_tokens, size=n_tokens, replace=False))
    order = rng.permutation(n_tokens)
    inputs[slots] = keys[order]
    targets = np.full(seq_len, IGNORE, dtype=np.int64)
    targets[slots] = values[order]
    return inputs, targets


def passkey(rng: np.random.Generator, seq_len: int, n_tokens: int, n_symbols: int) -> tuple[np.ndarray, np.ndarray]:
    """Passkey retrieval (as in LM-Infinite): a key cue + n-symbol passkey hidden in filler, asked at the end.

    Filler repeats a fixed short pattern of symbols (like the repeated sentence of the original
    test), the passkey sits at a random depth, and the last n positions are markers whose targets
    are the passkey symbols.
    """
    body = seq_len - n_tokens
    _check(seq_len, body >= n_tokens + 1, f"seq_len={seq_len} must exceed 2 * n_tokens + 1={2 * n_tokens + 1}")
    pattern = FIRST_SYMBOL + (np.arange(body) * 7 + 3) % n_symbols
    inputs = pattern.astype(np.int64)
    key = rng.integers(FIRST_SYMBOL, FIRST_SYMBOL + n_symbols, size=n_tokens)
    start = int(rng.integers(0, body - n_tokens))
    inputs[start] = KEY_CUE
    inputs[start + 1 : start + 1 + n_tokens] = key
    inputs = np.concatenate([inputs[:body], np.full(n_tokens, MARKER, dtype=np.int64)])
    targets = np.full(seq_len, IGNORE, dtype=np.int64)
    targets[body:] = key
    return inputs, targets


GENERATORS = {"selective_copying": selective_copying, "mqar": mqar, "passkey": passkey}


def _check(seq_len: int, ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(f"synthetic task: {message} (got seq_len={seq_len})")
