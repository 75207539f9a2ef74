"""The compiled epochs of the sampled-row solvers, on NumPy arrays and CSR matrices.

:func:`run_compiled_epoch` has the signature of every epoch runner in
:mod:`skgd._solvers._first_order`: it moves the solver state into the
compiled kernel's arguments (:func:`skgd._solvers._kernels.run_epoch`, one
kernel for the single coefficient vector of regression and of each binary
problem, and for the multinomial objective's ``K`` rows), runs one epoch and
moves the results back.
"""

import numpy as np
import scipy.sparse as sp

from skgd._solvers import _fit_kernel, _kernels


def accepts(objective, step_rule):
    """Whether the compiled epoch can run this objective with this step rule."""
    numpy_input = isinstance(objective.y, np.ndarray) and (
        isinstance(objective.X, np.ndarray) or sp.issparse(objective.X)
    )
    return numpy_input and step_rule.kernel_params is not None


def run_compiled_epoch(objective, state, order, batch_size, step_rule, schedule, average):
    """One epoch in the compiled kernel; returns the epoch's objective value."""
    kernel_state, arrays = _to_kernel(objective, state)
    settings = _settings(objective, state, batch_size, step_rule, schedule, average)
    weight, weight_scale = row_weights(objective, batch_size)
    loss_sum, running_sum, state.t = _kernels.run_epoch(
        _kernel_rows(objective.X),
        objective.y,
        weight,
        order,
        kernel_state,
        settings,
        float(state.t),
    )
    _from_kernel(objective, state, kernel_state, arrays)
    if state.running_norms is not None:
        state.running_objective = running_sum / objective.n_samples
    return loss_sum / weight_scale / objective.n_samples + objective.penalty.value(state.coef)


