"""
========================
Where the descent starts
========================

When the objective has a single minimum, every convergent solver finds it,
wherever it starts. When it has many, the start decides which one the
solver returns. ``fit`` takes the start as ``coef_init`` and
``intercept_init``; this example shows two problems with many minima, a
least-squares problem with more features than samples and the perceptron
on separable classes, and how a penalty makes the minimum unique again.
"""

# %%
# Least squares in two dimensions
# -------------------------------
# One sample with two features: every ``w`` on the line ``x · w = y`` fits it
# exactly, so the objective ``½ (x · w − y)²`` has a whole line of minima.
# Its gradient ``(x · w − y) x`` always points along ``x``, perpendicular to
# that line, so gradient descent from ``w0`` runs straight to the point of
# the line closest to ``w0``. Each ``partial_fit`` call of batch gradient
# descent makes one step, which traces the path. With ``penalty="l2"`` the
# objective gains ``alpha ½ ‖w‖²`` and a single minimum, which every path
# reaches.
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap
from sklearn.datasets import make_blobs

from skgd import GDClassifier, GDRegressor, PerceptronGD

x = np.array([1.0, 2.0])
X_2d, y_2d = x[np.newaxis, :], np.array([2.0])
starts_2d = np.array([[0.0, 0.0], [2.5, 1.5], [-1.5, 2.0], [1.0, -1.5], [-2.0, -0.5]])
n_steps = 30
alpha_2d = 2.0


def descent_path(w0, **params):
    """Coefficients after each step of batch gradient descent from ``w0``."""
    model = GDRegressor(
        solver="batch", learning_rate="constant", eta0=0.14, fit_intercept=False, **params
    )
    path = [w0, model.set_params(tol=None, max_iter=1).fit(X_2d, y_2d, coef_init=w0).coef_]
    for _ in range(n_steps - 1):
        path.append(model.partial_fit(X_2d, y_2d).coef_)
    return np.array(path)


paths_2d = {
    "penalty=None": [descent_path(w0, penalty=None) for w0 in starts_2d],
    f"penalty='l2', alpha={alpha_2d:g}": [
        descent_path(w0, penalty="l2", alpha=alpha_2d) for w0 in starts_2d
    ],
}
for name, paths in paths_2d.items():
    ends = np.array([path[-1] for path in paths])
    print(f"{name:<22} end points:", np.array2string(ends.round(4), separator=", "))
print("minimum-norm solution x y / |x|^2:", x * y_2d / (x @ x))
print("ridge solution x y / (|x|^2 + alpha):", x * y_2d / (x @ x + alpha_2d))

# %%
# The same on 20 samples and 50 features
# --------------------------------------
# With more features than samples, ``X w = y`` has a 30-dimensional affine
# space of exact solutions. Gradient steps ``Xᵀ r / n`` stay in the row
# space of ``X``, so from ``w0`` gradient descent converges to
# ``w0 + X⁺ (y − X w0)``, the exact solution closest to ``w0``, with ``X⁺``
# the pseudo-inverse; from ``w0 = 0`` that is the minimum-norm solution
# ``X⁺ y``. Newton's method gets there too: the Hessian ``Xᵀ X / n`` is
# singular, so its Cholesky factorization fails and skgd adds a tiny
# multiple of the identity, and the damped step also stays in the row space,
# up to the rounding error of so nearly singular a system.
#
# Start 0 is ``w0 = 0``; starts 1 to 4 are random.
rng = np.random.RandomState(0)
n_samples, n_features = 20, 50
X = rng.randn(n_samples, n_features)
y = X @ rng.randn(n_features) + 0.1 * rng.randn(n_samples)
X_pinv = np.linalg.pinv(X)
starts = [np.zeros(n_features)] + [3 * rng.randn(n_features) for _ in range(4)]

