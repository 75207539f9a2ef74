"""How a first-order step turns a gradient into an update.

A step rule is optax's pair: ``init(coef)`` makes its state, and
``update(coef, intercept, grad, grad_intercept, eta, penalty, state)`` returns
the new coefficients and state. The sampler (all rows, one, or a batch) is
chosen elsewhere; the two choices combine freely.

The compiled kernels implement the same rules under the codes in ``code``.
"""

from typing import NamedTuple

from sklearn.utils._array_api import get_namespace

from skgd._solvers import _kernels


class Velocity(NamedTuple):
    """The heavy-ball velocity of the coefficients and of the intercept."""

    coef: object
    intercept: float


class PlainStep:
    """``w ← max(0, 1 − η·l2)·w − η g``: a gradient step on the smooth part.

    L2 shrinks the coefficients multiplicatively, clamped at zero as in
    scikit-learn. The L1 part is left to the caller (``applies_l1`` is
    False): soft thresholding after a full-batch step, cumulative truncation
    after a step on sampled rows.
    """

    code = _kernels.PLAIN
    applies_l1 = False

    def init(self, coef):
        return None

    def update(self, coef, intercept, grad, grad_intercept, eta, penalty, state):
        shrink = max(0.0, 1.0 - eta * penalty.l2)
        return shrink * coef - eta * grad, intercept - eta * grad_intercept, state


class MomentumStep:
    """Heavy ball, ``b ← μ b + g`` and ``w ← w − η b``, or Nesterov's variant.

    The whole penalty's (sub)gradient is part of ``g``, so the fixed point is
    the penalized optimum. Nesterov's form is torch's and optax's:
    ``w ← w − η (g + μ b)`` with the updated ``b``.
    """

    applies_l1 = True

    def __init__(self, momentum=0.9, nesterov=False):
        self.momentum = momentum
        self.nesterov = nesterov

    @property
    def code(self):
        return _kernels.NESTEROV if self.nesterov else _kernels.MOMENTUM

    def init(self, coef):
        xp, _ = get_namespace(coef)
        return Velocity(xp.zeros_like(coef), 0.0)

    def update(self, coef, intercept, grad, grad_intercept, eta, penalty, state):
        mu = self.momentum
        grad = grad + penalty.subgradient(coef)
        velocity = mu * state.coef + grad
        velocity_intercept = mu * state.intercept + grad_intercept
        if self.nesterov:
            coef = coef - eta * (grad + mu * velocity)
            intercept = intercept - eta * (grad_intercept + mu * velocity_intercept)
        else:
            coef = coef - eta * velocity
            intercept = intercept - eta * velocity_intercept
        return coef, intercept, Velocity(velocity, velocity_intercept)
