"""The per-sample losses, public for inspection, teaching and gradient checks.

Each loss has ``loss(y, raw_prediction)``, ``gradient(y, raw_prediction)`` and,
where it exists, ``hessian(y, raw_prediction)``, with derivatives taken with
respect to the raw prediction. Each class's docstring states its formula and
whether it carries a ½.
"""

from skgd._loss import *  # noqa: F403  (the public losses are the _loss package's names)
from skgd._loss import __all__  # noqa: F401
