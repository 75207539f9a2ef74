"""PerceptronGD: the perceptron, with the optimization method as a parameter."""

from sklearn.utils._param_validation import StrOptions

from skgd._estimators._base import BaseGD
from skgd._estimators._classifier import GDClassifier
from skgd._solvers import solver_names


class PerceptronGD(GDClassifier):
    """The perceptron: :class:`GDClassifier` with ``loss="perceptron"``.

    It stands to :class:`GDClassifier` as scikit-learn's
    :class:`~sklearn.linear_model.Perceptron` stands to ``SGDClassifier``:
    the loss is ``max(0, −y·p)``, with sgd the learning rate is constant at
    ``eta0`` (1 by default), no penalty by default, and ``random_state=0``.
    The other solvers start from a step of 1 too and divide it by 5 whenever
    the objective stops improving (``"adaptive"``).

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"} or None, default=None
    alpha : float, default=1e-4
    l1_ratio : float, default=0.15
    fit_intercept : bool, default=True
    max_iter : int, default=1000
    tol : float or None, default=1e-3
    shuffle : bool, default=True
    verbose : int, default=0
    eta0 : float or "auto", default="auto"
        The first step size; ``"auto"``: 1, Perceptron's.
    n_jobs : int, default=None
    random_state : int, RandomState instance or None, default=0
    early_stopping : bool, default=False
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=5
    class_weight : dict, "balanced" or None, default=None
    warm_start : bool, default=False
    solver : {"sgd", "batch", "minibatch", "momentum"}, default="sgd"
        The perceptron loss has no second derivative, so there is no
        ``"newton"``.
    batch_size : int, default=32
    momentum : float, default=0.9
    nesterov : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
    converged_ : bool
        Whether every problem met the stopping rule (``tol``).
    t_ : float
    loss_curve_ : list of float
    learning_rate_ : str
        ``"constant"`` for sgd, ``"adaptive"`` for the other solvers.
    eta0_ : float
        The step of the first update, after any restart with smaller steps.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)

    See Also
    --------
    GDClassifier : The same solvers with any classification loss.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skgd import PerceptronGD
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = PerceptronGD(tol=1e-3).fit(X, y)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    _parameter_constraints: dict = {
        key: value
        for key, value in BaseGD._parameter_constraints.items()
        if key not in ("loss", "learning_rate", "power_t", "epsilon", "average")
    }
    _parameter_constraints.update(
        {
            "n_jobs": GDClassifier._parameter_constraints["n_jobs"],
            "class_weight": GDClassifier._parameter_constraints["class_weight"],
            # The perceptron loss has no second derivative: no newton.
            "solver": [StrOptions(set(solver_names(lambda row: not row.needs_hessian)))],
        }
    )
    _scikit_learn_steps = ("constant", 1.0)
    _fixed_params = {
        "loss": "perceptron",
        "learning_rate": "auto",
        "power_t": 0.5,
        "epsilon": 0.1,
        "average": False,
        "multi_class": "ovr",
    }

    def __init__(
        self,
        *,
        penalty=None,
        alpha=0.0001,
        l1_ratio=0.15,
        fit_intercept=True,
        max_iter=1000,
        tol=1e-3,
        shuffle=True,
        verbose=0,
        eta0="auto",
        n_jobs=None,
        random_state=0,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        class_weight=None,
        warm_start=False,
        solver="sgd",
        batch_size=32,
        momentum=0.9,
        nesterov=False,
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.verbose = verbose
        self.eta0 = eta0
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.solver = solver
        self.batch_size = batch_size
        self.momentum = momentum
        self.nesterov = nesterov
