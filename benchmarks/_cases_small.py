"""Small fits: what a grid search repeats thousands of times, fixed costs included.

The data are the same in quick and full mode (a small fit is the point):
standardized ``make_classification(1000, 20, random_state=0)`` and
``make_regression(1000, 20, noise=1, random_state=0)``; both sides use
``random_state=0``. Each timed call is a loop of fits, so that the timer's
resolution does not matter.
"""

import functools
import warnings

from _report import Case, comparison_row, ratio_goal, seconds
from _timing import interleaved_medians
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor

FITS_PER_CALL = 20
DEFAULT_FIT_GOAL = ratio_goal(0.7)
SHORT_FIT_GOAL = ratio_goal(0.8)
GRID_GOAL = ratio_goal(0.85)
NEWTON_GOAL = ratio_goal(0.5)
ALPHA = 1e-4


def _classification(n_samples=1000, random_state=0):
    X, y = make_classification(n_samples, 20, random_state=random_state)
    return StandardScaler().fit_transform(X), y


def _regression():
    X, y = make_regression(1000, 20, noise=1, random_state=0)
    return StandardScaler().fit_transform(X), y


def _fits(make, X, y, predict=False):
    """``FITS_PER_CALL`` fits of fresh estimators (and predictions), one timed call."""

    def run():
        for _ in range(FITS_PER_CALL):
            estimator = make().fit(X, y)
            if predict:
                estimator.predict(X)

    return run


def _per_fit(value):
    return seconds(value / FITS_PER_CALL)


def _pair_case(name, ours, theirs, data, goal, repeats, predict=False, notes=""):
    def measure():
        X, y = data()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            times = interleaved_medians(
                [_fits(ours, X, y, predict), _fits(theirs, X, y, predict)], repeats
            )
        return [comparison_row(name, *times, _per_fit, goal, notes)]

    return Case(name, measure)


def _grid_case(repeats):
    name = "small · GridSearchCV, 5 folds × 24 candidates, 2,000 × 20 vs SGDClassifier"
    grid = {
        "alpha": [1e-5, 1e-4, 1e-3, 1e-2],
        "learning_rate": ["optimal", "constant"],
        "eta0": [0.01, 0.1, 1.0],
    }

    def measure():
        X, y = _classification(2000, random_state=1)

        def search(estimator):
            def run():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    GridSearchCV(estimator, grid, cv=5).fit(X, y)

            return run

        times = interleaved_medians(
            [search(GDClassifier(random_state=0)), search(SGDClassifier(random_state=0))],
            repeats,
        )
        return [comparison_row(name, *times, seconds, GRID_GOAL, "120 fits and scorings")]

    return Case(name, measure)


def small_cases(config):
    """Default fits, short fits with prediction, a grid search and small Newton fits."""
    repeats = config.repeats
    short = {"max_iter": 5, "tol": None, "random_state": 0}
    newton_data = functools.partial(_classification, 1600)
    n_train = 1600
    return [
        _pair_case(
            "small · default fit, 1,000 × 20 vs SGDClassifier",
            functools.partial(GDClassifier, random_state=0),
            functools.partial(SGDClassifier, random_state=0),
            _classification,
            DEFAULT_FIT_GOAL,
            repeats,
            notes=f"per fit, {FITS_PER_CALL} fits a timed call",
        ),
        _pair_case(
            "small · default fit, 1,000 × 20 vs SGDRegressor",
            functools.partial(GDRegressor, random_state=0),
            functools.partial(SGDRegressor, random_state=0),
            _regression,
            DEFAULT_FIT_GOAL,
            repeats,
            notes=f"per fit, {FITS_PER_CALL} fits a timed call",
        ),
        _pair_case(
            "small · fit 5 epochs + predict, 1,000 × 20 vs SGDClassifier",
            functools.partial(GDClassifier, **short),
            functools.partial(SGDClassifier, **short),
            _classification,
            SHORT_FIT_GOAL,
            repeats,
            predict=True,
            notes=f"per fit and prediction, {FITS_PER_CALL} a timed call",
        ),
        _pair_case(
            "small · newton log_loss, 1,600 × 20 vs LogisticRegression(lbfgs)",
            functools.partial(GDClassifier, loss="log_loss", solver="newton", alpha=ALPHA),
            functools.partial(LogisticRegression, C=1.0 / (n_train * ALPHA)),
            newton_data,
            NEWTON_GOAL,
            repeats,
            notes=f"C = 1/(n·alpha); per fit, {FITS_PER_CALL} fits a timed call",
        ),
        _grid_case(repeats),
    ]
