"""The estimators: validation and fitted attributes around the solvers."""

from skgd._estimators._classifier import GDClassifier
from skgd._estimators._perceptron import PerceptronGD
from skgd._estimators._regressor import GDRegressor

__all__ = ["GDClassifier", "GDRegressor", "PerceptronGD"]
