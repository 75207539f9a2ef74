"""What the three estimators share: parameters, validation and solver plumbing.

The estimators hold no optimization loops. For each problem (the regression,
or one binary problem of a one-vs-rest classifier) they build a
:class:`~skgd._objective.LinearObjective` and hand it to a solver in
:mod:`skgd._solvers`.
"""

import copy
import functools
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_regressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._array_api import get_namespace
from sklearn.utils._param_validation import Interval, StrOptions

# scikit-learn's Parallel carries the configuration (array_api_dispatch) into
# the worker threads.
from sklearn.utils.parallel import Parallel, delayed

from skgd._array_api import follow, host_view, in_host_memory, is_numpy
from skgd._callbacks import FitTasks
from skgd._compat import ARRAY_API_SUPPORTED, CALLBACK_MIXINS, check_sample_weight, move_to
from skgd._dask import is_dask_array
from skgd._loss import LOSSES, make_loss
from skgd._objective import LinearObjective, MultinomialObjective
from skgd._penalty import make_penalty
from skgd._problems import row_order_seeds
from skgd._solvers import (
    SOLVERS,
    EpochState,
    SolveSettings,
    resolved_learning_rate,
    solver_names,
)


def atomic_fit(fit_method):
    """Make a fitting method all-or-nothing.

    Whatever the method raises (bad input found late, divergence, an
    interrupt), the estimator's state is put back as it was, so a fitted
    estimator stays fitted and predicts as before. Fitting only ever
    replaces attributes, never changes arrays in place, so a shallow copy of
    the state suffices.
    """

    @functools.wraps(fit_method)
    def wrapper(self, *args, **kwargs):
        saved = dict(self.__dict__)
        try:
            return fit_method(self, *args, **kwargs)
        except BaseException:
            # The callbacks' bookkeeping of this call stays: scikit-learn's
            # fit context tears the callbacks down after it.
            bookkeeping = {k: v for k, v in self.__dict__.items() if k in _CALLBACK_STATE}
            self.__dict__.clear()
            self.__dict__.update(saved)
            self.__dict__.update(bookkeeping)
            raise

    return wrapper


_CALLBACK_STATE = ("_callback_fit_ctx", "_skl_callbacks_to_teardown")


def dask_support(X):
    """The dask paths when ``X`` is a dask array, else None.

    The one place where dask input branches off: the estimators ask it and,
    for a dask array, call :mod:`skgd._dask._estimators`, which builds the
    same objects (validated input, problems, objectives) from blocks.
    """
    if not is_dask_array(X):
        return None
    from skgd._dask import _estimators

    return _estimators


def blockwise_on_dask(method):
    """Make a method of ``X`` a lazy dask array on dask input: the NumPy method per block."""

    @functools.wraps(method)
    def wrapper(self, X):
        dask = dask_support(X)
        if dask is not None:
            return dask.predict(self, method.__name__, X)
        return method(self, X)

    return wrapper


# As scikit-learn's SGD estimators warn since 1.8.
NEGATIVE_POWER_T = (
    "Negative values for `power_t` are deprecated (as in scikit-learn 1.8) and will "
    "raise an error in a future release. Use values in the range [0.0, inf) instead."
)


# scikit-learn's "boolean", "verbose" and "random_state" constraints, built
# once. Given as strings, each validation builds their objects anew, 3 to 7 µs
# apiece: 25 µs of a small fit. The same constraints and the same messages.
_BOOLEAN = [bool, np.bool_]
_VERBOSE = [Interval(Integral, 0, None, closed="left"), *_BOOLEAN]
_RANDOM_STATE = [Interval(Integral, 0, 2**32 - 1, closed="both"), np.random.RandomState, None]


