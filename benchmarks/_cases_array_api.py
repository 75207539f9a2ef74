"""The same fits on PyTorch CPU tensors and on NumPy arrays, as a time ratio.

With ``array_api_dispatch=True`` minibatch and newton run in torch's
operations (the generic epoch, torch's Cholesky); on NumPy they run the
compiled minibatch kernel and SciPy's Cholesky (with float32 Hessian sums on
large float64 data). The ratio is torch's time over NumPy's, on the same data,
seeds and settings. It has no goal: it tells a CPU user what dispatching to
torch costs, and the GPU (where the point of torch lies) is not measured here.
"""
# ruff: noqa: E402

import os

# scikit-learn's array API dispatch needs SciPy's, which SciPy reads when it
# is first imported; run.py imports this module before the other cases.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import functools
from typing import NamedTuple

import numpy as np
from _config import ALPHA, ETA0, NEWTON_TOL, SEED
from _data import dense_binary, describe
from _report import Case, Row, seconds
from _timing import interleaved_medians
from sklearn import clone, config_context

from skgd import GDClassifier

# torch's natural batch: each minibatch step is a dozen tensor operations
# whose fixed cost (about 10 µs each) a batch of 32 rows cannot amortize.
BATCH_SIZE = 256
# --quick keeps this many rows of the dense data: a few seconds for both rows.
QUICK_ROWS = 4_000


def array_api_cases(config):
    """minibatch and newton on torch CPU tensors against NumPy input."""
    try:
        import torch  # noqa: F401
    except ImportError as error:
        return [Case("array_api", functools.partial(_missing, error))]
    minibatch = GDClassifier(
        loss="log_loss",
        solver="minibatch",
        batch_size=BATCH_SIZE,
        learning_rate="constant",
        eta0=ETA0,
        alpha=ALPHA,
        max_iter=config.epochs,
        tol=None,
        random_state=SEED,
    )
    newton = GDClassifier(loss="log_loss", solver="newton", alpha=ALPHA, tol=NEWTON_TOL)
    return [
        Case(
            "array_api · minibatch on torch CPU vs NumPy",
            functools.partial(_measure, config, minibatch, f"minibatch (batch {BATCH_SIZE})"),
        ),
        Case(
            "array_api · newton on torch CPU vs NumPy",
            functools.partial(_measure, config, newton, "newton"),
        ),
    ]


def _missing(error):
    return [Row(case="array_api · torch CPU vs NumPy", notes=f"skipped: {error}")]


def _measure(config, estimator, label):
    import torch

    X, y = dense_binary(config.sizes)
    if config.mode == "quick":
        X, y = X[:QUICK_ROWS], y[:QUICK_ROWS]
    fits = torch_against_numpy(estimator, X, y, torch.asarray(X), torch.asarray(y), config.repeats)
    notes = (
        f"torch time / NumPy time, {torch.get_num_threads()} torch threads; "
        f"no goal; max|Δcoef| {fits.coef_difference:.1e}"
    )
    case = f"array_api · {label} {describe(X)}, log_loss, torch CPU vs NumPy"
    return [fits.row(case, notes)]


class TorchAgainstNumpy(NamedTuple):
    """Both sides' median fit times and fitted estimators."""

    torch_time: float
    numpy_time: float
    on_torch: object
    on_numpy: object

    @property
    def coef_difference(self):
        coef = self.on_torch.coef_.cpu().numpy()
        return float(np.max(np.abs(coef - self.on_numpy.coef_)))

    def row(self, case, notes):
        return Row(
            case=case,
            skgd=seconds(self.torch_time),
            reference=seconds(self.numpy_time),
            ratio=self.torch_time / self.numpy_time,
            notes=notes,
        )


def torch_against_numpy(estimator, X, y, X_torch, y_torch, repeats, synchronize=None):
    """Fit clones of ``estimator`` on the torch tensors and on NumPy, timed interleaved.

    ``synchronize`` (``torch.cuda.synchronize``) waits for a device's kernels,
    which run asynchronously, at the end of each torch fit. Returns a
    :class:`TorchAgainstNumpy`.
    """
    on_torch, on_numpy = clone(estimator), clone(estimator)

    def fit_torch():
        with config_context(array_api_dispatch=True):
            on_torch.fit(X_torch, y_torch)
        if synchronize is not None:
            synchronize()

    torch_time, numpy_time = interleaved_medians(
        [fit_torch, functools.partial(on_numpy.fit, X, y)], repeats
    )
    return TorchAgainstNumpy(torch_time, numpy_time, on_torch, on_numpy)
