"""Drop-in parity with scikit-learn's SGD estimators, and what goes beyond them.

- solver="sgd" gives scikit-learn's model for the same seed: the same
  coefficients, n_iter_ and t_ over a grid of losses, penalties, learning
  rates, averaging and options, at the default tol;
- averaged SGD matches a plain implementation of averaging;
- partial_fit on chunks reaches the score of fit, for every solver;
- the multinomial option matches LogisticRegression.
"""

import itertools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _versions import compares_with_sgd
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    LogisticRegression,
    Perceptron,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor, PerceptronGD


def _split(X, y):
    return train_test_split(StandardScaler().fit_transform(X), y, random_state=0)


REGRESSION = _split(*make_regression(400, 10, noise=20.0, random_state=0))
CLASSIFICATION = _split(*make_classification(400, 10, random_state=0))


def _reference_asgd(X, y, eta, alpha, average_start, intercept_decay=1.0):
    """Averaged SGD for ½(x·w + b − y)² + alpha/2 ||w||², written out plainly.

    The intercept's step is scaled by ``intercept_decay``, as scikit-learn
    does on sparse data.
    """
    w, b = np.zeros(X.shape[1]), 0.0
    w_avg, b_avg = np.zeros_like(w), 0.0
    t = 1
    for i in range(X.shape[0]):
        residual = X[i] @ w + b - y[i]
        w = (1 - eta * alpha) * w - eta * residual * X[i]
        b = b - eta * residual * intercept_decay
        if t >= average_start:
            k = t - average_start + 1
            w_avg += (w - w_avg) / k
            b_avg += (b - b_avg) / k
        t += 1
    return w_avg, b_avg


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("average", [1, 7])
def test_averaged_sgd_matches_a_plain_implementation(average, sparse):
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    X[rng.rand(30, 3) < 0.5] = 0.0
    est = GDRegressor(
        solver="sgd",
        learning_rate="constant",
        eta0=0.05,
        alpha=0.1,
        average=average,
        shuffle=False,
        max_iter=1,
        tol=None,
    ).fit(sp.csr_matrix(X) if sparse else X, y)
    decay = 0.01 if sparse else 1.0
    coef, intercept = _reference_asgd(X, y, 0.05, 0.1, average, intercept_decay=decay)
    np.testing.assert_allclose(est.coef_, coef, rtol=1e-12)
    np.testing.assert_allclose(est.intercept_[0], intercept, rtol=1e-12)


@compares_with_sgd
@pytest.mark.parametrize("average", [False, True])
@pytest.mark.parametrize(
    "estimators", [(GDRegressor, SGDRegressor), (GDClassifier, SGDClassifier)]
)
def test_sparse_intercept_moves_as_in_scikit_learn(estimators, average):
    # Rows without non-zeros teach the intercept alone, and without shuffling
    # both libraries visit them in the same order: the paths agree exactly,
    # including scikit-learn's slower intercept on sparse data.
    ours, reference = estimators
    rng = np.random.RandomState(0)
    X = sp.csr_matrix((40, 3))
    y = rng.normal(size=40) + 2.0
    if ours is GDClassifier:
        y = (y > 2.0).astype(int)
    params = dict(learning_rate="constant", eta0=0.5, shuffle=False, max_iter=3, tol=None)
    ours, reference = (cls(average=average, **params).fit(X, y) for cls in estimators)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, rtol=1e-12)
    dense = estimators[0](average=average, **params).fit(X.toarray(), y)
    # Dense rows move the intercept at the full step: another path.
    assert abs(dense.intercept_[0] - ours.intercept_[0]) > 0.1


# --------------------------------------------------------------------------
# partial_fit


