"""First-order solvers: batch, sgd, minibatch and momentum, in one loop.

Two independent choices make the four solvers:

- the sampler, ``batch_size``: all rows (``None``, batch gradient descent),
  one row (sgd) or ``B`` rows (minibatch, momentum);
- the step rule: :class:`PlainStep` or :class:`MomentumStep`.

:func:`first_order_solve` runs the epochs and owns everything around them:
the loss curve, the stopping rule, divergence and the adaptive schedule.
An epoch runs in the compiled kernel when the data are NumPy arrays or CSR
matrices and rows are sampled, and in Array API operations otherwise.
"""

import time

import numpy as np
import scipy.sparse as sp
from sklearn.utils._array_api import get_namespace

from skgd._objective import take_rows
from skgd._penalty import truncate_l1
from skgd._solvers import _kernels
from skgd._solvers._result import SolverResult


class EpochState:
    """Everything an epoch changes, kept between epochs and ``partial_fit`` calls.

    Attributes
    ----------
    coef, intercept : the current iterate.
    step_state : the step rule's state (the velocity for momentum).
    t : float, the update counter, from 1.
    average_coef, average_intercept : the running average (ASGD).
    schedule : the learning-rate schedule, whose step ``adaptive`` and
        ``line_search`` adjust as they go; ``None`` until the first epoch.
    """

    def __init__(self, coef, intercept, step_state, t=1.0):
        self.coef = coef
        # A float, or one intercept per class for the multinomial objective.
        self.intercept = intercept if np.ndim(intercept) else float(intercept)
        self.step_state = step_state
        self.t = float(t)
        self.average_coef = coef * 0
        self.average_intercept = 0.0
        # Batch gradient descent: (loss, grad, grad_intercept) at the iterate.
        self.full_gradient = None
        # Cumulative L1 truncation on sampled rows: the penalty each weight
        # could have received, and the penalty each did receive.
        self.l1_total = 0.0
        self.l1_applied = coef * 0
        self.schedule = None


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
):
    """Minimize ``objective`` by first-order steps, epoch by epoch.

    Parameters
    ----------
    objective : LinearObjective
    state : EpochState
        The starting point; updated in place.
    step_rule : PlainStep or MomentumStep
    schedule : Schedule
    batch_size : int or None
        Rows per step; ``None`` takes every row (batch gradient descent).
    max_iter : int
        The most epochs (iterations for batch gradient descent).
    tol : float or None
        Sampled rows: the fit stops once the epoch's objective (or, with
        ``validation_score``, minus the score) fails to improve on the best
        so far by ``tol`` for ``n_iter_no_change`` epochs in a row, as in
        scikit-learn. All rows (batch gradient descent): it stops once
        ``max|∇J| ≤ tol``, an optimality condition rather than a plateau,
        since deterministic steps on a badly scaled problem can stall for
        many iterations before they descend. ``None`` runs ``max_iter``
        epochs.
    n_iter_no_change : int
    shuffle : bool
        Reshuffle the rows every epoch.
    random_state : numpy.random.RandomState
    average : int
        Average the iterates from update ``average`` on (0: no averaging).
    validation_score : callable or None
        ``validation_score(coef, intercept) -> float``, higher is better.
    compiled : bool
        Use the compiled kernels where they apply.
    verbose : int
        Print scikit-learn's line per epoch (norm, non-zeros, bias, updates,
        mean loss), with ``max|∇J|`` for the solvers other than per-sample
        SGD, and the time so far.
    monitor : IterationMonitor or None
        ``begin()`` before each epoch, ``end(coef, intercept)`` after it; the
        fit stops when ``end`` returns True (a callback asked for it).

    Returns
    -------
    SolverResult
    """
    rng = random_state if random_state is not None else np.random.RandomState(0)
    if batch_size is not None and sp.issparse(objective.X) and objective.X.format != "csr":
        # Sampling rows needs row access: convert once per call. This copies
        # the sparse data; it never densifies.
        objective = objective.with_data(objective.X.tocsr())
    run_epoch = _pick_epoch(objective, batch_size, compiled)
    # A cached full gradient belongs to the data of the last call; partial_fit
    # brings new data.
    state.full_gradient = None
    loss_curve = []
    diverged_above = _divergence_threshold(objective, state)
    best = np.inf
    no_improvement = 0
    converged = stopped = False
    message = f"Reached max_iter={max_iter} epochs."
    started = time.perf_counter()
    for epoch in range(1, max_iter + 1):
        if monitor is not None:
            monitor.begin()
        if batch_size is None:
            order = None
        elif hasattr(objective, "epoch_plan"):
            # Rows in blocks on a cluster (skgd._dask): the objective plans
            # the walk over its blocks, with this random state.
            order = objective.epoch_plan(rng, shuffle)
        elif shuffle:
            order = rng.permutation(objective.n_samples)
        else:
            order = np.arange(objective.n_samples)
        # Overflow is detected below and reported as divergence, not as a warning.
        objective.n_clipped = 0
        with np.errstate(over="ignore", invalid="ignore"):
            value = run_epoch(objective, state, order, batch_size, step_rule, schedule, average)
        if not _is_finite(state, value):
            _raise_diverged(epoch, schedule)
        if schedule.kind == "constant" and value > diverged_above:
            # A constant step that blew the objective up cannot recover.
            _raise_diverged(epoch, schedule)
        loss_curve.append(value)
        if verbose:
            _print_epoch(objective, state, epoch, value, batch_size, started)
        if monitor is not None and monitor.end(*_final_coef(state, average)):
            stopped, message = True, f"Stopped by a callback after {epoch} epochs."
            break
        if tol is None:
            continue
        if validation_score is None:
            criterion = value
        else:
            criterion = -validation_score(*_final_coef(state, average))
        no_improvement = no_improvement + 1 if criterion > best - tol else 0
        best = min(best, criterion)
        if batch_size is None and validation_score is None:
            # Deterministic steps: stop on the optimality condition itself.
            gradient_norm = _max_abs_gradient(objective, state)
            if gradient_norm <= tol:
                converged = True
                message = f"Converged: max|gradient| = {gradient_norm:.3g} <= tol={tol}."
                break
            if no_improvement >= n_iter_no_change and schedule.kind == "adaptive":
                schedule.on_no_improvement()
                no_improvement = 0
            continue
        if no_improvement >= n_iter_no_change:
            if schedule.on_no_improvement():
                no_improvement = 0
                continue
            converged = True
            message = (
                f"Converged: no improvement by tol={tol} in {n_iter_no_change} "
                f"consecutive epochs, after {epoch} epochs."
            )
            break
    if objective.n_clipped or loss_curve[-1] > diverged_above:
        # Loss derivatives beyond 1e12 in the last epoch, or an objective far
        # above where the fit started: the blown-up regime that a large early
        # step can pass through (and recover from as the schedule decays),
        # but that no fit may end in.
        _raise_diverged(epoch, schedule)
    coef, intercept = _final_coef(state, average)
    if _predictions_overflow(objective, coef, intercept):
        _raise_diverged(epoch, schedule)
    return SolverResult(coef, intercept, epoch, state.t, converged, loss_curve, message, stopped)


