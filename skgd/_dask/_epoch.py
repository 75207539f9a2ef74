"""Epochs of the sampled-row solvers (sgd, minibatch, momentum) over row blocks.

One epoch walks the blocks one after the other, in a shuffled order when
``shuffle=True``. Each block runs the compiled NumPy epoch
(:mod:`skgd._solvers._first_order`) on its own rows, in its own shuffled
order, on the worker that holds it. The blocks' tasks are chained, each
taking the solver state its predecessor returns, so only that state travels
from block to block: the coefficients and intercept, the velocity for
momentum, the running averages, the L1 truncation totals and the update
counter ``t`` (which keeps the learning-rate schedule going across blocks),
O(d) in all. The client submits the whole chain at once and receives the
final state with the epoch's loss, one round trip per epoch.

Compared with an epoch on NumPy data, the rows are visited in a
block-structured order (a random order of blocks, a random order within
each) instead of one random permutation of all rows, and each block ends
with its own shorter batch when ``batch_size`` does not divide its length.
Both are still epochs of unbiased stochastic steps, every row visited once.
"""

import copy
from typing import NamedTuple

import dask
import numpy as np
from dask import delayed
from sklearn.utils.validation import assert_all_finite

from skgd._solvers._first_order import pick_epoch

# What an epoch changes in the solver state (skgd._solvers.EpochState); the
# schedule stays the client's, since the stopping rule adapts it.
STATE_FIELDS = (
    "coef",
    "intercept",
    "step_state",
    "t",
    "eta0",
    "average_coef",
    "average_intercept",
    "l1_total",
    "l1_applied",
    "average_reference",
    "running_norms",
    "scaled",
)
MAX_SEED = np.iinfo(np.int32).max


class EpochPlan(NamedTuple):
    """The order of the blocks in one epoch, and a seed per block for its rows.

    ``seeds`` is None when the rows are not shuffled.
    """

    blocks: np.ndarray
    seeds: np.ndarray | None


class BlockOrder:
    """The epochs' plans for data in blocks, drawn from one random state."""

    def __init__(self, objective, rng):
        self.objective, self.rng = objective, rng

    def next(self, shuffle):
        """The next epoch's :class:`EpochPlan`."""
        return epoch_plan(self.objective, self.rng, shuffle)


def epoch_plan(objective, rng, shuffle):
    """Draw the next epoch's :class:`EpochPlan` from the solver's random state."""
    n_blocks = len(objective.blocks)
    if not shuffle:
        return EpochPlan(np.arange(n_blocks), None)
    return EpochPlan(rng.permutation(n_blocks), rng.randint(MAX_SEED, size=n_blocks))


def run_blockwise_epoch(objective, state, plan, batch_size, step_rule, schedule, average):
    """One epoch over the blocks of a dask objective; the solvers' epoch interface.

    Returns the epoch's objective: the sample-weighted mean of the losses met
    during the epoch plus the penalty at its end, as on NumPy data.
    """
    blocks = objective.blocks
    check_X, check_y = "X" in objective.unchecked, "y" in objective.unchecked
    carried = (_state_fields(state), 0.0, 0)
    for position, b in enumerate(plan.blocks):
        seed = None if plan.seeds is None else int(plan.seeds[position])
        carried = delayed(_block_epoch)(
            objective.spec,
            blocks.X[b],
            blocks.y[b],
            blocks.weight_block(b),
            carried,
            seed,
            batch_size,
            step_rule,
            schedule,
            average,
            check_X,
            check_y,
        )
    if blocks.client is None:
        ((fields, loss_sum, n_clipped),) = dask.compute(carried)
    else:
        # A worker lost during the epoch costs the scheduler the tasks and
        # blocks it held, which it computes again: the same epoch, as the
        # tasks are pure functions of their inputs and seeds.
        fields, loss_sum, n_clipped = blocks.watch.compute(carried)
    objective.unchecked.difference_update({"X", "y"})
    for name, value in fields.items():
        setattr(state, name, value)
    objective.n_clipped += n_clipped
    return loss_sum / objective.n_samples + objective.penalty.value(state.coef)


def _state_fields(state):
    return {name: getattr(state, name) for name in STATE_FIELDS}


class _BlockState:
    """The solver state as the NumPy epoch reads and writes it, on a worker."""

    def __init__(self, fields, schedule):
        self.__dict__.update(fields)
        self.schedule = schedule
        self.full_gradient = None


def _block_epoch(
    spec, X, y, weight, carried, seed, batch_size, step_rule, schedule, average, check_X, check_y
):
    """Run the NumPy epoch on one block from the carried state (on a worker)."""
    fields, loss_sum, n_clipped = carried
    if check_X:
        assert_all_finite(X, input_name="X")
    if check_y:
        assert_all_finite(y, input_name="y")
    # The epoch replaces the state's arrays rather than writing into them,
    # so a shallow copy keeps the caller's state intact (on the local
    # schedulers the tasks share the client's objects).
    state = _BlockState(copy.copy(fields), schedule)
    objective = spec.objective(X, y, weight)
    n_rows = y.shape[0]
    if seed is None:
        order = np.arange(n_rows)
    else:
        order = np.random.RandomState(seed).permutation(n_rows)
    run_epoch = pick_epoch(objective, batch_size, step_rule)
    with np.errstate(over="ignore", invalid="ignore"):
        value = run_epoch(objective, state, order, batch_size, step_rule, schedule, average)
        # The NumPy epoch returns its mean loss plus the penalty at its end.
        block_loss = (value - objective.penalty.value(state.coef)) * n_rows
    return _state_fields(state), loss_sum + block_loss, n_clipped + objective.n_clipped
