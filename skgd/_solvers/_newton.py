"""Newton's method with Armijo backtracking, for losses with a second derivative.

The loop, as in scikit-learn's ``NewtonSolver``::

    setup → (hessian → inner_solve → line_search → gradient → check_convergence)*

- inner solve: ``H e = −g`` by Cholesky; a multiple of the identity is added
  only when the factorization fails (a singular or indefinite Hessian), so a
  quadratic objective is solved exactly in one iteration. Beyond
  ``CG_MIN_FEATURES`` features (dense or sparse X) the system is solved
  instead by conjugate gradients on Hessian-vector products (truncated
  Newton): memory stays O(nnz + d), with no d × d matrix;
- line search: backtracking from the full step until
  ``J(w + s e) ≤ J(w) + 1e-4 · s · gᵀe``;
- convergence: ``max|g| ≤ tol`` and half the squared Newton decrement
  ``½ gᵀ H⁻¹ g ≤ tol``, both at the new iterate (truncated Newton checks
  the gradient only, as scikit-learn's newton-cg does).

The L1 part of a penalty has no second derivative; the estimators refuse it.
"""

import numpy as np
import scipy.linalg
from sklearn.utils._array_api import device as array_device
from sklearn.utils._array_api import get_namespace

from skgd._solvers._hessian_sample import MAX_STEP_ERROR, HessianSample, sampled_step_error
from skgd._solvers._result import SolverResult

ARMIJO = 1e-4
# Predicted decreases below this many rounding errors of J cannot be verified.
PRECISION = 4.0
MAX_HALVINGS = 40
MAX_DAMPING_TRIES = 30
# A full step that cut max|gradient| at least this much keeps its Hessian.
REUSE = 0.25
# Truncated Newton (conjugate gradients) beyond this many features: there a
# dense Hessian would cost O(n d²) time and O(d²) memory; below, Cholesky
# is exact and cheap.
CG_MIN_FEATURES = 1000
MAX_CG_ITER = 250
# Dense float64 Hessians are summed in float32, twice as fast, once the Gram
# product X^T D X costs this many multiply-adds (n d²): there it dominates an
# iteration. The search direction then carries a relative error of about
# cond(H) times float32's rounding, so this holds only while a lower bound of
# cond(H) from the Cholesky factor stays below LOW_PRECISION_MAX_CONDITION;
# the gradient, the line search and the stopping rule stay in float64.
LOW_PRECISION_MIN_WORK = 5e7
LOW_PRECISION_MAX_CONDITION = 1e4


def newton_solve(
    objective,
    coef,
    intercept,
    *,
    max_iter=100,
    tol=1e-4,
    verbose=0,
    max_step=1.0,
    monitor=None,
):
    """Minimize ``objective`` by damped Newton steps.

    Parameters
    ----------
    objective : LinearObjective
        Its loss must have a Hessian and its penalty must be smooth.
    coef : array of shape (n_features,)
    intercept : float
    max_iter : int
    tol : float or None
        ``None`` iterates until no step decreases the objective any more.
    verbose : int
    max_step : float
        The line search starts from this fraction of the Newton step (1: the
        full step). ``partial_fit`` uses ``1/k`` for its k-th step.
    monitor : IterationMonitor or None
        ``begin()`` before each iteration, ``end(coef, intercept)`` after it;
        the fit stops when ``end`` returns True (a callback asked for it).

    Returns
    -------
    SolverResult
    """
    # Overflow shows up as non-finite values, which the loop handles (or
    # reports with advice), not as floating-point warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _newton_loop(objective, coef, intercept, max_iter, tol, verbose, max_step, monitor)


