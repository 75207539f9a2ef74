"""The module paths of an earlier layout, for the models users saved with it.

A pickle or skops file names each class by its module path. The estimators
moved to :mod:`skgd._estimators`; registering their modules under the old
names lets saved models load and predict as before.
"""

import sys

from skgd._estimators import _classifier, _perceptron, _regressor

MOVED_MODULES = {
    "skgd._classifier": _classifier,
    "skgd._perceptron": _perceptron,
    "skgd._regressor": _regressor,
}

for _old_path, _module in MOVED_MODULES.items():
    sys.modules.setdefault(_old_path, _module)
