"""First-fit latency in a fresh process (run by _cases_jit).

Prints one JSON object: ``import_seconds`` (``import skgd``, which imports
scikit-learn and numba), ``first_fit_seconds`` (the first sgd fit, which
compiles the kernel or loads it from numba's on-disk cache, per
``NUMBA_CACHE_DIR``) and ``steady_fit_seconds`` (the median of later fits of
the same problem, everything compiled).
"""

import functools
import importlib
import json
import statistics
import time

import numpy as np
from _timing import time_once

N_SAMPLES = 1_000
N_FEATURES = 10
STEADY_REPEATS = 5


def main():
    start = time.perf_counter()
    skgd = importlib.import_module("skgd")
    import_seconds = time.perf_counter() - start

    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_SAMPLES, N_FEATURES))
    y = X @ rng.standard_normal(N_FEATURES)
    estimator = skgd.GDRegressor(
        solver="sgd", learning_rate="constant", eta0=1e-3, tol=None, max_iter=5, random_state=0
    )
    fit = functools.partial(estimator.fit, X, y)
    first_fit_seconds = time_once(fit)
    steady_fit_seconds = statistics.median(time_once(fit) for _ in range(STEADY_REPEATS))
    print(
        json.dumps(
            {
                "import_seconds": import_seconds,
                "first_fit_seconds": first_fit_seconds,
                "steady_fit_seconds": steady_fit_seconds,
            }
        )
    )


if __name__ == "__main__":
    main()
