"""The objective over a dask array: blockwise reductions of the NumPy objective.

:class:`DaskLinearObjective` and :class:`DaskMultinomialObjective` implement
the interface the solvers use (``value``, ``value_gradient``,
``loss_gradient``, ``raw_prediction``, ``hessian``, ``pack``/``unpack``...)
on data split in row blocks. Each block task builds the NumPy objective
(:class:`~skgd._objective.LinearObjective` or
:class:`~skgd._objective.MultinomialObjective`) on its rows and returns its
partial sums; the client adds them up. So the arithmetic is the NumPy code's,
and what travels per pass is:

- to the workers: the coefficients, O(d) per block (O(K d) multinomial);
- to the client: a loss and a gradient per block, O(d), or a Hessian, O(d²).

The weights are normalized once by their global mean, as on NumPy, and each
block's data term is scaled by its share of the rows, ``n_b / n``: then the
sum of the blocks' terms is the data term over all rows, and, since the
shares add up to 1, the blocks' ``l2 I`` in their Hessians add up to the
penalty's. The multinomial Hessian's fill of the softmax's flat directions
(see :mod:`skgd._objective._multinomial`) adds up to a positive multiple of the same
projector, which leaves the Newton step unchanged.

Raw predictions ``X w`` (O(n)) are persisted block by block where they are
computed and combined lazily (:class:`~skgd._dask._blocks.BlockSum`): the
Newton line search evaluates trial points from them without a pass over X.
"""

import functools
from typing import NamedTuple

import numpy as np
from sklearn.utils._array_api import get_namespace
from sklearn.utils.validation import assert_all_finite

from skgd._dask._blocks import BlockSum, RowBlocks, combine
from skgd._dask._epoch import BlockOrder, run_blockwise_epoch
from skgd._dask._runner import BlockRunner
from skgd._loss import LogLoss
from skgd._objective import LinearObjective, Objective
from skgd._objective._multinomial import MultinomialObjective


class BlockSpec(NamedTuple):
    """What a block task needs to build the NumPy objective of its rows.

    Small and picklable: it travels with every task.
    """

    loss: object
    penalty: object
    fit_intercept: bool
    n_classes: int | None
    weight_scale: float
    dtype: np.dtype

    def objective(self, X, y, weight):
        """The NumPy objective of one block, weighted as the whole data.

        ``X`` may be None when the task needs only ``y``, the weights and
        the raw predictions (an objective value from cached predictions).
        ``weight`` None stands for unit weights.
        """
        n_rows = y.shape[0]
        if X is None:
            X = np.empty((n_rows, 0), dtype=self.dtype)
        # The constructors normalize the weights by their mean over the
        # block; the weights are then set to the globally normalized ones.
        placeholder = np.ones(1, dtype=self.dtype)
        if self.n_classes is None:
            objective = LinearObjective(
                self.loss, self.penalty, X, y, placeholder, self.fit_intercept
            )
        else:
            objective = MultinomialObjective(
                self.penalty, X, y, placeholder, self.fit_intercept, self.n_classes
            )
        if weight is None:
            objective.sample_weight = _constant_weights(n_rows, self.weight_scale, self.dtype)
            objective.given_weight = _constant_weights(n_rows, 1.0, self.dtype)
        else:
            objective.sample_weight = (weight * self.weight_scale).astype(self.dtype, copy=False)
            objective.given_weight = weight.astype(self.dtype, copy=False)
        objective.weight_mean = 1.0 / self.weight_scale
        return objective


@functools.lru_cache(maxsize=8)
def _constant_weights(n_rows, value, dtype):
    """``n_rows`` weights equal to ``value``, read-only, made once per block size.

    A pass over a block needs them in every task; allocating them anew costs
    a worker more than a tenth of the pass.
    """
    weights = np.full(n_rows, value, dtype=dtype)
    weights.flags.writeable = False
    return weights


