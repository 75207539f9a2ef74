"""Compiled per-sample losses: the scalar twins of :mod:`skgd._loss` and their sums.

The scalar functions serve the epochs in :mod:`skgd._solvers._kernels`; the
array functions give :class:`~skgd._objective.LinearObjective` the weighted
loss and its derivatives over NumPy arrays in one pass, without the
temporary arrays of the generic Array API code. ``tests/test_loss.py``
checks both against :mod:`skgd._loss`.
"""

import math

import numpy as np
from numba import njit

from skgd._loss._log_loss_chunks import CHUNK, log_loss_chunk, scratch
from skgd._loss._losses import (
    EPSILON_INSENSITIVE,
    HINGE,
    HUBER,
    LOG_LOSS,
    MODIFIED_HUBER,
    SQUARED_EPSILON_INSENSITIVE,
    SQUARED_ERROR,
    SQUARED_HINGE,
)

# scikit-learn clips per-sample derivatives at this magnitude; so do we.
MAX_DLOSS = 1e12

# fastmath=False explicitly: numba compiles a function without flags of its
# own with the flags of its first compiled caller, and the fastmath kernels
# that call these would let reassociation cancel the rounding corrections
# below (and keep that version for every later caller).
_jit = njit(cache=True, nogil=True, fastmath=False)


@_jit
def _log1p_and_inverse(e):
    """``(log1p(e), 1 / (1 + e))`` for ``0 ≤ e ≤ 1``, from one ``log`` and one division.

    ``u = 1 + e`` rounds by ``δ = (u − 1) − e`` (exactly representable), and
    ``log(1 + e) = log(u) − δ/u`` up to ``δ²``: as accurate as ``log1p`` (1 ulp),
    at half its cost, which the log loss's line searches pay per row and trial.
    """
    u = 1.0 + e
    inverse = 1.0 / u
    return math.log(u) - ((u - 1.0) - e) * inverse, inverse


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
        return max(-z, 0.0) + _log1p_and_inverse(math.exp(-abs(z)))[0]
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
def loss_hessian(code, param, y, p):
    """Scalar twin of ``BaseLoss.hessian``; NaN for a loss without one."""
    if code == SQUARED_ERROR:
        return 1.0
    if code == HUBER:
        return 1.0 if abs(p - y) <= param else 0.0
    if code == SQUARED_EPSILON_INSENSITIVE:
        return 2.0 if abs(y - p) > param else 0.0
    z = y * p
    if code == LOG_LOSS:
        e = math.exp(-abs(p))
        return e / ((1.0 + e) * (1.0 + e))
    if code == MODIFIED_HUBER:
        return 2.0 if -1.0 <= z < 1.0 else 0.0
    if code == SQUARED_HINGE:
        return 2.0 if param - z > 0.0 else 0.0
    return np.nan


@_jit
def loss_value_gradient(code, param, y, p):
    """``(loss_value, loss_gradient)`` at one point, sharing the log loss's exponential."""
    if code == LOG_LOSS:
        z = y * p
        e = math.exp(-abs(z))
        log1p_e, inverse = _log1p_and_inverse(e)
        return max(-z, 0.0) + log1p_e, -y * (e if z >= 0.0 else 1.0) * inverse
    return loss_value(code, param, y, p), loss_gradient(code, param, y, p)


@_jit
def sgd_loss_gradient(code, param, y, p):
    """``(loss_value, loss_gradient)`` computed as scikit-learn's SGD computes them.

    The same formulas in the same order of operations, so that sgd's steps
    round as scikit-learn's do: the log loss as its half binomial loss on
    0/1 labels (``y`` here is ±1), Huber's value from ``|y − p|``.
    """
    if code == LOG_LOSS:
        y01 = 0.5 * (y + 1.0)
        if p > -37.0:
            e = math.exp(-p)
            gradient = ((1.0 - y01) - y01 * e) / (1.0 + e)
        else:
            gradient = math.exp(p) - y01
        return _log1pexp(p) - y01 * p, gradient
    if code == HUBER:
        abserr = abs(y - p)
        if abserr <= param:
            value = 0.5 * abserr * abserr
        else:
            value = param * (abserr - 0.5 * param)
        return value, loss_gradient(code, param, y, p)
    return loss_value(code, param, y, p), loss_gradient(code, param, y, p)


@_jit
def _log1pexp(x):
    """``log(1 + exp(x))`` by scikit-learn's cases."""
    if x <= -37.0:
        return math.exp(x)
    if x <= -2.0:
        return math.log1p(math.exp(x))
    if x <= 18.0:
        return math.log(1.0 + math.exp(x))
    if x <= 33.3:
        return x + math.exp(-x)
    return x


@_jit
def weighted_loss_sum(code, param, y, raw, weight):
    """``Σ weightᵢ · loss(yᵢ, rawᵢ)``, summed in float64."""
    if code == LOG_LOSS:
        return _log_loss_sum(y, raw, weight, None)
    total = 0.0
    for i in range(raw.shape[0]):
        total += weight[i] * loss_value(code, param, y[i], raw[i])
    return total


@_jit
def weighted_loss_gradient(code, param, y, raw, weight, dloss):
    """``Σ weightᵢ · loss(yᵢ, rawᵢ)``, and ``dloss[i] = weightᵢ · loss′(yᵢ, rawᵢ)``.

    Derivatives beyond ``MAX_DLOSS`` are clipped there. Returns the sum and
    the number of derivatives clipped.
    """
    if code == LOG_LOSS:
        return _log_loss_sum(y, raw, weight, dloss), 0
    total = 0.0
    n_clipped = 0
    for i in range(raw.shape[0]):
        value, derivative = loss_value_gradient(code, param, y[i], raw[i])
        if abs(derivative) > MAX_DLOSS:
            n_clipped += 1
            derivative = min(max(derivative, -MAX_DLOSS), MAX_DLOSS)
        total += weight[i] * value
        dloss[i] = weight[i] * derivative
    return total, n_clipped


@_jit
def _log_loss_sum(y, raw, weight, dloss):
    """The weighted log loss chunk by chunk, in vectorized loops; derivatives into ``dloss``.

    With ``dloss`` None, only the sum: the derivatives go to a chunk of scratch.
    """
    values, e, bits = scratch()
    scratch_dloss = np.empty(CHUNK)
    total = 0.0
    n = raw.shape[0]
    for start in range(0, n, CHUNK):
        stop = min(start + CHUNK, n)
        rows = slice(start, stop)
        if dloss is None:
            total += log_loss_chunk(
                y[rows], raw[rows], weight[rows], scratch_dloss[: stop - start], values, e, bits
            )
        else:
            total += log_loss_chunk(y[rows], raw[rows], weight[rows], dloss[rows], values, e, bits)
    return total
