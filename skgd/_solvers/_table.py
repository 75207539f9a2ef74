"""The solver table: each ``solver`` name as a sampler, a step rule and its properties.

The five solvers are two independent choices, how rows are sampled and how
a step is taken, plus what follows from them. This table is the one place
that knows the names; the estimators and the parameter validation read it.
Adding a solver is adding a row; adding a step rule is a class in
:mod:`skgd._solvers._step_rules` and a row here.

=========  ===========  ====================================  =================
solver     sampler      step rule                             runs in
=========  ===========  ====================================  =================
batch      all rows     plain, or backtracking line search    first-order loop
sgd        one row      plain                                 first-order loop
minibatch  batch_size   plain                                 first-order loop
momentum   batch_size   heavy ball or Nesterov                first-order loop
newton     all rows     Newton step with Armijo line search   Newton solver
=========  ===========  ====================================  =================
"""

from collections.abc import Callable
from typing import NamedTuple

from skgd._schedules import Schedule
from skgd._solvers._first_order import first_order_solve
from skgd._solvers._newton import newton_solve
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
    if params["learning_rate"] == "line_search":
        return BacktrackingStep(params["eta0"])
    return step_rule


def run_first_order(objective, state, step_rule, batch_size, settings, monitor=None):
    """The first-order loop of :mod:`skgd._solvers._first_order` on one problem."""
    params = settings.params
    if state.schedule is None:
        # Made once per problem: partial_fit goes on with the first call's.
        state.schedule = Schedule(
            params["learning_rate"],
            eta0=params["eta0"],
            power_t=params["power_t"],
            alpha=params["alpha"],
            loss=objective.loss,
        )
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
    )


def run_newton(objective, state, step_rule, batch_size, settings, monitor=None):
    """Newton's method (:mod:`skgd._solvers._newton`) on one problem."""
    result = newton_solve(
        objective,
        state.coef,
        state.intercept,
        max_iter=settings.max_iter,
        tol=settings.tol,
        verbose=settings.params["verbose"],
        monitor=monitor,
        # partial_fit: the k-th step on a chunk moves 1/k of the way, so the
        # iterate averages the chunks' Newton targets instead of jumping to
        # the last chunk's optimum.
        max_step=1.0 / state.t if settings.partial else 1.0,
    )
    state.coef, state.intercept = result.coef, result.intercept
    state.t += result.n_iter
    return result._replace(t=state.t)


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
    takes_learning_rate : bool
        Whether ``learning_rate``, ``eta0`` and ``power_t`` set its steps.
    not_converged : str
        The ConvergenceWarning's text, with ``{tol}`` and ``{message}``.
    """

    sampler: Callable
    step_rule: Callable
    run: Callable
    needs_hessian: bool = False
    l1: str | None = "exact"
    averages: bool = True
    runs_on_host: bool = False
    takes_learning_rate: bool = True
    not_converged: str = FIRST_ORDER_ADVICE


SOLVERS = {
    "batch": Solver(lambda params: None, _plain, run_first_order),
    "sgd": Solver(lambda params: 1, _plain, run_first_order, runs_on_host=True),
    "minibatch": Solver(_batch_of_rows, _plain, run_first_order),
    "momentum": Solver(_batch_of_rows, _momentum, run_first_order, l1="subgradient"),
    "newton": Solver(
        lambda params: None,
        lambda params: NewtonStep(),
        run_newton,
        needs_hessian=True,
        l1=None,
        averages=False,
        takes_learning_rate=False,
        not_converged=NEWTON_ADVICE,
    ),
}


def solver_names(keep=None):
    """The names of the table's solvers whose row satisfies ``keep`` (all by default)."""
    return [name for name, row in SOLVERS.items() if keep is None or keep(row)]
