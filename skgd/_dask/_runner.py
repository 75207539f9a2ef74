"""One task on every row block, with what it keeps left on the workers.

A pass of the solvers over dask data runs one task per row block (see
:mod:`skgd._dask._objective`): ``task(X_b, y_b, weight_b, *args)`` returns
``(kept, small)``. ``small`` (O(d) or O(d²)) comes back to the client;
``kept`` (vectors over the block's rows, such as the raw predictions) stays
where the task ran, named by a *handle* that later tasks receive in place of
the vectors.

With dask's local schedulers the tasks run with ``dask.compute`` and the
handles are the kept vectors themselves.

On a distributed cluster, each worker gets a :class:`BlockHolder` actor for
the fit: it holds the blocks the worker already has (no data moves) and the
vectors the tasks kept, and runs each pass over its blocks when the client
calls it. An actor call goes from the client to the worker and back; a task
goes through the scheduler, which on a cluster of two local workers takes
about 30 ms a pass where the call takes 5, and the solvers make a pass per
iteration.

A worker may die during the fit. The scheduler recomputes the blocks it held
(the persisted arrays keep their graph), but not the actors. A pass whose
actor is lost retires every holder, with what they kept, starts new ones on
the workers that remain, and is run again: the kept vectors it reads are
computed anew from the coefficients they stand for (see
:class:`~skgd._dask._blocks.BlockSum`), so the fit goes on where it was.
Every wait is bounded (:mod:`skgd._dask._cluster`).
"""

import itertools
import pickle
import weakref
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import dask
import numpy as np
from dask import delayed

from skgd._dask._cluster import ClusterLostError, WorkersLost


class BlockRunner:
    """Runs ``task(X_b, y_b, weight_b, *args)`` on every row block ``b``.

    Parameters
    ----------
    blocks : RowBlocks
    """

    #: How many times in a row a pass may lose workers before the fit gives up.
    max_rebuilds = 10

    def __init__(self, blocks):
        self.blocks = blocks
        self._holders = None
        self._holder_futures = []
        self._generation = _Generation()
        self._pass_ids = itertools.count()
        # Passes whose kept vectors no handle names any more: the holders
        # drop them with the next call.
        self._released = []

    def run(self, task, args, read_X=True):
        """Run ``task`` on every block; ``args(b)`` gives block ``b``'s other arguments.

        Returns the handles of the blocks' kept vectors (for
        :class:`~skgd._dask._blocks.BlockSum`) and the list of the blocks'
        small results.
        """
        if self.blocks.client is None:
            return self._run_locally(task, args, read_X)
        for _ in range(self.max_rebuilds):
            try:
                return self._run_on_holders(task, args, read_X)
            except WorkersLost:
                self._retire_holders()
                # The vectors the pass reads are computed again, from X.
                read_X = True
        raise ClusterLostError(
            f"workers were lost {self.max_rebuilds} times in a row during one pass over the data"
        )

    def _run_locally(self, task, args, read_X):
        blocks = self.blocks
        calls = [
            delayed(task, pure=False)(
                blocks.X[b] if read_X else None, blocks.y[b], blocks.weight_block(b), *args(b)
            )
            for b in range(len(blocks))
        ]
        results = dask.compute(*calls)
        return [kept for kept, _ in results], [small for _, small in results]

    def _run_on_holders(self, task, args, read_X):
        holders = self._holders or self._start_holders()
        token = _PassToken(next(self._pass_ids), self._released, self._generation)
        released = self._released[:]
        del self._released[: len(released)]
        # Pickled here in one piece: the shared arguments (the spec, the
        # coefficients) once for all blocks, and a few hundred microseconds
        # where dask's message protocol takes milliseconds per object.
        calls = [
            (
                address,
                _call(
                    holder,
                    token.pass_id,
                    pickle.dumps(
                        (task, [args(b) for b in members]), protocol=pickle.HIGHEST_PROTOCOL
                    ),
                    read_X,
                    released,
                ),
            )
            for address, holder, members in holders
        ]
        replies = _wait_for_all(self.blocks.watch, calls)
        handles, smalls = [None] * len(self.blocks), [None] * len(self.blocks)
        for (_, _, members), reply in zip(holders, replies, strict=True):
            for index, (b, small) in enumerate(zip(members, pickle.loads(reply), strict=True)):
                handles[b], smalls[b] = KeptHandle(token, index), small
        return handles, smalls

    def _start_holders(self):
        """One :class:`BlockHolder` per worker, on the blocks it holds."""
        blocks, watch = self.blocks, self.blocks.watch
        groups = _groups_by_worker(watch, blocks.X, blocks.n_rows)
        # The futures keep the actors alive for as long as this runner is.
        self._holder_futures = [
            blocks.client.submit(
                BlockHolder,
                [blocks.X[b] for b in members],
                [blocks.y[b] for b in members],
                [blocks.weight_block(b) for b in members],
                workers=[worker],
                actor=True,
                pure=False,
            )
            for worker, members in groups
        ]
        self._holders = [
            (worker, watch.result(future, worker), members)
            for future, (worker, members) in zip(self._holder_futures, groups, strict=True)
        ]
        return self._holders

    def _retire_holders(self):
        """Let the holders go, with the vectors they kept: handles to them are lost."""
        self._generation.lost = True
        self._generation = _Generation()
        self._holders = None
        self._cancel_holders()

    def _cancel_holders(self):
        futures, self._holder_futures = self._holder_futures, []
        if futures:
            try:
                self.blocks.client.cancel(futures)
            except Exception:
                # A client already closed has released them.
                pass

    def close(self):
        """Release the holders and what they keep.

        A failed fit's traceback keeps this runner, and so the holders'
        futures, alive until a garbage collection that may come much later.
        """
        self._holders = None
        self._cancel_holders()


