"""
==========================================
Every skgd solver against SGDRegressor
==========================================

One regression problem, six fits: scikit-learn's
:class:`~sklearn.linear_model.SGDRegressor` and :class:`skgd.GDRegressor`
with each of its five solvers. All of them minimize the same objective,

.. math::

    J(w, b) = \\frac{1}{n} \\sum_i \\tfrac12 (x_i \\cdot w + b - y_i)^2
    + \\frac{\\alpha}{2} \\lVert w \\rVert^2 ,

so their final objectives can be compared directly. Run as a script, this
example prints the table; it is the README's main demo.
"""

# %%
# The data: a standardized regression problem with 20,000 samples.
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import SGDRegressor
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skgd import GDRegressor

X, y = make_regression(n_samples=20_000, n_features=20, noise=10.0, random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
alpha = 1e-4


def objective(model):
    """The penalized training objective every solver minimizes."""
    residual = X_train @ model.coef_ + model.intercept_[0] - y_train
    return 0.5 * np.mean(residual**2) + 0.5 * alpha * model.coef_ @ model.coef_


# %%
# The models, every solver at its defaults. ``GDRegressor(solver="sgd")``
# takes SGDRegressor's arguments and defaults; each other solver chooses its
# own steps from the data (``learning_rate="auto"``, ``eta0="auto"``), and
# ``learning_rate_`` and ``eta0_`` say which.
models = {"SGDRegressor": SGDRegressor(alpha=alpha, random_state=0)}
for solver in ("sgd", "minibatch", "momentum", "batch", "newton"):
    models[solver] = GDRegressor(solver=solver, alpha=alpha, random_state=0)

# Compile each solver's numba kernels once, so the timings below measure the fits.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for model in models.values():
        clone(model).set_params(max_iter=1, tol=None).fit(X_train[:100], y_train[:100])

rows = []
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    rows.append((name, model.score(X_test, y_test), objective(model), model.n_iter_, seconds))

best = min(value for _, _, value, _, _ in rows)
print(
    f"{'model':<14}{'test R2':>10}{'objective':>14}{'above best':>12}{'n_iter_':>9}{'fit (s)':>10}"
)
for name, score, value, n_iter, seconds in rows:
    above = f"{100 * (value / best - 1):.3f}%"
    print(f"{name:<14}{score:>10.5f}{value:>14.6f}{above:>12}{n_iter:>9d}{seconds:>10.3f}")

# %%
# The loss curves. ``loss_curve_`` holds one objective value per epoch
# (sgd, minibatch, momentum: the running mean over the epoch plus the
# penalty) or per iteration (batch, newton: the exact objective). The dashed
# line is SGDRegressor's final objective.
fig, ax = plt.subplots(figsize=(7, 4.5))
for name, model in models.items():
    if hasattr(model, "loss_curve_"):
        ax.plot(np.arange(1, len(model.loss_curve_) + 1), model.loss_curve_, label=name)
ax.axhline(objective(models["SGDRegressor"]), color="k", ls="--", label="SGDRegressor (final)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("epoch or iteration")
ax.set_ylabel("objective J(w, b)")
ax.set_title("Every solver minimizes the same objective")
ax.legend()
fig.tight_layout()
if plt.get_backend().lower() != "agg":
    plt.show()
