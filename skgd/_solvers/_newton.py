"""Newton's method with Armijo backtracking, for losses with a second derivative.

:class:`NewtonSolver` runs the loop of scikit-learn's ``NewtonSolver``, one
method per stage::

    setup → (update_curvature → inner_solve → line_search → check_convergence)* → finalize

- curvature and inner solve: a strategy of :mod:`skgd._solvers._curvature`
  solves ``H e = −g``: Cholesky on the exact Hessian, on a float32-summed
  one or on a sampled one, or truncated conjugate gradients on
  Hessian-vector products beyond ``cg_min_features`` features;
- line search: backtracking from the full step until
  ``J(w + s e) ≤ J(w) + 1e-4 · s · gᵀe``;
- convergence: ``max|g| ≤ tol`` and half the squared Newton decrement
  ``½ gᵀ H⁻¹ g ≤ tol``, both at the new iterate (truncated Newton checks
  the gradient only, as scikit-learn's newton-cg does).

:func:`newton_solve` is the entry point of the solver table. The L1 part of
a penalty has no second derivative; the estimators refuse it.
"""

import numpy as np
from sklearn.utils._array_api import get_namespace

from skgd._solvers._curvature import DEFAULT_OPTIONS, Curvature, choose_curvature
from skgd._solvers._result import SolverResult

