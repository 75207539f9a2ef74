"""Persistence: pickle, joblib and skops round-trip every fitted estimator × solver.

A reloaded model predicts exactly as the original did, keeps its dtype, and
continues with ``partial_fit`` exactly as the original would. The files hold
the model's arrays and a few small skgd objects, nothing compiled: they load
in a fresh process, and loading compiles nothing.
"""

import io
import json
import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import skops.io
from sklearn.datasets import make_classification, make_regression

from skgd import GDClassifier, GDRegressor, PerceptronGD

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SOLVERS = ("batch", "sgd", "minibatch", "momentum", "newton")
FORMATS = ("pickle", "joblib", "skops")
X_REG, Y_REG = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
X_CLF, Y_CLF = make_classification(
    n_samples=120, n_features=5, n_informative=3, n_classes=3, random_state=0
)


def _variants():
    """(id, estimator, X, y): every estimator × solver, binary and multiclass."""
    variants = []
    for solver in SOLVERS:
        params = {"solver": solver, "max_iter": 10, "random_state": 0, "batch_size": 16}
        variants.append((f"GDRegressor-{solver}", GDRegressor(**params), X_REG, Y_REG))
        loss = "log_loss" if solver == "newton" else "hinge"
        variants.append(
            (f"GDClassifier-{solver}-binary", GDClassifier(loss=loss, **params), X_CLF, Y_CLF > 0)
        )
        variants.append(
            (f"GDClassifier-{solver}-ovr", GDClassifier(loss=loss, **params), X_CLF, Y_CLF)
        )
        variants.append(
            (
                f"GDClassifier-{solver}-multinomial",
                GDClassifier(loss="log_loss", multi_class="multinomial", **params),
                X_CLF,
                Y_CLF,
            )
        )
        if solver != "newton":
            variants.append((f"PerceptronGD-{solver}", PerceptronGD(**params), X_CLF, Y_CLF))
    return [pytest.param(est, X, y, id=name) for name, est, X, y in variants]


def _outputs(est, X):
    """Everything the model computes from X."""
    out = {"predict": est.predict(X)}
    for method in ("decision_function", "predict_proba"):
        if hasattr(est, method):
            out[method] = getattr(est, method)(X)
    return out


def _round_trip(est, fmt, tmp_path):
    if fmt == "pickle":
        return pickle.loads(pickle.dumps(est))
    path = tmp_path / f"model.{fmt}"
    if fmt == "joblib":
        joblib.dump(est, path)
        return joblib.load(path)
    skops.io.dump(est, path)
    untrusted = skops.io.get_untrusted_types(file=path)
    # What skops asks the user to trust: skgd's own classes, nothing else.
    assert untrusted and all(name.startswith("skgd.") for name in untrusted), untrusted
    return skops.io.load(path, trusted=untrusted)


def _assert_same_model(original, restored, X):
    assert type(restored) is type(original)
    assert restored.get_params() == original.get_params()
    for name in ("coef_", "intercept_"):
        assert np.array_equal(getattr(restored, name), getattr(original, name)), name
        assert getattr(restored, name).dtype == getattr(original, name).dtype, name
    assert restored.loss_curve_ == original.loss_curve_
    assert (restored.n_iter_, restored.t_) == (original.n_iter_, original.t_)
    expected = _outputs(original, X)
    got = _outputs(restored, X)
    assert got.keys() == expected.keys()
    for method, values in expected.items():
        assert np.array_equal(got[method], values), method
        assert got[method].dtype == values.dtype, method


def _partial_fit(est, X, y):
    extra = {} if isinstance(est, GDRegressor) else {"classes": np.unique(y)}
    return est.partial_fit(X, y, **extra)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("est", "X", "y"), _variants())
def test_round_trip_predicts_identically_and_continues_identically(est, X, y, fmt, tmp_path):
    est.fit(X, y)
    restored = _round_trip(est, fmt, tmp_path)
    _assert_same_model(est, restored, X)
    # The solver state travels too: partial_fit goes on exactly as it would have.
    _partial_fit(est, X, y)
    _partial_fit(restored, X, y)
    _assert_same_model(est, restored, X)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layout", ["dense", "csr"])
