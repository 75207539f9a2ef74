"""One compiled pass over dense X for a search direction and its full step.

A Newton iteration needs the direction's raw predictions ``X·e`` (for the
line search's trials) and, once a step is accepted, the loss and gradient
there (``Xᵀ r``): two passes over X, with the per-sample loss between them.
The full step is accepted in almost every iteration, so this pass computes
all three at once, each row read from memory once: ``zᵢ = xᵢ·e``, then the
loss and its derivative at ``rawᵢ + s·zᵢ``, then ``rᵢ xᵢ`` into the gradient
while the row is still in cache. When the line search rejects the full
step, the caller still has ``X·e`` for its next trials.

Rows are split between threads (the kernel releases the GIL), each summing
its own partial gradient, since one core cannot stream X at the memory's
speed.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from joblib import cpu_count
from numba import njit

from skgd._loss_kernels import MAX_DLOSS, loss_value_gradient

# Below this many rows a second thread costs more than it saves.
MIN_ROWS_PER_THREAD = 20_000


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
def _step_pass_rows(
    X, raw, coef_step, intercept_step, scale, y, weight, code, param, raw_step, grad
):
    """The pass over ``X``'s rows; returns (loss sum, intercept gradient, clipped count)."""
    n_features = X.shape[1]
    total = 0.0
    grad_intercept = 0.0
    n_clipped = 0
    for i in range(X.shape[0]):
        z = 0.0
        for j in range(n_features):
            z += X[i, j] * coef_step[j]
        z += intercept_step
        raw_step[i] = z
        p = raw[i] + scale * z
        value, derivative = loss_value_gradient(code, param, y[i], p)
        if abs(derivative) > MAX_DLOSS:
            n_clipped += 1
            derivative = min(max(derivative, -MAX_DLOSS), MAX_DLOSS)
        total += weight[i] * value
        r = weight[i] * derivative
        grad_intercept += r
        for j in range(n_features):
            grad[j] += r * X[i, j]
    return total, grad_intercept, n_clipped


def supports(X, raw):
    """Whether the compiled pass serves this ``X``: a C-contiguous NumPy float array."""
    return (
        isinstance(X, np.ndarray)
        and X.dtype in (np.float32, np.float64)
        and X.flags.c_contiguous
        and isinstance(raw, np.ndarray)
        and raw.dtype == X.dtype
    )


def step_pass(X, raw, coef_step, intercept_step, scale, y, weight, loss):
    """``X·e`` and the weighted loss and gradient sums at ``raw + scale·X·e``.

    Parameters
    ----------
    X : C-contiguous ndarray of shape (n_samples, n_features)
    raw : ndarray of shape (n_samples,)
        Raw predictions at the current point.
    coef_step, intercept_step : ndarray of shape (n_features,), float
        The direction ``e``.
    scale : float
        The trial's fraction of the direction.
    y, weight : ndarray of shape (n_samples,)
    loss : BaseLoss
        One with a compiled twin (``loss.code >= 0``).

    Returns
    -------
    raw_step : ndarray of shape (n_samples,)
        ``X·e + intercept_step``.
    loss_sum : float
        ``Σ weightᵢ loss(yᵢ, pᵢ)`` at the trial.
    grad_coef : ndarray of shape (n_features,)
        ``Σ weightᵢ loss′(yᵢ, pᵢ) xᵢ``, in float64.
    grad_intercept : float
        ``Σ weightᵢ loss′(yᵢ, pᵢ)``.
    n_clipped : int
        Derivatives clipped at ``MAX_DLOSS``.
    """
    n_samples, n_features = X.shape
    raw_step = np.empty_like(raw)
    coef_step = np.ascontiguousarray(coef_step, dtype=X.dtype)
    n_threads = max(1, min(cpu_count(), n_samples // MIN_ROWS_PER_THREAD))
    bounds = np.linspace(0, n_samples, n_threads + 1).astype(int)
    grads = np.zeros((n_threads, n_features))

    def run(k):
        rows = slice(bounds[k], bounds[k + 1])
        return _step_pass_rows(
            X[rows],
            raw[rows],
            coef_step,
            float(intercept_step),
            float(scale),
            y[rows],
            weight[rows],
            loss.code,
            loss.param,
            raw_step[rows],
            grads[k],
        )

    if n_threads == 1:
        parts = [run(0)]
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            parts = list(pool.map(run, range(n_threads)))
    loss_sum = sum(part[0] for part in parts)
    grad_intercept = sum(part[1] for part in parts)
    n_clipped = sum(part[2] for part in parts)
    return raw_step, loss_sum, grads.sum(axis=0), grad_intercept, n_clipped
