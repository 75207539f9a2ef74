"""Fitting on dask arrays, on a real distributed cluster.

The cluster is a ``LocalCluster`` of two single-threaded workers, started
once for this module. Its workers run in this process (``processes=False``):
starting two worker processes costs about 12 s on a 2-core machine, more than
all the tests below. The scheduler, the workers' data placement and the
transfers are the real ones; what reaches the client is measured directly
(``test_x_is_never_gathered``), which does not depend on where the workers run.
"""

import gc
import time
import warnings

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

from dask.sizeof import sizeof  # noqa: E402
from sklearn.datasets import make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402

from skgd import GDClassifier, GDRegressor, PerceptronGD  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

CHUNK = 500


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _regression(n_samples=2000, n_features=5, seed=0):
    X, y = make_regression(
        n_samples=n_samples, n_features=n_features, noise=1.0, random_state=seed
    )
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    return X, y


def _classification(n_classes=2, n_samples=2000, n_clusters_per_class=2):
    return make_classification(
        n_samples=n_samples,
        n_features=6,
        n_informative=4,
        n_classes=n_classes,
        n_clusters_per_class=n_clusters_per_class,
        random_state=0,
    )


def _dask(*arrays, chunk=CHUNK):
    return [da.from_array(a, chunks=(chunk,) + a.shape[1:]) for a in arrays]


def _sample_weight(n):
    return np.random.RandomState(1).uniform(0.0, 3.0, size=n)


# -- batch and newton: the same coefficients as NumPy -------------------------------


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="newton", alpha=1e-2),
        dict(solver="newton", loss="huber", alpha=1e-3, tol=1e-7),
        dict(solver="batch", learning_rate="constant", eta0=0.5, tol=1e-6),
        dict(solver="batch", learning_rate="line_search", penalty="elasticnet", alpha=1e-2),
        dict(solver="batch", learning_rate="line_search", alpha=1e-2, tol=None, max_iter=40),
    ],
)
def test_regressor_matches_numpy(client, params):
    X, y = _regression()
    weight = _sample_weight(X.shape[0])
    numpy_fit = GDRegressor(**params).fit(X, y, sample_weight=weight)
    Xd, yd, wd = _dask(X, y, weight)
    dask_fit = GDRegressor(**params).fit(Xd, yd, sample_weight=wd)
    np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dask_fit.intercept_, numpy_fit.intercept_, rtol=1e-6, atol=1e-9)
    assert dask_fit.n_iter_ == numpy_fit.n_iter_
    np.testing.assert_allclose(dask_fit.loss_curve_, numpy_fit.loss_curve_, rtol=1e-6)


def test_line_search_on_blocks_the_compiled_pass_cannot_read(client, monkeypatch):
    # Fortran-ordered blocks take the array-operation trials; the fit is
    # still the NumPy one.
    from skgd._objective import LinearObjective

    used = []
    by_arrays = LinearObjective._trials_by_arrays

    def recording(*args, **kwargs):
        used.append(True)
        return by_arrays(*args, **kwargs)

    monkeypatch.setattr(LinearObjective, "_trials_by_arrays", recording)
    X, y = _regression()
    params = dict(solver="batch", learning_rate="line_search", alpha=1e-2, tol=None, max_iter=20)
    numpy_fit = GDRegressor(**params).fit(X, y)
    Xd, yd = _dask(X, y)
    dask_fit = GDRegressor(**params).fit(Xd.map_blocks(np.asfortranarray), yd)
    assert used
    np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dask_fit.loss_curve_, numpy_fit.loss_curve_, rtol=1e-6)


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
@pytest.mark.parametrize("solver", ["newton", "batch"])
def test_classifier_matches_numpy(client, solver, multi_class):
    X, y = _classification(n_classes=3)
    params = dict(
        loss="log_loss",
        solver=solver,
        multi_class=multi_class,
        alpha=1e-2,
        class_weight="balanced",
    )
    if solver == "batch":
        params.update(learning_rate="constant", eta0=1.0, max_iter=20)
    numpy_fit = GDClassifier(**params).fit(X, y)
    Xd, yd = _dask(X, y)
    dask_fit = GDClassifier(**params).fit(Xd, yd)
    np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(dask_fit.intercept_, numpy_fit.intercept_, rtol=1e-6, atol=1e-9)
    assert dask_fit.n_iter_ == numpy_fit.n_iter_
    np.testing.assert_array_equal(dask_fit.classes_, numpy_fit.classes_)
    proba = dask_fit.predict_proba(Xd)
    assert isinstance(proba, da.Array)
    np.testing.assert_allclose(proba.compute(), numpy_fit.predict_proba(X), rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(dask_fit.predict(Xd).compute(), numpy_fit.predict(X))


def test_wide_data_use_truncated_newton(client):
    # Beyond 1,000 features Newton solves by conjugate gradients on
    # Hessian-vector products, each one pass over the blocks.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 1005))
    y = X[:, :5] @ np.arange(1.0, 6.0) + rng.normal(size=300)
    params = dict(solver="newton", alpha=1.0, tol=1e-8)
    numpy_fit = GDRegressor(**params).fit(X, y)
    Xd, yd = _dask(X, y, chunk=100)
    dask_fit = GDRegressor(**params).fit(Xd, yd)
    np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-6, atol=1e-8)


