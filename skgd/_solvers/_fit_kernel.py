"""A whole first-order fit in one compiled call: every epoch, its shuffle and its stopping rule.

A small fit (a thousand rows) spends more time calling the epoch kernel and
checking after each epoch in Python than in the epochs themselves. Where
nothing needs to see each epoch (no callback, no ``verbose``, no early
stopping), :func:`run_fit` runs the loop of
:func:`skgd._solvers._first_order.first_order_solve` in the kernel, with the
same arithmetic in the same order, so that both give bit-identical models:
scikit-learn's shuffle, :func:`skgd._solvers._kernels.run_epoch`, the
epoch's objective (the penalty summed as NumPy sums, pairwise), the checks
for divergence and the plateau rule with ``adaptive``'s reductions. A call
runs a bounded number of epochs and returns ``PAUSED``, so that Python
handles a pending signal (Ctrl-C) between calls: a long fit stays
interruptible.
"""

from typing import NamedTuple

import numpy as np
from numba import njit

from skgd._objective._rows import _shuffle
from skgd._solvers._kernels import KernelSettings, run_epoch

# What run_fit reports.
REACHED_MAX_ITER = 0
CONVERGED = 1
OVERFLOW = 2
DIVERGED = 3
PAUSED = 4


class FitControl(NamedTuple):
    """What the Python loop of ``first_order_solve`` decides with, as constants.

    ``has_tol`` False runs ``max_iter`` epochs; ``diverged_above`` is the
    objective beyond which a step that cannot shrink (``can_recover``
    False) counts as divergence, unless the model is kept blown up
    (``keep_blown_up``, sgd); ``adaptive`` divides the step by
    ``adaptive_divisor`` on each plateau while it is above ``min_eta``.
    """

    max_iter: int
    has_tol: bool
    tol: float
    n_iter_no_change: int
    weight_scale: float
    n_samples: int
    keep_blown_up: bool
    can_recover: bool
    diverged_above: float
    adaptive: bool
    min_eta: float
    adaptive_divisor: float


class FitRun(NamedTuple):
    """One call's epochs (``first`` to ``last``), and what goes on from call to call.

    ``progress`` holds the plateau rule's best value and epochs without
    improvement, ``adaptive``'s step and the running objective; ``curve``
    receives the objective of this call's epochs.
    """

    first: int
    last: int
    progress: np.ndarray
    curve: np.ndarray


# numpy's pairwise summation: blocks of this many with 8 accumulators.
_PAIRWISE_BLOCK = 128


@njit(cache=True, nogil=True)
def run_fit(rows, y, sample_weight, index, seed, shuffle, state, settings, t, control, run):
    """Run epochs ``run.first`` to ``run.last`` of the fit; the state is updated in place.

    Parameters
    ----------
    rows, y, sample_weight, state, settings, t
        As :func:`~skgd._solvers._kernels.run_epoch` takes them, the state's
        ``coef`` scaled by ``state.weight_scale`` between epochs.
    index, seed, shuffle
        scikit-learn's row order (:class:`~skgd._objective._rows.RowOrder`).
    control : FitControl
    run : FitRun
        Where this call starts and stops, and the stopping rule's progress
        (``best``, ``no_improvement``, ``eta0``, the running objective),
        carried from call to call; ``curve`` receives the objective after
        each epoch.

    Returns
    -------
    status : int
        ``PAUSED`` after ``run.last`` short of ``max_iter``, else
        ``REACHED_MAX_ITER``, ``CONVERGED``, ``OVERFLOW`` or ``DIVERGED``.
    epoch, t : int, float
        The last epoch run and the update counter.
    """
    progress = run.progress
    best, no_improvement, eta0 = progress[0], int(progress[1]), progress[2]
    epoch = run.first
    for epoch in range(run.first, run.last + 1):
        if shuffle:
            _shuffle(index, seed)
        current = _with_eta0(settings, eta0)
        loss_sum, running_sum, t = run_epoch(rows, y, sample_weight, index, state, current, t)
        value = loss_sum / control.weight_scale / control.n_samples
        value += _penalty_value(state.coef, state.weight_scale[0], settings.l2, settings.l1)
        checked = 0.0 if control.keep_blown_up else value
        if not _is_finite(state, checked):
            return OVERFLOW, epoch, t
        if not control.keep_blown_up and not control.can_recover:
            if value > control.diverged_above:
                return DIVERGED, epoch, t
        run.curve[epoch - run.first] = np.inf if np.isnan(value) else value
        if settings.running_sums:
            progress[3] = running_sum / control.n_samples
        if not control.has_tol:
            continue
        criterion = progress[3] if settings.running_sums else value
        no_improvement = no_improvement + 1 if criterion > best - control.tol else 0
        if criterion < best:
            best = criterion
        progress[0], progress[1] = best, no_improvement
        if no_improvement < control.n_iter_no_change:
            continue
        if control.adaptive and eta0 > control.min_eta:
            eta0, no_improvement = eta0 / control.adaptive_divisor, 0
            progress[1], progress[2] = 0, eta0
            continue
        return CONVERGED, epoch, t
    if epoch < control.max_iter:
        return PAUSED, epoch, t
    return REACHED_MAX_ITER, epoch, t