class BaseGD(*CALLBACK_MIXINS, BaseEstimator):
    """Shared machinery of GDRegressor, GDClassifier and PerceptronGD."""

    _parameter_constraints: dict = {
        "loss": [StrOptions(set(LOSSES))],
        "penalty": [StrOptions({"l2", "l1", "elasticnet"}), None],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both"), None],
        "fit_intercept": _BOOLEAN,
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left"), None],
        "shuffle": _BOOLEAN,
        "verbose": _VERBOSE,
        "epsilon": [Interval(Real, 0, None, closed="left")],
        "random_state": _RANDOM_STATE,
        "learning_rate": [
            StrOptions({"auto", "constant", "optimal", "invscaling", "adaptive", "line_search"})
        ],
        "eta0": [Interval(Real, 0, None, closed="neither"), StrOptions({"auto"})],
        "power_t": [Interval(Real, None, None, closed="neither")],
        "early_stopping": _BOOLEAN,
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "warm_start": _BOOLEAN,
        "average": [Interval(Integral, 0, None, closed="neither"), *_BOOLEAN],
        "solver": [StrOptions(set(solver_names()))],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "nesterov": _BOOLEAN,
    }

    # Parameters a subclass fixes instead of exposing (PerceptronGD's loss...).
    _fixed_params: dict = {}

    @classmethod
    def _get_param_names(cls):
        # scikit-learn reads the constructor's signature on every get_params
        # (clone, validation, each fit): a tenth of a small fit. It is fixed
        # per class.
        return _param_names(cls)

    # scikit-learn's default (learning_rate, eta0) for this estimator's SGD
    # twin: what "auto" means for solver="sgd".
    _scikit_learn_steps: tuple = ("invscaling", 0.01)

    def _param(self, name):
        """A parameter's value, whether the user sets it or the class fixes it."""
        if name in self._fixed_params:
            return self._fixed_params[name]
        return getattr(self, name)

    def _make_loss(self):
        return make_loss(self._param("loss"), epsilon=self._param("epsilon"))

    def _solver_params(self):
        """Every parameter a solver reads: the user's, the class's fixed ones and
        scikit-learn's default steps; ``learning_rate="auto"`` resolved."""
        params = {
            **self.get_params(deep=False),
            **self._fixed_params,
            "scikit_learn_steps": self._scikit_learn_steps,
        }
        return {**params, "learning_rate": resolved_learning_rate(params)}

    def _check_combination(self, loss, params):
        """Refuse parameter combinations that cannot work, saying what to use.

        ``params`` are the :meth:`_solver_params`.
        """
        solver, row = self.solver, SOLVERS[self.solver]
        if self.penalty == "elasticnet" and self.l1_ratio is None:
            raise ValueError("l1_ratio must be set when penalty is 'elasticnet'.")
        if row.needs_hessian and not loss.has_hessian:
            raise ValueError(
                f"solver={solver!r} needs a loss with a second derivative, and "
                f"loss={loss.name!r} has none. Use a smooth loss (squared_error, "
                "huber, squared_epsilon_insensitive, log_loss, modified_huber or "
                "squared_hinge) or a first-order solver "
                f"({_either(solver_names(lambda row: not row.needs_hessian))})."
            )
        if row.l1 is None and not make_penalty(self.penalty, self.alpha, self.l1_ratio).is_smooth:
            raise ValueError(
                f"solver={solver!r} cannot use penalty={self.penalty!r}: the L1 "
                "part has no second derivative. Use penalty='l2' or None, or "
                "solver='batch', which applies L1 by soft thresholding."
            )
        if not row.averages and params["average"]:
            raise ValueError(
                "average applies to the solvers "
                f"{_either(solver_names(lambda row: row.averages))}; set average=False "
                f"with solver={solver!r}."
            )
        if not row.takes_learning_rate:
            return
        if row.step_rule(params).needs_all_rows and row.sampler(params) is not None:
            full_batch = solver_names(
                lambda row: row.takes_learning_rate and row.sampler(params) is None
            )
            raise ValueError(
                f"learning_rate={params['learning_rate']!r} evaluates the full objective "
                f"at each step, so it needs solver={_either(full_batch)}, not "
                f"solver={solver!r}. Use another learning_rate with the sampling solvers."
            )
        if params["learning_rate"] == "optimal" and self.alpha == 0:
            raise ValueError(
                "alpha must be > 0 since learning_rate is 'optimal': alpha is used "
                "to compute the optimal learning rate. Set alpha > 0 or choose "
                "another learning_rate."
            )

    def _new_state(self, coef, intercept, params):
        """The solver state of one problem, starting at ``coef``; ``params`` as
        :meth:`_solver_params` gives them."""
        step_rule = SOLVERS[self.solver].step_rule(params)
        return EpochState(coef, intercept, step_rule.init(coef))

    def _solve_problems(
        self,
        X,
        targets,
        weights,
        sample_weight,
        states,
        seeds,
        params,
        *,
        partial,
        held_out,
        n_classes=None,
        tasks=None,
    ):
        """Solve one problem per target (in threads); return their SolverResults.

        ``weights`` are each problem's sample weights, ``class_weight``
        included; early stopping scores by ``sample_weight``. ``params``
        are the :meth:`_solver_params`. ``partial``
        makes one pass (one step for batch and newton) with no stopping
        rule, as ``partial_fit`` does. ``held_out`` masks the rows
        kept for early stopping. ``n_classes`` makes each problem a
        multinomial one whose targets are class indices. ``tasks`` (a
        :class:`~skgd._callbacks.FitTasks`) reports each iteration to the
        estimator's callbacks.
        """
        loss = self._make_loss()
        row = SOLVERS[self.solver]
        self._check_combination(loss, params)
        step_rule, batch_size = row.step_rule(params), row.sampler(params)
        max_iter, tol = (1, None) if partial else (self.max_iter, self.tol)

        held_out_on_host = None if held_out is None else move_to(held_out, xp=np, device="cpu")

        def solve_one(k):
            X_k, y_k, weight_k = X, targets[k], weights[k]
            validation_score = None
            if held_out is not None:
                # As scikit-learn scores it: by the sample weights alone.
                validation_score = self._validation_scorer(
                    X[held_out], y_k[held_out], sample_weight[held_out]
                )
                X_k, y_k, weight_k = X[~held_out], y_k[~held_out], weight_k[~held_out]
            objective = self._objective(loss, X_k, y_k, weight_k, n_classes)
            objective.held_out = held_out_on_host
            monitor = None if tasks is None else tasks.monitor(k)
            settings = SolveSettings(params, max_iter, tol, seeds[k], validation_score, partial)
            t_start = states[k].t
            try:
                # The state is updated in place: a later partial_fit goes on from it.
                result = row.run(objective, states[k], step_rule, batch_size, settings, monitor)
            finally:
                # Now, not when a failed fit's traceback is collected.
                objective.close()
            if held_out is not None and batch_size == 1:
                # scikit-learn's t_ counts the validation rows too.
                result = result._replace(t=t_start + result.n_iter * X.shape[0])
            if monitor is not None:
                monitor.close()
            return result

        n_jobs = getattr(self, "n_jobs", None) if len(targets) > 1 else None
        if n_jobs in (None, 1):
            # One after the other, without a pool: a pool's start costs more
            # than a small problem's fit.
            results = [solve_one(k) for k in range(len(targets))]
        else:
            # The problems update their solver states in place: they must share
            # memory whatever joblib backend is active (as scikit-learn's SGD).
            results = Parallel(n_jobs=n_jobs, require="sharedmem")(
                delayed(solve_one)(k) for k in range(len(targets))
            )
        # The solvers' own warnings, once per kind, as the first problem gave it.
        given = [warning for result in results for warning in result.warnings]
        for kind in dict.fromkeys(warning.kind for warning in given):
            of_kind = [warning for warning in given if warning.kind == kind]
            of_kind[0].emit(len(of_kind), len(results))
        if not partial:
            self._warn_if_not_converged(results)
            if params["power_t"] < 0:
                warnings.warn(NEGATIVE_POWER_T, FutureWarning, stacklevel=3)
        return results

    def _held_out_rows(self, X, sample_weight, stratify=None):
        """The early-stopping mask, or None; refuses a validation set of zero weight."""
        if not self.early_stopping:
            return None
        if stratify is not None and not is_numpy(stratify):
            # The split is drawn on the host, as the shuffles are: the labels
            # (never X) come to NumPy for it, and the mask goes to X's device.
            stratify = move_to(stratify, xp=np, device="cpu")
        held_out = validation_split(
            X.shape[0], self.validation_fraction, self._param("random_state"), stratify
        )
        held_out = follow(held_out, sample_weight)
        xp, _ = get_namespace(sample_weight)
        if not xp.any(sample_weight[held_out] > 0):
            raise ValueError(
                "The sample weights of the validation set are all zero; "
                "early_stopping=True cannot score on it. Change random_state "
                "or validation_fraction, or set early_stopping=False."
            )
        return held_out

    def _check_partial_fit_params(self):
        if self.early_stopping:
            raise ValueError("early_stopping should be False with partial_fit")

    def _fit_problems(self, data, *, partial):
        """Fit (or, with ``partial``, continue) the problems of ``data``, atomically.

        ``data`` is a :class:`~skgd._problems.FitData`: its problems' starts
        begin a fresh fit; a continued fit starts from copies of the stored
        solver states. The fitted attributes change only once every problem
        has been solved, so a failure (an exception, divergence, an
        interrupt) leaves a fitted estimator as it was.
        """
        X, sample_weight = data.X, data.sample_weight
        targets, initial, n_classes = data.problems[:3]
        weights = data.problems.weights(sample_weight)
        X_given = X
        if SOLVERS[self.solver].runs_on_host and not is_numpy(X) and in_host_memory(X):
            # sgd's per-sample loop is compiled for NumPy: it reads the arrays
            # in place in host memory, and the fitted arrays go back to X's
            # namespace below. On other devices (a GPU) it steps there, in
            # X's library, sample by sample: slow, but X never moves.
            X, sample_weight = host_view(X), host_view(sample_weight)
            targets = [host_view(target) for target in targets]
            weights = [host_view(weight) for weight in weights]
            initial = [
                (host_view(coef), intercept if np.ndim(intercept) == 0 else host_view(intercept))
                for coef, intercept in initial
            ]
        continuing = partial and hasattr(self, "_solver_states")
        params = self._solver_params()
        if continuing:
            states = copy.deepcopy(self._solver_states)
        else:
            states = [self._new_state(coef, intercept, params) for coef, intercept in initial]
        held_out = None if partial else self._held_out_rows(X, sample_weight, data.y)
        seeds = row_order_seeds(self._param("random_state"), len(targets), is_regressor(self))
        tasks = None
        if hasattr(self, "_skl_callbacks"):
            # What a callback needs to score the model at any iteration.
            fitted_extras = {} if data.classes is None else {"classes_": data.classes}
            labels = list(fitted_extras.get("classes_", range(len(targets))))
            tasks = FitTasks(
                self,
                X,
                targets[0] if data.y is None else data.y,
                None if data.given_weight is None else {"sample_weight": data.given_weight},
                states,
                1 if partial else self.max_iter,
                labels,
                fitted_extras,
            )
        results = self._solve_problems(
            X,
            targets,
            weights,
            sample_weight,
            states,
            seeds,
            params,
            partial=partial,
            held_out=held_out,
            n_classes=n_classes,
            tasks=tasks,
        )

        append = continuing or (self.warm_start and hasattr(self, "loss_curve_"))
        previous_curve = list(self.loss_curve_) if append else []
        self._set_coef(results, X.dtype)
        if X is not X_given:
            self.coef_ = follow(self.coef_, X_given)
            self.intercept_ = follow(self.intercept_, X_given)
        self.n_iter_ = max(result.n_iter for result in results)
        self.t_ = max(result.t for result in results)
        self.converged_ = all(result.converged for result in results)
        self.learning_rate_ = results[0].learning_rate
        # One-vs-rest problems share the data's step unless class weights or
        # a recovery changed it: the smallest is the one to take as given.
        self.eta0_ = min(result.eta0 for result in results)
        self.loss_curve_ = previous_curve + mean_loss_curve(results)
        self._solver_states = states
        if tasks is not None:
            tasks.end()

    def _objective(self, loss, X, y, sample_weight, n_classes=None):
        penalty = make_penalty(self.penalty, self.alpha, self.l1_ratio)
        dask = dask_support(X)
        if dask is not None:
            return dask.make_objective(
                loss, penalty, X, y, sample_weight, self.fit_intercept, n_classes
            )
        if n_classes is not None:
            return MultinomialObjective(
                penalty, X, y, sample_weight, self.fit_intercept, n_classes
            )
        return LinearObjective(loss, penalty, X, y, sample_weight, self.fit_intercept)

    def _warn_if_not_converged(self, results):
        # A fit a callback stopped is no failure to converge.
        unconverged = [r for r in results if not r.converged and not r.stopped]
        if self.tol is None or not unconverged:
            return
        advice = SOLVERS[self.solver].not_converged.format(
            tol=self.tol, message=unconverged[0].message
        )
        warnings.warn(advice, ConvergenceWarning, stacklevel=7)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.array_api_support = ARRAY_API_SUPPORTED
        return tags


