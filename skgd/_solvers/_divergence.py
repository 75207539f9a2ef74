"""When a first-order fit has diverged, and what the error then says."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._array_api import get_namespace

# A fit whose objective ends this many times above both the all-zero
# model's and its starting point's has diverged: no step that converges
# leaves the objective there.
DIVERGENCE_GROWTH = 1e4


def max_abs(a):
    """``max|a|`` as a float, for a float or an array of any library."""
    if np.ndim(a) == 0:
        return abs(float(a))
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
        with np.errstate(over="ignore", invalid="ignore"):
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


def check_epoch(state, value, schedule, diverged_above, epoch):
    """Raise if the epoch overflowed, or if a step that cannot shrink blew the objective up."""
    if not is_finite(state, value):
        raise_overflow(epoch, schedule)
    if not schedule.can_recover and value > diverged_above:
        raise_diverged(epoch, schedule)


def raise_overflow(epoch, schedule):
    """A value became infinite or NaN: scikit-learn's message, then what to change."""
    raise ValueError(
        f"Floating-point under-/overflow occurred at epoch #{epoch}. Scaling input "
        "data with StandardScaler or MinMaxScaler might help. The fit diverged: the "
        "coefficients, the predictions or the objective became infinite or NaN: scale "
        "the features first (for example with StandardScaler in a Pipeline), or, for "
        f"scaled features, take a smaller step: {schedule.divergence_advice()}."
    )


def raise_diverged(epoch, schedule):
    raise ValueError(
        _diverged(
            epoch,
            schedule,
            f"the objective grew over {DIVERGENCE_GROWTH:g} times above its starting value",
        )
    )


def warn_diverged(epoch, schedule):
    """The fit ended finite but blown up: a ConvergenceWarning that says what to change."""
    what = (
        "it ended with loss derivatives beyond 1e12 or an objective over "
        f"{DIVERGENCE_GROWTH:g} times above its starting value, and its coefficients "
        "are returned as they are"
    )
    warnings.warn(_diverged(epoch, schedule, what), ConvergenceWarning, stacklevel=5)


def _diverged(epoch, schedule, what):
    return (
        f"The fit diverged (epoch {epoch}): {what}. The step size is too large for "
        f"this data: {schedule.divergence_advice()}, or scale the features first (for "
        "example with StandardScaler in a Pipeline)."
    )
