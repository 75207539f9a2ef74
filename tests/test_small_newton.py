"""The compiled Newton loop of small dense fits (:mod:`skgd._solvers._small_newton`).

It must fit what :class:`~skgd._solvers._newton.NewtonSolver` fits: the
same iterations, the same stopping, the same model to rounding.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor
from skgd._loss import make_loss
from skgd._objective import LinearObjective
from skgd._objective._dense_hessian import MAX_ROWS
from skgd._penalty import Penalty
from skgd._solvers import _small_newton as small_newton
from skgd._solvers._curvature import factorize

CLASSIFICATION_LOSSES = ["log_loss", "modified_huber", "squared_hinge"]
REGRESSION_LOSSES = ["squared_error", "huber", "squared_epsilon_insensitive"]


def _data(loss, n=300, dtype=np.float64):
    if loss in CLASSIFICATION_LOSSES:
        X, y = make_classification(n, 6, random_state=0)
    else:
        X, y = make_regression(n, 6, noise=1.0, random_state=0)
        y = y / np.std(y)
    return StandardScaler().fit_transform(X).astype(dtype), y


def _estimator(loss, **params):
    Estimator = GDClassifier if loss in CLASSIFICATION_LOSSES else GDRegressor
    return Estimator(loss=loss, solver="newton", **params)


def _fit(estimator, X, y, compiled, monkeypatch, **fit_params):
    """``estimator`` fitted by the compiled loop or by NewtonSolver; and how
    many problems the compiled loop solved."""
    solved = []
    solve = small_newton.small_newton_solve

    def recording(*args, **kwargs):
        result = solve(*args, **kwargs)
        solved.append(result is not None)
        return result

    with monkeypatch.context() as patch:
        patch.setattr(small_newton, "small_newton_solve", recording)
        if not compiled:
            patch.setattr(small_newton, "serves", lambda *args: False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(X, y, **fit_params)
    return estimator, sum(solved)


def _assert_same_fit(compiled, reference, rtol):
    assert compiled.n_iter_ == reference.n_iter_
    assert compiled.converged_ == reference.converged_
    scale = max(1.0, float(np.max(np.abs(reference.coef_))))
    np.testing.assert_allclose(compiled.coef_, reference.coef_, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(
        compiled.intercept_, reference.intercept_, rtol=rtol, atol=rtol * scale
    )
    np.testing.assert_allclose(compiled.loss_curve_, reference.loss_curve_, rtol=rtol)


@pytest.mark.parametrize("Estimator", [GDClassifier, GDRegressor])
def test_default_newton_fits_on_small_dense_data_run_compiled(Estimator, monkeypatch):
    loss = "log_loss" if Estimator is GDClassifier else "squared_error"
    X, y = _data(loss)
    estimator, solved = _fit(Estimator(loss=loss, solver="newton"), X, y, True, monkeypatch)
    assert solved == 1
    assert estimator.converged_


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss", CLASSIFICATION_LOSSES + REGRESSION_LOSSES)
def test_the_compiled_loop_fits_what_newton_solver_fits(
    loss, fit_intercept, weighted, monkeypatch
):
    X, y = _data(loss)
    params = {"alpha": 1e-3, "fit_intercept": fit_intercept}
    weight = np.random.default_rng(0).uniform(0.2, 2.0, len(y)) if weighted else None
    compiled, solved = _fit(
        _estimator(loss, **params), X, y, True, monkeypatch, sample_weight=weight
    )
    reference, _ = _fit(_estimator(loss, **params), X, y, False, monkeypatch, sample_weight=weight)
    assert solved == 1
    _assert_same_fit(compiled, reference, rtol=1e-10)


@pytest.mark.parametrize("loss", ["log_loss", "squared_error"])
def test_float32_fits_match_to_float32_precision(loss, monkeypatch):
    X, y = _data(loss, dtype=np.float32)
    compiled, solved = _fit(_estimator(loss, alpha=1e-3), X, y, True, monkeypatch)
    reference, _ = _fit(_estimator(loss, alpha=1e-3), X, y, False, monkeypatch)
    assert solved == 1
    assert compiled.coef_.dtype == np.float32
    _assert_same_fit(compiled, reference, rtol=1e-5)


def test_one_vs_rest_problems_each_run_compiled(monkeypatch):
    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    compiled, solved = _fit(_estimator("log_loss"), X, y, True, monkeypatch)
    reference, _ = _fit(_estimator("log_loss"), X, y, False, monkeypatch)
    assert solved == 3
    _assert_same_fit(compiled, reference, rtol=1e-10)


def test_partial_fit_steps_match(monkeypatch):
    # partial_fit's k-th call moves 1/k of the Newton step (max_step < 1).
    X, y = _data("log_loss")
    models = []
    for compiled in (True, False):
        estimator = _estimator("log_loss", alpha=1e-3)
        with monkeypatch.context() as patch:
            if not compiled:
                patch.setattr(small_newton, "serves", lambda *args: False)
            for start in range(0, 300, 100):
                estimator.partial_fit(X[start : start + 100], y[start : start + 100], [0, 1])
        models.append(estimator)
    np.testing.assert_allclose(models[0].coef_, models[1].coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(models[0].intercept_, models[1].intercept_, rtol=1e-10)


def test_a_hessian_without_curvature_is_damped_as_newton_solver_damps_it(monkeypatch):
    # Huber's second derivative is zero beyond epsilon: targets far from every
    # starting prediction give a first Hessian whose intercept row is zero.
    # The compiled loop damps it instead of handing the fit back.
    X, y = _data("huber")
    y = 50.0 * y
    compiled, solved = _fit(_estimator("huber", alpha=1e-2), X, y, True, monkeypatch)
    reference, _ = _fit(_estimator("huber", alpha=1e-2), X, y, False, monkeypatch)
    assert solved == 1
    _assert_same_fit(compiled, reference, rtol=1e-8)


def test_damped_factor_solves_as_factorize_does():
    singular = np.array([[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    factor = np.zeros_like(singular)
    assert not small_newton._cholesky(singular, factor)
    assert small_newton._factorize(singular, factor)
    rhs = np.array([1.0, -1.0, 2.0])
    solution = np.empty(3)
    small_newton._cholesky_solve(factor, rhs, solution)
    expected = factorize(np, singular)[0](rhs)
    np.testing.assert_allclose(solution, expected, rtol=1e-6)
    not_finite = singular.copy()
    not_finite[0, 0] = np.nan
    assert not small_newton._factorize(not_finite, factor)


def test_a_start_that_is_not_finite_goes_back_to_newton_solver():
    # Squares of 1e200 overflow: NewtonSolver refuses to start, with its advice.
    X = np.ones((5, 2))
    y = np.full(5, 1e200)
    objective = LinearObjective(make_loss("squared_error"), Penalty(), X, y, np.ones(5), True)
    assert small_newton.serves(objective, None, 0)
    assert small_newton.small_newton_solve(objective, np.zeros(2), 0.0) is None
    with pytest.raises(ValueError, match="Newton's method cannot start"):
        GDRegressor(solver="newton").fit(X, y)


def _objective(X):
    y = np.ones(X.shape[0])
    return LinearObjective(
        make_loss("log_loss"), Penalty(alpha=1e-3), X, y, np.ones(X.shape[0]), True
    )


def test_only_fits_that_nothing_watches_on_small_dense_data_run_compiled():
    X = np.random.default_rng(0).normal(size=(50, 3))
    assert small_newton.serves(_objective(X), None, 0)
    assert not small_newton.serves(_objective(X), object(), 0)  # a callback's monitor
    assert not small_newton.serves(_objective(X), None, 1)  # verbose
    assert not small_newton.serves(_objective(sp.csr_matrix(X)), None, 0)
    assert not small_newton.serves(_objective(np.asfortranarray(X)), None, 0)
    tall = np.random.default_rng(0).normal(size=(MAX_ROWS + 1, 3))
    assert not small_newton.serves(_objective(tall), None, 0)
    l1 = LinearObjective(
        make_loss("log_loss"), Penalty(1e-3, 0.5), X, np.ones(50), np.ones(50), True
    )
    assert not small_newton.serves(l1, None, 0)


def test_verbose_fits_report_every_iteration(capsys):
    X, y = _data("log_loss")
    estimator = _estimator("log_loss", verbose=1).fit(X, y)
    assert capsys.readouterr().out.count("Newton iteration") == estimator.n_iter_


def test_the_loss_curve_grows_past_its_first_allocation():
    curve, n_iter = np.empty(2), 0
    for value in (3.0, 2.0, 1.0, 0.5, 0.25):
        curve, n_iter = small_newton._record(curve, n_iter, value)
    assert n_iter == 5
    np.testing.assert_array_equal(curve[:5], [3.0, 2.0, 1.0, 0.5, 0.25])
