"""First-order solvers: batch, sgd, minibatch and momentum, in one loop.

Two independent choices make a first-order solver (see the solver table,
:mod:`skgd._solvers._table`):

- the sampler, ``batch_size``: all rows (``None``, batch gradient descent),
  one row (sgd) or ``B`` rows (minibatch, momentum);
- the step rule (:mod:`skgd._solvers._step_rules`).

:func:`first_order_solve` runs the epochs and owns everything around them:
the loss curve, the stopping rule, divergence and the adaptive schedule.
An epoch runs in the compiled kernel when the data are NumPy arrays or CSR
matrices, rows are sampled and the step rule has a compiled form, on the
objective's own runner for data in blocks, and in Array API operations
otherwise.
"""

import numbers
import time

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import get_namespace
from sklearn.utils.validation import check_random_state

from skgd._objective._rows import RowOrder
from skgd._penalty import truncate_l1
from skgd._schedules import ADAPTIVE_DIVISOR
from skgd._solvers import _compiled_epoch, _fit_kernel, _kernels
from skgd._solvers._divergence import (
    check_epoch,
    check_final_model,
    divergence_threshold,
    max_abs,
    raise_diverged,
    raise_overflow,
)
from skgd._solvers._fit_kernel import FitControl
from skgd._solvers._result import SolverResult


class EpochState:
    """Everything an epoch changes, kept between epochs and ``partial_fit`` calls.

    Attributes
    ----------
    coef, intercept : the current iterate.
    step_state : the step rule's state (the velocity for momentum, the last
        accepted step for the line search).
    t : float, the update counter, from 1.
    eta0 : float, the schedule's current ``eta0`` (``adaptive`` lowers it);
        None until the first epoch.
    average_coef, average_intercept : the running average (ASGD).
    scaled : ``(v, wscale, coef)``: ``coef = wscale · v`` as the compiled
        epoch left it, so that the next epoch goes on from ``v`` and
        ``wscale`` (None: from ``coef``).
    schedule : the learning-rate schedule; None until the first epoch.
    running_norms, running_objective : scikit-learn's running ``‖w‖²`` and
        ``‖w‖₁`` (one row per coefficient row), and the epoch's running
        objective, which its stopping rule compares (sgd only; else None).
    average_reference : scikit-learn's lazy-average scalars ``(wscale, a,
        b)``, which decide how an L1 truncation moves its average.

    The cumulative L1 penalty and the last three start afresh with each
    ``fit`` or ``partial_fit`` call, as in scikit-learn.
    """

    # States saved before ``eta0`` was part of them take the schedule's.
    eta0 = None
    running_norms = running_objective = scaled = None

    def __init__(self, coef, intercept, step_state, t=1.0):
        self.coef = coef
        # A float, or one intercept per class for the multinomial objective.
        self.intercept = intercept if np.ndim(intercept) else float(intercept)
        self.step_state = step_state
        self.t = float(t)
        self.eta0 = None
        self.average_coef = coef * 0
        self.average_intercept = 0.0
        # Batch gradient descent: (loss, grad, grad_intercept) at the iterate.
        self.full_gradient = None
        # Cumulative L1 truncation on sampled rows: the penalty each weight
        # could have received, and the penalty each did receive.
        self.l1_total = 0.0
        self.l1_applied = coef * 0
        self.schedule = None
        self.average_reference = np.array([1.0, 0.0, 1.0])

    def start_call(self, running_sums):
        """Reset what scikit-learn keeps for one call only; ``running_sums``: keep its norms."""
        self.l1_total = 0.0
        self.l1_applied = self.coef * 0
        self.average_reference = np.array([1.0, 0.0, 1.0])
        self.running_objective = self.running_norms = None
        # The compiled epoch's (v, wscale, coef), carried from epoch to epoch.
        self.scaled = None
        # A cached full gradient belongs to the data of the last call;
        # partial_fit brings new data.
        self.full_gradient = None
        if running_sums:
            rows = np.asarray(self.coef, dtype=np.float64).reshape(-1, self.coef.shape[-1])
            self.running_norms = np.empty((rows.shape[0], 2))
            # np.sum's arithmetic, without its wrapper (a tenth of a small fit's set-up).
            np.add.reduce(rows * rows, axis=1, out=self.running_norms[:, 0])
            np.add.reduce(np.abs(rows), axis=1, out=self.running_norms[:, 1])


