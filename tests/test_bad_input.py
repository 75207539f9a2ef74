"""Bad input, impossible settings and diverging fits: clear errors, nothing lost.

Whatever scikit-learn's validation rejects is rejected with its errors; the
combinations that cannot work raise at fit saying what to use instead; a fit
that fails leaves a previously fitted estimator exactly as it was.
"""

import copy
import re
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _versions import compares_with_sgd
from sklearn.datasets import load_diabetes, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.multiclass import check_classification_targets

from skgd import GDClassifier, GDRegressor, PerceptronGD

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

STOCHASTIC = ("sgd", "minibatch", "momentum")
FIRST_ORDER = ("batch", *STOCHASTIC)
SOLVERS = (*FIRST_ORDER, "newton")
ESTIMATORS = (GDRegressor, GDClassifier, PerceptronGD)
CLASSIFIERS = (GDClassifier, PerceptronGD)


def _cases(estimators=ESTIMATORS, solvers=SOLVERS):
    return [
        pytest.param(cls, solver, id=f"{cls.__name__}-{solver}")
        for cls in estimators
        for solver in solvers
        if not (cls is PerceptronGD and solver == "newton")
    ]


def _make(cls, solver, **params):
    if cls is GDClassifier and solver == "newton" and "loss" not in params:
        params["loss"] = "log_loss"
    return cls(solver=solver, **params)


X_REG, Y_REG = make_regression(n_samples=150, n_features=5, noise=1.0, random_state=0)
X_CLF, Y_CLF = make_classification(
    n_samples=150,
    n_features=5,
    n_informative=3,
    n_classes=3,
    n_clusters_per_class=1,
    random_state=0,
)


def _data(cls):
    return (X_REG, Y_REG) if cls is GDRegressor else (X_CLF, Y_CLF)


def _with(X, row, col, value):
    X = X.astype(np.result_type(X.dtype, np.asarray(value).dtype), copy=True)
    X[row, col] = value
    return X


# --------------------------------------------------------------------------
# What scikit-learn's validation rejects
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("cls", "solver"), _cases())
@pytest.mark.parametrize(
    ("value", "match"), [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")]
)
def test_non_finite_X_is_rejected(cls, solver, value, match):
    X, y = _data(cls)
    bad = _with(X, 7, 2, value)
    est = _make(cls, solver, max_iter=5)
    with pytest.raises(ValueError, match=match):
        est.fit(bad, y)
    with pytest.raises(ValueError, match=match):
        est.fit(sp.csr_matrix(bad), y)
    assert not hasattr(est, "coef_")
    est.fit(X, y)
    with pytest.raises(ValueError, match=match):
        est.predict(bad)
    with pytest.raises(ValueError, match=match):
        est.predict(sp.csr_matrix(bad))


@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_regression_target_is_rejected(value):
    y = Y_REG.copy()
    y[3] = value
    with pytest.raises(ValueError, match="Input y contains"):
        GDRegressor(max_iter=5).fit(X_REG, y)


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_complex_X_is_rejected(cls, solver):
    X, y = _data(cls)
    est = _make(cls, solver, max_iter=5)
    with pytest.raises(ValueError, match="Complex data not supported"):
        est.fit(X + 1j, y)
    est.fit(X, y)
    with pytest.raises(ValueError, match="Complex data not supported"):
        est.predict(X + 1j)


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_empty_X_is_rejected(cls, solver):
    X, y = _data(cls)
    est = _make(cls, solver, max_iter=5)
    with pytest.raises(ValueError, match="0 sample"):
        est.fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="0 feature"):
        est.fit(X[:, :0], y)
    est.fit(X, y)
    with pytest.raises(ValueError, match="0 sample"):
        est.predict(X[:0])


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_wrong_number_of_features_at_predict(cls, solver):
    X, y = _data(cls)
    est = _make(cls, solver, max_iter=5).fit(X, y)
    methods = ["predict", "score"] if cls is GDRegressor else ["predict", "decision_function"]
    for X_bad in (X[:, :3], np.hstack([X, X[:, :1]])):
        for method in methods:
            args = (X_bad, y) if method == "score" else (X_bad,)
            with pytest.raises(ValueError, match="features"):
                getattr(est, method)(*args)
        with pytest.raises(ValueError, match="features"):
            est.predict(sp.csr_matrix(X_bad))
    if cls is GDClassifier and solver == "newton":
        with pytest.raises(ValueError, match="features"):
            est.predict_proba(X[:, :3])


