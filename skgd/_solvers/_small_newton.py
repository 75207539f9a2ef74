"""Newton's method on small dense data: the whole loop in one compiled call.

On a few thousand rows an iteration's arithmetic takes tens of microseconds,
and the stages of :class:`~skgd._solvers._newton.NewtonSolver` (Python
calls, array wrappers, small temporaries) cost as much again. Where nothing
needs to see each iteration (no callback, no ``verbose``), the data are a
C-contiguous NumPy array of at most ``MAX_ROWS`` rows and the strategy is
the exact Hessian, :func:`small_newton_solve` runs the same loop compiled:

- the same stages and rules: a factor kept after a full step that cut
  max|g| by ``REUSE``, Armijo backtracking, the step on the gradient below
  J's rounding error, convergence on max|g| and the Newton decrement;
- the same passes: :mod:`skgd._objective._step_pass` for the direction and
  the line search's first trial, :mod:`skgd._objective._dense_hessian` for
  the Hessian, the compiled loss sums otherwise.

The Cholesky factor is computed here, column by column as LAPACK's
unblocked factorization does, and damped as NewtonSolver damps it where the
Hessian is not positive definite. Where the objective is not finite at the
start, or the Hessian not even damped can be factorized, the fit starts
again in NewtonSolver, which reports either with its advice.
"""

import math

import numpy as np
from numba import njit

from skgd._loss._kernels import weighted_loss_gradient, weighted_loss_sum
from skgd._objective import LinearObjective
from skgd._objective._dense_hessian import _packed_hessian
from skgd._objective._dense_hessian import supports as supports_dense_hessian
from skgd._objective._step_pass import _step_pass_rows
from skgd._objective._step_pass import supports as supports_step_pass
from skgd._solvers._curvature import MAX_DAMPING_TRIES, CholeskyCurvature, choose_curvature
from skgd._solvers._newton import (
    ARMIJO,
    MAX_HALVINGS,
    PRECISION,
    REUSE,
    converged_message,
    line_search_message,
    max_iter_message,
    precision_message,
)
from skgd._solvers._result import SolverResult

# How the compiled loop ended.
CONVERGED, MAX_ITER, NO_STEP_BELOW_PRECISION, NO_STEP_IN_LINE_SEARCH, RESTART = range(5)


def serves(objective, monitor, verbose):
    """Whether :func:`small_newton_solve` can run this fit."""
    X = objective.X
    return (
        monitor is None
        and not verbose
        and isinstance(objective, LinearObjective)
        and not objective.fused_passes
        and objective.penalty.is_smooth
        and objective.loss.code >= 0
        and objective.loss.has_hessian
        and supports_step_pass(X, objective.y)
        and supports_dense_hessian(X, objective.y, objective.y, objective.sample_weight)
        and type(choose_curvature(objective)) is CholeskyCurvature
    )


def small_newton_solve(objective, coef, intercept, *, max_iter=100, tol=1e-4, max_step=1.0):
    """What :func:`~skgd._solvers._newton.newton_solve` returns, from one compiled loop.

    Call only where :func:`serves`. Returns None where the fit must start
    again in NewtonSolver to fail with its advice (an objective not finite at
    the start, a Hessian with entries that are not finite).

    Returns
    -------
    SolverResult or None
    """
    X = objective.X
    w = np.asarray(objective.pack(coef, intercept), dtype=X.dtype).copy()
    problem = (
        X,
        objective.y,
        objective.sample_weight,
        objective.loss.code,
        objective.loss.param,
        float(objective.penalty.l2),
        bool(objective.fit_intercept),
    )
    status, n_iter, converged, max_grad, n_clipped, curve = _newton_loop(
        problem,
        w,
        int(max_iter),
        0.0 if tol is None else float(tol),
        float(max_step),
        float(np.finfo(X.dtype).eps),
    )
    if status == RESTART:
        return None
    objective.n_clipped += n_clipped
    message = {
        CONVERGED: converged_message(n_iter),
        MAX_ITER: max_iter_message(max_iter),
        NO_STEP_BELOW_PRECISION: precision_message(n_iter, X.dtype, max_grad),
        NO_STEP_IN_LINE_SEARCH: line_search_message(converged),
    }[status]
    coef, intercept = objective.unpack(w)
    loss_curve = curve[:n_iter].tolist()
    return SolverResult(
        coef, intercept, n_iter, float(n_iter + 1), converged, loss_curve, message, False
    )


# Element loops throughout, not slice assignments: numba takes seconds more
# to compile those.
_jit = njit(cache=True, nogil=True)