def _print_epoch(objective, state, epoch, value, batch_size, started):
    """scikit-learn's per-epoch report, plus max|∇J| beyond per-sample SGD."""
    xp, _ = get_namespace(state.coef)
    nonzeros = int(xp.sum(xp.astype(state.coef != 0, xp.int64)))
    line = (
        f"Norm: {_norm(state.coef):.2f}, NNZs: {nonzeros}, "
        f"Bias: {_rounded(state.intercept)}, T: {int(state.t - 1)}, "
        f"Avg. loss: {value:.6f}"
    )
    if batch_size != 1:
        if state.full_gradient is None:
            # Sampled batches: one more pass over X, for the report only.
            state.full_gradient = objective.loss_gradient(state.coef, state.intercept)
        line += f", max|gradient|: {_max_abs_gradient(objective, state):.3g}"
        if batch_size is not None:
            state.full_gradient = None
    print(f"-- Epoch {epoch}\n{line}")
    print(f"Total training time: {time.perf_counter() - started:.2f} seconds.")


def _predictions_overflow(objective, coef, intercept):
    """Whether a float32 model's predictions on its own data overflow float32.

    The compiled kernels sum each row's dot product in float64, so float32
    coefficients can grow until ``X @ coef`` no longer fits in float32 (the
    perceptron on features of 1e20): a model that would predict inf and NaN.
    One product over X, for float32 NumPy fits only.
    """
    if not (isinstance(coef, np.ndarray) and coef.dtype == np.float32):
        return False
    if hasattr(objective, "blockwise_epoch"):
        # Blocks on a cluster: the divergence checks on the values suffice.
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        raw = objective.raw_prediction(coef, intercept)
    return not bool(np.all(np.isfinite(raw)))