def _call(holder, *args):
    """``holder.run(*args)``'s future, or the error raised calling a lost actor."""
    try:
        return holder.run(*args)
    except Exception as error:
        return _Failed(error)


class _Failed(NamedTuple):
    error: Exception

    def result(self, timeout=None):
        raise self.error


def _wait_for_all(watch, calls):
    """The calls' results, ``calls`` being ``[(address, future)]``.

    If one fails, its error once all have finished: a failed fit leaves no
    pass running on the cluster. Calls whose worker is gone raise
    :class:`WorkersLost` instead, naming them all, unless another call
    failed on its own.
    """
    results, errors, lost = [], [], set()
    for address, call in calls:
        try:
            results.append(watch.result(call, address))
        except WorkersLost as error:
            lost.update(error.addresses)
        except ClusterLostError:
            raise
        except Exception as error:
            errors.append((address, error))
    if errors:
        alive = watch.alive()
        if alive is None:
            watch.check()
        for address, error in errors:
            if isinstance(error, OSError) or alive is None or address not in alive:
                lost.add(address)
            else:
                raise error
    if lost:
        raise WorkersLost(lost)
    return results


def _groups_by_worker(watch, blocks, n_rows):
    """Which worker runs which blocks: ``[(address, [b, ...])]``.

    Each worker runs the blocks it holds, balanced by :func:`balance`.
    """
    watch.wait(blocks)
    client = watch.client
    who_has = watch.call(client.sync, client.scheduler.who_has, keys=[b.key for b in blocks])
    threads = watch.call(client.nthreads)
    held = {address: [] for address in threads}
    for b, block in enumerate(blocks):
        holders = [address for address in who_has[block.key] if address in held]
        held[min(holders) if holders else min(held)].append(b)
    return balance(held, n_rows, threads)