@_jit
def _newton_loop(problem, w, max_iter, stop_tol, max_step, eps):
    """The loop of ``NewtonSolver.solve`` with ``CholeskyCurvature``; ``w`` in place.

    Returns the status, the iterations, whether they converged, the last
    max|g| before a step, the derivatives clipped and the objective values.
    ``problem`` is ``(X, y, weight, loss code, loss param, l2, fit_intercept)``.
    """
    X, y, weight, code, param, l2, fit_intercept = problem
    n_samples, n_features = X.shape
    n_params = w.shape[0]
    curve = np.empty(min(max_iter, 64))
    raw = np.empty(n_samples, dtype=X.dtype)
    raw_step = np.empty_like(raw)
    raw_trial = np.empty_like(raw)
    dloss = np.empty_like(raw)
    grad = np.empty_like(w)
    grad_trial = np.empty_like(w)
    step = np.empty_like(w)
    w_trial = np.empty_like(w)
    factor = np.zeros((n_params, n_params), dtype=X.dtype)

    intercept = w[n_features] if fit_intercept else 0.0
    coef = np.empty(n_features, dtype=X.dtype)
    for j in range(n_features):
        coef[j] = w[j]
    product = X @ coef
    for i in range(n_samples):
        raw[i] = product[i] + intercept
    value, n_clipped = _value_gradient(problem, w, raw, grad, dloss)
    if not math.isfinite(value):
        return RESTART, 0, False, 0.0, 0, curve
    full_step = False
    max_grad = np.inf
    n_iter = 0
    for _ in range(max_iter):
        # update_curvature: a fresh factor unless the last full step cut max|g| enough.
        if not (full_step and _max_abs(grad) <= REUSE * max_grad):
            hessian = _packed_hessian(X, y, raw, weight, code, param, l2, fit_intercept)
            if hessian.shape[0] == 0 or not _factorize(hessian, factor):
                return RESTART, 0, False, 0.0, 0, curve
        # inner_solve
        _cholesky_solve(factor, grad, step)
        slope = 0.0
        for j in range(n_params):
            step[j] = -step[j]
            slope += grad[j] * step[j]
        max_grad = _max_abs(grad)
        # line_search: the direction's raw predictions and the first trial in one pass.
        value_trial, clipped = _first_trial(
            problem, w, raw, step, max_step, raw_step, w_trial, grad_trial
        )
        n_clipped += clipped
        first_trial_taken = True
        if -slope <= PRECISION * eps * abs(value):
            # The predicted decrease is within J's rounding error: take the
            # first trial if it reduces max|g|.
            if not _max_abs(grad_trial) < max_grad:
                curve, n_iter = _record(curve, n_iter, value)
                converged = stop_tol == 0.0 or max_grad <= stop_tol
                return NO_STEP_BELOW_PRECISION, n_iter, converged, max_grad, n_clipped, curve
            s = max_step
            for i in range(n_samples):
                raw_trial[i] = raw[i] + s * raw_step[i]
        else:
            s, halvings = _backtrack(
                problem,
                w,
                raw,
                step,
                raw_step,
                (value, slope, max_step, value_trial),
                w_trial,
                raw_trial,
            )
            if halvings < 0:
                curve, n_iter = _record(curve, n_iter, value)
                converged = stop_tol == 0.0 or max_grad <= stop_tol
                return NO_STEP_IN_LINE_SEARCH, n_iter, converged, max_grad, n_clipped, curve
            first_trial_taken = halvings == 0
        for j in range(n_params):
            w[j] = w[j] + s * step[j]
        for i in range(n_samples):
            raw[i] = raw_trial[i]
        full_step = s == 1.0
        if first_trial_taken:
            value = value_trial
            for j in range(n_params):
                grad[j] = grad_trial[j]
        else:
            value, clipped = _value_gradient(problem, w, raw, grad, dloss)
            n_clipped += clipped
        # check_convergence, with the Newton decrement from the factor just used.
        curve, n_iter = _record(curve, n_iter, value)
        _cholesky_solve(factor, grad, step)
        decrement = 0.0
        for j in range(n_params):
            decrement += grad[j] * step[j]
        if _max_abs(grad) <= stop_tol and 0.5 * decrement <= stop_tol:
            return CONVERGED, n_iter, True, max_grad, n_clipped, curve
    return MAX_ITER, n_iter, False, max_grad, n_clipped, curve


@_jit
def _first_trial(problem, w, raw, step, scale, raw_step, w_trial, grad):
    """The step's raw predictions into ``raw_step``; ``J`` at ``w + scale·step``
    (into ``w_trial``) and its gradient into ``grad``; and the derivatives clipped."""
    X, y, weight, code, param, l2, fit_intercept = problem
    n_samples, n_features = X.shape
    sums = np.zeros((1, 2))
    grads = np.zeros((1, n_features))
    coef_step = np.empty(n_features, dtype=step.dtype)
    for j in range(n_features):
        coef_step[j] = step[j]
    scales = np.empty(1)
    scales[0] = scale
    n_clipped = _step_pass_rows(
        X,
        raw,
        coef_step,
        step[n_features] if fit_intercept else 0.0,
        scales,
        y,
        weight,
        code,
        param,
        raw_step,
        grads,
        sums,
    )
    for j in range(w.shape[0]):
        w_trial[j] = w[j] + scale * step[j]
    for j in range(n_features):
        grad[j] = grads[0, j] / n_samples + l2 * w_trial[j]
    if fit_intercept:
        grad[n_features] = sums[0, 1] / n_samples
    return sums[0, 0] / n_samples + _penalty(l2, w_trial, n_features), n_clipped