@functools.cache
def _param_names(cls):
    return BaseEstimator._get_param_names.__func__(cls)


def checked_sample_weight(sample_weight, X, early_stopping=False):
    """``sample_weight`` validated as scikit-learn does, refusing all-zero weights.

    With ``early_stopping``, all-zero weights pass here, as in scikit-learn:
    the validation split then says that its weights are all zero.
    """
    if sample_weight is None and (isinstance(X, np.ndarray) or sp.issparse(X)):
        # What scikit-learn's check gives for no weights, without its
        # namespace and device lookups: 40 µs, a twentieth of a small fit.
        return np.ones(X.shape[0], dtype=X.dtype)
    sample_weight = check_sample_weight(
        follow(sample_weight, X),
        X,
        dtype=X.dtype,
        ensure_non_negative=True,
        allow_all_zero_weights=early_stopping,
    )
    xp, _ = get_namespace(sample_weight)
    if not early_stopping and not xp.any(sample_weight > 0):
        raise ValueError(
            "The sample weights are all zero: at least one sample needs a "
            "positive weight to fit a model."
        )
    return sample_weight


def _either(names):
    """``'a', 'b' or 'c'``: the names as a validation message lists them."""
    quoted = [repr(name) for name in names]
    return " or ".join(quoted) if len(quoted) < 3 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def mean_loss_curve(results):
    """One curve for several problems: the mean, a finished problem's last value kept."""
    if len(results) == 1:
        return [float(value) for value in results[0].loss_curve]
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
