"""Row blocks of dask arrays, and per-block vectors kept where they were computed.

The objectives and epochs in this package work on *row blocks*: ``X``, ``y``
and the sample weights cut at the same rows, one delayed object per block.
A task given a block's delayed objects runs on the worker that holds them
(the distributed scheduler places a task next to its largest input), so a
pass over ``X`` moves only its small results.
"""

import sys

import dask
import numpy as np
from dask import delayed


def distributed_client():
    """The distributed ``Client`` dask computes with now, or None."""
    if "distributed" not in sys.modules:
        return None
    from distributed import default_client

    try:
        return default_client()
    except ValueError:
        return None


class RowBlocks:
    """``X``, ``y`` and sample weights as lists of delayed row blocks.

    On a distributed cluster the arrays are persisted first: the blocks are
    computed once and stay on the workers for the whole fit (spread over
    them, never gathered), so that each pass reads memory instead of
    recomputing or re-sending the blocks. With dask's local schedulers they
    are not persisted, so data read from disk stays out of core: each pass
    reads the blocks again.

    Parameters
    ----------
    X : dask array of shape (n_samples, n_features), one chunk of columns
    y : dask array of shape (n_samples,), chunked like X's rows
    sample_weight : dask array of shape (n_samples,) or None
    """

    def __init__(self, X, y, sample_weight):
        arrays = [X, y] + ([] if sample_weight is None else [sample_weight])
        if distributed_client() is not None:
            arrays = list(dask.persist(*arrays))
        # The delayed blocks below name the persisted results without holding
        # them: the arrays keep them alive for as long as the blocks are used.
        self.arrays = arrays
        self.X = list(arrays[0].to_delayed()[:, 0])
        self.y = list(arrays[1].to_delayed())
        self.weight = list(arrays[2].to_delayed()) if sample_weight is not None else None
        self.n_rows = [int(n) for n in X.chunks[0]]
        self.n_samples, self.n_features = X.shape

    def __len__(self):
        return len(self.n_rows)

    def weight_block(self, b):
        """Block ``b`` of the sample weights; None stands for unit weights."""
        return None if self.weight is None else self.weight[b]


class BlockSum:
    """A lazy linear combination ``Σ cₖ vₖ`` of vectors held in row blocks.

    The Newton solver keeps the raw predictions ``X w`` along its iterates
    and forms trial points as ``raw + s * raw_step``. Here each ``vₖ`` is a
    list of persisted per-block arrays on the workers, and those operations
    only combine the scalars: a block task receives its block's terms
    (:meth:`block`) and sums them, O(n / n_blocks) work instead of a pass
    over ``X``. :meth:`compact` persists the sum once it is kept.
    """

    # NumPy scalars on the left of ``*`` must defer to __rmul__.
    __array_ufunc__ = None

    def __init__(self, terms):
        self.terms = list(terms)

    def __add__(self, other):
        return BlockSum(self.terms + other.terms)

    def __mul__(self, scale):
        return BlockSum([(float(scale) * c, blocks) for c, blocks in self.terms])

    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-other)

    def block(self, b):
        """The terms of block ``b``: ``[(cₖ, vₖ[b]), ...]`` for :func:`combine`."""
        return [(c, blocks[b]) for c, blocks in self.terms]

    def compact(self):
        """Replace the terms by their persisted sum, in place; returns self."""
        if len(self.terms) > 1:
            n_blocks = len(self.terms[0][1])
            blocks = [delayed(combine)(self.block(b)) for b in range(n_blocks)]
            self.terms = [(1.0, list(dask.persist(*blocks)))]
        return self


def combine(terms):
    """``Σ cₖ vₖ`` of one block's terms (run on a worker)."""
    scale, vector = terms[0]
    total = scale * np.asarray(vector)
    for scale, vector in terms[1:]:
        total = total + scale * vector
    return total
