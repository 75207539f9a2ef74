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
    """The last accepted step (None before the first), whether it passed at once,
    and the next search's first trial, Barzilai and Borwein's (None: none yet)."""

    eta: float | None
    passed_at_once: bool
    spectral: float | None = None
    recent: tuple = ()


class BacktrackingStep(PlainStep):
    """A proximal gradient step whose size is found by backtracking (batch only).

    With ``F`` the smooth part (loss + L2), the step ``η`` is halved until
    ``F(w⁺) − F(w) ≤ ∇F(w)·(w⁺ − w) + ||w⁺ − w||² / 2η`` (Beck and Teboulle's
    condition, which makes the objective decrease monotonically). The first
    search starts from the schedule's step (``eta0``). Every later one starts
    from Barzilai and Borwein's step ``sᵀs / sᵀy`` (``s`` the last step, ``y``
    the change of ``∇F`` along it): the inverse of the curvature the last step
    met, which is what makes gradient descent fast on badly conditioned
    problems (ten times fewer iterations on the diabetes data). Where the
    curvature is not positive (a non-smooth loss's kink), the last accepted
    step, doubled when it passed at once, so that a too small ``eta0`` costs
    a few iterations only.

    Near the optimum ``F(w⁺) − F(w)`` drowns in the rounding error of ``F``;
    there it is estimated by the trapezoid rule ``½ (∇F(w) + ∇F(w⁺))·(w⁺ − w)``
    instead (Hager and Zhang's approximate Wolfe idea), which stays accurate,
    so the gradient can still be driven to a tight tolerance.
    """

    needs_all_rows = True
    kernel_params = None
    # Halvings before the search gives up on a step.
    MAX_HALVINGS = 60
    # Below this relative change of F, the search measures it by gradients.
    ROUNDING = 1e-10
    # A spectral step at most this many times the last accepted one: a tiny
    # curvature along one step must not cost dozens of halvings at the next.
    MAX_GROWTH = 1e4
    # The nonmonotone test on a non-smooth loss: the last MEMORY values, and
    # the fraction of the quadratic model's decrease it asks for.
    MEMORY = 5
    SUFFICIENT = 1e-4

    def init(self, coef):
        return LineSearchState(None, False)

    def full_batch_step(self, objective, state, eta):
        xp = objective.xp
        penalty = objective.penalty
        loss, grad, grad_intercept = state.full_gradient
        coef, intercept = state.coef, state.intercept
        grad = grad + penalty.smooth_gradient(coef)
        smooth = loss + 0.5 * penalty.l2 * float(xp.sum(coef * coef))
        last = state.step_state
        if last.spectral is not None:
            eta = min(last.spectral, self.MAX_GROWTH * last.eta)
        elif last.eta is not None:
            eta = last.eta * (2.0 if last.passed_at_once else 1.0)
        passed_at_once, start = True, eta
        recent = ()
        if not objective.loss.has_hessian:
            value = smooth + penalty.l1 * float(xp.sum(xp.abs(coef)))
            recent = last.recent or (value,)
        # Without L1 the trial points lie on one line, w − η ∇F: an objective
        # whose passes are round trips evaluates several in one pass.
        per_pass = 1 if penalty.l1 else objective.trials_per_pass
        for halvings in range(self.MAX_HALVINGS):
            if not eta > 0.0:
                # Halved past the smallest float: no step left to try.
                break
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
            accept = change <= model
            if not accept and recent:
                # Non-smooth loss: GLL's nonmonotone test against the last values.
                value_new = smooth + change + penalty.l1 * float(xp.sum(xp.abs(coef_new)))
                accept = value_new <= max(recent) - self.SUFFICIENT * (model - slope)
            if np.isfinite(change) and accept:
                grad_new = evaluation[1] + penalty.smooth_gradient(coef_new)
                curvature = _dot(step, grad_new - grad) + _dot(
                    step_intercept, evaluation[2] - grad_intercept
                )
                squared = _dot(step, step) + _dot(step_intercept, step_intercept)
                state.coef, state.intercept = coef_new, intercept_new
                state.full_gradient = evaluation
                spectral = squared / curvature if curvature > 0 else None
                if recent:
                    value_new = smooth + change + penalty.l1 * float(xp.sum(xp.abs(coef_new)))
                    recent = (*recent, value_new)[-self.MEMORY :]
                state.step_state = LineSearchState(eta, passed_at_once, spectral, recent)
                return
            passed_at_once = False
            eta *= 0.5
        # No trial step decreased the objective: at a kink of a non-smooth loss,
        # where the negative subgradient need not descend (or, for a smooth
        # one, at the optimum to machine precision). A subgradient step half
        # the last accepted one moves off the kink; repeated failures halve
        # it again, as the subgradient method's steps must shrink.
        eta = 0.5 * (start if last.eta is None else last.eta)
        state.coef = penalty.prox_l1(coef - eta * grad, eta)
        state.intercept = intercept - eta * grad_intercept
        state.full_gradient = objective.loss_gradient(state.coef, state.intercept)
        state.step_state = LineSearchState(eta, False)


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
