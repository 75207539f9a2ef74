"""Validation of dask input that never computes ``X``.

scikit-learn's ``check_array`` turns a dask array into a NumPy array, which
would gather all of ``X`` into the client. Here only the metadata is read:
dtype, number of dimensions, shape and chunks. The values themselves (NaN,
infinity) are checked by the workers during the first pass over the data
(:mod:`skgd._dask._objective`); sample weights, an O(n) vector, are checked
when the objective is built.
"""

import numbers
import warnings

import dask.array as da
import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import validate_data

from skgd._dask import is_dask_array


def check_dask_X(estimator, X, *, reset):
    """``X`` as a floating-point dask array whose blocks hold whole rows.

    Sets (``reset=True``) or checks ``n_features_in_`` as
    ``validate_data`` does, without computing anything.

    Returns
    -------
    X : dask array of shape (n_samples, n_features)
        float32 or float64, one chunk along the features.
    """
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2D dask array, got a {X.ndim}D array of shape {X.shape} "
            "instead. Reshape it with X.reshape(-1, 1) if it holds a single "
            "feature, or X.reshape(1, -1) if it holds a single sample."
        )
    n_samples, n_features = X.shape
    if isinstance(n_samples, float) and np.isnan(n_samples):
        raise ValueError(
            "X has unknown chunk sizes (its number of rows is NaN), as arrays made "
            "from dask dataframes have. Call X.compute_chunk_sizes(), or build it "
            "with dataframe.to_dask_array(lengths=True), before fitting."
        )
    if n_samples == 0 or n_features == 0:
        raise ValueError(
            f"Found array with shape {X.shape}: at least one sample and one feature are required."
        )
    if X.dtype.kind in "biu":
        X = X.astype(np.float64)
    elif X.dtype.kind != "f" or X.dtype.itemsize not in (4, 8):
        raise ValueError(
            f"X has dtype {X.dtype}; skgd fits float32 or float64 data (integers and "
            "booleans are converted to float64). Convert X with X.astype(np.float64)."
        )
    validate_data(estimator, X, skip_check_array=True, reset=reset)
    if X.numblocks[1] > 1:
        # Every block must hold whole rows: a row's dot product with the
        # coefficients is computed where the block lies.
        X = X.rechunk({1: -1})
    return X


def check_dask_vector(v, X, name, *, dtype=None):
    """``v`` (dask, NumPy or list) as a 1-d dask array chunked like ``X``'s rows."""
    lazy = is_dask_array(v)
    v = v if lazy else np.asarray(v)
    if v.ndim == 2 and v.shape[1] == 1:
        if lazy and name == "y":
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please "
                "change the shape of y to (n_samples,), for example using ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional; got shape {v.shape}.")
    if v.shape[0] != X.shape[0]:
        raise ValueError(_inconsistent(X, v, name))
    if dtype is not None and v.dtype.kind in "biuf" and v.dtype != dtype:
        v = v.astype(dtype)
    if not lazy:
        return da.from_array(v, chunks=(X.chunks[0],))
    return v if v.chunks[0] == X.chunks[0] else v.rechunk((X.chunks[0],))


def check_dask_sample_weight(sample_weight, X):
    """Sample weights as a dask vector chunked like X, or None for unit weights.

    A scalar weight is the same as unit weights once the objective
    normalizes them to mean 1; its sign is still checked here. Negative or
    non-finite entries and an all-zero vector are refused by the objective,
    in one pass over the weights.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        if not np.isfinite(sample_weight) or sample_weight < 0:
            raise ValueError(
                f"sample_weight must be finite and non-negative; got {sample_weight}."
            )
        if sample_weight == 0:
            raise ValueError(
                "The sample weights are all zero: at least one sample needs a "
                "positive weight to fit a model."
            )
        return None
    return check_dask_vector(sample_weight, X, "sample_weight", dtype=X.dtype)


def check_dask_fit_params(params):
    """Refuse the options that need rows gathered on the client."""
    if params.get("early_stopping", False):
        raise ValueError(
            "early_stopping=True is not supported on dask arrays: scoring a held-out "
            "set after every epoch would bring its predictions to the client. Set "
            "early_stopping=False and hold out a validation set yourself (for "
            "example with dask_ml.model_selection.train_test_split), or fit on "
            "NumPy data."
        )


def _inconsistent(X, v, name):
    return (
        f"Found input variables with inconsistent numbers of samples: X has "
        f"{X.shape[0]} rows and {name} has {v.shape[0]}."
    )
