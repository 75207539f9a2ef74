"""Array API inputs: fits on PyTorch and array_api_strict arrays follow the NumPy fits.

With ``array_api_dispatch=True`` every solver but sgd runs in the input's
namespace, on its device, and agrees with the NumPy fit: the shuffles are the
same (drawn by NumPy from the same seed), so only rounding differs. sgd runs
its compiled loop on a NumPy view of host-memory arrays and matches NumPy
exactly; it refuses arrays on other devices.
"""

import numpy as np
import pytest
from _versions import needs_array_api
from sklearn import clone, config_context
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler
from sklearn.utils._array_api import get_namespace_and_device

from skgd import GDClassifier, GDRegressor, PerceptronGD
from skgd._array_api import host_view, mean, namespace_and_device
from skgd._compat import ARRAY_API_SUPPORTED, move_to

try:
    import torch
except ImportError:  # torch is an optional test dependency (a CPU build in CI)
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch is not installed")

NAMESPACES = ["array_api_strict", "torch"]
DTYPES = ["float64", "float32"]
SOLVERS = ["batch", "minibatch", "momentum", "newton"]
# Relative to the largest coefficient. Measured: below 1e-14 in float64 and
# 4e-6 in float32 over 20 epochs on these problems.
RTOL = {"float64": 1e-9, "float32": 1e-4}


def _xp(name):
    xp = pytest.importorskip(name)
    if name == "torch":
        return xp, "cpu"
    return xp, None


def _as_xp(a, xp, device):
    return xp.asarray(a, device=device)


def _to_numpy(a):
    with config_context(array_api_dispatch=True):
        return np.asarray(move_to(a, xp=np, device="cpu"))


def _regression():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y


def _classification(n_classes=3):
    X, y = make_classification(
        n_samples=120,
        n_features=5,
        n_informative=3,
        n_classes=n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )
    return StandardScaler().fit_transform(X), y


def _estimators(solver):
    """(estimator, data) pairs that each exercise one code path of the classes."""
    common = {"solver": solver, "max_iter": 10, "tol": None, "batch_size": 16, "random_state": 0}
    # The default steps: their first step comes from the rows, in any namespace.
    yield GDRegressor(**common), _regression()
    step = {"learning_rate": "constant", "eta0": 0.1}
    yield GDClassifier(loss="log_loss", **step, **common), _classification()
    yield (
        GDClassifier(loss="log_loss", multi_class="multinomial", **step, **common),
        _classification(),
    )
    yield (
        GDClassifier(loss="modified_huber", **step, **common),
        _classification(n_classes=2),
    )
    if solver != "newton":
        yield PerceptronGD(**common), _classification()


def _assert_in_namespace(array, xp, device, dtype=None):
    """``array`` lives in ``xp``, on ``device``, with ``dtype`` (when given)."""
    with config_context(array_api_dispatch=True):
        array_xp, _, array_device = get_namespace_and_device(array)
        expected_xp, _, expected_device = get_namespace_and_device(
            xp.asarray([1.0], device=device)
        )
    assert array_xp is expected_xp
    assert array_device == expected_device
    if dtype is not None:
        assert array.dtype == getattr(xp, dtype)


