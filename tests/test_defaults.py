"""Every solver works at its defaults, and its default steps are the documented formulas.

The panel (``tests/_defaults_panel.py``) scores every solver with only
``solver`` set on eight data sets, raw and standardized, against
scikit-learn's SGD estimators and the exact penalized fit. The step rules
are compared with plain NumPy loops and the step policies with their
formulas written out here.
"""

import warnings

import numpy as np
import pytest
from _defaults_panel import DATA_SETS, REGRESSION, SOLVERS, panel_row
from sklearn.datasets import load_diabetes, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor

SMOOTH_LOSS_SOLVERS = ("batch", "newton")


@pytest.mark.parametrize("data", list(DATA_SETS))
def test_every_solver_scores_at_its_defaults(data):
    standardized = panel_row(data, standardized=True)
    floor = min(standardized.sgd_reference, standardized.exact) - 0.02
    for solver, score in standardized.scores.items():
        assert score >= floor, (solver, score, standardized)
    # The classifiers' first-order solvers use the default hinge loss, whose
    # kinks may leave batch short of its tolerance; the smooth losses may not.
    smooth = data in REGRESSION
    for solver in SMOOTH_LOSS_SOLVERS:
        if smooth or solver == "newton":
            assert solver not in standardized.warned, standardized

    raw = panel_row(data, standardized=False, exact=False)  # and no exception
    if raw.sgd_reference > 0:
        for solver, score in raw.scores.items():
            if solver != "sgd":
                assert score >= raw.sgd_reference - 0.02, (solver, score, raw)


def _chunks_fit(estimator, X, y, classes):
    for _ in range(3):
        for rows in np.array_split(np.arange(X.shape[0]), 10):
            estimator.partial_fit(X[rows], y[rows], classes=classes)
    return estimator


@pytest.mark.parametrize("solver", ["sgd", "minibatch", "momentum"])
def test_partial_fit_at_the_defaults_keeps_up_with_sgdclassifier(solver):
    X, y = make_classification(2000, 10, n_informative=5, random_state=0)
    X = StandardScaler().fit_transform(X)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    classes = np.unique(y)
    ours, theirs = [], []
    for seed in range(5):
        estimator = GDClassifier(loss="log_loss", solver=solver, random_state=seed)
        ours.append(_chunks_fit(estimator, X_train, y_train, classes).score(X_test, y_test))
        reference = SGDClassifier(loss="log_loss", random_state=seed)
        theirs.append(_chunks_fit(reference, X_train, y_train, classes).score(X_test, y_test))
    assert np.median(ours) >= np.median(theirs) - 0.02, (ours, theirs)


# -- the step policies: each default first step is its formula ------------------------


def _smoothness(X, curvature, fit_intercept=True):
    """Per-row ``c (‖x‖² + 1)`` by a plain loop."""
    return np.array([curvature * (row @ row + fit_intercept) for row in X])


def _standardized_diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_minibatch_starts_at_one_over_the_expected_smoothness_of_a_batch():
    # Gower et al. (2019), sampling B of n rows without replacement:
    # L_B = n (B − 1) / (B (n − 1)) L + (n − B) / (B (n − 1)) L_max, with the
    # trace bound L̄ for L, plus the L2 penalty's alpha.
    X, y = _standardized_diabetes()
    n, B, alpha = X.shape[0], 32, 1e-4
    rows = _smoothness(X, curvature=1.0)
    expected = n * (B - 1) / (B * (n - 1)) * rows.mean() + (n - B) / (B * (n - 1)) * rows.max()
    fitted = GDRegressor(solver="minibatch", random_state=0).fit(X, y)
    assert fitted.learning_rate_ == "adaptive"
    np.testing.assert_allclose(fitted.eta0_, 1.0 / (expected + alpha), rtol=1e-12)
    # momentum divides by the sum 1 / (1 − μ) of its steps along a steady gradient.
    momentum = GDRegressor(solver="momentum", momentum=0.8, random_state=0).fit(X, y)
    np.testing.assert_allclose(momentum.eta0_, 0.2 / (expected + alpha), rtol=1e-12)


def test_a_larger_batch_takes_a_larger_step():
    X, y = _standardized_diabetes()
    steps = [
        GDRegressor(solver="minibatch", batch_size=size, max_iter=2, tol=None).fit(X, y).eta0_
        for size in (1, 8, 64, X.shape[0])
    ]
    assert np.all(np.diff(steps) > 0)
    rows = _smoothness(X, curvature=1.0)
    # One row: 1 / L_max; every row: 1 / L̄.
    np.testing.assert_allclose(steps[0], 1.0 / (rows.max() + 1e-4), rtol=1e-12)
    np.testing.assert_allclose(steps[-1], 1.0 / (rows.mean() + 1e-4), rtol=1e-12)