@njit(cache=True, nogil=True)
def _is_finite(state, value):
    """Whether the objective value, the intercepts and ``wscale · v`` are finite."""
    if not np.isfinite(value):
        return False
    for c in range(state.intercept.shape[0]):
        if not np.isfinite(state.intercept[c]):
            return False
    wscale = state.weight_scale[0]
    coef = state.coef
    for c in range(coef.shape[0]):
        for j in range(coef.shape[1]):
            if not np.isfinite(coef[c, j] * wscale):
                return False
    return True


@njit(cache=True, nogil=True)
def _penalty_value(scaled, wscale, l2, l1):
    """``Penalty.value(wscale · v)``, its sums NumPy's pairwise ones."""
    if l2 == 0.0 and l1 == 0.0:
        return 0.0
    coef = scaled.ravel() * wscale if wscale != 1.0 else scaled.ravel()
    value = 0.0
    if l2:
        value += 0.5 * l2 * _pairwise_sum(coef * coef)
    if l1:
        value += l1 * _pairwise_sum(np.abs(coef))
    return value


@njit(cache=True, nogil=True)
def _pairwise_sum(a):
    """``np.sum(a)`` for a float64 vector, in NumPy's order of additions.

    NumPy halves the vector (at a multiple of 8) until a part holds at most
    128 values, sums each part with 8 accumulators and adds the halves back
    up the tree. The tree is walked here with a stack rather than by
    recursion, which numba's cache does not reload safely.
    """
    n = a.shape[0]
    if n <= _PAIRWISE_BLOCK:
        return _block_sum(a, 0, n)
    # (start, length, children visited) per pending part; the parts' sums.
    parts = np.empty((64, 3), dtype=np.int64)
    sums = np.empty(64)
    n_parts = n_sums = 0
    parts[0, 0], parts[0, 1], parts[0, 2] = 0, n, 0
    n_parts = 1
    while n_parts:
        start, length, visited = parts[n_parts - 1]
        if length <= _PAIRWISE_BLOCK:
            n_parts -= 1
            sums[n_sums] = _block_sum(a, start, length)
            n_sums += 1
            continue
        half = length // 2
        half -= half % 8
        if visited == 2:
            n_parts -= 1
            sums[n_sums - 2] = sums[n_sums - 2] + sums[n_sums - 1]
            n_sums -= 1
            continue
        parts[n_parts - 1, 2] = visited + 1
        child_start = start if visited == 0 else start + half
        child_length = half if visited == 0 else length - half
        parts[n_parts, 0], parts[n_parts, 1], parts[n_parts, 2] = child_start, child_length, 0
        n_parts += 1
    return sums[0]


@njit(cache=True, nogil=True)
def _block_sum(a, start, n):
    """NumPy's sum of at most 128 values: 8 accumulators, then the rest in order."""
    if n < 8:
        total = 0.0
        for i in range(n):
            total += a[start + i]
        return total
    r = a[start : start + 8].copy()
    i = 8
    while i < n - n % 8:
        for k in range(8):
            r[k] += a[start + i + k]
        i += 8
    total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
    while i < n:
        total += a[start + i]
        i += 1
    return total


@njit(cache=True, nogil=True)
def _with_eta0(s, eta0):
    """The settings with another ``eta0`` (``adaptive`` lowers it)."""
    return KernelSettings(
        s.fit_intercept,
        s.loss_code,
        s.loss_param,
        s.l2,
        s.l1,
        s.penalty_alpha,
        s.l1_ratio,
        s.step_rule,
        s.momentum,
        s.schedule,
        eta0,
        s.power_t,
        s.alpha,
        s.optimal_init,
        s.average_start,
        s.intercept_decay,
        s.batch_size,
        s.running_sums,
        s.reference_fold,
    )
