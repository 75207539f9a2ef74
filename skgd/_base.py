"""What the three estimators share: parameters, validation and solver plumbing.

The estimators hold no optimization loops. For each problem (the regression,
or one binary problem of a one-vs-rest classifier) they build a
:class:`~skgd._objective.LinearObjective` and hand it to a solver in
:mod:`skgd._solvers`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from skgd._loss import LOSSES, make_loss
from skgd._objective import LinearObjective
from skgd._penalty import make_penalty
from skgd._schedules import Schedule
from skgd._solvers import (
    SOLVERS,
    EpochState,
    MomentumStep,
    PlainStep,
    first_order_solve,
    newton_solve,
)

STOCHASTIC_SOLVERS = ("sgd", "minibatch", "momentum")


class BaseGD(BaseEstimator):
    """Shared machinery of GDRegressor, GDClassifier and PerceptronGD."""

    _parameter_constraints: dict = {
        "loss": [StrOptions(set(LOSSES))],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "fit_intercept": ["boolean"],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": ["boolean"],
        "verbose": ["verbose"],
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "learning_rate": [StrOptions({"constant", "optimal", "invscaling", "adaptive"})],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, None, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": ["boolean"],
        "average": [Interval(Integral, 0, None, closed="neither"), "boolean"],
        "solver": [StrOptions(set(SOLVERS))],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
    }

    # Parameters a subclass fixes instead of exposing (PerceptronGD's loss...).
    _fixed_params: dict = {}

    def _param(self, name):
        """A parameter's value, whether the user sets it or the class fixes it."""
        if name in self._fixed_params:
            return self._fixed_params[name]
        return getattr(self, name)

    def _make_loss(self):
        return make_loss(self._param("loss"), epsilon=self._param("epsilon"))

    def _check_combination(self, loss):
        """Refuse parameter combinations that cannot work, saying what to use."""
        solver = self.solver
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'.")
        if solver == "newton":
            if not loss.has_hessian:
                raise ValueError(
                    f"solver='newton' needs a loss with a second derivative, and "
                    f"loss={loss.name!r} has none. Use a smooth loss (squared_error, "
                    "huber, squared_epsilon_insensitive, log_loss, modified_huber or "
                    "squared_hinge) or a first-order solver ('batch', 'sgd', "
                    "'minibatch' or 'momentum')."
                )
            if not make_penalty(self.penalty, self.alpha, self.l1_ratio).is_smooth:
                raise ValueError(
                    f"solver='newton' cannot use penalty={self.penalty!r}: the L1 "
                    "part has no second derivative. Use penalty='l2' or None, or "
                    "solver='batch', which applies L1 by soft thresholding."
                )
            if self._param("average"):
                raise ValueError(
                    "average applies to the stochastic solvers ('sgd', 'minibatch', "
                    "'momentum'); set average=False with solver='newton'."
                )
        elif self._param("learning_rate") == "optimal" and self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal': alpha is used "
                "to compute the optimal learning rate. Set alpha > 0 or choose "
                "another learning_rate."
            )

    def _check_sample_weight(self, sample_weight, X):
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if not np.any(sample_weight > 0):
            raise ValueError(
                "The sample weights are all zero: at least one sample needs a "
                "positive weight to fit a model."
            )
        return sample_weight

    def _solve(self, objective, coef, intercept, random_state, validation_score=None):
        """Run the configured solver on one problem; return a SolverResult."""
        if self.solver == "newton":
            return newton_solve(
                objective,
                coef,
                intercept,
                max_iter=self.max_iter,
                tol=self.tol,
                verbose=self.verbose,
            )
        if self.solver == "momentum":
            step_rule = MomentumStep(self.momentum, self.nesterov)
        else:
            step_rule = PlainStep()
        batch_size = {"batch": None, "sgd": 1}.get(self.solver, self.batch_size)
        average = self._param("average")
        schedule = Schedule(
            self._param("learning_rate"),
            eta0=self.eta0,
            power_t=self._param("power_t"),
            alpha=self.alpha,
            loss=objective.loss,
        )
        return first_order_solve(
            objective,
            EpochState(coef, intercept, step_rule.init(coef)),
            step_rule=step_rule,
            schedule=schedule,
            batch_size=batch_size,
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle,
            random_state=random_state,
            average=1 if average is True else int(average),
            validation_score=validation_score,
            verbose=self.verbose,
        )

    def _objective(self, loss, X, y, sample_weight):
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio)
        return LinearObjective(loss, penalty, X, y, sample_weight, self.fit_intercept)

    def _warn_if_not_converged(self, results):
        if self.tol is None or all(result.converged for result in results):
            return
        if self.solver == "newton":
            advice = (
                "Newton's method did not converge. Increase max_iter, or add a "
                "penalty (alpha > 0) if the data are separable."
            )
        else:
            advice = (
                "Maximum number of iteration reached before convergence. Consider "
                "increasing max_iter to improve the fit."
            )
        warnings.warn(advice, ConvergenceWarning, stacklevel=3)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def mean_loss_curve(results):
    """One curve for several problems: the mean, a finished problem's last value kept."""
    length = max(len(result.loss_curve) for result in results)
    padded = [
        list(result.loss_curve) + [result.loss_curve[-1]] * (length - len(result.loss_curve))
        for result in results
    ]
    return list(np.mean(np.asarray(padded, dtype=float), axis=0))


def validation_split(n_samples, validation_fraction, random_state, stratify=None):
    """Boolean mask of the rows held out for early stopping."""
    from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit

    splitter_cls = StratifiedShuffleSplit if stratify is not None else ShuffleSplit
    splitter = splitter_cls(test_size=validation_fraction, random_state=random_state)
    try:
        train, test = next(splitter.split(np.zeros((n_samples, 1)), stratify))
    except ValueError as error:
        raise ValueError(
            f"early_stopping=True could not hold out validation_fraction="
            f"{validation_fraction} of {n_samples} samples ({error}). Increase "
            "validation_fraction, give more samples, or set early_stopping=False."
        ) from error
    if train.shape[0] == 0 or test.shape[0] == 0:
        raise ValueError(
            f"early_stopping=True left an empty training or validation set with "
            f"{n_samples} samples and validation_fraction={validation_fraction}. "
            "Change validation_fraction or set early_stopping=False."
        )
    mask = np.zeros(n_samples, dtype=bool)
    mask[test] = True
    return mask