solvers = {
    "batch, line_search": dict(solver="batch", learning_rate="line_search", max_iter=10_000),
    "newton": dict(solver="newton"),
}
print(f"{'solver':<20}{'start':>6}{'n_iter_':>8}{'train MSE':>11}{'|w|':>8}  max|w - closest|")
solutions = {}
for name, params in solvers.items():
    for i, w0 in enumerate(starts):
        model = GDRegressor(penalty=None, fit_intercept=False, tol=1e-10, **params)
        w = model.fit(X, y, coef_init=w0).coef_
        closest = w0 + X_pinv @ (y - X @ w0)
        mse = np.mean((X @ w - y) ** 2)
        gap = np.abs(w - closest).max()
        norm = np.linalg.norm(w)
        print(f"{name:<20}{i:>6}{model.n_iter_:>8}{mse:>11.1e}{norm:>8.3f}  {gap:.1e}")
        solutions[name, None, i] = w
print("from w0 = 0, batch: max|w - pinv(X) @ y| =", end=" ")
print(f"{np.abs(solutions['batch, line_search', None, 0] - X_pinv @ y).max():.1e}")

# %%
# An L2 penalty makes the objective strictly convex: one minimum, the ridge
# solution, whatever the start. Batch gradient descent forgets its start
# slowly, though: in the directions ``X`` does not see, only the penalty
# pulls, and the start's trace there shrinks by a factor ``1 − eta alpha``
# per iteration, hence the many iterations below. Newton's method solves
# the quadratic in one step.
alpha = 0.1
for name, params in solvers.items():
    for i, w0 in enumerate(starts):
        model = GDRegressor(penalty="l2", alpha=alpha, fit_intercept=False, tol=1e-10, **params)
        solutions[name, "l2", i] = model.fit(X, y, coef_init=w0).coef_
    print(f"{name}: penalty='l2', alpha={alpha}: n_iter_ = {model.n_iter_} (last start)")


def max_pairwise_difference(coefs):
    return max(np.abs(a - b).max() for a in coefs for b in coefs)


ridge = np.linalg.solve(X.T @ X / n_samples + alpha * np.eye(n_features), X.T @ y / n_samples)
print(f"{'solver':<20}{'penalty':<9}{'max pairwise difference':>24}{'max|w - ridge|':>16}")
for name in solvers:
    for penalty in [None, "l2"]:
        coefs = [solutions[name, penalty, i] for i in range(len(starts))]
        to_ridge = f"{max(np.abs(w - ridge).max() for w in coefs):.1e}" if penalty else ""
        print(f"{name:<20}{penalty!s:<9}{max_pairwise_difference(coefs):>24.1e}{to_ridge:>16}")

# %%
# The perceptron
# --------------
# On separable classes the perceptron criterion is zero for every line that
# separates them, so the perceptron stops at the first such line its updates
# reach, and that depends on the start. Every start below is a line through
# the middle of the data; ``random_state`` is fixed, so the rows come in the
# same order each time and the start is the only difference.
X_blobs, y_blobs = make_blobs(n_samples=100, centers=2, cluster_std=1.0, random_state=2)
center = X_blobs.mean(axis=0)
angles = np.deg2rad([0, 35, 70, 105, 140])
coef_starts = np.column_stack([np.cos(angles), np.sin(angles)])
intercept_starts = -coef_starts @ center


def fit_from_starts(make_model):
    return [
        make_model().fit(X_blobs, y_blobs, coef_init=w0[np.newaxis, :], intercept_init=[b0])
        for w0, b0 in zip(coef_starts, intercept_starts, strict=True)
    ]


