"""skgd: scikit-learn estimators whose optimization method is a parameter."""

from skgd import _legacy_paths  # noqa: F401  (saved models name the old module paths)
from skgd._estimators import GDClassifier, GDRegressor, PerceptronGD
from skgd._gradcheck import DerivativeCheck, check_loss_derivatives

__version__ = "0.1.0.dev0"

__all__ = [
    "DerivativeCheck",
    "GDClassifier",
    "GDRegressor",
    "PerceptronGD",
    "__version__",
    "check_loss_derivatives",
]
