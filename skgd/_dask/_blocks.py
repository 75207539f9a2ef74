"""Row blocks of dask arrays, and sums of vectors kept over them.

The objectives and epochs in this package work on *row blocks*: ``X``, ``y``
and the sample weights cut at the same rows. Work on a block runs on the
worker that holds it (see :mod:`skgd._dask._runner`), so a pass over ``X``
moves only its small results. :class:`BlockSum` names vectors over the rows
(raw predictions and their combinations) without bringing them to the
client.
"""

import sys

import dask
import numpy as np

from skgd._dask._cluster import ClusterWatch


def distributed_client():
    """The distributed ``Client`` dask computes with now, or None."""
    if "distributed" not in sys.modules:
        return None
    if dask.config.get("scheduler", "dask.distributed") != "dask.distributed":
        # A local scheduler chosen over the client, as with
        # dask.config.set(scheduler="threads").
        return None
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


class RowBlocks:
    """``X``, ``y`` and sample weights as lists of row blocks.

    On a distributed cluster the arrays are persisted first: the blocks are
    computed once and stay on the workers for the whole fit (spread over
    them, never gathered), and each is named by its future. With dask's
    local schedulers they are not persisted, so data read from disk stays
    out of core: each pass reads the blocks again, as delayed objects.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features), one chunk of columns
    y : dask array of shape (n_samples,), chunked like X's rows
    sample_weight : dask array of shape (n_samples,) or None
    """

    def __init__(self, X, y, sample_weight):
        arrays = [X, y] + ([] if sample_weight is None else [sample_weight])
        self.client = distributed_client()
        self.watch = None
        if self.client is not None:
            self.watch = ClusterWatch(self.client)
            # The persisted arrays hold their blocks' futures, and so their
            # graph: the scheduler recomputes a block whose worker dies.
            arrays = list(dask.persist(*arrays))
        # The blocks below name the persisted results; the arrays keep them
        # alive for as long as the blocks are used.
        self.arrays = arrays
        blocks = [_blocks_of(array, self.client) for array in arrays]
        self.X, self.y = blocks[0], blocks[1]
        self.weight = blocks[2] if sample_weight is not None else None
        self.n_rows = [int(n) for n in X.chunks[0]]
        self.n_samples, self.n_features = X.shape

    def __len__(self):
        return len(self.n_rows)

    def weight_block(self, b):
        """Block ``b`` of the sample weights; None stands for unit weights."""
        return None if self.weight is None else self.weight[b]


def _blocks_of(array, client):
    """The row blocks of ``array``, in order: futures when persisted on a cluster."""
    if client is None:
        delayed_blocks = array.to_delayed()
        return list(delayed_blocks[:, 0] if array.ndim == 2 else delayed_blocks)
    from distributed import futures_of

    by_key = {future.key: future for future in futures_of(array)}
    keys = array.__dask_keys__()
    return [by_key[key[0] if array.ndim == 2 else key] for key in keys]


class MatVec:
    """The raw predictions ``X_b @ coef + intercept``, computed by the task that needs them."""

    def __init__(self, coef, intercept):
        self.coef = coef
        self.intercept = intercept


class BlockSum:
    """A lazy linear combination ``Σ cₖ vₖ`` of vectors over the row blocks.

    The solvers keep the raw predictions ``X w`` along their iterates and
    form trial points as ``raw + s * raw_step``. Here each ``vₖ`` is either a
    :class:`MatVec` (``X w`` not yet computed) or a vector kept by an earlier
    task, ``(handles, slot)``: slot ``slot`` of what that task kept of each
    block (the handles come from
    :meth:`~skgd._dask._runner.BlockRunner.run`). Arithmetic only
    combines the scalars; a block task receives its block's terms
    (:meth:`block`) and evaluates them with :func:`combine`. A task that
    evaluates a sum keeps it, and :meth:`replace` then points the sum at that
    result, so it is computed once.

    Every such sum is also ``X @ coef + intercept`` for the ``point``
    ``(coef, intercept)`` that the same combination of the terms' points
    gives. When the workers that kept its vectors are lost, the blocks'
    terms are that product instead (:attr:`lost`): the sum is rebuilt from
    the coefficients by the next task that reads it.
    """

    # NumPy scalars on the left of ``*`` must defer to __rmul__.
    __array_ufunc__ = None

    def __init__(self, terms, point):
        self.terms = list(terms)
        self.point = point

    @classmethod
    def of(cls, coef, intercept):
        """``X @ coef + intercept``, to be computed by the task that reads it."""
        return cls([(1.0, MatVec(coef, intercept), None)], (coef, intercept))

    def __add__(self, other):
        (coef, intercept), (other_coef, other_intercept) = self.point, other.point
        return BlockSum(self.terms + other.terms, (coef + other_coef, intercept + other_intercept))

    def __mul__(self, scale):
        scale = float(scale)
        coef, intercept = self.point
        return BlockSum(
            [(scale * c, vector, slot) for c, vector, slot in self.terms],
            (scale * coef, scale * intercept),
        )

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    @property
    def lost(self):
        """Whether a kept vector of the sum went with the workers that held it."""
        # Local schedulers keep the vectors themselves: they are never lost.
        return any(
            not isinstance(vector, MatVec) and getattr(vector[0], "lost", False)
            for _, vector, _ in self.terms
        )

    @property
    def reads_X(self):
        """Whether evaluating the sum needs ``X`` (a product not computed yet)."""
        return self.lost or any(isinstance(vector, MatVec) for _, vector, _ in self.terms)

    def block(self, b):
        """The terms of block ``b``, for :func:`combine`."""
        if self.lost:
            return [(1.0, MatVec(*self.point), None)]
        return [
            (c, vector if isinstance(vector, MatVec) else vector[b], slot)
            for c, vector, slot in self.terms
        ]

    def replace(self, handles, slot=0):
        """Point the sum at the vectors tasks kept in ``slot`` of their results."""
        self.terms = [(1.0, handles, slot)]
        return self


def combine(terms, raw_prediction):
    """``Σ cₖ vₖ`` of one block's terms (run on a worker).

    ``raw_prediction(coef, intercept)`` computes the block's products.
    """
    total = None
    for scale, vector, slot in terms:
        if isinstance(vector, MatVec):
            value = raw_prediction(vector.coef, vector.intercept)
        else:
            value = vector[slot]
        if total is None:
            # A kept vector alone is returned as is: the tasks never write
            # into their inputs.
            total = value if scale == 1.0 and len(terms) == 1 else scale * value
        else:
            total += scale * value
    return np.asarray(total)