def _newton_loop(objective, coef, intercept, max_iter, tol, verbose, max_step, monitor):
    xp = objective.xp
    w = objective.pack(coef, intercept)
    tol = 0.0 if tol is None else tol
    loss_curve = []
    converged = stopped = False
    message = f"Reached max_iter={max_iter} iterations."
    truncated = hasattr(objective, "hessian_product") and objective.n_features > CG_MIN_FEATURES
    low_precision = not truncated and _low_precision_pays(objective)
    sample = None
    if not truncated and HessianSample.pays(objective):
        sample = HessianSample(objective.n_samples, w.shape[0])

    def curvature(w, raw):
        """The Hessian at ``w`` and the spread of its sampling error (None if exact)."""
        if truncated:
            return objective.hessian_product(*objective.unpack(w), raw=raw), None
        if sample is not None:
            return sample.hessian(objective, w, raw, low_precision)
        coef, intercept = objective.unpack(w)
        return objective.hessian(coef, intercept, raw=raw, low_precision=low_precision), None

    def factorize(hessian, spread, w, raw, grad):
        """A solver for the Newton system at ``w``, from ``hessian`` if it can be trusted.

        A float32 sum too ill-conditioned for its precision, or a sample too
        small for the step it gives, is replaced by a better Hessian at ``w``,
        for the rest of the fit.
        """
        nonlocal low_precision, sample
        while True:
            solve, condition = _factorize(xp, hessian)
            if low_precision and not condition <= LOW_PRECISION_MAX_CONDITION:
                low_precision = False
            elif spread is not None and (
                sampled_step_error(solve, spread, -solve(grad), grad) > MAX_STEP_ERROR
            ):
                sample = None
            else:
                return solve
            hessian, spread = curvature(w, raw)

    # The raw predictions are linear in w: kept along the iterates, each
    # iteration passes over X once for X·e and once for the gradient, and the
    # line search's trials cost O(n) each.
    raw = objective.raw_prediction(*objective.unpack(w))
    # Data on a cluster: a pass is a round trip, so the value, gradient and
    # Hessian come back together, here and at the line search's first trial.
    fused = not truncated and getattr(objective, "fused_passes", False)
    if fused:
        value, grad, hessian = objective.value_gradient_hessian(
            *objective.unpack(w), raw=raw, low_precision=low_precision
        )
        spread = None
    else:
        value, grad = objective.value_gradient(*objective.unpack(w), raw=raw)
    if not np.isfinite(value):
        # Targets whose squares overflow (1e20 in float32): no step can be
        # measured, and the line search would return a meaningless model.
        raise ValueError(
            f"Newton's method cannot start: the objective is {value} at the starting "
            f"point in {w.dtype} precision, since the targets or the features are too "
            "large. Scale the targets, or scale the features first (for example with "
            "StandardScaler in a Pipeline), or fit on float64 data."
        )
    if not fused:
        hessian, spread = curvature(w, raw)

    def evaluate(w_at, raw_at):
        return objective.value_gradient_hessian(
            *objective.unpack(w_at), raw=raw_at, low_precision=low_precision
        )

    solve = fresh_hessian = None
    for iteration in range(1, max_iter + 1):
        if monitor is not None:
            monitor.begin()
        if hessian is not None and truncated:
            solve = _cg_solver(xp, hessian, grad)
        elif hessian is not None:
            solve = factorize(hessian, spread, w, raw, grad)
        step = -solve(grad)
        if fused:
            raw_step = objective.raw_prediction(*objective.unpack(step))
            first_trial = evaluate
        else:
            # The first trial is accepted in most iterations: its value and
            # gradient come with the step's raw predictions (one pass over X
            # where the objective can fuse them).
            raw_step, *at_first_trial = objective.step_value_gradient(w, raw, step, max_step)

            def first_trial(w_at, raw_at, at_first_trial=at_first_trial):
                return (*at_first_trial, None)

        slope = float(xp.sum(grad * step))
        max_grad = _max_abs(xp, grad)
        if _below_precision(slope, value, w):
            # The predicted decrease is within the objective's rounding error,
            # so the line search cannot judge the step: the gradient does.
            w_trial, raw_trial = w + max_step * step, raw + max_step * raw_step
            value_after, grad_trial = first_trial(w_trial, raw_trial)[:2]
            if not _max_abs(xp, grad_trial) < max_grad:
                loss_curve.append(value)
                _end_iteration(monitor, objective, w)
                converged = tol == 0.0 or max_grad <= tol
                message = (
                    f"Stopped after {iteration} iterations: no step reduces the "
                    f"gradient further in {w.dtype} precision; max|gradient| = "
                    f"{max_grad:.3g}."
                )
                break
            w, raw, grad, full_step = w_trial, raw_trial, grad_trial, max_step == 1.0
            step_size = max_step
        else:
            s, accepted, evaluation, raw_accepted = _line_search(
                objective,
                w,
                raw,
                value,
                step,
                raw_step,
                slope,
                max_step,
                first_trial=first_trial,
            )
            if not accepted:
                loss_curve.append(value)
                _end_iteration(monitor, objective, w)
                converged = tol == 0.0 or max_grad <= tol
                message = (
                    "The line search could not decrease the objective: the iterate "
                    "is optimal to machine precision."
                    if converged
                    else "The line search failed before the gradient met tol."
                )
                break
            # The trial's own raw predictions: on a cluster, those its
            # evaluation kept on the workers.
            w, raw, full_step = w + s * step, raw_accepted, s == 1.0
            step_size = s
            if fused and evaluation is None:
                evaluation = evaluate(w, raw)
            if evaluation is not None:
                value_after, grad, fresh_hessian = evaluation
            else:
                # The gradient alone: the Hessian is needed only if another step follows.
                value_after, grad = objective.value_gradient(*objective.unpack(w), raw=raw)
        loss_curve.append(value_after)
        # The Newton decrement at the new point, from the factor just used
        # (truncated Newton has no factor: the gradient decides alone).
        decrement = 0.0 if truncated else 0.5 * float(xp.sum(grad * solve(grad)))
        if verbose:
            print(
                f"Newton iteration {iteration}: objective {value_after:.6g}, "
                f"max|grad| {_max_abs(xp, grad):.3g}, decrement {decrement:.3g}, "
                f"step {step_size:.3g}"
            )
        if _end_iteration(monitor, objective, w):
            stopped, message = True, f"Stopped by a callback after {iteration} iterations."
            break
        if _max_abs(xp, grad) <= tol and decrement <= tol:
            converged = True
            message = f"Converged after {iteration} iterations."
            break
        value = value_after
        if not truncated and full_step and _max_abs(xp, grad) <= REUSE * max_grad:
            # Fast progress on a full step: the Hessian changes little from
            # here on, and the last factor still gives a descent direction.
            # Reusing it saves an O(n d²) product for an O(n d) gradient.
            # (A fused pass computed one anyway; the same rule on every kind
            # of data keeps the iterates identical.)
            hessian = None
        elif fresh_hessian is not None:
            hessian, spread = fresh_hessian, None
        else:
            hessian, spread = curvature(w, raw)
        fresh_hessian = None
    coef_out, intercept_out = objective.unpack(w)
    n_iter = len(loss_curve)
    return SolverResult(
        coef_out, intercept_out, n_iter, float(n_iter + 1), converged, loss_curve, message, stopped
    )


