"""The compiled epoch of per-sample and small-batch gradient descent, for K >= 1 rows.

One kernel, :func:`run_epoch`, serves sgd (``batch_size=1``), minibatch and
momentum for ``K`` rows of coefficients: one row for regression and for each
binary (one-vs-rest) problem, with any loss of :mod:`skgd._loss._kernels`,
and ``K`` rows for the multinomial log loss. The rows differ only in the
link from raw predictions to loss derivatives (:func:`_one_row_link`,
:func:`_softmax_link`); the steps, the schedule and the averaging are one
code for both. It runs on dense C-contiguous arrays and on CSR matrices, in
float32 and float64: numba specializes it on the types it sees (``X=None``
selects the CSR rows) and caches each specialization on disk. The arithmetic
mirrors the generic path in :mod:`skgd._solvers._first_order` step for step,
so both give the same iterates; ``tests/test_solvers.py`` checks it.

The kernel holds no global state: everything it changes is passed in, as a
:class:`KernelState` of arrays, with the constants in a :class:`KernelSettings`.
"""

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from skgd._loss._kernels import MAX_DLOSS, sgd_loss_gradient
from skgd._schedules import learning_rate
from skgd._solvers._kernel_rows import (
    _in_coef_type,
    _prefetch_ahead,
    _row_axpy,
    _row_dot,
    _row_norms,
    _row_truncate_l1,
    squared_norm,
    track_squared_norm,
)

# Step rules.
PLAIN = 0
MOMENTUM = 1
NESTEROV = 2

# numba counts the references to the arrays every compiled function takes
# (an atomic update on entry and on exit), and prunes those counts only
# where no code between them may raise. The epoch's helpers run once per
# step, per row for sgd: unpruned, the counts made an epoch several times
# slower. So the helpers are inlined into the epoch (``forceinline``), and
# float division by zero gives inf or nan instead of raising (NumPy's error
# model): no divisor here is ever zero (the weight scale stays above
# ``settings.reference_fold``, the losses divide by ``1 + e`` with ``e ≥ 0``), and a fit
# that overflows is caught as diverged all the same.
_NO_RAISE = {"error_model": "numpy"}
_INLINE = {"forceinline": True, **_NO_RAISE}
_jit = njit(cache=True, nogil=True, **_NO_RAISE)
_inline = njit(cache=True, nogil=True, **_INLINE)


class KernelState(NamedTuple):
    """What an epoch changes, in place: arrays with one row per coefficient row.

    Attributes
    ----------
    coef : ndarray of shape (K, n_features)
        The coefficients, in X's dtype.
    intercept : ndarray of shape (K,), float64
    velocity : ndarray of shape (K, n_features), or (K, 0) without momentum
        The heavy-ball velocity, in the coefficients' dtype.
    velocity_intercept : ndarray of shape (K,), float64
    average_coef : ndarray of shape (K, n_features)
        The running average (ASGD), in the coefficients' dtype.
    average_intercept : ndarray of shape (K,), float64
    l1_applied : ndarray of shape (K, n_features), in the coefficients' dtype
        The L1 penalty each weight did receive (cumulative truncation).
    l1_total : ndarray of shape (1,), float64
        The L1 penalty a weight could have received so far.
    n_clipped : ndarray of shape (1,), int64
        The loss derivatives clipped at ``MAX_DLOSS`` in the epoch.
    running_norms : ndarray of shape (K, 2), float64
        ``‖w‖²`` and ``‖w‖₁`` of each row as scikit-learn's WeightVector
        keeps them for its stopping rule (see :func:`_running_norms`).
    average_reference : ndarray of shape (3,), float64
        scikit-learn's lazy-average scalars ``(wscale, a, b)``, which decide
        how an L1 truncation moves its average (see :func:`truncation_gain`).
    weight_scale : ndarray of shape (1,), float64
        ``wscale``, with ``coef`` holding ``v``: the true coefficients are
        ``wscale · v``. It carries over from epoch to epoch, as in
        scikit-learn, where folding it in would round ``v`` differently.
    """

    coef: np.ndarray
    intercept: np.ndarray
    velocity: np.ndarray
    velocity_intercept: np.ndarray
    average_coef: np.ndarray
    average_intercept: np.ndarray
    l1_applied: np.ndarray
    l1_total: np.ndarray
    n_clipped: np.ndarray
    running_norms: np.ndarray
    average_reference: np.ndarray
    weight_scale: np.ndarray


