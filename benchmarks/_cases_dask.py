"""skgd on dask arrays against dask-glm, on one LocalCluster and the same chunks.

Logistic regression (binary, 20 features, an intercept) on a chunked dask
array persisted on a ``LocalCluster`` of two single-threaded worker
processes: skgd's ``newton`` and ``batch`` against
``dask_glm.algorithms.newton`` and ``gradient_descent``.

The objectives differ on purpose: skgd minimizes the mean log loss plus
``alpha/2 ||w||²`` (``alpha = 1e-4``), and dask-glm's ``newton`` and
``gradient_descent`` take no regularizer at all (a ``regularizer`` argument
is silently ignored). The coefficient difference is therefore reported
twice: against dask-glm, and, in parentheses, between skgd's penalized fit
and skgd's own unpenalized one, which shows how much of it the penalty
explains. dask-glm fits no intercept itself: it gets a column of ones, as
its estimators add.
"""

import functools

import numpy as np
from _config import ALPHA, NEWTON_TOL, SEED
from _report import Case, Row, comparison_row, ratio_goal, seconds
from _timing import interleaved_medians

from skgd import GDClassifier

GOAL = ratio_goal(0.5)
NEWTON_MAX_ITER = 50


def _sizes(mode):
    """Rows, features, rows per chunk and gradient-descent iterations.

    The quick case stays under about 30 s, cluster start included.
    """
    if mode == "full":
        return 1_000_000, 20, 50_000, 100
    return 50_000, 20, 12_500, 10


def _data(n_samples, n_features, chunk):
    import dask.array as da

    rng = np.random.RandomState(SEED)
    X = rng.normal(size=(n_samples, n_features))
    coef = rng.normal(size=n_features) / np.sqrt(n_features)
    y = (rng.uniform(size=n_samples) < 1.0 / (1.0 + np.exp(-(X @ coef + 0.5)))).astype(float)
    X_dask = da.from_array(X, chunks=(chunk, n_features))
    y_dask = da.from_array(y, chunks=chunk)
    # dask-glm's algorithms fit no intercept: its estimators append ones.
    X_ones = da.concatenate([X_dask, da.ones((n_samples, 1), chunks=(chunk, 1))], axis=1)
    return X_dask, y_dask, X_ones.rechunk({1: -1})


def _coef_difference(skgd, glm_coef):
    skgd_coef = np.append(skgd.coef_.ravel(), skgd.intercept_)
    return float(np.max(np.abs(skgd_coef - np.asarray(glm_coef))))


def dask_cases(config):
    """skgd newton and batch against dask-glm's newton and gradient_descent."""
    try:
        import dask_glm.algorithms  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as error:
        return [Case("dask", functools.partial(_missing, error))]
    return [Case("dask · newton and batch vs dask-glm", functools.partial(_measure, config))]


def _missing(error):
    return [Row(case="dask vs dask-glm", notes=f"skipped: {error}")]


def _measure(config):
    import dask
    from dask.distributed import Client, LocalCluster
    from dask_glm.algorithms import gradient_descent, newton
    from dask_glm.families import Logistic

    n_samples, n_features, chunk, gd_iterations = _sizes(config.mode)
    label = f"logistic {n_samples:,}×{n_features} in chunks of {chunk:,}, 2 workers"
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        X, y, X_ones = dask.persist(*_data(n_samples, n_features, chunk))
        skgd_newton = GDClassifier(
            loss="log_loss", solver="newton", alpha=ALPHA, tol=NEWTON_TOL, max_iter=NEWTON_MAX_ITER
        )
        skgd_batch = GDClassifier(
            loss="log_loss",
            solver="batch",
            learning_rate="line_search",
            eta0=1.0,
            alpha=ALPHA,
            tol=None,
            max_iter=gd_iterations,
        )
        unpenalized = GDClassifier(
            loss="log_loss", solver="newton", alpha=0.0, tol=NEWTON_TOL, max_iter=NEWTON_MAX_ITER
        ).fit(X, y)
        results = {}

        def glm(solver, **kwargs):
            def run():
                results[solver] = solver_functions[solver](X_ones, y, family=Logistic, **kwargs)

            return run

        solver_functions = {"newton": newton, "gradient_descent": gradient_descent}
        rows = []
        pairs = [
            ("newton", skgd_newton, glm("newton", max_iter=NEWTON_MAX_ITER, tol=NEWTON_TOL)),
            ("batch", skgd_batch, glm("gradient_descent", max_iter=gd_iterations)),
        ]
        for name, estimator, reference in pairs:
            reference_name = "newton" if name == "newton" else "gradient_descent"
            case = f"dask · {name} · {label} vs dask_glm {reference_name}"
            try:
                skgd_time, glm_time = interleaved_medians(
                    [functools.partial(estimator.fit, X, y), reference], config.repeats
                )
            except Exception as error:  # dask-glm on a newer dask: report, don't fail
                rows.append(Row(case=case, notes=f"dask-glm failed: {type(error).__name__}"))
                continue
            versus_glm = _coef_difference(estimator, results[reference_name])
            versus_unpenalized = _coef_difference(estimator, _packed(unpenalized))
            notes = (
                f"max|Δcoef| vs dask-glm {versus_glm:.1e} (skgd alpha={ALPHA:g} vs "
                f"alpha=0: {versus_unpenalized:.1e}); dask-glm ignores the penalty; "
                f"skgd {estimator.n_iter_} it"
            )
            rows.append(comparison_row(case, skgd_time, glm_time, seconds, GOAL, notes))
    return rows


def _packed(estimator):
    return np.append(estimator.coef_.ravel(), estimator.intercept_)