@pytest.mark.parametrize(("cls", "solver"), _cases(estimators=CLASSIFIERS))
def test_single_class_is_rejected(cls, solver):
    X, _ = _data(cls)
    est = _make(cls, solver, max_iter=5)
    with pytest.raises(ValueError, match="class"):
        est.fit(X, np.ones(X.shape[0]))
    with pytest.raises(ValueError, match="class"):
        est.fit(X, np.full(X.shape[0], "only"))
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize(("cls", "solver"), _cases(estimators=CLASSIFIERS))
def test_continuous_target_is_rejected_by_classifiers(cls, solver):
    X, _ = _data(cls)
    with pytest.raises(ValueError, match="Unknown label type"):
        _make(cls, solver, max_iter=5).fit(X, np.linspace(0, 1, X.shape[0]))


@pytest.mark.parametrize("labels", [[0.0, 1.0, 0.5], [0, 1, 2.25]], ids=["half", "quarter"])
def test_a_single_fractional_label_is_continuous(labels):
    X, _ = _data(GDClassifier)
    y = np.resize(np.asarray(labels[:2], dtype=float), X.shape[0])
    y[7] = labels[2]
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        GDClassifier().fit(X, y)


@pytest.mark.parametrize("dtype", [np.int64, np.float64])
def test_more_classes_than_half_the_samples_warns_as_scikit_learn(dtype):
    # Newer scikit-learn warns that such a y may be a regression target (1.6
    # does not): the fit warns exactly when the installed version's check does.
    X, _ = _data(GDClassifier)
    y = np.arange(X.shape[0], dtype=dtype) % (X.shape[0] // 2 + 1)
    message = "greater than 50% of the number of samples"
    with warnings.catch_warnings(record=True) as expected:
        warnings.simplefilter("always")
        check_classification_targets(y)
    with warnings.catch_warnings(record=True) as given:
        warnings.simplefilter("always")
        GDClassifier(max_iter=2, tol=None).fit(X, y)
    warned = sum(message in str(w.message) for w in expected)
    assert sum(message in str(w.message) for w in given) == warned


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_negative_sample_weight_is_rejected(cls, solver):
    X, y = _data(cls)
    sample_weight = np.ones(X.shape[0])
    sample_weight[4] = -0.5
    with pytest.raises(ValueError, match="[Nn]egative"):
        _make(cls, solver, max_iter=5).fit(X, y, sample_weight=sample_weight)


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_all_zero_sample_weight_is_rejected(cls, solver):
    X, y = _data(cls)
    with pytest.raises(ValueError, match="zero"):
        _make(cls, solver, max_iter=5).fit(X, y, sample_weight=np.zeros(X.shape[0]))


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_all_zero_sample_weight_with_early_stopping_names_the_validation_set(cls, solver):
    # As scikit-learn: the validation split's message, the more informative one.
    X, y = _data(cls)
    est = _make(cls, solver, max_iter=5, early_stopping=True)
    with pytest.raises(ValueError, match="weights of the validation set are all zero"):
        est.fit(X, y, sample_weight=np.zeros(X.shape[0]))


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_sample_weight_of_wrong_length_is_rejected(cls, solver):
    X, y = _data(cls)
    with pytest.raises(ValueError, match="sample_weight"):
        _make(cls, solver, max_iter=5).fit(X, y, sample_weight=np.ones(X.shape[0] - 1))


@pytest.mark.parametrize(("cls", "solver"), _cases())
def test_inconsistent_lengths_are_rejected(cls, solver):
    X, y = _data(cls)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _make(cls, solver, max_iter=5).fit(X, y[:-1])


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_predict_before_fit_raises_not_fitted(cls):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        cls().predict(_data(cls)[0])


# --------------------------------------------------------------------------
# Divergence
# --------------------------------------------------------------------------

X_UNSCALED = X_REG * 1e3


@pytest.mark.parametrize("solver", FIRST_ORDER)
def test_divergence_raises_when_no_step_works_and_says_what_to_do(solver):
    # Features of 1e200: every step from 1e3 down to 1e-5 overflows.
    est = GDRegressor(solver=solver, learning_rate="constant", eta0=1e3, random_state=0)
    with pytest.raises(ValueError, match="eta0") as info:
        est.fit(X_REG * 1e200, Y_REG)
    assert "StandardScaler" in str(info.value)
    assert not hasattr(est, "coef_")


# Where each first-order solver's fit overflows at the given steps but not at
# smaller ones. sgd keeps any finite model, as scikit-learn does, and
# restarts only where scikit-learn raises: features of 1e150 overflow its
# default steps. The others restart from a blow-up too: eta0 = 100 blows
# up on standardized data.
RESTARTS = {
    "sgd": (1e150, {}),
    "batch": (1.0, {"learning_rate": "constant", "eta0": 100.0}),
    "minibatch": (1.0, {"learning_rate": "constant", "eta0": 100.0}),
    "momentum": (1.0, {"learning_rate": "constant", "eta0": 100.0}),
}


@pytest.mark.parametrize("solver", FIRST_ORDER)
def test_divergence_restarts_with_smaller_steps_and_says_so(solver):
    # The fit restarts from its starting point with steps ten times smaller
    # until one works, warns once naming it, and reports it in eta0_: the
    # model is the one a fit started with that step gives.
    X, y = _standardized_diabetes()
    scale, steps = RESTARTS[solver]
    X = X * scale
    est = GDRegressor(solver=solver, random_state=0, **steps)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est.fit(X, y)
    (restarted,) = [w for w in caught if "restarted" in str(w.message)]
    assert restarted.category is ConvergenceWarning
    assert f"{est.eta0_:.3g}" in str(restarted.message)
    first = steps.get("eta0", 0.01)
    restarts = round(np.log10(first / est.eta0_))
    assert restarts >= 1
    np.testing.assert_allclose(est.eta0_, first * 10.0**-restarts, rtol=1e-12)
    assert est.learning_rate_ == steps.get("learning_rate", "invscaling")
    direct = GDRegressor(solver=solver, random_state=0, **{**steps, "eta0": est.eta0_}).fit(X, y)
    np.testing.assert_array_equal(est.coef_, direct.coef_)
    np.testing.assert_array_equal(est.intercept_, direct.intercept_)


@pytest.mark.parametrize("solver", FIRST_ORDER)
def test_partial_fit_raises_on_divergence_and_keeps_its_state(solver):
    X, y = _standardized_diabetes()
    est = GDRegressor(solver=solver, learning_rate="constant", eta0=1e-3, random_state=0)
    est.partial_fit(X, y)
    before = (est.coef_.copy(), est.intercept_.copy(), est.t_)
    with pytest.raises(ValueError, match="StandardScaler"):
        est.partial_fit(X * 1e200, y)
    np.testing.assert_array_equal(est.coef_, before[0])
    np.testing.assert_array_equal(est.intercept_, before[1])
    assert est.t_ == before[2]
    est.partial_fit(X, y)  # and it goes on from there


@pytest.mark.parametrize("solver", FIRST_ORDER)
@pytest.mark.parametrize("eta0", [1.0, 1e3, 1e8])
@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_divergence_never_returns_nan(solver, eta0, learning_rate):
    est = GDRegressor(
        solver=solver, learning_rate=learning_rate, eta0=eta0, max_iter=30, random_state=0
    )
    try:
        est.fit(X_UNSCALED, Y_REG)
    except ValueError as error:
        assert "eta0" in str(error)
        assert "StandardScaler" in str(error)
        assert not hasattr(est, "coef_")
    else:
        assert np.all(np.isfinite(est.coef_))
        assert np.all(np.isfinite(est.intercept_))
        assert np.all(np.isfinite(est.loss_curve_))
        assert np.all(np.isfinite(est.predict(X_UNSCALED)))


def _standardized_diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), (y - y.mean()) / y.std()