class KernelSettings(NamedTuple):
    """What an epoch holds constant.

    Attributes
    ----------
    fit_intercept : bool
    loss_code, loss_param : int, float
        The loss of one row (:mod:`skgd._loss._kernels`); ``K > 1`` rows
        take the softmax cross-entropy.
    l2, l1 : float
        The penalty's strengths.
    penalty_alpha, l1_ratio : float
        Its ``alpha`` and ``l1_ratio``, from which the steps compute their
        shrinkage and truncation as scikit-learn does.
    step_rule, momentum : int, float
        ``PLAIN``, ``MOMENTUM`` or ``NESTEROV``, and the momentum.
    schedule, eta0, power_t, alpha, optimal_init : int, float, float, float, float
        The learning-rate schedule, as :func:`learning_rate` takes it.
    average_start : float
        Average the iterates from update ``average_start`` on (0: never).
    intercept_decay : float
        The factor on the intercepts' gradient.
    batch_size : int
        Rows per step.
    running_sums : bool
        Sum, row by row, scikit-learn's running objective for its stopping
        rule: the unweighted loss plus the penalty at the running norms.
    reference_fold : float
        scikit-learn's threshold for folding its weight scale (1e-9 in
        float64, 1e-6 in float32), which ``average_reference`` follows.
    """

    fit_intercept: bool
    loss_code: int
    loss_param: float
    l2: float
    l1: float
    penalty_alpha: float
    l1_ratio: float
    step_rule: int
    momentum: float
    schedule: int
    eta0: float
    power_t: float
    alpha: float
    optimal_init: float
    average_start: float
    intercept_decay: float
    batch_size: int
    running_sums: bool
    reference_fold: float


@_jit
def run_epoch(rows, y, sample_weight, order, state, settings, t):
    """Make one pass over the rows in ``order``, ``settings.batch_size`` rows a step.

    Each step computes the batch's raw predictions with the coefficients from
    before the step, turns them into loss derivatives (the link), then moves
    the ``K`` rows of ``state.coef`` by a plain step (:func:`_plain_step`) or
    a momentum step (:func:`_momentum_step`), and updates the running
    average (:func:`_average_step`).

    Parameters
    ----------
    rows : tuple
        ``(X, None, None, None)`` for dense C-contiguous rows, ``(None, data,
        indices, indptr)`` for CSR rows.
    y : ndarray of shape (n_samples,)
        Targets for one row of coefficients, class indices for ``K > 1`` rows.
    sample_weight : ndarray of shape (n_samples,)
    order : ndarray of int
        The rows in the order the epoch visits them.
    state : KernelState
        Updated in place.
    settings : KernelSettings
    t : float
        The update counter (from 1) at the epoch's start.

    Returns
    -------
    loss_sum : float
        The sample-weighted sum of the losses met before each update.
    running_sum : float
        With ``settings.running_sums``, scikit-learn's running objective
        summed over the rows (else 0).
    t : float
        The update counter after the epoch.
    """
    if _is_single_row_sgd(state, settings):
        return _single_row_sgd_epoch(rows, y, sample_weight, order, state, settings, t)
    n_classes, n_rows = state.coef.shape[0], order.shape[0]
    # A row's raw predictions, which the link turns into its loss
    # derivatives; the batch's weighted derivatives; a momentum step's gradient.
    scores = np.empty(n_classes)
    dloss = np.empty((settings.batch_size, n_classes))
    row_weight = np.empty(settings.batch_size)
    grad = np.zeros_like(state.velocity)
    plain = settings.step_rule == PLAIN
    # Plain steps keep w = wscale·v, and the lazy average (A, a, b) of
    # _average_step, which starts as (average, 0, 1).
    lazy_average = plain and settings.average_start > 0
    wscale, average_scale, average_norm = state.weight_scale[0], 0.0, 1.0
    settled_at = wscale
    loss_sum = running_sum = 0.0
    n_clipped = 0
    for start in range(0, n_rows, settings.batch_size):
        stop = min(start + settings.batch_size, n_rows)
        # The rows' loop is here rather than in a helper: the loss of one row
        # is compiled with Python's error model and may raise.
        for k in range(start, stop):
            i = order[k]
            _prefetch_ahead(rows, y, sample_weight, order, k)
            for c in range(n_classes):
                scores[c] = _raw_prediction(rows, i, state, c, wscale)
            if n_classes == 1:
                value, scores[0], clipped = _one_row_link(
                    settings.loss_code, settings.loss_param, y[i], scores[0]
                )
                n_clipped += clipped
            else:
                value = _softmax_link(y[i], scores)
            loss_sum += sample_weight[i] * value
            if settings.running_sums:
                running_sum += value + _running_penalty(state.running_norms, settings)
            for c in range(n_classes):
                dloss[k - start, c] = scores[c]
            row_weight[k - start] = sample_weight[i] / (stop - start)
        eta = _step_size(settings, t)
        if plain:
            batch = (start, stop, dloss, row_weight)
            wscale = _plain_step(rows, order, batch, state, settings, eta, wscale, average_scale)
            wscale, average_scale, average_norm, settled_at = _fold_when_small(
                state, settings, lazy_average, wscale, average_scale, average_norm, settled_at
            )
        else:
            _momentum_step(rows, order, start, stop, state, settings, dloss, row_weight, grad, eta)
        if 0 < settings.average_start <= t:
            weight = 1.0 / (t - settings.average_start + 1.0)
            average_scale, average_norm = _average_step(
                state, weight, wscale, lazy_average, average_scale, average_norm
            )
        if plain and settings.l1 > 0.0:
            # After the average, as in scikit-learn: the truncation then
            # moves the average too (see truncation_gain).
            _l1_step(
                rows, order, start, stop, state, settings, eta, wscale, average_scale, average_norm
            )
        t += 1.0
    if lazy_average:
        _settle(state, 1.0, lazy_average, average_scale, average_norm)
    state.weight_scale[0] = wscale
    state.n_clipped[0] = n_clipped
    return loss_sum, running_sum, t


