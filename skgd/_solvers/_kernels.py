"""Compiled epochs of per-sample and small-batch gradient descent.

One kernel serves sgd (``batch_size=1``), minibatch and momentum, on dense
C-contiguous arrays and on CSR matrices, in float32 and float64: numba
specializes it on the types it sees (``X=None`` selects the CSR rows) and
caches each specialization on disk. The arithmetic
mirrors the generic path in :mod:`skgd._solvers._first_order` step for step,
so both give the same iterates; ``tests/test_solvers.py`` checks it.

The kernels hold no global state: everything they change is passed in.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from skgd._loss._kernels import MAX_DLOSS, loss_value_gradient
from skgd._schedules import INVSCALING, OPTIMAL

# Step rules.
PLAIN = 0
MOMENTUM = 1
NESTEROV = 2


_jit = njit(cache=True, nogil=True)
# Reassociation lets LLVM vectorize the row dot products (several partial
# sums); NaN and inf semantics stay intact, so divergence is still detected.
# The results are deterministic from run to run on one machine.
_FASTMATH = {"reassoc", "contract", "nsz", "arcp"}


@_jit
def learning_rate(schedule, eta0, power_t, alpha, optimal_init, t):
    """Step size at update ``t`` (counted from 1), as in scikit-learn."""
    if schedule == OPTIMAL:
        return 1.0 / (alpha * (optimal_init + t - 1.0))
    if schedule == INVSCALING:
        return eta0 / t**power_t
    return eta0


# Row access, specialized at compile time: dense rows when ``X`` is an array,
# CSR rows (``data``, ``indices``, ``indptr``) when ``X`` is None. A runtime
# flag would keep both loops in one function and stop LLVM from vectorizing
# the dense one (measured: 3x slower epochs).


@intrinsic
def _prefetch(typingctx, array, i):
    """Hint the CPU to fetch ``array[i]`` (1-d) into cache: LLVM's prefetch."""

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, array, [args[1]], wraparound=False
        )
        i8_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module,
            ir.FunctionType(ir.VoidType(), [i8_pointer, i32, i32, i32]),
            "llvm.prefetch.p0i8",
        )
        # read access, keep in all cache levels, data cache
        builder.call(
            prefetch,
            [builder.bitcast(pointer, i8_pointer), i32(0), i32(3), i32(1)],
        )
        return context.get_dummy_value()

    return types.void(array, i), codegen


# Rows are visited in random order, and waiting for each one from memory is
# most of an epoch's time otherwise. While row k is processed, the rows
# PREFETCH_DISTANCE ahead (their values, their labels and weights) are on
# their way into cache, and for CSR the row pointers twice as far ahead, which
# locating those rows needs first. (Distance 8 measured best of 2–16 here: a
# sparse epoch went from 183 ms at distance 2 to 129 ms.)
PREFETCH_DISTANCE = 8


def _prefetch_ahead(X, data, indices, indptr, y, sample_weight, order, k):
    """Start fetching what the steps ``PREFETCH_DISTANCE`` and twice that ahead need."""
    raise NotImplementedError("compiled only")


