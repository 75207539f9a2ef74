"""Atomic fits: an interrupted or failing fit leaves the previous model intact.

``fit`` and ``partial_fit`` change the fitted attributes only when they
succeed. Here a running fit is stopped by a KeyboardInterrupt from a timer
signal (as Ctrl-C would), or by an exception raised inside the solver after
it has already changed its iterate; the model fitted before must be there,
bit for bit, and still predict and continue.
"""

import copy
import functools
import signal

import numpy as np
import pytest
from sklearn.datasets import make_classification, make_regression

import skgd._solvers._first_order as first_order
import skgd._solvers._newton as newton
import skgd._solvers._small_newton as small_newton
from skgd import GDClassifier, GDRegressor, PerceptronGD

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FIRST_ORDER = ("batch", "sgd", "minibatch", "momentum")
SOLVERS = (*FIRST_ORDER, "newton")
CASES = [
    pytest.param(cls, solver, id=f"{cls.__name__}-{solver}")
    for cls in (GDRegressor, GDClassifier, PerceptronGD)
    for solver in SOLVERS
    if not (cls is PerceptronGD and solver == "newton")
]


def _make(cls, solver, **params):
    if cls is GDRegressor and solver == "newton":
        # Huber's Hessian changes with the iterate: Newton takes several steps.
        params.setdefault("loss", "huber")
    if cls is GDClassifier:
        params.setdefault("loss", "log_loss")
    return cls(solver=solver, **params)


@functools.cache
def _data(cls, n_samples, n_features):
    if cls is GDRegressor:
        X, y = make_regression(
            n_samples=n_samples, n_features=n_features, noise=10.0, random_state=0
        )
        return X, y / np.std(y)
    return make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_features // 2,
        n_classes=3,
        flip_y=0.2,
        random_state=0,
    )


def _long_fit_data(cls, solver):
    """Data on which a fit runs for seconds: many epochs, or large Newton systems."""
    if solver == "newton":
        return _data(cls, 40_000, 300)
    return _data(cls, 2_000, 20)


def _snapshot(est):
    """A deep copy of the fitted state: public attributes and the solver's own."""
    return copy.deepcopy(
        {name: value for name, value in vars(est).items() if name.endswith("_") or name[0] == "_"}
    )


def _assert_identical(before, after):
    assert after.keys() == before.keys()
    for name, value in before.items():
        if name == "_solver_states":
            for old, new in zip(value, after[name], strict=True):
                assert np.array_equal(old.coef, new.coef), name
                assert np.array_equal(old.intercept, new.intercept), name
                assert old.t == new.t, name
        elif name == "_partial_fit_random_state":
            assert str(value.get_state()) == str(after[name].get_state()), name
        elif isinstance(value, np.ndarray):
            assert np.array_equal(after[name], value), name
            assert after[name].dtype == value.dtype, name
        else:
            assert after[name] == value, name


class _Alarm:
    """Raise KeyboardInterrupt in the main thread after ``seconds``, as Ctrl-C does."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.fired = False

    def _handler(self, signum, frame):
        self.fired = True
        raise KeyboardInterrupt

    def __enter__(self):
        self.previous = signal.signal(signal.SIGALRM, self._handler)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous)
        return False


@pytest.mark.parametrize("warm_start", [False, True], ids=["refit", "warm-start"])
@pytest.mark.parametrize(("cls", "solver"), CASES)
def test_keyboard_interrupt_during_a_long_fit_keeps_the_previous_model(cls, solver, warm_start):
    X, y = _long_fit_data(cls, solver)
    est = _make(cls, solver, max_iter=3, random_state=0, batch_size=64, alpha=1e-3)
    est.fit(X[:500], y[:500])
    before = _snapshot(est)
    prediction = est.predict(X)

    # Without a stopping rule the fit would run for minutes.
    if solver == "newton":
        est.set_params(max_iter=200, tol=1e-14, warm_start=warm_start)
    else:
        est.set_params(max_iter=10**6, tol=None, warm_start=warm_start)
    with pytest.raises(KeyboardInterrupt), _Alarm(0.1) as alarm:
        est.fit(X, y)
    assert alarm.fired

    _assert_identical(before, _snapshot(est))
    assert np.array_equal(est.predict(X), prediction)
    # The model is still usable: it continues from where it was.
    est.partial_fit(X[:500], y[:500], **({} if cls is GDRegressor else {"classes": [0, 1, 2]}))
    assert np.all(np.isfinite(est.coef_))


class _FailAfter:
    """Wraps a function so that its ``n``-th call raises ``error`` after running."""

    def __init__(self, function, n, error):
        self.function, self.n, self.error, self.calls = function, n, error, 0

    def __call__(self, *args, **kwargs):
        result = self.function(*args, **kwargs)
        self.calls += 1
        if self.calls >= self.n:
            raise self.error
        return result


def _fail_inside_solver(monkeypatch, solver, n, error):
    """Make the solver raise ``error`` once it has run ``n`` epochs or Newton steps.

    The compiled Newton loop of small dense fits runs a whole fit in one
    call: it raises once that call returns, before its model is kept.
    """
    if solver == "newton":
        failing = _FailAfter(newton.NewtonSolver.line_search, n, error)

        def line_search(self):
            return failing(self)

        monkeypatch.setattr(newton.NewtonSolver, "line_search", line_search)
        monkeypatch.setattr(
            small_newton, "_newton_loop", _FailAfter(small_newton._newton_loop, 1, error)
        )
        return failing
    pick_epoch = first_order.pick_epoch
    failing = None

    def pick(*args, **kwargs):
        nonlocal failing
        failing = _FailAfter(pick_epoch(*args, **kwargs), n, error)
        return failing

    monkeypatch.setattr(first_order, "pick_epoch", pick)
    return lambda: failing


@pytest.mark.parametrize("error", [KeyboardInterrupt(), RuntimeError("inside the solver")])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize(("cls", "solver"), CASES)
def test_an_error_inside_the_solver_keeps_the_previous_model(
    cls, solver, method, error, monkeypatch
):
    X, y = _data(cls, 300, 6)
    extra = {} if cls is GDRegressor or method == "fit" else {"classes": [0, 1, 2]}
    est = _make(cls, solver, max_iter=5, tol=None, random_state=0, batch_size=16, alpha=1e-3)
    est.fit(X, y)
    est.partial_fit(X, y, **({} if cls is GDRegressor else {"classes": [0, 1, 2]}))
    before = _snapshot(est)
    prediction = est.predict(X)
    reference = copy.deepcopy(est)

    # partial_fit runs one epoch (one Newton step); fit fails after two.
    with monkeypatch.context() as patch:
        _fail_inside_solver(patch, solver, 1 if method == "partial_fit" else 2, error)
        with pytest.raises(type(error)):
            getattr(est, method)(X, y, **extra)

    _assert_identical(before, _snapshot(est))
    assert np.array_equal(est.predict(X), prediction)
    # Continuing gives exactly what the uninterrupted model gives: the
    # solver state (iterate, schedule, momentum, random state) was restored.
    getattr(est, method)(X, y, **extra)
    getattr(reference, method)(X, y, **extra)
    _assert_identical(_snapshot(reference), _snapshot(est))
