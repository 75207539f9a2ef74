"""The compiled epochs of the sampled-row solvers, on NumPy arrays and CSR matrices.

:func:`run_compiled_epoch` has the signature of every epoch runner in
:mod:`skgd._solvers._first_order`: it moves the solver state into the
compiled kernel's arguments (:mod:`skgd._solvers._kernels`), runs one epoch
and moves the results back.
"""

import numpy as np
import scipy.sparse as sp

from skgd._solvers import _kernels


def accepts(objective, step_rule):
    """Whether the compiled epoch can run this objective with this step rule."""
    numpy_input = isinstance(objective.y, np.ndarray) and (
        isinstance(objective.X, np.ndarray) or sp.issparse(objective.X)
    )
    return numpy_input and step_rule.kernel_params is not None


def run_compiled_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    """One epoch in the compiled kernel; returns the epoch's objective value."""
    if objective.n_classes is None:
        return _binary_epoch(objective, state, order, batch_size, step_rule, schedule, average)
    return _multinomial_epoch(objective, state, order, batch_size, step_rule, schedule, average)


# scikit-learn's SGD moves the intercept 100 times more slowly on sparse
# data: every row updates it, while a sparse feature sees few rows. The
# sampled-row solvers do the same, so that sgd on CSR input follows
# SGDClassifier and SGDRegressor step for step. The optimum does not change.
SPARSE_INTERCEPT_DECAY = 0.01


def intercept_decay(objective):
    return SPARSE_INTERCEPT_DECAY if objective.is_sparse else 1.0


def _kernel_rows(X, dtype):
    """X as the kernels take it: ``(X, data, indices, indptr)`` with X=None for CSR."""
    if sp.issparse(X):
        return None, X.data, X.indices, X.indptr
    dense = X if X.flags.c_contiguous else np.ascontiguousarray(X)
    return dense, None, None, None


def _binary_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    dtype = state.coef.dtype
    dense, data, indices, indptr = _kernel_rows(objective.X, dtype)
    coef = np.array(state.coef, dtype=dtype, copy=True)
    momentum = state.step_state is not None
    if momentum:
        velocity = np.array(state.step_state.coef, dtype=dtype, copy=True)
        velocity_intercept = state.step_state.intercept
        grad = np.zeros_like(coef)
    else:
        velocity, velocity_intercept = np.zeros(0, dtype=dtype), 0.0
        grad = np.zeros(0, dtype=dtype)
    scalars = np.array(
        [state.intercept, velocity_intercept, state.average_intercept, state.l1_total, 0.0]
    )
    average_coef = np.array(state.average_coef, dtype=dtype, copy=True)
    l1_applied = np.array(state.l1_applied, dtype=np.float64, copy=True)
    penalty = objective.penalty
    loss_sum, state.t = _kernels.run_epoch(
        dense,
        data,
        indices,
        indptr,
        objective.y,
        objective.sample_weight,
        order,
        coef,
        scalars,
        velocity,
        average_coef,
        l1_applied,
        np.empty(batch_size),
        grad,
        batch_size,
        objective.fit_intercept,
        objective.loss.code,
        objective.loss.param,
        penalty.l2,
        penalty.l1,
        *step_rule.kernel_params,
        *schedule.kernel_args(state.eta0),
        state.t,
        average,
        intercept_decay(objective),
    )
    state.coef = coef
    state.intercept = float(scalars[0])
    state.average_coef = average_coef
    state.average_intercept = float(scalars[2])
    state.l1_total = float(scalars[3])
    objective.n_clipped += int(scalars[4])
    state.l1_applied = l1_applied
    if momentum:
        state.step_state = type(state.step_state)(velocity, float(scalars[1]))
    return loss_sum / objective.n_samples + penalty.value(coef)


def _multinomial_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    dtype = state.coef.dtype
    dense, data, indices, indptr = _kernel_rows(objective.X, dtype)
    coef = np.array(state.coef, dtype=dtype, copy=True)
    n_classes = coef.shape[0]
    momentum = state.step_state is not None
    intercepts = np.zeros((3, n_classes))
    intercepts[0] = state.intercept
    intercepts[2] = state.average_intercept
    if momentum:
        velocity = np.array(state.step_state.coef, dtype=dtype, copy=True)
        intercepts[1] = state.step_state.intercept
        grad = np.zeros_like(coef)
    else:
        velocity = grad = np.zeros((0, 0), dtype=dtype)
    average_coef = np.array(state.average_coef, dtype=dtype, copy=True)
    l1_applied = np.array(state.l1_applied, dtype=np.float64, copy=True)
    scalars = np.array([state.l1_total])
    penalty = objective.penalty
    loss_sum, state.t = _kernels.run_multinomial_epoch(
        dense,
        data,
        indices,
        indptr,
        objective.y,
        objective.sample_weight,
        order,
        coef,
        intercepts,
        velocity,
        average_coef,
        l1_applied,
        scalars,
        np.empty((batch_size, n_classes)),
        grad,
        batch_size,
        objective.fit_intercept,
        penalty.l2,
        penalty.l1,
        *step_rule.kernel_params,
        *schedule.kernel_args(state.eta0),
        state.t,
        average,
        intercept_decay(objective),
    )
    state.coef = coef
    state.intercept = intercepts[0].astype(dtype)
    state.average_coef = average_coef
    state.average_intercept = intercepts[2].astype(dtype)
    state.l1_total = float(scalars[0])
    state.l1_applied = l1_applied
    if momentum:
        state.step_state = type(state.step_state)(velocity, intercepts[1].astype(dtype))
    return loss_sum / objective.n_samples + penalty.value(coef)
