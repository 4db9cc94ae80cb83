"""Shared by the benchmark scripts: CPU-time medians and glibc's allocator setting.

On a shared, loaded machine wall-clock time measures the neighbours; with one thread per side,
process (CPU) time measures the work. NumPy's multi-MB temporaries each cost fresh page faults
under glibc's default allocator; keep_freed_memory() shows how much of a gap that is.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import statistics
import time


def median_seconds(step, repeats: int, warmup: int = 5) -> float:
    """Median CPU seconds (process time) of one call of ``step()``, after ``warmup`` calls."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.process_time()
        step()
        times.append(time.process_time() - start)
    return statistics.median(times)


def keep_freed_memory(mmap_threshold: int = 1 << 30, trim_threshold: int = 1 << 30) -> bool:
    """glibc only: serve large allocations from the heap and keep freed memory there."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        return bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)) and \
            bool(libc.mallopt(M_TRIM_THRESHOLD, trim_threshold))
    except (OSError, AttributeError, TypeError):
        return False