def _max_abs_gradient(objective, state):
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
    return max(float(xp_max_abs(grad)), _max_abs_any(grad_intercept))


def _dot(a, b):
    """``Σ a·b`` over all entries, for arrays and plain floats alike."""
    if np.ndim(a) == 0:
        return float(a * b)
    xp, _ = get_namespace(a)
    return float(xp.sum(a * b))


def xp_max_abs(a):
    xp, _ = get_namespace(a)
    return xp.max(xp.abs(a))


def _max_abs_any(a):
    """``max|a|`` as a float, for a float or an array (a multinomial intercept)."""
    if np.ndim(a) == 0:
        return abs(float(a))
    return float(xp_max_abs(a))


def _rounded(intercept):
    """The intercept rounded for printing; arrays of any library come back to NumPy."""
    if np.ndim(intercept) == 0:
        return np.round(float(intercept), 6)
    return np.round(np.asarray([float(v) for v in intercept]), 6)


def _final_coef(state, average):
    if 0 < average <= state.t - 1:
        return state.average_coef, state.average_intercept
    return state.coef, state.intercept


def _norm(coef):
    xp, _ = get_namespace(coef)
    return float(xp.sqrt(xp.sum(coef * coef)))


def _is_finite(state, value):
    # max|w| is finite exactly when every coefficient is (NaN propagates).
    with np.errstate(over="ignore", invalid="ignore"):
        max_abs = float(xp_max_abs(state.coef))
    return bool(
        np.isfinite(value) and np.isfinite(_max_abs_any(state.intercept)) and np.isfinite(max_abs)
    )


# A fit whose objective ends this many times above both the all-zero
# model's and its starting point's has diverged: no step that converges
# leaves the objective there.
DIVERGENCE_GROWTH = 1e4


def _divergence_threshold(objective, state):
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
    xp, _ = get_namespace(state.coef)
    if float(xp_max_abs(state.coef)) > 0 or _max_abs_any(state.intercept) > 0:
        # A warm start: J at the start costs a pass over X.
        with np.errstate(over="ignore", invalid="ignore"):
            reference = max(reference, objective.value(state.coef, state.intercept))
    # From a start at J = 0 (the perceptron loss, or targets inside the
    # epsilon tube) growth has no scale: only non-finite values count there.
    return DIVERGENCE_GROWTH * reference if reference > 0 else np.inf


def _raise_diverged(epoch, schedule):
    if schedule.kind == "optimal":
        advice = (
            f"learning_rate='optimal' starts at eta={schedule(1.0):.3g}, too large "
            "here (it suits the hinge and log losses); use learning_rate="
            "'constant', 'invscaling' or 'adaptive' with a smaller eta0"
        )
    else:
        advice = f"lower eta0 (now {schedule.eta0:g})"
    raise ValueError(
        f"The fit diverged (epoch {epoch}): the coefficients or the objective became "
        f"infinite or NaN, or the objective grew over {DIVERGENCE_GROWTH:g} times "
        "above its starting value, or loss derivatives were still beyond 1e12 at "
        "the end. "
        f"The step size is too large for this data: {advice}, or scale the "
        "features first (for example with StandardScaler in a Pipeline)."
    )


