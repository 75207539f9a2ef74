"""Learning-rate schedules: the step size ``eta`` as a function of the update counter ``t``.

``t`` counts updates from 1: samples for sgd, batches for minibatch and
momentum, iterations for batch gradient descent. The formulas are
scikit-learn's:

- ``constant``: ``eta = eta0``;
- ``optimal``: ``eta = 1 / (alpha (t0 + t - 1))`` with Bottou's heuristic
  for ``t0``;
- ``invscaling``: ``eta = eta0 / t ** power_t``;
- ``adaptive``: ``eta = eta0`` until ``n_iter_no_change`` epochs in a row fail
  to improve by ``tol``, then ``eta / 5``; the fit stops once ``eta ≤ 1e-6``
  (scikit-learn's floor; a step chosen from the data stops at ``1e-4 eta0``
  instead, the same ratio to it as 1e-6 is to scikit-learn's default 0.01);
- ``line_search``: ``eta0`` is the backtracking line search's first trial.

A schedule holds no state: ``adaptive``'s current ``eta0`` is the solver
state's (``EpochState.eta0``), passed in at each call. The backtracking line
search is a step rule (:class:`skgd._solvers._step_rules.BacktrackingStep`).
"""

import copy
import math

import numpy as np
from numba import njit

# Codes shared with the compiled kernels; adaptive runs as constant within an epoch.
CONSTANT = 0
OPTIMAL = 1
INVSCALING = 2

# ``adaptive`` stops reducing its step below this, and the fit stops.
MIN_ADAPTIVE_ETA = 1e-6
ADAPTIVE_DIVISOR = 5.0


@njit(cache=True, nogil=True, error_model="numpy")
def learning_rate(schedule, eta0, power_t, alpha, optimal_init, t):
    """Step size at update ``t`` (counted from 1), as in scikit-learn.

    The one formula of each schedule, for the compiled epochs and for
    :class:`Schedule` alike; ``schedule`` is a code (``CONSTANT``...).
    """
    if schedule == OPTIMAL:
        return 1.0 / (alpha * (optimal_init + t - 1.0))
    if schedule == INVSCALING:
        return eta0 / t**power_t
    return eta0


class Schedule:
    """A learning-rate schedule ``eta(t, eta0)``.

    Parameters
    ----------
    kind : {"constant", "optimal", "invscaling", "adaptive"}
    eta0 : float
        Initial step size (unused by ``optimal``).
    power_t : float
        Exponent of ``invscaling``.
    alpha : float
        Penalty strength, which sets ``optimal``'s scale.
    loss : BaseLoss
        Used by ``optimal``'s ``t0`` heuristic.
    floor_ratio : float or None
        ``adaptive`` stops once its step is at or below ``floor_ratio · eta0``;
        None: at scikit-learn's 1e-6.

    Examples
    --------
    >>> from skgd._schedules import Schedule
    >>> schedule = Schedule("invscaling", eta0=0.1, power_t=0.5)
    >>> schedule(1, schedule.eta0), schedule(4, schedule.eta0)
    (0.1, 0.05)
    """

    def __init__(self, kind, eta0=0.01, power_t=0.5, alpha=1e-4, loss=None, floor_ratio=None):
        self.kind = kind
        self.eta0 = float(eta0)
        self.floor_ratio = floor_ratio
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

    def __call__(self, t, eta0):
        """Step size at update ``t`` (counted from 1) from the current ``eta0``."""
        return learning_rate(*self.kernel_args(float(eta0)), float(t))

    @property
    def first_step(self):
        """The step size of the first update."""
        return self(1.0, self.eta0)

    def scaled(self, factor):
        """The same schedule with every step ``factor`` times as large.

        ``optimal`` has no ``eta0``: its ``t0`` grows instead, which scales
        the first step by ``factor`` and leaves the later ones ever closer
        to the original's.
        """
        other = copy.copy(self)
        if self.kind == "optimal":
            other.optimal_init = self.optimal_init / factor
        else:
            other.eta0 = self.eta0 * factor
        return other

    @property
    def min_eta(self):
        """``adaptive``'s floor."""
        return MIN_ADAPTIVE_ETA if self.floor_ratio is None else self.floor_ratio * self.eta0

    @property
    def can_recover(self):
        """Whether a blown-up objective may still come down (the step shrinks)."""
        return self.kind != "constant"

    def kernel_args(self, eta0):
        """The schedule as the compiled kernels take it."""
        code = {"optimal": OPTIMAL, "invscaling": INVSCALING}.get(self.kind, CONSTANT)
        return code, eta0, self.power_t, self.alpha, self.optimal_init

    def reduced(self, eta0):
        """The next ``eta0`` after ``n_iter_no_change`` epochs without progress, or None.

        ``adaptive`` divides its step by 5 while it is above its floor; the other
        schedules stop the fit (None).
        """
        if self.kind == "adaptive" and eta0 > self.min_eta:
            return eta0 / ADAPTIVE_DIVISOR
        return None

    def divergence_advice(self):
        """What to change when a fit with this schedule diverges."""
        if self.kind == "optimal":
            return (
                f"learning_rate='optimal' starts at eta={self(1.0, self.eta0):.3g}, too large "
                "here (it suits the hinge and log losses); use learning_rate="
                "'constant', 'invscaling' or 'adaptive' with a smaller eta0"
            )
        return f"lower eta0 (now {self.eta0:g})"
