"""The estimators' dask paths: lazy input handling, objectives and predictions.

The estimators call into this module when ``X`` is a dask array (see
``skgd._estimators._base.dask_support``); everything else (the solver states,
warm starts, ``partial_fit``'s continuation, loss curves, convergence
warnings, atomic fits) is the estimators' own code.

Labels come to the client only as their distinct values (and counts, for
``class_weight="balanced"``); the per-problem targets, ±1 or class indices,
and the class weights per sample are built lazily, block by block.
"""

import dask
import dask.array as da
import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from skgd._dask._blocks import distributed_client
from skgd._dask._cluster import ClusterWatch
from skgd._dask._objective import DaskLinearObjective, DaskMultinomialObjective
from skgd._dask._validation import (
    check_dask_fit_params,
    check_dask_sample_weight,
    check_dask_vector,
    check_dask_X,
)
from skgd._problems import (
    FitData,
    check_fit_classes,
    check_partial_fit_classes,
    classification_problems,
    warm_start_or,
)


def make_objective(loss, penalty, X, y, sample_weight, fit_intercept, n_classes=None):
    """The objective over dask data that the solvers minimize."""
    if n_classes is not None:
        return DaskMultinomialObjective(penalty, X, y, sample_weight, fit_intercept, n_classes)
    return DaskLinearObjective(loss, penalty, X, y, sample_weight, fit_intercept)


def check_regression_input(estimator, X, y, sample_weight, reset):
    """GDRegressor's validation of dask input, lazy: ``(X, y, sample_weight)``.

    ``sample_weight`` comes back as None for unit weights.
    """
    X = check_dask_X(estimator, X, reset=reset)
    check_dask_fit_params(estimator.get_params())
    if getattr(y, "dtype", np.dtype(float)).kind in "OUSV":
        raise ValueError(f"y has dtype {y.dtype}; a regressor needs numeric targets.")
    y = check_dask_vector(y, X, "y", dtype=X.dtype)
    return X, y, check_dask_sample_weight(sample_weight, X)


def classification_data(
    estimator,
    params,
    X,
    y,
    *,
    partial,
    classes=None,
    coef_init=None,
    intercept_init=None,
    sample_weight=None,
):
    """GDClassifier's fit input on dask arrays: a :class:`~skgd._problems.FitData`.

    The same checks and messages as on NumPy input (:mod:`skgd._problems`);
    only the labels' distinct values (and counts) are computed, and the
    targets are built lazily, block by block.
    """
    warm = not partial and params["warm_start"] and hasattr(estimator, "coef_")
    first_call = partial and not hasattr(estimator, "classes_")
    X = check_dask_X(estimator, X, reset=first_call if partial else not warm)
    check_dask_fit_params(params)
    y = check_dask_vector(y, X, "y")
    (labels, counts) = compute(da.unique(y, return_counts=True))
    check_classification_targets(labels)
    if partial:
        known = np.unique(np.asarray(classes)) if first_call else estimator.classes_
        check_partial_fit_classes(known, np.setdiff1d(labels, known))
    else:
        known = labels
        check_fit_classes(known, estimator.classes_ if warm else None)
    sample_weight = check_dask_sample_weight(sample_weight, X)
    class_weight = _class_weight(params, X, y, known, labels, counts)
    problems = classification_problems(
        params,
        known,
        X,
        warm_start_or(estimator, warm, coef_init, intercept_init),
        like=np.zeros(0, dtype=X.dtype),
        signed=lambda label: y.map_blocks(_signed, label, X.dtype, dtype=X.dtype),
        class_indices=lambda: y.map_blocks(_class_index, known, dtype=np.intp),
        class_weight=class_weight,
    )
    return FitData(X, problems, sample_weight, classes=known)


def compute(collection):
    """``dask.compute(collection)[0]``; on a cluster, waiting only while the fit progresses."""
    client = distributed_client()
    if client is None:
        return dask.compute(collection)[0]
    return ClusterWatch(client).compute(collection)


def _class_weight(params, X, y, classes, labels, counts):
    """``class_weight(k)`` of :func:`~skgd._problems.classification_problems`, lazily; or None."""
    class_weight = params["class_weight"]
    if class_weight is None:
        return None
    if class_weight == "balanced":
        # scikit-learn's n_samples / (n_classes * count(class)).
        missing = np.setdiff1d(classes, labels)
        if missing.size:
            raise ValueError(
                f"class_weight='balanced' needs every class in y; {missing.tolist()} "
                "have no sample."
            )
        per_class = X.shape[0] / (classes.shape[0] * counts[np.searchsorted(labels, classes)])
    else:
        per_class = np.ones(classes.shape[0])
        for label, weight in class_weight.items():
            position = np.searchsorted(classes, label)
            if position < classes.shape[0] and classes[position] == label:
                per_class[position] = weight

    def factors(k):
        if k is None:
            return y.map_blocks(_take_class_weight, classes, per_class, X.dtype, dtype=X.dtype)
        return y.map_blocks(_one_class_weight, classes[k], per_class[k], X.dtype, dtype=X.dtype)

    return factors


def _class_index(y, classes):
    return np.searchsorted(classes, y)


def _signed(y, label, dtype):
    return np.where(y == label, 1.0, -1.0).astype(dtype)


def _one_class_weight(y, label, weight, dtype):
    return np.where(y == label, weight, 1.0).astype(dtype)


def _take_class_weight(y, classes, per_class, dtype):
    return per_class[np.searchsorted(classes, y)].astype(dtype)


def predict(estimator, method, X):
    """``estimator.method(X)`` as a lazy dask array, one NumPy call per block.

    Each block is predicted by the fitted estimator's NumPy code, so the
    values are those of NumPy input; nothing is computed here but one
    prediction on a row of zeros, which gives the output's dtype and width.
    """
    check_is_fitted(estimator)
    X = check_dask_X(estimator, X, reset=False)
    sample = getattr(estimator, method)(np.zeros((1, X.shape[1]), dtype=X.dtype))
    if sample.ndim == 1:
        return X.map_blocks(_predict_block, estimator, method, dtype=sample.dtype, drop_axis=1)
    return X.map_blocks(
        _predict_block,
        estimator,
        method,
        dtype=sample.dtype,
        chunks=(X.chunks[0], (sample.shape[1],)),
    )


def _predict_block(X, estimator, method):
    return getattr(estimator, method)(X)
