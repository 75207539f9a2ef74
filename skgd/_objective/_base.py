"""The Objective protocol: every pass over the data a solver may ask for.

``J(coef, intercept) = Σ sᵢ loss(yᵢ, xᵢ·coef + intercept) / Σ sᵢ + P(coef)``

Solvers talk to data only through an objective. :class:`Objective` declares
each pass and capability, with a default where one can be built from the
others, so that a solver never asks an objective what it can do: it reads
the declared flags. The NumPy objectives (:mod:`._linear`,
:mod:`._multinomial`) and the objectives over dask arrays
(:mod:`skgd._dask._objective`) implement it.
"""

import copy

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import get_namespace
from sklearn.utils.extmath import row_norms

from skgd._array_api import mean, namespace_and_device
from skgd._compat import move_to
from skgd._objective._rows import RowOrder, RowOrderWithout


class Objective:
    """The passes and capabilities every objective declares, with defaults.

    An objective holds ``X``, ``y``, ``sample_weight`` (normalized to mean 1;
    ``given_weight`` and ``weight_mean`` as given),
    ``loss``, ``penalty``, ``fit_intercept``, ``n_samples``, ``n_features``,
    ``dtype``, the array namespace ``xp`` and ``device``, and counts in
    ``n_clipped`` the loss derivatives clipped at ``MAX_DLOSS``. Subclasses
    implement :meth:`pack`, :meth:`unpack`, :meth:`raw_prediction`,
    :meth:`loss_gradient`, :meth:`value`, :meth:`baseline_value` and, for
    Newton, :meth:`hessian`; every other pass has a default built from those.

    The class attributes below declare what a solver may rely on. A solver
    reads them; it never probes an objective for methods.
    """

    #: Coefficient rows: None for one row (regression, a binary problem),
    #: ``K`` for the multinomial objective's ``K × n_features`` coefficients.
    n_classes = None
    #: Whether :meth:`hessian_product` is available (truncated Newton).
    has_hessian_product = False
    #: Whether :meth:`hessian` takes ``rows`` (a Hessian from sampled rows).
    samples_rows = False
    #: Whether a pass is a round trip (data on a cluster): then Newton asks for
    #: the value, gradient and Hessian together (:meth:`value_gradient_hessian`).
    fused_passes = False
    #: How many line-search trials one pass of :meth:`trial_evaluations` returns.
    trials_per_pass = 1
    #: The rows of the whole data held out for early stopping (a boolean
    #: mask on the host), which the row order skips as scikit-learn's does.
    held_out = None
    #: An epoch runner for data held in blocks (see :mod:`skgd._dask._epoch`),
    #: used by the sampled-row solvers in place of their own; None: their own.
    blockwise_epoch = None

    def __init__(self, loss, penalty, X, y, sample_weight, fit_intercept):
        self.loss = loss
        self.penalty = penalty
        self.X = X
        self.y = y
        self.xp, _, self.device = namespace_and_device(sample_weight)
        # J weighs the rows by weights of mean 1, so that scaling every
        # weight leaves the model as it is. sgd steps by the weights as
        # given, as scikit-learn's SGD does (see _compiled_epoch.row_weights).
        self.weight_mean = float(mean(sample_weight, self.xp))
        self.given_weight = sample_weight
        self.sample_weight = sample_weight / self.weight_mean
        self.fit_intercept = fit_intercept
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        # A transposed view, made once: rebuilding it costs more than the
        # product on small data.
        self.X_T = X.T
        # Derivatives beyond MAX_DLOSS seen so far: any means divergence.
        self.n_clipped = 0

    def rows(self, rows=None):
        """``(X, Xᵀ, y, sample_weight)`` over all rows, or over ``rows``."""
        if rows is None:
            return self.X, self.X_T, self.y, self.sample_weight
        X, y, weight = (take_rows(a, rows) for a in (self.X, self.y, self.sample_weight))
        return X, X.T, y, weight

    @property
    def n_params(self):
        """The length of the packed parameters: coefficients, then intercepts."""
        n_rows = 1 if self.n_classes is None else self.n_classes
        return n_rows * (self.n_features + int(self.fit_intercept))

    @property
    def is_sparse(self):
        return sp.issparse(self.X)

    def with_data(self, X):
        """The same objective over another representation of the same ``X``."""
        other = copy.copy(self)
        other.X, other.X_T = X, X.T
        return other

    def row_order(self, seed):
        """The rows' order, epoch by epoch, for the sampled-row solvers (scikit-learn's).

        Returns an object whose ``next(shuffle)`` gives the next epoch's order.
        """
        if self.held_out is not None:
            return RowOrderWithout(self.held_out, seed)
        return RowOrder(self.n_samples, seed)

    def close(self):
        """Free what the objective holds outside this process (nothing here)."""

    @property
    def curvature(self):
        """The largest second derivative of a row's loss in its raw prediction."""
        return self.loss.curvature

    def row_smoothness_sums(self):
        """``(Σ Lᵢ, max Lᵢ)`` of the rows' smoothness ``Lᵢ = sᵢ (‖xᵢ‖² + 1)``, without curvature.

        ``sᵢ`` is the row's weight (mean 1) and the 1 the intercept's column
        (0 without one). One pass over X, summed in float64; features whose
        squares overflow X's dtype are scaled first (a copy, for them only).
        """
        squared = _squared_row_norms(self.X)
        scale = 1.0
        if not np.all(np.isfinite(squared)):
            scale = float(max_abs_entry(self.X))
            squared = _squared_row_norms(self.X * (1.0 / scale))
        with np.errstate(over="ignore"):
            squared = squared * np.square(np.float64(scale))
        weight = np.asarray(_on_host(self.sample_weight), dtype=np.float64)
        smoothness = weight * (squared + float(self.fit_intercept))
        return float(np.sum(smoothness)), float(np.max(smoothness))

    def smoothness(self):
        """``(L̄, L_max)``: the mean and the largest smoothness of a row's data term.

        ``L̄`` bounds the full data term's (it is the trace of its Hessian's
        bound, which exceeds the largest eigenvalue); both are what the
        default step sizes are made from (:mod:`skgd._solvers._step_policy`).
        """
        total, largest = self.row_smoothness_sums()
        return self.curvature * total / self.n_samples, self.curvature * largest

    def value(self, coef, intercept, raw=None):
        """``J(coef, intercept)``; ``raw`` as in :meth:`value_gradient`."""
        loss = self.loss_gradient(coef, intercept, raw=raw, need_gradient=False)[0]
        return loss + self.penalty.value(coef)

    def value_gradient(self, coef, intercept, raw=None):
        """``J`` and its gradient (smooth penalty only) in the packed parameters.

        ``raw``, if given, is :meth:`raw_prediction` at these parameters,
        which saves a pass over X.
        """
        loss, grad_coef, grad_intercept = self.loss_gradient(coef, intercept, raw=raw)
        grad_coef = grad_coef + self.penalty.smooth_gradient(coef)
        return loss + self.penalty.value(coef), self.pack(grad_coef, grad_intercept)

    def value_gradient_hessian(self, coef, intercept, raw=None, low_precision=False):
        """``J``, its gradient and its Hessian in the packed parameters.

        ``raw`` as in :meth:`value_gradient`; ``low_precision`` as in
        :meth:`hessian`.
        """
        if raw is None:
            raw = self.raw_prediction(coef, intercept)
        value, gradient = self.value_gradient(coef, intercept, raw=raw)
        return value, gradient, self.hessian(coef, intercept, raw=raw, low_precision=low_precision)

    def step_value_gradient(self, w, raw, step, scale):
        """The raw predictions of ``step``, and ``J`` and its gradient at ``w + scale·step``.

        ``w`` and ``step`` are packed parameters and ``raw`` the raw
        predictions at ``w``. A Newton iteration needs all three, and some
        data let them come from one pass.

        Returns
        -------
        raw_step : array
        value : float
        gradient : array
        """
        raw_step = self.raw_prediction(*self.unpack(step))
        trial = self.unpack(w + scale * step)
        return (raw_step, *self.value_gradient(*trial, raw=raw + scale * raw_step))

    def trial_evaluations(self, coef, intercept, direction, direction_intercept, steps):
        """The data term and its gradient at ``w − η d`` for each ``η`` in ``steps``.

        What a backtracking line search along ``d`` asks for; an objective
        whose passes are round trips computes all of them in one pass.

        Returns
        -------
        list of (loss, grad_coef, grad_intercept), one per step.
        """
        steps = [float(step) for step in steps]
        return [
            self.loss_gradient(coef - step * direction, intercept - step * direction_intercept)
            for step in steps
        ]

    def hessian_product(self, coef, intercept, raw=None):
        """The Hessian as a function ``v ↦ H v`` (where ``has_hessian_product``)."""
        raise NotImplementedError(f"{type(self).__name__} has no Hessian-vector product.")


def _squared_row_norms(X):
    """``‖xᵢ‖²`` per row as float64 NumPy values, for NumPy, sparse and Array API data."""
    if isinstance(X, np.ndarray) or sp.issparse(X):
        with np.errstate(over="ignore"):
            return np.asarray(row_norms(X, squared=True), dtype=np.float64)
    xp, _ = get_namespace(X)
    return np.asarray(_on_host(xp.sum(X * X, axis=1)), dtype=np.float64)


def _on_host(vector):
    """A vector of any library as a NumPy array (itself when it is one)."""
    return vector if isinstance(vector, np.ndarray) else move_to(vector, xp=np, device="cpu")


def max_abs_entry(X):
    """``max |X|`` over the stored entries, for NumPy, sparse and Array API data."""
    if sp.issparse(X):
        return np.max(np.abs(X.data)) if X.nnz else 0.0
    xp, _ = get_namespace(X)
    return float(xp.max(xp.abs(X)))


def take_rows(a, rows):
    """``a[rows]`` for NumPy arrays and sparse matrices, ``take`` for other libraries."""
    if isinstance(a, np.ndarray) or sp.issparse(a):
        return a[rows]
    xp, _ = get_namespace(a)
    return xp.take(a, rows, axis=0)