@_inline
def _is_single_row_sgd(state, settings):
    """Plain sgd of one coefficient row, without L1 or averaging: the default fits."""
    return (
        state.coef.shape[0] == 1
        and settings.batch_size == 1
        and settings.step_rule == PLAIN
        and settings.l1 == 0.0
        and settings.average_start == 0.0
    )


@_inline
def _single_row_sgd_epoch(rows, y, sample_weight, order, state, settings, t):
    """:func:`run_epoch` for :func:`_is_single_row_sgd` settings, with its arithmetic.

    The general loop's buffers, its loops over the classes and over a
    batch, and its branches for averaging and L1 cost more than the
    arithmetic on small data: a default classifier fit's epoch on 1,000 ×
    20 took 39 µs there and takes 29 µs here (the regressor's 78 and 48 µs,
    with the next step size and the running norm below). Each value is
    computed as there, in the same order, so that both give bit-identical
    models.
    """
    coef = state.coef
    wscale = state.weight_scale[0]
    intercept = state.intercept[0]
    loss_sum = running_sum = 0.0
    n_clipped = 0
    # ‖v‖², which track_squared_norm keeps up to date.
    squares = squared_norm(coef, 0)
    eta = _step_size(settings, t)
    for k in range(order.shape[0]):
        i = order[k]
        _prefetch_ahead(rows, y, sample_weight, order, k)
        # The next step's size, computed here to overlap with this step's
        # arithmetic, which waits on the last step's update.
        next_eta = _step_size(settings, t + 1.0)
        dot = _row_dot(rows, i, coef, 0)
        score = _in_coef_type(wscale * dot, coef) + intercept
        value, dloss, clipped = _one_row_link(settings.loss_code, settings.loss_param, y[i], score)
        n_clipped += clipped
        loss_sum += sample_weight[i] * value
        if settings.running_sums:
            running_sum += value + _running_penalty(state.running_norms, settings)
        shrink = 1.0
        if settings.l2 > 0.0:
            shrink = 1.0 - ((1.0 - settings.l1_ratio) * eta) * settings.penalty_alpha
        if shrink <= 0.0:
            coef[0, :] = 0.0
            wscale, squares = 1.0, 0.0
        else:
            wscale *= _in_coef_type(shrink, coef)
        _shrink_references(state, max(shrink, 0.0), settings.reference_fold)
        update = (-eta * dloss) * sample_weight[i]
        if update != 0.0:
            scale = np.float64(_in_coef_type(update, coef) / _in_coef_type(wscale, coef))
            _row_axpy(rows, i, scale, coef, 0)
            if settings.running_sums:
                squares = track_squared_norm(rows, i, state, wscale, squares, scale, dot)
            if settings.fit_intercept:
                intercept += update * settings.intercept_decay
        if wscale < settings.reference_fold:
            # As _fold_when_small without an average.
            coef[0, :] *= _in_coef_type(wscale, coef)
            wscale, squares = 1.0, squared_norm(coef, 0)
        eta = next_eta
        t += 1.0
    state.intercept[0] = intercept
    state.weight_scale[0] = wscale
    state.n_clipped[0] = n_clipped
    return loss_sum, running_sum, t


