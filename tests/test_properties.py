"""Property tests: any shape, dtype, format, weighting and magnitude is handled.

For random data (1–50 samples, 1–30 features; float64, float32 or integer;
dense, CSR or CSC; sample weights with zeros; constant features, constant
targets, duplicate rows; feature and target magnitudes from 1e-150 to 1e150
where the dtype holds them) every estimator × solver either

- fits, with finite ``coef_`` and ``intercept_``, and predicts without NaN;
- or raises a ValueError that says what to change,

and never hangs: each example runs under a hard time limit. The examples are
derandomized, so CI sees the same ones on every run.
"""

import contextlib
import re
import signal
from datetime import timedelta

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from skgd import GDClassifier, GDRegressor, PerceptronGD

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ("batch", "sgd", "minibatch", "momentum", "newton")
CASES = [
    pytest.param(cls, solver, id=f"{cls.__name__}-{solver}")
    for cls in (GDRegressor, GDClassifier, PerceptronGD)
    for solver in SOLVERS
    if not (cls is PerceptronGD and solver == "newton")
]

# Losses each estimator can use with each solver (newton needs a second derivative).
REGRESSION_LOSSES = (
    "squared_error",
    "huber",
    "epsilon_insensitive",
    "squared_epsilon_insensitive",
)
CLASSIFICATION_LOSSES = ("hinge", "log_loss", "modified_huber", "squared_hinge", "perceptron")
SMOOTH = {"squared_error", "huber", "squared_epsilon_insensitive"} | {
    "log_loss",
    "modified_huber",
    "squared_hinge",
}

# The most and least decimal exponent of the data, per dtype: float64 holds
# 1e±150 (squares still finite), float32 1e±30, int64 up to 1e12.
EXPONENTS = {"float64": (-150, 150), "float32": (-30, 30), "int64": (0, 12)}

# What a refusal tells the user to do. Every ValueError a fit may raise on
# valid, finite input names one of these remedies: scaling (divergence and
# Newton's overflowing Hessian), a positive sample weight, a second class.
# (scikit-learn's sample weight check says it first, in its own words.)
REMEDIES = {
    "scale": re.compile(r"scale the features"),
    "weight": re.compile(
        r"at least one sample needs a positive weight|must contain at least one non-zero"
    ),
    "classes": re.compile(r"needs samples of at least two classes"),
}

# A hard bound per example: a hang fails the test instead of stalling CI.
# Fits here take milliseconds; the deadline catches slow ones, the alarm hangs.
TIME_LIMIT_S = 20
PROPERTY_SETTINGS = settings(
    max_examples=100,
    deadline=timedelta(seconds=5),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class ExampleTimeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    """Raise ExampleTimeout in the main thread once ``seconds`` have passed."""

    def on_alarm(signum, frame):
        raise ExampleTimeout(f"the example ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def says_what_to_change(message):
    """The remedy a refusal names, or None when it names none."""
    for name, remedy in REMEDIES.items():
        if remedy.search(message):
            return name
    return None


def test_says_what_to_change_is_not_vacuous():
    # scikit-learn's generic messages say what is wrong, not what to do: the
    # property would reject them.
    for message in (
        "Input X contains infinity or a value too large for dtype('float64').",
        "Input contains NaN.",
        "Found array with 0 sample(s) (shape=(0, 3)) while a minimum of 1 is required.",
        "The fit diverged.",
    ):
        assert says_what_to_change(message) is None
    with pytest.raises(ValueError) as info:
        GDRegressor().fit(np.ones((3, 2)), np.ones(3), sample_weight=np.zeros(3))
    assert says_what_to_change(str(info.value)) == "weight"
    with pytest.raises(ValueError) as info:
        GDClassifier().fit(np.ones((3, 2)), np.ones(3))
    assert says_what_to_change(str(info.value)) == "classes"
    with pytest.raises(ValueError) as info:
        GDRegressor(solver="batch").fit(np.eye(3) * 1e200, np.arange(3.0))
    assert says_what_to_change(str(info.value)) == "scale"


@st.composite
def problems(draw, classifier):
    """(X, y, sample_weight, description): the structure drawn, the values seeded."""
    n_samples = draw(st.integers(1, 50), label="n_samples")
    n_features = draw(st.integers(1, 30), label="n_features")
    dtype = draw(st.sampled_from(sorted(EXPONENTS)), label="dtype")
    layout = draw(st.sampled_from(["dense", "csr", "csc"]), label="layout")
    lowest, highest = EXPONENTS[dtype]
    if draw(st.booleans(), label="well scaled"):
        # Magnitudes a user's scaled data have: every solver must fit them.
        lowest, highest = max(lowest, -2), 2
    low = draw(st.integers(lowest, highest), label="low exponent")
    high = draw(st.integers(low, min(highest, low + 20)), label="high exponent")
    y_exponent = draw(st.integers(lowest, highest), label="y exponent")
    density = draw(st.sampled_from([1.0, 0.5, 0.1, 0.0]), label="density")
    n_constant = draw(st.integers(0, n_features), label="constant features")
    n_duplicates = draw(st.integers(0, n_samples - 1), label="duplicate rows")
    constant_y = draw(st.booleans(), label="constant y")
    n_classes = draw(st.integers(2, 4), label="classes")
    weights = draw(st.sampled_from([None, "positive", "some zero", "all zero"]), label="weights")
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))

    scales = 10.0 ** rng.uniform(low, high, size=n_features)
    X = rng.standard_normal((n_samples, n_features)) * scales
    X[rng.random(X.shape) >= density] = 0.0
    constant = rng.choice(n_features, size=n_constant, replace=False)
    X[:, constant] = scales[constant] * rng.choice([0.0, 1.0, -3.0], size=n_constant)
    # Duplicates: the last rows repeat earlier ones.
    if n_duplicates:
        X[-n_duplicates:] = X[rng.integers(0, n_samples - n_duplicates, size=n_duplicates)]
    if dtype == "int64":
        X = np.rint(X).astype(np.int64)
    else:
        X = X.astype(dtype)

    if classifier:
        y = rng.integers(0, n_classes, size=n_samples)
        if constant_y:
            y[:] = y[0]
    else:
        y = rng.standard_normal(n_samples) * 10.0**y_exponent
        if constant_y:
            y[:] = y[0]
        if n_duplicates:
            y[-n_duplicates:] = y[rng.integers(0, n_samples - n_duplicates, size=n_duplicates)]
        y = np.rint(y).astype(np.int64) if dtype == "int64" else y.astype(dtype)

    sample_weight = None
    if weights is not None:
        sample_weight = rng.uniform(0.1, 3.0, size=n_samples)
        if weights == "some zero":
            sample_weight[rng.random(n_samples) < 0.5] = 0.0
        elif weights == "all zero":
            sample_weight[:] = 0.0

    if layout != "dense":
        X = sp.csr_matrix(X) if layout == "csr" else sp.csc_matrix(X)
    return X, y, sample_weight


