"""What a scikit-learn user relies on, for every estimator × solver.

GDRegressor, GDClassifier and PerceptronGD stand in for SGDRegressor,
SGDClassifier and Perceptron: same constructor, same fitted attributes, and
the usual tools (Pipeline, GridSearchCV, clone, pickle) work with them,
whatever the ``solver``.
"""

import inspect
import math
import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _versions import compares_with_sgd
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_blobs, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Perceptron, SGDClassifier, SGDRegressor
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, ShuffleSplit, StratifiedShuffleSplit
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import (
    InvalidParameterError,
    StrOptions,
    make_constraint,
)

from skgd import GDClassifier, GDRegressor, PerceptronGD

# Small max_iter values are used on purpose in many tests below: the point there
# is the estimator's contract, not convergence.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

STOCHASTIC = ("sgd", "minibatch", "momentum")
FIRST_ORDER = ("batch", *STOCHASTIC)
SOLVERS = (*FIRST_ORDER, "newton")
ESTIMATORS = (GDRegressor, GDClassifier, PerceptronGD)
CLASSIFIERS = (GDClassifier, PerceptronGD)
EXTRA_PARAMS = {"solver": "sgd", "batch_size": 32, "momentum": 0.9, "nesterov": False}
SKLEARN_COUNTERPART = {
    GDRegressor: SGDRegressor,
    GDClassifier: SGDClassifier,
    PerceptronGD: Perceptron,
}


def _cases(estimators=ESTIMATORS, solvers=SOLVERS):
    """(estimator class, solver) pairs that exist: PerceptronGD has no newton."""
    return [
        pytest.param(cls, solver, id=f"{cls.__name__}-{solver}")
        for cls in estimators
        for solver in solvers
        if not (cls is PerceptronGD and solver == "newton")
    ]


def _cases_mc(estimators=ESTIMATORS, solvers=SOLVERS):
    """(estimator class, solver, multiclass): binary and multiclass for classifiers."""
    return [
        pytest.param(cls, solver, multiclass, id=f"{cls.__name__}-{solver}-{kind}")
        for cls in estimators
        for solver in solvers
        for multiclass, kind in ((False, "binary"), (True, "multiclass"))
        if not (cls is PerceptronGD and solver == "newton")
        and not (cls is GDRegressor and multiclass)
    ]


def _make(cls, solver, **params):
    """An estimator; GDClassifier with newton gets a loss that Newton can use."""
    if cls is GDClassifier and solver == "newton" and "loss" not in params:
        params["loss"] = "log_loss"
    return cls(solver=solver, **params)


def _regression_data(n_samples=200, n_features=5):
    X, y = make_regression(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features,
        noise=5.0,
        random_state=0,
    )
    X = StandardScaler().fit_transform(X)
    return X, y / np.std(y)


def _binary_data(n_samples=200, n_features=5):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=3,
        n_redundant=1,
        class_sep=1.5,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def _multiclass_data(n_samples=240, n_features=5):
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=3,
        n_redundant=1,
        n_classes=3,
        n_clusters_per_class=1,
        class_sep=2.0,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


X_REG, Y_REG = _regression_data()
X_BIN, Y_BIN = _binary_data()
X_MULTI, Y_MULTI = _multiclass_data()


def _data(cls, multiclass=False):
    if cls is GDRegressor:
        return X_REG, Y_REG
    return (X_MULTI, Y_MULTI) if multiclass else (X_BIN, Y_BIN)


# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------


@compares_with_sgd
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_constructor_has_every_sklearn_parameter_with_its_default(cls):
    ours = inspect.signature(cls).parameters
    theirs = inspect.signature(SKLEARN_COUNTERPART[cls]).parameters
    for name, param in theirs.items():
        assert name in ours, f"{cls.__name__} lacks scikit-learn's parameter {name!r}"
        if name in AUTO_STEPS:
            # Each solver's own; sgd's is scikit-learn's (the test below).
            assert ours[name].default == "auto", name
            continue
        assert ours[name].default == param.default, name
        assert type(ours[name].default) is type(param.default), name
        assert ours[name].kind == param.kind, name
    extra = dict(EXTRA_PARAMS)
    if cls is GDClassifier:
        extra["multi_class"] = "ovr"
    for name, default in extra.items():
        assert name in ours, name
        assert ours[name].default == default, name
        assert ours[name].kind == inspect.Parameter.KEYWORD_ONLY, name
    assert set(ours) == set(theirs) | set(extra)
    # get_params reports the same defaults.
    params = cls().get_params()
    for name, param in ours.items():
        assert params[name] == param.default


AUTO_STEPS = ("learning_rate", "eta0")


