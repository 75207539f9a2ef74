"""The same fits on a CUDA device (torch tensors) and on NumPy on the host's CPU.

With ``array_api_dispatch=True`` newton, batch and minibatch run in torch's
operations on the GPU; the NumPy fits run the compiled kernels and SciPy's
LAPACK on the CPU of the same machine. Both sides get the same float32 data,
seeds and settings; the ratio is the CUDA time over the NumPy time, with no
goal. Each row's notes name the device and the code measured (the commit and
a digest of skgd's source, ``_provenance.py``), which ``figures.py`` compares
with the current source when it writes the GPU figures.

The group runs only when named (``--only gpu``), and its rows belong in
``benchmarks/results_gpu.md``. Without torch or a CUDA device it has no rows,
and its line in the progress log says why.
"""
# ruff: noqa: E402

import os

# scikit-learn's array API dispatch needs SciPy's, read when SciPy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import functools

import numpy as np
from _cases_array_api import torch_against_numpy
from _config import ALPHA, SEED
from _data import describe
from _provenance import commit, source_digest
from _report import Case
from sklearn.datasets import make_classification, make_regression
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor

N_FEATURES = 50
ROWS = {"full": 200_000, "quick": 20_000}
# Each minibatch step is a few tiny kernel launches: a tenth of the rows keeps
# one epoch on the GPU to seconds.
MINIBATCH_ROWS = {"full": 20_000, "quick": 2_000}
# float32 gradients are exact to about 1e-7 of their scale: a tighter tol
# would only count iterations to max_iter.
NEWTON_TOL = 1e-5
BATCH_ITERATIONS = 50


def gpu_cases(config):
    """newton, batch and minibatch on a CUDA device against NumPy, or no case."""
    try:
        import torch
    except ImportError:
        return [_no_rows("torch is not installed")]
    if not torch.cuda.is_available():
        return [_no_rows("no CUDA device (torch.cuda.is_available() is False)")]
    n = ROWS[config.mode]
    newton = {"solver": "newton", "alpha": ALPHA, "tol": NEWTON_TOL, "max_iter": 100}
    plan = [
        ("newton · least squares", _regression(n), GDRegressor(**newton)),
        (
            "newton · 3-class one-vs-rest log_loss",
            _classification(n, 3),
            GDClassifier(loss="log_loss", **newton),
        ),
        (
            f"batch · line search, {BATCH_ITERATIONS} iterations, binary log_loss",
            _classification(n, 2),
            GDClassifier(
                loss="log_loss", solver="batch", alpha=ALPHA, max_iter=BATCH_ITERATIONS, tol=None
            ),
        ),
        (
            "minibatch B=32 · one epoch, binary log_loss",
            _classification(MINIBATCH_ROWS[config.mode], 2),
            GDClassifier(
                loss="log_loss",
                solver="minibatch",
                batch_size=32,
                alpha=ALPHA,
                max_iter=1,
                tol=None,
                random_state=SEED,
            ),
        ),
    ]
    return [
        Case(f"gpu · {label}", functools.partial(_measure, config, label, data, estimator))
        for label, data, estimator in plan
    ]


def _no_rows(reason):
    """A case that measures nothing; its name, in the progress log, says why."""

    def measure():
        return []

    return Case(f"gpu · skipped, no rows: {reason}", measure)


def _regression(n_samples):
    def make():
        X, y = make_regression(n_samples, N_FEATURES, noise=1.0, random_state=SEED)
        return _float32(X), y.astype(np.float32)

    return make


def _classification(n_samples, n_classes):
    def make():
        X, y = make_classification(
            n_samples, N_FEATURES, n_informative=10, n_classes=n_classes, random_state=SEED
        )
        return _float32(X), y

    return make


def _float32(X):
    return np.ascontiguousarray(StandardScaler().fit_transform(X), dtype=np.float32)


def _measure(config, label, data, estimator):
    import torch

    X, y = data()
    X_cuda, y_cuda = torch.asarray(X, device="cuda"), torch.asarray(y, device="cuda")
    fits = torch_against_numpy(
        estimator, X, y, X_cuda, y_cuda, config.repeats, synchronize=torch.cuda.synchronize
    )
    notes = (
        f"torch {torch.__version__} on {torch.cuda.get_device_name()}, commit {commit()}, "
        f"skgd/ digest {source_digest()}; max|Δcoef| {fits.coef_difference:.0e}; "
        f"iterations: CUDA {np.max(fits.on_torch.n_iter_)}, NumPy {np.max(fits.on_numpy.n_iter_)}"
    )
    return [fits.row(f"gpu · {label} {describe(X)}, torch CUDA vs NumPy", notes)]