@compares_with_sgd
def test_a_finite_blow_up_warns_and_returns_scikit_learns_model():
    # 'optimal' with squared error overshoots here (scikit-learn's
    # SGDRegressor ends with R² near -1e21) without reaching inf or NaN: the
    # objective ends 1e22 above the zero model's. The fit returns the same
    # finite model as scikit-learn, with a warning that says what to change.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDRegressor

    X, y = _standardized_diabetes()
    est = GDRegressor(learning_rate="optimal", random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged.*learning_rate='optimal'"):
        est.fit(X, y)
    theirs = SGDRegressor(learning_rate="optimal", random_state=0).fit(X, y)
    assert np.all(np.isfinite(est.coef_)) and np.max(np.abs(theirs.coef_)) > 1e6
    np.testing.assert_allclose(est.coef_, theirs.coef_, rtol=1e-6)


def test_a_constant_step_above_two_over_l_restarts_below_it():
    # eta0 = 1.25 is 2.5/L for these data: batch gradient descent grows
    # geometrically and cannot recover, so the fit stops early, at the epoch
    # where the objective passed 1e4 times its start, and restarts at 0.125.
    X, y = _standardized_diabetes()
    est = GDRegressor(solver="batch", learning_rate="constant", eta0=1.25, max_iter=300)
    with pytest.warns(ConvergenceWarning, match=r"diverged at epoch (\d+)") as caught:
        est.fit(X, y)
    epoch = int(re.search(r"epoch (\d+)", str(caught[0].message)).group(1))
    assert epoch < 100
    assert est.eta0_ == pytest.approx(0.125, rel=1e-12)
    assert np.all(np.diff(est.loss_curve_) <= 0)


@compares_with_sgd
def test_an_overflow_says_so_as_scikit_learn_does_then_what_to_change():
    # Features of 1e200: every step's weights overflow, as scikit-learn's
    # do. The message opens as scikit-learn's does, so code that matches on
    # it keeps working.
    from sklearn.linear_model import SGDRegressor

    X = np.random.RandomState(0).normal(size=(100, 3)) * 1e200
    y = X[:, 0] * 1e-200
    with pytest.raises(ValueError, match="Floating-point under-/overflow"):
        SGDRegressor(random_state=0).fit(X, y)
    est = GDRegressor(random_state=0)
    with pytest.raises(ValueError) as info:
        est.fit(X, y)
    message = str(info.value)
    assert message.startswith("Floating-point under-/overflow occurred at epoch #1.")
    assert "scale the features first" in message and "eta0" in message
    assert not hasattr(est, "coef_")


def test_a_warm_start_far_from_the_optimum_is_not_divergence():
    # The threshold counts from the starting point: a fit that starts at a
    # huge objective and improves is no divergence.
    X, y = _standardized_diabetes()
    start = np.full(X.shape[1], 1e4)
    est = GDRegressor(solver="batch", learning_rate="line_search", max_iter=5, tol=None)
    est.fit(X, y, coef_init=start)
    assert est.loss_curve_[-1] < est.loss_curve_[0]


# --------------------------------------------------------------------------
# A failed fit loses nothing
# --------------------------------------------------------------------------


def _fitted_attributes(est):
    return {
        name: copy.deepcopy(value)
        for name, value in vars(est).items()
        if name.endswith("_") and not name.startswith("_")
    }


def _assert_same_attributes(before, after):
    assert set(after) == set(before), "fitted attributes were added or removed"
    for name, value in before.items():
        if isinstance(value, np.ndarray):
            assert np.array_equal(after[name], value), name
            assert after[name].dtype == value.dtype, name
        else:
            assert after[name] == value, name


def _zero_validation_weights(cls, X, y):
    if cls is GDRegressor:
        splitter = ShuffleSplit(test_size=0.1, random_state=0)
    else:
        splitter = StratifiedShuffleSplit(test_size=0.1, random_state=0)
    _, test = next(splitter.split(X, y))
    sample_weight = np.ones(X.shape[0])
    sample_weight[test] = 0.0
    return sample_weight


def _failing_fits(cls):
    """(name, how to make the next fit fail) for an estimator fitted on _data(cls)."""
    X, y = _data(cls)
    nonsmooth = "epsilon_insensitive" if cls is GDRegressor else "hinge"
    fits = {
        "nan": lambda est: est.fit(_with(X, 0, 0, np.nan), y),
        "inf-sparse": lambda est: est.fit(sp.csr_matrix(_with(X, 0, 0, np.inf)), y),
        "negative-weight": lambda est: est.fit(X, y, sample_weight=-np.ones(X.shape[0])),
        "zero-validation-weights": lambda est: est.set_params(
            early_stopping=True, random_state=0
        ).fit(X, y, sample_weight=_zero_validation_weights(cls, X, y)),
        "coef-init-shape": lambda est: est.fit(X, y, coef_init=np.ones(X.shape[1] + 1)),
        "invalid-param": lambda est: est.set_params(batch_size=0).fit(X, y),
        # The same failures on data of another shape: nothing of the new data
        # (its number of features, its names) may stick either.
        "nan-other-n-features": lambda est: est.fit(_with(X[:, :3], 0, 0, np.nan), y),
    }
    if cls is PerceptronGD:
        fits["newton"] = lambda est: est.set_params(solver="newton").fit(X, y)
    else:
        fits["newton-nonsmooth-loss"] = lambda est: est.set_params(
            solver="newton", loss=nonsmooth
        ).fit(X, y)
        fits["newton-l1"] = lambda est: est.set_params(solver="newton", penalty="l1").fit(X, y)
        fits["newton-nonsmooth-other-n-features"] = lambda est: est.set_params(
            solver="newton", loss=nonsmooth
        ).fit(X[:, :3], y)
    if cls is GDRegressor:
        fits["diverging"] = lambda est: est.set_params(
            learning_rate="constant", eta0=1e3, solver="sgd"
        ).fit(X * 1e200, y)
    else:
        fits["single-class"] = lambda est: est.fit(X, np.zeros(X.shape[0]))
        fits["single-class-other-n-features"] = lambda est: est.fit(X[:, :3], np.zeros(X.shape[0]))
        fits["warm-start-new-classes"] = lambda est: est.set_params(warm_start=True).fit(X, y + 1)
    return [
        pytest.param(cls, name, fit, id=f"{cls.__name__}-{name}") for name, fit in fits.items()
    ]


@pytest.mark.parametrize(
    ("cls", "name", "failing_fit"),
    [case for cls in ESTIMATORS for case in _failing_fits(cls)],
)
def test_failed_fit_keeps_the_previous_model(cls, name, failing_fit):
    X, y = _data(cls)
    est = cls(solver="sgd", max_iter=20, random_state=0).fit(X, y)
    before = _fitted_attributes(est)
    assert {"coef_", "intercept_", "n_iter_", "loss_curve_", "t_", "n_features_in_"} <= set(before)
    prediction = est.predict(X)
    scores = None if cls is GDRegressor else est.decision_function(X)

    with pytest.raises(ValueError):
        failing_fit(est)

    _assert_same_attributes(before, _fitted_attributes(est))
    assert np.array_equal(est.predict(X), prediction)
    if scores is not None:
        assert np.array_equal(est.decision_function(X), scores)


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_failed_fit_keeps_feature_names(cls):
    pd = pytest.importorskip("pandas")
    X, y = _data(cls)
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    est = cls(max_iter=20, random_state=0).fit(frame, y)
    before = _fitted_attributes(est)
    assert "feature_names_in_" in before
    prediction = est.predict(frame)
    with pytest.raises(ValueError, match="NaN"):
        est.fit(_with(X, 0, 0, np.nan), y)  # an array: no feature names
    _assert_same_attributes(before, _fitted_attributes(est))
    assert np.array_equal(est.predict(frame), prediction)


# --------------------------------------------------------------------------
# Combinations that cannot work
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "loss"),
    [
        (GDClassifier, "hinge"),
        (GDClassifier, "perceptron"),
        (GDClassifier, "epsilon_insensitive"),
        (GDRegressor, "epsilon_insensitive"),
    ],
)
def test_newton_refuses_losses_without_second_derivative(cls, loss):
    X, y = _data(cls)
    est = cls(solver="newton", loss=loss)
    with pytest.raises(ValueError, match="solver='newton'") as info:
        est.fit(X, y)
    message = str(info.value)
    assert loss in message
    # It says what to use instead: a smooth loss or a first-order solver.
    assert "log_loss" in message or "squared_error" in message
    assert "'batch'" in message and "'sgd'" in message
    assert not hasattr(est, "coef_")
    # The suggested alternatives do work.
    cls(solver="batch", loss=loss, max_iter=5).fit(X, y)