@compares_with_sgd
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_sgd_at_auto_steps_takes_scikit_learns_defaults(cls):
    X, y = _data(cls)
    sklearn_params = inspect.signature(SKLEARN_COUNTERPART[cls]).parameters
    if cls is PerceptronGD:
        learning_rate = "constant"  # Perceptron has no learning_rate parameter
    else:
        learning_rate = sklearn_params["learning_rate"].default
    ours = cls(random_state=0).fit(X, y)
    explicit = cls(
        random_state=0, eta0=sklearn_params["eta0"].default, **_learning_rate(cls, learning_rate)
    ).fit(X, y)
    assert ours.learning_rate_ == learning_rate
    assert_array_equal(ours.coef_, explicit.coef_)
    assert_array_equal(ours.intercept_, explicit.intercept_)
    if learning_rate != "optimal":
        # 'optimal' has no eta0: its first step is Bottou's.
        assert ours.eta0_ == sklearn_params["eta0"].default


def _learning_rate(cls, learning_rate):
    return {} if cls is PerceptronGD else {"learning_rate": learning_rate}


@compares_with_sgd
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_parameters_accept_what_sklearn_accepts(cls):
    # Every value scikit-learn's validation lets through passes ours too; the
    # learning rates are scikit-learn's less the passive-aggressive ones, plus
    # batch gradient descent's backtracking line search and each solver's own.
    theirs = SKLEARN_COUNTERPART[cls]._parameter_constraints
    ours = cls._parameter_constraints

    def normalized(constraints):
        # "boolean", "verbose" and "random_state" stand for lists of simpler
        # constraints, which ours spell out: compare the simple ones.
        simple = []
        for constraint in map(make_constraint, constraints):
            simple.extend(getattr(constraint, "_constraints", [constraint]))
        return {frozenset(c.options) if isinstance(c, StrOptions) else str(c) for c in simple}

    for name, constraints in theirs.items():
        sk, gd = normalized(constraints), normalized(ours[name])
        if name == "learning_rate":
            (sk_options,) = [c.options for c in constraints]
            (gd_options,) = [c.options for c in ours[name]]
            assert gd_options == (sk_options - {"pa1", "pa2"}) | {"line_search", "auto"}
        else:
            assert sk <= gd, name
    for name in EXTRA_PARAMS:
        assert name in ours


def test_perceptron_has_no_loss_or_schedule_parameters():
    params = PerceptronGD().get_params()
    for name in ("loss", "learning_rate", "power_t", "epsilon", "average"):
        assert name not in params
        with pytest.raises(ValueError, match=name):
            PerceptronGD().set_params(**{name: params.get(name, 1)})


@compares_with_sgd
@pytest.mark.parametrize("cls", [GDRegressor, GDClassifier], ids=lambda c: c.__name__)
def test_learning_rates_are_sklearns_except_pa(cls):
    sk_options = SKLEARN_COUNTERPART[cls]._parameter_constraints["learning_rate"][0].options
    X, y = _data(cls)
    # 'optimal' starts at eta = alpha ** -0.25: stable with a bounded
    # derivative (huber), divergent with squared error, as in scikit-learn.
    loss = {"loss": "huber"} if cls is GDRegressor else {}
    for learning_rate in sorted(sk_options - {"pa1", "pa2"}):
        est = cls(learning_rate=learning_rate, max_iter=3, random_state=0, **loss).fit(X, y)
        assert np.all(np.isfinite(est.coef_))
    for learning_rate in ("pa1", "pa2"):
        with pytest.raises(InvalidParameterError, match="learning_rate"):
            cls(learning_rate=learning_rate).fit(X, y)


@compares_with_sgd
@pytest.mark.parametrize("cls", [GDRegressor, GDClassifier], ids=lambda c: c.__name__)
def test_every_sklearn_loss_is_accepted(cls):
    sk_options = SKLEARN_COUNTERPART[cls]._parameter_constraints["loss"][0].options
    X, y = _data(cls)
    # A constant step: the default 'optimal' schedule diverges with the squared
    # losses on a classification problem (scikit-learn returns ~1e13 weights there).
    for loss in sorted(sk_options):
        est = cls(loss=loss, learning_rate="constant", max_iter=3, random_state=0).fit(X, y)
        assert np.all(np.isfinite(est.coef_)), loss
    with pytest.raises(InvalidParameterError, match="loss"):
        cls(loss="foo").fit(X, y)


INVALID_PARAMS = [
    {"solver": "foo"},
    {"solver": None},
    {"batch_size": 0},
    {"batch_size": -3},
    {"batch_size": 2.5},
    {"momentum": 1.5},
    {"momentum": 1.0},
    {"momentum": -0.1},
    {"nesterov": "yes"},
    {"eta0": 0.0},
    {"max_iter": 0},
    {"alpha": -1.0},
]


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("params", INVALID_PARAMS, ids=str)
def test_invalid_parameter_raises_at_fit(cls, params):
    X, y = _data(cls)
    est = cls(**params)  # constructing never validates, as in scikit-learn
    assert est.get_params()[next(iter(params))] == next(iter(params.values()))
    with pytest.raises(InvalidParameterError, match=next(iter(params))) as info:
        est.fit(X, y)
    assert isinstance(info.value, ValueError)
    assert not hasattr(est, "coef_")


def test_perceptron_refuses_newton_at_fit():
    est = PerceptronGD(solver="newton")
    with pytest.raises(InvalidParameterError, match="solver"):
        est.fit(X_BIN, Y_BIN)