@_jit
def _backtrack(problem, w, raw, step, raw_step, line, w_trial, raw_trial):
    """Armijo backtracking along ``step`` from ``w``.

    ``line`` is ``(value, slope, max_step, first_value)``: ``J`` at ``w``,
    ``gᵀ step``, the first trial's fraction of the step and ``J`` there.

    Returns the accepted fraction ``s`` of the step and how many halvings
    it took, -1 if none was accepted; ``raw_trial`` holds the accepted
    trial's raw predictions.
    """
    value, slope, max_step, first_value = line
    if not slope < 0.0:
        return 0.0, -1
    X, y, weight, code, param, l2, _ = problem
    n_samples, n_features = X.shape
    s = max_step
    value_trial = first_value
    for halvings in range(MAX_HALVINGS):
        for i in range(n_samples):
            raw_trial[i] = raw[i] + s * raw_step[i]
        if halvings > 0:
            for j in range(w.shape[0]):
                w_trial[j] = w[j] + s * step[j]
            value_trial = weighted_loss_sum(code, param, y, raw_trial, weight) / n_samples
            value_trial += _penalty(l2, w_trial, n_features)
        if math.isfinite(value_trial) and value_trial <= value + ARMIJO * s * slope:
            return s, halvings
        s *= 0.5
    return 0.0, -1


@_jit
def _value_gradient(problem, w, raw, grad, dloss):
    """``J`` at ``w`` (raw predictions ``raw``), its gradient into ``grad``; and
    the derivatives clipped."""
    X, y, weight, code, param, l2, fit_intercept = problem
    n_samples, n_features = X.shape
    total, n_clipped = weighted_loss_gradient(code, param, y, raw, weight, dloss)
    data_gradient = X.T @ dloss
    for j in range(n_features):
        grad[j] = data_gradient[j] / n_samples + l2 * w[j]
    if fit_intercept:
        grad[n_features] = np.sum(dloss) / n_samples
    return total / n_samples + _penalty(l2, w, n_features), n_clipped


@_jit
def _penalty(l2, w, n_features):
    if l2 == 0.0:
        return 0.0
    total = 0.0
    for j in range(n_features):
        total += w[j] * w[j]
    return 0.5 * l2 * total


@_jit
def _max_abs(a):
    """``max|aᵢ|``, NaN if an entry is (as NumPy's)."""
    largest = 0.0
    for value in a:
        if math.isnan(value):
            return math.nan
        largest = max(largest, abs(value))
    return largest


@_jit
def _record(curve, n_iter, value):
    """``curve`` with ``value`` appended at ``n_iter`` (grown if full), and ``n_iter + 1``."""
    if n_iter == curve.shape[0]:
        grown = np.empty(2 * n_iter)
        for k in range(n_iter):
            grown[k] = curve[k]
        curve = grown
    curve[n_iter] = value
    return curve, n_iter + 1


@_jit
def _factorize(hessian, factor):
    """The Cholesky factor of ``hessian`` into ``factor``, damped as
    :func:`~skgd._solvers._curvature.factorize` damps it where it fails; False
    where even damping fails."""
    scale = 1.0
    for j in range(hessian.shape[0]):
        for k in range(hessian.shape[1]):
            if math.isnan(hessian[j, k]):
                return False
            scale = max(scale, abs(hessian[j, k]))
    if not math.isfinite(scale):
        return False
    matrix = hessian.copy()
    damping = 0.0
    for _ in range(MAX_DAMPING_TRIES):
        if _cholesky(matrix, factor):
            return True
        damping = scale * 1e-10 if damping == 0.0 else damping * 10.0
        for j in range(hessian.shape[0]):
            matrix[j, j] = hessian[j, j] + damping
    return False


@_jit
def _cholesky(matrix, factor):
    """The lower Cholesky factor of ``matrix`` into ``factor``; False if it has none.

    A matrix with an entry that is not finite has none either.
    """
    n = matrix.shape[0]
    for j in range(n):
        pivot = matrix[j, j]
        for k in range(j):
            pivot -= factor[j, k] * factor[j, k]
        if not (pivot > 0.0 and math.isfinite(pivot)):
            return False
        root = math.sqrt(pivot)
        factor[j, j] = root
        for i in range(j + 1, n):
            entry = matrix[i, j]
            for k in range(j):
                entry -= factor[i, k] * factor[j, k]
            factor[i, j] = entry / root
            if not math.isfinite(factor[i, j]):
                return False
    return True


@_jit
def _cholesky_solve(factor, rhs, out):
    """``out = (L Lᵀ)⁻¹ rhs``: forward, then back substitution."""
    n = rhs.shape[0]
    for i in range(n):
        total = rhs[i]
        for k in range(i):
            total -= factor[i, k] * out[k]
        out[i] = total / factor[i, i]
    for i in range(n - 1, -1, -1):
        total = out[i]
        for k in range(i + 1, n):
            total -= factor[k, i] * out[k]
        out[i] = total / factor[i, i]
