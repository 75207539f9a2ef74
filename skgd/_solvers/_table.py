"""The solver table: each ``solver`` name as a sampler, a step rule and its properties.

The five solvers are two independent choices, how rows are sampled and how
a step is taken, plus what follows from them. This table is the one place
that knows the names; the estimators and the parameter validation read it.
Adding a solver is adding a row; adding a step rule is a class in
:mod:`skgd._solvers._step_rules` and a row here.

=========  ===========  ===================================  ==============================
solver     sampler      step rule                            default steps ("auto")
=========  ===========  ===================================  ==============================
batch      all rows     plain, or backtracking line search   line search from 1 / L̄
sgd        one row      plain                                scikit-learn's own
minibatch  batch_size   plain                                adaptive from 1 / L_B
momentum   batch_size   heavy ball or Nesterov               adaptive from (1 − μ) / L_B
newton     all rows     Newton step with Armijo line search  the full Newton step
=========  ===========  ===================================  ==============================

The first four run in the first-order loop (:mod:`skgd._solvers._first_order`),
newton in its own solver; the default steps are
:mod:`skgd._solvers._step_policy`'s.
"""

import copy
from collections.abc import Callable
from typing import NamedTuple

from skgd._schedules import Schedule
from skgd._solvers import _small_newton as small_newton
from skgd._solvers._divergence import Diverged, recovered
from skgd._solvers._first_order import first_order_solve
from skgd._solvers._newton import newton_solve
from skgd._solvers._step_policy import (
    AUTO_FLOOR_RATIO,
    BatchMeanSteps,
    LineSearchSteps,
    NewtonSteps,
    ScikitLearnSteps,
)
from skgd._solvers._step_policy import resolve as resolve_steps
from skgd._solvers._step_rules import BacktrackingStep, MomentumStep, NewtonStep, PlainStep


class SolveSettings(NamedTuple):
    """What a fit asks of a solver, beyond the objective and the starting state.

    ``params`` are the estimator's parameters (the fixed ones included);
    ``partial`` makes one pass with no stopping rule, as ``partial_fit`` does.
    """

    params: dict
    max_iter: int
    tol: float | None
    random_state: object
    validation_score: Callable | None
    partial: bool


def _batch_of_rows(params):
    return params["batch_size"]


def _plain(params):
    return _line_search_or(params, PlainStep())


def _momentum(params):
    return _line_search_or(params, MomentumStep(params["momentum"], params["nesterov"]))


def _line_search_or(params, step_rule):
    """``learning_rate="line_search"`` picks the backtracking rule (it needs every row)."""
    if resolved_learning_rate(params) == "line_search":
        return BacktrackingStep()
    return step_rule


# fit restarts a diverged first-order fit with steps this much smaller, at
# most this many times: 1e-8 of the first step, by when no step works.
RECOVERY_FACTOR = 0.1
MAX_RECOVERIES = 8


def run_first_order(objective, state, step_rule, batch_size, settings, monitor=None):
    """The first-order loop of :mod:`skgd._solvers._first_order` on one problem.

    ``fit`` recovers from divergence: it restarts from its starting point
    with steps ten times smaller, up to ``MAX_RECOVERIES`` times, and the
    result carries a warning that names the step it kept.
    ``partial_fit`` raises and keeps its previous state.
    """
    params = settings.params
    row = SOLVERS[params["solver"]]
    if state.schedule is None:
        # Made once per problem: partial_fit goes on with the first call's.
        steps = resolve_steps(row.steps, objective, params, batch_size)
        state.schedule = Schedule(
            steps.learning_rate,
            eta0=steps.eta0,
            power_t=params["power_t"],
            alpha=params["alpha"],
            loss=objective.loss,
            floor_ratio=AUTO_FLOOR_RATIO if params["eta0"] == "auto" else None,
        )
    # Fits replace the state's arrays, never change them in place: a shallow
    # copy keeps the starting point.
    start = None if settings.partial else copy.copy(state)
    failures = []
    while True:
        try:
            result = _first_order_solve(objective, state, step_rule, batch_size, settings, monitor)
            break
        except Diverged as error:
            if start is None or len(failures) == MAX_RECOVERIES:
                raise
            failures.append((error.epoch, state.schedule))
            schedule = state.schedule.scaled(RECOVERY_FACTOR)
            state.__dict__.update(start.__dict__)
            state.schedule = schedule
    if failures:
        result = result._replace(warnings=(*result.warnings, recovered(failures, state.schedule)))
    return result._replace(learning_rate=state.schedule.kind, eta0=state.schedule.first_step)


