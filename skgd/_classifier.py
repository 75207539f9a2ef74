"""GDClassifier: a linear classifier whose optimization method is a parameter."""

import numpy as np
from joblib import Parallel, delayed
from scipy.special import expit
from sklearn.base import _fit_context
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils import compute_class_weight
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

from skgd._base import BaseGD, mean_loss_curve, validation_split
from skgd._loss import LOSSES

MAX_INT = np.iinfo(np.int32).max


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
    tol : float or None, default=1e-3
    shuffle : bool, default=True
    verbose : int, default=0
    epsilon : float, default=0.1
    n_jobs : int, default=None
        Threads for the one-vs-rest problems; the result does not depend on it.
    random_state : int, RandomState instance or None, default=None
    learning_rate : {"constant", "optimal", "invscaling", "adaptive"}, \
            default="optimal"
    eta0 : float, default=0.01
    power_t : float, default=0.5
    early_stopping : bool, default=False
        Hold out a stratified ``validation_fraction`` and stop on its accuracy.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    class_weight : dict, "balanced" or None, default=None
        Multiplies the sample weights by a weight per class.
    warm_start : bool, default=False
    average : bool or int, default=False
    solver : {"sgd", "batch", "minibatch", "momentum", "newton"}, default="sgd"
        See :class:`GDRegressor`.
    batch_size : int, default=32
    momentum : float, default=0.9
    nesterov : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
        The most epochs or iterations any binary problem ran.
    t_ : float
        Updates made plus one (the most of any binary problem).
    loss_curve_ : list of float
        The objective per epoch or iteration, averaged over the binary
        problems; a problem that stopped early carries its last value.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)

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
    }

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
        learning_rate="optimal",
        eta0=0.01,
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

    @_fit_context(prefer_skip_nested_validation=True)
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
        warm = self.warm_start and hasattr(self, "coef_")
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse="csr",
            dtype=[np.float64, np.float32],
            order="C",
            reset=not warm,
        )
        check_classification_targets(y)
        classes = np.unique(y)
        if classes.shape[0] < 2:
            raise ValueError(
                f"The number of classes has to be greater than one; got "
                f"{classes.shape[0]} class. A classifier needs samples of at least "
                "two classes."
            )
        if warm and not np.array_equal(classes, self.classes_):
            raise ValueError(
                f"warm_start=True needs the classes of the previous fit "
                f"{self.classes_.tolist()}, got {classes.tolist()}. Set "
                "warm_start=False to fit new classes."
            )
        sample_weight = self._check_sample_weight(sample_weight, X)
        if self.class_weight is not None:
            per_class = compute_class_weight(self.class_weight, classes=classes, y=y)
            sample_weight = sample_weight * per_class[np.searchsorted(classes, y)].astype(X.dtype)
            sample_weight = self._check_sample_weight(sample_weight, X)
        loss = self._make_loss()
        self._check_combination(loss)
        rng = check_random_state(self._param("random_state"))
        n_problems = 1 if classes.shape[0] == 2 else classes.shape[0]
        coef, intercept = self._initial_coef(
            n_problems, X.shape[1], X.dtype, coef_init, intercept_init
        )
        held_out = None
        if self.early_stopping:
            held_out = validation_split(
                X.shape[0], self.validation_fraction, self._param("random_state"), stratify=y
            )
            if not np.any(sample_weight[held_out] > 0):
                raise ValueError(
                    "The sample weights of the validation set are all zero; "
                    "early_stopping=True cannot score on it. Change random_state "
                    "or validation_fraction, or set early_stopping=False."
                )
        seeds = rng.randint(MAX_INT, size=n_problems)
        positive = [classes[1]] if n_problems == 1 else list(classes)
        results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
            delayed(self._fit_binary)(
                X,
                y == positive[k],
                sample_weight,
                loss,
                coef[k],
                intercept[k],
                seeds[k],
                held_out,
            )
            for k in range(n_problems)
        )
        self._warn_if_not_converged(results)

        previous_curve = list(getattr(self, "loss_curve_", [])) if warm else []
        self.classes_ = classes
        self.coef_ = np.stack([np.asarray(r.coef, dtype=X.dtype) for r in results])
        self.intercept_ = np.asarray([r.intercept for r in results], dtype=X.dtype)
        self.n_iter_ = max(r.n_iter for r in results)
        self.t_ = max(r.t for r in results)
        self.loss_curve_ = previous_curve + mean_loss_curve(results)
        return self

    def _fit_binary(self, X, is_positive, sample_weight, loss, coef, intercept, seed, held_out):
        y = np.where(is_positive, 1.0, -1.0).astype(X.dtype)
        validation_score = None
        if held_out is not None:
            validation_score = _accuracy_scorer(X[held_out], y[held_out], sample_weight[held_out])
            X, y, sample_weight = X[~held_out], y[~held_out], sample_weight[~held_out]
        objective = self._objective(loss, X, y, sample_weight)
        return self._solve(
            objective, coef, intercept, np.random.RandomState(seed), validation_score
        )

    def _initial_coef(self, n_problems, n_features, dtype, coef_init, intercept_init):
        if coef_init is None and self.warm_start and hasattr(self, "coef_"):
            coef_init, intercept_init = self.coef_, self.intercept_
        coef = np.zeros((n_problems, n_features), dtype=dtype)
        if coef_init is not None:
            coef_init = np.asarray(coef_init, dtype=dtype).reshape(-1, n_features)
            if coef_init.shape != coef.shape:
                raise ValueError(
                    f"coef_init has shape {coef_init.shape}; it must have shape "
                    f"{coef.shape}, one row per binary problem."
                )
            coef = coef_init.copy()
        intercept = np.zeros(n_problems)
        if intercept_init is not None:
            intercept_init = np.asarray(intercept_init, dtype=float).ravel()
            if intercept_init.shape != intercept.shape:
                raise ValueError(
                    f"intercept_init has shape {intercept_init.shape}; it must have "
                    f"shape {intercept.shape}."
                )
            intercept = intercept_init.copy()
        return coef, intercept

    def _has_proba(self):
        return self._param("loss") in ("log_loss", "modified_huber")

    @available_if(_has_proba)
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
        proba : ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self)
        scores = self.decision_function(X)
        if self._param("loss") == "log_loss":
            prob = expit(scores)
        else:
            prob = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
        if prob.ndim == 1:
            return np.stack([1.0 - prob, prob], axis=1)
        prob_sum = prob.sum(axis=1)
        all_zero = prob_sum == 0
        # Every class scored zero: fall back to uniform probabilities.
        prob[all_zero, :] = 1.0
        prob_sum[all_zero] = prob.shape[1]
        return prob / prob_sum[:, None]

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        return np.log(self.predict_proba(X))


def _accuracy_scorer(X_val, y_val, sw_val):
    def score(coef, intercept):
        prediction = np.where(np.asarray(X_val @ coef).ravel() + intercept > 0, 1.0, -1.0)
        return float(np.average(prediction == y_val, weights=sw_val))

    return score