@needs_array_api
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("namespace", NAMESPACES)
@pytest.mark.parametrize("solver", SOLVERS)
def test_fit_follows_the_input_namespace_and_matches_numpy(namespace, dtype, solver):
    xp, device = _xp(namespace)
    for estimator, (X, y) in _estimators(solver):
        X = X.astype(dtype)
        reference = clone(estimator).fit(X, y)
        X_xp, y_xp = _as_xp(X, xp, device), _as_xp(y, xp, device)
        with config_context(array_api_dispatch=True):
            fitted = clone(estimator).fit(X_xp, y_xp)
            prediction = fitted.predict(X_xp)
            proba = fitted.predict_proba(X_xp) if hasattr(fitted, "predict_proba") else None
        name = type(estimator).__name__
        for attribute in ("coef_", "intercept_"):
            value = getattr(fitted, attribute)
            _assert_in_namespace(value, xp, device, dtype)
            expected = getattr(reference, attribute)
            scale = max(float(np.max(np.abs(reference.coef_))), 1.0)
            np.testing.assert_allclose(
                _to_numpy(value), expected, rtol=0, atol=RTOL[dtype] * scale, err_msg=name
            )
        _assert_in_namespace(prediction, xp, device)
        if name == "GDRegressor":
            np.testing.assert_allclose(
                _to_numpy(prediction), reference.predict(X), atol=RTOL[dtype] * np.max(np.abs(y))
            )
        else:
            np.testing.assert_array_equal(_to_numpy(prediction), reference.predict(X))
        if proba is not None:
            _assert_in_namespace(proba, xp, device, dtype)
            np.testing.assert_allclose(
                _to_numpy(proba), reference.predict_proba(X), atol=10 * RTOL[dtype]
            )
        if solver != "newton":
            # Newton with tol=None stops where rounding stops its progress.
            assert fitted.n_iter_ == reference.n_iter_
            np.testing.assert_allclose(fitted.loss_curve_, reference.loss_curve_, rtol=RTOL[dtype])


@needs_array_api
@pytest.mark.parametrize("namespace", NAMESPACES)
def test_sgd_runs_on_a_host_view_and_matches_numpy_exactly(namespace):
    xp, device = _xp(namespace)
    X, y = _classification()
    for estimator in (
        GDClassifier(solver="sgd", max_iter=5, tol=None, random_state=0),
        GDRegressor(solver="sgd", max_iter=5, tol=None, random_state=0),
    ):
        reference = clone(estimator).fit(X, y)
        with config_context(array_api_dispatch=True):
            fitted = clone(estimator).fit(_as_xp(X, xp, device), _as_xp(y, xp, device))
        _assert_in_namespace(fitted.coef_, xp, device, "float64")
        _assert_in_namespace(fitted.intercept_, xp, device, "float64")
        np.testing.assert_array_equal(_to_numpy(fitted.coef_), reference.coef_)
        np.testing.assert_array_equal(_to_numpy(fitted.intercept_), reference.intercept_)


class _OnGPU(torch.Tensor if torch is not None else object):
    """A host tensor that reports a CUDA location, as a GPU tensor does."""

    def __dlpack_device__(self):
        return (2, 0)


@needs_array_api
@requires_torch
def test_sgd_off_host_steps_in_the_arrays_library_and_never_moves_X():
    X, y = _classification()
    X_gpu = torch.asarray(X).as_subclass(_OnGPU)
    with config_context(array_api_dispatch=True):
        with pytest.raises(ValueError, match="never copies X between devices"):
            host_view(X_gpu)
        # In host memory: a NumPy array over the same memory, no copy.
        X_host = torch.zeros((4, 2))
        host_view(X_host)[0, 0] = 7.0
        assert float(X_host[0, 0]) == 7.0

        estimator = GDClassifier(solver="sgd", max_iter=3, tol=None, random_state=0)
        fitted = clone(estimator).fit(X_gpu, torch.asarray(y))
    # The per-sample steps ran in torch (the generic epoch), on NumPy's shuffles.
    assert isinstance(fitted.coef_, torch.Tensor)
    np.testing.assert_allclose(fitted.coef_.numpy(), estimator.fit(X, y).coef_, rtol=1e-10)


