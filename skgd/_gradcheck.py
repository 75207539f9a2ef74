"""Numerical check of a loss's derivatives by central differences."""

from typing import NamedTuple

import numpy as np

from skgd._loss import BaseLoss, make_loss


class DerivativeCheck(NamedTuple):
    """Largest disagreements between analytic and numerical derivatives.

    Attributes
    ----------
    gradient_error : float
        ``max |gradient − (loss(p + h) − loss(p − h)) / 2h|``.
    hessian_error : float or None
        ``max |hessian − (gradient(p + h) − gradient(p − h)) / 2h|``, or
        ``None`` when the loss has no second derivative.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd import check_loss_derivatives
    >>> from skgd.losses import LogLoss
    >>> result = check_loss_derivatives(LogLoss(), np.array([1.0]), np.array([0.3]))
    >>> result.gradient_error < 1e-8, result.hessian_error < 1e-8
    (True, True)
    """

    gradient_error: float
    hessian_error: float | None


def check_loss_derivatives(loss, y, raw_prediction, *, step=1e-6, epsilon=0.1):
    """Compare a loss's gradient and second derivative with central differences.

    The central difference ``[f(p + h) − f(p − h)] / 2h`` has an error of
    order ``h²`` where ``f`` is smooth. Near a kink (the hinge's margin, the
    edge of Huber's band) it is wrong by design: check at points away from
    kinks.

    Parameters
    ----------
    loss : str or loss object
        A loss name such as ``"log_loss"``, or an object from
        :mod:`skgd.losses`.
    y : array-like of shape (n_samples,)
        Targets; labels in {-1, +1} for classification losses.
    raw_prediction : array-like of shape (n_samples,)
        Points at which to compare.
    step : float, default=1e-6
        The difference step ``h``.
    epsilon : float, default=0.1
        ``epsilon`` of the loss when ``loss`` is a name.

    Returns
    -------
    DerivativeCheck
        The largest absolute disagreements.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd import check_loss_derivatives
    >>> rng = np.random.default_rng(0)
    >>> y = rng.choice([-1.0, 1.0], size=100)
    >>> p = rng.normal(size=100)
    >>> result = check_loss_derivatives("log_loss", y, p)
    >>> bool(result.gradient_error < 1e-8 and result.hessian_error < 1e-8)
    True
    """
    if not isinstance(loss, BaseLoss):
        loss = make_loss(loss, epsilon=epsilon)
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(raw_prediction, dtype=np.float64)
    numeric_gradient = (loss.loss(y, p + step) - loss.loss(y, p - step)) / (2 * step)
    gradient_error = float(np.max(np.abs(loss.gradient(y, p) - numeric_gradient)))
    hessian_error = None
    if loss.has_hessian:
        numeric_hessian = (loss.gradient(y, p + step) - loss.gradient(y, p - step)) / (2 * step)
        hessian_error = float(np.max(np.abs(loss.hessian(y, p) - numeric_hessian)))
    return DerivativeCheck(gradient_error, hessian_error)