class DaskObjective(Objective):
    """What the linear and the multinomial objectives over a dask array share.

    Parameters
    ----------
    spec_args : dict
        ``loss``, ``penalty``, ``fit_intercept`` and ``n_classes`` of
        :class:`BlockSpec`.
    X : dask array of shape (n_samples, n_features), one chunk of columns
    y : dask array of shape (n_samples,), chunked like X's rows
    sample_weight : dask array of shape (n_samples,) or None
    """

    # The solvers' hooks for blocked data: the sampled-row solvers walk the
    # blocks (see skgd._dask._epoch) instead of gathering sampled rows.
    blockwise_epoch = staticmethod(run_blockwise_epoch)
    is_sparse = False
    device = "cpu"

    def __init__(self, spec_args, X, y, sample_weight):
        self.X = X
        self.y = y
        self.blocks = RowBlocks(X, y, sample_weight)
        self.runner = BlockRunner(self.blocks)
        # The last line search's trial points and their kept raw predictions.
        self._trials = []
        self.n_samples, self.n_features = X.shape
        self.dtype = X.dtype
        self.penalty = spec_args["penalty"]
        self.fit_intercept = spec_args["fit_intercept"]
        try:
            weight_scale = self._weight_scale(sample_weight)
        except ValueError:
            self.close()
            raise
        self.spec = BlockSpec(**spec_args, weight_scale=weight_scale, dtype=X.dtype)
        # Coefficients and gradients are small NumPy arrays on the client.
        self.xp, _ = get_namespace(np.zeros(1))
        # pack/unpack are the NumPy objective's, from a one-row template.
        self._template = self.spec.objective(
            np.zeros((1, self.n_features), dtype=self.dtype), self._template_y(), None
        )
        self.n_clipped = 0
        # Inputs the workers have not yet checked for NaN and infinity: each
        # is checked in the first pass that reads it.
        self.unchecked = {"X", "y"}

    def _template_y(self):
        return np.zeros(1, dtype=self.dtype)

    def _weight_scale(self, sample_weight):
        """``1 / mean(sample_weight)``, checking the weights in one pass."""
        if sample_weight is None:
            return 1.0
        _, sums = self.runner.run(_weight_task, lambda b: (), read_X=False)
        total = sum(s for s, _ in sums)
        if any(bad for _, bad in sums):
            raise ValueError(
                "sample_weight contains negative, NaN or infinite values; weights "
                "must be finite and non-negative."
            )
        if not total > 0:
            raise ValueError(
                "The sample weights are all zero: at least one sample needs a "
                "positive weight to fit a model."
            )
        return self.n_samples / total

    def pack(self, coef, intercept):
        """``[coef, intercept]`` as one vector, as the NumPy objective packs it."""
        return self._template.pack(coef, intercept)

    def unpack(self, params):
        """Inverse of :meth:`pack`."""
        return self._template.unpack(params)

    # -- passes over the blocks ------------------------------------------------

    def _checks(self, *names):
        return {name: name in self.unchecked for name in names}

    def _pass(self, task, raw, *args, read_X=True):
        """One ``task`` per block; returns the list of the blocks' small results.

        Each task gets its block's terms of ``raw`` (a :class:`BlockSum`, or
        None) and keeps the raw predictions it evaluated, which ``raw`` then
        names: a sum is computed once.
        """
        read_X = read_X or (raw is not None and raw.reads_X)
        checks = self._checks("X", "y")
        spec = self.spec

        def args_of(b):
            terms = None if raw is None else raw.block(b)
            return (spec, terms, checks["X"] and read_X, checks["y"], *args)

        handles, smalls = self.runner.run(task, args_of, read_X=read_X)
        self.unchecked.difference_update(("X", "y") if read_X else ("y",))
        if raw is not None:
            raw.replace(handles)
        return smalls

    def close(self):
        """Release the workers' holders of the blocks and of the kept vectors."""
        self.runner.close()

    def row_order(self, seed):
        """A random order of the blocks, and of each block's rows, every epoch."""
        return BlockOrder(self, np.random.RandomState(seed))

    def row_smoothness_sums(self):
        """``(Σ Lᵢ, max Lᵢ)`` as the NumPy objective defines them, one task per block."""
        sums = self._pass(_row_smoothness_task, None)
        return sum(total for total, _ in sums), max(largest for _, largest in sums)

    def raw_prediction(self, coef, intercept):
        """``X @ coef + intercept``, computed by the first pass that reads it."""
        return BlockSum.of(coef, intercept)

    def _raw_at(self, coef, intercept):
        """The raw predictions at a point: kept from the last line search's
        trials if it is one of them, else to be computed."""
        for trial_coef, trial_intercept, raw in self._trials:
            if np.array_equal(coef, trial_coef) and np.array_equal(intercept, trial_intercept):
                return raw
        return BlockSum.of(coef, intercept)

    def loss_gradient(self, coef, intercept, rows=None, raw=None, need_gradient=True):
        """Data term and its gradient over all rows, one task per block.

        ``rows`` must be None: sampled rows are the blocks' business (see
        :mod:`skgd._dask._epoch`).
        """
        if rows is not None:
            raise NotImplementedError("Objectives over dask arrays do not gather sampled rows.")
        if raw is None:
            raw = self._raw_at(coef, intercept)
        results = self._pass(
            _loss_gradient_task, raw, coef, intercept, need_gradient, read_X=need_gradient
        )
        n = self.n_samples
        loss = sum(result[0] for result in results) / n
        self.n_clipped += sum(result[3] for result in results)
        if not need_gradient:
            return loss, None, None
        grad_coef = sum(result[1] for result in results) / n
        grad_intercept = sum(result[2] for result in results) / n
        return loss, grad_coef.astype(self.dtype, copy=False), grad_intercept

    # Each pass is a round trip to the workers: Newton asks for the value,
    # gradient and Hessian in one pass, and the line search for three
    # trials, η, η/2 and η/4. A trial costs the workers its loss and
    # gradient, less than the pass's reading of X: on 1,000,000 × 20 rows
    # in 20 blocks, 27 of 100 iterations needed a third trial, and 100
    # iterations took 6.4 s with three trials a pass, 7.3 s with two or
    # four, 9.4 s with one (medians of 3 on one cluster of 2 workers).
    fused_passes = True
    trials_per_pass = 3

    def value_gradient_hessian(self, coef, intercept, raw=None, low_precision=False):
        """``J``, its gradient and its Hessian (packed) in one pass over the blocks.

        Each block's objective includes the penalty; weighted by ``n_b / n``
        the penalty terms add up to the penalty once.
        """
        if raw is None:
            raw = self._raw_at(coef, intercept)
        results = self._pass(_value_gradient_hessian_task, raw, coef, intercept, low_precision)
        n = self.n_samples
        self.n_clipped += sum(result[3] for result in results)
        value = sum(result[0] for result in results) / n
        gradient = sum(result[1] for result in results) / n
        hessian = sum(result[2] for result in results) / n
        return float(value), gradient.astype(self.dtype, copy=False), hessian

    def hessian(self, coef, intercept, raw=None, low_precision=False):
        """The Hessian of ``J`` in the packed parameters: ``Σ_b (n_b / n) H_b``."""
        if raw is None:
            raw = self._raw_at(coef, intercept)
        results = self._pass(_hessian_task, raw, coef, intercept, low_precision)
        return sum(results) / self.n_samples


