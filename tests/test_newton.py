"""Newton's method: its loop, and its curvature strategies under their thresholds.

The estimators run :func:`~skgd._solvers._newton.newton_solve` with the
default :class:`~skgd._solvers._curvature.CurvatureOptions`, whose
thresholds keep the float32, sampled and truncated (conjugate-gradient)
strategies for large data. To run them on small data, the tests below fit
the problems an estimator would fit with a
:class:`~skgd._solvers._newton.NewtonSolver` given other options
(:func:`_newton_fit`), and compare with the estimator's own fit.
"""

import types

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor
from skgd._loss import make_loss
from skgd._objective import LinearObjective, MultinomialObjective
from skgd._objective._multinomial import center
from skgd._penalty import make_penalty
from skgd._solvers import _small_newton as small_newton
from skgd._solvers._curvature import CurvatureOptions
from skgd._solvers._newton import NewtonSolver


def _standardized_regression(seed=0):
    X, y = make_regression(200, 5, noise=10.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


def _logistic_data():
    """The logistic problem of test_solvers.py: 200 × 5, 10% flipped labels, alpha 0.01."""
    X, y = make_classification(200, 5, n_informative=3, n_redundant=0, flip_y=0.1, random_state=0)
    return StandardScaler().fit_transform(X), y, 0.01


# --------------------------------------------------------------------------
# The seam: an estimator's Newton fit under other curvature options


def _newton_fit(estimator, X, y, options):
    """What ``estimator.fit(X, y)`` fits with ``solver="newton"``, under ``options``.

    The problems are built as the estimator builds them (one regression; one
    problem with ±1 targets for two classes, one per class beyond; or one
    multinomial problem), with unit weights, and solved from zero by a
    :class:`NewtonSolver`. Returns the fitted attributes the tests read, and
    the name of each problem's curvature strategy at the end of its fit.
    """
    params = estimator.get_params()
    penalty = make_penalty(params["penalty"], params["alpha"], params["l1_ratio"])
    loss = make_loss(params["loss"], epsilon=params["epsilon"])
    weight = np.ones(X.shape[0], dtype=X.dtype)
    fit_intercept = params["fit_intercept"]
    if isinstance(estimator, GDRegressor):
        objectives = [LinearObjective(loss, penalty, X, y, weight, fit_intercept)]
    else:
        classes = np.unique(y)
        if params["multi_class"] == "multinomial":
            indices = np.searchsorted(classes, y)
            objectives = [
                MultinomialObjective(penalty, X, indices, weight, fit_intercept, len(classes))
            ]
        else:
            positives = classes[1:] if len(classes) == 2 else classes
            objectives = [
                LinearObjective(
                    loss,
                    penalty,
                    X,
                    2.0 * (y == label).astype(X.dtype) - 1.0,
                    weight,
                    fit_intercept,
                )
                for label in positives
            ]
    results, strategies = [], []
    for objective in objectives:
        solver = NewtonSolver(max_iter=params["max_iter"], tol=params["tol"], options=options)
        if objective.n_classes is None:
            start = np.zeros(X.shape[1], dtype=X.dtype), 0.0
        else:
            start = (
                np.zeros((objective.n_classes, X.shape[1]), dtype=X.dtype),
                np.zeros(objective.n_classes, dtype=X.dtype),
            )
        results.append(solver.solve(objective, *start))
        strategies.append(type(solver.strategy).__name__)
    if isinstance(estimator, GDRegressor):
        coef, intercept = results[0].coef, np.array([float(results[0].intercept)])
    elif results[0].coef.ndim == 2:
        coef, intercept = center(results[0].coef, results[0].intercept)
    else:
        coef = np.stack([result.coef for result in results])
        intercept = np.array([float(result.intercept) for result in results])
    return types.SimpleNamespace(
        coef_=coef,
        intercept_=intercept,
        n_iter_=max(result.n_iter for result in results),
        converged_=all(result.converged for result in results),
        strategies=strategies,
    )


@pytest.mark.parametrize(
    "estimator",
    [
        GDRegressor(solver="newton", loss="huber", alpha=1e-3, tol=1e-8),
        GDClassifier(solver="newton", loss="log_loss", alpha=1e-3, tol=1e-8),
        GDClassifier(
            solver="newton", loss="log_loss", alpha=1e-3, tol=1e-8, multi_class="multinomial"
        ),
    ],
    ids=["regression", "ovr", "multinomial"],
)
def test_the_seam_fits_what_the_estimator_fits(estimator, monkeypatch):
    # With the default options the seam is the estimator's own Newton fit,
    # bit for bit: the tests below change nothing but the options. (On small
    # dense data the estimator runs NewtonSolver's loop compiled, which
    # tests/test_small_newton.py compares with it: here it is turned off.)
    monkeypatch.setattr(small_newton, "serves", lambda *args: False)
    if isinstance(estimator, GDRegressor):
        X, y = _standardized_regression()
        y = y / np.std(y)
    else:
        X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    fitted = estimator.fit(X, y)
    seam = _newton_fit(estimator, X, y, CurvatureOptions())
    np.testing.assert_array_equal(seam.coef_, fitted.coef_)
    np.testing.assert_array_equal(seam.intercept_, fitted.intercept_)
    assert seam.n_iter_ == fitted.n_iter_ > 1
    assert seam.converged_ and fitted.converged_


# --------------------------------------------------------------------------
# The loop


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_newton_solves_squared_error_in_one_iteration(fit_intercept, sparse, weighted):
    X, y = _standardized_regression(seed=3)
    y = y + 5.0
    n, d = X.shape
    alpha = 0.1
    s = np.random.RandomState(0).uniform(0.5, 2.0, size=n) if weighted else np.ones(n)
    s_norm = s / s.mean()
    if fit_intercept:
        x_mean, y_mean = s_norm @ X / n, s_norm @ y / n
    else:
        x_mean, y_mean = np.zeros(d), 0.0
    Xc, yc = X - x_mean, y - y_mean
    expected = np.linalg.solve(
        (Xc * s_norm[:, None]).T @ Xc / n + alpha * np.eye(d), Xc.T @ (s_norm * yc) / n
    )
    expected_intercept = y_mean - x_mean @ expected
    reg = GDRegressor(solver="newton", alpha=alpha, fit_intercept=fit_intercept, tol=1e-8)
    reg.fit(sp.csr_matrix(X) if sparse else X, y, sample_weight=s if weighted else None)
    assert reg.n_iter_ == 1
    assert reg.t_ == 2.0
    assert len(reg.loss_curve_) == 1
    np.testing.assert_allclose(reg.coef_, expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(reg.intercept_[0], expected_intercept, rtol=1e-10, atol=1e-10)


def test_newton_warns_on_separable_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    clf = GDClassifier(loss="log_loss", penalty=None, solver="newton", tol=1e-12, max_iter=5)
    with pytest.warns(ConvergenceWarning, match="Newton"):
        clf.fit(X, y)
    assert clf.n_iter_ == 5
    assert np.all(np.isfinite(clf.coef_)) and np.all(np.isfinite(clf.intercept_))
    assert clf.score(X, y) == 1.0
    # The weights grow along the separating direction without bound.
    assert np.linalg.norm(clf.coef_) > 5.0
    assert np.all(np.diff(clf.loss_curve_) < 0)


@pytest.mark.parametrize(
    "estimator, loss",
    [
        (GDRegressor, "epsilon_insensitive"),
        (GDClassifier, "epsilon_insensitive"),
        (GDClassifier, "hinge"),
        (GDClassifier, "perceptron"),
    ],
)
def test_newton_refuses_losses_without_second_derivative(estimator, loss):
    X, y = _standardized_regression()
    y_fit = y if estimator is GDRegressor else (y > 0).astype(int)
    with pytest.raises(ValueError, match="second derivative") as excinfo:
        estimator(loss=loss, solver="newton").fit(X, y_fit)
    message = str(excinfo.value)
    assert repr(loss) in message
    # It says what to use instead: a smooth loss or a first-order solver.
    assert "log_loss" in message and "squared_error" in message
    assert "'batch'" in message


@pytest.mark.parametrize("estimator", [GDRegressor, GDClassifier])
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_newton_refuses_l1_penalties(estimator, penalty):
    X, y = _standardized_regression()
    y_fit = y if estimator is GDRegressor else (y > 0).astype(int)
    loss = "squared_error" if estimator is GDRegressor else "log_loss"
    with pytest.raises(ValueError, match="penalty='l2'") as excinfo:
        estimator(loss=loss, solver="newton", penalty=penalty, alpha=0.01).fit(X, y_fit)
    assert "soft thresholding" in str(excinfo.value)
    assert repr(penalty) in str(excinfo.value)


def test_newton_accepts_penalties_without_l1_part():
    # elasticnet with l1_ratio=0 is l2; l1 with alpha=0 is no penalty.
    X, y = _standardized_regression()
    l2 = GDRegressor(solver="newton", penalty="l2", alpha=0.01).fit(X, y)
    enet = GDRegressor(solver="newton", penalty="elasticnet", l1_ratio=0.0, alpha=0.01).fit(X, y)
    np.testing.assert_allclose(enet.coef_, l2.coef_, rtol=1e-12)
    none = GDRegressor(solver="newton", penalty=None).fit(X, y)
    l1_zero = GDRegressor(solver="newton", penalty="l1", alpha=0.0).fit(X, y)
    np.testing.assert_allclose(l1_zero.coef_, none.coef_, rtol=1e-12)


# --------------------------------------------------------------------------
# Truncated Newton on wide data


@pytest.mark.parametrize("sparse", [False, True])
def test_truncated_newton_matches_the_cholesky_solution(sparse):
    # Conjugate gradients replace Cholesky beyond cg_min_features features;
    # lowering the threshold runs both on one problem.
    X, y, alpha = _logistic_data()
    X = sp.csr_matrix(X) if sparse else X
    params = dict(loss="log_loss", alpha=alpha, solver="newton", tol=1e-10)
    exact = GDClassifier(**params).fit(X, y)
    options = CurvatureOptions(cg_min_features=0)
    truncated = _newton_fit(GDClassifier(**params), X, y, options)
    assert truncated.strategies == ["ConjugateGradientCurvature"]
    np.testing.assert_allclose(truncated.coef_, exact.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(truncated.intercept_, exact.intercept_, rtol=1e-7, atol=1e-9)


def test_truncated_newton_never_forms_a_dense_hessian(monkeypatch):
    from skgd._objective import _linear as _objective

    def refuse(*args, **kwargs):
        raise AssertionError("a dense Hessian was built")

    monkeypatch.setattr(_objective.LinearObjective, "hessian", refuse)
    monkeypatch.setattr(_objective, "weighted_gram", refuse)
    rng = np.random.RandomState(0)
    X = sp.random(300, 3000, density=0.01, format="csr", random_state=rng)
    y = rng.randint(0, 2, size=300)
    est = GDClassifier(loss="log_loss", solver="newton", alpha=1e-2, tol=1e-8).fit(X, y)
    assert np.all(np.isfinite(est.coef_))


# --------------------------------------------------------------------------
# Newton with float32 Hessians on large dense float64 data


# Float32 sums wherever the loss's Hessian changes with the coefficients.
LOW_PRECISION_EVERYWHERE = CurvatureOptions(low_precision_min_work=0)


def _record_small_hessians(monkeypatch, record):
    """Patch the compiled Hessian of small dense data to append False to ``record``
    per call: it sums in the data's precision, over every row."""
    from skgd._objective import _dense_hessian

    packed = _dense_hessian.packed_hessian

    def recording(*args):
        record.append(False)
        return packed(*args)

    monkeypatch.setattr(_dense_hessian, "packed_hessian", recording)


def _record_gram_precision(monkeypatch):
    """Patch the Hessians' sums to record their ``low_precision`` flag per call."""
    from skgd._objective import _linear as _objective
    from skgd._objective import _multinomial

    flags = []
    gram, softmax = _objective.weighted_gram, _multinomial.softmax_hessian
    _record_small_hessians(monkeypatch, flags)

    def recording_gram(X, d, low_precision=False, rows=None):
        flags.append(low_precision)
        return gram(X, d, low_precision, rows)

    def recording_softmax(X, proba, weight, fit_intercept, low_precision=False, rows=None):
        flags.append(low_precision)
        return softmax(X, proba, weight, fit_intercept, low_precision, rows)

    monkeypatch.setattr(_objective, "weighted_gram", recording_gram)
    monkeypatch.setattr(_multinomial, "softmax_hessian", recording_softmax)
    return flags


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
def test_float32_hessians_reach_the_float64_solution(multi_class, monkeypatch):
    X, y = make_classification(2000, 8, n_informative=4, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    params = dict(loss="log_loss", solver="newton", alpha=1e-3, tol=1e-10)
    params["multi_class"] = multi_class
    exact = GDClassifier(**params).fit(X, y)
    flags = _record_gram_precision(monkeypatch)
    fast = _newton_fit(GDClassifier(**params), X, y, LOW_PRECISION_EVERYWHERE)
    assert flags and all(flags[:1])
    np.testing.assert_allclose(fast.coef_, exact.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fast.intercept_, exact.intercept_, rtol=1e-8, atol=1e-10)


def test_ill_conditioned_hessians_return_to_float64(monkeypatch):
    X, y = make_classification(2000, 8, random_state=0)
    X = StandardScaler().fit_transform(X)
    X[:, 0] *= 1e3  # cond(H) ≥ 1e6: beyond what a float32 Hessian can steer
    params = dict(loss="log_loss", solver="newton", alpha=1e-3, tol=1e-10)
    exact = GDClassifier(**params).fit(X, y)
    flags = _record_gram_precision(monkeypatch)
    fast = _newton_fit(GDClassifier(**params), X, y, LOW_PRECISION_EVERYWHERE)
    assert flags[0] is True and not any(flags[1:])
    np.testing.assert_allclose(fast.coef_, exact.coef_, rtol=1e-8, atol=1e-10)


def test_quadratic_losses_keep_float64_hessians(monkeypatch):
    flags = _record_gram_precision(monkeypatch)
    X, y = _standardized_regression()
    est = _newton_fit(GDRegressor(solver="newton", alpha=1e-3), X, y, LOW_PRECISION_EVERYWHERE)
    assert flags == [False]
    assert est.n_iter_ == 1


# --------------------------------------------------------------------------
# Newton with Hessians from a sample of rows on tall dense data


def _sample_everything(monkeypatch, fraction=1 / 8):
    """Options that let every Newton fit sample its Hessian, and a record of
    whether each Gram product was over a sample of rows."""
    from skgd._objective import _linear as _objective

    options = CurvatureOptions(
        sample_min_work=0, min_sample_rows_per_param=1, sample_fraction=fraction
    )
    sampled = []
    original = _objective.weighted_gram
    _record_small_hessians(monkeypatch, sampled)

    def recording(X, d, low_precision=False, rows=None):
        sampled.append(rows is not None)
        return original(X, d, low_precision, rows)

    monkeypatch.setattr(_objective, "weighted_gram", recording)
    return options, sampled


def test_sampled_hessians_reach_the_exact_solution(monkeypatch):
    X, y = make_classification(8000, 10, random_state=0)
    X = StandardScaler().fit_transform(X)
    params = dict(loss="log_loss", solver="newton", alpha=1e-3, tol=1e-10)
    exact = GDClassifier(**params).fit(X, y)
    options, sampled = _sample_everything(monkeypatch)
    fast = _newton_fit(GDClassifier(**params), X, y, options)
    assert sampled and all(sampled)
    assert fast.converged_
    np.testing.assert_allclose(fast.coef_, exact.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fast.intercept_, exact.intercept_, rtol=1e-7, atol=1e-9)
    again = _newton_fit(GDClassifier(**params), X, y, options)
    np.testing.assert_array_equal(again.coef_, fast.coef_)


def test_too_small_a_sample_gives_way_to_the_full_hessian(monkeypatch):
    # 12 rows per half cannot estimate an 11 × 11 Hessian: the first step's
    # estimated error is far above max_step_error, so the fit goes on with
    # full Hessians and reaches the exact solution.
    X, y = make_classification(400, 10, random_state=0)
    X = StandardScaler().fit_transform(X)
    params = dict(loss="log_loss", solver="newton", alpha=1e-2, tol=1e-10)
    exact = GDClassifier(**params).fit(X, y)
    options, sampled = _sample_everything(monkeypatch, fraction=0.06)
    fast = _newton_fit(GDClassifier(**params), X, y, options)
    assert sampled[:2] == [True, True] and not any(sampled[2:])
    np.testing.assert_allclose(fast.coef_, exact.coef_, rtol=1e-9, atol=1e-12)


def test_sampled_step_error_measures_the_spread():
    from skgd._solvers._curvature import sampled_step_error

    hessian = np.diag([4.0, 1.0])
    grad = np.array([1.0, -2.0])

    def solve(rhs):
        return np.linalg.solve(hessian, rhs)

    step = -solve(grad)
    assert sampled_step_error(solve, np.zeros((2, 2)), step, grad) == 0.0
    # A spread of 10% of H changes the step by 10% in H's norm.
    assert sampled_step_error(solve, 0.1 * hessian, step, grad) == pytest.approx(0.1)


def test_quadratic_losses_never_sample_the_hessian(monkeypatch):
    options, sampled = _sample_everything(monkeypatch)
    X, y = _standardized_regression()
    _newton_fit(GDRegressor(solver="newton", alpha=1e-3), X, y, options)
    assert sampled == [False]


# --------------------------------------------------------------------------
# Conjugate gradients preconditioned by a sampled Hessian, for many parameters


def _multinomial_data(n_samples, n_features, n_classes, seed=0):
    X, y = make_classification(
        n_samples,
        n_features,
        n_informative=n_features // 2,
        n_classes=n_classes,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def test_many_parameters_precondition_conjugate_gradients_by_default():
    # 5 classes × 61 columns = 305 parameters and 40 rows per parameter:
    # the default options choose the preconditioned strategy, and the fit
    # gives scikit-learn's model.
    from sklearn.linear_model import LogisticRegression

    X, y = _multinomial_data(12_000, 60, 5)
    params = dict(loss="log_loss", solver="newton", alpha=1e-4, tol=1e-8)
    est = GDClassifier(multi_class="multinomial", **params)
    seam = _newton_fit(est, X, y, CurvatureOptions())
    assert seam.strategies == ["PreconditionedCurvature"] and seam.converged_
    fitted = est.fit(X, y)
    np.testing.assert_array_equal(fitted.coef_, seam.coef_)
    reference = LogisticRegression(C=1 / (X.shape[0] * 1e-4), tol=1e-10, max_iter=1000)
    reference.fit(X, y)
    np.testing.assert_allclose(fitted.predict_proba(X), reference.predict_proba(X), atol=1e-6)


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_preconditioned_steps_reach_the_cholesky_solution(multi_class, fit_intercept):
    X, y = _multinomial_data(3000, 8, 3)
    params = dict(loss="log_loss", solver="newton", alpha=1e-3, tol=1e-10)
    est = GDClassifier(multi_class=multi_class, fit_intercept=fit_intercept, **params)
    exact = _newton_fit(est, X, y, CurvatureOptions())
    options = CurvatureOptions(preconditioned_min_params=0)
    fast = _newton_fit(est, X, y, options)
    assert set(exact.strategies) == {"CholeskyCurvature"}
    assert set(fast.strategies) == {"PreconditionedCurvature"} and fast.converged_
    # max|gradient| ≤ 1e-10 over a curvature of at least alpha leaves 1e-7.
    np.testing.assert_allclose(fast.coef_, exact.coef_, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(fast.intercept_, exact.intercept_, rtol=1e-7, atol=1e-8)


def test_a_poor_preconditioner_costs_iterations_not_accuracy():
    # One row per parameter: the sampled Hessian is a rough estimate, yet
    # the steps use exact products, so the fit converges to the same model.
    X, y = _multinomial_data(3000, 8, 3)
    est = GDClassifier(loss="log_loss", solver="newton", alpha=1e-3, tol=1e-10)
    est.set_params(multi_class="multinomial")
    exact = _newton_fit(est, X, y, CurvatureOptions())
    options = CurvatureOptions(preconditioned_min_params=0, preconditioner_rows_per_param=1)
    rough = _newton_fit(est, X, y, options)
    assert rough.strategies == ["PreconditionedCurvature"] and rough.converged_
    np.testing.assert_allclose(rough.coef_, exact.coef_, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("sparse", [False, True])
def test_softmax_hessian_products_match_the_hessian(sparse):
    # Away from the softmax's flat directions (which the Hessian fills and
    # the products leave), H v is the same from the matrix and the product.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 6))
    if sparse:
        X = sp.csr_matrix(np.where(X > 0.3, X, 0.0))
    y = rng.integers(0, 4, size=400)
    weight = rng.uniform(0.5, 2.0, size=400)
    objective = MultinomialObjective(make_penalty("l2", 0.1, 0.15), X, y, weight, True, 4)
    coef, intercept = rng.normal(size=(4, 6)), rng.normal(size=4)
    v = rng.normal(size=objective.n_params)
    v[-4:] -= v[-4:].mean()
    matrix = objective.hessian(coef, intercept)
    product = objective.hessian_product(coef, intercept)
    np.testing.assert_allclose(product(v), matrix @ v, rtol=1e-12, atol=1e-12)
    sampled = objective.hessian(coef, intercept, rows=np.arange(0, 400, 2))
    assert sampled.shape == matrix.shape
    np.testing.assert_allclose(sampled, sampled.T)
