"""Training-step cost for benchmarks: seconds per step and the step's own peak memory, after a warm-up step."""

from __future__ import annotations

import time
from collections.abc import Callable

from rss import current_rss_bytes, peak_rss_bytes, reset_peak_rss  # benchmarks/rss.py


def time_steps(step: Callable[[], None], steps: int) -> tuple[float, float]:
    """(mean seconds per step, peak MiB above the RSS before the timed steps) of ``steps`` calls of ``step``.

    One untimed call first allocates what every later step reuses (the optimiser's moments, caches), so the
    peak is what a step itself needs on top of a trained-for-a-while process."""
    step()
    before = current_rss_bytes()
    reset_peak_rss()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    seconds = (time.perf_counter() - start) / steps
    return seconds, (peak_rss_bytes() - before) / 2 ** 20