# -- sampled-row solvers: the block walk ----------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="sgd", penalty="elasticnet", alpha=1e-3, average=True),
        dict(solver="minibatch", batch_size=50, penalty="l1", alpha=1e-3),
        dict(solver="momentum", batch_size=50, learning_rate="constant", eta0=0.01),
        dict(solver="momentum", batch_size=25, nesterov=True, learning_rate="constant"),
    ],
)
def test_block_walk_without_shuffle_is_the_numpy_epoch(client, params):
    # Unshuffled, with batches that never straddle two blocks, walking the
    # blocks in order visits the rows and forms the batches exactly as one
    # NumPy epoch does: every piece of state (coefficients, velocity,
    # averages, L1 totals, the counter t) must travel from block to block.
    X, y = _regression()
    weight = _sample_weight(X.shape[0])
    params = dict(params, shuffle=False, max_iter=4, tol=None)
    numpy_fit = GDRegressor(**params).fit(X, y, sample_weight=weight)
    dask_fit = GDRegressor(**params).fit(*_dask(X, y), sample_weight=_dask(weight)[0])
    np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-10)
    np.testing.assert_allclose(dask_fit.intercept_, numpy_fit.intercept_, rtol=1e-10)
    assert dask_fit.t_ == numpy_fit.t_
    np.testing.assert_allclose(dask_fit.loss_curve_, numpy_fit.loss_curve_, rtol=1e-10)