def balance(held, n_rows, threads):
    """The blocks each worker runs, from those it holds.

    A worker with more than its share of the rows (by its number of
    threads) hands blocks to the workers with less: a pass waits for the
    slowest worker, and on a fresh cluster dask may place 13 blocks on one
    worker and 7 on the other. A handed block is copied to its new worker
    once, at the start of the fit.

    Parameters
    ----------
    held : dict of address to list of int
        The blocks each worker holds.
    n_rows : list of int
        The rows of each block.
    threads : dict of address to int
        Each worker's threads.

    Returns
    -------
    list of (address, list of int)
        The workers with blocks to run, in order of address.

    Examples
    --------
    >>> from skgd._dask._runner import balance
    >>> balance({"a": [0, 1, 2, 3], "b": [4]}, [10] * 5, {"a": 1, "b": 1})
    [('a', [0, 1, 2]), ('b', [3, 4])]
    """
    groups = {address: list(blocks) for address, blocks in held.items()}
    share = sum(n_rows) / sum(threads.values())

    def excess(address):
        return sum(n_rows[b] for b in groups[address]) - share * threads[address]

    while True:
        giver = max(groups, key=excess)
        taker = min(groups, key=excess)
        block = groups[giver][-1] if groups[giver] else None
        # Move a block only if that lowers the larger of the two loads.
        if block is None or excess(taker) + n_rows[block] >= excess(giver):
            break
        groups[taker].append(groups[giver].pop())
    return sorted((address, sorted(blocks)) for address, blocks in groups.items() if blocks)


class BlockHolder:
    """The row blocks of one worker, and the vectors its tasks kept (a dask actor).

    It runs its blocks on as many threads as the worker has: the block
    tasks release the GIL in NumPy and in their compiled loops.

    Parameters
    ----------
    X, y, weight : lists of the worker's blocks (weights may be None)
    """

    def __init__(self, X, y, weight):
        from distributed import get_worker

        self.X = [_aligned(block) for block in X]
        self.y = y
        self.weight = weight
        self.kept = {}
        n_threads = min(get_worker().state.nthreads, len(X))
        self._pool = ThreadPoolExecutor(n_threads) if n_threads > 1 else None

    def run(self, pass_id, payload, read_X, released):
        """Run a task on each block; keep what it keeps as pass ``pass_id``.

        ``payload`` is the pickled ``(task, [block_args, ...])``. Returns the
        list of the blocks' small results, pickled.
        """
        for old in released:
            self.kept.pop(old, None)
        task, block_args = pickle.loads(payload)

        def run_block(i):
            X = self.X[i] if read_X else None
            return task(X, self.y[i], self.weight[i], *self._resolve(block_args[i]))

        blocks = range(len(block_args))
        results = list(self._pool.map(run_block, blocks) if self._pool else map(run_block, blocks))
        self.kept[pass_id] = [kept for kept, _ in results]
        return pickle.dumps([small for _, small in results], protocol=pickle.HIGHEST_PROTOCOL)

    def _resolve(self, value):
        """``value`` with each :class:`KeptRef` replaced by the vectors it names."""
        if isinstance(value, KeptRef):
            return self.kept[value.pass_id][value.index]
        if type(value) in (list, tuple):
            return type(value)(self._resolve(item) for item in value)
        return value


def _aligned(block):
    """``block``, copied if its memory is not aligned.

    Blocks that travelled to the workers inside a task graph (a NumPy array
    given to ``da.from_array``) are unpickled into unaligned buffers, and
    NumPy multiplies unaligned arrays without BLAS: four to ten times slower
    per pass. The copy lives on the worker for the fit.
    """
    if isinstance(block, np.ndarray) and not block.flags.aligned:
        return np.array(block, order="C")
    return block


class KeptRef(NamedTuple):
    """What a holder receives for a handle: pass ``pass_id``'s vectors of block ``index``."""

    pass_id: int
    index: int


class _Generation:
    """The holders of one stretch of the fit; ``lost`` once they are retired."""

    lost = False


class _PassToken:
    """Lives as long as a handle names the pass; then the holders may drop it."""

    def __init__(self, pass_id, released, generation):
        self.pass_id = pass_id
        self.generation = generation
        weakref.finalize(self, released.append, pass_id)


class KeptHandle:
    """A handle, on the client, to the vectors one pass kept of one block."""

    __slots__ = ("token", "index")

    def __init__(self, token, index):
        self.token = token
        self.index = index

    @property
    def lost(self):
        """Whether the holder that kept the vectors was retired."""
        return self.token.generation.lost

    def __reduce__(self):
        # Only the name travels; the token stays with the client.
        return KeptRef, (self.token.pass_id, self.index)