def _end_iteration(monitor, objective, w):
    """Tell the monitor an iteration ended at ``w``; True if a callback asks to stop."""
    return monitor is not None and monitor.end(*objective.unpack(w))


def _low_precision_pays(objective):
    """Whether to sum the Hessian in float32 (see ``LOW_PRECISION_MIN_WORK``)."""
    X = objective.X
    return (
        isinstance(X, np.ndarray)
        and X.dtype == np.float64
        and not objective.loss.constant_hessian
        and objective.n_samples * objective.n_features**2 >= LOW_PRECISION_MIN_WORK
    )


def _below_precision(slope, value, w):
    """Whether the predicted decrease ``−slope`` is within J's rounding error."""
    xp, _ = get_namespace(w)
    return -slope <= PRECISION * float(xp.finfo(w.dtype).eps) * abs(value)


def _max_abs(xp, a):
    return float(xp.max(xp.abs(a)))


def _line_search(objective, w, raw, value, step, raw_step, slope, max_step=1.0, first_trial=None):
    """Armijo backtracking from ``max_step`` times the Newton step.

    ``raw`` and ``raw_step`` are the raw predictions of ``w`` and of the
    step, so each trial costs O(n), not a pass over X. ``first_trial``, if
    given, evaluates ``(value, gradient, hessian)`` at the first trial point
    in one pass.

    Returns the accepted fraction of the step, whether one was accepted,
    the first trial's evaluation if that trial was the one accepted, and the
    accepted trial's raw predictions.
    """
    if not slope < 0.0:
        return 0.0, False, None, raw
    s = max_step
    for halvings in range(MAX_HALVINGS):
        w_trial, raw_trial = w + s * step, raw + s * raw_step
        evaluation = None
        if halvings == 0 and first_trial is not None:
            evaluation = first_trial(w_trial, raw_trial)
            value_trial = evaluation[0]
        else:
            value_trial = objective.value(*objective.unpack(w_trial), raw=raw_trial)
        if np.isfinite(value_trial) and value_trial <= value + ARMIJO * s * slope:
            return s, True, evaluation, raw_trial
        s *= 0.5
    return 0.0, False, None, raw


