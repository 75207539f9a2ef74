"""The fits pinned by ``tests/test_pinned_fits.py``, shared with the script that records them.

Each case is an estimator, a data set and a way of fitting it, with a fixed
``random_state``. The table covers every estimator × solver, dense and CSR
input, float64 and float32, binary, one-vs-rest and multinomial problems,
averaging on and off, and the learning rates, penalties and fitting modes
(``partial_fit``, early stopping, weights) whose code paths differ.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor, PerceptronGD

SOLVERS = ("batch", "sgd", "minibatch", "momentum", "newton")
STOCHASTIC = ("sgd", "minibatch", "momentum")


def _data():
    X_reg, y_reg = make_regression(n_samples=80, n_features=6, noise=2.0, random_state=0)
    X_reg = StandardScaler().fit_transform(X_reg)
    y_reg = (y_reg - y_reg.mean()) / y_reg.std()
    X_clf, y_clf = make_classification(
        n_samples=90, n_features=6, n_informative=4, n_classes=3, random_state=1
    )
    X_clf = StandardScaler().fit_transform(X_clf)
    # Sparse copies with about a third of the entries zeroed.
    mask = np.random.RandomState(2).rand(*X_reg.shape) < 0.35
    X_reg_sparse = sp.csr_matrix(np.where(mask, 0.0, X_reg))
    mask = np.random.RandomState(3).rand(*X_clf.shape) < 0.35
    X_clf_sparse = sp.csr_matrix(np.where(mask, 0.0, X_clf))
    return {
        "regression": (X_reg, X_reg_sparse, y_reg),
        "binary": (X_clf, X_clf_sparse, (y_clf > 0).astype(int)),
        "multiclass": (X_clf, X_clf_sparse, y_clf),
    }


DATA = _data()


def _base_cases():
    """(name, estimator class, params, data key)."""
    cases = []
    for solver in SOLVERS:
        common = {"solver": solver, "random_state": 0, "max_iter": 30, "batch_size": 8}
        averages = (False, 5) if solver in STOCHASTIC else (False,)
        for average in averages:
            avg = {"average": average} if average else {}
            tag = f"{solver}-avg" if average else solver
            cases.append((f"reg-{tag}", GDRegressor, {**common, **avg}, "regression"))
            loss = "log_loss" if solver == "newton" else "hinge"
            for key in ("binary", "multiclass"):
                cases.append(
                    (f"clf-{tag}-{key}", GDClassifier, {**common, **avg, "loss": loss}, key)
                )
            cases.append(
                (
                    f"clf-{tag}-multinomial",
                    GDClassifier,
                    {**common, **avg, "loss": "log_loss", "multi_class": "multinomial"},
                    "multiclass",
                )
            )
        if solver != "newton":
            for key in ("binary", "multiclass"):
                cases.append((f"perceptron-{solver}-{key}", PerceptronGD, common, key))
    return cases


def _variant_cases():
    """Learning rates, penalties, losses and options whose paths differ."""
    cases = []
    base = {"random_state": 0, "max_iter": 30, "batch_size": 8}
    for solver in ("batch", *STOCHASTIC):
        for learning_rate in ("constant", "optimal", "invscaling", "adaptive"):
            params = {**base, "solver": solver, "learning_rate": learning_rate, "eta0": 0.05}
            cases.append((f"reg-{solver}-{learning_rate}", GDRegressor, params, "regression"))
        for penalty in ("l1", "elasticnet", None):
            params = {**base, "solver": solver, "penalty": penalty, "alpha": 1e-2}
            cases.append((f"reg-{solver}-penalty-{penalty}", GDRegressor, params, "regression"))
            params = {**params, "loss": "log_loss"}
            cases.append((f"clf-{solver}-penalty-{penalty}", GDClassifier, params, "multiclass"))
        for loss in ("huber", "epsilon_insensitive", "squared_epsilon_insensitive"):
            params = {**base, "solver": solver, "loss": loss}
            cases.append((f"reg-{solver}-{loss}", GDRegressor, params, "regression"))
        for loss in ("log_loss", "modified_huber", "squared_hinge", "perceptron"):
            params = {**base, "solver": solver, "loss": loss}
            cases.append((f"clf-{solver}-{loss}", GDClassifier, params, "binary"))
        params = {**base, "solver": solver, "early_stopping": True}
        cases.append((f"reg-{solver}-early-stopping", GDRegressor, params, "regression"))
        cases.append((f"clf-{solver}-early-stopping", GDClassifier, params, "multiclass"))
        params = {**base, "solver": solver, "class_weight": "balanced"}
        cases.append((f"clf-{solver}-balanced", GDClassifier, params, "multiclass"))
        params = {**base, "solver": solver, "shuffle": False, "tol": None, "max_iter": 7}
        cases.append((f"reg-{solver}-no-shuffle", GDRegressor, params, "regression"))
    for nesterov in (False, True):
        params = {**base, "solver": "momentum", "nesterov": nesterov, "momentum": 0.5}
        cases.append((f"reg-momentum-nesterov-{nesterov}", GDRegressor, params, "regression"))
        params = {**params, "loss": "log_loss", "multi_class": "multinomial"}
        cases.append(
            (f"clf-momentum-nesterov-{nesterov}-multinomial", GDClassifier, params, "multiclass")
        )
    params = {**base, "solver": "batch", "learning_rate": "line_search"}
    cases.append(("reg-batch-line-search", GDRegressor, params, "regression"))
    cases.append(
        ("clf-batch-line-search", GDClassifier, {**params, "loss": "log_loss"}, "multiclass")
    )
    cases.append(
        (
            "clf-batch-line-search-l1",
            GDClassifier,
            {**params, "loss": "log_loss", "penalty": "l1", "alpha": 1e-2},
            "binary",
        )
    )
    cases.append(
        (
            "clf-batch-line-search-multinomial",
            GDClassifier,
            {**params, "loss": "log_loss", "multi_class": "multinomial"},
            "multiclass",
        )
    )
    for loss in ("huber", "squared_epsilon_insensitive"):
        params = {**base, "solver": "newton", "loss": loss, "alpha": 1e-2}
        cases.append((f"reg-newton-{loss}", GDRegressor, params, "regression"))
    for loss in ("modified_huber", "squared_hinge"):
        params = {**base, "solver": "newton", "loss": loss}
        cases.append((f"clf-newton-{loss}", GDClassifier, params, "multiclass"))
    return cases


CASES = _base_cases() + _variant_cases()
SPARSE = ("dense", "csr")
DTYPES = (np.float64, np.float32)
# One fitting mode per case, taken in turn: plain fit, weighted fit, three partial_fit calls.
MODES = ("fit", "weighted", "partial")


def case_ids():
    """Every (case id, case, storage, dtype, mode)."""
    ids = []
    for index, case in enumerate(CASES):
        mode = MODES[index % len(MODES)]
        if mode == "partial" and case[2].get("class_weight") == "balanced":
            mode = "weighted"  # partial_fit refuses balanced class weights
        for storage in SPARSE:
            for dtype in DTYPES:
                name = f"{case[0]}-{storage}-{np.dtype(dtype).name}-{mode}"
                ids.append((name, case, storage, dtype, mode))
    return ids


def fit_case(case, storage, dtype, mode):
    """Fit one case; return the fitted estimator."""
    _, estimator_class, params, key = case
    X_dense, X_sparse, y = DATA[key]
    X = (X_sparse if storage == "csr" else X_dense).astype(dtype)
    estimator = estimator_class(**params)
    if mode == "fit":
        return estimator.fit(X, y)
    weight = np.random.RandomState(4).uniform(0.2, 2.0, size=X.shape[0])
    if mode == "weighted":
        return estimator.fit(X, y, sample_weight=weight)
    if estimator.get_params().get("early_stopping"):
        estimator.set_params(early_stopping=False)
    classes = {} if key == "regression" else {"classes": np.unique(y)}
    thirds = np.array_split(np.arange(X.shape[0]), 3)
    for _ in range(2):
        for rows in thirds:
            estimator.partial_fit(X[rows], y[rows], sample_weight=weight[rows], **classes)
    return estimator


def fitted_arrays(estimator):
    """What a pinned fit records."""
    return {
        "coef": np.asarray(estimator.coef_, dtype=np.float64),
        "intercept": np.asarray(estimator.intercept_, dtype=np.float64),
        "n_iter": np.asarray(estimator.n_iter_, dtype=np.float64),
        "t": np.asarray(estimator.t_, dtype=np.float64),
    }
