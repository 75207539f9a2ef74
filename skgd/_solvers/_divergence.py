"""When a first-order fit has diverged, and what the error then says."""

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._array_api import get_namespace

# A fit whose objective ends this many times above both the all-zero
# model's and its starting point's has diverged: no step that converges
# leaves the objective there.
DIVERGENCE_GROWTH = 1e4


# sgd warns when its model ends with a coefficient beyond this: scikit-learn
# returns such models, which predict nothing useful on scaled features.
USELESS_COEF = 1e6


class Diverged(ValueError):
    """A first-order fit diverged at ``epoch``; ``fit`` restarts it with smaller steps."""

    def __init__(self, message, epoch):
        super().__init__(message)
        self.epoch = epoch


def max_abs(a):
    """``max|a|`` as a float, for a float or an array of any library."""
    if np.ndim(a) == 0:
        return abs(float(a))
    if isinstance(a, np.ndarray):
        # np.max's wrapper costs more than the reduction on small arrays.
        return float(np.maximum.reduce(np.abs(a), axis=None))
    xp, _ = get_namespace(a)
    return float(xp.max(xp.abs(a)))


def is_finite(state, value):
    """Whether the objective value and the iterate are finite."""
    # max|w| is finite exactly when every coefficient is (NaN propagates).
    with np.errstate(over="ignore", invalid="ignore"):
        max_abs_coef = max_abs(state.coef)
    return bool(
        np.isfinite(value) and np.isfinite(max_abs(state.intercept)) and np.isfinite(max_abs_coef)
    )


def divergence_threshold(objective, state):
    """The objective value beyond which a fit counts as diverged."""
    if objective.loss.is_classification:
        # A classifier's decisions do not depend on the weights' scale, and a
        # large step on unscaled data can leave a useful model with a large
        # objective (scikit-learn's hinge fits end there too): only
        # non-finite values and clipped derivatives count there.
        return np.inf
    # Targets whose squares overflow (1e20 in float32) give an infinite
    # reference: the fit's own values then decide, without a warning here.
    with np.errstate(over="ignore", invalid="ignore"):
        reference = objective.baseline_value()
        if max_abs(state.coef) > 0 or max_abs(state.intercept) > 0:
            # A warm start: J at the start costs a pass over X.
            reference = max(reference, objective.value(state.coef, state.intercept))
    # From a start at J = 0 (the perceptron loss, or targets inside the
    # epsilon tube) growth has no scale: only non-finite values count there.
    return DIVERGENCE_GROWTH * reference if reference > 0 else np.inf


def predictions_overflow(objective, coef, intercept):
    """Whether a float32 model's predictions on its own data overflow float32.

    The compiled kernels sum each row's dot product in float64, so float32
    coefficients can grow until ``X @ coef`` no longer fits in float32 (the
    perceptron on features of 1e20): a model that would predict inf and NaN.
    One product over X, for float32 NumPy fits only.
    """
    if not (isinstance(coef, np.ndarray) and coef.dtype == np.float32):
        return False
    if objective.blockwise_epoch is not None:
        # Blocks on a cluster: the divergence checks on the values suffice.
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        raw = objective.raw_prediction(coef, intercept)
    return not bool(np.all(np.isfinite(raw)))


def check_epoch(state, value, schedule, diverged_above, epoch, keep_blown_up):
    """Raise if the epoch overflowed, or if a step that cannot shrink blew the objective up.

    A model kept blown up (sgd's) goes on as scikit-learn's does, as long
    as its coefficients and intercept are finite, whatever its objective.
    """
    if not is_finite(state, 0.0 if keep_blown_up else value):
        raise_overflow(epoch, schedule)
    if not keep_blown_up and not schedule.can_recover and value > diverged_above:
        raise_diverged(epoch, schedule)


def raise_overflow(epoch, schedule):
    """A value became infinite or NaN: scikit-learn's message, then what to change."""
    raise Diverged(
        f"Floating-point under-/overflow occurred at epoch #{epoch}. Scaling input "
        "data with StandardScaler or MinMaxScaler might help. The fit diverged: the "
        "coefficients, the predictions or the objective became infinite or NaN: scale "
        "the features first (for example with StandardScaler in a Pipeline), or, for "
        f"scaled features, take a smaller step: {schedule.divergence_advice()}.",
        epoch,
    )


def raise_diverged(epoch, schedule, what=None):
    """The fit blew up while finite (see :func:`blown_up`)."""
    what = what or f"the objective grew over {DIVERGENCE_GROWTH:g} times above its starting value"
    raise Diverged(_diverged(epoch, schedule, what), epoch)


BLOWN_UP = (
    f"it ended with loss derivatives beyond 1e12, an objective over {DIVERGENCE_GROWTH:g} "
    f"times above its starting value or a coefficient beyond {USELESS_COEF:g}"
)


def blown_up(objective, last_value, diverged_above, coef, intercept, keep_blown_up):
    """Whether a finite fit ended blown up.

    Loss derivatives beyond 1e12 in the last epoch, or an objective far
    above where the fit started: the regime that a large early step can
    pass through (and recover from as the schedule decays). A model kept
    as it is (sgd's, as scikit-learn returns it) also counts as blown up
    with a coefficient beyond ``USELESS_COEF``; the other solvers' optimum
    may lie there on badly scaled features.
    """
    if objective.n_clipped or not last_value <= diverged_above:
        return True
    return keep_blown_up and max(max_abs(coef), max_abs(intercept)) > USELESS_COEF


def check_final_model(
    objective, coef, intercept, last_value, diverged_above, epoch, schedule, keep_blown_up
):
    """Raise for a model that overflows or blew up; for one kept blown up (sgd's), return
    the warning to give (a :class:`SolverWarning`), else None."""
    if predictions_overflow(objective, coef, intercept):
        raise_overflow(epoch, schedule)
    if not blown_up(objective, last_value, diverged_above, coef, intercept, keep_blown_up):
        return None
    if not keep_blown_up:
        raise_diverged(epoch, schedule, BLOWN_UP)
    what = f"{BLOWN_UP}, and its coefficients are returned as they are"
    return SolverWarning("diverged", _diverged(epoch, schedule, what))


class SolverWarning(NamedTuple):
    """A ConvergenceWarning a solver asks the estimator to give, once per fit and ``kind``."""

    kind: str
    message: str

    def emit(self, n_problems=1, of=1, stacklevel=7):
        note = f" ({n_problems} of {of} one-vs-rest problems.)" if of > 1 else ""
        warnings.warn(self.message + note, ConvergenceWarning, stacklevel=stacklevel)


def recovered(failures, schedule):
    """``fit`` recovered from divergence with ``schedule``: what to say, and what to change."""
    epoch, first = failures[0]
    return SolverWarning(
        "recovered",
        f"The fit diverged at epoch {epoch} with a first step of {first.first_step:.3g}. It "
        f"restarted from its starting point {len(failures)} time(s), each time with steps "
        f"ten times smaller, and converged from a first step of {schedule.first_step:.3g}. "
        "Scale the features (for example with StandardScaler in a Pipeline) or set a "
        "smaller eta0 to avoid the restarts.",
    )


def _diverged(epoch, schedule, what):
    return (
        f"The fit diverged (epoch {epoch}): {what}. The step size is too large for "
        f"this data: {schedule.divergence_advice()}, or scale the features first (for "
        "example with StandardScaler in a Pipeline)."
    )
