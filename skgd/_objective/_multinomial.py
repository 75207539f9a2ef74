"""The multinomial (softmax) log loss over data, plus a penalty.

``J(W, b) = Σ sᵢ [logsumexp(zᵢ) − zᵢ,yᵢ] / Σ sᵢ + P(W)`` with ``zᵢ = W xᵢ + b``,
``W`` of shape (n_classes, n_features). The same interface as
:class:`~skgd._objective.LinearObjective`, so every solver minimizes it.

Adding a constant to every class's scores changes nothing, so the Hessian is
singular along those directions: the intercepts' all-ones direction, and with
no L2 penalty each feature's all-ones direction across classes. The gradient
is orthogonal to them, so :meth:`hessian` adds a multiple of the
projector onto them: the Newton step is then the least-norm one, and the
solution is the centred one, as scikit-learn's LogisticRegression reports.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    get_namespace,
)

from skgd._loss._losses import LogLoss
from skgd._objective._base import Objective, take_rows
from skgd._objective._softmax_curvature import softmax_hessian, softmax_hessian_product


class MultinomialObjective(Objective):
    """Softmax cross-entropy of a linear model on fixed data.

    Parameters
    ----------
    penalty : Penalty
    X : array or sparse matrix of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Class indices in ``range(n_classes)``.
    sample_weight : array of shape (n_samples,)
    fit_intercept : bool
    n_classes : int

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._objective._multinomial import MultinomialObjective
    >>> from skgd._penalty import Penalty
    >>> X, y = np.eye(3), np.array([0, 1, 2])
    >>> objective = MultinomialObjective(Penalty(), X, y, np.ones(3), True, 3)
    >>> round(objective.value(np.zeros((3, 3)), np.zeros(3)), 6)  # log(3)
    1.098612
    """

    # ``hessian`` can estimate the Hessian from a sample of rows.
    samples_rows = True
    has_hessian_product = True

    def __init__(self, penalty, X, y, sample_weight, fit_intercept, n_classes):
        # The binary log loss sets the 'optimal' schedule's scale, as it does
        # for each class of a one-vs-rest fit. The softmax's derivatives are
        # bounded: never clipped.
        super().__init__(LogLoss(), penalty, X, y, sample_weight, fit_intercept)
        self.n_classes = n_classes

    # The softmax cross-entropy's Hessian in the raw scores is at most
    # ½ (I − 11ᵀ/K) (Böhning's bound).
    curvature = 0.5

    def pack(self, coef, intercept):
        """``[W.ravel(), b]`` as one vector (class by class, intercepts last)."""
        xp = self.xp
        flat = xp.reshape(coef, (-1,))
        return xp.concat([flat, intercept]) if self.fit_intercept else flat

    def unpack(self, params):
        """Inverse of :meth:`pack`."""
        xp = self.xp
        size = self.n_classes * self.n_features
        coef = xp.reshape(params[:size], (self.n_classes, self.n_features))
        if not self.fit_intercept:
            return coef, xp.zeros(self.n_classes, dtype=params.dtype, device=self.device)
        return coef, params[size:]

    def _scores(self, X, coef, intercept):
        scores = X @ coef.T
        if sp.issparse(scores):
            scores = scores.toarray()
        return scores + intercept

    def raw_prediction(self, coef, intercept):
        """The scores ``X @ Wᵀ + b``, one column per class."""
        return self._scores(self.X, coef, intercept)

    def _probabilities(self, scores):
        """Softmax by rows, with the log-partition for the loss."""
        xp = self.xp
        shifted = scores - xp.max(scores, axis=1, keepdims=True)
        exp = xp.exp(shifted)
        total = xp.sum(exp, axis=1, keepdims=True)
        log_partition = xp.log(total) - shifted
        return exp / total, log_partition

    def _one_hot(self, y):
        xp = self.xp
        classes = xp.arange(self.n_classes, dtype=y.dtype, device=self.device)
        return xp.astype(xp.reshape(y, (-1, 1)) == classes[None, :], self.dtype)

    def loss_gradient(self, coef, intercept, rows=None, need_gradient=True, raw=None):
        """Data term and its gradient over all rows or over ``rows``.

        Returns
        -------
        loss : float
        grad_coef : array of shape (n_classes, n_features)
        grad_intercept : array of shape (n_classes,)
        """
        xp = self.xp
        X, X_T, y, weight = self.rows(rows)
        n_rows = y.shape[0]
        if raw is None:
            raw = self._scores(X, coef, intercept)
        proba, log_partition = self._probabilities(raw)
        one_hot = self._one_hot(y)
        loss = float(xp.sum(weight * xp.sum(one_hot * log_partition, axis=1))) / n_rows
        if not need_gradient:
            return loss, None, None
        residual = (proba - one_hot) * weight[:, None] / n_rows
        grad_coef = _rmatmat(X_T, residual).T
        grad_intercept = xp.sum(residual, axis=0)
        if not self.fit_intercept:
            grad_intercept = xp.zeros_like(grad_intercept)
        return loss, grad_coef, grad_intercept

    def hessian(self, coef, intercept, raw=None, low_precision=False, rows=None):
        """The Hessian of ``J`` in the packed parameters.

        ``raw`` as in :meth:`value_gradient`; ``low_precision`` sums the
        data term in float32. ``rows``, sorted row indices, estimates the
        data term from those rows alone, averaged over them; ``raw`` stays
        the raw prediction of every row.
        """
        xp = self.xp
        K, d = self.n_classes, self.n_features
        if raw is None:
            raw = self.raw_prediction(coef, intercept)
        weight, n_rows = self.sample_weight, self.n_samples
        if rows is not None:
            raw, weight, n_rows = take_rows(raw, rows), take_rows(weight, rows), rows.shape[0]
        proba, _ = self._probabilities(raw)
        hessian = softmax_hessian(
            self.X, proba, weight / n_rows, self.fit_intercept, low_precision, rows
        )
        # NumPy adds the float64 terms below into a float32 Hessian as it
        # always did; other libraries need one dtype on both sides.
        dtype = xp.float64 if _is_numpy_namespace(xp) else self.dtype
        eye = xp.eye(K * d, dtype=dtype, device=self.device)
        hessian[: K * d, : K * d] += self.penalty.l2 * eye
        # Fill the softmax's flat directions (see the module docstring).
        scale = max(float(xp.max(xp.abs(xp.linalg.diagonal(hessian)))), 1.0)
        ones = xp.ones((K, K), dtype=dtype, device=self.device) / K
        if self.fit_intercept:
            hessian[K * d :, K * d :] += scale * ones
        if self.penalty.l2 == 0:
            # kron(ones, I_d) with ones = 1/K: the identity tiled K × K times.
            tiled = xp.tile(xp.eye(d, dtype=dtype, device=self.device), (K, K)) / K
            hessian[: K * d, : K * d] += scale * tiled
        return hessian

    def hessian_product(self, coef, intercept, raw=None):
        """The Hessian of ``J`` as a function ``v ↦ H v`` on packed vectors.

        Two passes over X per product, and no matrix. The flat directions
        are left unfilled: the gradient is orthogonal to them, and so are
        the conjugate-gradient iterates built from it.
        """
        if raw is None:
            raw = self.raw_prediction(coef, intercept)
        proba, _ = self._probabilities(raw)
        weight = self.sample_weight / self.n_samples
        return softmax_hessian_product(
            self.X, self.X_T, proba, weight, self.fit_intercept, self.penalty.l2
        )


def _rmatmat(X_T, R):
    """``Xᵀ R`` for dense arrays and sparse matrices alike."""
    product = X_T @ R
    return np.asarray(product) if sp.issparse(X_T) else product


def center(coef, intercept):
    """The symmetric parametrization: coefficients and intercepts sum to 0 over classes."""
    xp, _ = get_namespace(coef, intercept)
    return coef - xp.mean(coef, axis=0), intercept - xp.mean(intercept)
