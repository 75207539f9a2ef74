"""Wall-clock timing: interleaved runs, warm-up first, medians reported.

Timing several callables in turns (A, B, A, B, ...) within one process makes a
ratio between them robust to slow drifts of the machine (frequency scaling,
other tenants of a shared host): each drift hits both sides alike.
"""

import gc
import statistics
import time
from collections.abc import Callable, Sequence


def time_once(run: Callable[[], object]) -> float:
    """Seconds one call of ``run`` takes, the cyclic garbage collector paused as timeit does.

    A collection triggered by allocations elsewhere would otherwise land in
    whichever call happens to cross the threshold.
    """
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.perf_counter()
        run()
        return time.perf_counter() - start
    finally:
        if gc_was_enabled:
            gc.enable()


def interleaved_medians(runs: Sequence[Callable[[], object]], repeats: int) -> list[float]:
    """Median seconds of each callable, timed in turns after one warm-up call of each.

    The warm-up absorbs numba's JIT compilation (or its load from the on-disk
    cache), lazy imports and first-touch page faults, none of which a repeated
    fit pays.
    """
    for run in runs:
        run()
    samples = [[] for _ in runs]
    for _ in range(repeats):
        for run, times in zip(runs, samples, strict=True):
            times.append(time_once(run))
    return [statistics.median(times) for times in samples]


def median_time(run: Callable[[], object], repeats: int) -> float:
    """Median seconds of ``run`` alone, after one warm-up call."""
    return interleaved_medians([run], repeats)[0]
