"""The panel of data sets on which every solver must work at its defaults.

Each data set is scored raw and standardized, by 3-fold shuffled
(Stratified)KFold cross-validation, for every solver with only ``solver``
set (and ``loss="log_loss"`` for the classifier's newton, whose default
hinge loss has no second derivative), against scikit-learn's SGD estimator
at its defaults and the exact penalized fit. ``tests/test_defaults.py``
asserts on it and ``benchmarks/panel.py`` prints it.

Usage: ``python tests/_defaults_panel.py`` prints the table.
"""

import warnings
from typing import NamedTuple

import numpy as np
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
    make_classification,
    make_regression,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor

SOLVERS = ("sgd", "batch", "minibatch", "momentum", "newton")
# Solvers whose result does not depend on random_state: scored once.
DETERMINISTIC = ("batch", "newton")
SEEDS = range(5)
N_FOLDS = 3


def _around_100():
    """200 × 3 features drawn around 100 with a linear target, as scikit-learn's checks draw."""
    rng = np.random.RandomState(0)
    X = rng.normal(loc=100, size=(200, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + rng.normal(size=200)
    return X, y


DATA_SETS = {
    "iris": lambda: load_iris(return_X_y=True),
    "wine": lambda: load_wine(return_X_y=True),
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "digits": lambda: load_digits(return_X_y=True),
    "classification": lambda: make_classification(3000, 20, n_informative=8, random_state=1),
    "diabetes": lambda: load_diabetes(return_X_y=True),
    "regression": lambda: make_regression(3000, 20, noise=5, random_state=1),
    "around_100": _around_100,
}
REGRESSION = ("diabetes", "regression", "around_100")


class PanelRow(NamedTuple):
    """One data set, raw or standardized: the references' and each solver's scores.

    ``warned`` names the solvers whose fits raised a ConvergenceWarning.
    """

    data: str
    standardized: bool
    sgd_reference: float
    exact: float
    scores: dict
    warned: tuple


def _estimator(data, solver, seed):
    if data in REGRESSION:
        return GDRegressor(solver=solver, random_state=seed)
    if solver == "newton":
        return GDClassifier(solver=solver, loss="log_loss", random_state=seed)
    return GDClassifier(solver=solver, random_state=seed)


def _references(data, n_train):
    if data in REGRESSION:
        # Ridge minimizes ‖y − Xw‖² + a‖w‖²: the same model as alpha=1e-4 on
        # the mean half squared error.
        return SGDRegressor(random_state=0), Ridge(alpha=1e-4 * n_train)
    return SGDClassifier(random_state=0), LogisticRegression(max_iter=5000)


def _score(estimator, X, y, data, standardized):
    if standardized:
        estimator = make_pipeline(StandardScaler(), estimator)
    splitter = KFold if data in REGRESSION else StratifiedKFold
    cv = splitter(N_FOLDS, shuffle=True, random_state=0)
    return float(np.mean(cross_val_score(estimator, X, y, cv=cv)))


def panel_row(data, standardized, exact=True):
    """Score every solver (median over the seeds) and the references on one data set.

    ``exact=False`` skips the exact fit (its score is then NaN).
    """
    X, y = DATA_SETS[data]()
    n_train = X.shape[0] * (N_FOLDS - 1) // N_FOLDS
    sgd_model, exact_model = _references(data, n_train)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sgd_reference = _score(sgd_model, X, y, data, standardized)
        exact = _score(exact_model, X, y, data, standardized) if exact else np.nan
    scores, warned = {}, []
    for solver in SOLVERS:
        seeds = SEEDS[:1] if solver in DETERMINISTIC else SEEDS
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            scores[solver] = float(
                np.median(
                    [
                        _score(_estimator(data, solver, seed), X, y, data, standardized)
                        for seed in seeds
                    ]
                )
            )
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            warned.append(solver)
    return PanelRow(data, standardized, sgd_reference, exact, scores, tuple(warned))


def _formatted(score):
    """Three decimals; a blown-up score (scikit-learn's SGD on raw data) in powers of ten."""
    return f"{score:.3f}" if abs(score) < 1e3 else f"{score:.1e}"


def markdown(rows):
    """The panel as a markdown table."""
    header = ["data", "features", "SGD", "exact", *SOLVERS]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in rows:
        cells = [
            row.data,
            "standardized" if row.standardized else "raw",
            _formatted(row.sgd_reference),
            _formatted(row.exact),
            *(
                _formatted(row.scores[solver]) + (" (warns)" if solver in row.warned else "")
                for solver in SOLVERS
            ),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown([panel_row(data, std) for data in DATA_SETS for std in (True, False)]))
