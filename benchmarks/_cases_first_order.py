"""Per-epoch cost of sgd, minibatch and momentum, one batch gradient, and streaming X.

Both sides of each comparison minimize the same objective with the same loss,
penalty, alpha, constant learning rate, number of epochs, shuffling and dtype;
``tol=None`` makes both run exactly ``max_iter`` epochs.
"""

import functools

import numpy as np
import scipy.sparse as sp
from _config import ALPHA, ETA0, SEED
from _data import (
    dense_binary,
    dense_multiclass,
    dense_regression,
    describe,
    sparse_binary,
)
from _report import Case, Row, comparison_row, ratio_goal, seconds, seconds_per_epoch
from _timing import interleaved_medians, median_time
from sklearn.linear_model import SGDClassifier, SGDRegressor

from skgd import GDClassifier, GDRegressor
from skgd._loss import make_loss
from skgd._objective import LinearObjective
from skgd._penalty import make_penalty

SGD_DENSE_GOAL = ratio_goal(0.6)
SGD_SPARSE_GOAL = ratio_goal(1.0)
# Per-sample hinge on sparse rows: the linear SVM of text classification.
SGD_SPARSE_HINGE_GOAL = ratio_goal(0.5)
MINIBATCH_GOAL = ratio_goal(0.8)
BATCH_GRADIENT_GOAL = ratio_goal(1.3)
MINIBATCH_SIZES = (32, 256)

# A gradient or a pass over X takes milliseconds: more repeats cost little
# and steady the median.
CHEAP_REPEATS = 15


def _constant_step_params(epochs):
    return {
        "penalty": "l2",
        "alpha": ALPHA,
        "learning_rate": "constant",
        "eta0": ETA0,
        "tol": None,
        "max_iter": epochs,
        "random_state": SEED,
    }


def _epochs(count):
    return f"{count} epoch{'s' if count != 1 else ''}"


def _seconds_per_epoch(estimators, X, y, repeats):
    """Median fit time of each estimator, interleaved, divided by the epochs it ran."""
    fits = [functools.partial(estimator.fit, X, y) for estimator in estimators]
    medians = interleaved_medians(fits, repeats)
    return [
        median / estimator.n_iter_ for median, estimator in zip(medians, estimators, strict=True)
    ]


def _sgd_case(label, estimator_classes, loss, data, epochs, goal, repeats):
    skgd_cls, reference_cls = estimator_classes

    def measure():
        X, y = data()
        params = _constant_step_params(epochs)
        skgd = skgd_cls(loss=loss, solver="sgd", **params)
        reference = reference_cls(loss=loss, **params)
        skgd_time, reference_time = _seconds_per_epoch([skgd, reference], X, y, repeats)
        case = f"sgd · {label} {describe(X)}, {loss}"
        notes = f"vs {reference_cls.__name__}, {_epochs(epochs)}"
        return [comparison_row(case, skgd_time, reference_time, seconds_per_epoch, goal, notes)]

    return Case(f"sgd · {label}, {loss}", measure)


def sgd_cases(config):
    """Case 1: per-sample SGD against scikit-learn's SGD, seconds per epoch."""
    sizes, epochs = config.sizes, config.epochs
    regressors, classifiers = (GDRegressor, SGDRegressor), (GDClassifier, SGDClassifier)
    regression_f64 = functools.partial(dense_regression, sizes, np.float64)
    regression_f32 = functools.partial(dense_regression, sizes, np.float32)
    binary = functools.partial(dense_binary, sizes)
    multiclass = functools.partial(dense_multiclass, sizes)
    sparse_data = functools.partial(sparse_binary, sizes)
    multiclass_label = f"{sizes.n_classes}-class one-vs-rest"
    plan = [
        # label, estimators, loss, data, epochs, goal
        ("regression", regressors, "squared_error", regression_f64, epochs, SGD_DENSE_GOAL),
        ("regression", regressors, "squared_error", regression_f32, epochs, SGD_DENSE_GOAL),
        ("binary", classifiers, "hinge", binary, epochs, SGD_DENSE_GOAL),
        ("binary", classifiers, "log_loss", binary, epochs, SGD_DENSE_GOAL),
        (multiclass_label, classifiers, "hinge", multiclass, epochs, SGD_DENSE_GOAL),
        ("binary", classifiers, "hinge", sparse_data, epochs, SGD_SPARSE_HINGE_GOAL),
        ("binary", classifiers, "log_loss", sparse_data, epochs, SGD_SPARSE_GOAL),
    ]
    return [_sgd_case(*entry, config.repeats) for entry in plan]


