"""Workers lost during Dask fits: the fit goes on, or fails within its bound.

Unlike ``test_dask.py``, the workers here are processes, killed with
SIGKILL as a crash or the kernel's OOM killer would. The kill comes at the
k-th wait of the fit on the cluster (on a pass, an epoch, the actors, the
blocks), counted by wrapping :meth:`ClusterWatch.result`, so that it falls
at the same moment of the fit however loaded the machine is: just after
the fit has sent that work to the workers and before it has the answer.
"""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from sklearn.datasets import make_classification  # noqa: E402

from skgd import GDClassifier  # noqa: E402
from skgd._dask import _cluster, _runner  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 2.0
SOLVERS = {
    "sgd": dict(max_iter=3, tol=None),
    "minibatch": dict(max_iter=3, tol=None),
    "momentum": dict(max_iter=3, tol=None),
    "batch": dict(max_iter=30),
    "newton": dict(),
}


@pytest.fixture(autouse=True)
def short_bound():
    with dask.config.set({_cluster.TIMEOUT_KEY: f"{TIMEOUT}s"}):
        yield


def _start_cluster(n_workers, nanny):
    """A scheduler in this process and ``n_workers`` single-threaded worker processes.

    ``dask worker`` processes start in about a second where a
    ``LocalCluster`` of processes takes several.
    """
    cluster = distributed.LocalCluster(
        n_workers=0,
        processes=False,
        protocol="tcp",
        dashboard_address=None,
        silence_logs=logging.CRITICAL,
    )
    command = [sys.executable, "-m", "distributed.cli.dask_worker", cluster.scheduler_address]
    command += ["--nanny" if nanny else "--no-nanny", "--nthreads", "1", "--no-dashboard"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    processes = [subprocess.Popen(command, env=environment, **quiet) for _ in range(n_workers)]
    client = distributed.Client(cluster)
    client.wait_for_workers(n_workers, timeout=60)
    return cluster, client, processes


def _stop_cluster(cluster, client, processes):
    client.close()
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    cluster.close()


@pytest.fixture(scope="module")
def client():
    # With nannies: a killed worker is started again, as in production.
    cluster, client, processes = _start_cluster(3, nanny=True)
    yield client
    _stop_cluster(cluster, client, processes)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(n_samples=12_000, n_features=20, random_state=0)
    return da.from_array(X, chunks=(1000, 20)), da.from_array(y, chunks=1000)


def _estimator(solver):
    return GDClassifier(loss="log_loss", solver=solver, random_state=0, **SOLVERS[solver])


class KillAt:
    """Kills ``victims()`` at the fit's ``at``-th wait or pass on the cluster.

    A wait is one :meth:`ClusterWatch.result`: for an actor call, an actor,
    an epoch or the labels. A pass is one call to every actor, or one
    computation (an epoch, the labels): the kill comes after the fit has
    sent it, before the fit waits for it. Without ``at`` it only counts.
    """

    def __init__(self, monkeypatch, client, unit="wait", at=None, victims=None):
        self.client, self.at, self.count, self.killed_at = client, at, 0, None
        self.victims = victims or self.busiest_worker
        if unit == "wait":
            self._wrap(monkeypatch, _cluster.ClusterWatch, "result")
        else:
            self._wrap(monkeypatch, _cluster.ClusterWatch, "compute")
            self._wrap(monkeypatch, _runner, "_wait_for_all")

    def _wrap(self, monkeypatch, owner, name):
        function = getattr(owner, name)

        def counting(*args, **kwargs):
            self.count += 1
            if self.count == self.at:
                for pid in self.victims():
                    os.kill(pid, signal.SIGKILL)
                self.killed_at = time.monotonic()
            return function(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)

    def busiest_worker(self):
        """The worker that holds the most data: one with blocks of the fit."""

        def held(dask_worker):
            return len(dask_worker.data), os.getpid()

        return [max(self.client.run(held).values())[1]]


@pytest.fixture(scope="module")
def references(client, data):
    """Each solver's undisturbed fit, and how many passes it makes on the cluster.

    All made first, while every worker is warm and none is restarting.
    """
    fits = {}
    with pytest.MonkeyPatch.context() as monkeypatch:
        for solver in SOLVERS:
            counter = KillAt(monkeypatch, client, unit="pass")
            fits[solver] = _estimator(solver).fit(*data), counter.count
            monkeypatch.undo()
    return fits


@pytest.mark.parametrize("moment", ["early", "late"])
@pytest.mark.parametrize("solver", list(SOLVERS))
def test_a_lost_worker_costs_the_fit_nothing(
    client, data, references, monkeypatch, solver, moment
):
    reference, passes = references[solver]
    if moment == "early":
        # The second wait (the first is for the labels' distinct values):
        # on the first actor as it starts, or on the first epoch.
        kill = KillAt(monkeypatch, client, unit="wait", at=2)
    else:
        kill = KillAt(monkeypatch, client, unit="pass", at=passes - 1)
    fit = _estimator(solver).fit(*data)
    assert kill.killed_at is not None
    assert fit.n_iter_ == reference.n_iter_
    if solver in ("batch", "newton"):
        # The kept raw predictions are computed again from the coefficients,
        # rounded differently.
        np.testing.assert_allclose(fit.coef_, reference.coef_, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(fit.intercept_, reference.intercept_, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(fit.loss_curve_, reference.loss_curve_, rtol=1e-6)
    else:
        # The lost tasks run again on the same inputs. Undisturbed fits on
        # worker processes differ by some 1e-14 already, and in the losses
        # of their first epochs.
        np.testing.assert_allclose(fit.coef_, reference.coef_, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(fit.intercept_, reference.intercept_, rtol=1e-10, atol=1e-12)
        assert fit.t_ == reference.t_


@pytest.fixture
def workers_without_nannies():
    """Two worker processes that nobody starts again, and their pids."""
    cluster, client, processes = _start_cluster(2, nanny=False)
    try:
        with client.as_current():
            yield client, [process.pid for process in processes]
    finally:
        _stop_cluster(cluster, client, processes)


@pytest.mark.parametrize(
    "solver, at",
    # While the tasks that find the labels run; during a pass of the actors.
    [("sgd", 1), ("newton", 3)],
    ids=["sgd-tasks", "newton-actors"],
)
def test_a_fit_that_loses_every_worker_fails_within_its_bound(
    workers_without_nannies, data, monkeypatch, solver, at
):
    client, pids = workers_without_nannies
    # The previous fit, on NumPy data: the workers warm up in the failed fit.
    estimator = _estimator(solver).fit(*[array.compute() for array in data])
    coef, n_iter = estimator.coef_.copy(), estimator.n_iter_
    kill = KillAt(monkeypatch, client, unit="pass", at=at, victims=lambda: pids)
    with pytest.raises(RuntimeError, match=r"all 2 workers of the cluster were lost; the fit"):
        estimator.fit(*data)
    elapsed = time.monotonic() - kill.killed_at
    # The bound counts from the last progress, just before the kill; then a
    # look at the cluster (every quarter of the bound), and slack for a
    # loaded machine.
    assert TIMEOUT - 0.5 < elapsed < TIMEOUT + 3.0
    assert estimator.n_iter_ == n_iter
    np.testing.assert_array_equal(estimator.coef_, coef)


@pytest.fixture
def scheduler_process(tmp_path):
    """A scheduler process, a worker process, and a client of theirs."""
    scheduler_file = str(tmp_path / "scheduler.json")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    run = [sys.executable, "-m"]
    options = ["--scheduler-file", scheduler_file, "--no-dashboard"]
    scheduler = subprocess.Popen([*run, "distributed.cli.dask_scheduler", *options], **quiet)
    worker = subprocess.Popen(
        [*run, "distributed.cli.dask_worker", *options, "--no-nanny", "--nthreads", "1"], **quiet
    )
    client = None
    try:
        client = distributed.Client(scheduler_file=scheduler_file, timeout=30)
        client.wait_for_workers(1, timeout=60)
        with client.as_current():
            yield client, scheduler.pid
    finally:
        if client is not None:
            client.close(timeout=2)
        for process in (worker, scheduler):
            process.kill()
            process.wait()


def test_a_fit_that_loses_the_scheduler_fails_at_once(scheduler_process, data, monkeypatch):
    client, scheduler = scheduler_process
    estimator = _estimator("sgd").fit(*[array.compute() for array in data])
    coef = estimator.coef_.copy()
    # While the tasks that find the labels run.
    kill = KillAt(monkeypatch, client, unit="pass", at=1, victims=lambda: [scheduler])
    with pytest.raises(RuntimeError, match=r"the scheduler tcp://\S+ was lost"):
        estimator.fit(*data)
    # The client cancels the fit's futures when it loses the scheduler.
    assert time.monotonic() - kill.killed_at < TIMEOUT + 3.0
    np.testing.assert_array_equal(estimator.coef_, coef)
