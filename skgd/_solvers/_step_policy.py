"""Each solver's default steps: what ``learning_rate="auto"`` and ``eta0="auto"`` become.

A policy answers two questions, once per problem:

- :meth:`learning_rate`, from the parameters alone: the schedule's kind;
- :meth:`eta0`, from the data: the first step.

The solver table (:mod:`skgd._solvers._table`) gives each solver its policy.
An explicit ``learning_rate`` or ``eta0`` is used as given; ``"auto"`` asks
the policy. The first steps come from the smoothness of the data term:
``Lᵢ = c sᵢ (‖xᵢ‖² + 1)`` for row ``i`` (``c`` the loss's largest second
derivative, ``sᵢ`` the row's weight of mean 1, the 1 for the intercept),
``L̄`` their mean and ``L_max`` the largest (``Objective.smoothness``).

- **sgd** keeps scikit-learn's defaults, so that it stays a drop-in:
  ``"optimal"`` for a classifier, ``"invscaling"`` from 0.01 for a
  regressor, constant 1 for the perceptron.
- **batch** takes a backtracking line search from ``1 / (L̄ + l2)``: ``L̄``
  bounds the largest eigenvalue of the Hessian, so that first trial already
  descends on a smooth loss, and every later search starts from Barzilai
  and Borwein's step. The perceptron takes constant steps of 1 (see
  ``PERCEPTRON_STEP``), its first steps with every solver.
- **minibatch** takes ``adaptive`` steps from ``1 / L_B``, the expected
  smoothness of a mean over ``B`` rows drawn without replacement (Gower et
  al., 2019, with ``L̄`` for the full data term's smoothness):
  ``L_B = n (B − 1) / (B (n − 1)) · L̄ + (n − B) / (B (n − 1)) · L_max + l2``.
  One row gives ``L_max``, every row ``L̄``: a batch's mean gradient is
  smoother than one row's, and larger batches take larger steps.
- **momentum** takes ``(1 − μ) / L_B``: heavy ball's steps add up to
  ``η / (1 − μ)`` along a steady gradient, which ``(1 − μ)`` brings back to
  minibatch's step (PyTorch's ``dampening`` makes the same correction).
- **newton** takes no learning rate: its Armijo search starts from the full
  Newton step.
"""

from typing import NamedTuple

import numpy as np

from skgd._loss import make_loss

#: The perceptron's first step, whatever the solver: its loss is positively
#: homogeneous, so a step sets only the weights' scale, which matters
#: against ``tol`` alone; scikit-learn's 1 is the scale its tol is meant for.
PERCEPTRON_STEP = 1.0
#: ``adaptive`` from a step chosen from the data stops at this fraction of
#: it, as scikit-learn's 1e-6 is of its default ``eta0=0.01``.
AUTO_FLOOR_RATIO = 1e-4


class Steps(NamedTuple):
    """A resolved step policy: the schedule's kind and its first step."""

    learning_rate: str
    eta0: float


class ScikitLearnSteps:
    """sgd: scikit-learn's own defaults for the estimator (``params["scikit_learn_steps"]``)."""

    def learning_rate(self, params):
        return params["scikit_learn_steps"][0]

    def eta0(self, objective, params, batch_size):
        return params["scikit_learn_steps"][1]


class LineSearchSteps:
    """batch: a backtracking line search from ``1 / (L̄ + l2)``.

    The perceptron takes constant steps instead: zero weights minimize its
    objective, where a search for descent would stay, and it learns by the
    fixed steps of Rosenblatt's rule.
    """

    def learning_rate(self, params):
        loss = make_loss(params["loss"], epsilon=params["epsilon"])
        return "adaptive" if loss.minimized_at_zero else "line_search"

    def eta0(self, objective, params, batch_size):
        if objective.loss.minimized_at_zero:
            return PERCEPTRON_STEP
        mean, _ = objective.smoothness()
        return inverse(mean + objective.penalty.l2)


class BatchMeanSteps:
    """minibatch and momentum: ``adaptive`` from ``damping / L_B`` (see the module).

    Parameters
    ----------
    damped : bool
        Multiply by ``1 − momentum``: the momentum solver's steps.
    """

    def __init__(self, damped=False):
        self.damped = damped

    def learning_rate(self, params):
        return "adaptive"

    def eta0(self, objective, params, batch_size):
        damping = 1.0 - params["momentum"] if self.damped else 1.0
        if objective.loss.minimized_at_zero:
            return damping * PERCEPTRON_STEP
        return damping * inverse(batch_smoothness(objective, batch_size))


class NewtonSteps:
    """newton: Newton's step, searched from its full length."""

    def learning_rate(self, params):
        return "line_search"

    def eta0(self, objective, params, batch_size):
        return 1.0


def inverse(smoothness):
    """``1 / L``: 1 for a flat data term (all-zero rows), and an error for one that overflows."""
    if smoothness == 0:
        return 1.0
    if not np.isfinite(smoothness):
        raise ValueError(
            "The squared norms of the rows overflow (features of magnitude 1e154 or "
            "more), which leaves no step size to choose: scale the features first, for "
            "example with StandardScaler in a Pipeline."
        )
    return 1.0 / smoothness


def batch_smoothness(objective, batch_size):
    """``L_B``: the expected smoothness of a mean over ``batch_size`` rows without replacement."""
    mean, largest = objective.smoothness()
    n = objective.n_samples
    size = min(batch_size, n)
    if n == 1:
        return largest + objective.penalty.l2
    full = n * (size - 1) / (size * (n - 1))
    single = (n - size) / (size * (n - 1))
    return full * mean + single * largest + objective.penalty.l2


def resolve(policy, objective, params, batch_size):
    """The :class:`Steps` of a fit: the parameters where given, else the policy's."""
    learning_rate = params["learning_rate"]
    if learning_rate == "auto":
        learning_rate = policy.learning_rate(params)
    eta0 = params["eta0"]
    if eta0 == "auto":
        eta0 = policy.eta0(objective, params, batch_size)
    return Steps(learning_rate, float(eta0))
