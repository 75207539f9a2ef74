"""Peak memory one fit adds, measured in a fresh process (run by _cases_memory).

Usage: ``python _memory_child.py {full,quick} {sgd,batch,newton} {float64,float32}``.
Prints one JSON object with ``x_bytes``, ``added_bytes`` and ``n_features``.

The data are allocated before the fit, so the process's lifetime peak says
nothing about the fit. Linux can reset the peak instead: writing "5" to
/proc/self/clear_refs sets VmHWM back to the current resident size. Reading
resident sizes catches every allocation, including numba's and BLAS's, which
tracemalloc does not see.
"""

import ctypes
import gc
import json
import os
import sys
import warnings

import numpy as np
from _config import ALPHA, ETA0, NEWTON_TOL, SEED
from _data import FULL_SIZES, QUICK_SIZES, dense_regression
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skgd import GDRegressor

# More rows than a small Newton fit's (skgd._objective._dense_hessian.MAX_ROWS):
# the warm-up takes the measured fit's code path, and loads what it compiles.
WARM_UP_ROWS = 5_000


def resident_bytes():
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def peak_resident_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/self/status has no VmHWM line.")


def reset_peak():
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def release_freed_heap():
    # glibc keeps freed blocks for reuse. Returned to the system, they no
    # longer count in the resident size before the fit, so a fit that reuses
    # them still shows as added memory.
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# Memory does not grow with the iterations: two show the peak of one, and keep
# a float32 Newton fit, which cannot reach tol=1e-8, from iterating to max_iter.
MAX_ITER = 2


def make_estimator(solver):
    if solver == "newton":
        return GDRegressor(solver="newton", alpha=ALPHA, tol=NEWTON_TOL, max_iter=MAX_ITER)
    return GDRegressor(
        solver=solver,
        alpha=ALPHA,
        learning_rate="constant",
        eta0=ETA0,
        tol=None,
        max_iter=MAX_ITER,
        random_state=SEED,
    )


def main(mode, solver, dtype_name):
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    sizes = FULL_SIZES if mode == "full" else QUICK_SIZES
    X, y = dense_regression(sizes, np.dtype(dtype_name).type)
    estimator = make_estimator(solver)
    # Compilation (or the numba cache load) and lazy imports are not the fit's memory.
    clone(estimator).fit(X[:WARM_UP_ROWS], y[:WARM_UP_ROWS])
    gc.collect()
    release_freed_heap()
    before = resident_bytes()
    reset_peak()
    estimator.fit(X, y)
    added = peak_resident_bytes() - before
    print(json.dumps({"x_bytes": X.nbytes, "added_bytes": added, "n_features": X.shape[1]}))


if __name__ == "__main__":
    main(*sys.argv[1:])
