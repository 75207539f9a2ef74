"""The tests that need a newer scikit-learn than the oldest skgd supports.

skgd behaves as with scikit-learn 1.9 on every supported version (see
``skgd/_compat.py``). What only some versions have is skipped below them,
with the reason in pytest's summary (``-rs``):

- callbacks (``sklearn.callback``) exist from 1.9;
- Array API dispatch needs scikit-learn 1.9;
- tests that compare with the installed scikit-learn's own estimators or
  messages pin 1.9's: its SGD estimators' results and texts change between
  releases, and skgd follows 1.9's.
"""

import pytest

from skgd._compat import ARRAY_API_SINCE, CALLBACKS_SINCE, SKLEARN_VERSION


def needs_sklearn(version, why):
    """A skip marker for scikit-learn older than ``version`` (a tuple), saying ``why``."""
    return pytest.mark.skipif(
        SKLEARN_VERSION < version,
        reason=f"needs scikit-learn >= {'.'.join(map(str, version))}: {why}",
    )


CALLBACKS = SKLEARN_VERSION >= CALLBACKS_SINCE

needs_callbacks = needs_sklearn(CALLBACKS_SINCE, "sklearn.callback appears in 1.9")
needs_array_api = needs_sklearn(ARRAY_API_SINCE, "skgd's Array API dispatch starts with 1.9")


# skgd's solver="sgd" and its parameters follow these estimators as 1.9 has
# them; older releases differ (eta0's default, parameter constraints,
# deprecations, messages).
compares_with_sgd = needs_sklearn(
    (1, 9), "compares with SGDRegressor, SGDClassifier and Perceptron's 1.9 behaviour"
)
