"""The problems a classifier's fit solves: class checks, targets and starting points.

One-vs-rest fits one binary problem per class (one for two classes) with
±1 targets; multinomial fits one problem whose targets are class indices
and whose coefficients have a row per class. The estimators (NumPy and
Array API input) and :mod:`skgd._dask` build their problems here, so that
both say the same thing about the same labels, and both import downward.
"""

import functools
import numbers
from typing import NamedTuple

import numpy as np
from sklearn.utils._array_api import (
    _max_precision_float_dtype,
    size,
)
from sklearn.utils.validation import check_random_state

from skgd._array_api import as_array, namespace_and_device, to_host_list

MAX_INT = np.iinfo(np.int32).max


class Problems(NamedTuple):
    """What a fit hands to the solvers: one target and one start per problem.

    Attributes
    ----------
    targets : list of arrays
        ±1 labels per one-vs-rest problem, or one array of class indices.
    starts : list of (coef, intercept)
    n_classes : int or None
        The number of classes of a multinomial problem; None for one-vs-rest.
    class_weights : list of arrays, or None
        Per problem, each sample's factor on its weight from ``class_weight``;
        None: the sample weights already hold it.
    """

    targets: list
    starts: list
    n_classes: int | None
    class_weights: list | None = None

    def weights(self, sample_weight):
        """Each problem's sample weights."""
        if self.class_weights is None:
            return [sample_weight] * len(self.targets)
        if sample_weight is None:  # unit weights (dask input)
            return list(self.class_weights)
        return [sample_weight * factor for factor in self.class_weights]


class FitData(NamedTuple):
    """A fit's validated input and the problems it poses.

    Attributes
    ----------
    X : array, sparse matrix or dask array
    problems : Problems
    sample_weight : array, or None for unit weights on dask input
    y : array or None
        The labels as given, which early stopping stratifies on and callbacks
        score against; None: the first problem's targets.
    given_weight : array or None
        The sample weights as given, for the callbacks.
    classes : array or None
        A classifier's classes; None for a regressor.
    """

    X: object
    problems: Problems
    sample_weight: object
    y: object = None
    given_weight: object = None
    classes: object = None


def check_fit_classes(classes, previous=None):
    """Refuse fewer than two classes, or classes other than a warm start's."""
    if classes.shape[0] < 2:
        raise ValueError(
            f"The number of classes has to be greater than one; got "
            f"{classes.shape[0]} class. A classifier needs samples of at least "
            "two classes."
        )
    if previous is not None and to_host_list(classes) != to_host_list(previous):
        raise ValueError(
            f"warm_start=True needs the classes of the previous fit "
            f"{to_host_list(previous)}, got {to_host_list(classes)}. Set "
            "warm_start=False to fit new classes."
        )


def check_partial_fit_classes(known, unseen):
    """Refuse ``partial_fit``'s ``classes`` with fewer than two, or labels outside them."""
    if known.shape[0] < 2:
        raise ValueError(f"classes must hold at least two classes; got {to_host_list(known)}.")
    if size(unseen):
        raise ValueError(
            f"y holds labels {to_host_list(unseen)} that are not in classes "
            f"{to_host_list(known)}. Pass every class on the first call to partial_fit."
        )


def check_multi_class(params):
    """Refuse ``multi_class="multinomial"`` with a loss other than the log loss."""
    if params["multi_class"] == "multinomial" and params["loss"] != "log_loss":
        raise ValueError(
            f"multi_class='multinomial' is the softmax log loss; it needs "
            f"loss='log_loss', not loss={params['loss']!r}. Use "
            "multi_class='ovr' with other losses."
        )


def is_multinomial(params, n_classes):
    # Two classes: the binary problem is the same model, with one weight vector.
    return params["multi_class"] == "multinomial" and n_classes > 2


