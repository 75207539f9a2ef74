"""A whole fit in compiled calls gives the model of the per-epoch loop, bit for bit.

Without a callback, ``verbose`` or early stopping, the sampled-row solvers
run all their epochs in :mod:`skgd._solvers._fit_kernel`; a callback makes
the loop come back to Python after every epoch (as here, where the test
turns the whole fit off, on every scikit-learn: callbacks need 1.9). Both
must give the same coefficients, intercepts, epochs and loss curves for the
same seed.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor
from skgd._solvers import _compiled_epoch, _first_order
from skgd._solvers._fit_kernel import _pairwise_sum


def _regression():
    X, y = make_regression(400, 8, noise=5.0, random_state=0)
    return StandardScaler().fit_transform(X), y / np.std(y)


def _classification():
    X, y = make_classification(400, 8, n_informative=4, n_classes=3, random_state=0)
    return StandardScaler().fit_transform(X), y


CASES = {
    "sgd regressor": (GDRegressor, {}),
    "sgd classifier, one-vs-rest": (GDClassifier, {}),
    "sgd log_loss, averaged": (GDClassifier, {"loss": "log_loss", "average": 10}),
    "sgd elasticnet, adaptive": (
        GDRegressor,
        {"penalty": "elasticnet", "learning_rate": "adaptive", "eta0": 0.05},
    ),
    "sgd huber, no tol": (GDRegressor, {"loss": "huber", "tol": None, "max_iter": 7}),
    "minibatch regressor": (GDRegressor, {"solver": "minibatch"}),
    "minibatch multinomial": (
        GDClassifier,
        {"solver": "minibatch", "loss": "log_loss", "multi_class": "multinomial"},
    ),
    "minibatch l1, no shuffle": (
        GDRegressor,
        {"solver": "minibatch", "penalty": "l1", "alpha": 1e-3, "shuffle": False},
    ),
    "momentum classifier": (GDClassifier, {"solver": "momentum"}),
    "nesterov regressor": (GDRegressor, {"solver": "momentum", "nesterov": True}),
}


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("case", list(CASES))
def test_whole_fit_and_per_epoch_fit_agree_bit_for_bit(case, sparse, monkeypatch):
    cls, params = CASES[case]
    X, y = _regression() if cls is GDRegressor else _classification()
    X = sp.csr_matrix(X) if sparse else X
    weight = np.random.RandomState(1).uniform(0.5, 2.0, size=X.shape[0])
    whole = cls(random_state=0, **params).fit(X, y, sample_weight=weight)
    epoch_by_epoch = []
    compiled_whole_fit = _first_order.compiled_whole_fit
    monkeypatch.setattr(
        _first_order,
        "compiled_whole_fit",
        lambda *args: epoch_by_epoch.append(compiled_whole_fit(*args)) and False,
    )
    per_epoch = cls(random_state=0, **params).fit(X, y, sample_weight=weight)
    # The whole fit would have run, and the per-epoch loop ran instead.
    assert epoch_by_epoch and all(epoch_by_epoch)
    np.testing.assert_array_equal(whole.coef_, per_epoch.coef_)
    np.testing.assert_array_equal(whole.intercept_, per_epoch.intercept_)
    assert (whole.n_iter_, whole.t_, whole.eta0_) == (
        per_epoch.n_iter_,
        per_epoch.t_,
        per_epoch.eta0_,
    )
    np.testing.assert_array_equal(whole.loss_curve_, per_epoch.loss_curve_)


def test_a_long_fit_runs_in_several_calls_with_the_same_result(monkeypatch):
    # A call runs a bounded number of epochs, so that Ctrl-C is seen between
    # calls; splitting the fit into calls of 3 epochs changes nothing.
    X, y = _classification()
    params = dict(solver="minibatch", random_state=0)
    whole = GDClassifier(**params).fit(X, y)
    monkeypatch.setattr(_compiled_epoch, "WORK_PER_CALL", 3 * X.size)
    split = GDClassifier(**params).fit(X, y)
    np.testing.assert_array_equal(whole.coef_, split.coef_)
    assert whole.n_iter_ == split.n_iter_ > 3
    np.testing.assert_array_equal(whole.loss_curve_, split.loss_curve_)


@pytest.mark.parametrize("n", [1, 7, 8, 9, 127, 128, 129, 255, 256, 1000, 4097, 70_001])
def test_the_penalty_is_summed_as_numpy_sums(n):
    values = np.random.default_rng(n).standard_normal(n) * 10.0 ** np.linspace(-3, 3, n)
    assert _pairwise_sum(values * values) == np.sum(values * values)
