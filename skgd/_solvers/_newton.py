"""Newton's method with Armijo backtracking, for losses with a second derivative.

The loop, as in scikit-learn's ``NewtonSolver``::

    setup → (gradient_hessian → inner_solve → line_search → check_convergence)*

- inner solve: ``H e = −g`` by Cholesky; a multiple of the identity is added
  only when the factorization fails (a singular or indefinite Hessian), so a
  quadratic objective is solved exactly in one iteration;
- line search: backtracking from the full step until
  ``J(w + s e) ≤ J(w) + 1e-4 · s · gᵀe``;
- convergence: ``max|g| ≤ tol`` and half the squared Newton decrement
  ``½ gᵀ H⁻¹ g ≤ tol``, both at the new iterate.

The L1 part of a penalty has no second derivative; the estimators refuse it.
"""

import numpy as np
import scipy.linalg
from sklearn.utils._array_api import get_namespace

from skgd._solvers._result import SolverResult

ARMIJO = 1e-4
MAX_HALVINGS = 40
MAX_DAMPING_TRIES = 30


def newton_solve(objective, coef, intercept, *, max_iter=100, tol=1e-4, verbose=0):
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

    Returns
    -------
    SolverResult
    """
    xp, _ = get_namespace(objective.y)
    d = objective.n_features
    w = coef
    if objective.fit_intercept:
        w = xp.concat([coef, xp.asarray([intercept], dtype=coef.dtype)])
    tol = 0.0 if tol is None else tol
    loss_curve = []
    converged = False
    message = f"Reached max_iter={max_iter} iterations."
    value, grad, hessian = _gradient_hessian(objective, w, d)
    for iteration in range(1, max_iter + 1):
        solve = _factorize(xp, hessian)
        step = -solve(grad)
        slope = float(xp.sum(grad * step))
        w_new, value_new, accepted = _line_search(objective, w, d, value, step, slope)
        if not accepted:
            loss_curve.append(value)
            converged = tol == 0.0 or _max_abs(xp, grad) <= tol
            message = (
                "The line search could not decrease the objective: the iterate "
                "is optimal to machine precision."
                if converged
                else "The line search failed before the gradient met tol."
            )
            break
        w, value = w_new, value_new
        value_after, grad, hessian_new = _gradient_hessian(objective, w, d)
        loss_curve.append(value_after)
        # The Newton decrement at the new point, from the factor just used.
        decrement = 0.5 * float(xp.sum(grad * solve(grad)))
        if verbose:
            print(
                f"Newton iteration {iteration}: objective {value_after:.6g}, "
                f"max|grad| {_max_abs(xp, grad):.3g}, decrement {decrement:.3g}"
            )
        hessian = hessian_new
        if _max_abs(xp, grad) <= tol and decrement <= tol:
            converged = True
            message = f"Converged after {iteration} iterations."
            break
    coef_out = w[:d]
    intercept_out = float(w[d]) if objective.fit_intercept else 0.0
    n_iter = len(loss_curve)
    return SolverResult(
        coef_out, intercept_out, n_iter, float(n_iter + 1), converged, loss_curve, message
    )


def _gradient_hessian(objective, w, d):
    intercept = w[d] if objective.fit_intercept else 0.0
    return objective.gradient_hessian(w[:d], intercept)


def _value(objective, w, d):
    intercept = w[d] if objective.fit_intercept else 0.0
    return objective.value(w[:d], intercept)


def _max_abs(xp, a):
    return float(xp.max(xp.abs(a)))


def _line_search(objective, w, d, value, step, slope):
    """Armijo backtracking from the full Newton step."""
    if not slope < 0.0:
        return w, value, False
    s = 1.0
    for _ in range(MAX_HALVINGS):
        w_trial = w + s * step
        value_trial = _value(objective, w_trial, d)
        if np.isfinite(value_trial) and value_trial <= value + ARMIJO * s * slope:
            return w_trial, value_trial, True
        s *= 0.5
    return w, value, False


def _factorize(xp, hessian):
    """A solver for ``H x = b``: Cholesky, damped only if H is not positive definite."""
    n = hessian.shape[0]
    scale = max(float(xp.max(xp.abs(hessian))), 1.0)
    damping = 0.0
    for _ in range(MAX_DAMPING_TRIES):
        matrix = hessian
        if damping:
            matrix = hessian + damping * xp.eye(n, dtype=hessian.dtype)
        try:
            return _cholesky_solver(xp, matrix)
        except (np.linalg.LinAlgError, ValueError, RuntimeError):
            damping = scale * 1e-10 if damping == 0.0 else damping * 10.0
    raise np.linalg.LinAlgError("The Hessian could not be factorized even with damping.")


def _cholesky_solver(xp, matrix):
    if isinstance(matrix, np.ndarray):
        factor = scipy.linalg.cho_factor(matrix, lower=True, check_finite=False)
        if not np.all(np.isfinite(factor[0])):
            raise np.linalg.LinAlgError("The Cholesky factor is not finite.")
        return lambda rhs: scipy.linalg.cho_solve(factor, rhs, check_finite=False)
    # Other array libraries: the factorization tests definiteness, then the
    # standard's linalg.solve does the work.
    xp.linalg.cholesky(matrix)
    return lambda rhs: xp.linalg.solve(matrix, rhs)
