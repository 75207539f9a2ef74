"""Waiting on a distributed cluster: every wait bounded, every loss named.

A fit on a cluster waits for the workers many times: for its blocks, for its
actors, for each pass. :class:`ClusterWatch` makes every one of these waits
a loop of short waits; between two, it asks the scheduler which workers are
alive. Then

- a worker that the awaited result depends on (an actor's) and that is gone
  raises :class:`WorkersLost` at once, and the caller rebuilds what it lost
  on the workers that remain (see :mod:`skgd._dask._runner`);
- a cluster with no worker left, or a scheduler the client cannot reach,
  raises :class:`ClusterLostError` once the fit has gone that long without
  progress: ``dask.config.get("skgd.no-progress-timeout")``, 30 s by default.

Progress is a result received, or a look at the cluster that finds the
scheduler and a worker that can work: a long pass on a healthy cluster never
times out.
"""

import asyncio
import time
from concurrent.futures import CancelledError

import dask
from dask.utils import parse_timedelta

#: The dask configuration key of the bound, and its default.
TIMEOUT_KEY = "skgd.no-progress-timeout"
DEFAULT_TIMEOUT = "30s"


def no_progress_timeout():
    """The bound on a fit's time without progress, in seconds, from dask's configuration.

    Examples
    --------
    >>> import dask
    >>> from skgd._dask._cluster import no_progress_timeout
    >>> no_progress_timeout()
    30.0
    >>> with dask.config.set({"skgd.no-progress-timeout": "2s"}):
    ...     no_progress_timeout()
    2.0
    """
    value = dask.config.get(TIMEOUT_KEY, DEFAULT_TIMEOUT)
    seconds = parse_timedelta(value, default="s")
    if seconds is None or not seconds > 0:
        raise ValueError(f"{TIMEOUT_KEY} must be a positive duration; got {value!r}.")
    return float(seconds)


class ClusterLostError(RuntimeError):
    """The fit cannot go on: every worker, or the scheduler, is gone."""


# What a call to the scheduler raises when it cannot be reached in time:
# the comm errors are OSErrors, and so is TimeoutError from Python 3.11 on.
_UNREACHABLE = (OSError, RuntimeError, asyncio.TimeoutError)


class WorkersLost(Exception):
    """Workers that held part of the fit (its actors) are gone; the pass can be redone."""

    def __init__(self, addresses):
        self.addresses = sorted(addresses)
        super().__init__(f"lost the workers {', '.join(self.addresses)}")


class ClusterWatch:
    """Bounded waits on one client's cluster, and the clock of the fit's progress.

    Parameters
    ----------
    client : distributed.Client
    """

    def __init__(self, client):
        self.client = client
        self.timeout = no_progress_timeout()
        # Short enough to find a lost cluster well within the bound.
        self.poll = min(1.0, self.timeout / 4)
        # The workers the fit has known, to say how many were lost.
        self.seen = set()
        self.alive()
        self.last_progress = time.monotonic()

    def alive(self):
        """The addresses of the live workers, or None if the scheduler cannot be reached."""
        if self.client.status != "running":
            return None
        try:
            workers = self.client.nthreads(callback_timeout=self.poll)
        except _UNREACHABLE:
            return None
        self.seen.update(workers)
        return set(workers)

    def check(self, needed=()):
        """Raise if the fit cannot go on as it is; else count the look as progress.

        ``needed`` are the workers the awaited results depend on.
        """
        alive = self.alive()
        if not alive:
            stalled = time.monotonic() - self.last_progress
            if stalled > self.timeout:
                raise ClusterLostError(self._lost(alive, stalled))
            return
        lost = set(needed) - alive
        if lost:
            raise WorkersLost(lost)
        self.last_progress = time.monotonic()

    def _lost(self, alive, stalled):
        made = f"the fit made no progress for {stalled:.1f} s"
        limit = f"(dask config {TIMEOUT_KEY!r} = {self.timeout:g} s)"
        if alive is None:
            address = getattr(self.client.scheduler, "address", "")
            return (
                f"the scheduler {address} was lost (the client is {self.client.status}); "
                f"{made} {limit}"
            )
        return f"all {len(self.seen)} workers of the cluster were lost; {made} {limit}"

    def result(self, future, worker=None):
        """``future.result()``, waiting as long as the fit makes progress.

        ``future`` is a task's future or an actor call's; ``worker`` is the
        address of the worker it depends on, if one (an actor's).
        """
        from distributed import Future

        needed = () if worker is None else (worker,)
        task = isinstance(future, Future)

        def attempt():
            if task:
                # A task's result is gathered once it is ready, with the whole
                # bound as its timeout: a gather cut short by a timeout can
                # leave the client's next gather cancelled.
                self.wait([future], needed)
            return future.result(timeout=self.timeout if task else self.poll)

        return self._retry(attempt, needed)

    def _retry(self, attempt, needed):
        """``attempt()`` until it returns, checking the cluster after each timeout."""
        while True:
            try:
                value = attempt()
            except (TimeoutError, asyncio.TimeoutError):
                self.check(needed)
                continue
            except Exception as error:
                self._raise_if_cut_off(error)
                raise
            self.last_progress = time.monotonic()
            return value

    def _raise_if_cut_off(self, error):
        """Raise :class:`ClusterLostError` if ``error`` comes from a lost scheduler.

        A client cut off from its scheduler cancels its futures; the fit
        never cancels those it waits for.
        """
        if isinstance(error, ClusterLostError):
            return
        if self.client.status != "running" or isinstance(error, CancelledError):
            address = getattr(self.client.scheduler, "address", "")
            raise ClusterLostError(
                f"the scheduler {address} was lost (the client is {self.client.status}), "
                f"and the fit's work on the cluster with it: {error}"
            ) from error

    def wait(self, futures, needed=()):
        """Wait until the futures are done, as long as the fit makes progress.

        Their data stay on the workers; ``needed`` as for :meth:`check`.
        """
        from distributed import wait

        self._retry(lambda: wait(futures, timeout=self.poll), needed)

    def compute(self, collection):
        """``dask.compute(collection)[0]`` on the cluster, through :meth:`result`."""
        futures = self.client.compute(collection)
        many = isinstance(futures, list)
        futures = futures if many else [futures]
        try:
            results = [self.result(future) for future in futures]
        finally:
            for future in futures:
                future.release()
        return type(collection)(results) if many else results[0]

    def call(self, method, *args, **kwargs):
        """``method(*args, **kwargs)``, a client's call to the scheduler, retried
        with the poll as its timeout for as long as the fit makes progress."""
        start = time.monotonic()
        while True:
            try:
                return method(*args, callback_timeout=self.poll, **kwargs)
            except _UNREACHABLE:
                if time.monotonic() - start > self.timeout:
                    raise
                self.check()