# ``eta0=0.1`` keeps each update small next to the unit-length starts, so
# that the start weighs more.
perceptrons = fit_from_starts(lambda: PerceptronGD(eta0=0.1))
# The logistic loss with an L2 penalty has a single minimum; Newton's method
# reaches it to a tight tolerance from every start.
logistic = fit_from_starts(
    lambda: GDClassifier(loss="log_loss", solver="newton", alpha=0.01, tol=1e-10)
)
for name, models in {"perceptron": perceptrons, "log_loss, l2": logistic}.items():
    accuracies = ", ".join(f"{model.score(X_blobs, y_blobs):.2f}" for model in models)
    # The perceptron's coefficients are defined up to scale: compare directions.
    directions = [
        np.append(m.coef_[0], m.intercept_) / np.linalg.norm(np.append(m.coef_[0], m.intercept_))
        for m in models
    ]
    print(
        f"{name}: accuracies {accuracies}; max pairwise difference of the unit "
        f"vectors (w, b) / |(w, b)|: {max_pairwise_difference(directions):.1e}"
    )

# %%
# The figure. Top: gradient descent paths from five starts (circles) on the
# two-feature least-squares problem, over the contours of the objective.
# Bottom: the lines the classifiers start from (dotted) and end at (solid).
colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]


def draw_line(ax, w, b, **style):
    """Draw the line w · x + b = 0 across the axes."""
    if abs(w[1]) >= abs(w[0]):
        ax.axline((0, -b / w[1]), (1, -(b + w[0]) / w[1]), **style)
    else:
        ax.axline((-b / w[0], 0), (-(b + w[1]) / w[0], 1), **style)


fig, axes = plt.subplots(2, 2, figsize=(11, 10))
grid = np.linspace(-2.7, 3.2, 200)
W1, W2 = np.meshgrid(grid, grid)
residual = W1 * x[0] + W2 * x[1] - y_2d[0]
for ax, (name, paths), penalty_2d in zip(axes[0], paths_2d.items(), [0.0, alpha_2d], strict=True):
    value = 0.5 * residual**2 + 0.5 * penalty_2d * (W1**2 + W2**2)
    ax.contour(W1, W2, value, levels=np.geomspace(0.02, 20, 8), colors="0.8", linewidths=0.8)
    ax.axline((0, y_2d[0] / x[1]), slope=-x[0] / x[1], color="0.4", ls="--", lw=1)
    for path, color in zip(paths, colors[: len(paths)], strict=True):
        ax.plot(path[:, 0], path[:, 1], ".-", color=color, ms=4, lw=1)
        ax.plot(*path[0], "o", color=color, ms=8, mfc="none", mew=1.5)
    if penalty_2d:
        minimum = x * y_2d / (x @ x + penalty_2d)
        ax.plot(*minimum, "*", color="k", ms=14, label="ridge minimum")
    else:
        minimum = x * y_2d / (x @ x)
        ax.plot(*minimum, "*", color="k", ms=14, label="minimum-norm solution")
    ax.plot([], [], color="0.4", ls="--", lw=1, label="x · w = y (exact fits)")
    ax.set(xlim=(grid[0], grid[-1]), ylim=(grid[0], grid[-1]), aspect="equal")
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.set_title(f"Least squares, {name}")
    ax.legend(loc="lower left", fontsize=9)

titles = ["Perceptron: a different line per start", "Log loss + L2 (Newton): one line"]
for ax, models, title in zip(axes[1], [perceptrons, logistic], titles, strict=True):
    ax.scatter(*X_blobs.T, c=y_blobs, cmap=ListedColormap(["0.9", "0.4"]), edgecolor="k", s=20)
    limits = ax.get_xlim(), ax.get_ylim()
    for w0, b0, model, color in zip(
        coef_starts, intercept_starts, models, colors[: len(models)], strict=True
    ):
        draw_line(ax, w0, b0, color=color, ls=":", lw=1.2)
        draw_line(ax, model.coef_[0], model.intercept_[0], color=color, lw=2)
    ax.set(xlim=limits[0], ylim=limits[1])  # lines may leave the data's range
    ax.plot([], [], color="k", ls=":", label="start")
    ax.plot([], [], color="k", lw=2, label="fitted")
    ax.legend(loc="lower left", fontsize=9)
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title(title)
fig.tight_layout()
if plt.get_backend().lower() != "agg":
    plt.show()