@pytest.mark.parametrize("solver", ["sgd", "minibatch", "momentum"])
def test_shuffled_block_walk_reaches_the_optimum(client, solver):
    X, y = _regression()
    optimum = GDRegressor(solver="newton", alpha=1e-4).fit(X, y)
    Xd, yd = _dask(X, y, chunk=300)  # uneven blocks: 6 of 300 rows and one of 200
    eta0 = {"sgd": 0.002, "minibatch": 0.05, "momentum": 0.005}[solver]
    params = dict(
        solver=solver,
        alpha=1e-4,
        learning_rate="constant",
        eta0=eta0,
        max_iter=20,
        tol=None,
        random_state=0,
    )
    fitted = GDRegressor(**params).fit(Xd, yd)
    assert fitted.n_iter_ == len(fitted.loss_curve_)
    np.testing.assert_allclose(fitted.coef_, optimum.coef_, atol=0.02)
    # The epochs' objectives approach the optimal one from above.
    best = optimum.loss_curve_[-1]
    assert best <= fitted.loss_curve_[-1] < best + 0.01
    # t counts batches: each block ends with its own (possibly shorter) batch.
    batch = 1 if solver == "sgd" else 32
    per_epoch = sum(-(-n // batch) for n in Xd.chunks[0])
    assert fitted.t_ == 1 + per_epoch * fitted.n_iter_
    # Same seed, same walk.
    again = GDRegressor(**params).fit(Xd, yd)
    np.testing.assert_array_equal(again.coef_, fitted.coef_)


@pytest.mark.parametrize("multi_class", ["ovr", "multinomial"])
def test_minibatch_classifier_on_dask(client, multi_class):
    X, y = _classification(n_classes=3)
    params = dict(
        loss="log_loss",
        solver="minibatch",
        multi_class=multi_class,
        batch_size=50,
        learning_rate="constant",
        eta0=0.05,
        random_state=0,
    )
    Xd, yd = _dask(X, y)
    # Unshuffled, the block walk is NumPy's epoch (see above), here through
    # the one-vs-rest problems and the softmax kernel.
    exact = dict(params, shuffle=False, max_iter=3, tol=None)
    np.testing.assert_allclose(
        GDClassifier(**exact).fit(Xd, yd).coef_,
        GDClassifier(**exact).fit(X, y).coef_,
        rtol=1e-10,
        atol=1e-12,
    )
    # Shuffled, it fits as well as NumPy's shuffled epochs.
    numpy_fit = GDClassifier(**params).fit(X, y)
    dask_fit = GDClassifier(**params).fit(Xd, yd)
    assert abs(float(dask_fit.score(Xd, yd)) - numpy_fit.score(X, y)) < 0.02
    assert abs(dask_fit.loss_curve_[-1] - numpy_fit.loss_curve_[-1]) < 0.01


def test_convergence_warning_as_on_numpy(client):
    X, y = _regression()
    Xd, yd = _dask(X, y)
    for solver in ("batch", "minibatch", "newton"):
        # Huber: Newton's method needs more than the one step of a quadratic.
        estimator = GDRegressor(
            loss="huber", solver=solver, max_iter=1, tol=1e-12, learning_rate="constant"
        )
        with pytest.warns(ConvergenceWarning):
            estimator.fit(Xd, yd)


@pytest.mark.parametrize(
    ("params", "extra_passes"),
    [
        # Newton: one pass for the start, then one per iteration (each
        # fetches the value, gradient and Hessian at the full step).
        (dict(solver="newton", loss="log_loss", alpha=1e-3, tol=1e-10), 1),
        # Batch with the line search: the start, then one pass per iteration
        # whenever one of its three trials passes; a few need a second pass.
        (dict(solver="batch", learning_rate="line_search", loss="log_loss", max_iter=30), 8),
    ],
    ids=["newton", "batch-line-search"],
)
def test_one_round_trip_per_iteration(client, monkeypatch, params, extra_passes):
    from skgd._dask import _runner

    X, y = _classification()
    Xd, yd = _dask(X, y)
    passes = []
    run = _runner.BlockRunner.run

    def counting(self, task, *args, **kwargs):
        passes.append(task.__name__)
        return run(self, task, *args, **kwargs)

    monkeypatch.setattr(_runner.BlockRunner, "run", counting)
    estimator = GDClassifier(**params).fit(Xd, yd)
    numpy_fit = GDClassifier(**params).fit(X, y)
    assert estimator.n_iter_ == numpy_fit.n_iter_
    assert len(passes) <= estimator.n_iter_ + extra_passes


# -- what travels ------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator",
    [
        GDRegressor(solver="newton"),
        GDRegressor(solver="batch", learning_rate="line_search", max_iter=20),
        GDRegressor(solver="minibatch", max_iter=3),
        GDRegressor(solver="momentum", max_iter=3, learning_rate="constant", eta0=1e-3),
        GDClassifier(loss="log_loss", solver="newton", multi_class="multinomial"),
    ],
    ids=["newton", "batch", "minibatch", "momentum", "multinomial-newton"],
)
def test_x_is_never_gathered(client, monkeypatch, estimator):
    # Every result the client receives goes through dask.compute,
    # Client.gather, a future's result or an actor's reply: record their
    # sizes. Converting X itself (np.asarray(X), X.compute()) fails.
    X, y = _regression(n_samples=20_000, n_features=10)
    if isinstance(estimator, GDClassifier):
        y = (y > 0.5).astype(int) + (y > -0.5)
    Xd, yd = _dask(X, y, chunk=2500)
    received = []
    compute = dask.compute

    def recording_compute(*args, **kwargs):
        results = compute(*args, **kwargs)
        received.append(sizeof(results))
        return results

    def refuse(*args, **kwargs):
        raise AssertionError("a dask array was brought to the client")

    gather = distributed.Client.gather

    def recording_gather(self, *args, **kwargs):
        results = gather(self, *args, **kwargs)
        received.append(sizeof(results))
        return results

    future_result = distributed.Future.result

    def recording_future_result(self, *args, **kwargs):
        result = future_result(self, *args, **kwargs)
        received.append(sizeof(result))
        return result

    actor_result = distributed.actor.ActorFuture.result

    def recording_actor_result(self, *args, **kwargs):
        result = actor_result(self, *args, **kwargs)
        received.append(sizeof(result))
        return result

    monkeypatch.setattr(dask, "compute", recording_compute)
    monkeypatch.setattr(distributed.Client, "gather", recording_gather)
    monkeypatch.setattr(distributed.Future, "result", recording_future_result)
    monkeypatch.setattr(distributed.actor.ActorFuture, "result", recording_actor_result)
    monkeypatch.setattr(da.Array, "__array__", refuse)
    monkeypatch.setattr(da.Array, "compute", refuse)
    estimator.fit(Xd, yd)
    prediction = estimator.predict(Xd)
    assert isinstance(prediction, da.Array)
    monkeypatch.undo()
    assert received, "the fit brought nothing back: it did not run on the cluster"
    # Per pass: a loss and a gradient per block, or a Hessian for Newton:
    # at most 8 blocks × 33² floats (70 kB, the multinomial Hessian of
    # 3 × 10 coefficients and 3 intercepts); X is 20,000 × 10 floats (1.6 MB).
    assert max(received) < Xd.nbytes / 20
    assert sum(received) < Xd.nbytes / 2
    assert prediction.shape == (X.shape[0],)


def test_fit_leaves_nothing_on_the_workers(client):
    # The actors that run the passes, and the vectors they kept, go with the
    # fit, with no garbage collection needed; a fit that fails midway (a
    # traceback keeps its frames alive) leaves nothing either.
    X, y = _regression(n_samples=4000)
    Xd, yd = _dask(X, y)

    def held(dask_worker):
        return len(dask_worker.state.actors)

    gc.disable()
    try:
        GDRegressor(solver="batch", learning_rate="line_search", max_iter=5, tol=None).fit(Xd, yd)
        assert _eventually(lambda: sum(client.run(held).values()) == 0)
        negative = -np.ones(len(y))
        with pytest.raises(ValueError, match="sample_weight contains negative") as failure:
            GDRegressor(solver="newton").fit(Xd, yd, sample_weight=da.from_array(negative, CHUNK))
        assert _eventually(lambda: sum(client.run(held).values()) == 0)
        X[1234, 2] = np.nan
        with pytest.raises(ValueError, match="Input X contains NaN") as failure:
            GDRegressor(solver="newton").fit(*_dask(X, y))
        assert _eventually(lambda: sum(client.run(held).values()) == 0)
        del failure
    finally:
        gc.enable()


def _eventually(condition, timeout=10.0):
    """Whether ``condition()`` turns true within ``timeout`` seconds (releases are async)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(
    "held, n_rows, threads, expected",
    [
        # 13 blocks on one worker, 7 on the other: 3 change hands.
        (
            {"a": list(range(13)), "b": list(range(13, 20))},
            [50] * 20,
            {"a": 1, "b": 1},
            [("a", list(range(10))), ("b", list(range(10, 20)))],
        ),
        # Already even: nothing moves, a worker holding nothing stays idle
        # when moving a block would not lower the largest load.
        ({"a": [0], "b": [1], "c": []}, [10, 10], {"a": 1, "b": 1, "c": 1}, None),
        # Shares follow the threads: 3 threads take three quarters.
        (
            {"a": list(range(8)), "b": []},
            [5] * 8,
            {"a": 1, "b": 3},
            [("a", [0, 1]), ("b", [2, 3, 4, 5, 6, 7])],
        ),
        # Uneven blocks: the big block stays, small ones move.
        (
            {"a": [0, 1, 2], "b": []},
            [100, 10, 10],
            {"a": 1, "b": 1},
            [("a", [0]), ("b", [1, 2])],
        ),
    ],
    ids=["13-7", "even", "threads", "uneven-blocks"],
)
def test_blocks_are_balanced_over_the_workers(held, n_rows, threads, expected):
    from skgd._dask._runner import balance

    groups = balance(held, n_rows, threads)
    if expected is None:
        expected = sorted((address, blocks) for address, blocks in held.items() if blocks)
    assert groups == expected
    assert sorted(b for _, blocks in groups for b in blocks) == list(range(len(n_rows)))


def test_workers_with_several_threads_match_numpy():
    # A worker runs its blocks on all its threads; the fit is the NumPy one.
    X, y = _classification()
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        for params in (
            dict(solver="newton", loss="log_loss", alpha=1e-3),
            dict(solver="batch", learning_rate="line_search", loss="log_loss", max_iter=20),
        ):
            dask_fit = GDClassifier(**params).fit(*_dask(X, y))
            numpy_fit = GDClassifier(**params).fit(X, y)
            np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-6, atol=1e-9)
            assert dask_fit.n_iter_ == numpy_fit.n_iter_


def test_x_stays_spread_over_the_workers(client):
    # The blocks are persisted where they are computed, never on one worker.
    X, y = _regression(n_samples=4000)
    Xd, yd = _dask(X, y)
    estimator = GDRegressor(solver="newton")
    from skgd._dask._blocks import RowBlocks

    blocks = RowBlocks(Xd, yd, None)
    distributed.wait(blocks.arrays[0])
    who_has = client.who_has(blocks.arrays[0])
    assert len({worker for workers in who_has.values() for worker in workers}) == 2
    estimator.fit(Xd, yd)


# -- validation ----------------------------------------------------------------------


@pytest.mark.parametrize("solver", ["newton", "batch", "minibatch", "momentum", "sgd"])
def test_non_finite_x_is_found_in_the_first_pass(client, solver):
    X, y = _regression()
    fitted = GDRegressor(solver="newton").fit(*_dask(X, y))
    coef = fitted.coef_.copy()
    X[1234, 2] = np.nan
    fitted.set_params(solver=solver)
    with pytest.raises(ValueError, match="Input X contains NaN"):
        fitted.fit(*_dask(X, y))
    # A failed fit leaves the fitted estimator as it was.
    np.testing.assert_array_equal(fitted.coef_, coef)


def test_non_finite_y_is_refused(client):
    X, y = _regression()
    y[3] = np.inf
    with pytest.raises(ValueError, match="Input y contains infinity"):
        GDRegressor(solver="batch").fit(*_dask(X, y))


def test_bad_input_gets_clear_errors(client):
    X, y = _regression()
    Xd, yd = _dask(X, y)
    with pytest.raises(ValueError, match="Expected a 2D dask array"):
        GDRegressor().fit(Xd[:, 0], yd)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        GDRegressor().fit(Xd, yd[:-1])
    with pytest.raises(ValueError, match="dtype"):
        GDRegressor().fit(Xd.astype(np.complex128), yd)
    with pytest.raises(ValueError, match="early_stopping=True is not supported"):
        GDRegressor(early_stopping=True).fit(Xd, yd)
    with pytest.raises(ValueError, match="negative, NaN or infinite"):
        GDRegressor().fit(Xd, yd, sample_weight=-_dask(_sample_weight(X.shape[0]))[0])
    with pytest.raises(ValueError, match="all zero"):
        GDRegressor().fit(Xd, yd, sample_weight=da.zeros(X.shape[0], chunks=CHUNK))
    unknown = da.from_array(X, chunks=CHUNK)[Xd[:, 0] > 0]
    with pytest.raises(ValueError, match="unknown chunk sizes"):
        GDRegressor().fit(unknown, yd[:10])
    fitted = GDRegressor(solver="newton").fit(Xd, yd)
    with pytest.raises(ValueError, match="X has 4 features"):
        fitted.predict(Xd[:, :4])
    with pytest.raises(ValueError, match="Unknown label type"):
        GDClassifier().fit(Xd, yd)


def test_input_is_converted_lazily(client):
    # Integer features become float64; column chunks are merged into rows;
    # NumPy targets and weights are cut like X's rows.
    X, y = _regression()
    X_int = np.round(X * 10).astype(np.int64)
    numpy_fit = GDRegressor(solver="newton").fit(X_int, y, sample_weight=_sample_weight(2000))
    Xd = da.from_array(X_int, chunks=(CHUNK, 2))
    dask_fit = GDRegressor(solver="newton").fit(Xd, y, sample_weight=_sample_weight(2000))
    np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-6)
    assert dask_fit.coef_.dtype == np.float64
    prediction = dask_fit.predict(Xd)
    np.testing.assert_allclose(prediction.compute(), numpy_fit.predict(X_int), rtol=1e-6)


def test_float32_stays_float32(client):
    X, y = _regression()
    Xd, yd = _dask(X.astype(np.float32), y.astype(np.float32))
    fitted = GDRegressor(solver="newton").fit(Xd, yd)
    assert fitted.coef_.dtype == np.float32
    assert fitted.predict(Xd).dtype == np.float32


def test_divergence_restarts_with_smaller_steps(client):
    X, y = _regression()
    est = GDRegressor(solver="minibatch", learning_rate="constant", eta0=1e3)
    with pytest.warns(ConvergenceWarning, match="restarted"):
        est.fit(*_dask(X, y))
    assert est.eta0_ < 1e3
    assert np.all(np.isfinite(est.coef_))
    assert est.score(X, y) > 0.9


def test_divergence_with_no_step_that_works_is_reported(client):
    X, y = _regression()
    with pytest.raises(ValueError, match="scale the features"):
        GDRegressor(solver="minibatch", learning_rate="constant", eta0=1e3).fit(
            *_dask(X * 1e200, y)
        )


# -- partial_fit, Incremental, search ---------------------------------------------------


@pytest.mark.parametrize("solver", ["newton", "batch", "minibatch"])
def test_partial_fit_on_dask_arrays(client, solver):
    X, y = _classification()
    Xd, yd = _dask(X, y)
    estimator = GDClassifier(loss="log_loss", solver=solver, random_state=0)
    for _ in range(3):
        estimator.partial_fit(Xd, yd, classes=[0, 1])
    assert len(estimator.loss_curve_) == 3
    assert estimator.loss_curve_[-1] < estimator.loss_curve_[0]
    with pytest.raises(ValueError, match="not in classes"):
        estimator.partial_fit(Xd, yd + 5)


@pytest.mark.parametrize("solver", ["sgd", "batch", "minibatch", "momentum", "newton"])
def test_incremental_wrapper(client, solver):
    Incremental = pytest.importorskip("dask_ml.wrappers").Incremental
    X, y = _classification(n_clusters_per_class=1)
    Xd, yd = _dask(X, y)
    eta0 = 0.1 if solver == "batch" else 0.01
    params = dict(loss="log_loss", solver=solver, learning_rate="constant", eta0=eta0)
    wrapped = Incremental(GDClassifier(**params, random_state=0), scoring="accuracy")
    wrapped.fit(Xd, yd, classes=[0, 1])
    assert wrapped.score(Xd, yd) > 0.85
    assert isinstance(wrapped.predict(Xd), da.Array)


def test_grid_search_with_the_dask_joblib_backend(client):
    import joblib
    from sklearn.model_selection import GridSearchCV

    X, y = _classification(n_clusters_per_class=1)
    search = GridSearchCV(
        PerceptronGD(max_iter=20),
        {"solver": ["sgd", "minibatch", "batch"], "eta0": [0.1, 1.0]},
        cv=2,
        n_jobs=-1,
    )
    with joblib.parallel_backend("dask"):
        search.fit(X, y)
    assert search.best_params_["solver"] in ("sgd", "minibatch", "batch")
    assert search.best_score_ > 0.85
    assert len(search.cv_results_["params"]) == 6


def test_local_scheduler_without_a_cluster():
    # With no distributed client, dask's threads compute the same passes.
    X, y = _regression()
    numpy_fit = GDRegressor(solver="newton").fit(X, y)
    with dask.config.set(scheduler="threads"), warnings.catch_warnings():
        warnings.simplefilter("error")
        dask_fit = GDRegressor(solver="newton").fit(*_dask(X, y))
    np.testing.assert_allclose(dask_fit.coef_, numpy_fit.coef_, rtol=1e-6)