def run_compiled_fit(
    objective, state, rows, shuffle, batch_size, step_rule, schedule, average, control
):
    """Every epoch in one compiled call (:mod:`skgd._solvers._fit_kernel`).

    ``rows`` is the :class:`~skgd._objective._rows.RowOrder`; ``control``
    a :class:`~skgd._solvers._fit_kernel.FitControl` less the weight scale
    and the number of rows, which come from here. Returns the status, the
    last epoch and the loss curve; the state is left as the per-epoch loop
    would leave it.
    """
    kernel_state, arrays = _to_kernel(objective, state)
    settings = _settings(objective, state, batch_size, step_rule, schedule, average)
    weight, weight_scale = row_weights(objective, batch_size)
    control = control._replace(weight_scale=float(weight_scale), n_samples=objective.n_samples)
    curve = []
    progress = np.array([np.inf, 0.0, state.eta0, 0.0])
    # Epochs per call: about WORK_PER_CALL stored entries read, a few
    # milliseconds, after which Python sees a pending Ctrl-C.
    per_call = max(1, WORK_PER_CALL // max(1, _stored_entries(objective.X)))
    objective.n_clipped = 0
    X_rows, t, status, epoch = _kernel_rows(objective.X), float(state.t), _fit_kernel.PAUSED, 0
    while status == _fit_kernel.PAUSED:
        last = min(epoch + per_call, control.max_iter)
        run = _fit_kernel.FitRun(epoch + 1, last, progress, np.empty(last - epoch))
        status, epoch, t = _fit_kernel.run_fit(
            X_rows, objective.y, weight, rows.index, rows.seed, bool(shuffle),
            kernel_state, settings, t, control, run,
        )  # fmt: skip
        curve.extend(run.curve[: epoch - run.first + 1].tolist())
    state.t, state.eta0, running_objective = t, float(progress[2]), float(progress[3])
    _from_kernel(objective, state, kernel_state, arrays)
    if state.running_norms is not None:
        state.running_objective = running_objective
    return status, epoch, curve


# Stored entries read per compiled call of a whole fit (see run_compiled_fit).
WORK_PER_CALL = 2_000_000


def _stored_entries(X):
    return X.nnz if sp.issparse(X) else X.shape[0] * X.shape[1]


def _to_kernel(objective, state):
    """The kernel's state: fresh copies of the solver state's arrays, as K × d rows.

    Fresh copies, so that arrays a caller still holds (an earlier iterate)
    never change. Returns it with the copies that :func:`_from_kernel`
    hands back to the solver state.
    """
    one_row = objective.n_classes is None
    dtype = state.coef.dtype
    scaled, wscale = _scaled_coef(state)
    coef = np.array(scaled, dtype=dtype, order="C")
    average_coef = np.array(state.average_coef, dtype=dtype, order="C")
    l1_applied = np.array(state.l1_applied, dtype=dtype, order="C")
    shape = (1 if one_row else objective.n_classes, coef.shape[-1])
    velocity = None
    if state.step_state is not None:
        velocity = np.array(state.step_state.coef, dtype=dtype, order="C")
        kernel_velocity = velocity.reshape(shape)
        velocity_intercept = state.step_state.intercept
    else:
        kernel_velocity, velocity_intercept = np.zeros((shape[0], 0), dtype=dtype), 0.0
    kernel_state = _kernels.KernelState(
        coef=coef.reshape(shape),
        intercept=_per_row(state.intercept, shape[0]),
        velocity=kernel_velocity,
        velocity_intercept=_per_row(velocity_intercept, shape[0]),
        average_coef=average_coef.reshape(shape),
        average_intercept=_per_row(state.average_intercept, shape[0]),
        l1_applied=l1_applied.reshape(shape),
        l1_total=np.array([state.l1_total], dtype=np.float64),
        n_clipped=np.zeros(1, dtype=np.int64),
        running_norms=_running_norms(state, shape[0]),
        average_reference=np.array(state.average_reference, dtype=np.float64),
        weight_scale=np.array([wscale]),
    )
    return kernel_state, (coef, average_coef, l1_applied, velocity)


def _from_kernel(objective, state, kernel_state, arrays):
    """Move the kernel's results back into the solver state."""
    coef, average_coef, l1_applied, velocity = arrays
    one_row = objective.n_classes is None
    dtype = state.coef.dtype
    state.average_reference = kernel_state.average_reference
    if state.running_norms is not None:
        state.running_norms = kernel_state.running_norms
    _set_scaled_coef(state, coef, float(kernel_state.weight_scale[0]))
    state.intercept = _from_rows(kernel_state.intercept, one_row, dtype)
    state.average_coef = average_coef
    state.average_intercept = _from_rows(kernel_state.average_intercept, one_row, dtype)
    state.l1_total = float(kernel_state.l1_total[0])
    state.l1_applied = l1_applied
    if velocity is not None:
        state.step_state = state.step_state._replace(
            coef=velocity,
            intercept=_from_rows(kernel_state.velocity_intercept, one_row, dtype),
        )
    objective.n_clipped += int(kernel_state.n_clipped[0])


def _scaled_coef(state):
    """``(v, wscale)`` where the last epoch left them, else ``(coef, 1)``."""
    if state.scaled is not None and state.scaled[2] is state.coef:
        return state.scaled[0], state.scaled[1]
    return state.coef, 1.0


def _set_scaled_coef(state, scaled, wscale):
    """Set ``coef = wscale · v``, keeping ``v`` and ``wscale`` for the next epoch."""
    if wscale == 1.0:
        state.coef, state.scaled = scaled, None
        return
    state.coef = scaled * wscale
    state.scaled = (scaled, wscale, state.coef)


def row_weights(objective, batch_size):
    """The weights the steps take, and their mean.

    sgd steps by the weights as given, as scikit-learn's SGD does (a weight
    of 2 makes a step twice as long); its model is then J's with ``alpha``
    divided by their mean. The other solvers take J's weights, of mean 1.
    """
    if batch_size == 1:
        return objective.given_weight, objective.weight_mean
    return objective.sample_weight, 1.0


# scikit-learn folds its weight scale into the weights below 1e-9 in float64
# and 1e-6 in float32 (WeightVector's reset_wscale_threshold), by item size.
REFERENCE_FOLD = {8: 1e-9, 4: 1e-6}


def _running_norms(state, n_rows):
    """The state's running norms as K × 2 rows; empty rows where they are not kept."""
    if state.running_norms is None:
        return np.zeros((n_rows, 2))
    return np.array(state.running_norms, dtype=np.float64)


# scikit-learn's SGD moves the intercept 100 times more slowly on sparse
# data: every row updates it, while a sparse feature sees few rows. The
# sampled-row solvers do the same, so that sgd on CSR input follows
# SGDClassifier and SGDRegressor step for step. The optimum does not change.
SPARSE_INTERCEPT_DECAY = 0.01


def intercept_decay(objective):
    """The factor on the intercept's gradient: 0.01 on sparse data, else 1."""
    return SPARSE_INTERCEPT_DECAY if objective.is_sparse else 1.0


def _kernel_rows(X):
    """X as the kernel takes it: ``(X, None, None, None)`` or ``(None, data, indices, indptr)``."""
    if sp.issparse(X):
        return None, X.data, X.indices, X.indptr
    return np.ascontiguousarray(X), None, None, None


def _per_row(value, n_rows):
    """A float, or one value per row, as a fresh float64 array of ``n_rows``."""
    values = np.empty(n_rows, dtype=np.float64)
    values[:] = value
    return values


def _from_rows(values, one_row, dtype):
    """The kernel's per-row values as the state keeps them: a float for one row."""
    return float(values[0]) if one_row else values.astype(dtype)


def _settings(objective, state, batch_size, step_rule, schedule, average):
    """The kernel's constants, in fixed types so that one compiled version serves all fits."""
    step_code, momentum = step_rule.kernel_params
    schedule_code, eta0, power_t, alpha, optimal_init = schedule.kernel_args(state.eta0)
    return _kernels.KernelSettings(
        fit_intercept=bool(objective.fit_intercept),
        loss_code=int(objective.loss.code),
        loss_param=float(objective.loss.param),
        l2=float(objective.penalty.l2),
        l1=float(objective.penalty.l1),
        penalty_alpha=float(objective.penalty.alpha),
        l1_ratio=float(objective.penalty.l1_ratio),
        step_rule=int(step_code),
        momentum=float(momentum),
        schedule=int(schedule_code),
        eta0=float(eta0),
        power_t=float(power_t),
        alpha=float(alpha),
        optimal_init=float(optimal_init),
        average_start=float(average),
        intercept_decay=float(intercept_decay(objective)),
        batch_size=int(batch_size),
        running_sums=state.running_norms is not None,
        reference_fold=REFERENCE_FOLD[state.coef.dtype.itemsize],
    )
