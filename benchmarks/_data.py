"""The benchmark data sets, built once per process and cached.

Dense features are standardized so that one constant learning rate is stable
on every data set; the sparse matrix is generated directly (random columns and
values), since scikit-learn has no generator for a CSR matrix of this shape.
"""

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

SEED = 0

# The sparse labels are the sign of a sparse linear model plus noise: without
# the noise the classes would be linearly separable and the regularized
# optimum would depend on alpha alone, an unusual, badly conditioned problem.
SPARSE_TRUE_COEF_DENSITY = 0.1
SPARSE_LABEL_NOISE = 0.5


@dataclass(frozen=True)
class DataSizes:
    """Shapes of the data sets of one benchmark mode."""

    n_dense: int
    n_features_dense: int
    n_sparse: int
    n_features_sparse: int
    nnz_per_row: int
    n_multiclass: int
    n_features_multiclass: int
    n_classes: int


FULL_SIZES = DataSizes(
    n_dense=200_000,
    n_features_dense=100,
    n_sparse=200_000,
    n_features_sparse=20_000,
    nnz_per_row=50,
    n_multiclass=100_000,
    n_features_multiclass=50,
    n_classes=10,
)

# About 13x fewer rows. The sparse set also has 10x fewer columns, still
# sparse in character (50 of 2,000 set per row) and still beyond the 1,000
# features from which Newton solves by conjugate gradients, as in full mode.
QUICK_SIZES = DataSizes(
    n_dense=15_000,
    n_features_dense=100,
    n_sparse=15_000,
    n_features_sparse=2_000,
    nnz_per_row=50,
    n_multiclass=8_000,
    n_features_multiclass=50,
    n_classes=10,
)


def _standardized(X, dtype):
    return np.ascontiguousarray(StandardScaler().fit_transform(X), dtype=dtype)


@functools.cache
def dense_regression(sizes: DataSizes, dtype):
    """Standardized ``make_regression`` data, C-contiguous, in ``dtype``."""
    X, y = make_regression(
        n_samples=sizes.n_dense,
        n_features=sizes.n_features_dense,
        noise=1.0,
        random_state=SEED,
    )
    return _standardized(X, dtype), y.astype(dtype)


@functools.cache
def dense_binary(sizes: DataSizes):
    """Standardized two-class ``make_classification`` data, float64, labels 0/1."""
    X, y = make_classification(
        n_samples=sizes.n_dense, n_features=sizes.n_features_dense, random_state=SEED
    )
    return _standardized(X, np.float64), y


@functools.cache
def dense_multiclass(sizes: DataSizes, n_informative: int = 10):
    """Standardized ``make_classification`` data with ``n_classes`` classes, float64."""
    X, y = make_classification(
        n_samples=sizes.n_multiclass,
        n_features=sizes.n_features_multiclass,
        n_informative=n_informative,
        n_classes=sizes.n_classes,
        random_state=SEED,
    )
    return _standardized(X, np.float64), y


@functools.cache
def sparse_binary(sizes: DataSizes):
    """CSR float64 matrix with about ``nnz_per_row`` entries per row, labels 0/1."""
    rng = np.random.default_rng(SEED)
    n, d, k = sizes.n_sparse, sizes.n_features_sparse, sizes.nnz_per_row
    columns = np.sort(rng.integers(0, d, size=(n, k), dtype=np.int32), axis=1)
    values = rng.standard_normal(n * k)
    row_starts = np.arange(0, n * k + 1, k, dtype=np.int64)
    X = sp.csr_matrix((values, columns.ravel(), row_starts), shape=(n, d))
    # Repeated column draws within a row merge, leaving slightly fewer than k.
    X.sum_duplicates()
    true_coef = sp.random(
        d, 1, density=SPARSE_TRUE_COEF_DENSITY, random_state=rng, data_rvs=rng.standard_normal
    ).toarray()
    margin = np.asarray(X @ true_coef).ravel()
    noise = SPARSE_LABEL_NOISE * margin.std() * rng.standard_normal(n)
    y = (margin + noise > 0).astype(np.int64)
    return X, y


def signed_labels(y):
    """Labels as -1/+1 with the larger class label positive, as the estimators do."""
    return np.where(y == np.max(y), 1.0, -1.0)


def describe(X) -> str:
    """A short label of a data matrix: "200k×100 f64" or "200k×20k CSR f64"."""
    n, d = X.shape
    kind = " CSR" if sp.issparse(X) else ""
    return f"{_count(n)}×{_count(d)}{kind} f{X.dtype.itemsize * 8}"


def _count(value: int) -> str:
    return f"{value // 1000}k" if value >= 1000 and value % 1000 == 0 else str(value)