@st.composite
def estimators(draw, cls, solver):
    """An estimator of ``cls`` with ``solver`` and a loss it can use."""
    params = {"solver": solver, "max_iter": 100, "random_state": 0}
    if cls is GDRegressor:
        losses = REGRESSION_LOSSES
    elif cls is GDClassifier:
        losses = CLASSIFICATION_LOSSES
        params["multi_class"] = draw(st.sampled_from(["ovr", "multinomial"]), label="multi_class")
    else:
        losses = None
    if losses is not None:
        usable = [loss for loss in losses if solver != "newton" or loss in SMOOTH]
        params["loss"] = draw(st.sampled_from(usable), label="loss")
        if params.get("multi_class") == "multinomial":
            params["loss"] = "log_loss"
    return cls(**params)


def _expected_refusals(cls, y, sample_weight):
    """The remedies input like this must be refused with, or an empty set."""
    expected = set()
    if sample_weight is not None and not np.any(sample_weight > 0):
        expected.add("weight")
    if cls is not GDRegressor and np.unique(y).shape[0] < 2:
        expected.add("classes")
    return expected


def _well_scaled(X, y, regression):
    """Whether each non-zero feature's (and a regression target's) largest magnitude is in 1e±3."""
    dense = X.toarray() if sp.issparse(X) else X
    scales = np.max(np.abs(dense.astype(np.float64)), axis=0, initial=0.0)
    if regression:
        scales = np.append(scales, np.max(np.abs(y.astype(np.float64)), initial=0.0))
    scales = scales[scales > 0]
    return bool(np.all((1e-3 <= scales) & (scales <= 1e3)))


def _snapshot(est):
    return {
        name: np.array(value, copy=True) if isinstance(value, np.ndarray) else value
        for name, value in vars(est).items()
        if name.endswith("_") and not name.startswith("_") and name != "loss_curve_"
    }


def _assert_fitted_and_predicts(est, X):
    assert np.all(np.isfinite(est.coef_)), est.coef_
    assert np.all(np.isfinite(est.intercept_)), est.intercept_
    if est.solver == "sgd":
        # scikit-learn's finite model where its objective overflowed: kept,
        # with a warning, and its objective is infinite, never NaN.
        assert not np.any(np.isnan(est.loss_curve_))
    else:
        assert np.all(np.isfinite(est.loss_curve_))
    prediction = est.predict(X)
    assert prediction.shape == (X.shape[0],)
    if isinstance(est, GDRegressor):
        assert not np.any(np.isnan(prediction))
    else:
        assert np.isin(prediction, est.classes_).all()
        assert not np.any(np.isnan(est.decision_function(X)))