@_inline
def _raw_prediction(rows, i, state, c, wscale):
    """``wscale · (x_i · v) + intercept``, the product in the coefficients' dtype as in
    scikit-learn's ``WeightVector.dot``."""
    dot = _in_coef_type(wscale * _row_dot(rows, i, state.coef, c), state.coef)
    return dot + state.intercept[c]


@_inline
def _fold_when_small(
    state, settings, lazy_average, wscale, average_scale, average_norm, settled_at
):
    """Fold ``wscale`` into the weights, or settle the lazy average, when it has fallen.

    The scale folds where scikit-learn folds its own (elsewhere ``v`` would
    round differently). The lazy average settles alone whenever the scale
    has fallen 100-fold since its last settling: ``A + a·v`` cancels about
    as many digits as that. Returns the new ``(wscale, a, b, settled_at)``.
    """
    if wscale < settings.reference_fold:
        _settle(state, wscale, lazy_average, average_scale, average_norm)
        return 1.0, 0.0, 1.0, 1.0
    if lazy_average and wscale < 1e-2 * settled_at:
        _settle(state, 1.0, lazy_average, average_scale, average_norm)
        return wscale, 0.0, 1.0, wscale
    return wscale, average_scale, average_norm, settled_at


@_inline
def _step_size(settings, t):
    s = settings
    return learning_rate(s.schedule, s.eta0, s.power_t, s.alpha, s.optimal_init, t)


@_inline
def _running_penalty(norms, settings):
    """The penalty at scikit-learn's running norms, summed over the rows."""
    total = 0.0
    for c in range(norms.shape[0]):
        total += 0.5 * settings.l2 * norms[c, 0] + settings.l1 * norms[c, 1]
    return total


# The link: from a row's raw predictions to its loss and loss derivatives.


@_inline
def _one_row_link(loss_code, loss_param, y, p):
    """The loss of one raw prediction ``p`` and its derivative, clipped at ``MAX_DLOSS``.

    Returns ``(loss, derivative, 1 if it was clipped else 0)``.
    """
    value, dloss = sgd_loss_gradient(loss_code, loss_param, y, p)
    if abs(dloss) > MAX_DLOSS:
        # Counted: a derivative this large means the fit has diverged.
        return value, math.copysign(MAX_DLOSS, dloss), 1
    return value, dloss, 0


@_inline
def _softmax_link(y, scores):
    """The softmax cross-entropy of class ``y``; ``scores`` become its derivatives.

    One log-sum-exp; the derivatives ``pₖ − [k = y]`` are bounded, so none is
    clipped.
    """
    top = -np.inf
    for c in range(scores.shape[0]):
        top = max(top, scores[c])
    total = 0.0
    for c in range(scores.shape[0]):
        total += math.exp(scores[c] - top)
    log_partition = top + math.log(total)
    label = int(y)
    value = log_partition - scores[label]
    for c in range(scores.shape[0]):
        scores[c] = math.exp(scores[c] - log_partition) - (1.0 if c == label else 0.0)
    return value


# The steps. ``dloss[r, c]`` is the weighted derivative of the batch's row
# ``r`` in its raw prediction ``c``.


