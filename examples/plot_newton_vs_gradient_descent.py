"""
========================================
Newton's method against gradient descent
========================================

How many iterations, and how many seconds, does each solver of
:class:`skgd.GDClassifier` need to minimize a logistic regression objective
to a given tolerance? This example fits the same L2-penalized logistic
regression,

.. math::

    J(w, b) = \\frac{1}{n} \\sum_i \\log\\left(1 + e^{-y_i (x_i \\cdot w + b)}\\right)
    + \\frac{\\alpha}{2} \\lVert w \\rVert^2 ,

with Newton's method, batch gradient descent with a line search, and three
stochastic solvers (momentum, minibatch and plain SGD), and plots the
suboptimality :math:`J - J^*` against iterations and against wall time.
:math:`J^*` comes from a Newton fit run until no step decreases :math:`J`.
"""

# %%
# The data
# --------
# 5,000 samples and 20 correlated features: standardizing gives each feature
# unit variance but cannot undo the correlations, so the Hessian of ``J``
# stays ill-conditioned, which is where solvers differ most.
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import StandardScaler
from threadpoolctl import ThreadpoolController

from skgd import GDClassifier

rng = np.random.RandomState(0)
n_samples, n_features = 5_000, 20
rotation = np.linalg.qr(rng.normal(size=(n_features, n_features)))[0]
spectrum = np.geomspace(1.0, 0.05, n_features)
X = StandardScaler().fit_transform(rng.normal(size=(n_samples, n_features)) * spectrum @ rotation)
true_coef = rng.normal(size=n_features)
y = (rng.uniform(size=n_samples) < 1 / (1 + np.exp(-0.5 * X @ true_coef))).astype(int)
alpha = 1e-4
print(f"condition number of X^T X: {np.linalg.cond(X.T @ X):.0f}")

signs = np.where(y == 1, 1.0, -1.0)


def objective(model):
    """The penalized training objective every solver minimizes."""
    coef = model.coef_.ravel()
    margin = signs * (X @ coef + model.intercept_[0])
    return np.mean(np.logaddexp(0.0, -margin)) + 0.5 * alpha * coef @ coef


# %%
# The solvers
# -----------
# Newton's method and batch gradient descent with ``learning_rate="line_search"``
# need no step size. The three stochastic solvers update on minibatches of 32
# rows (one row for ``sgd``) with a constant step that suits them here:
# 0.01 for ``sgd`` and for ``momentum`` (``momentum=0.9`` multiplies its
# effective step by ten), 0.1 for ``minibatch``, whose averaged gradients are
# less noisy.
solvers = {
    "newton": dict(solver="newton"),
    "batch (line search)": dict(solver="batch", learning_rate="line_search"),
    "momentum": dict(solver="momentum", learning_rate="constant", eta0=0.01),
    "minibatch": dict(solver="minibatch", learning_rate="constant", eta0=0.1),
    "sgd": dict(solver="sgd", learning_rate="constant", eta0=0.01),
}
# The most iterations each solver runs here (epochs for the stochastic ones).
max_iter = {"newton": 10, "batch (line search)": 300, "momentum": 50, "minibatch": 50, "sgd": 50}


def make_model(params, k):
    # tol=None turns the stopping rule off: k iterations (epochs for the
    # stochastic solvers), fewer for Newton only once no step decreases J.
    return GDClassifier(
        loss="log_loss", alpha=alpha, max_iter=k, tol=None, random_state=0, **params
    )


# One fit per solver first: it compiles the numba kernels and warms up the
# libraries, so that the timings below measure the fits alone.
for params in solvers.values():
    make_model(params, 1).fit(X, y)

j_star = objective(make_model(solvers["newton"], 100).fit(X, y))
print(f"J* = {j_star:.12f}")


# %%
# The curves
# ----------
# Every solver here follows the same trajectory whatever ``max_iter`` is (the
# stochastic ones draw the same batches from ``random_state=0``), so the model
# fitted with ``max_iter=k`` holds the k-th iterate: fitting for a range of k
# gives :math:`J - J^*` after k iterations, and timing each fit gives the
# seconds it takes to get there. Each time is the best of three runs, as
# ``timeit`` reports, or of one for fits longer than 50 milliseconds.
# The fits run on one thread: the timings then compare the algorithms rather
# than how well each one's linear algebra shares the cores with whatever else
# the machine is running.
blas = ThreadpoolController()


