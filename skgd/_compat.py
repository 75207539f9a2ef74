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
    Array API dispatch needs ``sklearn.utils._array_api.move_to`` (1.8) and
    ``_check_sample_weight``'s device move (1.8). Below 1.8, fitting or
    predicting with ``array_api_dispatch=True`` raises a ValueError naming
    the version needed, before scikit-learn's own validation runs.
``move_to``
    scikit-learn's from 1.8. Before it, Array API input is refused (above),
    so every array is NumPy, sparse or None already, and it returns them as
    they are, as 1.8's does for arrays already in the target namespace.
``check_same_namespace``
    scikit-learn's from 1.9; backported for 1.8 (the same test and message,
    but for its advice to call 1.9's ``move_estimator_to``, which 1.8 lacks).
    Below 1.8 it only refuses dispatch, as there is one namespace.
``check_sample_weight``
    ``_check_sample_weight``; ``allow_all_zero_weights`` appears in 1.9.
    Before it, all-zero weights raise 1.9's ValueError here (the check
    ``allow_all_zero_weights=False`` makes), before the non-negativity check
    as in 1.9.
"""

import sklearn
from sklearn import get_config
from sklearn.utils._array_api import _is_numpy_namespace, get_namespace_and_device
from sklearn.utils.fixes import parse_version
from sklearn.utils.validation import _check_sample_weight, check_non_negative

SKLEARN_VERSION = parse_version(sklearn.__version__).release

# The first scikit-learn with each feature.
CALLBACKS_SINCE = (1, 9)
ARRAY_API_SINCE = (1, 8)

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
    from sklearn.utils._array_api import move_to
else:

    def move_to(*arrays, xp, device):
        """The arrays as they are: below 1.8 every array is NumPy, sparse or None."""
        return arrays[0] if len(arrays) == 1 else arrays


if SKLEARN_VERSION >= (1, 9):
    from sklearn.utils._array_api import check_same_namespace
else:

    def check_same_namespace(X, estimator, *, attribute, method):
        """scikit-learn 1.9's check that ``X`` lies where ``estimator.<attribute>`` does."""
        check_array_api_dispatch()
        if not get_config()["array_api_dispatch"]:
            return
        a_xp, _, a_device = get_namespace_and_device(getattr(estimator, attribute))
        X_xp, _, X_device = get_namespace_and_device(X)
        if (X_xp == a_xp and X_device == a_device) or (
            _is_numpy_namespace(a_xp) and _is_numpy_namespace(X_xp)
        ):
            return
        if X_device is None:
            type_name = "sparse array" if hasattr(X, "tocsr") else "array-like"
            msg = (
                f"Array namespace used during fit ({a_xp.__name__}) "
                f"is not compatible with the {type_name} input passed to {method}. "
                f"Only the NumPy namespace is compatible with {type_name} inputs."
            )
        elif X_xp != a_xp:
            msg = (
                f"Array namespaces used during fit ({a_xp.__name__}) "
                f"and {method} ({X_xp.__name__}) differ."
            )
        else:
            msg = f"Devices used during fit ({a_device}) and {method} ({X_device}) differ."
        raise ValueError(
            f"Inputs passed to {estimator.__class__.__name__}.{method}() "
            "must use the same namespace and the same device as those passed to fit(). "
            f"{msg} "
            # 1.9 advises its move_estimator_to here, which 1.8 lacks.
            "Fit the estimator on data in the namespace and on the device of X."
        )


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
