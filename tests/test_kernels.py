"""The compiled epoch: one kernel for one row of coefficients and for K rows.

``tests/test_solvers.py`` checks the kernel's iterates against the generic
path for every loss, penalty and step rule. The tests here check what is
particular to the kernel: each kind of row's link from raw predictions to
loss derivatives, the multinomial rows' lazy average, the solver state the
kernel hands back, and that the settings never cost a new compilation.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numba import njit
from scipy.special import logsumexp, softmax
from sklearn.datasets import make_classification
from sklearn.preprocessing import StandardScaler

from skgd._loss import LogLoss, make_loss
from skgd._loss._kernels import MAX_DLOSS, sgd_loss_gradient
from skgd._objective import LinearObjective, MultinomialObjective
from skgd._penalty import make_penalty
from skgd._schedules import Schedule
from skgd._solvers import (
    EpochState,
    MomentumStep,
    PlainStep,
    _compiled_epoch,
    _kernel_rows,
    _kernels,
)
from skgd._solvers._first_order import first_order_solve
from skgd._solvers._step_rules import Velocity

# --------------------------------------------------------------------------
# The links


@pytest.mark.parametrize("label", [2, 2.0], ids=["int", "float"])
def test_the_softmax_link_gives_the_cross_entropy_and_its_derivatives(label):
    raw = np.array([0.3, -1.2, 2.0, 0.5])
    scores = raw.copy()
    loss = _kernels._softmax_link(label, scores)
    np.testing.assert_allclose(loss, logsumexp(raw) - raw[2], rtol=1e-14)
    np.testing.assert_allclose(scores, softmax(raw) - np.eye(4)[2], rtol=1e-14, atol=1e-16)


def test_the_softmax_link_stays_finite_on_huge_scores():
    raw = np.array([800.0, -800.0, 790.0])
    scores = raw.copy()
    loss = _kernels._softmax_link(1, scores)
    np.testing.assert_allclose(loss, logsumexp(raw) + 800.0, rtol=1e-14)
    # exp(score − log-sum-exp) of scores near 800: an ulp of 800 is 1e-13.
    np.testing.assert_allclose(scores, softmax(raw) - np.eye(3)[1], rtol=1e-12, atol=1e-16)


def test_one_row_link_is_the_loss_and_clips_its_derivative():
    squared_error = make_loss("squared_error")
    value, derivative, clipped = _kernels._one_row_link(squared_error.code, 0.0, 1.0, 3.0)
    assert (value, derivative, clipped) == (
        *sgd_loss_gradient(squared_error.code, 0.0, 1.0, 3.0),
        0,
    )
    value, derivative, clipped = _kernels._one_row_link(squared_error.code, 0.0, 0.0, -1e13)
    assert (value, derivative, clipped) == (0.5e26, -MAX_DLOSS, 1)


# --------------------------------------------------------------------------
# CSR rows


@njit
def _csr_row_ops(data, indices, indptr, i, coef, scale):
    dot = _kernel_rows._csr_row_dot(data, indices, indptr, i, coef, 1)
    _kernel_rows._csr_row_axpy(data, indices, indptr, i, scale, coef, 1)
    return dot, _kernel_rows._csr_row_norms(indices, indptr, i, coef, 1)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_csr_rows_add_in_storage_order_with_either_index_width(index_dtype):
    # scipy stores indices in int64 past 2**31 entries; the helpers index
    # by unsigned integers, and must read both widths the same.
    rng = np.random.default_rng(0)
    X = sp.random(5, 40, density=0.3, format="csr", random_state=rng)
    X.indices, X.indptr = X.indices.astype(index_dtype), X.indptr.astype(index_dtype)
    coef = rng.standard_normal((2, 40))
    for i in range(X.shape[0]):
        start, stop = X.indptr[i], X.indptr[i + 1]
        columns, values = X.indices[start:stop], X.data[start:stop]
        expected_dot = 0.0
        for column, value in zip(columns, values, strict=True):
            expected_dot += value * coef[1, column]
        expected_coef = coef.copy()
        expected_coef[1, columns] += 0.25 * values
        dot, (squares, absolutes) = _csr_row_ops(X.data, X.indices, X.indptr, i, coef, 0.25)
        assert dot == expected_dot
        np.testing.assert_array_equal(coef, expected_coef)
        assert squares == pytest.approx(np.sum(coef[1, columns] ** 2), rel=1e-14)
        assert absolutes == pytest.approx(np.sum(np.abs(coef[1, columns])), rel=1e-14)


# --------------------------------------------------------------------------
# The multinomial rows' lazy average


def _multinomial_problem(sparse):
    X, y = make_classification(200, 6, n_informative=4, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    X[np.abs(X) < 0.3] = 0.0
    weight = np.random.RandomState(0).uniform(0.5, 2.0, size=200)
    return (sp.csr_matrix(X) if sparse else X), y, weight


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("batch_size", [1, 7])
@pytest.mark.parametrize(
    "penalty",
    [("l2", 10.0, 0.15), ("l2", 20.0, 0.15), ("elasticnet", 0.05, 0.5)],
    ids=["scale-folded", "clamped-to-zero", "l1-truncated"],
)
def test_the_multinomial_lazy_average_follows_the_dense_one(penalty, batch_size, sparse):
    # eta·l2 = 0.5 shrinks the weight scale past every fold; eta·l2 = 1
    # clamps the weights to zero; the L1 truncation moves single weights.
    # The kernel's lazy average must follow the generic path's dense one.
    X, y, weight = _multinomial_problem(sparse)
    results = []
    for compiled in (True, False):
        objective = MultinomialObjective(make_penalty(*penalty), X, y, weight, True, 3)
        coef = np.zeros((3, 6))
        rule = PlainStep()
        results.append(
            first_order_solve(
                objective,
                EpochState(coef, np.zeros(3), rule.init(coef)),
                step_rule=rule,
                schedule=Schedule("constant", eta0=0.05, loss=LogLoss()),
                batch_size=batch_size,
                max_iter=3,
                tol=None,
                random_state=np.random.RandomState(0),
                average=5,
                compiled=compiled,
            )
        )
    compiled, generic = results
    np.testing.assert_allclose(compiled.coef, generic.coef, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(compiled.intercept, generic.intercept, rtol=1e-10, atol=1e-14)
    assert np.max(np.abs(generic.coef)) > 1e-6


# --------------------------------------------------------------------------
# The solver state around the kernel


def _epoch(objective, state, step_rule, batch_size=4):
    order = np.random.RandomState(0).permutation(objective.n_samples)
    schedule = Schedule("invscaling", eta0=0.05, power_t=0.25, loss=objective.loss)
    state.eta0 = schedule.eta0
    return _compiled_epoch.run_compiled_epoch(
        objective, state, order, batch_size, step_rule, schedule, average=2
    )


@pytest.mark.parametrize("step_rule", [PlainStep(), MomentumStep(0.9)], ids=["plain", "momentum"])
def test_one_row_keeps_its_vector_and_float_intercept(step_rule):
    X, y, weight = _multinomial_problem(sparse=False)
    objective = LinearObjective(
        make_loss("hinge"),
        make_penalty("l1", 0.01, 0.15),
        X,
        np.where(y == 1, 1.0, -1.0),
        weight,
        True,
    )
    coef = np.zeros(6)
    state = EpochState(coef, 0.0, step_rule.init(coef))
    before = [state.coef, state.average_coef, state.l1_applied]
    _epoch(objective, state, step_rule)
    assert state.coef.shape == state.average_coef.shape == state.l1_applied.shape == (6,)
    assert isinstance(state.intercept, float) and isinstance(state.average_intercept, float)
    assert state.t == 1.0 + 50
    if isinstance(step_rule, PlainStep):
        # The cumulative L1 penalty of the plain step's truncation.
        assert isinstance(state.l1_total, float) and state.l1_total > 0
    else:
        assert isinstance(state.step_state, Velocity)
        assert state.step_state.coef.shape == (6,) and isinstance(
            state.step_state.intercept, float
        )
    # New arrays: the ones a caller held are left as they were.
    assert all(np.array_equal(array, np.zeros(6)) for array in before)
    assert not any(np.shares_memory(state.coef, array) for array in before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_k_rows_keep_their_matrix_and_intercepts_in_the_data_dtype(dtype):
    X, y, weight = _multinomial_problem(sparse=False)
    objective = MultinomialObjective(
        make_penalty("l2", 0.01, 0.15), X.astype(dtype), y, weight, True, 3
    )
    coef = np.zeros((3, 6), dtype=dtype)
    step_rule = MomentumStep(0.9, nesterov=True)
    state = EpochState(coef, np.zeros(3, dtype=dtype), step_rule.init(coef))
    _epoch(objective, state, step_rule)
    for array in (state.coef, state.average_coef, state.step_state.coef):
        assert array.shape == (3, 6) and array.dtype == dtype
    for array in (state.intercept, state.average_intercept, state.step_state.intercept):
        assert array.shape == (3,) and array.dtype == dtype
    assert np.all(state.coef != 0.0) and np.all(state.intercept != 0.0)


def test_the_settings_never_cost_a_compilation():
    # The settings reach the kernel in fixed types: every loss, schedule,
    # penalty and step rule runs the version compiled for the data's types.
    X, y, weight = _multinomial_problem(sparse=True)
    y = np.where(y == 1, 1.0, -1.0)

    def fit(loss, penalty, step_rule, schedule, average):
        objective = LinearObjective(make_loss(loss), make_penalty(*penalty), X, y, weight, False)
        coef = np.zeros(6)
        first_order_solve(
            objective,
            EpochState(coef, 0.0, step_rule.init(coef)),
            step_rule=step_rule,
            schedule=Schedule(schedule, eta0=0.01, alpha=penalty[1], loss=objective.loss),
            batch_size=3,
            max_iter=2,
            tol=None,
            average=average,
        )

    fit("log_loss", ("l2", 0.01, 0.15), PlainStep(), "optimal", average=0)
    compiled = len(_kernels.run_epoch.signatures)
    fit("huber", ("elasticnet", 0.1, 0.5), MomentumStep(0.5, nesterov=True), "invscaling", 2)
    fit("epsilon_insensitive", (None, 0.0, 0.15), MomentumStep(0.9), "constant", average=0)
    fit("hinge", ("l1", 0.01, 0.15), PlainStep(), "invscaling", average=3)
    assert len(_kernels.run_epoch.signatures) == compiled


@pytest.mark.parametrize("loss", ["squared_error", "hinge"])
def test_the_running_squared_norm_is_the_norm_of_the_weights(loss):
    # scikit-learn's stopping rule sums the penalty at its running ‖w‖²,
    # which a dense row's update recomputes over every weight; the kernel
    # keeps it from the row's own squares instead. Both agree to rounding.
    X, y, weight = _multinomial_problem(sparse=False)
    y = np.where(y == 1, 1.0, -1.0)
    objective = LinearObjective(
        make_loss(loss), make_penalty("l2", 0.01, 0.15), X, y, weight, True
    )
    coef = np.zeros(6)
    state = EpochState(coef, 0.0, PlainStep().init(coef))
    state.start_call(running_sums=True)
    schedule = Schedule("invscaling", eta0=0.05, power_t=0.25, loss=objective.loss)
    state.eta0 = schedule.eta0
    for seed in range(3):
        order = np.random.RandomState(seed).permutation(objective.n_samples)
        # Plain single-row steps with no average: the kernel's lean epoch.
        _compiled_epoch.run_compiled_epoch(
            objective, state, order, 1, PlainStep(), schedule, average=0
        )
        norm = np.sum(state.coef**2)
        assert norm > 0
        np.testing.assert_allclose(state.running_norms[0, 0], norm, rtol=1e-12)