# --------------------------------------------------------------------------
# Pipeline, GridSearchCV, clone, pickle, reproducibility
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_works_in_pipeline(cls, solver):
    X, y = _data(cls, multiclass=cls is not GDRegressor)
    X = X * 100.0 + 7.0  # badly scaled: the scaler has work to do
    est = _make(cls, solver, random_state=0, max_iter=300, eta0=0.1)
    pipe = make_pipeline(StandardScaler(), est).fit(X, y)
    assert pipe.predict(X).shape == y.shape
    assert pipe.score(X, y) > 0.9
    # The estimator in the pipeline saw the scaled data.
    scaled = StandardScaler().fit_transform(X)
    alone = clone(est).fit(scaled, y)
    assert np.array_equal(pipe[-1].coef_, alone.coef_)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_grid_search_over_eta0_learning_rate_and_solver(cls):
    X, y = _data(cls)
    X, y = X[:120], y[:120]
    grid = {"gd__eta0": [0.01, 0.1], "gd__solver": list(SOLVERS)}
    params = {"random_state": 0, "max_iter": 20}
    if cls is PerceptronGD:
        grid["gd__solver"] = list(FIRST_ORDER)
    else:
        grid["gd__learning_rate"] = ["constant", "invscaling"]
    if cls is GDClassifier:
        params["loss"] = "log_loss"
    pipe = Pipeline([("scale", StandardScaler()), ("gd", cls(**params))])
    search = GridSearchCV(pipe, grid, cv=3, error_score="raise").fit(X, y)
    n_candidates = math.prod(len(values) for values in grid.values())
    assert len(search.cv_results_["params"]) == n_candidates
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_["gd__solver"] in grid["gd__solver"]
    best = search.best_estimator_[-1]
    assert best.solver == search.best_params_["gd__solver"]
    assert best.eta0 == search.best_params_["gd__eta0"]
    assert search.predict(X).shape == y.shape


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_clone_and_pickle_preserve_predictions(cls, solver):
    X, y = _data(cls, multiclass=cls is not GDRegressor)
    est = _make(cls, solver, random_state=0, max_iter=20, batch_size=16).fit(X, y)
    expected = est.predict(X)

    restored = pickle.loads(pickle.dumps(est))
    assert np.array_equal(restored.predict(X), expected)
    assert np.array_equal(restored.coef_, est.coef_)
    assert restored.loss_curve_ == est.loss_curve_

    cloned = clone(est)
    assert not hasattr(cloned, "coef_")
    assert cloned.get_params() == est.get_params()
    cloned.fit(X, y)
    assert np.array_equal(cloned.predict(X), expected)
    assert np.array_equal(cloned.coef_, est.coef_)


@pytest.mark.parametrize(("cls", "solver", "multiclass"), _cases_mc())
def test_fixed_random_state_is_bit_identical(cls, solver, multiclass):
    X, y = _data(cls, multiclass)
    first = _make(cls, solver, random_state=42, max_iter=15, batch_size=16).fit(X, y)
    second = _make(cls, solver, random_state=42, max_iter=15, batch_size=16).fit(X, y)
    assert np.array_equal(first.coef_, second.coef_)
    assert np.array_equal(first.intercept_, second.intercept_)
    assert first.loss_curve_ == second.loss_curve_
    assert first.n_iter_ == second.n_iter_


@pytest.mark.parametrize(("cls", "solver"), _cases(solvers=STOCHASTIC))
def test_random_state_matters_for_stochastic_solvers(cls, solver):
    X, y = _data(cls)
    first = _make(cls, solver, random_state=0, max_iter=3, tol=None, batch_size=8).fit(X, y)
    second = _make(cls, solver, random_state=1, max_iter=3, tol=None, batch_size=8).fit(X, y)
    assert not np.array_equal(first.coef_, second.coef_)


# --------------------------------------------------------------------------
# Fitted attributes
# --------------------------------------------------------------------------


def _expected_t(solver, n_iter, n_samples, batch_size):
    if solver == "sgd":
        return n_iter * n_samples + 1
    if solver in ("minibatch", "momentum"):
        return n_iter * math.ceil(n_samples / batch_size) + 1
    return n_iter + 1


@pytest.mark.parametrize(
    "dtype",
    [np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64],
    ids=lambda t: t.__name__,
)
def test_integer_labels_anywhere_in_their_range(dtype):
    # Short ranges are counted, long ones sorted: both give np.unique's
    # classes_, in y's dtype, down to the ends of the type's range.
    X, y = make_classification(120, 5, n_classes=3, n_informative=3, random_state=0)
    info = np.iinfo(dtype)
    lowest, highest = int(info.min), int(info.max)
    ends = ([lowest, lowest + 1, lowest + 5], [highest - 7, highest - 1, highest])
    for values in ([0, 1, 2], *ends):
        labels = np.array(values, dtype=dtype)[y]
        est = GDClassifier(max_iter=3, random_state=0).fit(X, labels)
        assert est.classes_.dtype == labels.dtype
        assert_array_equal(est.classes_, np.unique(labels))
        assert set(est.predict(X)) <= set(est.classes_)
    spread = np.array([lowest, 0, highest], dtype=dtype)[y]
    assert_array_equal(GDClassifier(max_iter=3).fit(X, spread).classes_, np.unique(spread))


