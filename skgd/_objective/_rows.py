"""The order in which an epoch of the sampled-row solvers visits the rows.

scikit-learn's SGD keeps one permutation of the rows per fit and, at the
start of every epoch, shuffles it again in place by Fisher–Yates, driven by
its xorshift generator (``our_rand_r``) restarted from the same seed each
epoch. :class:`RowOrder` reproduces it, so that the same seed visits the
rows in the same order as ``SGDClassifier`` and ``SGDRegressor``.
"""

import numpy as np
from numba import njit


class RowOrder:
    """scikit-learn's row order over ``n_samples`` rows from ``seed``.

    Examples
    --------
    >>> from skgd._objective._rows import RowOrder
    >>> rows = RowOrder(5, seed=42)
    >>> rows.next(shuffle=False).tolist()
    [0, 1, 2, 3, 4]
    >>> sorted(rows.next(shuffle=True).tolist())
    [0, 1, 2, 3, 4]
    """

    def __init__(self, n_samples, seed):
        self.index = np.arange(n_samples, dtype=np.intp)
        self.seed = int(seed)

    def next(self, shuffle):
        """The next epoch's order (the same array, reshuffled in place if ``shuffle``)."""
        if shuffle:
            _shuffle(self.index, self.seed)
        return self.index


class RowOrderWithout:
    """scikit-learn's row order over all rows, less the ``held_out`` ones.

    scikit-learn's early stopping shuffles every row and skips the
    validation rows; the order is given as indices among the other rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._objective._rows import RowOrderWithout
    >>> rows = RowOrderWithout(np.array([False, True, False, False]), seed=0)
    >>> rows.next(shuffle=False).tolist()
    [0, 1, 2]
    """

    def __init__(self, held_out, seed):
        self.rows = RowOrder(held_out.shape[0], seed)
        self.held_out = held_out
        self.position = np.cumsum(~held_out) - 1

    def next(self, shuffle):
        """The next epoch's order of the rows that are not held out."""
        index = self.rows.next(shuffle)
        return self.position[index[~self.held_out[index]]]


@njit(cache=True, nogil=True)
def _shuffle(index, seed):
    """scikit-learn's ``SequentialDataset.shuffle``: the state is a uint32, in an int64."""
    state = seed & 0xFFFFFFFF
    n = index.shape[0]
    for i in range(n - 1):
        if state == 0:
            state = 1
        state ^= (state << 13) & 0xFFFFFFFF
        state ^= state >> 17
        state ^= (state << 5) & 0xFFFFFFFF
        j = i + (state % 2147483648) % (n - i)
        index[i], index[j] = index[j], index[i]
