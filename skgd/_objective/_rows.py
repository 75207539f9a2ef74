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
