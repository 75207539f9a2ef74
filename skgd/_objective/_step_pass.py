"""One compiled pass over dense X for a search direction and trial steps along it.

A Newton iteration needs the direction's raw predictions ``X·e`` (for the
line search's trials) and, once a step is accepted, the loss and gradient
there (``Xᵀ r``): two passes over X, with the per-sample loss between them.
The full step is accepted in almost every iteration, so this pass computes
all three at once, each row read from memory once: ``zᵢ = xᵢ·e``, then the
loss and its derivative at ``rawᵢ + s·zᵢ``, then ``rᵢ xᵢ`` into the gradient
while the row is still in cache. When the line search rejects the full
step, the caller still has ``X·e`` for its next trials.

A line search on a cluster, where each pass is a round trip, evaluates
several trials ``raw + sₜ·X·e`` in the same pass: the row is read once for
all of them.

Rows are split between threads (the kernel releases the GIL), each summing
its own partial gradient, since one core cannot stream X at the memory's
speed.
"""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from joblib import cpu_count
from numba import njit

from skgd._loss._kernels import MAX_DLOSS, loss_value_gradient
from skgd._loss._log_loss_chunks import CHUNK, log_loss_chunk, scratch
from skgd._loss._losses import LOG_LOSS

# Below this many rows a second thread costs more than it saves.
MIN_ROWS_PER_THREAD = 20_000


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
def _step_pass_rows(
    X, raw, coef_step, intercept_step, scales, y, weight, code, param, raw_step, grads, sums
):
    """The pass over ``X``'s rows; returns the number of derivatives clipped.

    Trial ``t`` adds its loss sum to ``sums[t, 0]``, its intercept gradient
    to ``sums[t, 1]`` and its coefficient gradient to ``grads[t]``.
    """
    if code == LOG_LOSS:
        _log_loss_rows(X, raw, coef_step, intercept_step, scales, y, weight, raw_step, grads, sums)
        return 0
    n_features = X.shape[1]
    n_trials = scales.shape[0]
    n_clipped = 0
    for i in range(X.shape[0]):
        z = 0.0
        for j in range(n_features):
            z += X[i, j] * coef_step[j]
        z += intercept_step
        raw_step[i] = z
        for t in range(n_trials):
            value, derivative = loss_value_gradient(code, param, y[i], raw[i] + scales[t] * z)
            if abs(derivative) > MAX_DLOSS:
                n_clipped += 1
                derivative = min(max(derivative, -MAX_DLOSS), MAX_DLOSS)
            r = weight[i] * derivative
            sums[t, 0] += weight[i] * value
            sums[t, 1] += r
            for j in range(n_features):
                grads[t, j] += r * X[i, j]
    return n_clipped


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract", "nsz"})
def _log_loss_rows(X, raw, coef_step, intercept_step, scales, y, weight, raw_step, grads, sums):
    """The pass for the log loss: rows in chunks, the loss in vectorized loops."""
    n_samples, n_features = X.shape
    n_trials = scales.shape[0]
    values, e, bits = scratch()
    z = np.empty(CHUNK)
    trial = np.empty(CHUNK)
    dloss = np.empty((n_trials, CHUNK))
    for start in range(0, n_samples, CHUNK):
        stop = min(start + CHUNK, n_samples)
        m = stop - start
        for i in range(m):
            dot = 0.0
            for j in range(n_features):
                dot += X[start + i, j] * coef_step[j]
            z[i] = dot + intercept_step
            raw_step[start + i] = z[i]
        for t in range(n_trials):
            for i in range(m):
                trial[i] = raw[start + i] + scales[t] * z[i]
            sums[t, 0] += log_loss_chunk(
                y[start:stop], trial[:m], weight[start:stop], dloss[t, :m], values, e, bits
            )
            total = 0.0
            for i in range(m):
                total += dloss[t, i]
            sums[t, 1] += total
        for i in range(m):
            for t in range(n_trials):
                r = dloss[t, i]
                for j in range(n_features):
                    grads[t, j] += r * X[start + i, j]


def supports(X, raw):
    """Whether the compiled pass serves this ``X``: a C-contiguous NumPy float array."""
    return (
        isinstance(X, np.ndarray)
        and X.dtype in (np.float32, np.float64)
        and X.flags.c_contiguous
        and isinstance(raw, np.ndarray)
        and raw.dtype == X.dtype
    )


def step_pass(X, raw, coef_step, intercept_step, scales, y, weight, loss, n_threads=None):
    """``X·e`` and the weighted loss and gradient sums at ``raw + s·X·e`` for each ``s``.

    Parameters
    ----------
    X : C-contiguous ndarray of shape (n_samples, n_features)
    raw : ndarray of shape (n_samples,)
        Raw predictions at the current point.
    coef_step, intercept_step : ndarray of shape (n_features,), float
        The direction ``e``.
    scales : sequence of float
        The trials' multiples of the direction.
    y, weight : ndarray of shape (n_samples,)
    loss : BaseLoss
        One with a compiled twin (``loss.code >= 0``).
    n_threads : int, default=None
        At most this many threads; None for as many as the machine has
        cores (a worker of a cluster passes its own share).

    Returns
    -------
    raw_step : ndarray of shape (n_samples,)
        ``X·e + intercept_step``.
    loss_sums : ndarray of shape (n_trials,)
        ``Σ weightᵢ loss(yᵢ, pᵢ)`` at each trial.
    grad_coefs : ndarray of shape (n_trials, n_features)
        ``Σ weightᵢ loss′(yᵢ, pᵢ) xᵢ``, in float64.
    grad_intercepts : ndarray of shape (n_trials,)
        ``Σ weightᵢ loss′(yᵢ, pᵢ)``.
    n_clipped : int
        Derivatives clipped at ``MAX_DLOSS``.
    """
    n_samples, n_features = X.shape
    scales = np.asarray(scales, dtype=np.float64)
    n_trials = scales.shape[0]
    raw_step = np.empty_like(raw)
    coef_step = np.ascontiguousarray(coef_step, dtype=X.dtype)
    most_threads = n_samples // MIN_ROWS_PER_THREAD
    # cpu_count reads the cgroup files, which costs as much as a small pass.
    if most_threads > 1:
        n_threads = max(1, min(n_threads or cpu_count(), most_threads))
    else:
        n_threads = 1
    bounds = np.linspace(0, n_samples, n_threads + 1).astype(int) if n_threads > 1 else None
    grads = np.zeros((n_threads, n_trials, n_features))
    sums = np.zeros((n_threads, n_trials, 2))

    def run(k):
        rows = slice(0, n_samples) if bounds is None else slice(bounds[k], bounds[k + 1])
        return _step_pass_rows(
            X[rows],
            raw[rows],
            coef_step,
            float(intercept_step),
            scales,
            y[rows],
            weight[rows],
            loss.code,
            loss.param,
            raw_step[rows],
            grads[k],
            sums[k],
        )

    if n_threads == 1:
        n_clipped = run(0)
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            n_clipped = sum(pool.map(run, range(n_threads)))
    sums = sums.sum(axis=0)
    return raw_step, sums[:, 0], grads.sum(axis=0), sums[:, 1], n_clipped