@_inline
def _plain_step(rows, order, batch, state, settings, eta, wscale, average_scale):
    """``w ← max(0, 1 − η·l2)·w − η g``, and the intercepts' step.

    ``batch`` is ``(start, stop, dloss, row_weight)``: the batch's rows in
    ``order``, their loss derivatives and their weights over the batch size.

    In scaled units ``w = wscale · v``, so that the L2 shrinkage costs O(1)
    and a step O(nnz of the batch), as in scikit-learn's WeightVector, with
    its operations in its order: a row's update ``(−η·dloss)·weight`` moves
    ``v`` by ``update / wscale`` times the row and the intercept by
    ``update`` times the intercept decay. A change of ``v`` moves the lazy
    average's ``A`` by ``−a`` times it (see :func:`_average_step`). Returns
    the new ``wscale``.
    """
    start, stop, dloss, row_weight = batch
    n_classes, n_features = state.coef.shape
    shrink = 1.0
    if settings.l2 > 0.0:
        shrink = 1.0 - ((1.0 - settings.l1_ratio) * eta) * settings.penalty_alpha
    if shrink <= 0.0:
        # The step would scale through zero: clamp at zero, as scikit-learn
        # does, and keep the lazy average A + a·v where it was.
        for c in range(n_classes):
            for j in range(n_features):
                state.average_coef[c, j] += average_scale * state.coef[c, j]
                state.coef[c, j] = 0.0
        wscale = 1.0
    else:
        # WeightVector.scale takes the factor in the coefficients' dtype.
        wscale *= _in_coef_type(shrink, state.coef)
    _shrink_references(state, max(shrink, 0.0), settings.reference_fold)
    for k in range(start, stop):
        for c in range(n_classes):
            update = (-eta * dloss[k - start, c]) * row_weight[k - start]
            if update != 0.0:
                # WeightVector.add: the quotient in the coefficients' dtype,
                # the product in float64.
                coef_wscale = _in_coef_type(wscale, state.coef)
                scale = np.float64(_in_coef_type(update, state.coef) / coef_wscale)
                _row_axpy(rows, order[k], scale, state.coef, c)
                if settings.running_sums:
                    _running_norms(rows, order[k], state, c, wscale)
                if average_scale != 0.0:
                    _row_axpy(rows, order[k], scale * -average_scale, state.average_coef, c)
                if settings.fit_intercept:
                    state.intercept[c] += update * settings.intercept_decay
    return wscale


@_inline
def _running_norms(rows, i, state, c, wscale):
    """scikit-learn's ``‖w‖²`` and ``‖w‖₁`` after an update: over ``x_i``'s entries only."""
    squares, absolutes = _row_norms(rows, i, state.coef, c)
    state.running_norms[c, 0] = squares * wscale * wscale
    state.running_norms[c, 1] = absolutes * wscale


@_inline
def _shrink_references(state, shrink, reference_fold):
    """Scale scikit-learn's running norms and weight scale as its ``w.scale`` does.

    Its norms are those of the last row's update, scaled since (see
    :func:`_running_norms`); its weight scale folds, and resets its lazy
    average's ``(a, b)``, below ``reference_fold``.
    """
    for c in range(state.running_norms.shape[0]):
        state.running_norms[c, 0] *= shrink * shrink
        state.running_norms[c, 1] *= shrink
    reference = state.average_reference
    reference[0] *= shrink
    if reference[0] < reference_fold:
        reference[0], reference[1], reference[2] = 1.0, 0.0, 1.0


@_inline
def _l1_step(rows, order, start, stop, state, settings, eta, wscale, average_scale, average_norm):
    """L1 by cumulative truncation (Tsuruoka et al.), where the batch's rows have entries.

    Every feature of a dense row, the stored entries of a CSR row, as in
    scikit-learn. The truncation comes after the step's average, and moves
    the average by :func:`truncation_gain` times the weights' change.
    """
    state.l1_total[0] += (settings.l1_ratio * eta) * settings.penalty_alpha
    gain = truncation_gain(state.average_reference)
    # A change δ of v moves the average (A + a·v)/b by a·δ/b; this moves A
    # so that it moves by gain·wscale·δ instead.
    correction = gain * average_norm * wscale - average_scale
    for k in range(start, stop):
        for c in range(state.coef.shape[0]):
            _row_truncate_l1(rows, order[k], state, c, wscale, state.l1_total[0], correction)


@_inline
def _momentum_step(rows, order, start, stop, state, settings, dloss, row_weight, grad, eta):
    """``b ← μ b + (g + l2·w + l1·sign(w))``, then ``w ← w − η b`` (Nesterov: ``− η (g + μ b)``).

    ``grad`` is scratch of the coefficients' shape. Momentum moves every
    coordinate each step: no scale trick here.
    """
    momentum, nesterov = settings.momentum, settings.step_rule == NESTEROV
    grad[:, :] = 0.0
    for k in range(start, stop):
        for c in range(state.coef.shape[0]):
            if dloss[k - start, c] != 0.0:
                _row_axpy(rows, order[k], dloss[k - start, c] * row_weight[k - start], grad, c)
    for c in range(state.coef.shape[0]):
        _momentum_row(state.coef, state.velocity, grad, c, eta, settings)
        if settings.fit_intercept:
            g = _intercept_gradient(dloss, row_weight, stop - start, c, settings)
            velocity = momentum * state.velocity_intercept[c] + g
            state.velocity_intercept[c] = velocity
            if nesterov:
                state.intercept[c] -= eta * (g + momentum * velocity)
            else:
                state.intercept[c] -= eta * velocity


