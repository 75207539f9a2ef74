"""Every optimization in skgd: the first-order solvers and Newton's method.

Solvers see an objective (loss plus penalty over data), never an estimator,
and return a :class:`SolverResult`.
"""

from skgd._solvers._first_order import EpochState, first_order_solve
from skgd._solvers._newton import newton_solve
from skgd._solvers._result import SolverResult
from skgd._solvers._step_rules import MomentumStep, PlainStep

SOLVERS = ("batch", "sgd", "minibatch", "momentum", "newton")

__all__ = [
    "SOLVERS",
    "EpochState",
    "MomentumStep",
    "PlainStep",
    "SolverResult",
    "first_order_solve",
    "newton_solve",
]