def first_order_solve(
    objective,
    state,
    *,
    step_rule,
    schedule,
    batch_size=None,
    max_iter=1000,
    tol=1e-3,
    n_iter_no_change=5,
    shuffle=True,
    random_state=None,
    average=0,
    validation_score=None,
    compiled=True,
    verbose=0,
    monitor=None,
    keep_blown_up=False,
):
    """Minimize ``objective`` by first-order steps, epoch by epoch.

    Parameters
    ----------
    objective : Objective
    state : EpochState
        The starting point; updated in place.
    step_rule, schedule : StepRule, Schedule
    batch_size : int or None
        Rows per step; ``None`` takes every row (batch gradient descent).
    max_iter : int
        The most epochs (iterations for batch gradient descent).
    tol, n_iter_no_change : float or None, int
        The stopping rule's (see :class:`_StoppingRule`); ``tol=None`` runs
        ``max_iter`` epochs.
    shuffle : bool
        Reshuffle the rows every epoch.
    random_state : int, RandomState instance or None
        The seed of the rows' order (see ``Objective.row_order``).
    average : int
        Average the iterates from update ``average`` on (0: no averaging).
    validation_score : callable or None
        ``validation_score(coef, intercept) -> float``, higher is better.
    compiled : bool
        Use the compiled kernels where they apply.
    verbose : int
        Print scikit-learn's line per epoch (see :func:`_print_epoch`).
    monitor : IterationMonitor or None
        ``begin()`` before each epoch, ``end(coef, intercept)`` after it: True stops the fit.
    keep_blown_up : bool
        Keep a model that ends finite but blown up, as scikit-learn's SGD does
        (with a warning in ``SolverResult.warnings``), instead of raising.

    Returns a ``SolverResult``; raises ``Diverged`` when a value becomes
    non-finite or the fit blows up.
    """
    rows = objective.row_order(_seed(random_state))
    objective, run_epoch = _prepare(
        objective, state, batch_size, step_rule, compiled, tol, validation_score
    )
    state.eta0 = schedule.eta0 if state.eta0 is None else state.eta0
    diverged_above = divergence_threshold(objective, state)
    if compiled_whole_fit(run_epoch, rows, state, monitor, verbose, validation_score):
        rule = (max_iter, tol, n_iter_no_change, keep_blown_up, diverged_above)
        return _whole_fit(
            objective, state, rows, shuffle, batch_size, step_rule, schedule, average, rule
        )
    loss_curve = []
    stopping = _StoppingRule(
        tol, n_iter_no_change, validation_score, batch_size is None and objective.loss.has_hessian
    )
    converged = stopped = False
    message = f"Reached max_iter={max_iter} epochs."
    started = time.perf_counter()
    for epoch in range(1, max_iter + 1):
        if monitor is not None:
            monitor.begin()
        order = None if batch_size is None else rows.next(shuffle)
        objective.n_clipped = 0  # overflow is reported as divergence, never warned
        with np.errstate(over="ignore", invalid="ignore"):
            value = run_epoch(objective, state, order, batch_size, step_rule, schedule, average)
        check_epoch(state, value, schedule, diverged_above, epoch, keep_blown_up)
        loss_curve.append(np.inf if np.isnan(value) else value)  # sgd past overflow
        if verbose:
            _print_epoch(objective, state, epoch, value, batch_size, started)
        if monitor is not None and monitor.end(*final_coef(state, average)):
            stopped, message = True, f"Stopped by a callback after {epoch} epochs."
            break
        reason = stopping.check(objective, state, schedule, value, average, epoch)
        if reason:
            converged, message = True, reason
            break
    coef, intercept = final_coef(state, average)
    warning = check_final_model(
        objective, coef, intercept, loss_curve[-1], diverged_above, epoch, schedule, keep_blown_up
    )
    warnings = () if warning is None else (warning,)
    return SolverResult(
        coef, intercept, epoch, state.t, converged, loss_curve, message, stopped, warnings=warnings
    )