def _fit_or_refuse(est, fit, expected, well_scaled=False):
    """Run ``fit``; True when it fitted, False when it refused as it may.

    On ``well_scaled`` data no refusal may ask to scale the features: every
    solver's default steps must work there.
    """
    try:
        with time_limit(TIME_LIMIT_S):
            fit()
    except ValueError as error:
        remedy = says_what_to_change(str(error))
        assert remedy is not None, f"the error does not say what to change: {error}"
        if expected:
            assert remedy in expected, str(error)
        assert not (well_scaled and remedy == "scale"), f"well-scaled data refused: {error}"
        return False
    assert not expected, f"a fit on this input must raise, naming {expected}"
    return True


@pytest.mark.parametrize(("cls", "solver"), CASES)
def test_fit_succeeds_finite_or_says_what_to_change(cls, solver, warm_kernels):
    @PROPERTY_SETTINGS
    @given(data=problems(classifier=cls is not GDRegressor), est=estimators(cls, solver))
    def check(data, est):
        X, y, sample_weight = data
        expected = _expected_refusals(cls, y, sample_weight)
        fitted = _fit_or_refuse(
            est,
            lambda: est.fit(X, y, sample_weight=sample_weight),
            expected,
            _well_scaled(X, y, regression=cls is GDRegressor),
        )
        if not fitted:
            assert not hasattr(est, "coef_"), "a failed fit left fitted attributes"
            return
        _assert_fitted_and_predicts(est, X)

        # One more pass with partial_fit: it continues or refuses, and a
        # refusal leaves the fitted model as it was.
        before = _snapshot(est)
        extra = {} if cls is GDRegressor else {"classes": est.classes_}
        if not _fit_or_refuse(
            est, lambda: est.partial_fit(X, y, sample_weight=sample_weight, **extra), set()
        ):
            after = _snapshot(est)
            assert after.keys() == before.keys()
            for name, value in before.items():
                assert np.array_equal(after[name], value), name
        _assert_fitted_and_predicts(est, X)

    check()


@pytest.fixture(scope="module")
def warm_kernels():
    """Load (or compile) the kernels first, so no example's time includes it."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((8, 3))
    for dtype in (np.float64, np.float32):
        for layout in (np.asarray, sp.csr_matrix):
            data = layout(X.astype(dtype))
            GDRegressor(max_iter=2).fit(data, X[:, 0])
            GDClassifier(max_iter=2, loss="log_loss", multi_class="multinomial").fit(
                data, np.arange(8) % 3
            )


def test_time_limit_stops_a_long_fit():
    # The bound is real: a fit that would run for minutes is stopped.
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((2000, 20)), rng.standard_normal(2000)
    est = GDRegressor(solver="batch", max_iter=10**7, tol=None)
    with pytest.raises(ExampleTimeout), time_limit(0.2):
        est.fit(X, y)
    assert not hasattr(est, "coef_")


@pytest.mark.parametrize("solver", SOLVERS)
def test_every_magnitude_extreme_is_handled(solver):
    # The corners the random search may visit rarely, each exactly once.
    rng = np.random.default_rng(1)
    base = rng.standard_normal((30, 4))
    y = base @ np.arange(1.0, 5.0)
    for exponent in (-150, -30, 0, 30, 150):
        X = base * 10.0**exponent
        est = GDRegressor(solver=solver, max_iter=100, random_state=0)
        if _fit_or_refuse(est, lambda est=est, X=X: est.fit(X, y), set()):
            _assert_fitted_and_predicts(est, X)


# Examples the property search found; kept so that they run on every change.


@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_targets_whose_squares_overflow(solver):
    # y = 3e19 fits in float32, y² does not: no overflow warning, and no
    # model with an infinite objective (newton once returned one, predicting 0).
    X = np.array([[-0.98], [1.0]], dtype=np.float32)
    y = np.array([-2.9e19, 1e19], dtype=np.float32)
    est = GDRegressor(solver=solver, max_iter=100, random_state=0)
    if _fit_or_refuse(est, lambda: est.fit(X, y), set()):
        _assert_fitted_and_predicts(est, X)
    if solver == "newton":
        # NumPy losses are summed in float64, where y² is finite: Newton fits
        # the float32 data as it fits their float64 copy.
        reference = clone(est).fit(X.astype(np.float64), y.astype(np.float64))
        np.testing.assert_allclose(est.coef_, reference.coef_, rtol=1e-5)
        np.testing.assert_allclose(est.intercept_, reference.intercept_, rtol=1e-5)


@pytest.mark.parametrize("solver", ["batch", "sgd", "minibatch", "momentum"])
def test_float32_perceptron_whose_predictions_would_overflow(solver):
    # Features of 1e20 in float32: the kernels' float64 sums stayed finite,
    # but the float32 model's decision_function was inf and NaN.
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((3, 5)) * 1e20).astype(np.float32)
    est = PerceptronGD(solver=solver, max_iter=100)
    if _fit_or_refuse(est, lambda: est.fit(X, [0, 1, 1]), set()):
        _assert_fitted_and_predicts(est, X)