@overload(_prefetch_ahead)
def _prefetch_ahead_impl(X, data, indices, indptr, y, sample_weight, order, k):
    # One hint per 64-byte cache line.
    if isinstance(X, types.NoneType):

        def csr(X, data, indices, indptr, y, sample_weight, order, k):
            n_rows = order.shape[0]
            if k + 2 * PREFETCH_DISTANCE < n_rows:
                _prefetch(indptr, order[k + 2 * PREFETCH_DISTANCE])
            if k + PREFETCH_DISTANCE < n_rows:
                i = order[k + PREFETCH_DISTANCE]
                for q in range(indptr[i], indptr[i + 1], max(1, 64 // data.itemsize)):
                    _prefetch(data, q)
                for q in range(indptr[i], indptr[i + 1], max(1, 64 // indices.itemsize)):
                    _prefetch(indices, q)
                _prefetch(y, i)
                _prefetch(sample_weight, i)

        return csr

    def dense(X, data, indices, indptr, y, sample_weight, order, k):
        if k + PREFETCH_DISTANCE < order.shape[0]:
            i = order[k + PREFETCH_DISTANCE]
            row = X[i]
            for j in range(0, row.shape[0], max(1, 64 // row.itemsize)):
                _prefetch(row, j)
            _prefetch(y, i)
            _prefetch(sample_weight, i)

    return dense


def _row_dot(X, data, indices, indptr, i, coef):
    """``x_i · coef``."""
    raise NotImplementedError("compiled only")


def _row_axpy(X, data, indices, indptr, i, scale, out):
    """``out += scale · x_i``."""
    raise NotImplementedError("compiled only")


def _row_truncate_l1(
    X, data, indices, indptr, i, coef, wscale, l1_total, l1_applied, average_sum, average_scale
):
    """Cumulative L1 truncation of the features where ``x_i`` is non-zero.

    Each change ``δ`` of ``coef[j]`` also moves ``average_sum[j]`` by
    ``−average_scale · δ`` (see ``run_epoch``'s averaging).
    """
    raise NotImplementedError("compiled only")


# Reassociation vectorizes the dense rows' loops. On CSR rows it would turn
# coef[indices[k]] into AVX2 gathers, which are slower than scalar loads on
# the machines measured (an epoch 30% slower), so the CSR loops keep IEEE
# order.
@njit(fastmath=_FASTMATH)
def _dense_row_dot(X, i, coef):
    acc = 0.0
    for j in range(X.shape[1]):
        acc += X[i, j] * coef[j]
    return acc


@njit(fastmath=_FASTMATH)
def _dense_row_axpy(X, i, scale, out):
    for j in range(X.shape[1]):
        out[j] += scale * X[i, j]


@overload(_row_dot)
def _row_dot_impl(X, data, indices, indptr, i, coef):
    if isinstance(X, types.NoneType):

        def csr(X, data, indices, indptr, i, coef):
            # Four partial sums, unrolled by hand: the additions no longer
            # wait on each other, and the order stays fixed (deterministic).
            start, stop = indptr[i], indptr[i + 1]
            acc0 = acc1 = acc2 = acc3 = 0.0
            k = start
            while k + 4 <= stop:
                acc0 += data[k] * coef[indices[k]]
                acc1 += data[k + 1] * coef[indices[k + 1]]
                acc2 += data[k + 2] * coef[indices[k + 2]]
                acc3 += data[k + 3] * coef[indices[k + 3]]
                k += 4
            while k < stop:
                acc0 += data[k] * coef[indices[k]]
                k += 1
            return (acc0 + acc1) + (acc2 + acc3)

        return csr

    def dense(X, data, indices, indptr, i, coef):
        return _dense_row_dot(X, i, coef)

    return dense


@overload(_row_axpy)
def _row_axpy_impl(X, data, indices, indptr, i, scale, out):
    if isinstance(X, types.NoneType):

        def csr(X, data, indices, indptr, i, scale, out):
            for k in range(indptr[i], indptr[i + 1]):
                out[indices[k]] += scale * data[k]

        return csr

    def dense(X, data, indices, indptr, i, scale, out):
        _dense_row_axpy(X, i, scale, out)

    return dense


@overload(_row_truncate_l1)
def _row_truncate_l1_impl(
    X, data, indices, indptr, i, coef, wscale, l1_total, l1_applied, average_sum, average_scale
):
    if isinstance(X, types.NoneType):

        def csr(
            X,
            data,
            indices,
            indptr,
            i,
            coef,
            wscale,
            l1_total,
            l1_applied,
            average_sum,
            average_scale,
        ):
            for k in range(indptr[i], indptr[i + 1]):
                if data[k] != 0.0:
                    _truncate_l1(
                        indices[k], coef, wscale, l1_total, l1_applied, average_sum, average_scale
                    )

        return csr

    def dense(
        X, data, indices, indptr, i, coef, wscale, l1_total, l1_applied, average_sum, average_scale
    ):
        for j in range(X.shape[1]):
            if X[i, j] != 0.0:
                _truncate_l1(j, coef, wscale, l1_total, l1_applied, average_sum, average_scale)

    return dense


@_jit
def _truncate_l1(j, coef, wscale, l1_total, l1_applied, average_sum, average_scale):
    """Tsuruoka et al.'s cumulative L1 truncation of feature ``j``, in scaled units.

    ``l1_total`` is the penalty a weight could have received so far and
    ``l1_applied[j]`` the (signed) penalty it did receive; a weight is pulled
    toward zero by the difference and never across it.
    """
    w = wscale * coef[j]
    if w > 0.0:
        w_new = max(0.0, w - (l1_total + l1_applied[j]))
    elif w < 0.0:
        w_new = min(0.0, w + (l1_total - l1_applied[j]))
    else:
        return
    l1_applied[j] += w_new - w
    new = w_new / wscale
    if average_scale != 0.0:
        average_sum[j] -= average_scale * (new - coef[j])
    coef[j] = new


@_jit
def run_epoch(
    X,
    data,
    indices,
    indptr,
    y,
    sample_weight,
    order,
    coef,
    scalars,
    velocity,
    average_coef,
    l1_applied,
    dloss_buffer,
    grad,
    batch_size,
    fit_intercept,
    loss_code,
    loss_param,
    l2,
    l1,
    step_rule,
    momentum,
    schedule,
    eta0,
    power_t,
    alpha,
    optimal_init,
    t,
    average_start,
    intercept_decay,
):
    """Make one pass over the rows in ``order``, ``batch_size`` rows a step.

    Each step computes the batch's raw predictions with the coefficients from
    before the step, then

    - plain: ``w ← max(0, 1 − η·l2)·w − η g``, then L1 by cumulative
      truncation of the features the batch touched;
    - momentum: ``b ← μ b + (g + l2·w + l1·sign(w))``, ``w ← w − η b``;
    - Nesterov: the same ``b``, then ``w ← w − η (g_full + μ b)``.

    Plain steps keep ``w = wscale · v`` so that L2 shrinkage costs O(1) and a
    step O(nnz of the batch), as in scikit-learn's WeightVector. Their
    average (ASGD) is kept as ``(A + a · v) / b`` (Xu, 2011): a step changes
    ``A`` only where it changes ``v``, and ``a``, ``b`` are scalars, so
    averaging costs O(nnz) a step too. ``average_coef`` holds ``A`` during
    the epoch and the average itself before and after it.

    ``coef``, ``velocity``, ``average_coef`` and ``l1_applied`` are updated in
    place; ``scalars`` holds ``[intercept, intercept velocity, average
    intercept, cumulative L1 penalty, derivatives clipped]``. The intercept's
    gradient is scaled by ``intercept_decay``. Returns the sample-weighted sum
    of the losses met before each update, and the updated step counter ``t``.
    """
    n_features = coef.shape[0]
    n_rows = order.shape[0]
    intercept = scalars[0]
    intercept_velocity = scalars[1]
    l1_total = scalars[3]
    wscale = 1.0
    # The lazy average (A, a, b) of plain steps starts as (average, 0, 1).
    lazy_average = step_rule == PLAIN and average_start > 0
    average_scale = 0.0
    average_norm = 1.0
    fold_below = 1e-2 if lazy_average else 1e-9
    loss_sum = 0.0
    n_clipped = 0
    start = 0
    while start < n_rows:
        stop = min(start + batch_size, n_rows)
        n_batch = stop - start
        dloss_sum = 0.0
        for k in range(start, stop):
            i = order[k]
            _prefetch_ahead(X, data, indices, indptr, y, sample_weight, order, k)
            p = wscale * _row_dot(X, data, indices, indptr, i, coef) + intercept
            value, dloss = loss_value_gradient(loss_code, loss_param, y[i], p)
            loss_sum += sample_weight[i] * value
            if abs(dloss) > MAX_DLOSS:
                # Counted: a derivative this large means the fit has diverged.
                n_clipped += 1
                dloss = math.copysign(MAX_DLOSS, dloss)
            dloss *= sample_weight[i] / n_batch
            dloss_buffer[k - start] = dloss
            dloss_sum += dloss
        dloss_sum *= intercept_decay
        eta = learning_rate(schedule, eta0, power_t, alpha, optimal_init, t)
        if step_rule == PLAIN:
            shrink = 1.0 - eta * l2
            if shrink <= 0.0:
                # The step would scale through zero: clamp at zero, as scikit-learn does.
                for j in range(n_features):
                    average_coef[j] += average_scale * coef[j]
                    coef[j] = 0.0
                wscale = 1.0
            else:
                wscale *= shrink
            for k in range(start, stop):
                if dloss_buffer[k - start] != 0.0:
                    scale = -eta * dloss_buffer[k - start] / wscale
                    _row_axpy(X, data, indices, indptr, order[k], scale, coef)
                    if average_scale != 0.0:
                        scale *= -average_scale
                        _row_axpy(X, data, indices, indptr, order[k], scale, average_coef)
            if l1 > 0.0:
                l1_total += eta * l1
                # Only the features the rows have non-zeros in, for dense rows
                # as for CSR, so that both copies of X give one model.
                for k in range(start, stop):
                    _row_truncate_l1(
                        X,
                        data,
                        indices,
                        indptr,
                        order[k],
                        coef,
                        wscale,
                        l1_total,
                        l1_applied,
                        average_coef,
                        average_scale,
                    )
            if wscale < fold_below:
                # Fold the scale back in before it underflows, and settle the
                # lazy average: A + a·v cancels about as many digits as
                # wscale has fallen since the last settling.
                for j in range(n_features):
                    if lazy_average:
                        average_coef[j] = (
                            average_coef[j] + average_scale * coef[j]
                        ) / average_norm
                    coef[j] *= wscale
                average_scale, average_norm = 0.0, 1.0
                wscale = 1.0
            if fit_intercept:
                intercept -= eta * dloss_sum
        else:
            # Momentum moves every coordinate each step: no scale trick here.
            grad[:] = 0.0
            for k in range(start, stop):
                if dloss_buffer[k - start] != 0.0:
                    _row_axpy(X, data, indices, indptr, order[k], dloss_buffer[k - start], grad)
            for j in range(n_features):
                g = grad[j] + l2 * coef[j]
                if l1 > 0.0 and coef[j] != 0.0:
                    g += math.copysign(l1, coef[j])
                velocity[j] = momentum * velocity[j] + g
                if step_rule == NESTEROV:
                    coef[j] -= eta * (g + momentum * velocity[j])
                else:
                    coef[j] -= eta * velocity[j]
            if fit_intercept:
                intercept_velocity = momentum * intercept_velocity + dloss_sum
                if step_rule == NESTEROV:
                    intercept -= eta * (dloss_sum + momentum * intercept_velocity)
                else:
                    intercept -= eta * intercept_velocity
        if 0 < average_start <= t:
            weight = 1.0 / (t - average_start + 1.0)
            if not lazy_average:
                for j in range(n_features):
                    average_coef[j] += (wscale * coef[j] - average_coef[j]) * weight
            elif weight == 1.0:
                # The first averaged step: the average is this iterate.
                average_coef[:] = 0.0
                average_scale, average_norm = wscale, 1.0
            else:
                # avg ← (1 − weight)·avg + weight·wscale·v, in (A, a, b).
                average_norm /= 1.0 - weight
                average_scale += weight * average_norm * wscale
            scalars[2] += (intercept - scalars[2]) * weight
        t += 1.0
        start = stop
    if lazy_average:
        for j in range(n_features):
            average_coef[j] = (average_coef[j] + average_scale * coef[j]) / average_norm
    if wscale != 1.0:
        for j in range(n_features):
            coef[j] *= wscale
    scalars[0] = intercept
    scalars[1] = intercept_velocity
    scalars[3] = l1_total
    scalars[4] = n_clipped
    return loss_sum, t


@_jit
def run_multinomial_epoch(
    X,
    data,
    indices,
    indptr,
    y,
    sample_weight,
    order,
    coef,
    intercepts,
    velocity,
    average_coef,
    l1_applied,
    scalars,
    dloss_buffer,
    grad,
    batch_size,
    fit_intercept,
    l2,
    l1,
    step_rule,
    momentum,
    schedule,
    eta0,
    power_t,
    alpha,
    optimal_init,
    t,
    average_start,
    intercept_decay,
):
    """:func:`run_epoch` for the softmax log loss over ``n_classes`` rows of ``coef``.

    ``y`` holds class indices. ``intercepts`` has rows ``[intercept,
    intercept velocity, average intercept]`` of one entry per class;
    ``scalars`` holds ``[cumulative L1 penalty]``. The updates are those of
    :func:`run_epoch`, class by class, with the derivative ``pₖ − [k = y]``
    of the softmax cross-entropy, which is bounded: nothing to clip.
    """
    n_classes, n_features = coef.shape
    n_rows = order.shape[0]
    scores = np.empty(n_classes)
    dloss_sum = np.empty(n_classes)
    l1_total = scalars[0]
    wscale = 1.0
    loss_sum = 0.0
    start = 0
    while start < n_rows:
        stop = min(start + batch_size, n_rows)
        n_batch = stop - start
        dloss_sum[:] = 0.0
        for k in range(start, stop):
            i = order[k]
            _prefetch_ahead(X, data, indices, indptr, y, sample_weight, order, k)
            top = -np.inf
            for c in range(n_classes):
                scores[c] = wscale * _row_dot(X, data, indices, indptr, i, coef[c])
                scores[c] += intercepts[0, c]
                top = max(top, scores[c])
            total = 0.0
            for c in range(n_classes):
                total += math.exp(scores[c] - top)
            log_partition = top + math.log(total)
            label = y[i]
            loss_sum += sample_weight[i] * (log_partition - scores[label])
            for c in range(n_classes):
                dloss = math.exp(scores[c] - log_partition) - (1.0 if c == label else 0.0)
                dloss *= sample_weight[i] / n_batch
                dloss_buffer[k - start, c] = dloss
                dloss_sum[c] += dloss
        dloss_sum *= intercept_decay
        eta = learning_rate(schedule, eta0, power_t, alpha, optimal_init, t)
        if step_rule == PLAIN:
            shrink = 1.0 - eta * l2
            if shrink <= 0.0:
                coef[:, :] = 0.0
                wscale = 1.0
            else:
                wscale *= shrink
            for k in range(start, stop):
                for c in range(n_classes):
                    if dloss_buffer[k - start, c] != 0.0:
                        scale = -eta * dloss_buffer[k - start, c] / wscale
                        _row_axpy(X, data, indices, indptr, order[k], scale, coef[c])
            if l1 > 0.0:
                l1_total += eta * l1
                for k in range(start, stop):
                    for c in range(n_classes):
                        _row_truncate_l1(
                            X,
                            data,
                            indices,
                            indptr,
                            order[k],
                            coef[c],
                            wscale,
                            l1_total,
                            l1_applied[c],
                            # The multinomial average is updated densely: no sum to mirror.
                            l1_applied[c],
                            0.0,
                        )
            if wscale < 1e-9:
                coef *= wscale
                wscale = 1.0
            if fit_intercept:
                for c in range(n_classes):
                    intercepts[0, c] -= eta * dloss_sum[c]
        else:
            grad[:, :] = 0.0
            for k in range(start, stop):
                for c in range(n_classes):
                    if dloss_buffer[k - start, c] != 0.0:
                        _row_axpy(
                            X, data, indices, indptr, order[k], dloss_buffer[k - start, c], grad[c]
                        )
            for c in range(n_classes):
                for j in range(n_features):
                    g = grad[c, j] + l2 * coef[c, j]
                    if l1 > 0.0 and coef[c, j] != 0.0:
                        g += math.copysign(l1, coef[c, j])
                    velocity[c, j] = momentum * velocity[c, j] + g
                    if step_rule == NESTEROV:
                        coef[c, j] -= eta * (g + momentum * velocity[c, j])
                    else:
                        coef[c, j] -= eta * velocity[c, j]
                if fit_intercept:
                    intercepts[1, c] = momentum * intercepts[1, c] + dloss_sum[c]
                    if step_rule == NESTEROV:
                        intercepts[0, c] -= eta * (dloss_sum[c] + momentum * intercepts[1, c])
                    else:
                        intercepts[0, c] -= eta * intercepts[1, c]
        if 0 < average_start <= t:
            weight = 1.0 / (t - average_start + 1.0)
            for c in range(n_classes):
                for j in range(n_features):
                    average_coef[c, j] += (wscale * coef[c, j] - average_coef[c, j]) * weight
                intercepts[2, c] += (intercepts[0, c] - intercepts[2, c]) * weight
        t += 1.0
        start = stop
    if wscale != 1.0:
        coef *= wscale
    scalars[0] = l1_total
    return loss_sum, t
