"""One large fit in a fresh process: 2,000,000 × 100 float32, its time and peak memory.

Usage: ``python _large_child.py {sgd,batch,newton} [n_samples n_features]``.
Prints one JSON object: ``x_bytes``, ``added_bytes`` (peak resident size
during the fit minus the resident size before it, as in _memory_child.py),
``peak_bytes`` (the whole process's peak during the fit, X included),
``n_features``, ``seconds``, ``n_iter``, ``coef_dtype`` and ``finite``.

Run by ``tests/test_large_data.py`` (``pytest -m slow``), which asserts the
bounds, and by ``run.py``'s ``large`` group, which reports them.
"""

import gc
import json
import sys
import time
import warnings

import numpy as np
from _memory_child import peak_resident_bytes, release_freed_heap, reset_peak, resident_bytes
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from skgd import GDRegressor

N_SAMPLES = 2_000_000
N_FEATURES = 100
CHUNK = 100_000
WARM_UP_ROWS = 1_000
SEED = 0


def make_data(n_samples, n_features):
    """Standard normal float32 features, built in chunks: no float64 copy of X."""
    rng = np.random.default_rng(SEED)
    X = np.empty((n_samples, n_features), dtype=np.float32)
    for start in range(0, n_samples, CHUNK):
        X[start : start + CHUNK] = rng.standard_normal(
            (min(CHUNK, n_samples - start), n_features), dtype=np.float32
        )
    true_coef = rng.standard_normal(n_features).astype(np.float32)
    y = X @ true_coef + rng.standard_normal(n_samples, dtype=np.float32)
    return X, y


def make_estimator(solver):
    """A few epochs or iterations: memory does not grow with them, time does."""
    if solver == "newton":
        return GDRegressor(solver="newton", alpha=1e-4, tol=1e-6, max_iter=3)
    return GDRegressor(
        solver=solver,
        alpha=1e-4,
        learning_rate="constant",
        eta0=0.5 if solver == "batch" else 1e-3,
        tol=None,
        max_iter=3 if solver == "batch" else 2,
        random_state=SEED,
    )


def main(solver, n_samples=N_SAMPLES, n_features=N_FEATURES):
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = make_data(int(n_samples), int(n_features))
    estimator = make_estimator(solver)
    # Compilation (or the numba cache load) and lazy imports are not the fit's.
    clone(estimator).fit(X[:WARM_UP_ROWS], y[:WARM_UP_ROWS])
    gc.collect()
    release_freed_heap()
    before = resident_bytes()
    reset_peak()
    start = time.perf_counter()
    estimator.fit(X, y)
    seconds = time.perf_counter() - start
    peak = peak_resident_bytes()
    result = {
        "x_bytes": X.nbytes,
        "added_bytes": peak - before,
        "peak_bytes": peak,
        "n_features": X.shape[1],
        "seconds": seconds,
        "n_iter": estimator.n_iter_,
        "coef_dtype": str(estimator.coef_.dtype),
        "finite": bool(np.all(np.isfinite(estimator.coef_))),
        "r2": float(estimator.score(X[:100_000], y[:100_000])),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])