def _prepare(objective, state, batch_size, step_rule, compiled, tol, validation_score):
    """The objective in the layout the epochs read, its epoch function, and a state
    started for this call."""
    if batch_size is not None and sp.issparse(objective.X) and objective.X.format != "csr":
        # Sampling rows needs row access: convert once per call. This copies
        # the sparse data; it never densifies.
        objective = objective.with_data(objective.X.tocsr())
    run_epoch = pick_epoch(objective, batch_size, step_rule, compiled)
    # scikit-learn's sgd stops on its running objective (see _StoppingRule),
    # which the compiled epoch sums.
    compiled_sgd = batch_size == 1 and run_epoch is _compiled_epoch.run_compiled_epoch
    state.start_call(compiled_sgd and tol is not None and validation_score is None)
    return objective, run_epoch


def compiled_whole_fit(run_epoch, rows, state, monitor, verbose, validation_score):
    """Whether the whole fit can run in one compiled call: nothing watches each epoch.

    The compiled epochs on float64 coefficients, scikit-learn's row order
    over every row, no callback, no ``verbose`` and no early stopping.
    """
    return (
        run_epoch is _compiled_epoch.run_compiled_epoch
        and type(rows) is RowOrder
        and state.coef.dtype == np.float64
        and monitor is None
        and not verbose
        and validation_score is None
    )


def _whole_fit(objective, state, rows, shuffle, batch_size, step_rule, schedule, average, rule):
    """:func:`first_order_solve`'s loop in compiled calls, with its results and errors.

    ``rule`` is ``(max_iter, tol, n_iter_no_change, keep_blown_up, diverged_above)``.
    """
    max_iter, tol, n_iter_no_change, keep_blown_up, diverged_above = rule
    control = FitControl(
        max_iter, tol is not None, float(tol or 0.0), n_iter_no_change, 1.0, 0,
        keep_blown_up, schedule.can_recover, float(diverged_above),
        schedule.kind == "adaptive", schedule.min_eta, ADAPTIVE_DIVISOR,
    )  # fmt: skip
    status, epoch, loss_curve = _compiled_epoch.run_compiled_fit(
        objective, state, rows, shuffle, batch_size, step_rule, schedule, average, control
    )
    if status == _fit_kernel.OVERFLOW:
        raise_overflow(epoch, schedule)
    if status == _fit_kernel.DIVERGED:
        raise_diverged(epoch, schedule)
    converged = status == _fit_kernel.CONVERGED
    message = f"Reached max_iter={control.max_iter} epochs."
    if converged:
        message = (
            f"Converged: no improvement by tol={control.tol} in {control.n_iter_no_change} "
            f"consecutive epochs, after {epoch} epochs."
        )
    coef, intercept = final_coef(state, average)
    warning = check_final_model(
        objective,
        coef,
        intercept,
        loss_curve[-1],
        control.diverged_above,
        epoch,
        schedule,
        control.keep_blown_up,
    )
    warnings = () if warning is None else (warning,)
    return SolverResult(
        coef, intercept, epoch, state.t, converged, loss_curve, message, False, warnings=warnings
    )


def _seed(random_state):
    """The rows' order's seed: an int as it is, else drawn from ``random_state`` (None: 0)."""
    if random_state is None:
        return 0
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return check_random_state(random_state).randint(np.iinfo(np.int32).max)


