"""scikit-learn's callbacks, verbose reports and ``converged_``."""

import warnings

import numpy as np
import pytest
from _versions import CALLBACKS, needs_callbacks
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor, PerceptronGD

SOLVERS = ["sgd", "minibatch", "momentum", "batch", "newton"]


def _regression():
    X, y = make_regression(300, 5, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / np.std(y)


def _multiclass():
    X, y = make_classification(300, 5, n_informative=3, n_classes=3, random_state=0)
    return StandardScaler().fit_transform(X), y


def _regressor(solver, **params):
    return GDRegressor(solver=solver, random_state=0, **params)


class StopAfter:
    """A callback that asks the fit to stop after ``n`` iterations."""

    def __init__(self, n):
        self.n = n
        self.ended = 0
        self.torn_down = 0

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        self.torn_down += 1

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        if context.task_name != "iteration":
            return False
        self.ended += 1
        return self.ended >= self.n


class RaiseAfter(StopAfter):
    """A callback that raises in the middle of a fit."""

    def on_fit_task_end(self, estimator, context):
        if super().on_fit_task_end(estimator, context):
            raise KeyboardInterrupt


def _iteration_scores(monitor):
    logs = monitor.get_logs()
    log = logs[0] if isinstance(logs, list) else logs
    data = log.data_as_pandas
    return data[data["task_name"] == "iteration"]


@needs_callbacks
@pytest.mark.parametrize("solver", SOLVERS)
def test_scoring_monitor_scores_every_iteration(solver):
    from sklearn.callback import ScoringMonitor

    X, y = _regression()
    monitor = ScoringMonitor(scoring="r2")
    est = _regressor(solver, max_iter=6, tol=None).set_callbacks(monitor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
    scores = _iteration_scores(monitor)["r2"].to_numpy()
    assert len(scores) == est.n_iter_
    # The last iteration's model is the fitted one.
    np.testing.assert_allclose(scores[-1], est.score(X, y), rtol=1e-12)
    if solver == "batch":  # newton solves least squares in its first iteration
        assert scores[0] < scores[-1]


@needs_callbacks
@pytest.mark.parametrize("solver", ["sgd", "minibatch", "momentum", "batch"])
def test_a_callback_stops_the_fit_with_a_valid_model(solver):
    X, y = _regression()
    stopper = StopAfter(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a requested stop is no failure
        stopped = _regressor(solver, max_iter=50).set_callbacks(stopper).fit(X, y)
    assert stopped.n_iter_ == 3
    assert stopped.converged_ is False
    assert stopper.torn_down == 1
    # The same model as a fit that ran three iterations on its own.
    reference = _regressor(solver, max_iter=3, tol=None).fit(X, y)
    np.testing.assert_array_equal(stopped.coef_, reference.coef_)
    np.testing.assert_array_equal(stopped.intercept_, reference.intercept_)


@needs_callbacks
def test_a_callback_stops_newton():
    X, y = make_classification(300, 5, random_state=0)
    est = GDClassifier(loss="log_loss", solver="newton", alpha=1e-6, tol=1e-14)
    est.set_callbacks(StopAfter(2)).fit(X, y)
    assert est.n_iter_ == 2
    assert est.converged_ is False
    assert np.all(np.isfinite(est.coef_))


@needs_callbacks
def test_one_vs_rest_has_one_task_per_class():
    from sklearn.callback import ScoringMonitor

    X, y = _multiclass()
    monitor = ScoringMonitor(scoring="accuracy")
    est = GDClassifier(solver="batch", learning_rate="line_search", max_iter=4, tol=None)
    est.set_callbacks(monitor).fit(X, y)
    data = monitor.get_logs()
    data = (data[0] if isinstance(data, list) else data).data_as_pandas
    classes = data[data["task_name"].str.startswith("one-vs-rest")]
    assert list(classes["task_name"]) == [f"one-vs-rest, class {label}" for label in (0, 1, 2)]
    assert (data["task_name"] == "iteration").sum() == 3 * 4
    # The root task scores the fitted model.
    root = data[data["task_name"] == "fit"]["accuracy"].to_numpy()
    np.testing.assert_allclose(root, est.score(X, y))


@needs_callbacks
def test_a_raising_callback_leaves_the_fitted_model_and_tears_down():
    X, y = _regression()
    est = _regressor("sgd", max_iter=5, tol=None).fit(X, y)
    coef, intercept = est.coef_.copy(), est.intercept_.copy()
    raiser = RaiseAfter(2)
    with pytest.raises(KeyboardInterrupt):
        est.set_callbacks(raiser).fit(X * 2, y)
    assert raiser.torn_down == 1
    np.testing.assert_array_equal(est.coef_, coef)
    np.testing.assert_array_equal(est.intercept_, intercept)
    np.testing.assert_allclose(est.predict(X), X @ coef + intercept[0])


@needs_callbacks
def test_progress_bar_leaves_the_fit_unchanged():
    from sklearn.callback import ProgressBar

    pytest.importorskip("rich")
    X, y = _multiclass()
    plain = PerceptronGD(solver="minibatch", max_iter=5, tol=None, random_state=0).fit(X, y)
    shown = PerceptronGD(solver="minibatch", max_iter=5, tol=None, random_state=0)
    shown.set_callbacks(ProgressBar()).fit(X, y)
    np.testing.assert_array_equal(shown.coef_, plain.coef_)


@pytest.mark.parametrize("solver", SOLVERS)
def test_converged_tells_whether_the_stopping_rule_was_met(solver):
    X, y = make_classification(300, 5, random_state=0)
    params = dict(loss="log_loss", solver=solver, alpha=1e-3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        short = GDClassifier(**params, max_iter=1, tol=1e-12).fit(X, y)
    assert short.converged_ is False
    done = GDClassifier(**params, max_iter=1000, tol=1e-3).fit(X, y)
    assert done.converged_ is True


@pytest.mark.parametrize("solver", SOLVERS)
def test_verbose_prints_scikit_learns_epoch_lines(solver, capsys):
    X, y = _regression()
    _regressor(solver, max_iter=2, tol=None, verbose=1).fit(X, y)
    out = capsys.readouterr().out
    if solver == "newton":
        assert "max|grad|" in out and "step 1" in out
        return
    assert out.count("-- Epoch") == 2
    for field in ("Norm:", "NNZs:", "Bias:", "T:", "Avg. loss:", "Total training time:"):
        assert field in out
    # Beyond per-sample SGD, the report adds the full gradient's size.
    assert ("max|gradient|" in out) == (solver != "sgd")


@pytest.mark.parametrize("Estimator", [GDRegressor, GDClassifier, PerceptronGD])
def test_callback_methods_exist_exactly_where_sklearn_has_callbacks(Estimator):
    # Below scikit-learn 1.9 there is no sklearn.callback: the estimators
    # have no callback methods rather than ones that cannot work.
    assert hasattr(Estimator(), "set_callbacks") is CALLBACKS
    assert hasattr(Estimator(), "_init_callback_context") is CALLBACKS


@needs_callbacks
def test_newton_with_a_callback_fits_the_model_it_fits_without_one():
    # Without callbacks a small dense Newton fit runs compiled; with one it
    # runs NewtonSolver, which reports each iteration: the same model.
    X, y = _multiclass()
    params = dict(loss="log_loss", solver="newton", alpha=1e-3)
    plain = GDClassifier(**params).fit(X, y)
    watched = GDClassifier(**params).set_callbacks(StopAfter(10**6)).fit(X, y)
    assert watched.n_iter_ == plain.n_iter_
    np.testing.assert_allclose(watched.coef_, plain.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(watched.intercept_, plain.intercept_, rtol=1e-10, atol=1e-12)