@pytest.mark.parametrize("cls", [GDRegressor, GDClassifier], ids=lambda c: c.__name__)
@pytest.mark.parametrize("penalty", ["l1", "elasticnet"])
def test_newton_refuses_l1_penalties(cls, penalty):
    X, y = _data(cls)
    est = _make(cls, "newton", penalty=penalty)
    with pytest.raises(ValueError, match=f"penalty='{penalty}'") as info:
        est.fit(X, y)
    assert "penalty='l2'" in str(info.value)
    assert "solver='batch'" in str(info.value)
    # l1_ratio=0 makes elasticnet smooth: nothing to refuse.
    if penalty == "elasticnet":
        _make(cls, "newton", penalty=penalty, l1_ratio=0.0).fit(X, y)
    # With alpha=0 there is no penalty at all.
    _make(cls, "newton", penalty=penalty, alpha=0.0).fit(X, y)


@pytest.mark.parametrize(
    ("cls", "solver"), _cases(estimators=(GDRegressor, GDClassifier), solvers=FIRST_ORDER)
)
def test_optimal_learning_rate_needs_positive_alpha(cls, solver):
    X, y = _data(cls)
    est = cls(solver=solver, learning_rate="optimal", alpha=0.0)
    with pytest.raises(ValueError, match="alpha") as info:
        est.fit(X, y)
    assert "learning_rate" in str(info.value)
    assert not hasattr(est, "coef_")
    # With alpha > 0 it fits; the regressor takes huber, whose bounded
    # derivative suits the optimal schedule's large first steps.
    loss = {"loss": "huber"} if cls is GDRegressor else {}
    cls(solver=solver, learning_rate="optimal", alpha=1e-3, max_iter=3, **loss).fit(X, y)


