"""Per-sample losses of a linear model's raw prediction.

Every loss is an object with ``loss``, ``gradient`` and, when the loss has a
(generalized) second derivative, ``hessian``, each taking ``y`` and
``raw_prediction`` and returning one value per sample. Derivatives are taken with
respect to ``raw_prediction``. Classification losses expect ``y`` in {-1, +1}.

The vectorized methods are written with Array API operations so that the
generic solvers can run them on any array library. The compiled kernels in
:mod:`skgd._solvers._kernels` carry scalar twins of the same formulas, selected
by ``code``; ``tests/test_loss.py`` checks that both agree.
"""

from sklearn.utils._array_api import get_namespace

# Codes shared with the compiled kernels.
# The public losses, re-exported by skgd.losses.
__all__ = [
    "CLASSIFICATION_LOSSES",
    "LOSSES",
    "REGRESSION_LOSSES",
    "BaseLoss",
    "EpsilonInsensitive",
    "HalfSquaredError",
    "Hinge",
    "Huber",
    "LogLoss",
    "ModifiedHuber",
    "Perceptron",
    "SquaredEpsilonInsensitive",
    "SquaredHinge",
    "make_loss",
]

SQUARED_ERROR = 0
HUBER = 1
EPSILON_INSENSITIVE = 2
SQUARED_EPSILON_INSENSITIVE = 3
HINGE = 4
LOG_LOSS = 5
MODIFIED_HUBER = 6
SQUARED_HINGE = 7


class BaseLoss:
    """A per-sample loss ``loss(y, raw_prediction)``.

    Attributes
    ----------
    name : str
        The string users pass as ``loss=``.
    code : int
        The loss's identifier inside the compiled kernels.
    param : float
        The loss's one scalar parameter (``epsilon`` or the hinge threshold),
        0 when it has none.
    has_hessian : bool
        Whether ``hessian`` exists, i.e. whether Newton's method can use it.
    constant_hessian : bool
        Whether the second derivative is the same everywhere (a quadratic
        loss), so one Newton step solves the problem.
    is_classification : bool
        Whether ``y`` is a label in {-1, +1} rather than a real target.
    curvature : float
        The largest second derivative with respect to ``raw_prediction``,
        which bounds the data term's smoothness and so sets the default step
        sizes (:mod:`skgd._solvers._step_policy`). The losses without one
        (hinge, perceptron, epsilon-insensitive) have derivatives bounded by
        1, so that no step diverges; theirs is a scale, 1/30: large steps
        travel fast to the large weights that a weak penalty allows
        (standardized and raw iris, minibatch: 0.913 and 0.673 with 1,
        0.933 and 0.960 with 1/30).
    minimized_at_zero : bool
        Whether zero weights minimize every objective of this loss (the
        perceptron's): it learns by fixed steps, never by a descent search.

    Examples
    --------
    Every loss in :mod:`skgd.losses` is a ``BaseLoss``; its flags tell which
    solvers can use it:

    >>> from skgd.losses import LOSSES, BaseLoss, make_loss
    >>> losses = [make_loss(name) for name in LOSSES]
    >>> all(isinstance(loss, BaseLoss) for loss in losses)
    True
    >>> [loss.name for loss in losses if loss.has_hessian][:3]
    ['squared_error', 'huber', 'squared_epsilon_insensitive']
    """

    name = ""
    code = -1
    param = 0.0
    has_hessian = False
    constant_hessian = False
    is_classification = False
    curvature = 1.0 / 30.0
    minimized_at_zero = False

    def loss(self, y, raw_prediction):
        """Per-sample loss values."""
        raise NotImplementedError

    def gradient(self, y, raw_prediction):
        """Per-sample first derivatives with respect to ``raw_prediction``."""
        raise NotImplementedError

    def hessian(self, y, raw_prediction):
        """Per-sample second derivatives with respect to ``raw_prediction``."""
        raise NotImplementedError(
            f"The {self.name!r} loss has no second derivative; Newton's method cannot use it."
        )

    def __repr__(self):
        if self.param:
            return f"{type(self).__name__}({self.param!r})"
        return f"{type(self).__name__}()"


