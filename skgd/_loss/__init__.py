"""Per-sample losses: Array API objects and their compiled scalar twins."""

from skgd._loss._losses import (
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
