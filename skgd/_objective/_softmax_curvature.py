"""The softmax cross-entropy's curvature in coefficient space: Hessian and Hessian-vector product.

For row ``i`` with features ``x̃ᵢ`` (``xᵢ`` and a 1 for the intercept) and
class probabilities ``pᵢ``, the data term's Hessian is

    ``H = Σᵢ wᵢ (diag(pᵢ) − pᵢ pᵢᵀ) ⊗ x̃ᵢ x̃ᵢᵀ``.

Built class pair by class pair, that is K(K+1)/2 weighted Gram products,
each a pass over X. Built as ``Σ diag(pᵢ) ⊗ x̃ᵢx̃ᵢᵀ − ZᵀZ`` with the rows
``zᵢ = √wᵢ pᵢ ⊗ x̃ᵢ``, it is one dense product per block of rows, which BLAS
runs at full speed, and K small ones. The product ``H v`` costs two passes
over X and no matrix at all.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import get_namespace_and_device

from skgd._objective._base import take_rows

# Entries of a block's Z (rows × K·(d + 1)): a few MB, so it stays in cache
# while BLAS multiplies it, whatever K and d are.
_BLOCK_ENTRIES = 1 << 19


def softmax_hessian(X, proba, weight, fit_intercept, low_precision=False, rows=None):
    """The data term's Hessian in the packed order ``[W.ravel(), b]``.

    Parameters
    ----------
    X : array or sparse matrix of shape (n_samples, n_features)
    proba : array of shape (n_rows, n_classes)
        The probabilities of the rows summed over (``rows``, or all).
    weight : array of shape (n_rows,)
        Each row's weight in the sum (its sample weight over the row count).
    fit_intercept : bool
    low_precision : bool, default=False
        Sum float64 NumPy data in float32, about twice as fast.
    rows : array of int or None
        Sorted row indices of ``X`` to sum over; None: every row.

    Returns
    -------
    hessian : array of shape (n_params, n_params)

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._objective._softmax_curvature import softmax_hessian
    >>> X, proba = np.array([[2.0]]), np.array([[0.5, 0.5]])
    >>> softmax_hessian(X, proba, np.ones(1), fit_intercept=False)
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    xp, _, device = get_namespace_and_device(proba)
    n_rows, n_classes = proba.shape
    width = X.shape[1] + int(fit_intercept)
    size = n_classes * width
    dtype = xp.float32 if low_precision and isinstance(proba, np.ndarray) else X.dtype
    block_rows = max(64, _BLOCK_ENTRIES // size)
    # Class-major with each class's intercept after its coefficients; packed below.
    hessian = xp.zeros((size, size), dtype=dtype, device=device)
    for start in range(0, n_rows, block_rows):
        stop = min(start + block_rows, n_rows)
        block = _dense_rows(xp, X, start, stop, rows, fit_intercept, dtype)
        p = xp.astype(proba[start:stop, ...], dtype)
        w = xp.astype(weight[start:stop], dtype)
        z = xp.reshape((p * xp.sqrt(w)[:, None])[:, :, None] * block[:, None, :], (-1, size))
        hessian = hessian - z.T @ z
        for k in range(n_classes):
            span = slice(k * width, (k + 1) * width)
            hessian[span, span] = hessian[span, span] + (block * (w * p[:, k])[:, None]).T @ block
    order = _packed_order(xp, n_classes, width, fit_intercept, device)
    hessian = xp.take(xp.take(hessian, order, axis=0), order, axis=1)
    return xp.astype(hessian, X.dtype)


def softmax_hessian_product(X, X_T, proba, weight, fit_intercept, l2):
    """``v ↦ H v`` for the packed ``v = [V.ravel(), v_b]``, with the L2 term.

    Parameters
    ----------
    X, X_T : array or sparse matrix
        The data and its transposed view.
    proba : array of shape (n_samples, n_classes)
    weight : array of shape (n_samples,)
        Each row's weight over the row count.
    fit_intercept : bool
    l2 : float

    Returns
    -------
    product : callable

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._objective._softmax_curvature import (
    ...     softmax_hessian, softmax_hessian_product)
    >>> X = np.array([[1.0, 2.0], [0.5, -1.0]])
    >>> proba, weight = np.array([[0.2, 0.8], [0.6, 0.4]]), np.full(2, 0.5)
    >>> v = np.array([1.0, -2.0, 0.5, 3.0, 0.1, -0.3])
    >>> product = softmax_hessian_product(X, X.T, proba, weight, True, l2=0.0)
    >>> bool(np.allclose(product(v), softmax_hessian(X, proba, weight, True) @ v))
    True
    """
    xp, _, _ = get_namespace_and_device(proba)
    n_classes, n_features = proba.shape[1], X.shape[1]
    size = n_classes * n_features

    def product(v):
        coef = xp.reshape(v[:size], (n_classes, n_features))
        scores = X @ coef.T
        if sp.issparse(scores):
            scores = scores.toarray()
        if fit_intercept:
            scores = scores + v[size:]
        weighted = proba * scores
        residual = (weighted - proba * xp.sum(weighted, axis=1, keepdims=True)) * weight[:, None]
        grad = X_T @ residual
        grad = np.asarray(grad) if sp.issparse(X_T) else grad
        flat = xp.reshape(grad.T + l2 * coef, (-1,))
        return xp.concat([flat, xp.sum(residual, axis=0)]) if fit_intercept else flat

    return product


def _dense_rows(xp, X, start, stop, rows, fit_intercept, dtype):
    """Rows ``start:stop`` (of ``rows`` if given) as a dense block, with a column of 1s."""
    if rows is None:
        block = X[start:stop, ...] if not sp.issparse(X) else X[start:stop]
    else:
        block = take_rows(X, rows[start:stop])
    if sp.issparse(block):
        block = block.toarray()
    block = xp.astype(block, dtype)
    if not fit_intercept:
        return block
    device = get_namespace_and_device(block)[2]
    ones = xp.ones((block.shape[0], 1), dtype=dtype, device=device)
    return xp.concat([block, ones], axis=1)


def _packed_order(xp, n_classes, width, fit_intercept, device):
    """Indices taking the class-major order to ``[W.ravel(), b]``."""
    n_features = width - int(fit_intercept)
    coef = [k * width + j for k in range(n_classes) for j in range(n_features)]
    intercept = [k * width + n_features for k in range(n_classes)] if fit_intercept else []
    return xp.asarray(coef + intercept, device=device)