def test_batch_searches_from_one_over_the_trace_bound():
    X, y = _standardized_diabetes()
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=X.shape[0])
    fitted = GDRegressor(solver="batch").fit(X, y, sample_weight=weights)
    # Weights of mean 1 scale each row's curvature.
    rows = weights / weights.mean() * _smoothness(X, curvature=1.0)
    assert fitted.learning_rate_ == "line_search"
    np.testing.assert_allclose(fitted.eta0_, 1.0 / (rows.mean() + 1e-4), rtol=1e-12)


@pytest.mark.parametrize(("loss", "curvature"), [("log_loss", 0.25), ("squared_hinge", 2.0)])
def test_the_step_follows_the_losss_curvature(loss, curvature):
    X, y = make_classification(300, 5, random_state=0)
    fitted = GDClassifier(solver="batch", loss=loss, fit_intercept=False).fit(X, y)
    rows = _smoothness(X, curvature, fit_intercept=False)
    np.testing.assert_allclose(fitted.eta0_, 1.0 / (rows.mean() + 1e-4), rtol=1e-12)


def test_an_explicit_step_is_used_as_given():
    X, y = _standardized_diabetes()
    fitted = GDRegressor(solver="minibatch", learning_rate="invscaling", eta0=0.003).fit(X, y)
    assert (fitted.learning_rate_, fitted.eta0_) == ("invscaling", 0.003)
    automatic = GDRegressor(solver="minibatch", eta0=0.003).fit(X, y)
    assert (automatic.learning_rate_, automatic.eta0_) == ("adaptive", 0.003)


# -- the step rules against plain NumPy loops ------------------------------------------


def _heavy_ball(X, y, eta, mu, n_steps, nesterov):
    """Full-batch heavy ball (or Nesterov, as torch.optim.SGD) on ½ mean (Xw + b − y)²."""
    n = X.shape[0]
    w, b = np.zeros(X.shape[1]), 0.0
    velocity, velocity_b = np.zeros_like(w), 0.0
    for _ in range(n_steps):
        residual = X @ w + b - y
        grad, grad_b = X.T @ residual / n, residual.mean()
        velocity, velocity_b = mu * velocity + grad, mu * velocity_b + grad_b
        if nesterov:
            w, b = w - eta * (grad + mu * velocity), b - eta * (grad_b + mu * velocity_b)
        else:
            w, b = w - eta * velocity, b - eta * velocity_b
    return w, b


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_is_the_textbook_heavy_ball_or_nesterov(nesterov):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    params = dict(
        solver="momentum",
        momentum=0.7,
        nesterov=nesterov,
        batch_size=X.shape[0],  # every row: a deterministic gradient per step
        learning_rate="constant",
        eta0=0.05,
        penalty=None,
        shuffle=False,
        tol=None,
        max_iter=6,
    )
    fitted = GDRegressor(**params).fit(X, y)
    w, b = _heavy_ball(X, y, 0.05, 0.7, 6, nesterov)
    np.testing.assert_allclose(fitted.coef_, w, rtol=1e-12)
    np.testing.assert_allclose(fitted.intercept_[0], b, rtol=1e-12)
    # The two rules differ after the first step: ignoring nesterov fails.
    other, _ = _heavy_ball(X, y, 0.05, 0.7, 6, not nesterov)
    assert not np.allclose(fitted.coef_, other, rtol=1e-6)


def test_batch_line_search_steps_are_barzilai_borwein_after_the_first():
    # On a quadratic the first search accepts 1 / L̄ (it descends); the next
    # starts from sᵀs / sᵀy, which the monotone test accepts here.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2)) * np.array([1.0, 0.2])
    y = X @ np.array([1.0, 3.0])
    n = X.shape[0]
    fitted = GDRegressor(solver="batch", penalty=None, fit_intercept=False, tol=None, max_iter=2)
    fitted.fit(X, y)
    w0 = np.zeros(2)
    grad0 = X.T @ (X @ w0 - y) / n
    eta = 1.0 / np.mean(np.sum(X * X, axis=1))
    w1 = w0 - eta * grad0
    grad1 = X.T @ (X @ w1 - y) / n
    s, change = w1 - w0, grad1 - grad0
    w2 = w1 - (s @ s) / (s @ change) * grad1
    np.testing.assert_allclose(fitted.coef_, w2, rtol=1e-12)


def test_no_default_fit_on_the_panel_needs_a_restart():
    # The default steps are safe: recovery is for explicit ones.
    for data in ("iris", "diabetes", "around_100"):
        X, y = DATA_SETS[data]()
        for solver in SOLVERS:
            cls = GDRegressor if data in REGRESSION else GDClassifier
            params = {"loss": "log_loss"} if solver == "newton" and cls is GDClassifier else {}
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", ConvergenceWarning)
                cls(solver=solver, random_state=0, **params).fit(X, y)
            assert not any("restarted" in str(w.message) for w in caught), (data, solver)