class DaskLinearObjective(DaskObjective):
    """Loss plus penalty of a linear model on a dask array.

    The interface of :class:`~skgd._objective.LinearObjective`, computed by
    reductions over row blocks (see the module docstring).

    Parameters
    ----------
    loss : BaseLoss
    penalty : Penalty
    X : dask array of shape (n_samples, n_features), one chunk of columns
    y : dask array of shape (n_samples,), chunked like X's rows
    sample_weight : dask array of shape (n_samples,) or None
        None stands for unit weights.
    fit_intercept : bool

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from skgd._dask._objective import DaskLinearObjective
    >>> from skgd._loss import HalfSquaredError
    >>> from skgd._penalty import Penalty
    >>> X = da.from_array(np.array([[1.0], [2.0], [3.0]]), chunks=(2, 1))
    >>> y = da.from_array(np.array([1.0, 2.0, 3.0]), chunks=2)
    >>> objective = DaskLinearObjective(HalfSquaredError(), Penalty(), X, y, None, True)
    >>> objective.value(np.array([1.0]), 0.0)
    0.0
    """

    has_hessian_product = True

    def __init__(self, loss, penalty, X, y, sample_weight, fit_intercept):
        self.loss = loss
        spec_args = dict(loss=loss, penalty=penalty, fit_intercept=fit_intercept, n_classes=None)
        super().__init__(spec_args, X, y, sample_weight)

    def baseline_value(self):
        """``J`` of the all-zero model, from the targets alone."""
        return sum(self._pass(_baseline_task, None, read_X=False)) / self.n_samples

    def hessian_product(self, coef, intercept, raw=None):
        """``v ↦ H v`` on packed vectors, one pass over the blocks per product.

        Truncated Newton uses it beyond 1,000 features, where the d × d
        Hessian would be the largest thing to travel.
        """
        if raw is None:
            raw = self._raw_at(coef, intercept)

        def product(params):
            results = self._pass(_hessian_product_task, raw, coef, intercept, params)
            return sum(results) / self.n_samples

        return product

    def trial_evaluations(self, coef, intercept, direction, direction_intercept, steps):
        """The data term and its gradient at ``w − η d`` for every ``η`` in ``steps``, in one pass.

        What a backtracking line search along ``d`` needs, for all its
        trials in one round trip: each block computes ``X d`` once and each
        trial from the raw predictions kept at ``w``, O(n) apiece, and the
        trials' gradients ``Xᵀ R`` in one product. The trials' raw
        predictions stay on the workers: a later pass at one of the trial
        points starts from them.

        Returns
        -------
        list of (loss, grad_coef, grad_intercept), one per step.
        """
        raw = self._raw_at(coef, intercept)
        steps = np.asarray(steps, dtype=np.float64)
        results = self._pass(
            _trial_task, raw, coef, intercept, direction, direction_intercept, steps, read_X=True
        )
        n = self.n_samples
        self.n_clipped += sum(result[3] for result in results)
        losses = sum(result[0] for result in results) / n
        grads = sum(result[1] for result in results) / n
        grad_intercepts = sum(result[2] for result in results) / n
        # Trial j's raw predictions: raw − η_j X d, from what the tasks kept.
        self._trials = []
        for step in steps:
            point = (coef - step * direction, intercept - step * direction_intercept)
            kept = raw.terms[0][1]
            self._trials.append((*point, BlockSum([(1.0, kept, 0), (-step, kept, 1)], point)))
        return [
            (float(losses[j]), grads[j].astype(self.dtype, copy=False), float(grad_intercepts[j]))
            for j in range(steps.shape[0])
        ]


