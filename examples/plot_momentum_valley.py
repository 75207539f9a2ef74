"""
===============================================
Momentum and Newton's method in a narrow valley
===============================================

Least squares on two features whose scales differ by a factor of five is a
quadratic bowl stretched into a long, narrow valley. This example draws the
objective's contours in the plane of the two coefficients ``(w1, w2)`` and the
paths that :class:`skgd.GDRegressor` takes across them with four solvers:
batch gradient descent, heavy-ball momentum, Nesterov's momentum and Newton's
method.

The objective, with no intercept and no penalty, is

.. math::

    J(w) = \\frac{1}{n} \\sum_i \\tfrac12 (x_i \\cdot w - y_i)^2 ,

whose Hessian is the constant matrix :math:`H = X^\\top X / n`. Its largest
eigenvalue :math:`L` limits the step of gradient descent (it diverges for
:math:`\\eta \\geq 2 / L`), and its smallest, :math:`\\ell`, sets how slowly the
iterates move along the valley floor.
"""

# %%
# The data and the valley
# -----------------------
# The first feature has a standard deviation of 0.2, the second of 1, so the
# objective is 25 times flatter along ``w1`` than along ``w2``.
import matplotlib.pyplot as plt
import numpy as np

from skgd import GDRegressor

rng = np.random.RandomState(0)
n_samples = 200
X = rng.normal(size=(n_samples, 2)) * [0.2, 1.0]
y = X @ np.array([3.0, 1.0]) + 0.1 * rng.normal(size=n_samples)

hessian = X.T @ X / n_samples
smallest, largest = np.linalg.eigvalsh(hessian)
w_star = np.linalg.lstsq(X, y, rcond=None)[0]
print(f"Hessian eigenvalues: {smallest:.4f} and {largest:.4f}")
print(f"condition number:    {largest / smallest:.1f}")
print(f"minimizer w*:        ({w_star[0]:.3f}, {w_star[1]:.3f})")


def objective(coef):
    """J(w) for one coefficient vector or a stack of them (one per row)."""
    residual = X @ np.atleast_2d(coef).T - y[:, None]
    return 0.5 * np.mean(residual**2, axis=0)


# %%
# The paths, from the estimators themselves
# -----------------------------------------
# All four solvers here are deterministic: batch gradient descent uses every
# row, and the momentum solver with ``batch_size=n_samples`` and
# ``shuffle=False`` takes one full-batch step per epoch, with its velocity
# starting at zero in every fit. So the coefficients of a fit with
# ``max_iter=k`` from a fixed ``coef_init`` are exactly the k-th iterate of
# that optimizer, and fitting for k = 1, 2, ... traces its path. ``tol=None``
# turns the stopping rule off: each fit runs exactly k iterations, and, having
# no tolerance to miss, warns of no failure to converge.
#
# The step sizes, in units of :math:`1 / L`:
#
# - batch gradient descent: :math:`\eta = 1.8 / L`, close to its limit
#   :math:`2 / L`; a smaller step zig-zags less but crawls even more slowly
#   along the valley;
# - heavy-ball momentum (``b ← μ b + g``, ``w ← w − η b``): the same step, with
#   ``momentum=0.5``;
# - Nesterov's momentum: its look-ahead makes it unstable at that step, so it
#   takes :math:`\eta = 1 / L` with ``momentum=0.7``;
# - Newton's method needs no step size.
start = np.array([-2.0, 2.0])
n_steps = 40
solvers = {
    "batch gradient descent": dict(solver="batch", eta0=1.8 / largest),
    "momentum (heavy ball)": dict(
        solver="momentum", batch_size=n_samples, eta0=1.8 / largest, momentum=0.5
    ),
    "Nesterov momentum": dict(
        solver="momentum",
        batch_size=n_samples,
        eta0=1.0 / largest,
        momentum=0.7,
        nesterov=True,
    ),
    "Newton": dict(solver="newton"),
}


def path(params, n_steps):
    """The iterates 0..n_steps of one solver, each from a fresh fit."""
    iterates = [start]
    for k in range(1, n_steps + 1):
        model = GDRegressor(
            fit_intercept=False,
            penalty=None,
            learning_rate="constant",
            shuffle=False,
            max_iter=k,
            tol=None,
            **params,
        )
        iterates.append(model.fit(X, y, coef_init=start).coef_.copy())
    return np.array(iterates)