@pytest.mark.parametrize("solver", SOLVERS)
def test_a_float32_model_reloads_and_predicts_float32(solver, layout, fmt, tmp_path):
    X = X_REG.astype(np.float32)
    X = sp.csr_matrix(X) if layout == "csr" else X
    reg = GDRegressor(solver=solver, max_iter=10, random_state=0).fit(X, Y_REG)
    clf = GDClassifier(solver=solver, loss="log_loss", max_iter=10, random_state=0)
    clf.fit(X, Y_REG > 0)
    for est in (reg, clf):
        restored = _round_trip(est, fmt, tmp_path)
        assert restored.coef_.dtype == np.float32
        assert restored.intercept_.dtype == np.float32
        _assert_same_model(est, restored, X)
    assert _round_trip(reg, fmt, tmp_path).predict(X).dtype == np.float32
    assert _round_trip(clf, fmt, tmp_path).decision_function(X).dtype == np.float32


class _RecordingUnpickler(pickle.Unpickler):
    """Records every global (module, name) a pickle refers to."""

    def __init__(self, data):
        super().__init__(io.BytesIO(data))
        self.globals = set()

    def find_class(self, module, name):
        self.globals.add((module, name))
        return super().find_class(module, name)


# What a pickled model may refer to: skgd's classes, NumPy's arrays and
# random state, and the pickle protocol's own helpers.
ALLOWED_MODULES = ("skgd.", "numpy", "builtins", "copyreg", "_codecs", "collections")


@pytest.mark.parametrize(("est", "X", "y"), _variants())
def test_the_pickle_holds_nothing_compiled(est, X, y):
    est.fit(X, y)
    _partial_fit(est, X, y)  # the solver state after a continued fit, too
    unpickler = _RecordingUnpickler(pickle.dumps(est))
    restored = unpickler.load()
    modules = {module for module, _ in unpickler.globals}
    assert not any(module.split(".")[0] in ("numba", "llvmlite") for module in modules)
    assert ("skgd._solvers._kernels" not in modules) and modules
    assert all(module.startswith(ALLOWED_MODULES) for module in modules), modules
    assert np.array_equal(restored.predict(X), est.predict(X))


CHILD = textwrap.dedent(
    """
    import json, pickle, sys, warnings
    import joblib, numpy as np
    import skgd._solvers._kernels as kernels

    warnings.simplefilter("ignore")
    directory = sys.argv[1]
    cases = json.load(open(f"{directory}/cases.json"))
    X = {name: np.load(f"{directory}/{name}.npy") for name in ("X_reg", "X_clf")}
    loaded = {}
    for case in cases:
        with open(f"{directory}/{case}.pkl", "rb") as file:
            loaded[case, "pickle"] = pickle.load(file)
        loaded[case, "joblib"] = joblib.load(f"{directory}/{case}.joblib")
    for (case, fmt), est in loaded.items():
        data = X["X_reg"] if case.startswith("GDRegressor") else X["X_clf"]
        np.save(f"{directory}/{case}-{fmt}-predict.npy", est.predict(data))
        np.save(f"{directory}/{case}-{fmt}-coef.npy", est.coef_)
    # Loading and predicting compiled nothing: no kernel was ever needed.
    compiled = len(kernels.run_epoch.signatures)
    print(json.dumps({"compiled": compiled}))
    """
)


def test_models_load_and_predict_in_a_fresh_process(tmp_path):
    # pickle and joblib; skops's own import takes seconds, and its files are
    # checked in this process above.
    models = {}
    for param in _variants():
        est, X, y = param.values
        models[param.id] = est.fit(X, y)
        with open(tmp_path / f"{param.id}.pkl", "wb") as file:
            pickle.dump(est, file)
        joblib.dump(est, tmp_path / f"{param.id}.joblib")
    np.save(tmp_path / "X_reg.npy", X_REG)
    np.save(tmp_path / "X_clf.npy", X_CLF)
    (tmp_path / "cases.json").write_text(json.dumps(list(models)))
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == {"compiled": 0}
    for case, est in models.items():
        X = X_REG if case.startswith("GDRegressor") else X_CLF
        for fmt in ("pickle", "joblib"):
            predicted = np.load(tmp_path / f"{case}-{fmt}-predict.npy", allow_pickle=False)
            assert np.array_equal(predicted, est.predict(X)), (case, fmt)
            coef = np.load(tmp_path / f"{case}-{fmt}-coef.npy", allow_pickle=False)
            assert np.array_equal(coef, est.coef_), (case, fmt)