@pytest.mark.parametrize(("cls", "solver", "multiclass"), _cases_mc())
@pytest.mark.parametrize("tol", [1e-3, None], ids=["tol", "no-tol"])
def test_fitted_attributes(cls, solver, multiclass, tol):
    X, y = _data(cls, multiclass)
    # 200 or 240 rows: batch_size=17 does not divide either.
    max_iter = 12
    est = _make(cls, solver, random_state=0, max_iter=max_iter, tol=tol, batch_size=17)
    est.fit(X, y)
    n_samples, n_features = X.shape

    assert est.n_features_in_ == n_features
    assert not hasattr(est, "feature_names_in_")
    if cls is GDRegressor:
        assert est.coef_.shape == (n_features,)
        assert est.intercept_.shape == (1,)
    else:
        n_classes = 3 if multiclass else 2
        assert np.array_equal(est.classes_, np.unique(y))
        n_rows = n_classes if multiclass else 1
        assert est.coef_.shape == (n_rows, n_features)
        assert est.intercept_.shape == (n_rows,)
        assert est.decision_function(X).shape == ((n_samples, 3) if multiclass else (n_samples,))
    assert isinstance(est.n_iter_, (int, np.integer))
    assert 1 <= est.n_iter_ <= max_iter
    if tol is None and solver != "newton":
        assert est.n_iter_ == max_iter
    assert len(est.loss_curve_) == est.n_iter_
    assert np.all(np.isfinite(est.loss_curve_))
    assert est.t_ == _expected_t(solver, est.n_iter_, n_samples, 17)


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_default_batch_size_in_t(cls, solver):
    X, y = _data(cls)
    est = _make(cls, solver, random_state=0, max_iter=4).fit(X, y)
    assert est.t_ == _expected_t(solver, est.n_iter_, X.shape[0], 32)


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_feature_names_in_from_dataframe(cls, solver):
    pd = pytest.importorskip("pandas")
    X, y = _data(cls)
    names = [f"feature_{i}" for i in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=names)
    est = _make(cls, solver, random_state=0, max_iter=5).fit(frame, y)
    assert np.array_equal(est.feature_names_in_, np.asarray(names, dtype=object))
    assert est.n_features_in_ == X.shape[1]
    # The same model as from the array (up to the last bits: a DataFrame's
    # values are Fortran-ordered, so products may round differently).
    reference = _make(cls, solver, random_state=0, max_iter=5).fit(X, y)
    np.testing.assert_allclose(est.coef_, reference.coef_, rtol=1e-10, atol=1e-12)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = est.predict(X)
    np.testing.assert_allclose(est.predict(frame), from_array, rtol=1e-12, atol=1e-12)
    renamed = frame.rename(columns={"feature_0": "other"})
    with pytest.raises(ValueError, match="feature names"):
        est.predict(renamed)


# --------------------------------------------------------------------------
# warm_start, coef_init, intercept_init
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "solver", "multiclass"), _cases_mc())
def test_warm_start(cls, solver, multiclass):
    X, y = _data(cls, multiclass)
    params = {"random_state": 0, "max_iter": 4, "tol": None, "batch_size": 16}
    est = _make(cls, solver, warm_start=True, **params).fit(X, y)
    first_coef, first_intercept = est.coef_.copy(), est.intercept_.copy()
    first_curve = list(est.loss_curve_)

    est.fit(X, y)
    assert len(est.loss_curve_) == len(first_curve) + est.n_iter_
    # As in scikit-learn, each fit counts its own updates.
    assert est.t_ == _expected_t(solver, est.n_iter_, X.shape[0], 16)
    assert est.loss_curve_[: len(first_curve)] == first_curve
    # The second fit started where the first stopped: the same as starting a
    # cold fit there.
    from_init = _make(cls, solver, **params).fit(
        X, y, coef_init=first_coef, intercept_init=first_intercept
    )
    np.testing.assert_allclose(est.coef_, from_init.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.intercept_, from_init.intercept_, rtol=1e-10, atol=1e-12)
    assert est.loss_curve_[len(first_curve) :] == pytest.approx(from_init.loss_curve_)

    est.set_params(warm_start=False).fit(X, y)
    assert len(est.loss_curve_) == est.n_iter_
    assert np.array_equal(est.coef_, first_coef)
    assert np.array_equal(est.intercept_, first_intercept)
    assert est.loss_curve_ == first_curve


