"""The named result every solver returns."""

from typing import NamedTuple


class SolverResult(NamedTuple):
    """What a solver found, and how.

    Attributes
    ----------
    coef : array of shape (n_features,)
    intercept : float
    n_iter : int
        Epochs (sgd, minibatch, momentum) or iterations (batch, newton).
    t : float
        The update counter after the last update, counted from 1 as in
        scikit-learn: samples for sgd, batches for minibatch and momentum,
        iterations for batch and newton.
    converged : bool
        Whether the stopping rule was met before ``max_iter``.
    loss_curve : list of float
        One objective value per epoch or iteration.
    message : str
        Why the solver stopped.
    stopped : bool
        Whether a callback asked the solver to stop.
    """

    coef: object
    intercept: float
    n_iter: int
    t: float
    converged: bool
    loss_curve: list
    message: str
    stopped: bool = False