class HalfSquaredError(BaseLoss):
    """Half squared error, ``loss = ½ (p − y)²``.

    The ½ makes the gradient ``p − y`` and the second derivative 1, as in
    scikit-learn's ``SGDRegressor(loss="squared_error")``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import HalfSquaredError
    >>> HalfSquaredError().loss(np.array([1.0]), np.array([3.0]))
    array([2.])
    """

    name = "squared_error"
    code = SQUARED_ERROR
    has_hessian = True
    curvature = 1.0
    constant_hessian = True

    def loss(self, y, raw_prediction):
        r = raw_prediction - y
        return 0.5 * r * r

    def gradient(self, y, raw_prediction):
        return raw_prediction - y

    def hessian(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        return xp.ones_like(raw_prediction)


class Huber(BaseLoss):
    """Huber loss: quadratic within ``epsilon`` of the target, linear beyond.

    With ``r = p − y``: ``loss = ½ r²`` if ``|r| ≤ ε`` else ``ε |r| − ½ ε²``
    (the ½ on the quadratic part, as in scikit-learn). The second derivative is
    1 inside the band and 0 outside, a generalized Hessian.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import Huber
    >>> Huber(epsilon=1.0).gradient(np.array([0.0, 0.0]), np.array([0.5, 3.0]))
    array([0.5, 1. ])
    """

    name = "huber"
    code = HUBER
    has_hessian = True
    curvature = 1.0

    def __init__(self, epsilon=0.1):
        self.param = float(epsilon)

    def loss(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        eps = self.param
        abs_r = xp.abs(raw_prediction - y)
        return xp.where(abs_r <= eps, 0.5 * abs_r * abs_r, eps * abs_r - 0.5 * eps * eps)

    def gradient(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        return xp.clip(raw_prediction - y, -self.param, self.param)

    def hessian(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        inside = xp.abs(raw_prediction - y) <= self.param
        return xp.astype(inside, raw_prediction.dtype)


class EpsilonInsensitive(BaseLoss):
    """Epsilon-insensitive loss, ``loss = max(0, |y − p| − ε)`` (no ½).

    Piecewise linear: it has no second derivative, so Newton cannot use it.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import EpsilonInsensitive
    >>> EpsilonInsensitive(epsilon=0.5).loss(np.array([0.0, 0.0]), np.array([0.2, 2.0]))
    array([0. , 1.5])
    """

    name = "epsilon_insensitive"
    code = EPSILON_INSENSITIVE

    def __init__(self, epsilon=0.1):
        self.param = float(epsilon)

    def loss(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = xp.abs(y - raw_prediction) - self.param
        return xp.where(z > 0, z, xp.zeros_like(z))

    def gradient(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        r = raw_prediction - y
        return xp.where(xp.abs(r) > self.param, xp.sign(r), xp.zeros_like(r))


class SquaredEpsilonInsensitive(BaseLoss):
    """Squared epsilon-insensitive loss, ``loss = max(0, |y − p| − ε)²`` (no ½).

    scikit-learn's ``SGDRegressor`` uses this form without the ½; so does
    skgd, so that the same ``alpha`` means the same model. The generalized
    second derivative is 2 outside the band and 0 inside.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import SquaredEpsilonInsensitive
    >>> SquaredEpsilonInsensitive(epsilon=1.0).loss(np.array([0.0]), np.array([3.0]))
    array([4.])
    """

    name = "squared_epsilon_insensitive"
    code = SQUARED_EPSILON_INSENSITIVE
    has_hessian = True
    curvature = 2.0

    def __init__(self, epsilon=0.1):
        self.param = float(epsilon)

    def loss(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = xp.abs(y - raw_prediction) - self.param
        return xp.where(z > 0, z * z, xp.zeros_like(z))

    def gradient(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        r = raw_prediction - y
        z = xp.abs(r) - self.param
        return xp.where(z > 0, 2.0 * xp.sign(r) * z, xp.zeros_like(z))

    def hessian(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        outside = xp.abs(y - raw_prediction) > self.param
        return 2.0 * xp.astype(outside, raw_prediction.dtype)


class Hinge(BaseLoss):
    """Hinge loss, ``loss = max(0, threshold − y·p)`` (no ½), for y in {-1, +1}.

    ``threshold=1`` is the linear SVM's loss; ``threshold=0`` is the
    perceptron's. Piecewise linear: Newton cannot use it.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import Hinge
    >>> Hinge().loss(np.array([1.0, -1.0]), np.array([0.5, 2.0]))
    array([0.5, 3. ])
    """

    name = "hinge"
    code = HINGE
    is_classification = True

    def __init__(self, threshold=1.0):
        self.param = float(threshold)

    def loss(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = self.param - y * raw_prediction
        return xp.where(z > 0, z, xp.zeros_like(z))

    def gradient(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        # The kink itself counts as a mistake, as in scikit-learn: a perceptron
        # starting from zero must move.
        return xp.where(y * raw_prediction <= self.param, -y, xp.zeros_like(y))


class Perceptron(Hinge):
    """Perceptron loss, ``loss = max(0, −y·p)``: the hinge with threshold 0.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import Perceptron
    >>> Perceptron().gradient(np.array([1.0, 1.0]), np.array([-1.0, 1.0]))
    array([-1.,  0.])
    """

    name = "perceptron"
    minimized_at_zero = True

    def __init__(self):
        super().__init__(threshold=0.0)

    def __repr__(self):
        return "Perceptron()"


class LogLoss(BaseLoss):
    """Logistic loss, ``loss = log(1 + exp(−y·p))`` (no ½), for y in {-1, +1}.

    The gradient is ``−y σ(−y·p)`` and the second derivative ``σ(p)(1 − σ(p))``,
    computed without overflow for any ``p``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import LogLoss
    >>> float(LogLoss().loss(np.array([1.0]), np.array([0.0]))[0])  # log(2)
    0.6931471805599453
    """

    name = "log_loss"
    code = LOG_LOSS
    has_hessian = True
    curvature = 0.25
    is_classification = True

    def loss(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = y * raw_prediction
        # log(1 + exp(-z)) = max(-z, 0) + log1p(exp(-|z|)), finite for any z.
        return xp.where(z > 0, xp.zeros_like(z), -z) + xp.log1p(xp.exp(-xp.abs(z)))

    def gradient(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        return -y * _expit(xp, -y * raw_prediction)

    def hessian(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        # σ(p)(1 − σ(p)) = e / (1 + e)² with e = exp(−|p|): symmetric in p and
        # accurate where 1 − σ(p) would cancel.
        e = xp.exp(-xp.abs(raw_prediction))
        return e / ((1.0 + e) * (1.0 + e))


class ModifiedHuber(BaseLoss):
    """Modified Huber loss for y in {-1, +1}, with ``z = y·p`` (no ½).

    ``loss = max(0, 1 − z)²`` for ``z ≥ −1`` and ``−4 z`` below: quadratically
    smoothed hinge, linear for gross mistakes. The generalized second derivative
    is 2 for ``−1 ≤ z < 1`` and 0 elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import ModifiedHuber
    >>> ModifiedHuber().loss(np.array([1.0, 1.0, 1.0]), np.array([2.0, 0.0, -3.0]))
    array([ 0.,  1., 12.])
    """

    name = "modified_huber"
    code = MODIFIED_HUBER
    has_hessian = True
    curvature = 2.0
    is_classification = True

    def loss(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = y * raw_prediction
        one_minus = 1.0 - z
        quadratic = xp.where(z >= 1.0, xp.zeros_like(z), one_minus * one_minus)
        return xp.where(z >= -1.0, quadratic, -4.0 * z)

    def gradient(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = y * raw_prediction
        quadratic = xp.where(z >= 1.0, xp.zeros_like(z), -2.0 * (1.0 - z) * y)
        return xp.where(z >= -1.0, quadratic, -4.0 * y)

    def hessian(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = y * raw_prediction
        inside = (z >= -1.0) & (z < 1.0)
        return 2.0 * xp.astype(inside, raw_prediction.dtype)


class SquaredHinge(BaseLoss):
    """Squared hinge loss, ``loss = max(0, 1 − y·p)²`` (no ½), y in {-1, +1}.

    The generalized second derivative is 2 where ``y·p < 1`` and 0 elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss._losses import SquaredHinge
    >>> SquaredHinge().loss(np.array([1.0, -1.0]), np.array([0.5, 0.5]))
    array([0.25, 2.25])
    """

    name = "squared_hinge"
    code = SQUARED_HINGE
    has_hessian = True
    curvature = 2.0
    is_classification = True

    def __init__(self, threshold=1.0):
        self.param = float(threshold)

    def loss(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = self.param - y * raw_prediction
        return xp.where(z > 0, z * z, xp.zeros_like(z))

    def gradient(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        z = self.param - y * raw_prediction
        return xp.where(z > 0, -2.0 * y * z, xp.zeros_like(z))

    def hessian(self, y, raw_prediction):
        xp, _ = get_namespace(raw_prediction)
        active = self.param - y * raw_prediction > 0
        return 2.0 * xp.astype(active, raw_prediction.dtype)


def _expit(xp, x):
    # σ(x) without overflow: exp only ever sees a non-positive argument.
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


REGRESSION_LOSSES = {
    "squared_error": lambda epsilon: HalfSquaredError(),
    "huber": Huber,
    "epsilon_insensitive": EpsilonInsensitive,
    "squared_epsilon_insensitive": SquaredEpsilonInsensitive,
}

CLASSIFICATION_LOSSES = {
    "hinge": lambda epsilon: Hinge(),
    "log_loss": lambda epsilon: LogLoss(),
    "modified_huber": lambda epsilon: ModifiedHuber(),
    "squared_hinge": lambda epsilon: SquaredHinge(),
    "perceptron": lambda epsilon: Perceptron(),
}

LOSSES = {**REGRESSION_LOSSES, **CLASSIFICATION_LOSSES}


def make_loss(name, epsilon=0.1):
    """Build the loss object for the string ``name``.

    Parameters
    ----------
    name : str
        One of the keys of ``LOSSES``.
    epsilon : float, default=0.1
        Used by ``huber``, ``epsilon_insensitive`` and
        ``squared_epsilon_insensitive``; ignored by the others.

    Returns
    -------
    loss : BaseLoss

    Examples
    --------
    >>> from skgd._loss._losses import make_loss
    >>> make_loss("huber", epsilon=1.35)
    Huber(1.35)
    """
    return LOSSES[name](epsilon)