def test_optimal_learning_rate_with_zero_alpha_is_fine_for_newton():
    # newton has no learning rate: nothing to refuse.
    GDRegressor(solver="newton", learning_rate="optimal", alpha=0.0).fit(X_REG, Y_REG)


@pytest.mark.parametrize("cls", [GDRegressor, GDClassifier], ids=lambda c: c.__name__)
@pytest.mark.parametrize("average", [True, 10])
def test_average_refused_with_newton(cls, average):
    X, y = _data(cls)
    est = _make(cls, "newton", average=average)
    with pytest.raises(ValueError, match="average") as info:
        est.fit(X, y)
    assert "average=False" in str(info.value)
    for solver in STOCHASTIC:
        cls(solver=solver, average=average, max_iter=3).fit(X, y)


def test_elasticnet_without_l1_ratio_is_refused():
    with pytest.raises(ValueError, match="l1_ratio"):
        GDRegressor(penalty="elasticnet", l1_ratio=None).fit(X_REG, Y_REG)


def test_invalid_parameter_is_sklearns_error():
    with pytest.raises(InvalidParameterError, match="solver"):
        GDRegressor(solver="lbfgs").fit(X_REG, Y_REG)


# --------------------------------------------------------------------------
# coef_init / intercept_init of the wrong shape
# --------------------------------------------------------------------------


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("shape", [(4,), (6,), (2, 5), (5, 2), (0,)], ids=str)
def test_regressor_coef_init_of_wrong_shape(solver, shape):
    with pytest.raises(ValueError, match="coef_init does not match dataset"):
        GDRegressor(solver=solver).fit(X_REG, Y_REG, coef_init=np.ones(shape))


