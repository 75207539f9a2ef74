"""The per-sample losses, public for inspection, teaching and gradient checks.

Each loss has ``loss(y, raw_prediction)``, ``gradient(y, raw_prediction)`` and,
where it exists, ``hessian(y, raw_prediction)``, with derivatives taken with
respect to the raw prediction. Each class's docstring states its formula and
whether it carries a ½.
"""

from skgd._loss import (
    CLASSIFICATION_LOSSES,
    LOSSES,
    REGRESSION_LOSSES,
    BaseLoss,
    EpsilonInsensitive,
    HalfSquaredError,
    Hinge,
    Huber,
    LogLoss,
    ModifiedHuber,
    Perceptron,
    SquaredEpsilonInsensitive,
    SquaredHinge,
    make_loss,
)

__all__ = [
    "CLASSIFICATION_LOSSES",
    "LOSSES",
    "REGRESSION_LOSSES",
    "BaseLoss",
    "EpsilonInsensitive",
    "HalfSquaredError",
    "Hinge",
    "Huber",
    "LogLoss",
    "ModifiedHuber",
    "Perceptron",
    "SquaredEpsilonInsensitive",
    "SquaredHinge",
    "make_loss",
]
