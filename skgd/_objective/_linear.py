"""The objective a solver minimizes: a loss over data plus a penalty.

``J(coef, intercept) = Σ sᵢ loss(yᵢ, xᵢ·coef + intercept) / Σ sᵢ + P(coef)``

Sample weights are rescaled to mean 1 once, at construction, so that
``Σ sᵢ = n``: then a stochastic step on one row weighted by ``sᵢ`` is an
unbiased estimate of a step on ``J``, and every solver minimizes the same
function. With unit weights this is exactly scikit-learn's SGD objective.

Everything here is written with operations of the Array API standard
(``X @ w``, ``X.T @ r``), with SciPy sparse matrices as a second kind of ``X``.
"""

import numpy as np

from skgd._array_api import mean
from skgd._loss._kernels import MAX_DLOSS, weighted_loss_gradient, weighted_loss_sum
from skgd._objective import _dense_hessian
from skgd._objective._base import Objective, take_rows
from skgd._objective._gram import rmatvec, weighted_gram
from skgd._objective._step_pass import step_pass
from skgd._objective._step_pass import supports as supports_step_pass


class LinearObjective(Objective):
    """Loss plus penalty of a linear model on fixed data.

    Parameters
    ----------
    loss : BaseLoss
    penalty : Penalty
    X : array or sparse matrix of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Targets; {-1, +1} labels for classification losses.
    sample_weight : array of shape (n_samples,)
        Non-negative weights with a positive sum.
    fit_intercept : bool

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss import HalfSquaredError
    >>> from skgd._objective import LinearObjective
    >>> from skgd._penalty import Penalty
    >>> X, y = np.array([[1.0], [2.0]]), np.array([1.0, 2.0])
    >>> objective = LinearObjective(HalfSquaredError(), Penalty(), X, y, np.ones(2), True)
    >>> objective.value(np.array([1.0]), 0.0)
    0.0
    """

    # ``hessian`` can estimate the Hessian from a sample of rows.
    samples_rows = True
    has_hessian_product = True

    def pack(self, coef, intercept):
        """``[coef, intercept]`` as one vector, the intercept last (if fitted)."""
        if not self.fit_intercept:
            return coef
        xp = self.xp
        return xp.concat([coef, xp.asarray([intercept], dtype=coef.dtype, device=self.device)])

    def unpack(self, params):
        """Inverse of :meth:`pack`."""
        if not self.fit_intercept:
            return params, 0.0
        return params[: self.n_features], float(params[self.n_features])

    def raw_prediction(self, coef, intercept, rows=None):
        """``X[rows] @ coef + intercept``."""
        X = self.X if rows is None else take_rows(self.X, rows)
        return X @ coef + intercept

    def data_loss(self, coef, intercept, raw=None):
        """The sample-weighted mean loss."""
        if raw is None:
            raw = self.raw_prediction(coef, intercept)
        if self._compiled(raw):
            total = weighted_loss_sum(
                self.loss.code, self.loss.param, self.y, raw, self.sample_weight
            )
            return total / self.n_samples
        return float(mean(self.sample_weight * self.loss.loss(self.y, raw), self.xp))

    def weighted_derivatives(self, raw, y=None, weight=None):
        """``Σ sᵢ loss(yᵢ, rawᵢ)``, the derivatives ``sᵢ loss′(yᵢ, rawᵢ)`` clipped at
        ``MAX_DLOSS``, and how many were clipped; over all rows by default."""
        xp = self.xp
        y = self.y if y is None else y
        weight = self.sample_weight if weight is None else weight
        if self._compiled(raw):
            dloss = np.empty_like(raw)
            total, n_clipped = weighted_loss_gradient(
                self.loss.code, self.loss.param, y, raw, weight, dloss
            )
            return total, dloss, n_clipped
        total = float(xp.sum(weight * self.loss.loss(y, raw)))
        dloss = self.loss.gradient(y, raw)
        n_clipped = int(xp.sum(xp.astype(xp.abs(dloss) > MAX_DLOSS, xp.int64)))
        if n_clipped:
            dloss = xp.clip(dloss, -MAX_DLOSS, MAX_DLOSS)
        return total, weight * dloss, n_clipped

    def _compiled(self, raw):
        """Whether the compiled per-sample loss serves these NumPy arrays."""
        return (
            self.loss.code >= 0
            and isinstance(raw, np.ndarray)
            and raw.dtype in (np.float32, np.float64)
            and isinstance(self.y, np.ndarray)
            and raw.dtype == self.y.dtype == self.sample_weight.dtype
        )

    def baseline_value(self):
        """``J`` of the all-zero model, from the targets alone."""
        return float(self.data_loss(None, None, raw=self.xp.zeros_like(self.sample_weight)))

    def loss_gradient(self, coef, intercept, rows=None, raw=None, need_gradient=True):
        """Data term and its gradient, over all rows or over ``rows``.

        Over a subset, the weighted losses and derivatives are averaged over
        the number of rows, an unbiased estimate of the full data term.

        Returns
        -------
        loss : float
            Mean weighted loss over the rows.
        grad_coef : array of shape (n_features,), or None without ``need_gradient``
        grad_intercept : float
            0 when the intercept is not fitted; None without ``need_gradient``.
        """
        if not need_gradient:
            return self.data_loss(coef, intercept, raw), None, None
        xp = self.xp
        X, X_T, y, weight = self.rows(rows)
        if raw is None:
            raw = X @ coef + intercept
        n_rows = y.shape[0]
        loss, dloss, n_clipped = self.weighted_derivatives(raw, y, weight)
        loss /= n_rows
        self.n_clipped += n_clipped
        grad_coef = rmatvec(X_T, dloss) / n_rows
        grad_intercept = float(xp.sum(dloss)) / n_rows if self.fit_intercept else 0.0
        return loss, grad_coef, grad_intercept

    def trial_pass(self, raw, coef_step, intercept_step, scales, n_threads=None):
        """``X·e``, and the weighted loss and gradient sums at ``raw + s·X·e`` for each ``s``.

        What a line search's trials along the direction ``e`` need: one
        compiled pass over dense NumPy X (see :func:`step_pass`, whose
        results it returns), array operations otherwise.
        """
        if self._compiled(raw) and supports_step_pass(self.X, raw):
            return step_pass(
                self.X,
                raw,
                coef_step,
                intercept_step,
                scales,
                self.y,
                self.sample_weight,
                self.loss,
                n_threads=n_threads,
            )
        return self._trials_by_arrays(raw, coef_step, intercept_step, scales)

    def _trials_by_arrays(self, raw, coef_step, intercept_step, scales):
        """What :meth:`trial_pass` computes, with array operations (any dtype, loss or layout)."""
        raw_step = self.raw_prediction(coef_step, intercept_step)
        trials = raw[:, None] + raw_step[:, None] * np.asarray(scales)[None, :].astype(raw.dtype)
        losses = np.empty(trials.shape[1])
        dloss = np.empty_like(trials, order="F")
        n_clipped = 0
        for j in range(trials.shape[1]):
            losses[j], dloss[:, j], clipped = self.weighted_derivatives(
                np.ascontiguousarray(trials[:, j])
            )
            n_clipped += clipped
        # The trials' gradients in one product: X is read once.
        return raw_step, losses, (self.X.T @ dloss).T, dloss.sum(axis=0), n_clipped

    def step_value_gradient(self, w, raw, step, scale):
        """As :meth:`Objective.step_value_gradient`; one compiled pass over dense NumPy X."""
        if not (self._compiled(raw) and supports_step_pass(self.X, raw)):
            return super().step_value_gradient(w, raw, step, scale)
        coef_step, intercept_step = self.unpack(step)
        raw_step, loss_sums, grad_coefs, grad_intercepts, n_clipped = self.trial_pass(
            raw, coef_step, intercept_step, [scale]
        )
        self.n_clipped += n_clipped
        loss_sum, grad_coef, grad_intercept = loss_sums[0], grad_coefs[0], grad_intercepts[0]
        coef, intercept = self.unpack(w + scale * step)
        n = self.n_samples
        grad_coef = (grad_coef / n).astype(self.dtype, copy=False)
        grad_coef = grad_coef + self.penalty.smooth_gradient(coef)
        value = loss_sum / n + self.penalty.value(coef)
        grad_intercept = grad_intercept / n if self.fit_intercept else 0.0
        return raw_step, value, self.pack(grad_coef, grad_intercept)

    def hessian_product(self, coef, intercept, raw=None):
        """The Hessian of ``J`` as a function ``v ↦ H v`` on packed vectors.

        Each product costs two passes over X and no d × d matrix: what
        truncated Newton needs on sparse or wide data.
        """
        xp = self.xp
        if raw is None:
            raw = self.raw_prediction(coef, intercept)
        hess_diag = self.sample_weight / self.n_samples * self.loss.hessian(self.y, raw)
        l2 = self.penalty.l2

        def product(params):
            v_coef, v_intercept = self.unpack(params)
            weighted = hess_diag * self.raw_prediction(v_coef, v_intercept)
            result = rmatvec(self.X_T, weighted) + l2 * v_coef
            return self.pack(result, float(xp.sum(weighted)) if self.fit_intercept else 0.0)

        return product

    def hessian(self, coef, intercept, raw=None, low_precision=False, rows=None):
        """The Hessian of ``J`` (smooth penalty only) in the packed parameters.

        ``raw`` as in :meth:`value_gradient`; ``low_precision`` sums
        ``Xᵀ D X`` in float32 (see :func:`_weighted_gram`). ``rows``, sorted
        row indices, estimates the data term from those rows alone, averaged
        over them as :meth:`loss_gradient` does; ``raw`` stays the raw
        prediction of every row.

        Returns
        -------
        hessian : array of shape (n_params, n_params)
        """
        xp = self.xp
        if raw is None:
            raw = self.raw_prediction(coef, intercept)
        if (
            rows is None
            and not low_precision
            and self.loss.code >= 0
            and _dense_hessian.supports(self.X, raw, self.y, self.sample_weight)
        ):
            hessian = _dense_hessian.packed_hessian(
                self.X,
                self.y,
                raw,
                self.sample_weight,
                self.loss,
                self.penalty.l2,
                self.fit_intercept,
            )
            if hessian is not None:
                return hessian
        y, weight, n_rows = self.y, self.sample_weight, self.n_samples
        if rows is not None:
            y, weight, raw = (take_rows(a, rows) for a in (y, weight, raw))
            n_rows = rows.shape[0]
        hess_diag = weight / n_rows * self.loss.hessian(y, raw)
        H_coef, cross = weighted_gram(self.X, hess_diag, low_precision, rows)
        H_coef = H_coef + self.penalty.l2 * xp.eye(
            self.n_features, dtype=H_coef.dtype, device=self.device
        )
        if not self.fit_intercept:
            return H_coef
        corner = xp.reshape(xp.sum(hess_diag), (1, 1))
        return xp.concat(
            [
                xp.concat([H_coef, cross[:, None]], axis=1),
                xp.concat([cross[None, :], corner], axis=1),
            ],
            axis=0,
        )