def _first_order_solve(objective, state, step_rule, batch_size, settings, monitor):
    params = settings.params
    average = params["average"]
    return first_order_solve(
        objective,
        state,
        step_rule=step_rule,
        schedule=state.schedule,
        batch_size=batch_size,
        max_iter=settings.max_iter,
        tol=settings.tol,
        n_iter_no_change=params["n_iter_no_change"],
        shuffle=params["shuffle"],
        random_state=settings.random_state,
        average=1 if average is True else int(average),
        validation_score=settings.validation_score,
        verbose=params["verbose"],
        monitor=monitor,
        keep_blown_up=SOLVERS[params["solver"]].keeps_blown_up_model,
    )


def run_newton(objective, state, step_rule, batch_size, settings, monitor=None):
    """Newton's method (:mod:`skgd._solvers._newton`) on one problem.

    Small dense fits that nothing watches run the same loop compiled
    (:mod:`skgd._solvers._small_newton`).
    """
    steps = {
        "max_iter": settings.max_iter,
        "tol": settings.tol,
        # partial_fit: the k-th step on a chunk moves 1/k of the way, so the
        # iterate averages the chunks' Newton targets instead of jumping to
        # the last chunk's optimum.
        "max_step": 1.0 / state.t if settings.partial else 1.0,
    }
    verbose = settings.params["verbose"]
    result = None
    if small_newton.serves(objective, monitor, verbose):
        result = small_newton.small_newton_solve(objective, state.coef, state.intercept, **steps)
    if result is None:
        result = newton_solve(
            objective, state.coef, state.intercept, verbose=verbose, monitor=monitor, **steps
        )
    state.coef, state.intercept = result.coef, result.intercept
    state.t += result.n_iter
    return result._replace(t=state.t, learning_rate="line_search", eta0=1.0)


FIRST_ORDER_ADVICE = (
    "Maximum number of iteration reached before convergence. Consider increasing "
    "max_iter to improve the fit."
)
NEWTON_ADVICE = (
    "Newton's method did not reach tol={tol}: {message} Increase max_iter or tol, or "
    "add a penalty (alpha > 0) if the data are separable."
)


class Solver(NamedTuple):
    """One row of the table.

    Attributes
    ----------
    sampler : callable
        ``params -> batch_size``: rows per step, None for all rows.
    step_rule : callable
        ``params -> StepRule``.
    run : callable
        ``run(objective, state, step_rule, batch_size, settings, monitor)``
        returns a ``SolverResult`` and updates ``state`` so that
        ``partial_fit`` can go on from it.
    needs_hessian : bool
        The loss needs a second derivative.
    l1 : {"exact", "subgradient", None}
        How the L1 part of a penalty is applied: exactly (soft thresholding or
        cumulative truncation, which keep zeros), as a subgradient inside the
        step, or not at all (the solver refuses it).
    averages : bool
        Whether ``average`` (ASGD) applies.
    runs_on_host : bool
        Its compiled loop reads host-memory arrays of any library through a
        NumPy view.
    steps : step policy
        What ``learning_rate="auto"`` and ``eta0="auto"`` become
        (:mod:`skgd._solvers._step_policy`).
    takes_learning_rate : bool
        Whether ``learning_rate``, ``eta0`` and ``power_t`` set its steps.
    keeps_blown_up_model : bool
        A fit that ends finite but blown up returns its model with a warning,
        as scikit-learn's SGD does, instead of restarting with smaller steps.
    not_converged : str
        The ConvergenceWarning's text, with ``{tol}`` and ``{message}``.
    """

    sampler: Callable
    step_rule: Callable
    run: Callable
    steps: object = BatchMeanSteps()
    needs_hessian: bool = False
    l1: str | None = "exact"
    averages: bool = True
    runs_on_host: bool = False
    takes_learning_rate: bool = True
    keeps_blown_up_model: bool = False
    not_converged: str = FIRST_ORDER_ADVICE


SOLVERS = {
    "batch": Solver(lambda params: None, _plain, run_first_order, LineSearchSteps()),
    "sgd": Solver(
        lambda params: 1,
        _plain,
        run_first_order,
        ScikitLearnSteps(),
        runs_on_host=True,
        keeps_blown_up_model=True,
    ),
    "minibatch": Solver(_batch_of_rows, _plain, run_first_order, BatchMeanSteps()),
    "momentum": Solver(
        _batch_of_rows, _momentum, run_first_order, BatchMeanSteps(damped=True), l1="subgradient"
    ),
    "newton": Solver(
        lambda params: None,
        lambda params: NewtonStep(),
        run_newton,
        NewtonSteps(),
        needs_hessian=True,
        l1=None,
        averages=False,
        takes_learning_rate=False,
        not_converged=NEWTON_ADVICE,
    ),
}


def resolved_learning_rate(params):
    """``params["learning_rate"]``, with ``"auto"`` replaced by the solver's own."""
    if params["learning_rate"] == "auto":
        return SOLVERS[params["solver"]].steps.learning_rate(params)
    return params["learning_rate"]


def solver_names(keep=None):
    """The names of the table's solvers whose row satisfies ``keep`` (all by default)."""
    return [name for name, row in SOLVERS.items() if keep is None or keep(row)]
