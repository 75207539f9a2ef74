"""Newton's method against scikit-learn's second-order and quasi-Newton solvers.

Every fit minimizes the same objective, ``mean loss + alpha/2 ||w||²`` with an
unpenalized intercept, to a tight tolerance. Solvers read their tolerance
differently, so each row also reports ``max|∇J|`` of that common objective at
the returned coefficients, computed here in float64 by one formula for all.
"""

import functools

import numpy as np
from _config import ALPHA, NEWTON_TOL
from _data import (
    dense_binary,
    dense_multiclass,
    dense_regression,
    describe,
    signed_labels,
    sparse_binary,
)
from _report import Case, comparison_row, ratio_goal, seconds
from _timing import interleaved_medians
from scipy.special import expit
from sklearn.linear_model import LogisticRegression, Ridge

from skgd import GDClassifier, GDRegressor

DENSE_LOGISTIC_GOALS = {"newton-cholesky": ratio_goal(0.6), "lbfgs": ratio_goal(1.2)}
SPARSE_LOGISTIC_GOALS = {"newton-cg": ratio_goal(1.0), "lbfgs": ratio_goal(1.5)}
RIDGE_GOAL = ratio_goal(1.0)
MULTINOMIAL_GOALS = {"lbfgs": ratio_goal(1.0), "newton-cholesky": ratio_goal(0.5)}

# Enough for lbfgs to reach tol=1e-8 on these problems; the iteration counts
# in the notes show whether a solver stopped on its budget instead.
REFERENCE_MAX_ITER = 1000
NEWTON_MAX_ITER = 100


def max_abs_gradient(X, y, coef, intercept, loss):
    """max|∇J| of ``mean loss + alpha/2 ||w||²`` at (coef, intercept), intercept included.

    ``y`` is -1/+1 for log_loss (``log(1 + exp(-y p))``) and the target for
    squared_error (``½ (p - y)²``).
    """
    coef = np.asarray(coef, dtype=np.float64).ravel()
    raw = np.asarray(X @ coef).ravel() + float(np.ravel(intercept)[0])
    if loss == "log_loss":
        dloss = -y * expit(-y * raw)
    else:
        dloss = raw - y
    grad_coef = np.asarray(X.T @ dloss).ravel() / X.shape[0] + ALPHA * coef
    return max(float(np.max(np.abs(grad_coef))), abs(float(np.mean(dloss))))


def _logistic_regression(solver, n_samples):
    # LogisticRegression minimizes C·Σ loss + ½||w||². Divided by C·n this is
    # skgd's mean loss + alpha/2 ||w||² when C = 1 / (n·alpha).
    return LogisticRegression(
        C=1.0 / (n_samples * ALPHA), tol=NEWTON_TOL, solver=solver, max_iter=REFERENCE_MAX_ITER
    )


def _precision_note(X, target, loss, fitted):
    """max|∇J| and iterations of each fitted estimator, in the order given."""
    parts = []
    for name, estimator in fitted:
        gradient = max_abs_gradient(X, target, estimator.coef_, estimator.intercept_, loss)
        # Ridge's cholesky solver is direct: its n_iter_ is None.
        n_iter = getattr(estimator, "n_iter_", None)
        iterations = "direct" if n_iter is None else f"{int(np.max(n_iter))} it"
        parts.append(f"{name} {gradient:.1e} ({iterations})")
    return "max|∇J|: " + ", ".join(parts)


def _logistic_row_name(label, X, solver):
    return f"newton · {label} {describe(X)}, log_loss vs LogisticRegression({solver})"