PARTIAL_FIT_SETTINGS = {
    # Averaging takes the noise out of the stochastic solvers' final iterate,
    # so that five passes compare with a converged fit.
    "sgd": {"average": 10},
    "minibatch": {"average": 10},
    "momentum": {"average": 10, "learning_rate": "constant", "eta0": 0.002},
    "batch": {"learning_rate": "line_search", "average": 10},
    "newton": {},
}


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
@pytest.mark.parametrize("solver", list(PARTIAL_FIT_SETTINGS))
def test_partial_fit_on_chunks_reaches_the_score_of_fit(solver, multi_class):
    X, y = make_classification(3000, 20, n_classes=3, n_informative=5, random_state=0)
    X = StandardScaler().fit_transform(X)
    params = dict(
        loss="log_loss",
        alpha=1e-3,
        solver=solver,
        multi_class=multi_class,
        random_state=0,
        **PARTIAL_FIT_SETTINGS[solver],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = GDClassifier(**params).fit(X, y).score(X, y)
    chunked = GDClassifier(**params)
    for _ in range(5):
        for rows in np.array_split(np.arange(X.shape[0]), 10):
            chunked.partial_fit(X[rows], y[rows], classes=[0, 1, 2])
    assert abs(chunked.score(X, y) - full) <= 0.01
    assert len(chunked.loss_curve_) == 50


@pytest.mark.parametrize("solver", list(PARTIAL_FIT_SETTINGS))
def test_partial_fit_regressor_reaches_the_score_of_fit(solver):
    X, y = make_regression(2000, 10, noise=10.0, random_state=0)
    X, y = StandardScaler().fit_transform(X), y / y.std()
    settings = {
        # Constant steps: the default invscaling schedule decays by batches,
        # too slowly to converge in five passes.
        "minibatch": {"learning_rate": "constant", "eta0": 0.05, "average": 10},
        "momentum": {"learning_rate": "constant", "eta0": 0.005, "average": 10},
    }.get(solver, PARTIAL_FIT_SETTINGS[solver])
    params = dict(alpha=1e-3, solver=solver, random_state=0, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        full = GDRegressor(**params).fit(X, y).score(X, y)
    chunked = GDRegressor(**params)
    for _ in range(5):
        for rows in np.array_split(np.arange(X.shape[0]), 10):
            chunked.partial_fit(X[rows], y[rows])
    assert abs(chunked.score(X, y) - full) <= 0.01


def test_partial_fit_needs_classes_on_the_first_call():
    X, y = CLASSIFICATION[0], CLASSIFICATION[2]
    with pytest.raises(ValueError, match="classes must be passed"):
        GDClassifier().partial_fit(X, y)


def test_partial_fit_refuses_an_unseen_class():
    X, y = CLASSIFICATION[0], CLASSIFICATION[2]
    est = GDClassifier().partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes"):
        est.partial_fit(X, np.where(y == 1, 2, y))


@pytest.mark.parametrize(
    "params, match",
    [({"early_stopping": True}, "early_stopping"), ({"class_weight": "balanced"}, "balanced")],
)
def test_partial_fit_refuses_what_scikit_learn_refuses(params, match):
    X, y = CLASSIFICATION[0], CLASSIFICATION[2]
    with pytest.raises(ValueError, match=match):
        GDClassifier(**params).partial_fit(X, y, classes=[0, 1])


def test_partial_fit_continues_the_schedule_of_fit():
    X, y = REGRESSION[0], REGRESSION[2] / 100.0
    est = GDRegressor(solver="sgd", max_iter=3, tol=None, random_state=0).fit(X, y)
    t_after_fit = est.t_
    est.partial_fit(X, y)
    assert est.t_ == t_after_fit + X.shape[0]
    assert len(est.loss_curve_) == 4


# --------------------------------------------------------------------------
# Multinomial


def _multiclass_problem():
    X, y = make_classification(500, 8, n_informative=5, n_classes=4, random_state=0)
    return StandardScaler().fit_transform(X), y


def test_multinomial_newton_matches_logistic_regression():
    X, y = _multiclass_problem()
    alpha = 1e-2
    reference = LogisticRegression(C=1.0 / (X.shape[0] * alpha), tol=1e-10, max_iter=1000)
    reference.fit(X, y)
    est = GDClassifier(
        loss="log_loss", multi_class="multinomial", solver="newton", alpha=alpha, tol=1e-10
    ).fit(X, y)
    np.testing.assert_allclose(est.predict_proba(X), reference.predict_proba(X), atol=1e-6)
    np.testing.assert_allclose(est.coef_, reference.coef_, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(est.intercept_, reference.intercept_, rtol=1e-5, atol=1e-7)
    # Centred, as LogisticRegression reports them.
    np.testing.assert_allclose(est.coef_.sum(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(est.intercept_.sum(), 0.0, atol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_multinomial_newton_without_penalty_is_centred_and_finite(sparse):
    X, y = _multiclass_problem()
    X = sp.csr_matrix(X) if sparse else X
    est = GDClassifier(
        loss="log_loss", multi_class="multinomial", solver="newton", penalty=None, max_iter=50
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    assert np.all(np.isfinite(est.coef_))
    np.testing.assert_allclose(est.coef_.sum(axis=0), 0.0, atol=1e-8)
    np.testing.assert_allclose(est.predict_proba(X).sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize(
    "solver, params, rtol",
    [
        ("batch", {"learning_rate": "line_search", "tol": 1e-9, "max_iter": 5000}, 1e-6),
        ("sgd", {"learning_rate": "constant", "eta0": 0.005, "max_iter": 40, "tol": None}, 0.05),
        ("minibatch", {"learning_rate": "constant", "eta0": 0.1, "max_iter": 80}, 0.05),
        ("momentum", {"learning_rate": "constant", "eta0": 0.01, "max_iter": 80}, 0.05),
    ],
)
def test_multinomial_first_order_solvers_reach_the_optimum(solver, params, rtol):
    X, y = _multiclass_problem()
    alpha = 1e-2
    exact = GDClassifier(
        loss="log_loss", multi_class="multinomial", solver="newton", alpha=alpha, tol=1e-10
    ).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = GDClassifier(
            loss="log_loss",
            multi_class="multinomial",
            solver=solver,
            alpha=alpha,
            random_state=0,
            **params,
        ).fit(X, y)

    def objective(model):
        scores = model.decision_function(X)
        log_proba = scores - np.logaddexp.reduce(scores, axis=1, keepdims=True)
        data = -np.mean(log_proba[np.arange(X.shape[0]), y])
        return data + 0.5 * alpha * np.sum(model.coef_**2)

    assert objective(est) <= objective(exact) * (1 + rtol)


def test_multinomial_needs_log_loss():
    X, y = _multiclass_problem()
    with pytest.raises(ValueError, match="log_loss"):
        GDClassifier(loss="hinge", multi_class="multinomial").fit(X, y)


def test_multinomial_with_two_classes_is_the_binary_model():
    X, y = CLASSIFICATION[0], CLASSIFICATION[2]
    params = dict(loss="log_loss", solver="newton", alpha=1e-2, tol=1e-10)
    binary = GDClassifier(**params).fit(X, y)
    multinomial = GDClassifier(multi_class="multinomial", **params).fit(X, y)
    np.testing.assert_array_equal(multinomial.coef_, binary.coef_)


# --------------------------------------------------------------------------
# Same seed, same model: scikit-learn's row order


def _standardized(make, **kwargs):
    X, y = make(n_samples=200, n_features=10, random_state=0, **kwargs)
    return StandardScaler().fit_transform(X), y


PARITY_DATA = {
    "binary": _standardized(make_classification, n_informative=5, n_classes=2),
    "multiclass": _standardized(make_classification, n_informative=5, n_classes=3),
    "regression": _standardized(make_regression, noise=1.0),
}
PARITY_CASES = [
    ("GDClassifier", GDClassifier, SGDClassifier, "binary"),
    ("GDClassifier-ovr", GDClassifier, SGDClassifier, "multiclass"),
    ("GDRegressor", GDRegressor, SGDRegressor, "regression"),
    ("PerceptronGD", PerceptronGD, Perceptron, "multiclass"),
]


@compares_with_sgd
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("params", [{}, {"penalty": "l1"}, {"shuffle": False}], ids=str)
@pytest.mark.parametrize(
    "ours, theirs, data", [case[1:] for case in PARITY_CASES], ids=[c[0] for c in PARITY_CASES]
)
def test_same_seed_same_model_as_scikit_learn(ours, theirs, data, params, layout, seed):
    # With a fixed number of epochs (tol=None), the rows are visited in
    # scikit-learn's order and the steps are scikit-learn's.
    X, y = PARITY_DATA[data]
    X = sp.csr_matrix(X) if layout == "csr" else X
    settings = {"random_state": seed, "tol": None, "max_iter": 5, **params}
    got = ours(**settings).fit(X, y)
    expected = theirs(**settings).fit(X, y)
    scale = max(1.0, float(np.max(np.abs(expected.coef_))))
    np.testing.assert_allclose(got.coef_, expected.coef_, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(got.intercept_, expected.intercept_, rtol=0, atol=1e-9 * scale)
    assert (got.n_iter_, got.t_) == (expected.n_iter_, expected.t_)


@compares_with_sgd
@pytest.mark.parametrize("average", [True, 5])
@pytest.mark.parametrize(
    "cls, reference", [(GDClassifier, SGDClassifier), (GDRegressor, SGDRegressor)]
)
def test_same_seed_same_averaged_model_as_scikit_learn(cls, reference, average):
    X, y = PARITY_DATA["multiclass" if cls is GDClassifier else "regression"]
    settings = {"random_state": 0, "tol": None, "max_iter": 5, "average": average}
    got, expected = cls(**settings).fit(X, y), reference(**settings).fit(X, y)
    scale = max(1.0, float(np.max(np.abs(expected.coef_))))
    np.testing.assert_allclose(got.coef_, expected.coef_, rtol=0, atol=1e-9 * scale)
    np.testing.assert_allclose(got.intercept_, expected.intercept_, rtol=0, atol=1e-9 * scale)


# --------------------------------------------------------------------------
# Same seed, same model at the defaults: the parity grid

PENALTIES = [None, "l2", "l1", "elasticnet"]
LEARNING_RATES = ["constant", "optimal", "invscaling", "adaptive"]
AVERAGES = [False, True, 5]
CLASSIFIER_LOSSES = ["hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron"]
REGRESSOR_LOSSES = ["squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive"]


def _grid(kind, data, losses):
    cases = itertools.product(losses, PENALTIES, LEARNING_RATES, AVERAGES)
    for loss, penalty, learning_rate, average in cases:
        yield (
            kind,
            data,
            {
                "loss": loss,
                "penalty": penalty,
                "learning_rate": learning_rate,
                "average": average,
            },
        )


def _perceptron_grid():
    options = itertools.product(
        PENALTIES, [None, "dict", "balanced"], [True, False], [True, False]
    )
    for data in ("binary", "multiclass"):
        for penalty, class_weight, shuffle, fit_intercept in options:
            params = {"penalty": penalty, "class_weight": class_weight, "shuffle": shuffle}
            yield "PerceptronGD", data, {**params, "fit_intercept": fit_intercept}


ESTIMATORS = {
    "GDClassifier": (GDClassifier, SGDClassifier),
    "GDRegressor": (GDRegressor, SGDRegressor),
    "PerceptronGD": (PerceptronGD, Perceptron),
}
GRID = [
    *_grid("GDClassifier", "binary", CLASSIFIER_LOSSES),
    *_grid("GDClassifier", "multiclass", CLASSIFIER_LOSSES),
    *_grid("GDRegressor", "regression", REGRESSOR_LOSSES),
    *_perceptron_grid(),
]


def _assert_same_model(got, expected, dtype=np.float64):
    """coef_, intercept_ within 1e-6 of max(1, max|coef|) (1e-4 in float32); n_iter_, t_ equal."""
    scale = max(1.0, float(np.max(np.abs(expected.coef_))))
    tolerance = (1e-4 if dtype == np.float32 else 1e-6) * scale
    np.testing.assert_allclose(got.coef_, expected.coef_, rtol=0, atol=tolerance)
    np.testing.assert_allclose(got.intercept_, expected.intercept_, rtol=0, atol=tolerance)
    assert (got.n_iter_, got.t_) == (expected.n_iter_, expected.t_)


def _with_class_weight(params, y):
    if params.get("class_weight") == "dict":
        return {**params, "class_weight": {c: 1.0 + k for k, c in enumerate(np.unique(y))}}
    return params


@compares_with_sgd
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("case", GRID, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in GRID])
def test_same_seed_same_model_at_the_defaults(case, layout, seed):
    name, data, params = case
    ours, theirs = ESTIMATORS[name]
    X, y = PARITY_DATA[data]
    X = sp.csr_matrix(X) if layout == "csr" else X
    settings = {"random_state": seed, **_with_class_weight(params, y)}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        expected = theirs(**settings).fit(X, y)
        caught.clear()
        got = ours(**settings).fit(X, y)
    _assert_same_model(got, expected)
    if np.max(np.abs(expected.coef_)) > 1e6:
        # Blown up ('optimal' steps with the squared losses): the same finite
        # model, and skgd says that the fit diverged and what to change.
        assert np.all(np.isfinite(got.coef_))
        assert any("diverged" in str(warning.message) for warning in caught)


ONE_AT_A_TIME = [
    ("GDClassifier", "multiclass", "log_loss"),
    ("GDClassifier", "binary", "hinge"),
    ("GDRegressor", "regression", "squared_error"),
]
OPTIONS = [
    {"class_weight": "dict"},
    {"class_weight": "balanced"},
    {"shuffle": False},
    {"fit_intercept": False},
    {"n_iter_no_change": 2},
    {"n_iter_no_change": 10},
    {"penalty": "l1", "average": True},
    # Without an L2 part: scikit-learn then scores the weights skgd scores
    # (see test_early_stopping_scores_the_shrunk_weights).
    {"early_stopping": True, "penalty": None},
    {"early_stopping": True, "penalty": "l1"},
]


def _one_at_a_time():
    for name, data, loss in ONE_AT_A_TIME:
        for options in OPTIONS:
            if name == "GDRegressor" and "class_weight" in options:
                continue
            if loss == "log_loss" and "early_stopping" in options:
                # scikit-learn's validation score is wrong there (see
                # test_log_loss_early_stopping_scores_as_scikit_learn_cannot).
                continue
            yield name, data, {"loss": loss, **options}


@compares_with_sgd
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("name, data, params", list(_one_at_a_time()), ids=str)
def test_same_seed_same_model_with_each_option(name, data, params, layout, dtype):
    ours, theirs = ESTIMATORS[name]
    X, y = PARITY_DATA[data]
    X = X.astype(dtype)
    X = sp.csr_matrix(X) if layout == "csr" else X
    settings = {"random_state": 0, **_with_class_weight(params, y)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        expected = theirs(**settings).fit(X, y)
        got = ours(**settings).fit(X, y)
    _assert_same_model(got, expected, dtype)


PARTIAL_FIT_CASES = [(*case, {}) for case in ONE_AT_A_TIME] + [
    ("GDRegressor", "regression", "squared_error", {"average": 5}),
    # Averaged, the classifiers match without an intercept: with one,
    # scikit-learn does not carry it from call to call (see
    # test_averaged_partial_fit_carries_the_intercept).
    ("GDClassifier", "binary", "hinge", {"average": 5, "fit_intercept": False}),
    ("GDClassifier", "multiclass", "log_loss", {"average": 5, "fit_intercept": False}),
]


@compares_with_sgd
@pytest.mark.parametrize("name, data, loss, options", PARTIAL_FIT_CASES, ids=str)
def test_partial_fit_in_chunks_gives_the_same_model(name, data, loss, options):
    # Four chunks, three passes: the rows, the schedule's counter and the
    # averages carry over from call to call as in scikit-learn.
    ours, theirs = ESTIMATORS[name]
    X, y = PARITY_DATA[data]
    extra = {} if name == "GDRegressor" else {"classes": np.unique(y)}
    models = []
    for cls in (theirs, ours):
        model = cls(loss=loss, random_state=0, **options)
        for _ in range(3):
            for chunk in np.array_split(np.arange(X.shape[0]), 4):
                model.partial_fit(X[chunk], y[chunk], **extra)
        models.append(model)
    expected, got = models
    _assert_same_model(got, expected)


@compares_with_sgd
def test_averaged_partial_fit_carries_the_intercept():
    # scikit-learn's averaged binary classifier keeps the intercept it had
    # before averaging began and restarts each partial_fit call from it;
    # skgd goes on from where the last call left it.
    X, y = PARITY_DATA["binary"]
    theirs = SGDClassifier(average=1, random_state=0)
    ours = GDClassifier(average=1, random_state=0)
    for chunk in np.array_split(np.arange(X.shape[0]), 4):
        theirs.partial_fit(X[chunk], y[chunk], classes=[0, 1])
        ours.partial_fit(X[chunk], y[chunk], classes=[0, 1])
    assert theirs._standard_intercept.tolist() == [0.0]
    assert ours._solver_states[0].intercept != 0.0


@compares_with_sgd
@pytest.mark.parametrize("name, data, loss", ONE_AT_A_TIME)
def test_warm_start_gives_the_same_model(name, data, loss):
    # A second fit starts from the first one's coefficients, as in scikit-learn.
    ours, theirs = ESTIMATORS[name]
    X, y = PARITY_DATA[data]
    models = []
    for cls in (theirs, ours):
        model = cls(loss=loss, random_state=0, warm_start=True, max_iter=3, tol=None)
        models.append(model.fit(X, y).set_params(max_iter=1000, tol=1e-3).fit(X, y))
    expected, got = models
    _assert_same_model(got, expected)


@compares_with_sgd
def test_balanced_class_weight_in_partial_fit_raises_as_in_scikit_learn():
    X, y = PARITY_DATA["multiclass"]
    with pytest.raises(ValueError) as theirs:
        SGDClassifier(class_weight="balanced").partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(ValueError) as ours:
        GDClassifier(class_weight="balanced").partial_fit(X, y, classes=np.unique(y))
    assert str(ours.value) == str(theirs.value)


@compares_with_sgd
def test_early_stopping_scores_the_shrunk_weights(monkeypatch):
    # The one deliberate difference. scikit-learn scores the validation set
    # with the weight vector before its pending L2 shrink (WeightVector's
    # unscaled weights), skgd with the weights themselves.
    from sklearn.linear_model import _stochastic_gradient

    X, y = PARITY_DATA["regression"]
    settings = {"penalty": "l2", "alpha": 0.01, "early_stopping": True, "max_iter": 1}
    seen = []
    scorer = _stochastic_gradient._ValidationScoreCallback.__call__
    monkeypatch.setattr(
        _stochastic_gradient._ValidationScoreCallback,
        "__call__",
        lambda self, coef, intercept: seen.append(coef.copy()) or scorer(self, coef, intercept),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        theirs = SGDRegressor(random_state=0, **settings).fit(X, y)
        ours = GDRegressor(random_state=0, **settings)
        own_scorer = ours._validation_scorer
        scored = []

        def recording_scorer(*data):
            score = own_scorer(*data)
            return lambda coef, intercept: scored.append(coef.copy()) or score(coef, intercept)

        monkeypatch.setattr(ours, "_validation_scorer", recording_scorer)
        ours.fit(X, y)
    # scikit-learn's scored vector is its weights over the pending scale...
    scale = theirs.coef_ / seen[-1]
    np.testing.assert_allclose(scale, scale[0], rtol=1e-12)
    assert abs(scale[0] - 1.0) > 1e-3
    # ...skgd's, the weights it returns; and both fits are the same model.
    np.testing.assert_array_equal(scored[-1], ours.coef_)
    _assert_same_model(ours, theirs)


@compares_with_sgd
def test_log_loss_early_stopping_scores_as_scikit_learn_cannot(monkeypatch):
    # scikit-learn scores a one-vs-rest log-loss problem with labels in {0, 1}
    # and its classes set to {-1, 1}: a validation row counts as right only
    # when it is positive and predicted positive. skgd scores the accuracy.
    from sklearn.linear_model import _stochastic_gradient

    X, y = PARITY_DATA["binary"]
    seen = []
    scorer = _stochastic_gradient._ValidationScoreCallback.__call__

    def recording(self, coef, intercept):
        seen.append((self.estimator.classes_, np.unique(self.y_val)))
        return scorer(self, coef, intercept)

    monkeypatch.setattr(_stochastic_gradient._ValidationScoreCallback, "__call__", recording)
    SGDClassifier(loss="log_loss", early_stopping=True, random_state=0).fit(X, y)
    classes, labels = seen[0]
    assert classes.tolist() == [-1, 1] and labels.tolist() == [0, 1]
    ours = GDClassifier(loss="log_loss", early_stopping=True, random_state=0).fit(X, y)
    assert ours.score(X, y) > 0.8
