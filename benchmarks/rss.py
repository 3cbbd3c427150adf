"""Process memory for benchmarks: RSS now and its high-water mark, resettable so a phase's peak is its own."""

from __future__ import annotations

import os


def _status_kib(field_name: str) -> int:
    with open("/proc/self/status") as fh:
        return next(int(ln.split()[1]) for ln in fh if ln.startswith(field_name + ":"))


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak_rss() -> bool:
    """Reset this process's RSS high-water mark (Linux >= 4.0); False if the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int:
    """RSS high-water mark of this process's own address space.

    ``ru_maxrss`` alone is not enough in a subprocess: exec folds the launching process's high-water mark
    into it (a child of a 1 GB parent starts with ru_maxrss = 1 GB). VmHWM is per address space and can be
    reset, so it is what we read; ru_maxrss is kept as a fallback when the reset is refused.
    """
    return _status_kib("VmHWM") * 1024


def call_peak_mib(call) -> float:
    """The RSS high-water mark of one ``call()`` above the RSS just before it, in MiB (nan when the kernel
    refuses the reset). Run the call once before, so lazily allocated state (optimizer moments) is not
    counted as the step's own."""
    reset = reset_peak_rss()
    rss0 = current_rss_bytes()
    call()
    return (peak_rss_bytes() - rss0) / 2**20 if reset else float("nan")