@_inline
def _momentum_row(coef, velocity, grad, c, eta, settings):
    """Row ``c`` of :func:`_momentum_step`, the penalty's gradient added to ``grad``."""
    momentum = settings.momentum
    for j in range(coef.shape[1]):
        g = grad[c, j] + settings.l2 * coef[c, j]
        if settings.l1 > 0.0 and coef[c, j] != 0.0:
            g += math.copysign(settings.l1, coef[c, j])
        # The step reads the velocity back in the coefficients' dtype, as
        # the generic path does.
        velocity[c, j] = momentum * velocity[c, j] + g
        if settings.step_rule == NESTEROV:
            coef[c, j] -= eta * (g + momentum * velocity[c, j])
        else:
            coef[c, j] -= eta * velocity[c, j]


@_inline
def _intercept_gradient(dloss, row_weight, n_batch, c, settings):
    """The batch's weighted derivatives in raw prediction ``c``, summed, times the decay."""
    total = 0.0
    for r in range(n_batch):
        total += dloss[r, c] * row_weight[r]
    return total * settings.intercept_decay


# The running average (ASGD).


@_inline
def _average_step(state, weight, wscale, lazy_average, average_scale, average_norm):
    """``avg ← (1 − weight)·avg + weight·w``; returns the lazy average's new ``(a, b)``.

    Plain steps keep the average as ``(A + a · v) / b`` (Xu, 2011): a step
    changes ``A`` only where it changes ``v``, and ``a``, ``b`` are scalars,
    so averaging costs O(nnz) a step too. ``state.average_coef`` holds ``A``
    during the epoch and the average itself before and after it. Momentum
    steps move every coordinate anyway and average densely.
    """
    if not lazy_average:
        for c in range(state.coef.shape[0]):
            _average_row(state.coef, state.average_coef, c, wscale, weight)
    elif weight == 1.0:
        # The first averaged step: the average is this iterate.
        state.average_coef[:, :] = 0.0
        average_scale, average_norm = wscale, 1.0
    else:
        average_norm /= 1.0 - weight
        average_scale += weight * average_norm * wscale
    for c in range(state.intercept.shape[0]):
        average_intercept = state.average_intercept[c]
        state.average_intercept[c] += (state.intercept[c] - average_intercept) * weight
    # scikit-learn's own (a, b), as its add_average moves them.
    reference = state.average_reference
    if weight < 1.0:
        reference[2] /= 1.0 - weight
    reference[1] += weight * reference[2] * reference[0]
    return average_scale, average_norm


@_inline
def truncation_gain(reference):
    """How far an L1 truncation moves scikit-learn's average, per unit change of ``w``.

    scikit-learn truncates ``v`` (``w = wscale·v``) after its average
    ``(aw + a·v)/b`` has taken the step, without moving ``aw``: a change
    ``Δw`` of a weight moves its average by ``a·Δw / (b·wscale)``.
    """
    return reference[1] / (reference[2] * reference[0])


@_inline
def _average_row(coef, average_coef, c, wscale, weight):
    for j in range(coef.shape[1]):
        average_coef[c, j] += (wscale * coef[c, j] - average_coef[c, j]) * weight


@_inline
def _settle(state, wscale, lazy_average, average_scale, average_norm):
    """Fold ``wscale`` into the coefficients, and the lazy average into ``average_coef``.

    The average ``(A + a·v) / b`` is independent of ``wscale``: with
    ``wscale = 1`` it settles alone.
    """
    # scikit-learn scales by wscale in the coefficients' dtype.
    coef_wscale = _in_coef_type(wscale, state.coef)
    for c in range(state.coef.shape[0]):
        for j in range(state.coef.shape[1]):
            if lazy_average:
                state.average_coef[c, j] = (
                    state.average_coef[c, j] + average_scale * state.coef[c, j]
                ) / average_norm
            state.coef[c, j] *= coef_wscale