def _pick_epoch(objective, batch_size, compiled):
    if batch_size is None:
        return _full_batch_epoch
    if hasattr(objective, "blockwise_epoch"):
        return objective.blockwise_epoch
    numpy_input = isinstance(objective.y, np.ndarray) and (
        isinstance(objective.X, np.ndarray) or sp.issparse(objective.X)
    )
    if compiled and numpy_input:
        multinomial = hasattr(objective, "n_classes")
        return _compiled_multinomial_epoch if multinomial else _compiled_epoch
    return _generic_epoch


def _full_batch_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    # The objective and gradient at the current iterate were computed at the
    # end of the previous iteration: one pass over X per iteration.
    if state.full_gradient is None:
        state.full_gradient = objective.loss_gradient(state.coef, state.intercept)
    if schedule.kind == "line_search":
        _backtracking_step(objective, state, schedule)
    else:
        _, grad, grad_intercept = state.full_gradient
        eta = schedule(state.t)
        coef = _step(objective, state, step_rule, grad, grad_intercept, eta)
        if not step_rule.applies_l1:
            coef = objective.penalty.prox_l1(coef, eta)
        state.coef = coef
        state.full_gradient = objective.loss_gradient(state.coef, state.intercept)
    _update_average(state, average)
    state.t += 1.0
    return state.full_gradient[0] + objective.penalty.value(state.coef)


def _backtracking_step(objective, state, schedule):
    """A proximal gradient step whose size is found by backtracking.

    With ``F`` the smooth part (loss + L2), the step ``η`` is halved until
    ``F(w⁺) − F(w) ≤ ∇F(w)·(w⁺ − w) + ||w⁺ − w||² / 2η`` (Beck and Teboulle's
    condition, which makes the objective decrease monotonically). The search
    starts from the last accepted step, doubled when that step passed at
    once, so that a too small ``eta0`` costs a few iterations only.

    Near the optimum ``F(w⁺) − F(w)`` drowns in the rounding error of ``F``;
    there it is estimated by the trapezoid rule ``½ (∇F(w) + ∇F(w⁺))·(w⁺ − w)``
    instead (Hager and Zhang's approximate Wolfe idea), which stays accurate,
    so the gradient can still be driven to a tight tolerance.
    """
    xp = objective.xp
    penalty = objective.penalty
    loss, grad, grad_intercept = state.full_gradient
    coef, intercept = state.coef, state.intercept
    grad = grad + penalty.smooth_gradient(coef)
    smooth = loss + 0.5 * penalty.l2 * float(xp.sum(coef * coef))
    eta = schedule.current_eta0
    if schedule.passed_at_once:
        eta *= 2.0
    schedule.passed_at_once = True
    # Data on a cluster: each pass is a round trip, so the trials come in
    # batches of TRIALS_PER_PASS from one pass (without L1, the trial points
    # lie on one line, w − η ∇F). The iterates are those of one trial a pass.
    batched = hasattr(objective, "trial_evaluations") and not penalty.l1
    for halvings in range(MAX_HALVINGS):
        coef_new = penalty.prox_l1(coef - eta * grad, eta)
        intercept_new = intercept - eta * grad_intercept
        if not batched:
            evaluation = objective.loss_gradient(coef_new, intercept_new)
        else:
            if halvings % TRIALS_PER_PASS == 0:
                steps = eta * 0.5 ** np.arange(TRIALS_PER_PASS)
                pending = iter(
                    objective.trial_evaluations(coef, intercept, grad, grad_intercept, steps)
                )
            evaluation = next(pending)
        step = coef_new - coef
        step_intercept = intercept_new - intercept
        slope = _dot(grad, step) + _dot(grad_intercept, step_intercept)
        model = slope + (_dot(step, step) + _dot(step_intercept, step_intercept)) / (2.0 * eta)
        change = evaluation[0] + 0.5 * penalty.l2 * float(xp.sum(coef_new * coef_new)) - smooth
        if abs(change) <= ROUNDING * abs(smooth):
            grad_new = evaluation[1] + penalty.smooth_gradient(coef_new)
            change = 0.5 * (slope + _dot(grad_new, step) + _dot(evaluation[2], step_intercept))
        if np.isfinite(change) and change <= model:
            state.coef, state.intercept, state.full_gradient = coef_new, intercept_new, evaluation
            schedule.current_eta0 = eta
            return
        schedule.passed_at_once = False
        eta *= 0.5
    # No step decreases the objective: the iterate is stationary to machine precision.