class DaskMultinomialObjective(DaskObjective):
    """The softmax cross-entropy of a linear model on a dask array.

    The interface of :class:`~skgd._objective._multinomial.MultinomialObjective`,
    computed by reductions over row blocks (see the module docstring).

    Parameters
    ----------
    penalty : Penalty
    X : dask array of shape (n_samples, n_features), one chunk of columns
    y : dask array of shape (n_samples,)
        Class indices in ``range(n_classes)``, chunked like X's rows.
    sample_weight : dask array of shape (n_samples,) or None
    fit_intercept : bool
    n_classes : int
    """

    def __init__(self, penalty, X, y, sample_weight, fit_intercept, n_classes):
        self.loss = LogLoss()
        self.n_classes = n_classes
        spec_args = dict(
            loss=None, penalty=penalty, fit_intercept=fit_intercept, n_classes=n_classes
        )
        super().__init__(spec_args, X, y, sample_weight)

    def _template_y(self):
        return np.zeros(1, dtype=np.intp)


# -- block tasks (run on the workers) -------------------------------------------
#
# Each takes its block's X (or None), y and weights, then the spec, its terms
# of the raw predictions and the finiteness checks still due, and returns
# ``(kept, small)`` (see BlockRunner): ``kept`` holds the raw predictions it
# evaluated, ``small`` goes to the client.


def _check_finite(array, name, check):
    if check:
        assert_all_finite(array, input_name=name)


