"""How a first-order step turns a gradient into an update.

A step rule is optax's pair: ``init(coef)`` makes its state, and
``update(coef, intercept, grad, grad_intercept, eta, penalty, state)`` returns
the new coefficients, intercept and state. The sampler (all rows, one, or a
batch) is chosen elsewhere, in the solver table; the two combine freely.

Besides the pair, a rule declares

- ``applies_l1``: whether ``update`` handles the penalty's L1 part itself
  (otherwise the loop applies it exactly: soft thresholding after a
  full-batch step, cumulative truncation after a sampled one);
- ``needs_all_rows``: whether it only makes sense on full batches;
- ``kernel_params``: ``(code, momentum)`` for the compiled epochs, or None
  for a rule they do not implement (its epochs then run in array
  operations, slower but exact).

and :meth:`StepRule.full_batch_step`, the whole step of batch gradient
descent, which a rule that searches along the gradient overrides.
"""

from typing import NamedTuple

import numpy as np
from sklearn.utils._array_api import get_namespace

from skgd._solvers import _kernels


class Velocity(NamedTuple):
    """The heavy-ball velocity of the coefficients and of the intercept."""

    coef: object
    intercept: float


class StepRule:
    """The defaults every step rule shares."""

    applies_l1 = False
    needs_all_rows = False
    kernel_params = None

    def init(self, coef):
        return None

    def step(self, state, grad, grad_intercept, eta, penalty):
        """:meth:`update` from ``state``'s iterate: the intercept and the rule's state
        go into ``state``; the new coefficients are returned for the L1 handling."""
        coef, state.intercept, state.step_state = self.update(
            state.coef, state.intercept, grad, grad_intercept, eta, penalty, state.step_state
        )
        return coef

    def full_batch_step(self, objective, state, eta):
        """One step of batch gradient descent from ``state``, which it updates.

        ``state.full_gradient`` holds the data term's value and gradient at
        the iterate, and is left holding them at the new one.
        """
        _, grad, grad_intercept = state.full_gradient
        coef = self.step(state, grad, grad_intercept, eta, objective.penalty)
        if not self.applies_l1:
            coef = objective.penalty.prox_l1(coef, eta)
        state.coef = coef
        state.full_gradient = objective.loss_gradient(state.coef, state.intercept)


class PlainStep(StepRule):
    """``w ← max(0, 1 − η·l2)·w − η g``: a gradient step on the smooth part.

    L2 shrinks the coefficients multiplicatively, clamped at zero as in
    scikit-learn. The L1 part is left to the loop (``applies_l1`` is False).
    """

    kernel_params = (_kernels.PLAIN, 0.0)

    def update(self, coef, intercept, grad, grad_intercept, eta, penalty, state):
        shrink = max(0.0, 1.0 - eta * penalty.l2)
        return shrink * coef - eta * grad, intercept - eta * grad_intercept, state


class MomentumStep(StepRule):
    """Heavy ball, ``b ← μ b + g`` and ``w ← w − η b``, or Nesterov's variant.

    The whole penalty's (sub)gradient is part of ``g``, so the fixed point is
    the penalized optimum. Nesterov's form is torch's and optax's:
    ``w ← w − η (g + μ b)`` with the updated ``b``.
    """

    applies_l1 = True

    def __init__(self, momentum=0.9, nesterov=False):
        self.momentum = momentum
        self.nesterov = nesterov
        self.kernel_params = (_kernels.NESTEROV if nesterov else _kernels.MOMENTUM, momentum)

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


class LineSearchState(NamedTuple):
    """The last accepted step, and whether it passed without backtracking."""

    eta: float
    passed_at_once: bool


