"""scikit-learn 1.9's behaviour on every supported scikit-learn (1.6 and later).

The one module that looks at scikit-learn's version; everything else imports
what it needs from here and behaves the same on every version.

What each name stands in for:

``SKLEARN_VERSION``
    The installed scikit-learn's version, for the tests' skip reasons.
``CALLBACK_MIXINS``
    ``(sklearn.callback.CallbackSupportMixin,)`` from scikit-learn 1.9, where
    ``sklearn.callback`` appears; empty before it. The estimators derive from
    it, so below 1.9 they have no callback methods (``set_callbacks``...)
    and fit without callback bookkeeping.
``ARRAY_API_SUPPORTED``, ``check_array_api_dispatch()``
    Array API dispatch needs scikit-learn 1.9: skgd moves arrays with
    ``move_to`` (1.8) and checks predictions' inputs with
    ``check_same_namespace`` (1.9), and scikit-learn 1.8's own Array API
    estimator check fails on float32 data (a Newton fit's
    ``predict_log_proba`` takes the log of a probability that underflowed).
    Below 1.9, fitting or predicting with ``array_api_dispatch=True`` raises
    a ValueError naming the version needed, before scikit-learn's own
    validation runs.
``move_to``, ``check_same_namespace``
    scikit-learn's from 1.9. Before it, Array API input is refused (above),
    so every array is NumPy, sparse or None: ``move_to`` returns them as
    they are, as scikit-learn's does for arrays already in the target
    namespace, and ``check_same_namespace`` only refuses dispatch.
``check_sample_weight``
    ``_check_sample_weight``; ``allow_all_zero_weights`` appears in 1.9.
    Before it, all-zero weights raise 1.9's ValueError here (the check
    ``allow_all_zero_weights=False`` makes), before the non-negativity check
    as in 1.9.
"""

import sklearn
from sklearn import get_config
from sklearn.utils._array_api import get_namespace_and_device
from sklearn.utils.fixes import parse_version
from sklearn.utils.validation import _check_sample_weight, check_non_negative

SKLEARN_VERSION = parse_version(sklearn.__version__).release

# The first scikit-learn with each feature.
CALLBACKS_SINCE = (1, 9)
ARRAY_API_SINCE = (1, 9)

ARRAY_API_SUPPORTED = SKLEARN_VERSION >= ARRAY_API_SINCE

if SKLEARN_VERSION >= CALLBACKS_SINCE:
    from sklearn.callback import CallbackSupportMixin

    CALLBACK_MIXINS = (CallbackSupportMixin,)
else:
    CALLBACK_MIXINS = ()


def check_array_api_dispatch():
    """Raise a ValueError if ``array_api_dispatch`` is on where skgd cannot dispatch."""
    if get_config()["array_api_dispatch"] and not ARRAY_API_SUPPORTED:
        raise ValueError(
            "skgd's Array API support (array_api_dispatch=True) needs scikit-learn "
            f">= {'.'.join(map(str, ARRAY_API_SINCE))}; scikit-learn "
            f"{sklearn.__version__} is installed. Upgrade scikit-learn, or fit on "
            "NumPy arrays with array_api_dispatch=False."
        )


if ARRAY_API_SUPPORTED:
    from sklearn.utils._array_api import check_same_namespace, move_to
else:

    def move_to(*arrays, xp, device):
        """The arrays as they are: below 1.9 every array is NumPy, sparse or None."""
        return arrays[0] if len(arrays) == 1 else arrays

    def check_same_namespace(X, estimator, *, attribute, method):
        """Below 1.9 there is one namespace: only refuse dispatch."""
        check_array_api_dispatch()


def check_sample_weight(
    sample_weight, X, *, dtype=None, ensure_non_negative=False, allow_all_zero_weights=False
):
    """scikit-learn 1.9's ``_check_sample_weight`` (``allow_all_zero_weights`` included)."""
    if SKLEARN_VERSION >= (1, 9):
        return _check_sample_weight(
            sample_weight,
            X,
            dtype=dtype,
            ensure_non_negative=ensure_non_negative,
            allow_all_zero_weights=allow_all_zero_weights,
        )
    checked = _check_sample_weight(sample_weight, X, dtype=dtype)
    xp, _, _ = get_namespace_and_device(checked)
    if not allow_all_zero_weights and bool(xp.all(checked == 0)):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    if ensure_non_negative:
        check_non_negative(checked, "`sample_weight`")
    return checked