# Newton's method on a quadratic: one step.
paths = {
    name: path(params, 1 if params["solver"] == "newton" else n_steps)
    for name, params in solvers.items()
}
j_star = objective(w_star)[0]
print(f"\nJ - J* after {n_steps} iterations (Newton: after 1)")
for name, iterates in paths.items():
    print(f"  {name:<24}{objective(iterates[-1])[0] - j_star:.2e}")

# %%
# The figure
# ----------
# Left, the first 25 iterates of each path over the contours of
# :math:`J - J^*`. Right, :math:`J - J^*` at every iterate, on a log scale.
#
# Plain gradient descent bounces from one wall of the valley to the other: a
# step of :math:`1.8 / L` overshoots along the steep direction, and flips the
# sign of the error there at every iteration. Along the valley floor it moves
# by only a fraction :math:`\eta \ell` of the remaining distance per step. The
# heavy ball adds up successive gradients: across the valley they alternate in
# sign and largely cancel, along it they agree and build up speed, so its path
# is smoother and it reaches the bottom of the valley many times faster.
# Nesterov's method evaluates the gradient after the momentum step; with
# :math:`\eta = 1 / L` it removes the error across the valley at once and then
# accelerates along the floor; its larger momentum carries it a little past the
# minimizer (the dip in its curve is where it passes it). Newton's method
# multiplies the gradient by :math:`H^{-1}`, which turns the valley into a round
# bowl: on a quadratic its first step lands on the minimizer, up to rounding
# error.
colors = dict(zip(paths, ["C0", "C1", "C2", "C3"], strict=True))
shown = 25

fig, (ax_path, ax_gap) = plt.subplots(
    1, 2, figsize=(12, 4.8), gridspec_kw={"width_ratios": [1.6, 1]}
)
w1 = np.linspace(-2.5, 4.5, 301)
w2 = np.linspace(-0.8, 2.8, 201)
grid_w1, grid_w2 = np.meshgrid(w1, w2)
gap = objective(np.c_[grid_w1.ravel(), grid_w2.ravel()]).reshape(grid_w1.shape) - j_star
ax_path.contour(
    grid_w1,
    grid_w2,
    gap,
    levels=np.geomspace(1e-3, gap.max(), 14),
    colors="0.6",
    linewidths=0.7,
)
for name, iterates in paths.items():
    ax_path.plot(
        iterates[: shown + 1, 0],
        iterates[: shown + 1, 1],
        "o-",
        color=colors[name],
        ms=3.5,
        lw=1.3,
        label=name,
    )
ax_path.plot(*start, "ks", ms=7, label="start")
ax_path.plot(*w_star, "k*", ms=14, label="minimizer")
ax_path.set_aspect("equal")
ax_path.set_xlabel("w1 (feature with std 0.2)")
ax_path.set_ylabel("w2 (feature with std 1)")
ax_path.set_title(f"First {shown} iterates on the contours of J")
ax_path.legend(loc="upper right", fontsize=9)

# After Newton's step J - J* is at rounding level, possibly exactly 0: a floor
# keeps it on the log axis.
floor = 1e-15
for name, iterates in paths.items():
    ax_gap.plot(
        np.arange(len(iterates)),
        np.maximum(objective(iterates) - j_star, floor),
        "o-" if len(iterates) == 2 else "-",
        color=colors[name],
        label=name,
    )
ax_gap.annotate(
    "Newton: J* to rounding\nerror after one step",
    xy=(1, floor),
    xytext=(4, 1e-12),
    arrowprops=dict(arrowstyle="->", color=colors["Newton"]),
    color=colors["Newton"],
)
ax_gap.set_yscale("log")
ax_gap.set_ylim(bottom=floor / 10)
ax_gap.set_xlabel("iteration")
ax_gap.set_ylabel("J(w) - J*")
ax_gap.set_title("Suboptimality per iteration (colors as on the left)")
fig.tight_layout()
if plt.get_backend().lower() != "agg":
    plt.show()