class _StoppingRule:
    """scikit-learn's plateau rule, and batch gradient descent's optimality test.

    Sampled rows: the fit stops once the epoch's objective (or, with
    ``validation_score``, minus the score) fails to improve on the best so
    far by ``tol`` for ``n_iter_no_change`` epochs in a row, as in
    scikit-learn. sgd compares scikit-learn's running objective, as its
    compiled epoch sums it: each row's unweighted loss before its update,
    plus the penalty at norms that each update recomputes over the row's
    entries only. All rows (batch gradient descent) of a smooth loss
    (``smooth_full_batch``): it stops once ``max|∇J| ≤ tol``, an optimality
    condition rather than a plateau, since deterministic steps on a badly
    scaled problem can stall for many iterations before they descend. A
    non-smooth loss (hinge, perceptron, epsilon-insensitive) has no gradient
    at its kinks to test, and takes the plateau rule too. On a plateau,
    ``adaptive`` lowers its step instead of stopping. :meth:`check` returns
    why the fit should stop after an epoch, or "".
    """

    def __init__(self, tol, n_iter_no_change, validation_score, smooth_full_batch):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.validation_score = validation_score
        # Deterministic steps stop on the optimality condition itself.
        self.on_gradient = smooth_full_batch and validation_score is None
        self.best = np.inf
        self.no_improvement = 0

    def check(self, objective, state, schedule, value, average, epoch):
        tol = self.tol
        if tol is None:
            return ""
        if self.validation_score is None:
            criterion = value if state.running_objective is None else state.running_objective
        else:
            # The current iterate, averaged or not, as scikit-learn scores it.
            criterion = -self.validation_score(state.coef, state.intercept)
        self.no_improvement = self.no_improvement + 1 if criterion > self.best - tol else 0
        self.best = min(self.best, criterion)
        if self.on_gradient:
            gradient_norm = max_abs_gradient(objective, state)
            if gradient_norm <= tol:
                return f"Converged: max|gradient| = {gradient_norm:.3g} <= tol={tol}."
        if self.no_improvement < self.n_iter_no_change:
            return ""
        reduced = schedule.reduced(state.eta0)
        if reduced is not None:
            state.eta0, self.no_improvement = reduced, 0
            return ""
        if self.on_gradient:
            # A plateau never stops deterministic steps: the gradient does.
            return ""
        return (
            f"Converged: no improvement by tol={tol} in {self.n_iter_no_change} "
            f"consecutive epochs, after {epoch} epochs."
        )


def pick_epoch(objective, batch_size, step_rule, compiled=True):
    """The function that runs one epoch of this sampler and step rule on this objective."""
    if batch_size is None:
        return _full_batch_epoch
    if objective.blockwise_epoch is not None:
        return objective.blockwise_epoch
    if compiled and _compiled_epoch.accepts(objective, step_rule):
        return _compiled_epoch.run_compiled_epoch
    return _generic_epoch


def _full_batch_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    # The objective and gradient at the current iterate were computed at the
    # end of the previous iteration: one pass over X per iteration.
    if state.full_gradient is None:
        state.full_gradient = objective.loss_gradient(state.coef, state.intercept)
    step_rule.full_batch_step(objective, state, schedule(state.t, state.eta0))
    _update_average(state, average)
    state.t += 1.0
    return state.full_gradient[0] + objective.penalty.value(state.coef)


def _generic_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    xp = objective.xp
    loss_sum = 0.0
    decay = _compiled_epoch.intercept_decay(objective)
    for start in range(0, objective.n_samples, batch_size):
        rows = order[start : start + batch_size]
        if not isinstance(objective.X, np.ndarray) and not sp.issparse(objective.X):
            # The permutation is drawn by NumPy (the same shuffles as a NumPy
            # fit); only these indices go to X's device, never X.
            rows = xp.asarray(rows, device=objective.device)
        loss, grad, grad_intercept = objective.loss_gradient(state.coef, state.intercept, rows)
        # The weights the compiled epoch steps by.
        _, weight_scale = _compiled_epoch.row_weights(objective, batch_size)
        grad = grad * weight_scale
        grad_intercept = grad_intercept * decay * weight_scale
        loss_sum += loss * rows.shape[0]
        eta = schedule(state.t, state.eta0)
        state.coef = step_rule.step(state, grad, grad_intercept, eta, objective.penalty)
        _shrink_reference(state, max(1.0 - eta * objective.penalty.l2, 0.0))
        _update_average(state, average)
        if objective.penalty.l1 and not step_rule.applies_l1:
            # After the average, as in scikit-learn, which moves it too.
            state.l1_total += eta * objective.penalty.l1
            coef, state.l1_applied = truncate_l1(
                state.coef, state.l1_total, state.l1_applied, _touched(objective, rows)
            )
            if 0 < average <= state.t:
                gain = _kernels.truncation_gain(state.average_reference)
                state.average_coef = state.average_coef + (coef - state.coef) * gain
            state.coef = coef
        state.t += 1.0
    return loss_sum / objective.n_samples + objective.penalty.value(state.coef)