class BacktrackingStep(PlainStep):
    """A proximal gradient step whose size is found by backtracking (batch only).

    With ``F`` the smooth part (loss + L2), the step ``η`` is halved until
    ``F(w⁺) − F(w) ≤ ∇F(w)·(w⁺ − w) + ||w⁺ − w||² / 2η`` (Beck and Teboulle's
    condition, which makes the objective decrease monotonically). The search
    starts from the last accepted step, doubled when that step passed at
    once, so that a too small ``eta0`` costs a few iterations only.

    Near the optimum ``F(w⁺) − F(w)`` drowns in the rounding error of ``F``;
    there it is estimated by the trapezoid rule ``½ (∇F(w) + ∇F(w⁺))·(w⁺ − w)``
    instead (Hager and Zhang's approximate Wolfe idea), which stays accurate,
    so the gradient can still be driven to a tight tolerance.

    Parameters
    ----------
    eta0 : float
        The first trial step.
    """

    needs_all_rows = True
    kernel_params = None
    # Halvings before the search gives up on a step.
    MAX_HALVINGS = 60
    # Below this relative change of F, the search measures it by gradients.
    ROUNDING = 1e-10

    def __init__(self, eta0=0.01):
        self.eta0 = eta0

    def init(self, coef):
        return LineSearchState(float(self.eta0), False)

    def full_batch_step(self, objective, state, eta):
        xp = objective.xp
        penalty = objective.penalty
        loss, grad, grad_intercept = state.full_gradient
        coef, intercept = state.coef, state.intercept
        grad = grad + penalty.smooth_gradient(coef)
        smooth = loss + 0.5 * penalty.l2 * float(xp.sum(coef * coef))
        eta = state.step_state.eta * (2.0 if state.step_state.passed_at_once else 1.0)
        passed_at_once = True
        # Without L1 the trial points lie on one line, w − η ∇F: an objective
        # whose passes are round trips evaluates several in one pass.
        per_pass = 1 if penalty.l1 else objective.trials_per_pass
        for halvings in range(self.MAX_HALVINGS):
            coef_new = penalty.prox_l1(coef - eta * grad, eta)
            intercept_new = intercept - eta * grad_intercept
            if penalty.l1:
                evaluation = objective.loss_gradient(coef_new, intercept_new)
            else:
                if halvings % per_pass == 0:
                    steps = eta * 0.5 ** np.arange(per_pass)
                    pending = iter(
                        objective.trial_evaluations(coef, intercept, grad, grad_intercept, steps)
                    )
                evaluation = next(pending)
            step = coef_new - coef
            step_intercept = intercept_new - intercept
            slope = _dot(grad, step) + _dot(grad_intercept, step_intercept)
            model = slope + (_dot(step, step) + _dot(step_intercept, step_intercept)) / (2.0 * eta)
            change = evaluation[0] + 0.5 * penalty.l2 * float(xp.sum(coef_new * coef_new)) - smooth
            if abs(change) <= self.ROUNDING * abs(smooth):
                grad_new = evaluation[1] + penalty.smooth_gradient(coef_new)
                change = 0.5 * (slope + _dot(grad_new, step) + _dot(evaluation[2], step_intercept))
            if np.isfinite(change) and change <= model:
                state.coef, state.intercept = coef_new, intercept_new
                state.full_gradient = evaluation
                state.step_state = LineSearchState(eta, passed_at_once)
                return
            passed_at_once = False
            eta *= 0.5
        # No step decreases the objective: the iterate is stationary to machine precision.
        state.step_state = LineSearchState(state.step_state.eta, False)


class NewtonStep(StepRule):
    """Newton's step, ``∇²J e = −∇J`` then ``w ← w + s e`` with an Armijo line search.

    :mod:`skgd._solvers._newton` takes these steps in its own loop; as a rule
    it declares that it needs every row.
    """

    needs_all_rows = True


def _dot(a, b):
    """``Σ a·b`` over all entries, for arrays and plain floats alike."""
    if np.ndim(a) == 0:
        return float(a * b)
    xp, _ = get_namespace(a)
    return float(xp.sum(a * b))