# Halvings before the backtracking line search gives up on a step.
MAX_HALVINGS = 60
# Trials evaluated per pass where a pass is a round trip (see above).
TRIALS_PER_PASS = 2
# Below this relative change of F, the line search measures it by gradients.
ROUNDING = 1e-10


def _generic_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    xp = objective.xp
    loss_sum = 0.0
    for start in range(0, objective.n_samples, batch_size):
        rows = order[start : start + batch_size]
        if not isinstance(objective.X, np.ndarray) and not sp.issparse(objective.X):
            # The permutation is drawn by NumPy (the same shuffles as a NumPy
            # fit); only these indices go to X's device, never X.
            rows = xp.asarray(rows, device=objective.device)
        loss, grad, grad_intercept = objective.loss_gradient(state.coef, state.intercept, rows)
        grad_intercept = grad_intercept * _intercept_decay(objective)
        loss_sum += loss * rows.shape[0]
        eta = schedule(state.t)
        coef = _step(objective, state, step_rule, grad, grad_intercept, eta)
        if objective.penalty.l1 and not step_rule.applies_l1:
            state.l1_total += eta * objective.penalty.l1
            coef, state.l1_applied = truncate_l1(
                coef, state.l1_total, state.l1_applied, _touched(objective, rows)
            )
        state.coef = coef
        _update_average(state, average)
        state.t += 1.0
    return loss_sum / objective.n_samples + objective.penalty.value(state.coef)


# scikit-learn's SGD moves the intercept 100 times more slowly on sparse
# data: every row updates it, while a sparse feature sees few rows. The
# sampled-row solvers do the same, so that sgd on CSR input follows
# SGDClassifier and SGDRegressor step for step. The optimum does not change.
SPARSE_INTERCEPT_DECAY = 0.01


def _intercept_decay(objective):
    return SPARSE_INTERCEPT_DECAY if objective.is_sparse else 1.0


def _step(objective, state, step_rule, grad, grad_intercept, eta):
    """Apply the step rule; the intercept and the rule's state go into ``state``,
    the new coefficients are returned for the caller's L1 handling."""
    coef, state.intercept, state.step_state = step_rule.update(
        state.coef, state.intercept, grad, grad_intercept, eta, objective.penalty, state.step_state
    )
    return coef


def _touched(objective, rows):
    """Features the rows have non-zero entries in, the same for dense and CSR."""
    if not objective.is_sparse:
        xp = objective.xp
        return xp.any(take_rows(objective.X, rows) != 0, axis=0)
    touched = np.zeros(objective.n_features, dtype=bool)
    rows_X = objective.X[rows]
    touched[rows_X.indices[rows_X.data != 0]] = True
    return touched


def _update_average(state, average):
    if 0 < average <= state.t:
        weight = 1.0 / (state.t - average + 1.0)
        state.average_coef = state.average_coef + (state.coef - state.average_coef) * weight
        state.average_intercept += (state.intercept - state.average_intercept) * weight


def _kernel_rows(X, dtype):
    """X as the kernels take it: ``(X, data, indices, indptr)`` with X=None for CSR."""
    if sp.issparse(X):
        return None, X.data, X.indices, X.indptr
    dense = X if X.flags.c_contiguous else np.ascontiguousarray(X)
    return dense, None, None, None