def minibatch_cases(config):
    """Case 2: minibatch and momentum at two batch sizes against per-sample SGD.

    One interleaved series times all of them with the reference, so every
    ratio still compares runs taken in turns within one process.
    """

    def measure():
        X, y = dense_regression(config.sizes, np.float64)
        params = _constant_step_params(config.epochs)
        variants = [
            (solver, batch_size)
            for solver in ("minibatch", "momentum")
            for batch_size in MINIBATCH_SIZES
        ]
        estimators = [
            GDRegressor(solver=solver, batch_size=batch_size, **params)
            for solver, batch_size in variants
        ]
        reference = SGDRegressor(**params)
        *skgd_times, reference_time = _seconds_per_epoch(
            [*estimators, reference], X, y, config.repeats
        )
        notes = f"vs SGDRegressor (per-sample), {_epochs(config.epochs)}"
        return [
            comparison_row(
                f"{solver} B={batch_size} · regression {describe(X)}, squared_error",
                skgd_time,
                reference_time,
                seconds_per_epoch,
                MINIBATCH_GOAL,
                notes,
            )
            for (solver, batch_size), skgd_time in zip(variants, skgd_times, strict=True)
        ]

    return [Case("minibatch and momentum", measure)]


def batch_gradient_cases(config):
    """Case 6: one full gradient (skgd's objective) against its two BLAS products alone."""

    def measure():
        X, y = dense_regression(config.sizes, np.float64)
        n, d = X.shape
        objective = LinearObjective(
            make_loss("squared_error"),
            make_penalty("l2", ALPHA, 0.15),
            X,
            y,
            np.ones(n),
            True,
        )
        rng = np.random.default_rng(SEED)
        coef, intercept = 0.01 * rng.standard_normal(d), 0.1
        residual = X @ coef + intercept - y
        X_T = X.T

        def two_products():
            return X @ coef, X_T @ residual

        skgd_time, reference_time = interleaved_medians(
            [functools.partial(objective.loss_gradient, coef, intercept), two_products],
            max(config.repeats, CHEAP_REPEATS),
        )
        case = f"batch · one gradient · regression {describe(X)}"
        notes = "LinearObjective.loss_gradient vs X @ w and Xᵀ @ r alone"
        return [
            comparison_row(case, skgd_time, reference_time, seconds, BATCH_GRADIENT_GOAL, notes)
        ]

    return [Case("batch gradient", measure)]


def stream_cases(config):
    """Case 7: the physical limit, one read of X from memory, next to the per-epoch rows."""
    sizes = config.sizes
    sources = [
        ("regression", functools.partial(dense_regression, sizes, np.float64)),
        ("regression", functools.partial(dense_regression, sizes, np.float32)),
        ("binary", functools.partial(sparse_binary, sizes)),
    ]
    return [_stream_case(label, data, config.repeats) for label, data in sources]


def _stream_case(label, data, repeats):
    def measure():
        X, _ = data()
        elapsed = median_time(X.sum, max(repeats, CHEAP_REPEATS))
        # X.sum() of a CSR matrix reads its values only.
        bytes_read = X.data.nbytes if sp.issparse(X) else X.nbytes
        notes = f"reads {bytes_read / 1e6:.0f} MB at {bytes_read / elapsed / 1e9:.1f} GB/s"
        return [
            Row(
                case=f"stream X once (X.sum()) · {label} {describe(X)}",
                skgd=seconds(elapsed),
                notes=notes,
            )
        ]

    return Case(f"stream X · {label}", measure)
