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
    learning_rate : str or None
        The schedule the steps followed, ``"auto"`` resolved.
    eta0 : float or None
        The step of the first update, after any recovery from divergence.
    warnings : tuple of SolverWarning
        What the estimator should warn about, once per fit and kind (the
        solvers of one-vs-rest problems run in threads).
    """

    coef: object
    intercept: float
    n_iter: int
    t: float
    converged: bool
    loss_curve: list
    message: str
    stopped: bool = False
    learning_rate: str | None = None
    eta0: float | None = None
    warnings: tuple = ()
