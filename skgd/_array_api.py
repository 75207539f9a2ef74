"""Where the data live, and how fitted results follow them.

With ``sklearn.set_config(array_api_dispatch=True)``, ``X`` may be any Array
API array (PyTorch, CuPy, array_api_strict...). The rule is scikit-learn's:
everything follows ``X``. ``y`` and ``sample_weight`` are moved to ``X``'s
namespace and device; fitted arrays are created there; ``X`` itself is never
moved. ``solver="sgd"``'s per-sample loop is compiled for NumPy: it runs on
a NumPy view of ``X`` when ``X`` lies in host memory (no copy, see
:func:`host_view`); on any other device sgd takes its per-sample steps in
``X``'s own library, there, like the other solvers.
"""

import functools

import numpy as np
import scipy.sparse as sp
from sklearn import get_config
from sklearn.utils._array_api import (
    _is_numpy_namespace,
    get_namespace,
    get_namespace_and_device,
)

from skgd._compat import move_to

# DLPack's device type of plain host memory.
_DLPACK_CPU = 1


def is_numpy(array):
    """Whether ``array`` is a NumPy array or a SciPy sparse matrix (or array-like)."""
    if sp.issparse(array):
        return True
    xp, _ = get_namespace(array)
    return _is_numpy_namespace(xp)


def namespace_and_device(array):
    """scikit-learn's ``get_namespace_and_device(array)``, at once for a NumPy array.

    Without Array API dispatch, a NumPy array's answer never changes; a
    small fit asks several times, and each lookup costs about 5 µs.
    """
    if type(array) is np.ndarray and not get_config()["array_api_dispatch"]:
        return _numpy_namespace_and_device()
    return get_namespace_and_device(array)


@functools.cache
def _numpy_namespace_and_device():
    return get_namespace_and_device(np.empty(0))


def mean(array, xp):
    """``xp.mean(array)``; for a NumPy float array, without ``np.mean``'s wrapper.

    The wrapper costs 5 µs on small data. The same sum and division as
    ``np.mean``: the dtype's pairwise sum divided by the count, rounded
    back to the dtype.
    """
    if not isinstance(array, np.ndarray):
        return xp.mean(array)
    total = np.add.reduce(array, axis=None)
    return total.dtype.type(total / np.intp(array.size))


def follow(array, like):
    """``array`` moved to the namespace and device of ``like``; None stays None.

    Arrays of another library or device are moved as scikit-learn moves them
    (DLPack, or through NumPy); lists, scalars and NumPy arrays with ``like``
    in NumPy are returned as they are.
    """
    if array is None or not hasattr(array, "shape") or sp.issparse(array):
        return array
    if isinstance(array, np.ndarray) and (isinstance(like, np.ndarray) or sp.issparse(like)):
        # The common case, without the namespace lookups (10 µs a call).
        return array
    xp, _, device_ = namespace_and_device(like)
    return move_to(array, xp=xp, device=device_)


def as_array(value, like, dtype):
    """``value`` (an array of any library, a list or a scalar) as an array like ``like``."""
    xp, _, device_ = namespace_and_device(like)
    if hasattr(value, "shape") and not isinstance(value, np.ndarray):
        value = move_to(value, xp=xp, device=device_)
    return xp.asarray(value, dtype=dtype, device=device_)


def to_host_list(array):
    """The values of a 1-D array as a Python list, for error messages."""
    if isinstance(array, (list, tuple)):
        return list(array)
    return np.asarray(move_to(array, xp=np, device="cpu")).tolist()


def in_host_memory(X):
    """Whether ``X``'s data lie in plain host memory (DLPack's CPU device)."""
    location = getattr(X, "__dlpack_device__", None)
    try:
        return location is not None and int(location()[0]) == _DLPACK_CPU
    except (TypeError, ValueError, BufferError, RuntimeError):
        return False


def host_view(X):
    """``X`` as a NumPy array over the same host memory (no copy), for the compiled loops.

    Only for arrays :func:`in_host_memory`; anything else raises a ValueError.
    """
    if not in_host_memory(X):
        raise ValueError(
            "host_view needs an array in host memory; skgd never copies X between devices."
        )
    try:
        return np.from_dlpack(X)
    except (TypeError, ValueError, BufferError, RuntimeError):
        return move_to(X, xp=np, device="cpu")