@pytest.mark.parametrize(
    ("cls", "multiclass"),
    [(GDRegressor, False), (GDClassifier, False), (GDClassifier, True)],
    ids=["regressor", "binary", "multiclass"],
)
def test_newton_from_the_optimum_stays_there(cls, multiclass):
    X, y = _data(cls, multiclass)
    optimum = _make(cls, "newton", alpha=1e-2, tol=1e-10, max_iter=50).fit(X, y)
    one_step = _make(cls, "newton", alpha=1e-2, max_iter=1).fit(
        X, y, coef_init=optimum.coef_, intercept_init=optimum.intercept_
    )
    np.testing.assert_allclose(one_step.coef_, optimum.coef_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(one_step.intercept_, optimum.intercept_, rtol=0, atol=1e-8)
    # From zero, one Newton step of a non-quadratic loss does not get there.
    if cls is GDClassifier:
        cold = _make(cls, "newton", alpha=1e-2, max_iter=1).fit(X, y)
        assert np.max(np.abs(cold.coef_ - optimum.coef_)) > 1e-3


@pytest.mark.parametrize(("cls", "solver"), _cases(solvers=FIRST_ORDER))
def test_coef_init_is_the_starting_point(cls, solver):
    X, y = _data(cls)
    n_features = X.shape[1]
    coef_init = np.linspace(-2.0, 3.0, n_features)
    intercept_init = np.array([1.5])
    if cls is not GDRegressor:
        coef_init = coef_init[None, :]
    est = cls(
        solver=solver,
        max_iter=1,
        tol=None,
        eta0=1e-8,
        random_state=0,
        penalty=None,
        **({} if cls is PerceptronGD else {"learning_rate": "constant"}),
    )
    est.fit(X, y, coef_init=coef_init, intercept_init=intercept_init)
    np.testing.assert_allclose(est.coef_, coef_init, atol=1e-4)
    np.testing.assert_allclose(est.intercept_, intercept_init, atol=1e-4)
    assert not np.array_equal(est.coef_, coef_init)  # it did take steps
    # The inputs were not modified in place.
    assert np.array_equal(coef_init.ravel(), np.linspace(-2.0, 3.0, n_features))


# --------------------------------------------------------------------------
# dtypes and sparse input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "solver", "multiclass"), _cases_mc())
def test_float32_input_gives_float32_model(cls, solver, multiclass):
    X, y = _data(cls, multiclass)
    X32 = X.astype(np.float32)
    est = _make(cls, solver, random_state=0, max_iter=10).fit(X32, y)
    assert est.coef_.dtype == np.float32
    assert est.intercept_.dtype == np.float32
    assert np.all(np.isfinite(est.coef_))
    est64 = _make(cls, solver, random_state=0, max_iter=10).fit(X, y)
    assert est64.coef_.dtype == np.float64
    assert est64.intercept_.dtype == np.float64
    if solver in ("batch", "newton"):
        # Deterministic: float32 is float64 up to rounding.
        np.testing.assert_allclose(est.coef_, est64.coef_, rtol=1e-3, atol=1e-3)
    # Sparse float32 as well.
    est_sparse = _make(cls, solver, random_state=0, max_iter=10).fit(sp.csr_matrix(X32), y)
    assert est_sparse.coef_.dtype == np.float32
    assert est_sparse.intercept_.dtype == np.float32


def _sparsify(X):
    X = X.copy()
    X[np.abs(X) < 0.6] = 0.0
    return X


@pytest.mark.parametrize(("cls", "solver", "multiclass"), _cases_mc())
def test_sparse_input_gives_the_dense_model(cls, solver, multiclass):
    X, y = _data(cls, multiclass)
    X = _sparsify(X)
    assert 0.3 < np.mean(X == 0) < 0.7
    params = {"random_state": 3, "max_iter": 15, "batch_size": 16, "alpha": 1e-3}
    # Elastic net exercises the L1 handling too: soft thresholding for batch,
    # cumulative truncation of the features a row has non-zeros in otherwise.
    params["penalty"] = "l2" if solver == "newton" else "elasticnet"
    if solver == "sgd":
        # sgd is scikit-learn's: its L1 truncation takes every feature of a
        # dense row but only the stored entries of a CSR row, and so do the
        # norms its stopping rule sums (tests/test_parity.py checks both).
        params.update(penalty="l2", tol=None)
    if solver in ("sgd", "minibatch", "momentum"):
        # On sparse data these move the intercept 100 times more slowly, as
        # scikit-learn does (tested in test_parity.py): the coefficients
        # alone are comparable.
        params["fit_intercept"] = False
    dense = _make(cls, solver, **params).fit(X, y)
    sparse = _make(cls, solver, **params).fit(sp.csr_matrix(X), y)
    assert dense.n_iter_ == sparse.n_iter_
    np.testing.assert_allclose(sparse.coef_, dense.coef_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-7)
    np.testing.assert_allclose(sparse.predict(sp.csr_matrix(X)), dense.predict(X), atol=1e-9)


# --------------------------------------------------------------------------
# Probabilities
# --------------------------------------------------------------------------

CLASSIFICATION_LOSSES = (
    "hinge",
    "log_loss",
    "modified_huber",
    "squared_hinge",
    "perceptron",
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
)


@pytest.mark.parametrize("loss", CLASSIFICATION_LOSSES)
def test_predict_proba_exists_only_for_probabilistic_losses(loss):
    unfitted = GDClassifier(loss=loss)
    est = GDClassifier(loss=loss, learning_rate="constant", max_iter=3, random_state=0)
    est.fit(X_BIN, Y_BIN)
    has_proba = loss in ("log_loss", "modified_huber")
    for model in (unfitted, est):
        assert hasattr(model, "predict_proba") is has_proba
        assert hasattr(model, "predict_log_proba") is has_proba
    if not has_proba:
        with pytest.raises(AttributeError):
            est.predict_proba(X_BIN)
        with pytest.raises(AttributeError):
            est.predict_log_proba(X_BIN)


def test_perceptron_has_no_predict_proba():
    est = PerceptronGD(max_iter=3).fit(X_BIN, Y_BIN)
    assert not hasattr(est, "predict_proba")
    assert not hasattr(est, "predict_log_proba")
    with pytest.raises(AttributeError):
        est.predict_proba(X_BIN)


@pytest.mark.parametrize("loss", ["log_loss", "modified_huber"])
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("multiclass", [False, True], ids=["binary", "multiclass"])
def test_predict_proba(loss, solver, multiclass):
    X, y = _data(GDClassifier, multiclass)
    est = GDClassifier(loss=loss, solver=solver, random_state=0, max_iter=20, alpha=1e-2)
    est.fit(X, y)
    proba = est.predict_proba(X)
    n_classes = 3 if multiclass else 2
    assert proba.shape == (X.shape[0], n_classes)
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    scores = est.decision_function(X)
    if multiclass:
        if loss == "log_loss":
            assert np.array_equal(est.classes_[np.argmax(proba, axis=1)], est.predict(X))
    else:
        expected = (
            1 / (1 + np.exp(-scores)) if loss == "log_loss" else (np.clip(scores, -1, 1) + 1) / 2
        )
        np.testing.assert_allclose(proba[:, 1], expected, rtol=1e-12)
        assert np.array_equal(proba[:, 1] > 0.5, est.predict(X) == est.classes_[1])
    # A probability of exactly 0 (modified_huber) has a log of -inf.
    with np.errstate(divide="ignore"):
        log_proba = est.predict_log_proba(X)
        np.testing.assert_allclose(log_proba, np.log(proba), rtol=1e-12)


# --------------------------------------------------------------------------
# One-vs-rest
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "solver"), _cases(estimators=CLASSIFIERS))
def test_one_vs_rest_does_not_depend_on_n_jobs(cls, solver):
    X, y = _data(cls, multiclass=True)
    params = {"random_state": 0, "max_iter": 15, "batch_size": 16}
    serial = _make(cls, solver, n_jobs=1, **params).fit(X, y)
    threaded = _make(cls, solver, n_jobs=2, **params).fit(X, y)
    assert np.array_equal(serial.coef_, threaded.coef_)
    assert np.array_equal(serial.intercept_, threaded.intercept_)
    assert serial.loss_curve_ == threaded.loss_curve_
    assert serial.n_iter_ == threaded.n_iter_
    assert serial.t_ == threaded.t_


