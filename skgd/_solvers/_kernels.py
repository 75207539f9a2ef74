"""Compiled epochs of per-sample and small-batch gradient descent.

One kernel serves sgd (``batch_size=1``), minibatch and momentum, on dense
C-contiguous arrays and on CSR matrices, in float32 and float64 (numba
specializes on the dtypes it sees and caches each on disk). The arithmetic
mirrors the generic path in :mod:`skgd._solvers._first_order` step for step,
so both give the same iterates; ``tests/test_solvers.py`` checks it.

The kernels hold no global state: everything they change is passed in.
"""

import math

import numpy as np
from numba import njit

from skgd._loss import (
    EPSILON_INSENSITIVE,
    HINGE,
    HUBER,
    LOG_LOSS,
    MODIFIED_HUBER,
    SQUARED_EPSILON_INSENSITIVE,
    SQUARED_ERROR,
    SQUARED_HINGE,
)
from skgd._schedules import INVSCALING, OPTIMAL

# Step rules.
PLAIN = 0
MOMENTUM = 1
NESTEROV = 2


# scikit-learn clips per-sample derivatives at this magnitude; so do we.
MAX_DLOSS = 1e12

_jit = njit(cache=True, nogil=True)


@_jit
def loss_value(code, param, y, p):
    """Scalar twin of ``BaseLoss.loss``."""
    if code == SQUARED_ERROR:
        return 0.5 * (p - y) * (p - y)
    if code == HUBER:
        r = abs(p - y)
        return 0.5 * r * r if r <= param else param * r - 0.5 * param * param
    if code == EPSILON_INSENSITIVE:
        return max(0.0, abs(y - p) - param)
    if code == SQUARED_EPSILON_INSENSITIVE:
        z = max(0.0, abs(y - p) - param)
        return z * z
    z = y * p
    if code == HINGE:
        return max(0.0, param - z)
    if code == LOG_LOSS:
        return max(-z, 0.0) + math.log1p(math.exp(-abs(z)))
    if code == MODIFIED_HUBER:
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return (1.0 - z) * (1.0 - z)
        return -4.0 * z
    if code == SQUARED_HINGE:
        m = max(0.0, param - z)
        return m * m
    return np.nan


@_jit
def loss_gradient(code, param, y, p):
    """Scalar twin of ``BaseLoss.gradient``."""
    if code == SQUARED_ERROR:
        return p - y
    if code == HUBER:
        return min(max(p - y, -param), param)
    if code == EPSILON_INSENSITIVE:
        r = p - y
        if r > param:
            return 1.0
        if r < -param:
            return -1.0
        return 0.0
    if code == SQUARED_EPSILON_INSENSITIVE:
        r = p - y
        if r > param:
            return 2.0 * (r - param)
        if r < -param:
            return 2.0 * (r + param)
        return 0.0
    z = y * p
    if code == HINGE:
        return -y if z <= param else 0.0
    if code == LOG_LOSS:
        # -y * sigmoid(-z), written so that exp never overflows.
        if z >= 0.0:
            e = math.exp(-z)
            return -y * e / (1.0 + e)
        return -y / (1.0 + math.exp(z))
    if code == MODIFIED_HUBER:
        if z >= 1.0:
            return 0.0
        if z >= -1.0:
            return -2.0 * (1.0 - z) * y
        return -4.0 * y
    if code == SQUARED_HINGE:
        m = param - z
        return -2.0 * y * m if m > 0.0 else 0.0
    return np.nan


@_jit
def learning_rate(schedule, eta0, power_t, alpha, optimal_init, t):
    """Step size at update ``t`` (counted from 1), as in scikit-learn."""
    if schedule == OPTIMAL:
        return 1.0 / (alpha * (optimal_init + t - 1.0))
    if schedule == INVSCALING:
        return eta0 / t**power_t
    return eta0