@pytest.mark.parametrize("solver", SOLVERS)
def test_regressor_coef_init_of_right_shape_is_accepted(solver):
    GDRegressor(solver=solver, max_iter=2).fit(X_REG, Y_REG, coef_init=np.ones(5))


@pytest.mark.parametrize("shape", [(3,), (0,), (2, 1)], ids=str)
def test_regressor_intercept_init_of_wrong_shape(shape):
    # scikit-learn's SGDRegressor: "Provided intercept_init does not match dataset."
    est = GDRegressor(max_iter=2)
    with pytest.raises(ValueError, match="intercept_init does not match dataset"):
        est.fit(X_REG, Y_REG, intercept_init=np.ones(shape))
    assert not hasattr(est, "coef_")
    est.fit(X_REG, Y_REG, intercept_init=np.ones(1))
    est.fit(X_REG, Y_REG, intercept_init=1.0)


@pytest.mark.parametrize(("cls", "solver"), _cases(estimators=CLASSIFIERS))
@pytest.mark.parametrize("multiclass", [False, True], ids=["binary", "multiclass"])
def test_classifier_coef_init_with_wrong_number_of_rows(cls, solver, multiclass):
    X, y = (X_CLF, Y_CLF) if multiclass else (X_CLF, Y_CLF == 0)
    n_rows = 3 if multiclass else 1
    est = _make(cls, solver)
    with pytest.raises(ValueError, match="coef_init does not match dataset"):
        est.fit(X, y, coef_init=np.ones((n_rows + 1, 5)))
    with pytest.raises(ValueError, match="intercept_init does not match dataset"):
        est.fit(X, y, intercept_init=np.ones(n_rows + 1))
    assert not hasattr(est, "coef_")
    est.set_params(max_iter=2).fit(
        X, y, coef_init=np.ones((n_rows, 5)), intercept_init=np.ones(n_rows)
    )