ARMIJO = 1e-4
# Predicted decreases below this many rounding errors of J cannot be verified.
PRECISION = 4.0
MAX_HALVINGS = 40
# A full step that cut max|gradient| at least this much keeps its Hessian.
REUSE = 0.25


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
    objective : Objective
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

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss import HalfSquaredError
    >>> from skgd._objective import LinearObjective
    >>> from skgd._penalty import Penalty
    >>> from skgd._solvers import newton_solve
    >>> X, y = np.array([[1.0], [2.0], [3.0]]), np.array([3.0, 5.0, 7.0])
    >>> objective = LinearObjective(HalfSquaredError(), Penalty(), X, y, np.ones(3), True)
    >>> result = newton_solve(objective, np.zeros(1), 0.0)
    >>> result.coef, round(result.intercept, 12), result.n_iter
    (array([2.]), 1.0, 1)
    """
    solver = NewtonSolver(
        max_iter=max_iter, tol=tol, verbose=verbose, max_step=max_step, monitor=monitor
    )
    return solver.solve(objective, coef, intercept)


class NewtonSolver:
    """Newton's method with Armijo backtracking, one stage per method.

    Order of calls, as in scikit-learn's ``NewtonSolver``::

        setup(objective, coef, intercept)
        for iteration in 1 … max_iter:
            update_curvature()      # the curvature at w, or none: the last solver serves
            inner_solve()           # the Newton step e from H e = −g
            line_search()           # w ← w + s e, with J and ∇J there; False: stop
            check_convergence()     # max|g| and the Newton decrement; True: stop
        finalize()                  # the SolverResult

    The raw predictions are linear in w: kept along the iterates, each
    iteration passes over X once for X·e and once for the gradient (one pass
    for both where the objective can fuse them), and the line search's
    trials cost O(n) each.

    Parameters
    ----------
    max_iter, tol, verbose, max_step, monitor
        As in :func:`newton_solve`.
    options : CurvatureOptions, default=CurvatureOptions()
        The thresholds that choose the curvature strategy and guard it.

    Attributes
    ----------
    strategy : CurvatureStrategy
        The curvature strategy in use; a fallback replaces it.
    w, raw : array
        The packed parameters and their raw predictions.
    value, grad : float, array
        ``J`` and its gradient at ``w``.
    curvature : Curvature or None
        The curvature for this iteration's step; None keeps the last solver.
    step, slope, max_grad : array, float, float
        The Newton step, ``gᵀe`` and ``max|g|`` before the step.
    loss_curve : list of float
    iteration : int
    converged, stopped : bool
    message : str

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss import HalfSquaredError
    >>> from skgd._objective import LinearObjective
    >>> from skgd._penalty import Penalty
    >>> from skgd._solvers._curvature import CurvatureOptions
    >>> from skgd._solvers._newton import NewtonSolver
    >>> X, y = np.array([[1.0], [2.0], [3.0]]), np.array([3.0, 5.0, 7.0])
    >>> objective = LinearObjective(HalfSquaredError(), Penalty(), X, y, np.ones(3), True)
    >>> solver = NewtonSolver(tol=1e-10, options=CurvatureOptions(cg_min_features=0))
    >>> result = solver.solve(objective, np.zeros(1), 0.0)
    >>> type(solver.strategy).__name__, result.converged
    ('ConjugateGradientCurvature', True)
    >>> np.round(result.coef, 8), round(result.intercept, 8)
    (array([2.]), 1.0)
    """

    def __init__(
        self,
        *,
        max_iter=100,
        tol=1e-4,
        verbose=0,
        max_step=1.0,
        monitor=None,
        options=DEFAULT_OPTIONS,
    ):
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose
        self.max_step = max_step
        self.monitor = monitor
        self.options = options

    def solve(self, objective, coef, intercept):
        """Minimize ``objective`` from ``(coef, intercept)``.

        Returns
        -------
        SolverResult
        """
        # Overflow shows up as non-finite values, which the loop handles (or
        # reports with advice), not as floating-point warnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.setup(objective, coef, intercept)
            for iteration in range(1, self.max_iter + 1):
                self.iteration = iteration
                if self.monitor is not None:
                    self.monitor.begin()
                self.update_curvature()
                self.inner_solve()
                if not self.line_search() or self.check_convergence():
                    break
            return self.finalize()

    def setup(self, objective, coef, intercept):
        """Choose the curvature strategy; ``J`` and its gradient at the start.

        Sets ``objective``, ``strategy``, ``w``, ``raw``, ``value``,
        ``grad`` and the bookkeeping; raises ValueError if ``J`` is not
        finite there.
        """
        self.objective, self.xp = objective, objective.xp
        self.w = objective.pack(coef, intercept)
        self.stop_tol = 0.0 if self.tol is None else self.tol
        self.loss_curve = []
        self.converged = self.stopped = False
        self.message = max_iter_message(self.max_iter)
        self.strategy = choose_curvature(objective, self.options)
        # Data on a cluster: a pass is a round trip, so the value, gradient and
        # Hessian come back together, here and at the line search's first trial.
        self.fused = self.strategy.dense_hessian and objective.fused_passes
        self.solve_system = self.curvature = self.fresh = self.at_first_trial = None
        self.full_step, self.max_grad = False, np.inf
        self.raw = objective.raw_prediction(*objective.unpack(self.w))
        if self.fused:
            self.value, self.grad, hessian = self._evaluate(self.w, self.raw)
            self.fresh = Curvature(hessian)
        else:
            self.value, self.grad = objective.value_gradient(
                *objective.unpack(self.w), raw=self.raw
            )
        if not np.isfinite(self.value):
            # Targets whose squares overflow (1e20 in float32): no step can be
            # measured, and the line search would return a meaningless model.
            raise ValueError(
                f"Newton's method cannot start: the objective is {self.value} at the "
                f"starting point in {self.w.dtype} precision, since the targets or the "
                "features are too large. Scale the targets, or scale the features first "
                "(for example with StandardScaler in a Pipeline), or fit on float64 data."
            )

    def update_curvature(self):
        """The curvature for this iteration's step, in ``curvature``.

        None after a full step that cut ``max|g|`` by ``REUSE``: the Hessian
        changes little from there on, and the last factor still gives a
        descent direction, so reusing it saves an O(n d²) product for an
        O(n d) gradient. (A fused pass computed one anyway; the same rule on
        every kind of data keeps the iterates identical.)
        """
        fresh, self.fresh = self.fresh, None
        if (
            self.strategy.dense_hessian
            and self.full_step
            and _max_abs(self.xp, self.grad) <= REUSE * self.max_grad
        ):
            self.curvature = None
        elif fresh is not None:
            self.curvature = fresh
        else:
            self.curvature = self.strategy.curvature(self.objective, self.w, self.raw)

    def inner_solve(self):
        """The Newton step ``e = −H⁻¹ g``, ``gᵀe`` and ``max|g|``.

        Sets ``solve_system`` (from the strategy, which may replace itself
        where its curvature cannot be trusted), ``step``, ``slope`` and
        ``max_grad``.
        """
        if self.curvature is not None:
            self.solve_system, self.strategy = self.strategy.solver(
                self.objective, self.w, self.raw, self.grad, self.curvature
            )
        self.step = -self.solve_system(self.grad)
        self.slope = float(self.xp.sum(self.grad * self.step))
        self.max_grad = _max_abs(self.xp, self.grad)

    def line_search(self):
        """Move along the step: ``w``, ``raw``, ``value`` and ``grad`` at the new iterate.

        Returns
        -------
        moved : bool
            False if no step could be taken; ``converged`` and ``message``
            then say why the fit ends.
        """
        objective, max_step = self.objective, self.max_step
        if self.fused:
            raw_step = objective.raw_prediction(*objective.unpack(self.step))
        else:
            # The first trial is accepted in most iterations: its value and
            # gradient come with the step's raw predictions (one pass over X
            # where the objective can fuse them).
            raw_step, *at_first_trial = objective.step_value_gradient(
                self.w, self.raw, self.step, max_step
            )
            self.at_first_trial = (*at_first_trial, None)
        if _below_precision(self.slope, self.value, self.w):
            return self._step_on_the_gradient(raw_step)
        s, accepted, evaluation, raw_accepted = self._backtrack(raw_step)
        if not accepted:
            converged = self.stop_tol == 0.0 or self.max_grad <= self.stop_tol
            return self._stop_without_step(converged, line_search_message(converged))
        # The trial's own raw predictions: on a cluster, those its evaluation
        # kept on the workers.
        self.w, self.raw, self.full_step = self.w + s * self.step, raw_accepted, s == 1.0
        self.step_size = s
        if self.fused and evaluation is None:
            evaluation = self._evaluate(self.w, self.raw)
        if evaluation is not None:
            self.value, self.grad, hessian = evaluation
            self.fresh = None if hessian is None else Curvature(hessian)
        else:
            # The gradient alone: the Hessian is needed only if another step follows.
            self.value, self.grad = objective.value_gradient(
                *objective.unpack(self.w), raw=self.raw
            )
        return True

    def check_convergence(self):
        """Record the iteration; whether the fit ends here.

        The monitor hears of the iteration first: a callback's request to
        stop ends the fit even where it converged.

        Returns
        -------
        stop : bool
            True if a callback asked to stop (``stopped``) or the gradient
            and the Newton decrement met ``tol`` (``converged``).
        """
        xp, grad = self.xp, self.grad
        self.loss_curve.append(self.value)
        # The Newton decrement at the new point, from the factor just used
        # (truncated Newton has no factor: the gradient decides alone).
        decrement = 0.0
        if self.strategy.gives_decrement:
            decrement = 0.5 * float(xp.sum(grad * self.solve_system(grad)))
        if self.verbose:
            print(
                f"Newton iteration {self.iteration}: objective {self.value:.6g}, "
                f"max|grad| {_max_abs(xp, grad):.3g}, decrement {decrement:.3g}, "
                f"step {self.step_size:.3g}"
            )
        if _end_iteration(self.monitor, self.objective, self.w):
            self.stopped = True
            self.message = f"Stopped by a callback after {self.iteration} iterations."
            return True
        if _max_abs(xp, grad) <= self.stop_tol and decrement <= self.stop_tol:
            self.converged = True
            self.message = converged_message(self.iteration)
            return True
        return False

    def finalize(self):
        """The :class:`SolverResult`: one iteration per objective value recorded."""
        coef, intercept = self.objective.unpack(self.w)
        n_iter = len(self.loss_curve)
        return SolverResult(
            coef,
            intercept,
            n_iter,
            float(n_iter + 1),
            self.converged,
            self.loss_curve,
            self.message,
            self.stopped,
        )

    def _evaluate(self, w, raw):
        """``J``, its gradient and its Hessian at ``w`` in one pass."""
        return self.objective.value_gradient_hessian(
            *self.objective.unpack(w), raw=raw, low_precision=self.strategy.low_precision
        )

    def _first_trial(self, w_trial, raw_trial):
        """``(value, gradient, hessian or None)`` at the line search's first trial."""
        if self.fused:
            return self._evaluate(w_trial, raw_trial)
        return self.at_first_trial

    def _step_on_the_gradient(self, raw_step):
        """Take the first trial if it reduces ``max|g|``: the predicted decrease is
        within J's rounding error, so the line search cannot judge the step."""
        w_trial = self.w + self.max_step * self.step
        raw_trial = self.raw + self.max_step * raw_step
        value_after, grad_trial = self._first_trial(w_trial, raw_trial)[:2]
        if not _max_abs(self.xp, grad_trial) < self.max_grad:
            return self._stop_without_step(
                self.stop_tol == 0.0 or self.max_grad <= self.stop_tol,
                precision_message(self.iteration, self.w.dtype, self.max_grad),
            )
        self.w, self.raw, self.grad = w_trial, raw_trial, grad_trial
        self.value, self.full_step, self.step_size = (
            value_after,
            self.max_step == 1.0,
            self.max_step,
        )
        return True

    def _backtrack(self, raw_step):
        """Armijo backtracking from ``max_step`` times the Newton step.

        ``raw_step`` is the raw prediction of the step, so each trial costs
        O(n), not a pass over X.

        Returns the accepted fraction of the step, whether one was accepted,
        the first trial's evaluation if that trial was the one accepted, and
        the accepted trial's raw predictions.
        """
        if not self.slope < 0.0:
            return 0.0, False, None, self.raw
        objective, s = self.objective, self.max_step
        for halvings in range(MAX_HALVINGS):
            w_trial, raw_trial = self.w + s * self.step, self.raw + s * raw_step
            evaluation = None
            if halvings == 0:
                evaluation = self._first_trial(w_trial, raw_trial)
                value_trial = evaluation[0]
            else:
                value_trial = objective.value(*objective.unpack(w_trial), raw=raw_trial)
            if np.isfinite(value_trial) and value_trial <= self.value + ARMIJO * s * self.slope:
                return s, True, evaluation, raw_trial
            s *= 0.5
        return 0.0, False, None, self.raw

    def _stop_without_step(self, converged, message):
        """End the fit at ``w``, where no step could be taken; returns False."""
        self.loss_curve.append(self.value)
        _end_iteration(self.monitor, self.objective, self.w)
        self.converged, self.message = converged, message
        return False


def max_iter_message(max_iter):
    return f"Reached max_iter={max_iter} iterations."


def converged_message(iteration):
    return f"Converged after {iteration} iterations."


def line_search_message(converged):
    """Why a fit ends where the line search found no step; ``converged``: at tol."""
    if converged:
        return (
            "The line search could not decrease the objective: the iterate is optimal "
            "to machine precision."
        )
    return "The line search failed before the gradient met tol."


def precision_message(iteration, dtype, max_grad):
    """Why a fit ends where no step below J's rounding error reduces the gradient."""
    return (
        f"Stopped after {iteration} iterations: no step reduces the gradient further "
        f"in {dtype} precision; max|gradient| = {max_grad:.3g}."
    )


def _end_iteration(monitor, objective, w):
    """Tell the monitor an iteration ended at ``w``; True if a callback asks to stop."""
    return monitor is not None and monitor.end(*objective.unpack(w))


def _below_precision(slope, value, w):
    """Whether the predicted decrease ``−slope`` is within J's rounding error."""
    xp, _ = get_namespace(w)
    return -slope <= PRECISION * float(xp.finfo(w.dtype).eps) * abs(value)


def _max_abs(xp, a):
    return float(xp.max(xp.abs(a)))