@pytest.mark.parametrize(
    ("cls", "solver", "params"),
    [
        (GDClassifier, "batch", {"loss": "log_loss", "learning_rate": "constant", "eta0": 0.5}),
        (GDClassifier, "batch", {"loss": "hinge", "learning_rate": "constant", "eta0": 0.1}),
        (GDClassifier, "newton", {"loss": "log_loss", "alpha": 1e-3}),
        (GDClassifier, "newton", {"loss": "squared_hinge"}),
        (PerceptronGD, "batch", {"eta0": 0.1}),
    ],
    ids=["batch-log", "batch-hinge", "newton-log", "newton-sqhinge", "perceptron-batch"],
)
def test_one_vs_rest_loss_curve_is_the_mean_over_problems(cls, solver, params):
    X, y = _data(cls, multiclass=True)
    params = {"max_iter": 150, "tol": 1e-3, **params}
    est = cls(solver=solver, **params).fit(X, y)
    binaries = [cls(solver=solver, **params).fit(X, y == k) for k in est.classes_]
    curves = [b.loss_curve_ for b in binaries]
    length = max(len(curve) for curve in curves)
    assert len(est.loss_curve_) == length == est.n_iter_
    padded = np.array([curve + [curve[-1]] * (length - len(curve)) for curve in curves])
    np.testing.assert_allclose(est.loss_curve_, padded.mean(axis=0), rtol=1e-10)
    # Deterministic solvers: each row of coef_ is its binary problem's solution.
    for k, binary in enumerate(binaries):
        np.testing.assert_allclose(est.coef_[k], binary.coef_[0], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(est.intercept_[k], binary.intercept_[0], atol=1e-12)


def test_one_vs_rest_curves_of_different_length_are_padded():
    # The padding case: the binary problems stop after different numbers of
    # iterations, and a finished problem carries its last value.
    X, y = _data(GDClassifier, multiclass=True)
    params = {
        "loss": "log_loss",
        "learning_rate": "constant",
        "eta0": 0.5,
        "max_iter": 300,
        "tol": 1e-2,
    }
    est = GDClassifier(solver="batch", **params).fit(X, y)
    lengths = [
        len(GDClassifier(solver="batch", **params).fit(X, y == k).loss_curve_)
        for k in est.classes_
    ]
    assert len(set(lengths)) > 1
    assert len(est.loss_curve_) == max(lengths) < 300
    binaries = [GDClassifier(solver="batch", **params).fit(X, y == k) for k in est.classes_]
    last = np.mean([b.loss_curve_[-1] for b in binaries])
    assert est.loss_curve_[-1] == pytest.approx(last, rel=1e-12)


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------


def test_balanced_class_weight_raises_minority_recall():
    X, y = make_classification(
        n_samples=400,
        n_features=5,
        n_informative=3,
        weights=[0.9, 0.1],
        flip_y=0.05,
        class_sep=0.8,
        random_state=0,
    )
    assert np.mean(y == 1) < 0.2
    plain = GDClassifier(loss="log_loss", solver="newton").fit(X, y)
    balanced = GDClassifier(loss="log_loss", solver="newton", class_weight="balanced").fit(X, y)
    recall_plain = recall_score(y, plain.predict(X))
    recall_balanced = recall_score(y, balanced.predict(X))
    assert recall_balanced > recall_plain + 0.1


@pytest.mark.parametrize(
    ("cls", "solver"), _cases(estimators=CLASSIFIERS, solvers=("batch", "newton"))
)
def test_class_weight_dict_equals_sample_weight(cls, solver):
    # Binary: each sample weighs its class's weight. One-vs-rest, as in
    # scikit-learn: problem k weighs class k's samples by class k's weight
    # and every other sample by 1.
    X, y = _data(cls, multiclass=True)
    params = {"max_iter": 50, "random_state": 0}
    if cls is GDClassifier:
        params.update(loss="log_loss", learning_rate="constant", eta0=0.3)
    weights = {0: 1.0, 1: 3.0, 2: 0.5}
    by_class = _make(cls, solver, class_weight=weights, **params).fit(X, y)
    for k, weight in weights.items():
        by_sample = _make(cls, solver, **params).fit(
            X, y == k, sample_weight=np.where(y == k, weight, 1.0)
        )
        np.testing.assert_allclose(by_class.coef_[k], by_sample.coef_[0], rtol=1e-10, atol=1e-12)
    binary = y < 2
    by_class = _make(cls, solver, class_weight=weights, **params).fit(X[binary], y[binary])
    by_sample = _make(cls, solver, **params).fit(
        X[binary], y[binary], sample_weight=np.array([weights[label] for label in y[binary]])
    )
    np.testing.assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("cls", "solver", "multiclass"), _cases_mc(solvers=("batch", "newton")))
