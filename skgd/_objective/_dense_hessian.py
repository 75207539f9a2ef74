"""The packed Hessian of a linear objective on small dense NumPy data, in one compiled call.

A small Newton fit (a grid search's fold, a few thousand rows) spends most
of an iteration building its Hessian, and at that size the cost is in the
steps around the product, not in it: the per-sample second derivatives,
the scaled copy of X, the intercept's row and column, the penalty's
diagonal. Here they are one pass: each row ``xᵢ`` is scaled by
``√dᵢ`` into ``S = √D X`` while the intercept's column ``Xᵀd`` and
corner ``Σ dᵢ`` are summed, and one BLAS product ``SᵀS`` gives the rest.
A general product (gemm) of a tall, narrow S runs faster than the
symmetric one (syrk) at these sizes: 25 µs against 42 µs on 1,600 × 20.
An intercept column in S would make the product slower (49 µs with 21
columns).
"""

import math

import numpy as np
from numba import njit

from skgd._loss._kernels import loss_hessian

# Rows up to which the scaled copy S is made whole; beyond, the blocked
# product of :func:`skgd._objective._gram.weighted_gram` keeps memory bounded.
MAX_ROWS = 2048


def supports(X, raw, y, sample_weight):
    """Whether :func:`packed_hessian` serves these arrays."""
    return (
        isinstance(X, np.ndarray)
        and X.dtype in (np.float32, np.float64)
        and X.ndim == 2
        and X.shape[0] <= MAX_ROWS
        and all(isinstance(a, np.ndarray) and a.dtype == X.dtype for a in (raw, y, sample_weight))
    )


def packed_hessian(X, y, raw, sample_weight, loss, l2, fit_intercept):
    """``Xᵀ D X + l2·I`` with ``D = diag(sᵢ loss″(yᵢ, rawᵢ) / n)``, the intercept packed last.

    Returns None where a weighted second derivative is negative or NaN
    (negative sample weights, overflow): the general path handles those.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss import HalfSquaredError
    >>> from skgd._objective._dense_hessian import packed_hessian
    >>> X = np.array([[1.0], [3.0]])
    >>> y, raw, weight = np.zeros(2), np.zeros(2), np.ones(2)
    >>> packed_hessian(X, y, raw, weight, HalfSquaredError(), 0.5, True)
    array([[5.5, 2. ],
           [2. , 1. ]])
    """
    hessian = _packed_hessian(
        X, y, raw, sample_weight, loss.code, loss.param, float(l2), bool(fit_intercept)
    )
    return hessian if hessian.shape[0] else None


@njit(cache=True, nogil=True)
def _packed_hessian(X, y, raw, weight, code, param, l2, fit_intercept):
    n_samples, n_features = X.shape
    scaled = np.empty((n_samples, n_features), dtype=X.dtype)
    cross = np.zeros(n_features)
    corner = 0.0
    for i in range(n_samples):
        d = weight[i] / n_samples * loss_hessian(code, param, y[i], raw[i])
        if not d >= 0.0:
            return np.empty((0, 0), dtype=X.dtype)
        root = math.sqrt(d)
        for j in range(n_features):
            scaled[i, j] = X[i, j] * root
            cross[j] += X[i, j] * d
        corner += d
    n_params = n_features + 1 if fit_intercept else n_features
    hessian = np.empty((n_params, n_params), dtype=X.dtype)
    gram = scaled.T @ scaled
    # Element loops, not slice assignments: numba takes seconds more to
    # compile a 2-D slice assignment.
    for j in range(n_features):
        for k in range(n_features):
            hessian[j, k] = gram[j, k]
        hessian[j, j] += l2
        if fit_intercept:
            hessian[j, n_features] = hessian[n_features, j] = cross[j]
    if fit_intercept:
        hessian[n_features, n_features] = corner
    return hessian
