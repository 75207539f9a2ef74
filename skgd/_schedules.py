"""Learning-rate schedules: callables from the update counter ``t`` to a step size.

``t`` counts updates from 1: samples for sgd, batches for minibatch and
momentum, iterations for batch gradient descent. The formulas are
scikit-learn's:

- ``constant``: ``eta = eta0``;
- ``optimal``: ``eta = 1 / (alpha (t0 + t - 1))`` with Bottou's heuristic
  for ``t0``;
- ``invscaling``: ``eta = eta0 / t ** power_t``;
- ``adaptive``: ``eta = eta0`` until ``n_iter_no_change`` epochs in a row fail
  to improve by ``tol``, then ``eta / 5``; the fit stops once ``eta ≤ 1e-6``;
- ``line_search`` (batch gradient descent only): backtracking from twice the
  last accepted step (``eta0`` at first), so no step size needs tuning.
"""

import math

import numpy as np

# Codes shared with the compiled kernels; adaptive runs as constant within an epoch.
CONSTANT = 0
OPTIMAL = 1
INVSCALING = 2


class Schedule:
    """A learning-rate schedule ``eta(t)``.

    Parameters
    ----------
    kind : {"constant", "optimal", "invscaling", "adaptive", "line_search"}
    eta0 : float
        Initial step size (unused by ``optimal``).
    power_t : float
        Exponent of ``invscaling``.
    alpha : float
        Penalty strength, which sets ``optimal``'s scale.
    loss : BaseLoss
        Used by ``optimal``'s ``t0`` heuristic.

    Examples
    --------
    >>> from skgd._schedules import Schedule
    >>> schedule = Schedule("invscaling", eta0=0.1, power_t=0.5)
    >>> schedule(1), schedule(4)
    (0.1, 0.05)
    """

    def __init__(self, kind, eta0=0.01, power_t=0.5, alpha=1e-4, loss=None):
        self.kind = kind
        self.eta0 = float(eta0)
        self.power_t = float(power_t)
        self.alpha = float(alpha)
        self.optimal_init = 0.0
        if kind == "optimal":
            # Bottou's heuristic, as in scikit-learn: size the first step from
            # a typical weight of 1 / alpha ** 0.25 and the loss's slope there.
            typw = math.sqrt(1.0 / math.sqrt(self.alpha))
            dloss = float(loss.gradient(np.array([1.0]), np.array([-typw]))[0])
            initial_eta0 = typw / max(1.0, dloss)
            self.optimal_init = 1.0 / (initial_eta0 * self.alpha)
        self.current_eta0 = self.eta0
        # line_search: whether the last step passed without backtracking.
        self.passed_at_once = False

    def __call__(self, t):
        """Step size at update ``t`` (counted from 1)."""
        if self.kind == "optimal":
            return 1.0 / (self.alpha * (self.optimal_init + t - 1.0))
        if self.kind == "invscaling":
            return self.current_eta0 / t**self.power_t
        return self.current_eta0

    def kernel_args(self):
        """The schedule as the compiled kernels take it."""
        code = {"optimal": OPTIMAL, "invscaling": INVSCALING}.get(self.kind, CONSTANT)
        return code, self.current_eta0, self.power_t, self.alpha, self.optimal_init

    def on_no_improvement(self):
        """React to ``n_iter_no_change`` epochs without progress.

        Returns True when the fit should go on: ``adaptive`` divides its step
        by 5 while it is above 1e-6; the other schedules stop.
        """
        if self.kind == "adaptive" and self.current_eta0 > 1e-6:
            self.current_eta0 /= 5.0
            return True
        return False