def test_sample_weight_two_equals_repeating_rows(cls, solver, multiclass):
    X, y = _data(cls, multiclass)
    doubled = np.arange(0, X.shape[0], 3)
    sample_weight = np.ones(X.shape[0])
    sample_weight[doubled] = 2.0
    X_rep = np.vstack([X, X[doubled]])
    y_rep = np.concatenate([y, y[doubled]])
    params = {"max_iter": 60, "alpha": 1e-3}
    if cls is not PerceptronGD:
        params.update(learning_rate="constant", eta0=0.2)
    if cls is GDClassifier:
        params["loss"] = "log_loss"
    weighted = _make(cls, solver, **params).fit(X, y, sample_weight=sample_weight)
    repeated = _make(cls, solver, **params).fit(X_rep, y_rep)
    assert weighted.n_iter_ == repeated.n_iter_
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-9)
    # And a weight of 2 on some rows is not the unweighted fit.
    unweighted = _make(cls, solver, **params).fit(X, y)
    assert not np.allclose(unweighted.coef_, weighted.coef_, rtol=1e-6, atol=1e-8)


# --------------------------------------------------------------------------
# Early stopping
# --------------------------------------------------------------------------


def _held_out(cls, X, y, fraction, random_state):
    if cls is GDRegressor:
        splitter = ShuffleSplit(test_size=fraction, random_state=random_state)
    else:
        splitter = StratifiedShuffleSplit(test_size=fraction, random_state=random_state)
    train, test = next(splitter.split(X, y))
    return train, test


