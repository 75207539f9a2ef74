"""Per-sample losses: Array API objects and their compiled scalar twins."""

from skgd._loss._losses import *  # noqa: F403  (the public losses, listed in __all__ there)
from skgd._loss._losses import __all__  # noqa: F401