@pytest.mark.parametrize("cls", CLASSIFIERS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("multiclass", [False, True], ids=["binary", "multiclass"])
@pytest.mark.parametrize("n_features", [4, 6])
def test_classifier_coef_init_with_wrong_number_of_features(cls, multiclass, n_features):
    # The data have 5 features; the error should say that coef_init is wrong.
    X, y = (X_CLF, Y_CLF) if multiclass else (X_CLF, Y_CLF == 0)
    n_rows = 3 if multiclass else 1
    est = cls()
    with pytest.raises(ValueError, match="coef_init does not match dataset"):
        est.fit(X, y, coef_init=np.ones((n_rows, n_features)))
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("cls", [GDRegressor, GDClassifier], ids=lambda c: c.__name__)
def test_newton_on_overflowing_features_says_to_scale_them(cls):
    # Squares of 1e200 overflow float64: the Hessian cannot be formed, and the
    # error says what to do rather than failing inside the linear algebra.
    X, y = _data(cls)
    params = {"loss": "log_loss"} if cls is GDClassifier else {}
    with pytest.raises(ValueError, match="scale the features"):
        cls(solver="newton", **params).fit(X * 1e200, y)


@pytest.mark.parametrize("cls", [GDRegressor, GDClassifier])
def test_negative_power_t_is_deprecated_as_in_scikit_learn(cls):
    X, y = _data(cls)
    X = StandardScaler().fit_transform(X)
    with pytest.warns(FutureWarning, match="Negative values for `power_t` are deprecated"):
        cls(power_t=-0.1, learning_rate="invscaling", max_iter=5, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        cls(power_t=0.0, learning_rate="invscaling", max_iter=5, random_state=0).fit(X, y)
