"""GDRegressor: a linear regressor whose optimization method is a parameter."""

import numpy as np
import scipy.sparse as sp
from sklearn.base import RegressorMixin, _fit_context
from sklearn.linear_model._base import SparseCoefMixin
from sklearn.metrics import r2_score
from sklearn.utils._array_api import get_namespace
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, validate_data

from skgd._array_api import follow, namespace_and_device
from skgd._compat import check_array_api_dispatch, check_same_namespace
from skgd._estimators._base import (
    BaseGD,
    atomic_fit,
    blockwise_on_dask,
    checked_sample_weight,
    dask_support,
)
from skgd._loss import REGRESSION_LOSSES
from skgd._problems import FitData, Problems, initial_coef


class GDRegressor(RegressorMixin, SparseCoefMixin, BaseGD):
    """Linear regression fitted by batch, stochastic, minibatch, momentum or Newton steps.

    Minimizes ``Σ sᵢ loss(yᵢ, xᵢ·w + b) / Σ sᵢ + alpha · R(w)`` with
    ``R(w) = l1_ratio ||w||₁ + (1 − l1_ratio) ½ ||w||²``. With the default
    ``solver="sgd"`` it takes every argument of scikit-learn's
    :class:`~sklearn.linear_model.SGDRegressor` and follows its per-sample
    updates.

    Parameters
    ----------
    loss : {"squared_error", "huber", "epsilon_insensitive", \
            "squared_epsilon_insensitive"}, default="squared_error"
        The per-sample loss. ``squared_error`` is ``½ (p − y)²``.
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
        The penalty on the coefficients (never on the intercept).
    alpha : float, default=1e-4
        Strength of the penalty; also sets ``learning_rate="optimal"``'s scale.
    l1_ratio : float, default=0.15
        Elastic-net mixing, used only with ``penalty="elasticnet"``.
    fit_intercept : bool, default=True
        Whether to fit an intercept.
    max_iter : int, default=1000
        The most epochs (sgd, minibatch, momentum) or iterations (batch,
        newton).
    tol : float or None, default=1e-3
        The stopping rule, by solver:

        - sgd, minibatch, momentum (scikit-learn's rule): after each epoch,
          compare the epoch's objective, ``loss_curve_[-1]``, with the best so
          far; stop once ``n_iter_no_change`` epochs in a row fail to improve
          on it by ``tol``. With ``early_stopping``, minus the validation
          score takes the objective's place.
        - batch: stop once ``max|∇J| ≤ tol`` (the least-norm subgradient
          where L1 is not differentiable).
        - newton: stop once ``max|∇J| ≤ tol`` and half the squared Newton
          decrement ``½ ∇Jᵀ (∇²J)⁻¹ ∇J ≤ tol``.

        ``None`` runs exactly ``max_iter`` epochs (newton: until no step
        decreases the objective). A ConvergenceWarning says when ``max_iter``
        ends a fit with ``tol`` set.
    shuffle : bool, default=True
        Reshuffle the rows every epoch (sgd, minibatch, momentum).
    verbose : int, default=0
        Print one line per epoch or iteration.
    epsilon : float, default=0.1
        Width of the insensitive band of ``huber``, ``epsilon_insensitive`` and
        ``squared_epsilon_insensitive``.
    random_state : int, RandomState instance or None, default=None
        Seeds the shuffling and the early-stopping split.
    learning_rate : {"auto", "constant", "optimal", "invscaling", "adaptive", \
            "line_search"}, default="auto"
        The step size ``eta`` at update ``t`` of the first-order solvers,
        where ``t`` counts updates from 1: samples for sgd, batches for
        minibatch and momentum, iterations for batch.

        - ``"auto"``: each solver's own (``learning_rate_`` says which): sgd
          takes SGDRegressor's ``"invscaling"``; batch a ``"line_search"``;
          minibatch and momentum ``"adaptive"``;
        - ``"constant"``: ``eta = eta0``;
        - ``"optimal"``: ``eta = 1 / (alpha (t0 + t − 1))``, with ``t0`` from
          Bottou's heuristic, as in scikit-learn (it suits the hinge and log
          losses; with squared losses its first steps are large);
        - ``"invscaling"``: ``eta = eta0 / t ** power_t``;
        - ``"adaptive"``: ``eta = eta0`` until ``n_iter_no_change`` epochs in
          a row fail to improve by ``tol``; then ``eta`` is divided by 5, and
          the fit stops once ``eta ≤ 1e-6`` (``1e-4 · eta0`` when ``eta0`` is
          ``"auto"``);
        - ``"line_search"`` (batch only): backtracking from Barzilai and
          Borwein's step (``eta0`` at first) until the objective decreases
          enough, so no step size needs tuning.

        A ``fit`` whose steps prove too large restarts from its starting
        point with steps ten times smaller, and warns (sgd only where its
        weights overflow, where scikit-learn raises); see the user guide's
        page on learning rates.
    eta0 : float or "auto", default="auto"
        The first step. ``"auto"``: SGDRegressor's 0.01 for sgd; for the
        other solvers one that suits the data, ``1 / L`` with ``L`` the
        smoothness of the loss over a batch (times ``1 − momentum`` for
        momentum). ``eta0_`` reports the step used.
    power_t : float, default=0.25
        Exponent of ``invscaling``.
    early_stopping : bool, default=False
        Hold out a shuffled ``validation_fraction`` of the data, never train
        on it, and stop on its R² score (see ``tol``).
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping (or, with ``adaptive``,
        before dividing the step).
    warm_start : bool, default=False
        Start from the previous fit's coefficients; ``loss_curve_`` grows.
    average : bool or int, default=False
        Averaged SGD: report the average of the iterates from update
        ``average`` on (``True``: from the first), updated as
        ``w̄ ← w̄ + (w − w̄) / (t − average + 1)``.
    solver : {"sgd", "batch", "minibatch", "momentum", "newton"}, default="sgd"
        How rows are sampled and how steps are taken:

        - ``"batch"``: full-batch gradient descent, ``w ← w − η ∇J(w)``;
        - ``"sgd"``: one sample per update;
        - ``"minibatch"``: ``batch_size`` samples per update;
        - ``"momentum"``: minibatch steps with heavy-ball momentum,
          ``b ← μ b + g``, ``w ← w − η b``;
        - ``"newton"``: solve ``∇²J e = −∇J`` by Cholesky, then ``w ← w + s e``
          with an Armijo line search.

        With ``sklearn.set_config(array_api_dispatch=True)`` every solver
        takes Array API arrays (PyTorch, CuPy, ...) and fits on their device;
        ``sgd`` runs its compiled loop on a NumPy view of host-memory arrays
        and its per-sample steps in the array library elsewhere. See the user
        guide's page on Array API inputs.
    batch_size : int, default=32
        Rows per update for ``minibatch`` and ``momentum``.
    momentum : float, default=0.9
        ``μ`` of the momentum solver.
    nesterov : bool, default=False
        Use Nesterov's momentum.

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
    intercept_ : ndarray of shape (1,)
    n_iter_ : int
        Epochs or iterations run.
    converged_ : bool
        Whether the stopping rule (``tol``) was met; False when the fit ran
        out of ``max_iter``, ran with ``tol=None``, or a callback stopped it.
    t_ : float
        Updates made plus one, as in scikit-learn: samples for sgd, batches
        for minibatch and momentum, iterations for batch and newton.
    loss_curve_ : list of float
        The objective once per epoch or iteration: the exact objective for
        batch and newton, the running mean of the losses met during the epoch
        plus the penalty for sgd, minibatch and momentum.
    learning_rate_ : str
        The schedule the steps followed, ``"auto"`` resolved
        (``"line_search"`` for newton's Armijo search).
    eta0_ : float
        The step of the first update, after any restart with smaller steps
        (``"optimal"``: Bottou's first step; newton: 1).
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when X has string feature names.

    See Also
    --------
    GDClassifier : Linear classification with the same solvers.
    sklearn.linear_model.SGDRegressor : scikit-learn's per-sample SGD.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from skgd import GDRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = GDRegressor(solver="newton").fit(X, y)
    >>> reg.n_iter_
    1
    >>> round(reg.score(X, y), 3)
    1.0
    """

    _parameter_constraints: dict = {
        **BaseGD._parameter_constraints,
        "loss": [StrOptions(set(REGRESSION_LOSSES))],
    }

    def __init__(
        self,
        loss="squared_error",
        *,
        penalty="l2",
        alpha=0.0001,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        epsilon=0.1,
        random_state=None,
        learning_rate="auto",
        eta0="auto",
        power_t=0.25,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        warm_start=False,
        average=False,
        solver="sgd",
        batch_size=32,
        momentum=0.9,
        nesterov=False,
    ):
        self.loss = loss
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.epsilon = epsilon
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.average = average
        self.solver = solver
        self.batch_size = batch_size
        self.momentum = momentum
        self.nesterov = nesterov

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the linear model with the configured solver.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : array-like of shape (n_features,), default=None
            Starting coefficients.
        intercept_init : array-like of shape (1,), default=None
            Starting intercept.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GDRegressor
            The fitted estimator. If fitting fails, a previously fitted
            estimator keeps its attributes unchanged.
        """
        warm = self.warm_start and hasattr(self, "coef_")
        X, y, sample_weight = self._validate_input(X, y, sample_weight, reset=not warm)
        if coef_init is None and warm:
            coef_init, intercept_init = self.coef_, self.intercept_
        start = initial_coef(1, X.shape[1], X.dtype, coef_init, intercept_init, like=y)[0]
        problems = Problems([y], [start], None)
        self._fit_problems(
            FitData(X, problems, sample_weight, given_weight=sample_weight), partial=False
        )
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def partial_fit(self, X, y, sample_weight=None):
        """Continue fitting with one pass over ``X``.

        One call makes one epoch for sgd, minibatch and momentum, and one
        step for batch and newton, on the given data, continuing the learning
        rate schedule, the momentum and the averages where the last call (or
        ``fit``) stopped.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GDRegressor
        """
        self._check_partial_fit_params()
        first_call = not hasattr(self, "coef_")
        X, y, sample_weight = self._validate_input(X, y, sample_weight, reset=first_call)
        start = initial_coef(1, X.shape[1], X.dtype, None, None, like=y)[0]
        problems = Problems([y], [start], None)
        self._fit_problems(
            FitData(X, problems, sample_weight, given_weight=sample_weight), partial=True
        )
        return self

    def _validate_input(self, X, y, sample_weight, reset):
        dask = dask_support(X)
        if dask is not None:
            # Lazy: X stays on the cluster (see skgd._dask).
            return dask.check_regression_input(self, X, y, sample_weight, reset)
        check_array_api_dispatch()
        xp, _ = get_namespace(X)
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            dtype=[xp.float64, xp.float32],
            y_numeric=True,
            reset=reset,
        )
        # Everything follows X: y and sample_weight move to its namespace and device.
        y = follow(y, X)
        xp, _ = get_namespace(y)
        y = xp.astype(y, X.dtype, copy=False)
        return X, y, checked_sample_weight(sample_weight, X, self.early_stopping)

    def _set_coef(self, results, dtype):
        xp, _, device_ = namespace_and_device(results[0].coef)
        self.coef_ = xp.asarray(results[0].coef, dtype=dtype, device=device_)
        self.intercept_ = xp.asarray([results[0].intercept], dtype=dtype, device=device_)

    def _validation_scorer(self, X_val, y_val, sample_weight_val):
        def r2(coef, intercept):
            prediction = X_val @ coef
            if sp.issparse(X_val):
                prediction = np.asarray(prediction).ravel()
            return r2_score(y_val, prediction + intercept, sample_weight=sample_weight_val)

        return r2

    @blockwise_on_dask
    def predict(self, X):
        """Predict targets with the linear model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            A lazy dask array, chunked like ``X``'s rows, when ``X`` is a
            dask array. With ``array_api_dispatch=True``, an array in the
            namespace and on the device of ``X``, which must be the fit's.
        """
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="coef_", method="predict")
        X = validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)
        coef = self.coef_
        if sp.issparse(coef):
            # After sparsify(): a (1, n_features) matrix before scikit-learn
            # 1.9, a 1-D one from 1.9. Predicting with its dense values gives
            # the predictions of the dense model exactly, on every version.
            coef = coef.toarray().reshape(-1)
        if sp.issparse(X):
            raw = safe_sparse_dot(X, coef.T, dense_output=True).ravel()
        else:
            raw = X @ coef
        return raw + self.intercept_[0]
