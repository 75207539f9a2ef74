"""Small fits: what a grid search repeats thousands of times, fixed costs included.

The data are the same in quick and full mode (a small fit is the point):
standardized ``make_classification(1000, 20, random_state=0)`` and
``make_regression(1000, 20, noise=1, random_state=0)``; both sides use
``random_state=0``. Each timed call is a loop of fits, so that the timer's
resolution does not matter.
"""

import functools
import time
import warnings

from _report import Case, Row, comparison_row, ratio_goal, seconds
from _timing import interleaved_medians
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier, SGDRegressor
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor
from skgd._solvers import _fit_kernel

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


class _Stopwatch:
    """Seconds spent in some methods, accumulated while it is installed."""

    def __init__(self, targets):
        self.targets = targets  # name -> (owner, attribute)
        self.spent = dict.fromkeys(targets, 0.0)

    def __enter__(self):
        self.saved = {name: getattr(*target) for name, target in self.targets.items()}
        for name, (owner, attribute) in self.targets.items():
            setattr(owner, attribute, self._timed(name, self.saved[name]))
        return self

    def __exit__(self, *exc):
        for name, (owner, attribute) in self.targets.items():
            setattr(owner, attribute, self.saved[name])

    def _timed(self, name, function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[name] += time.perf_counter() - start

        return timed


def _breakdown_case(repeats):
    """Where one default fit's time goes: validation, setup, the kernel and the rest."""
    name = "small · one default fit, 1,000 × 20, classifier: where the time goes"

    def measure():
        X, y = _classification()
        fits = FITS_PER_CALL * max(repeats, 3)
        targets = {
            "data": (GDClassifier, "_fit_data"),
            "problems": (GDClassifier, "_fit_problems"),
            "solve": (GDClassifier, "_solve_problems"),
            "kernel": (_fit_kernel, "run_fit"),
        }
        GDClassifier(random_state=0).fit(X, y)  # compile or load the kernels
        with _Stopwatch(targets) as watch:
            start = time.perf_counter()
            for _ in range(fits):
                GDClassifier(random_state=0).fit(X, y)
            total = time.perf_counter() - start
        spent = {key: value / fits for key, value in watch.spent.items()}
        parts = {
            "validation and problems (_fit_data)": spent["data"],
            "solver setup": spent["solve"] - spent["kernel"],
            "kernel": spent["kernel"],
            "wrap-up (_fit_problems less solving)": spent["problems"] - spent["solve"],
            "parameter validation and the rest": total / fits - spent["data"] - spent["problems"],
        }
        notes = "; ".join(f"{part} {seconds(value)}" for part, value in parts.items())
        return [Row(case=name, skgd=seconds(total / fits), notes=notes)]

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
        _breakdown_case(repeats),
    ]
