"""Row blocks of dask arrays, tasks over them, and vectors kept where they were computed.

The objectives and epochs in this package work on *row blocks*: ``X``, ``y``
and the sample weights cut at the same rows. A task given a block runs on
the worker that holds it (the distributed scheduler places a task next to
its largest input), so a pass over ``X`` moves only its small results.

:class:`BlockRunner` runs one task per block and brings back the small part
of each result. On a distributed cluster it submits the tasks as futures on
the persisted blocks: no task graph is built or optimized per pass, which
on a cluster of two local workers saves more time than the pass itself
takes. With dask's local schedulers it runs them with ``dask.compute``.
"""

import operator
import sys

import dask
import numpy as np
from dask import delayed


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
        if self.client is not None:
            arrays = list(dask.persist(*arrays))
        # The blocks below name the persisted results; the arrays keep them
        # alive for as long as the blocks are used.
        self.arrays = arrays
        blocks = [_blocks_of(array, self.client) for array in arrays]
        self.X, self.y = blocks[0], blocks[1]
        if self.client is not None:
            self.X = [self.client.submit(_aligned, block, pure=False) for block in self.X]
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


def _aligned(block):
    """``block``, copied once if its memory is not aligned (run on a worker).

    Blocks that travelled to the workers inside a task graph (a NumPy array
    given to ``da.from_array``) are unpickled into unaligned buffers, and
    NumPy multiplies unaligned arrays without BLAS: four to ten times slower
    per pass. The copy lives on the worker for the fit.
    """
    if isinstance(block, np.ndarray) and not block.flags.aligned:
        return np.array(block, order="C")
    return block


class BlockRunner:
    """Runs ``task(X_b, y_b, weight_b, *args)`` on every row block ``b``.

    A task returns ``(kept, small)``. ``kept`` (vectors over the block's
    rows, or None) stays where the task ran and is named by the block's
    handle; ``small`` (O(d) or O(d²)) comes back to the client.

    Parameters
    ----------
    blocks : RowBlocks
    """

    def __init__(self, blocks):
        self.blocks = blocks

    def run(self, task, args, read_X=True):
        """Run ``task`` on every block; ``args(b)`` gives block ``b``'s other arguments.

        Returns the handles of the blocks' results (for :class:`BlockSum`)
        and the list of their small parts.
        """
        blocks = self.blocks
        calls = [
            (
                blocks.X[b] if read_X else None,
                blocks.y[b],
                blocks.weight_block(b),
                *args(b),
            )
            for b in range(len(blocks))
        ]
        client = blocks.client
        if client is None:
            results = dask.compute(*[delayed(task, pure=False)(*call) for call in calls])
            return list(results), [result[1] for result in results]
        # One map call per kind of task: far less scheduling work than a
        # submit per block.
        handles = client.map(task, *zip(*calls, strict=True), pure=False)
        smalls = client.map(operator.itemgetter(1), handles, pure=False)
        return handles, client.gather(smalls)


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
    task, ``(handles, slot)``: slot ``slot`` of the ``kept`` part of each
    block's result. Arithmetic only combines the scalars; a block task
    receives its block's terms (:meth:`block`) and evaluates them with
    :func:`combine`. A task that evaluates a sum keeps it, and
    :meth:`replace` then points the sum at that result, so it is computed
    once.
    """

    # NumPy scalars on the left of ``*`` must defer to __rmul__.
    __array_ufunc__ = None

    def __init__(self, terms):
        self.terms = list(terms)

    @classmethod
    def of(cls, coef, intercept):
        """``X @ coef + intercept``, to be computed by the task that reads it."""
        return cls([(1.0, MatVec(coef, intercept), None)])

    def __add__(self, other):
        return BlockSum(self.terms + other.terms)

    def __mul__(self, scale):
        return BlockSum([(float(scale) * c, vector, slot) for c, vector, slot in self.terms])

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    @property
    def reads_X(self):
        """Whether evaluating the sum needs ``X`` (a product not computed yet)."""
        return any(isinstance(vector, MatVec) for _, vector, _ in self.terms)

    def block(self, b):
        """The terms of block ``b``, for :func:`combine`."""
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
            value = vector[0][slot]
        total = scale * value if total is None else total + scale * value
    return np.asarray(total)