def _compiled_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    dtype = state.coef.dtype
    dense, data, indices, indptr = _kernel_rows(objective.X, dtype)
    coef = np.array(state.coef, dtype=dtype, copy=True)
    momentum = state.step_state is not None
    if momentum:
        velocity = np.array(state.step_state.coef, dtype=dtype, copy=True)
        velocity_intercept = state.step_state.intercept
        grad = np.zeros_like(coef)
    else:
        velocity, velocity_intercept = np.zeros(0, dtype=dtype), 0.0
        grad = np.zeros(0, dtype=dtype)
    scalars = np.array(
        [state.intercept, velocity_intercept, state.average_intercept, state.l1_total, 0.0]
    )
    average_coef = np.array(state.average_coef, dtype=dtype, copy=True)
    l1_applied = np.array(state.l1_applied, dtype=np.float64, copy=True)
    penalty = objective.penalty
    loss_sum, state.t = _kernels.run_epoch(
        dense,
        data,
        indices,
        indptr,
        objective.y,
        objective.sample_weight,
        order,
        coef,
        scalars,
        velocity,
        average_coef,
        l1_applied,
        np.empty(batch_size),
        grad,
        batch_size,
        objective.fit_intercept,
        objective.loss.code,
        objective.loss.param,
        penalty.l2,
        penalty.l1,
        step_rule.code,
        getattr(step_rule, "momentum", 0.0),
        *schedule.kernel_args(),
        state.t,
        average,
        _intercept_decay(objective),
    )
    state.coef = coef
    state.intercept = float(scalars[0])
    state.average_coef = average_coef
    state.average_intercept = float(scalars[2])
    state.l1_total = float(scalars[3])
    objective.n_clipped += int(scalars[4])
    state.l1_applied = l1_applied
    if momentum:
        state.step_state = type(state.step_state)(velocity, float(scalars[1]))
    return loss_sum / objective.n_samples + penalty.value(coef)


def _compiled_multinomial_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    dtype = state.coef.dtype
    dense, data, indices, indptr = _kernel_rows(objective.X, dtype)
    coef = np.array(state.coef, dtype=dtype, copy=True)
    n_classes = coef.shape[0]
    momentum = state.step_state is not None
    intercepts = np.zeros((3, n_classes))
    intercepts[0] = state.intercept
    intercepts[2] = state.average_intercept
    if momentum:
        velocity = np.array(state.step_state.coef, dtype=dtype, copy=True)
        intercepts[1] = state.step_state.intercept
        grad = np.zeros_like(coef)
    else:
        velocity = grad = np.zeros((0, 0), dtype=dtype)
    average_coef = np.array(state.average_coef, dtype=dtype, copy=True)
    l1_applied = np.array(state.l1_applied, dtype=np.float64, copy=True)
    scalars = np.array([state.l1_total])
    penalty = objective.penalty
    loss_sum, state.t = _kernels.run_multinomial_epoch(
        dense,
        data,
        indices,
        indptr,
        objective.y,
        objective.sample_weight,
        order,
        coef,
        intercepts,
        velocity,
        average_coef,
        l1_applied,
        scalars,
        np.empty((batch_size, n_classes)),
        grad,
        batch_size,
        objective.fit_intercept,
        penalty.l2,
        penalty.l1,
        step_rule.code,
        getattr(step_rule, "momentum", 0.0),
        *schedule.kernel_args(),
        state.t,
        average,
        _intercept_decay(objective),
    )
    state.coef = coef
    state.intercept = intercepts[0].astype(dtype)
    state.average_coef = average_coef
    state.average_intercept = intercepts[2].astype(dtype)
    state.l1_total = float(scalars[0])
    state.l1_applied = l1_applied
    if momentum:
        state.step_state = type(state.step_state)(velocity, intercepts[1].astype(dtype))
    return loss_sum / objective.n_samples + penalty.value(coef)