def classification_problems(
    params, classes, X, initial, *, like, signed, class_indices, class_weight=None
):
    """The :class:`Problems` of a classifier's fit.

    Parameters
    ----------
    params : dict
        The estimator's parameters, its fixed ones included.
    classes : array of shape (n_classes,)
    X : array, sparse matrix or dask array
        The data: its number of features and its dtype.
    initial : tuple
        ``(coef_init, intercept_init)``, each None for zeros (see
        :func:`initial_coef`); ``like`` is where the starts are made.
    signed : callable
        ``signed(label)``: the ±1 targets of the problem "label or not".
    class_indices : callable
        ``class_indices()``: each sample's class as an index into ``classes``.
    class_weight : callable or None
        ``class_weight(k)``: each sample's factor from ``class_weight`` in
        the problem "class k or not", as scikit-learn weighs it: class k's
        weight on its samples and 1 on the others; ``class_weight(None)``:
        each sample's own class's weight (the binary and the multinomial
        problems). None: no factors.
    """
    check_multi_class(params)
    n_classes = classes.shape[0]
    n_problems = 1 if n_classes == 2 else n_classes
    starts = initial_coef(n_problems, X.shape[1], X.dtype, *initial, like=like)
    if is_multinomial(params, n_classes):
        xp, _, device_ = namespace_and_device(starts[0][0])
        coef = xp.stack([start[0] for start in starts])
        intercept = xp.asarray([start[1] for start in starts], dtype=coef.dtype, device=device_)
        factors = None if class_weight is None else [class_weight(None)]
        return Problems([class_indices()], [(coef, intercept)], n_classes, factors)
    positives = [classes[1]] if n_classes == 2 else [classes[k] for k in range(n_classes)]
    factors = None
    if class_weight is not None:
        factors = (
            [class_weight(None)] if n_classes == 2 else list(map(class_weight, range(n_classes)))
        )
    return Problems([signed(label) for label in positives], starts, None, factors)


def warm_start_or(estimator, warm, coef_init, intercept_init):
    """``(coef_init, intercept_init)``, or a warm start's fitted ones where none is given."""
    if coef_init is None and warm:
        return estimator.coef_, estimator.intercept_
    return coef_init, intercept_init


def initial_coef(n_problems, n_features, dtype, coef_init, intercept_init, like):
    """One ``(coef, intercept)`` per problem, in the namespace of ``like``.

    ``coef_init`` may have any shape that holds ``n_problems × n_features``
    values; ``intercept_init``, ``n_problems`` values. None gives zeros.
    """
    xp, _, device_ = namespace_and_device(like)
    coef = xp.zeros((n_problems, n_features), dtype=dtype, device=device_)
    if coef_init is not None:
        coef_init = as_array(coef_init, like, dtype)
        if size(coef_init) != size(coef):
            raise ValueError(
                f"Provided coef_init does not match dataset: it has shape "
                f"{tuple(coef_init.shape)}, and must hold {n_problems} × {n_features} "
                "values, one row of coefficients per class (one row for two classes, "
                "or for a regression)."
            )
        coef = xp.asarray(xp.reshape(coef_init, coef.shape), copy=True)
    intercept = [0.0] * n_problems
    if intercept_init is not None:
        float_dtype = _max_precision_float_dtype(xp, device_)
        intercept_init = xp.reshape(as_array(intercept_init, like, float_dtype), (-1,))
        if tuple(intercept_init.shape) != (n_problems,):
            raise ValueError(
                f"Provided intercept_init does not match dataset: it has shape "
                f"{tuple(intercept_init.shape)}, and must have shape {(n_problems,)}."
            )
        intercept = [float(intercept_init[k]) for k in range(n_problems)]
    return [(xp.asarray(coef[k, :], copy=True), intercept[k]) for k in range(n_problems)]


def row_order_seeds(random_state, n_problems, regression):
    """Each problem's row-order seed, drawn as scikit-learn's SGD estimators draw it.

    Every ``fit`` and ``partial_fit`` draws them anew from ``random_state``:
    an int gives the same seeds every time, as in scikit-learn.
    """
    if isinstance(random_state, numbers.Integral):
        # A fixed seed draws the same seeds every time: drawn once. Seeding a
        # RandomState costs a tenth of a millisecond, more than a small
        # fit's epoch, once per problem.
        return list(_seeds_from_int(int(random_state), n_problems, regression))
    return _draw_seeds(check_random_state(random_state), n_problems, regression)


@functools.lru_cache(maxsize=256)
def _seeds_from_int(seed, n_problems, regression):
    return tuple(_draw_seeds(np.random.RandomState(seed), n_problems, regression))


def _draw_seeds(random_state, n_problems, regression):
    if regression:
        return [random_state.randint(0, MAX_INT)]
    if n_problems == 1:
        return [_binary_seed(random_state)]
    seeds = random_state.randint(MAX_INT, size=n_problems)
    return [_binary_seed(np.random.RandomState(seed)) for seed in seeds]


def _binary_seed(random_state):
    # scikit-learn's make_dataset draws its dataset's seed first; fit_binary's comes next.
    random_state.randint(1, MAX_INT)
    return random_state.randint(MAX_INT)