def _cg_solver(xp, hessian_product, grad):
    """A solver for ``H x = b`` by conjugate gradients, truncated.

    It stops at a relative residual of ``min(0.5, √‖g‖)`` (Eisenstat and
    Walker's forcing term: loose far from the optimum, tight near it, which
    keeps Newton's fast local convergence), or at negative curvature.
    """
    grad_norm = float(xp.sqrt(xp.sum(grad * grad)))
    forcing = min(0.5, grad_norm**0.5)

    def solve(rhs):
        x = xp.zeros_like(rhs)
        residual = rhs
        direction = residual
        rho = float(xp.sum(residual * residual))
        target = (forcing * rho**0.5) ** 2
        for _ in range(MAX_CG_ITER):
            if rho <= target:
                break
            product = hessian_product(direction)
            curvature = float(xp.sum(direction * product))
            if curvature <= 0.0:
                # Negative curvature: the steepest-descent direction, if nothing yet.
                return x if float(xp.sum(x * x)) > 0 else rhs
            alpha = rho / curvature
            x = x + alpha * direction
            residual = residual - alpha * product
            rho_new = float(xp.sum(residual * residual))
            direction = residual + (rho_new / rho) * direction
            rho = rho_new
        return x

    return solve


def _factorize(xp, hessian):
    """A solver for ``H x = b``: Cholesky, damped only if H is not positive definite.

    Returns the solver and ``(max Lᵢᵢ / min Lᵢᵢ)²`` of the Cholesky factor
    ``L``, a lower bound of the condition number of H.
    """
    n = hessian.shape[0]
    scale = max(float(xp.max(xp.abs(hessian))), 1.0)
    damping = 0.0
    # No damping repairs a Hessian with infinite or NaN entries.
    for _ in range(MAX_DAMPING_TRIES if np.isfinite(scale) else 0):
        matrix = hessian
        if damping:
            matrix = hessian + damping * xp.eye(
                n, dtype=hessian.dtype, device=array_device(hessian)
            )
        try:
            return _cholesky_solver(xp, matrix)
        except (np.linalg.LinAlgError, ValueError, RuntimeError):
            damping = scale * 1e-10 if damping == 0.0 else damping * 10.0
    raise ValueError(
        "Newton's method could not factorize the Hessian, even damped: its entries "
        "are infinite, NaN or too far apart in magnitude. The features' squares "
        "overflow or underflow; scale the features first (for example with "
        "StandardScaler in a Pipeline), or use a first-order solver."
    )


def _cholesky_solver(xp, matrix):
    if isinstance(matrix, np.ndarray):
        factor = scipy.linalg.cho_factor(matrix, lower=True, check_finite=False)
        if not np.all(np.isfinite(factor[0])):
            raise np.linalg.LinAlgError("The Cholesky factor is not finite.")
        pivots = np.abs(np.diag(factor[0]))

        def solve(rhs):
            return scipy.linalg.cho_solve(factor, rhs, check_finite=False)

        return solve, float((pivots.max() / pivots.min()) ** 2)
    # Other array libraries: the factorization tests definiteness, then the
    # standard's linalg.solve does the work.
    pivots = xp.abs(xp.linalg.diagonal(xp.linalg.cholesky(matrix)))
    condition = float((xp.max(pivots) / xp.min(pivots)) ** 2)
    return lambda rhs: xp.linalg.solve(matrix, rhs), condition