def _weight_task(X, y, weight):
    """A block's weight sum, and whether it holds a negative or non-finite weight."""
    weight = np.asarray(weight)
    bad = bool(weight.size) and not (np.all(np.isfinite(weight)) and weight.min() >= 0)
    return None, (float(np.sum(weight, dtype=np.float64)), bad)


def _block_objective(X, y, weight, spec, raw_terms, check_X, check_y, coef, intercept):
    """The block's NumPy objective and its raw predictions at ``(coef, intercept)``."""
    if X is not None:
        _check_finite(X, "X", check_X)
    _check_finite(y, "y", check_y)
    objective = spec.objective(X, y, weight)
    if raw_terms is None:
        return objective, objective.raw_prediction(coef, intercept)
    return objective, combine(raw_terms, objective.raw_prediction)


def _block_task(compute):
    """A pass's task on one block, from ``compute(objective, raw, coef, intercept, *args)``.

    The task builds the block's NumPy objective and its raw predictions at
    ``(coef, intercept)``, checks the inputs still unchecked, and returns
    what ``compute`` returns; overflow shows in the values, not as warnings.
    """

    @functools.wraps(compute)
    def task(X, y, weight, spec, raw_terms, check_X, check_y, coef, intercept, *args):
        with np.errstate(over="ignore", invalid="ignore"):
            objective, raw = _block_objective(
                X, y, weight, spec, raw_terms, check_X, check_y, coef, intercept
            )
            return compute(objective, raw, coef, intercept, *args)

    return task


@_block_task
def _loss_gradient_task(objective, raw, coef, intercept, need_gradient):
    """The block's data term (and gradient) times its number of rows."""
    n_rows = objective.n_samples
    loss, grad, grad_intercept = objective.loss_gradient(
        coef, intercept, need_gradient=need_gradient, raw=raw
    )
    if not need_gradient:
        return (raw,), (loss * n_rows, None, None, objective.n_clipped)
    return (raw,), (loss * n_rows, grad * n_rows, grad_intercept * n_rows, objective.n_clipped)


@_block_task
def _hessian_task(objective, raw, coef, intercept, low_precision):
    hessian = objective.hessian(coef, intercept, raw=raw, low_precision=low_precision)
    return (raw,), np.asarray(hessian) * objective.n_samples


@_block_task
def _value_gradient_hessian_task(objective, raw, coef, intercept, low_precision):
    """The block's ``J``, gradient and Hessian, each times its number of rows."""
    value, gradient, hessian = objective.value_gradient_hessian(
        coef, intercept, raw=raw, low_precision=low_precision
    )
    n_rows = objective.n_samples
    small = (value * n_rows, np.asarray(gradient) * n_rows, np.asarray(hessian) * n_rows)
    return (raw,), (*small, objective.n_clipped)


@_block_task
def _hessian_product_task(objective, raw, coef, intercept, params):
    product = objective.hessian_product(coef, intercept, raw=raw)
    return (raw,), np.asarray(product(params)) * objective.n_samples


@_block_task
def _trial_task(objective, raw, coef, intercept, direction, direction_intercept, steps):
    """The block's data terms and gradients (times its rows) at ``w − η d``, η in ``steps``."""
    # One pass reads each row once for X d and every trial; one thread, the worker's.
    raw_direction, losses, grads, grad_intercepts, n_clipped = objective.trial_pass(
        raw, direction, direction_intercept, -steps, n_threads=1
    )
    if not objective.fit_intercept:
        grad_intercepts = np.zeros(steps.shape[0])
    return (raw, raw_direction), (losses, grads, grad_intercepts, n_clipped)


def _row_smoothness_task(X, y, weight, spec, raw_terms, check_X, check_y):
    _check_finite(X, "X", check_X)
    _check_finite(y, "y", check_y)
    return None, spec.objective(X, y, weight).row_smoothness_sums()


def _baseline_task(X, y, weight, spec, raw_terms, check_X, check_y):
    _check_finite(y, "y", check_y)
    objective = spec.objective(None, y, weight)
    with np.errstate(over="ignore", invalid="ignore"):
        return None, objective.baseline_value() * y.shape[0]
