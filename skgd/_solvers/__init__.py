"""Every optimization in skgd: the solver table, the first-order loop and Newton's method.

Solvers see an objective (loss plus penalty over data), never an estimator,
and return a :class:`SolverResult`. :data:`SOLVERS` maps each ``solver``
name to its sampler, step rule and properties.
"""

from skgd._solvers._first_order import EpochState, first_order_solve
from skgd._solvers._newton import newton_solve
from skgd._solvers._result import SolverResult
from skgd._solvers._step_rules import BacktrackingStep, MomentumStep, PlainStep
from skgd._solvers._table import SOLVERS, SolveSettings, resolved_learning_rate, solver_names

__all__ = [
    "SOLVERS",
    "BacktrackingStep",
    "EpochState",
    "MomentumStep",
    "PlainStep",
    "SolveSettings",
    "resolved_learning_rate",
    "solver_names",
    "SolverResult",
    "first_order_solve",
    "newton_solve",
]