@pytest.mark.parametrize(("cls", "solver"), _cases(solvers=("batch", "newton")))
def test_early_stopping_holds_out_validation_data(cls, solver):
    # With deterministic steps and no stopping rule, early_stopping changes only
    # the data: the model is the one fitted on the training rows.
    X, y = _data(cls)
    params = {"max_iter": 30, "tol": None, "random_state": 5}
    if cls is GDClassifier and solver == "newton":
        params["alpha"] = 1e-2
    held = _make(cls, solver, early_stopping=True, validation_fraction=0.2, **params).fit(X, y)
    train, test = _held_out(cls, X, y, 0.2, 5)
    assert len(test) == 40
    on_train = _make(cls, solver, **params).fit(X[train], y[train])
    np.testing.assert_allclose(held.coef_, on_train.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(held.intercept_, on_train.intercept_, rtol=1e-10, atol=1e-12)
    full = _make(cls, solver, **params).fit(X, y)
    assert not np.allclose(held.coef_, full.coef_)


@pytest.mark.parametrize(("cls", "solver"), _cases(solvers=FIRST_ORDER))
def test_early_stopping_stops(cls, solver):
    X, y = _data(cls)
    max_iter = 500
    params = {"random_state": 0, "max_iter": max_iter, "batch_size": 16}
    if cls is GDRegressor:
        params.update(learning_rate="constant", eta0=0.05)
    with warnings.catch_warnings():
        # It stops on the validation score, well before max_iter.
        warnings.simplefilter("error", ConvergenceWarning)
        est = cls(solver=solver, early_stopping=True, **params).fit(X, y)
    assert est.n_iter_ < max_iter
    assert len(est.loss_curve_) == est.n_iter_
    n_train = X.shape[0] - math.ceil(0.1 * X.shape[0])
    # sgd's t_ counts the validation rows too, as scikit-learn's does.
    n_counted = X.shape[0] if solver == "sgd" else n_train
    assert est.t_ == _expected_t(solver, est.n_iter_, n_counted, 16)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_early_stopping_with_zero_validation_weights_raises(cls):
    X, y = _data(cls)
    _, test = _held_out(cls, X, y, 0.1, 0)
    sample_weight = np.ones(X.shape[0])
    sample_weight[test] = 0.0
    est = cls(early_stopping=True, random_state=0, max_iter=5)
    with pytest.raises(ValueError, match="validation set are all zero"):
        est.fit(X, y, sample_weight=sample_weight)
    # Zero weights elsewhere are fine.
    sample_weight = np.ones(X.shape[0])
    sample_weight[test[:-1]] = 0.0
    est.fit(X, y, sample_weight=sample_weight)


# --------------------------------------------------------------------------
# Qualitative behaviour
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", FIRST_ORDER)
@pytest.mark.parametrize("multiclass", [False, True], ids=["binary", "multiclass"])
def test_perceptron_separates_separable_data(solver, multiclass):
    centers = [[-6, -6], [6, 6], [6, -6]] if multiclass else [[-6, -6], [6, 6]]
    X, y = make_blobs(n_samples=200, centers=centers, cluster_std=1.0, random_state=0)
    reference = Perceptron().fit(X, y)
    assert reference.score(X, y) == 1.0
    est = PerceptronGD(solver=solver).fit(X, y)
    assert est.score(X, y) == 1.0


@pytest.mark.parametrize(
    ("cls", "params"),
    [
        (GDRegressor, {}),
        (GDClassifier, {"loss": "log_loss"}),
        (GDClassifier, {"loss": "squared_hinge"}),
    ],
    ids=["regressor", "classifier-log", "classifier-sqhinge"],
)
def test_batch_loss_curve_decreases(cls, params):
    X, y = _data(cls)
    est = cls(
        solver="batch", learning_rate="constant", eta0=0.05, max_iter=100, tol=None, **params
    ).fit(X, y)
    curve = np.asarray(est.loss_curve_)
    assert len(curve) == 100
    assert np.all(np.diff(curve) <= 0)
    assert curve[-1] < 0.9 * curve[0]


@pytest.mark.parametrize(
    ("cls", "params", "multiclass"),
    [
        (GDRegressor, {"loss": "huber", "epsilon": 0.5}, False),
        (GDRegressor, {"loss": "squared_epsilon_insensitive"}, False),
        (GDClassifier, {"loss": "log_loss", "alpha": 1e-4}, False),
        (GDClassifier, {"loss": "log_loss", "alpha": 1e-4}, True),
        (GDClassifier, {"loss": "modified_huber"}, False),
        (GDClassifier, {"loss": "modified_huber"}, True),
        (GDClassifier, {"loss": "squared_hinge"}, False),
        (GDClassifier, {"loss": "squared_hinge"}, True),
    ],
    ids=[
        "huber",
        "sq-eps-insensitive",
        "log-binary",
        "log-multiclass",
        "modified-huber-binary",
        "modified-huber-multiclass",
        "sqhinge-binary",
        "sqhinge-multiclass",
    ],
)
def test_newton_loss_curve_does_not_increase(cls, params, multiclass):
    X, y = _data(cls, multiclass)
    est = cls(solver="newton", max_iter=30, tol=1e-8, **params).fit(X, y)
    curve = np.asarray(est.loss_curve_)
    assert len(curve) == est.n_iter_
    assert np.all(np.diff(curve) <= 0)


@pytest.mark.parametrize("cls", [GDRegressor, GDClassifier], ids=lambda c: c.__name__)
def test_sparsified_model_predicts_as_the_dense_one_on_dense_and_sparse_rows(cls):
    # sparsify() makes a 1-D coef_ a (1, n_features) matrix before
    # scikit-learn 1.9 and a 1-D one from 1.9: both predict as before.
    X, y = make_regression(60, 4, random_state=0)
    y = y if cls is GDRegressor else y > 0
    fitted = cls(random_state=0).fit(X, y)
    dense_rows, sparse_rows = fitted.predict(X), fitted.predict(sp.csr_matrix(X))
    fitted.sparsify()
    assert sp.issparse(fitted.coef_)
    assert_array_equal(fitted.predict(X), dense_rows)
    assert_array_equal(fitted.predict(sp.csr_matrix(X)), sparse_rows)