@needs_array_api
@pytest.mark.skipif(
    torch is None or not torch.cuda.is_available(), reason="no CUDA device on this machine"
)
def test_cuda_fits_stay_on_the_device_and_match_numpy():
    X, y = _classification()
    X_gpu, y_gpu = torch.asarray(X, device="cuda"), torch.asarray(y, device="cuda")
    for solver in ("newton", "batch", "minibatch", "sgd"):
        estimator = GDClassifier(
            solver=solver, loss="log_loss", max_iter=3, tol=None, random_state=0
        )
        with config_context(array_api_dispatch=True):
            fitted = clone(estimator).fit(X_gpu, y_gpu)
            assert fitted.coef_.device.type == "cuda"
            assert fitted.predict_proba(X_gpu).device.type == "cuda"
        # The same steps on NumPy's row order: float64 rounding apart, NumPy's model.
        reference = estimator.fit(X, y).coef_
        difference = np.max(np.abs(fitted.coef_.cpu().numpy() - reference))
        assert difference <= RTOL["float64"] * np.max(np.abs(reference)), solver


@needs_array_api
@requires_torch
def test_mixed_namespaces_behave_as_in_scikit_learn():
    X, y = _classification()
    X_t = torch.asarray(X)
    with config_context(array_api_dispatch=True):
        # y and sample_weight follow X.
        clf = GDClassifier(solver="batch", loss="log_loss", max_iter=5, tol=None)
        clf.fit(X_t, y, sample_weight=np.ones(X.shape[0]))
        assert isinstance(clf.coef_, torch.Tensor)
        assert isinstance(clf.classes_, torch.Tensor)
        # Predicting on another namespace than fit's is an error, as in scikit-learn.
        for method in ("predict", "decision_function", "predict_proba", "predict_log_proba"):
            with pytest.raises(ValueError, match=rf"GDClassifier\.{method}\(\) must use"):
                getattr(clf, method)(X)
        reg = GDRegressor(solver="newton").fit(X_t, torch.asarray(y, dtype=torch.float64))
        with pytest.raises(ValueError, match=r"GDRegressor\.predict\(\) must use"):
            reg.predict(X)
        # String labels stay NumPy; so do the predicted labels, as in scikit-learn.
        labels = np.array(["a", "b", "c"])[y]
        clf = GDClassifier(solver="minibatch", max_iter=3, tol=None).fit(X_t, labels)
        assert clf.classes_.tolist() == ["a", "b", "c"]
        assert isinstance(clf.coef_, torch.Tensor)
        assert set(clf.predict(X_t).tolist()) <= {"a", "b", "c"}
    # Without dispatch, tensors are converted to NumPy on the way in.
    clf = GDClassifier(solver="batch", max_iter=3, tol=None).fit(X_t, torch.asarray(y))
    assert isinstance(clf.coef_, np.ndarray)


@needs_array_api
def test_predicting_on_another_namespace_than_fits_is_an_error():
    # scikit-learn's check_same_namespace, on array_api_strict, which every
    # test environment has (torch is only in the main one).
    xp = pytest.importorskip("array_api_strict")
    X, y = _classification()
    with config_context(array_api_dispatch=True):
        clf = GDClassifier(loss="log_loss", max_iter=3, tol=None).fit(xp.asarray(X), xp.asarray(y))
        reg = GDRegressor(max_iter=3, tol=None).fit(xp.asarray(X), xp.asarray(y * 1.0))
        for method in ("predict_proba", "predict_log_proba"):
            with pytest.raises(ValueError, match=rf"GDClassifier\.{method}\(\) must use the same"):
                getattr(clf, method)(X)
        with pytest.raises(ValueError, match=r"GDRegressor\.predict\(\) must use the same"):
            reg.predict(X)
        # The fit's own namespace is accepted.
        _assert_in_namespace(reg.predict(xp.asarray(X)), xp, None)


