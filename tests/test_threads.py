"""Threads and determinism: concurrent fits equal serial ones, bit for bit.

The compiled kernels release the GIL, and one-vs-rest solves its binary
problems in joblib threads; neither may let one fit see another's state.
"""

import threading
import types
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp
from numba.core.registry import CPUDispatcher
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression

from skgd import GDClassifier, GDRegressor, PerceptronGD
from skgd._solvers import _kernels

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ("batch", "sgd", "minibatch", "momentum", "newton")
CASES = [
    pytest.param(cls, solver, id=f"{cls.__name__}-{solver}")
    for cls in (GDRegressor, GDClassifier, PerceptronGD)
    for solver in SOLVERS
    if not (cls is PerceptronGD and solver == "newton")
]
N_THREADS = 4


def _make(cls, solver, **params):
    if cls is GDClassifier and solver == "newton":
        params.setdefault("loss", "log_loss")
    return cls(solver=solver, **params)


def _tasks(cls):
    """Four (X, y) of different dtypes, layouts and shapes, one per thread."""
    tasks = []
    for k, (dtype, layout) in enumerate(
        [(np.float64, "dense"), (np.float32, "dense"), (np.float64, "csr"), (np.float32, "csr")]
    ):
        if cls is GDRegressor:
            X, y = make_regression(n_samples=200, n_features=8 + k, noise=1.0, random_state=k)
            y = y / np.std(y)
        else:
            X, y = make_classification(
                n_samples=200,
                n_features=8 + k,
                n_informative=4,
                n_classes=2 + k % 3,
                random_state=k,
            )
        X = X.astype(dtype)
        tasks.append((sp.csr_matrix(X) if layout == "csr" else X, y))
    return tasks


def _state(est):
    return (est.coef_, est.intercept_, est.loss_curve_, est.n_iter_, est.t_)


def _assert_bit_identical(first, second):
    coef, intercept, curve, n_iter, t = first
    assert np.array_equal(coef, second[0])
    assert coef.dtype == second[0].dtype
    assert np.array_equal(intercept, second[1])
    assert curve == second[2]
    assert (n_iter, t) == (second[3], second[4])


def _fit_in_threads(estimators, tasks):
    """Fit ``estimators[k]`` on ``tasks[k]``, all threads released at once."""
    barrier = threading.Barrier(len(estimators))

    def fit(est, task):
        barrier.wait()
        return _state(est.fit(*task))

    with ThreadPoolExecutor(max_workers=len(estimators)) as pool:
        futures = [
            pool.submit(fit, est, task) for est, task in zip(estimators, tasks, strict=True)
        ]
        return [future.result() for future in futures]


@pytest.mark.parametrize(("cls", "solver"), CASES)
def test_fits_in_four_threads_equal_fits_one_after_another(cls, solver):
    tasks = _tasks(cls)
    template = _make(cls, solver, max_iter=15, tol=None, batch_size=16, alpha=1e-3)
    if cls is not GDRegressor:
        # Each multiclass fit also runs its one-vs-rest problems in threads.
        template.set_params(n_jobs=2)
    seeded = [clone(template).set_params(random_state=k) for k in range(N_THREADS)]
    serial = [_state(clone(est).fit(*task)) for est, task in zip(seeded, tasks, strict=True)]
    for _ in range(2):
        concurrent = _fit_in_threads([clone(est) for est in seeded], tasks)
        for expected, got in zip(serial, concurrent, strict=True):
            _assert_bit_identical(expected, got)
    # The same data in every thread: still one result.
    same = _fit_in_threads([clone(seeded[0]) for _ in range(N_THREADS)], [tasks[0]] * N_THREADS)
    for got in same:
        _assert_bit_identical(serial[0], got)


@pytest.mark.parametrize(("cls", "solver"), [c for c in CASES if c.values[0] is not GDRegressor])
@pytest.mark.parametrize("layout", ["dense", "csr"])
def test_one_vs_rest_is_identical_for_n_jobs_1_2_and_all(cls, solver, layout):
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, n_classes=4, random_state=0
    )
    if layout == "csr":
        X = sp.csr_matrix(X)
    params = {"random_state": 0, "max_iter": 20, "batch_size": 16, "alpha": 1e-3}
    states, partial_states = [], []
    for n_jobs in (1, 2, -1):
        est = _make(cls, solver, n_jobs=n_jobs, **params).fit(X, y)
        assert est.coef_.shape == (4, 6)
        states.append(_state(est))
        # partial_fit continues the problems in threads too.
        est = _make(cls, solver, n_jobs=n_jobs, **params)
        for chunk in np.array_split(np.arange(300), 3):
            est.partial_fit(X[chunk], y[chunk], classes=np.arange(4))
        partial_states.append(_state(est))
    for state in states[1:]:
        _assert_bit_identical(states[0], state)
    for state in partial_states[1:]:
        _assert_bit_identical(partial_states[0], state)


@pytest.mark.parametrize("backend", ["threading", "loky", "multiprocessing"])
def test_every_joblib_backend_fits_the_same_model_and_continues_it(backend):
    # The one-vs-rest problems update their solver states in place, so they
    # run in shared memory whichever backend is active; a later partial_fit
    # continues from the fitted state.
    from joblib import parallel_backend
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    serial = GDClassifier(random_state=0, n_jobs=None).fit(X, y).partial_fit(X, y)
    with parallel_backend(backend, n_jobs=2):
        est = GDClassifier(random_state=0, n_jobs=2).fit(X, y).partial_fit(X, y)
    _assert_bit_identical(_state(serial), _state(est))


def _global_names(code):
    """Every name a function's code (and the code nested in it) looks up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _is_stateless(value):
    """Constants, modules, functions and numba's compile-time machinery hold no state."""
    if isinstance(value, bool | int | float | str | types.NoneType):
        return True
    if isinstance(value, types.ModuleType | types.FunctionType | CPUDispatcher):
        return True
    return type(value).__module__.split(".")[0] in ("numba", "llvmlite")


def test_kernels_hold_no_global_state():
    functions = {
        name: getattr(obj, "py_func", obj)
        for name, obj in vars(_kernels).items()
        if isinstance(obj, types.FunctionType | CPUDispatcher)
        and getattr(obj, "__module__", None) == _kernels.__name__
    }
    assert "run_epoch" in functions
    assert isinstance(_kernels.run_epoch, CPUDispatcher)
    for name, function in functions.items():
        for global_name in _global_names(function.__code__):
            if global_name not in function.__globals__:
                continue  # an attribute, not a global
            value = function.__globals__[global_name]
            assert _is_stateless(value), f"{name} reads global {global_name}: {type(value)}"
    # The check itself would catch a global array or list.
    assert not _is_stateless(np.zeros(3))
    assert not _is_stateless([])


@pytest.mark.parametrize("solver", ["sgd", "momentum"])
def test_a_kernel_call_does_not_depend_on_the_calls_before_it(solver):
    # Fit A, then B on other data, dtype and loss, then A again: A is unchanged.
    tasks = _tasks(GDClassifier)
    first = _make(GDClassifier, solver, loss="log_loss", random_state=0, max_iter=5, tol=None)
    other = _make(GDClassifier, solver, loss="modified_huber", random_state=1, max_iter=5)
    before = _state(clone(first).fit(*tasks[0]))
    other.fit(*tasks[3])
    _assert_bit_identical(before, _state(clone(first).fit(*tasks[0])))