def _touched(objective, rows):
    """The features L1 truncates after a step: all for dense rows, the stored entries of CSR rows.

    As in scikit-learn, which truncates the entries of the step's rows.
    """
    if not objective.is_sparse:
        return None
    touched = np.zeros(objective.n_features, dtype=bool)
    touched[objective.X[rows].indices] = True
    return touched


def _shrink_reference(state, shrink):
    """scikit-learn's weight scale after ``w.scale(shrink)``, which folds below its threshold."""
    xp, _ = get_namespace(state.coef)
    fold = _compiled_epoch.REFERENCE_FOLD[xp.finfo(state.coef.dtype).bits // 8]
    wscale, a, b = state.average_reference
    wscale *= shrink
    state.average_reference = np.array([wscale, a, b] if wscale >= fold else [1.0, 0.0, 1.0])


def _update_average(state, average):
    if 0 < average <= state.t:
        weight = 1.0 / (state.t - average + 1.0)
        state.average_coef = state.average_coef + (state.coef - state.average_coef) * weight
        state.average_intercept += (state.intercept - state.average_intercept) * weight
        # scikit-learn's own (a, b), as its add_average moves them.
        wscale, a, b = state.average_reference
        b = b / (1.0 - weight) if weight < 1.0 else b
        state.average_reference = np.array([wscale, a + weight * b * wscale, b])


def final_coef(state, average):
    """The model a fit reports: the average of the iterates once it has started."""
    if 0 < average <= state.t - 1:
        return state.average_coef, state.average_intercept
    return state.coef, state.intercept


def max_abs_gradient(objective, state):
    """max |∇J| at the iterate, with the least-norm subgradient where L1 kinks."""
    _, grad, grad_intercept = state.full_gradient
    penalty = objective.penalty
    grad = grad + penalty.smooth_gradient(state.coef)
    if penalty.l1:
        xp, _ = get_namespace(grad)
        at_kink = state.coef == 0
        grad = xp.where(
            at_kink,
            penalty.prox_l1(grad, 1.0),
            grad + penalty.l1 * xp.sign(state.coef),
        )
    return max(max_abs(grad), max_abs(grad_intercept))


def _print_epoch(objective, state, epoch, value, batch_size, started):
    """scikit-learn's per-epoch report, plus max|∇J| beyond per-sample SGD."""
    xp, _ = get_namespace(state.coef)
    nonzeros = int(xp.sum(xp.astype(state.coef != 0, xp.int64)))
    norm = float(xp.sqrt(xp.sum(state.coef * state.coef)))
    line = (
        f"Norm: {norm:.2f}, NNZs: {nonzeros}, "
        f"Bias: {_rounded(state.intercept)}, T: {int(state.t - 1)}, "
        f"Avg. loss: {value:.6f}"
    )
    if batch_size != 1:
        if state.full_gradient is None:
            # Sampled batches: one more pass over X, for the report only.
            state.full_gradient = objective.loss_gradient(state.coef, state.intercept)
        line += f", max|gradient|: {max_abs_gradient(objective, state):.3g}"
        if batch_size is not None:
            state.full_gradient = None
    print(f"-- Epoch {epoch}\n{line}")
    print(f"Total training time: {time.perf_counter() - started:.2f} seconds.")


def _rounded(intercept):
    """The intercept rounded for printing; arrays of any library come back to NumPy."""
    if np.ndim(intercept) == 0:
        return np.round(float(intercept), 6)
    return np.round(np.asarray([float(v) for v in intercept]), 6)