@_jit
def _row_dot(X, data, indices, indptr, sparse, i, coef):
    acc = 0.0
    if sparse:
        for k in range(indptr[i], indptr[i + 1]):
            acc += data[k] * coef[indices[k]]
    else:
        for j in range(X.shape[1]):
            acc += X[i, j] * coef[j]
    return acc


@_jit
def _row_axpy(X, data, indices, indptr, sparse, i, scale, out):
    if sparse:
        for k in range(indptr[i], indptr[i + 1]):
            out[indices[k]] += scale * data[k]
    else:
        for j in range(X.shape[1]):
            out[j] += scale * X[i, j]


@_jit
def run_epoch(
    X,
    data,
    indices,
    indptr,
    sparse,
    y,
    sample_weight,
    order,
    coef,
    intercept,
    velocity,
    average_coef,
    grad,
    batch_size,
    fit_intercept,
    loss_code,
    loss_param,
    l2,
    l1,
    step_rule,
    momentum,
    schedule,
    eta0,
    power_t,
    alpha,
    optimal_init,
    t,
    average_start,
):
    """Make one pass over the rows in ``order``, ``batch_size`` rows a step.

    ``coef``, ``velocity`` and ``average_coef`` are updated in place; the
    intercept, its velocity and its average travel in ``intercept``, a
    length-3 array. Each step computes the batch's raw predictions with the
    coefficients from before the step, then

    - plain: ``w ← prox_l1(w − η (g + l2·w))``;
    - momentum: ``b ← μ b + (g + l2·w + l1·sign(w))``, ``w ← w − η b``;
    - Nesterov: the same ``b``, then ``w ← w − η (g_full + μ b)``.

    Returns the sample-weighted sum of the losses met before each update,
    and the updated step counter ``t``.
    """
    n_features = coef.shape[0]
    n_rows = order.shape[0]
    loss_sum = 0.0
    start = 0
    while start < n_rows:
        stop = min(start + batch_size, n_rows)
        n_batch = stop - start
        grad[:] = 0.0
        grad_intercept = 0.0
        for k in range(start, stop):
            i = order[k]
            p = _row_dot(X, data, indices, indptr, sparse, i, coef) + intercept[0]
            loss_sum += sample_weight[i] * loss_value(loss_code, loss_param, y[i], p)
            dloss = loss_gradient(loss_code, loss_param, y[i], p)
            dloss = min(max(dloss, -MAX_DLOSS), MAX_DLOSS) * sample_weight[i]
            if dloss != 0.0:
                _row_axpy(X, data, indices, indptr, sparse, i, dloss / n_batch, grad)
                grad_intercept += dloss / n_batch
        eta = learning_rate(schedule, eta0, power_t, alpha, optimal_init, t)
        if step_rule == PLAIN:
            shrink = max(0.0, 1.0 - eta * l2)
            for j in range(n_features):
                w = shrink * coef[j] - eta * grad[j]
                if l1 > 0.0:
                    w = math.copysign(max(abs(w) - eta * l1, 0.0), w)
                coef[j] = w
            if fit_intercept:
                intercept[0] -= eta * grad_intercept
        else:
            for j in range(n_features):
                g = grad[j] + l2 * coef[j]
                if l1 > 0.0 and coef[j] != 0.0:
                    g += math.copysign(l1, coef[j])
                velocity[j] = momentum * velocity[j] + g
                if step_rule == NESTEROV:
                    coef[j] -= eta * (g + momentum * velocity[j])
                else:
                    coef[j] -= eta * velocity[j]
            if fit_intercept:
                intercept[1] = momentum * intercept[1] + grad_intercept
                if step_rule == NESTEROV:
                    intercept[0] -= eta * (grad_intercept + momentum * intercept[1])
                else:
                    intercept[0] -= eta * intercept[1]
        if 0 < average_start <= t:
            weight = 1.0 / (t - average_start + 1.0)
            for j in range(n_features):
                average_coef[j] += (coef[j] - average_coef[j]) * weight
            intercept[2] += (intercept[0] - intercept[2]) * weight
        t += 1.0
        start = stop
    return loss_sum, t