@needs_array_api
@requires_torch
def test_threads_partial_fit_warm_start_and_early_stopping_on_torch():
    X, y = _classification()
    X_t, y_t = torch.asarray(X), torch.asarray(y)
    params = {"solver": "momentum", "max_iter": 5, "tol": None, "random_state": 0}
    with config_context(array_api_dispatch=True):
        one = GDClassifier(n_jobs=1, **params).fit(X_t, y_t)
        two = GDClassifier(n_jobs=2, **params).fit(X_t, y_t)
        torch.testing.assert_close(one.coef_, two.coef_, rtol=0, atol=0)

        partial = GDClassifier(**params)
        for chunk in range(3):
            rows = slice(40 * chunk, 40 * (chunk + 1))
            partial.partial_fit(X_t[rows], y_t[rows], classes=[0, 1, 2])
        assert isinstance(partial.coef_, torch.Tensor) and partial.t_ > 1
        with pytest.raises(ValueError, match=r"labels \[2\] that are not in classes"):
            GDClassifier(**params).partial_fit(X_t, y_t, classes=[0, 1])

        warm = GDClassifier(warm_start=True, class_weight="balanced", **params)
        warm.fit(X_t, y_t).fit(X_t, y_t)
        assert len(warm.loss_curve_) == 10

        stopped = GDRegressor(
            solver="minibatch", early_stopping=True, n_iter_no_change=2, random_state=0
        ).fit(X_t, torch.asarray(y, dtype=torch.float64))
        assert isinstance(stopped.coef_, torch.Tensor)
        stratified = GDClassifier(early_stopping=True, **{**params, "max_iter": 50, "tol": 1e-3})
        assert isinstance(stratified.fit(X_t, y_t).coef_, torch.Tensor)


@needs_array_api
@requires_torch
def test_truncated_newton_on_wide_torch_data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 1100))
    y = X[:, :5].sum(axis=1)
    reference = GDRegressor(solver="newton", alpha=1.0).fit(X, y)
    with config_context(array_api_dispatch=True):
        fitted = GDRegressor(solver="newton", alpha=1.0).fit(torch.asarray(X), torch.asarray(y))
    np.testing.assert_allclose(fitted.coef_.numpy(), reference.coef_, rtol=1e-6, atol=1e-9)


def test_estimators_declare_array_api_support_where_they_dispatch():
    for estimator in (GDRegressor(), GDClassifier(), PerceptronGD()):
        assert estimator.__sklearn_tags__().array_api_support is ARRAY_API_SUPPORTED


@pytest.mark.skipif(
    ARRAY_API_SUPPORTED, reason="scikit-learn >= 1.9 dispatches: the tests above run instead"
)
def test_dispatch_below_scikit_learn_1_9_raises_naming_the_version(monkeypatch):
    X, y = _regression()
    fitted = GDRegressor(max_iter=3, tol=None).fit(X, y)
    # scikit-learn 1.6 lets dispatch on only where array-api-compat is
    # installed, which the tests do not need: stand in for it.
    import sklearn.utils._array_api

    monkeypatch.setattr(sklearn.utils._array_api, "_check_array_api_dispatch", lambda on: None)
    needs = r"needs scikit-learn >= 1\.9; scikit-learn \d+\.\d+\.\d+ is installed"
    with config_context(array_api_dispatch=True):
        for estimator in (GDRegressor(), GDClassifier(), PerceptronGD()):
            with pytest.raises(ValueError, match=needs):
                estimator.fit(X, y > 0)
            assert not hasattr(estimator, "coef_")
        with pytest.raises(ValueError, match=needs):
            fitted.predict(X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_numpy_shortcuts_answer_as_numpy_and_scikit_learn_do(dtype):
    # The set-up's shortcuts for NumPy input must change no model: the same
    # mean to the bit, in the same dtype, and the same namespace and device.
    rng = np.random.default_rng(0)
    for n in (1, 7, 1000, 4097):
        for _ in range(20):
            a = (rng.random(n) * 10.0 ** rng.uniform(-5, 5)).astype(dtype)
            ours, numpys = mean(a, np), np.mean(a)
            assert ours.dtype == numpys.dtype and ours.tobytes() == numpys.tobytes()
    assert namespace_and_device(a) == get_namespace_and_device(a)
    if ARRAY_API_SUPPORTED:
        with config_context(array_api_dispatch=True):
            assert namespace_and_device(a) == get_namespace_and_device(a)
