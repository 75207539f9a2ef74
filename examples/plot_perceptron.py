"""
=========================================
The perceptron with every solver it takes
=========================================

:class:`skgd.PerceptronGD` is scikit-learn's
:class:`~sklearn.linear_model.Perceptron` with the optimization method as a
parameter. It minimizes the perceptron criterion

.. math::

    J(w, b) = \\frac{1}{n} \\sum_i \\max(0, -y_i (x_i \\cdot w + b)),
    \\qquad y_i \\in \\{-1, +1\\},

with a constant step ``eta0``. This example draws the decision boundary that
each solver finds on two 2-D problems: one whose classes a line separates,
and one whose classes overlap.
"""

# %%
# The data: two blobs well apart, and two blobs that overlap.
import warnings

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import DecisionBoundaryDisplay

from skgd import GDClassifier, PerceptronGD

problems = {
    "separable": make_blobs(n_samples=200, centers=2, cluster_std=1.0, random_state=2),
    "overlapping": make_blobs(n_samples=200, centers=2, cluster_std=1.5, random_state=0),
}


def perceptron_criterion(model, X, y):
    """The objective PerceptronGD minimizes, at the fitted coefficients."""
    signed = np.where(y == model.classes_[1], 1.0, -1.0)
    raw = X @ model.coef_.ravel() + model.intercept_[0]
    return np.mean(np.maximum(0.0, -signed * raw))


# %%
# Which solvers?
# --------------
# The perceptron loss is piecewise linear: it has a (sub)gradient but no
# second derivative, so PerceptronGD takes the four first-order solvers and
# refuses ``solver="newton"`` when it is fitted.
solvers = ["sgd", "batch", "minibatch", "momentum"]
X, y = problems["separable"]
try:
    PerceptronGD(solver="newton").fit(X, y)
except ValueError as error:
    print(f"solver='newton': {error}")

# %%
# Fit every solver with PerceptronGD's defaults (``eta0=1``, ``tol=1e-3``).
# For comparison, the last column fits :class:`skgd.GDClassifier` with the
# squared hinge loss, which is smooth enough for Newton's method.
#
# On the overlapping blobs, batch gradient descent stops at ``max_iter``
# (its stopping rule, a zero gradient, is never met there) and says so with a
# ConvergenceWarning; that is expected here, and the printed ``n_iter_``
# shows it, so the warning is silenced.
fits = {}
for problem, (X, y) in problems.items():
    models = {solver: PerceptronGD(solver=solver) for solver in solvers}
    models["newton, squared hinge"] = GDClassifier(loss="squared_hinge", solver="newton")
    for name, model in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        fits[problem, name] = model

print(f"{'problem':<13}{'model':<23}{'accuracy':>9}{'n_iter_':>9}{'criterion':>11}")
for (problem, name), model in fits.items():
    X, y = problems[problem]
    criterion = perceptron_criterion(model, X, y)
    print(f"{problem:<13}{name:<23}{model.score(X, y):>9.3f}{model.n_iter_:>9d}{criterion:>11.4f}")

# %%
# The decision boundaries. Each panel shades the region the model assigns to
# each class, draws the line ``x · w + b = 0`` and gives the training accuracy.
cmap = ListedColormap(["tab:orange", "tab:blue"])


def draw_line(ax, w, b, **style):
    """Draw the line w · x + b = 0 across the axes."""
    if abs(w[1]) >= abs(w[0]):
        ax.axline((0, -b / w[1]), (1, -(b + w[0]) / w[1]), **style)
    else:
        ax.axline((-b / w[0], 0), (-(b + w[1]) / w[0], 1), **style)


names = [*solvers, "newton, squared hinge"]
fig, axes = plt.subplots(len(problems), len(names), figsize=(16, 6.8), sharex="row", sharey="row")
for row, (problem, (X, y)) in enumerate(problems.items()):
    for col, name in enumerate(names):
        model, ax = fits[problem, name], axes[row, col]
        DecisionBoundaryDisplay.from_estimator(
            model,
            X,
            response_method="predict",
            plot_method="pcolormesh",
            cmap=cmap,
            vmin=0,
            vmax=1,
            alpha=0.3,
            ax=ax,
            xlabel="feature 1",
            ylabel=f"{problem}\nfeature 2" if col == 0 else "",
        )
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, edgecolor="k", s=18, linewidth=0.5)
        limits = ax.get_xlim(), ax.get_ylim()
        draw_line(ax, model.coef_[0], model.intercept_[0], color="k", lw=1.5)
        ax.set(xlim=limits[0], ylim=limits[1])  # the line may pass outside the data
        label = f"PerceptronGD\nsolver={name!r}" if name in solvers else f"GDClassifier\n{name}"
        ax.set_title(f"{label}\naccuracy {model.score(X, y):.3f}", fontsize=10)
fig.suptitle("Decision boundaries of the perceptron, by solver")
fig.tight_layout()

# %%
# On the separable blobs every solver finds a line that separates the
# classes: the perceptron criterion is zero exactly on such lines, and each
# solver stops once it has found one, so the lines differ but all classify
# the training set perfectly.
#
# On the overlapping blobs the criterion is positive for every line and zero
# only at ``w = 0, b = 0``, where the model predicts nothing. So the
# perceptron's answer there is not a minimum but wherever the iterates were
# when the solver stopped: with a constant step, the stochastic solvers' last
# iterate is as good as their last few updates left it, and the accuracies in
# the bottom row vary from solver to solver. On classes that overlap, prefer
# a loss with a margin, such as the squared hinge of the last column: its
# minimum is a useful line, which Newton's method finds in a few iterations.
if plt.get_backend().lower() != "agg":
    plt.show()
