"""GDClassifier: a linear classifier whose optimization method is a parameter."""

import numpy as np
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.base import _fit_context
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace,
    get_namespace_and_device,
)
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.extmath import safe_sparse_dot
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from skgd._array_api import namespace_and_device
from skgd._compat import check_same_namespace
from skgd._estimators import _class_input
from skgd._estimators._base import BaseGD, atomic_fit, blockwise_on_dask, dask_support
from skgd._loss import LOSSES
from skgd._loss._losses import _expit as stable_expit
from skgd._objective import center


class GDClassifier(LinearClassifierMixin, SparseCoefMixin, BaseGD):
    """Linear classification fitted by batch, stochastic, minibatch, momentum or Newton steps.

    Binary problems are solved directly with labels in {-1, +1}; multiclass
    problems one-vs-rest, one binary problem per class, as scikit-learn's
    :class:`~sklearn.linear_model.SGDClassifier` does. Each problem minimizes
    ``Σ sᵢ loss(yᵢ, xᵢ·w + b) / Σ sᵢ + alpha · R(w)``.

    Parameters
    ----------
    loss : str, default="hinge"
        ``"hinge"``, ``"log_loss"``, ``"modified_huber"``, ``"squared_hinge"``,
        ``"perceptron"``, or a regression loss (``"squared_error"``,
        ``"huber"``, ``"epsilon_insensitive"``,
        ``"squared_epsilon_insensitive"``) applied to the ±1 labels.
    penalty : {"l2", "l1", "elasticnet"} or None, default="l2"
    alpha : float, default=1e-4
    l1_ratio : float, default=0.15
    fit_intercept : bool, default=True
    max_iter : int, default=1000
        The most epochs (sgd, minibatch, momentum) or iterations (batch,
        newton).
    tol : float or None, default=1e-3
        The stopping rule; see :class:`GDRegressor` for each solver's.
    shuffle : bool, default=True
    verbose : int, default=0
    epsilon : float, default=0.1
        Width of the band of the regression losses.
    n_jobs : int, default=None
        Threads for the one-vs-rest problems; the result does not depend on it.
    random_state : int, RandomState instance or None, default=None
    learning_rate : {"auto", "constant", "optimal", "invscaling", "adaptive", \
            "line_search"}, default="auto"
        ``eta`` at update ``t``: each solver's own (sgd: SGDClassifier's
        ``"optimal"``); ``eta0``; ``1 / (alpha (t0 + t − 1))``;
        ``eta0 / t ** power_t``; ``eta0`` divided by 5 on each plateau; or a
        backtracking line search (batch only). See :class:`GDRegressor`.
    eta0 : float or "auto", default="auto"
        The first step; ``"auto"``: 0.01 for sgd, one that suits the data
        for the other solvers (see :class:`GDRegressor`).
    power_t : float, default=0.5
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction``, never train on it, and
        stop on its accuracy.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    class_weight : dict, "balanced" or None, default=None
        Multiplies the sample weights by a weight per class; "balanced" uses
        ``n_samples / (n_classes · count(class))``.
    warm_start : bool, default=False
    average : bool or int, default=False
        Report the average of the iterates from update ``average`` on.
    solver : {"sgd", "batch", "minibatch", "momentum", "newton"}, default="sgd"
        See :class:`GDRegressor`.
    batch_size : int, default=32
    momentum : float, default=0.9
    nesterov : bool, default=False
    multi_class : {"ovr", "multinomial"}, default="ovr"
        How more than two classes are fitted. ``"ovr"`` (one-vs-rest, as
        SGDClassifier) solves one binary problem per class. ``"multinomial"``
        minimizes the softmax cross-entropy
        ``Σ sᵢ [log Σₖ exp(zᵢₖ) − zᵢ,yᵢ] / Σ sᵢ + alpha · R(W)`` with
        ``zᵢ = W xᵢ + b``, jointly over all classes, with any solver; it needs
        ``loss="log_loss"``. The softmax is unchanged by adding a constant to
        every class, so ``coef_`` and ``intercept_`` are reported centred (they
        sum to zero over classes), as LogisticRegression reports them. With
        two classes both options fit the same binary model.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
        The most epochs or iterations any binary problem ran.
    converged_ : bool
        Whether every problem met the stopping rule (``tol``); False when a
        fit ran out of ``max_iter``, ran with ``tol=None``, or a callback
        stopped it.
    t_ : float
        Updates made plus one (the most of any binary problem).
    loss_curve_ : list of float
        The objective per epoch or iteration, averaged over the binary
        problems; a problem that stopped early carries its last value.
    learning_rate_ : str
        The schedule the steps followed, ``"auto"`` resolved.
    eta0_ : float
        The step of the first update, after any restart with smaller steps;
        the smallest over the one-vs-rest problems.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    GDRegressor : Linear regression with the same solvers.
    PerceptronGD : The perceptron.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skgd import GDClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = GDClassifier(loss="log_loss", solver="newton", alpha=1e-3).fit(X, y)
    >>> clf.coef_.shape
    (3, 4)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        **BaseGD._parameter_constraints,
        "loss": [StrOptions(set(LOSSES))],
        "n_jobs": [int, None],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "multi_class": [StrOptions({"ovr", "multinomial"})],
    }
    _scikit_learn_steps = ("optimal", 0.01)

    def __init__(
        self,
        loss="hinge",
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
        n_jobs=None,
        random_state=None,
        learning_rate="auto",
        eta0="auto",
        power_t=0.5,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        class_weight=None,
        warm_start=False,
        average=False,
        solver="sgd",
        batch_size=32,
        momentum=0.9,
        nesterov=False,
        multi_class="ovr",
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
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.average = average
        self.solver = solver
        self.batch_size = batch_size
        self.momentum = momentum
        self.nesterov = nesterov
        self.multi_class = multi_class

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def fit(self, X, y, coef_init=None, intercept_init=None, sample_weight=None):
        """Fit the classifier with the configured solver.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        coef_init : array-like of shape (n_classes, n_features), default=None
            Starting coefficients (``(1, n_features)`` for two classes).
        intercept_init : array-like of shape (n_classes,), default=None
        sample_weight : array-like of shape (n_samples,), default=None
            Multiplied by ``class_weight``.

        Returns
        -------
        self : GDClassifier
            The fitted estimator. If fitting fails, a previously fitted
            estimator keeps its attributes unchanged.
        """
        data = self._fit_data(
            X,
            y,
            partial=False,
            coef_init=coef_init,
            intercept_init=intercept_init,
            sample_weight=sample_weight,
        )
        self._fit_problems(data, partial=False)
        self.classes_ = data.classes
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Continue fitting with one pass over ``X``.

        One call makes one epoch for sgd, minibatch and momentum, and one
        step for batch and newton, continuing the learning-rate schedule, the
        momentum and the averages where the last call (or ``fit``) stopped.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        classes : array-like of shape (n_classes,), default=None
            Every class that will ever appear. Required on the first call,
            ignored afterwards.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : GDClassifier
        """
        self._check_partial_fit_params()
        if self.class_weight == "balanced":
            raise ValueError(
                "class_weight 'balanced' is not supported for partial_fit. In order "
                "to use 'balanced' weights, use compute_class_weight('balanced', "
                "classes=classes, y=y). In place of y you can use a large enough "
                "sample of the full training set target to properly estimate the "
                "class frequency distributions. Pass the resulting weights as the "
                "class_weight parameter."
            )
        if not hasattr(self, "classes_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        data = self._fit_data(X, y, partial=True, classes=classes, sample_weight=sample_weight)
        self._fit_problems(data, partial=True)
        self.classes_ = data.classes
        return self

    def _fit_data(self, X, y, **kwargs):
        """A :class:`~skgd._problems.FitData` from dask's or the arrays' input paths."""
        inputs = dask_support(X) or _class_input
        return inputs.classification_data(self, self._solver_params(), X, y, **kwargs)

    def _set_coef(self, results, dtype):
        self._softmax = np.ndim(results[0].coef) == 2
        self.coef_, self.intercept_ = _fitted_coef(results, dtype, self._softmax)

    def _validation_scorer(self, X_val, y_val, sample_weight_val):
        return _accuracy_scorer(X_val, y_val, sample_weight_val)

    @blockwise_on_dask
    def decision_function(self, X):
        """Confidence scores: the signed distance of each sample to each hyperplane.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : array of shape (n_samples,) or (n_samples, n_classes)
            For two classes, positive scores mean ``classes_[1]``. A lazy
            dask array when ``X`` is one.
        """
        return super().decision_function(X)

    @blockwise_on_dask
    def predict(self, X):
        """Predict class labels for the samples in ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y_pred : array of shape (n_samples,)
            A lazy dask array when ``X`` is one.
        """
        return super().predict(X)

    def _has_proba(self):
        return self._param("loss") in ("log_loss", "modified_huber")

    @available_if(_has_proba)
    @blockwise_on_dask
    def predict_proba(self, X):
        """Probability estimates, for ``loss="log_loss"`` or ``"modified_huber"``.

        For log_loss, binary probabilities are ``expit(decision_function)``
        and multiclass one-vs-rest scores are normalized over classes. For
        modified_huber they are ``(clip(decision_function, -1, 1) + 1) / 2``,
        normalized the same way.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : array of shape (n_samples, n_classes)
            In the namespace and on the device of ``X``; a lazy dask array
            when ``X`` is one.
        """
        check_is_fitted(self)
        check_same_namespace(X, self, attribute="coef_", method="predict_proba")
        scores = self.decision_function(X)
        if self._softmax:
            return _softmax(scores)
        return _one_vs_rest_proba(scores, self._param("loss"))

    @available_if(_has_proba)
    @blockwise_on_dask
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : array of shape (n_samples, n_classes)
            In the namespace and on the device of ``X``; a lazy dask array
            when ``X`` is one.
        """
        check_same_namespace(X, self, attribute="coef_", method="predict_log_proba")
        proba = self.predict_proba(X)
        xp, _ = get_namespace(proba)
        return xp.log(proba)


def _fitted_coef(results, dtype, softmax):
    """``coef_`` and ``intercept_`` from the problems' results, centred if multinomial."""
    xp, _, device_ = namespace_and_device(results[0].coef)
    if softmax:
        coef, intercept = center(results[0].coef, results[0].intercept)
        return xp.astype(coef, dtype, copy=False), xp.astype(intercept, dtype, copy=False)
    coef = xp.stack([xp.asarray(result.coef, dtype=dtype, device=device_) for result in results])
    intercept = xp.asarray(
        [float(result.intercept) for result in results], dtype=dtype, device=device_
    )
    return coef, intercept


def _accuracy_scorer(X_val, y_val, sample_weight_val):
    """Early stopping's score: the weighted accuracy on the held-out rows.

    ``y_val`` holds ±1 for a one-vs-rest problem, class indices for the
    multinomial one (whose ``coef`` has a row per class).
    """
    xp, _, device_ = get_namespace_and_device(y_val)
    weights = xp.astype(sample_weight_val, _max_precision_float_dtype(xp, device_))

    def accuracy(coef, intercept):
        if sp.issparse(X_val):
            scores = safe_sparse_dot(X_val, coef.T, dense_output=True)
        else:
            scores = X_val @ (coef.T if coef.ndim == 2 else coef)
        scores = scores + intercept
        if coef.ndim == 2:
            correct = xp.argmax(scores, axis=1) == y_val
        else:
            correct = (scores > 0) == (y_val > 0)
        hits = xp.sum(xp.astype(correct, weights.dtype) * weights)
        return float(hits / xp.sum(weights))

    return accuracy


def _softmax(scores):
    xp, _ = get_namespace(scores)
    if _is_numpy_namespace(xp):
        return softmax(scores, axis=1)
    exp = xp.exp(scores - xp.max(scores, axis=1, keepdims=True))
    return exp / xp.sum(exp, axis=1, keepdims=True)


def _one_vs_rest_proba(scores, loss):
    """Probabilities from one-vs-rest scores: per class, normalized over classes."""
    xp, _ = get_namespace(scores)
    if loss == "log_loss":
        # scipy's expit on NumPy; elsewhere one that never overflows.
        prob = expit(scores) if _is_numpy_namespace(xp) else stable_expit(xp, scores)
    else:
        prob = (xp.clip(scores, -1.0, 1.0) + 1.0) / 2.0
    if prob.ndim == 1:
        return xp.stack([1.0 - prob, prob], axis=1)
    prob_sum = xp.sum(prob, axis=1)
    # Every class scored zero: fall back to uniform probabilities.
    all_zero = prob_sum == 0
    prob = xp.where(all_zero[:, None], xp.ones_like(prob), prob)
    prob_sum = xp.where(all_zero, xp.full_like(prob_sum, prob.shape[1]), prob_sum)
    return prob / prob_sum[:, None]