def _logistic_case(label, data, goals, repeats):
    def measure():
        X, y = data()
        skgd = GDClassifier(
            loss="log_loss",
            solver="newton",
            alpha=ALPHA,
            tol=NEWTON_TOL,
            max_iter=NEWTON_MAX_ITER,
        )
        references = {solver: _logistic_regression(solver, X.shape[0]) for solver in goals}
        fits = [functools.partial(model.fit, X, y) for model in (skgd, *references.values())]
        skgd_time, *reference_times = interleaved_medians(fits, repeats)
        rows = []
        for (solver, reference), reference_time in zip(
            references.items(), reference_times, strict=True
        ):
            notes = _precision_note(
                X, signed_labels(y), "log_loss", [("skgd", skgd), (solver, reference)]
            )
            case = _logistic_row_name(label, X, solver)
            rows.append(
                comparison_row(case, skgd_time, reference_time, seconds, goals[solver], notes)
            )
        return rows

    return Case(f"newton · {label}, log_loss", measure)


def logistic_cases(config):
    """Cases 3 and 4: Newton on log_loss, dense and sparse, to max|∇J| ≤ 1e-8."""
    sizes, repeats = config.sizes, config.repeats
    dense = functools.partial(dense_binary, sizes)
    sparse = functools.partial(sparse_binary, sizes)
    return [
        _logistic_case("binary", dense, DENSE_LOGISTIC_GOALS, repeats),
        _logistic_case("binary", sparse, SPARSE_LOGISTIC_GOALS, repeats),
    ]


def ridge_cases(config):
    """Case 5: Newton on squared_error (one Cholesky solve) against Ridge's."""

    def measure():
        X, y = dense_regression(config.sizes, np.float64)
        n_samples = X.shape[0]
        skgd = GDRegressor(solver="newton", alpha=ALPHA, tol=NEWTON_TOL, max_iter=NEWTON_MAX_ITER)
        # Ridge minimizes ||y - Xw||² + alpha_ridge ||w||², which is 2n times
        # skgd's ½ mean squared error + alpha/2 ||w||² when alpha_ridge = n·alpha.
        reference = Ridge(alpha=n_samples * ALPHA, solver="cholesky")
        skgd_time, reference_time = interleaved_medians(
            [functools.partial(skgd.fit, X, y), functools.partial(reference.fit, X, y)],
            config.repeats,
        )
        notes = _precision_note(X, y, "squared_error", [("skgd", skgd), ("Ridge", reference)])
        case = f"newton · regression {describe(X)}, squared_error vs Ridge(cholesky)"
        return [comparison_row(case, skgd_time, reference_time, seconds, RIDGE_GOAL, notes)]

    return [Case("newton · regression, squared_error", measure)]


def multinomial_cases(config):
    """Case 6: multinomial Newton (softmax log loss) on many classes, to tol 1e-8."""

    def measure():
        # 20 informative features: the multinomial Newton case of the goals.
        X, y = dense_multiclass(config.sizes, n_informative=20)
        skgd = GDClassifier(
            loss="log_loss",
            solver="newton",
            multi_class="multinomial",
            alpha=ALPHA,
            tol=NEWTON_TOL,
            max_iter=NEWTON_MAX_ITER,
        )
        references = {
            solver: _logistic_regression(solver, X.shape[0]) for solver in MULTINOMIAL_GOALS
        }
        fits = [functools.partial(model.fit, X, y) for model in (skgd, *references.values())]
        skgd_time, *reference_times = interleaved_medians(fits, config.repeats)
        proba = skgd.predict_proba(X)
        rows = []
        for (solver, reference), reference_time in zip(
            references.items(), reference_times, strict=True
        ):
            gap = float(np.max(np.abs(proba - reference.predict_proba(X))))
            notes = (
                f"max|Δproba| {gap:.1e}; iterations: skgd {skgd.n_iter_}, "
                f"{solver} {int(np.max(reference.n_iter_))}"
            )
            case = (
                f"newton · {config.sizes.n_classes}-class multinomial {describe(X)}, "
                f"log_loss vs LogisticRegression({solver})"
            )
            goal = MULTINOMIAL_GOALS[solver]
            rows.append(comparison_row(case, skgd_time, reference_time, seconds, goal, notes))
        return rows

    return [Case("newton · multinomial, log_loss", measure)]
