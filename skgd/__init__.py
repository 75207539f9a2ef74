"""skgd: scikit-learn estimators whose optimization method is a parameter."""

from skgd._classifier import GDClassifier
from skgd._gradcheck import DerivativeCheck, check_loss_derivatives
from skgd._perceptron import PerceptronGD
from skgd._regressor import GDRegressor

__version__ = "0.1.0.dev0"

__all__ = [
    "DerivativeCheck",
    "GDClassifier",
    "GDRegressor",
    "PerceptronGD",
    "__version__",
    "check_loss_derivatives",
]