def timed_fit(params, k):
    """The model fitted with max_iter=k, and the seconds the fit took."""
    best = np.inf
    for _ in range(3):
        model = make_model(params, k)
        with blas.limit(limits=1):
            start = time.perf_counter()
            model.fit(X, y)
            best = min(best, time.perf_counter() - start)
        if best > 0.05:
            break
    return model, best


curves, longest = {}, {}
for name, params in solvers.items():
    last = max_iter[name]
    if name == "newton":
        checkpoints = np.arange(1, last + 1)
    else:
        checkpoints = np.unique(np.geomspace(1, last, 12).round().astype(int))
    gaps, seconds = [], []
    for k in checkpoints:
        model, best = timed_fit(params, k)
        gaps.append(objective(model) - j_star)
        seconds.append(best)
    curves[name] = (checkpoints, np.array(gaps), np.array(seconds))
    longest[name] = model

# %%
# Iterations and time to a tolerance
# ----------------------------------
# For Newton's method and batch gradient descent, ``loss_curve_`` holds
# :math:`J` at every iterate, so the longest fit tells exactly which iteration
# first reaches :math:`J - J^* \leq 10^{-6}`; a fit stopped there gives the
# time. The stochastic solvers' ``loss_curve_`` holds a running mean over each
# epoch instead, so for them only the checkpoints can tell.
tolerance = 1e-6
print(f"{'':<21}{f'to J - J* <= {tolerance:g}':^22}{'at the last checkpoint':^33}")
print(f"{'solver':<21}" + "".join(f"{h:>11}" for h in ["iterations", "time (s)"] * 2 + ["J - J*"]))
for name, (checkpoints, gaps, seconds) in curves.items():
    if solvers[name]["solver"] in ("newton", "batch"):
        reached = np.flatnonzero(np.array(longest[name].loss_curve_) - j_star <= tolerance) + 1
    else:
        reached = checkpoints[gaps <= tolerance]
    if reached.size:
        _, time_taken = timed_fit(solvers[name], reached[0])
        to_tolerance = f"{reached[0]:>11}{time_taken:>11.3f}"
    else:
        to_tolerance = f"{'not reached':>22}"
    print(
        f"{name:<21}{to_tolerance}{checkpoints[-1]:>11}"
        f"{seconds[-1]:>11.3f}{max(gaps[-1], 0.0):>11.1e}"
    )

# %%
# Newton's method reaches the tolerance in a handful of iterations: each
# solves a linear system with the 21 × 21 Hessian (20 weights and the
# intercept), so it uses the curvature that gradient descent has to discover
# step by step. Batch gradient descent converges linearly, at a rate set by
# the Hessian's condition number, and needs dozens of times more iterations;
# each is cheaper than Newton's, but not by enough to catch up.
#
# The stochastic solvers make many updates per pass over the data, so after
# one epoch they are ahead of batch gradient descent after one iteration, at
# about the same cost. Then the noise of their gradient estimates takes over:
# with a constant step each settles on a noise floor, its height set by the
# step size and the batch size, far above the tolerance. Only a step that
# decays to zero gets rid of that floor, and then progress is slow.
fig, (ax_iter, ax_time) = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
# J - J* below 1e-14 is rounding error in J: such points are left out.
floor = 1e-14
for (name, (checkpoints, gaps, seconds)), marker in zip(curves.items(), "os^vD", strict=True):
    shown = gaps > floor
    style = dict(marker=marker, ms=3.5, label=name)
    ax_iter.plot(checkpoints[shown], gaps[shown], **style)
    ax_time.plot(seconds[shown], gaps[shown], **style)
for ax in (ax_iter, ax_time):
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axhline(tolerance, color="k", ls=":", lw=1)
    ax.grid(True, which="major", alpha=0.3)
ax_iter.text(1, tolerance * 2, f"tolerance {tolerance:g}", fontsize=9)
ax_iter.set_xlabel("iterations (epochs for momentum, minibatch and sgd)")
ax_iter.set_ylabel("J(w, b) - J*")
ax_iter.set_title("Suboptimality per iteration")
ax_time.set_xlabel("wall time of the fit, on one thread (s)")
ax_time.set_title("Suboptimality per second")
ax_time.legend()
fig.tight_layout()
if plt.get_backend().lower() != "agg":
    plt.show()
