"""
===================================
Learning-rate schedules, step sizes
===================================

Every first-order solver in skgd moves the coefficients by a step ``eta``
times a gradient. ``learning_rate`` says how ``eta`` changes as the fit goes
on, and ``eta0`` sets its scale. This example shows the objective per epoch
for each schedule, and then what happens when a constant step is too small
or too large: too small a step makes slow progress, too large a step makes
the fit diverge, which skgd reports with a ``ValueError``.
"""

# %%
# Schedules on a logistic regression
# ----------------------------------
# The breast-cancer data, standardized, fitted by the L2-penalized log loss.
# Newton's method, run to a tight tolerance, gives the minimum ``J*`` of the
# objective, so each curve can be drawn as its distance to the minimum.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)
alpha = 1e-3
reference = GDClassifier(loss="log_loss", solver="newton", alpha=alpha, tol=1e-10).fit(X, y)
minimum = reference.loss_curve_[-1]
print(f"J* = {minimum:.6f} (Newton's method, {reference.n_iter_} iterations)")

# %%
# The five schedules. The four for sampled rows run with ``solver="sgd"``,
# all with ``eta0=0.1`` (``optimal`` needs none: it sizes its steps from
# ``alpha``). The line search needs the full objective at every step, so it
# runs with ``solver="batch"``; it starts at ``eta0`` and adjusts the step as
# it goes. ``tol=1e-5`` lets the fits run until they have nearly stopped
# improving.
#
# For the stochastic solvers ``loss_curve_`` holds the mean of the
# per-sample losses met during each epoch (plus the penalty), an average
# over the epoch's iterates; for batch gradient descent it holds the exact
# objective after each iteration. Each epoch and each batch iteration is one pass over
# the data (the line search makes an extra pass for each step it rejects).
common = dict(loss="log_loss", alpha=alpha, eta0=0.1, tol=1e-5, max_iter=500, random_state=0)
schedules = {
    "constant": GDClassifier(solver="sgd", learning_rate="constant", **common),
    "optimal": GDClassifier(solver="sgd", learning_rate="optimal", **common),
    "invscaling": GDClassifier(solver="sgd", learning_rate="invscaling", **common),
    "adaptive": GDClassifier(solver="sgd", learning_rate="adaptive", **common),
    "line_search (batch)": GDClassifier(solver="batch", learning_rate="line_search", **common),
}
print(f"{'learning_rate':<21}{'n_iter_':>8}{'J - J*':>11}{'accuracy':>10}")
for name, model in schedules.items():
    model.fit(X, y)
    gap = model.loss_curve_[-1] - minimum
    print(f"{name:<21}{model.n_iter_:>8d}{gap:>11.2e}{model.score(X, y):>10.4f}")

# %%
# Step sizes on least squares
# ---------------------------
# On a least-squares problem batch gradient descent with a constant step has
# a sharp threshold. With ``L`` the largest eigenvalue of the Hessian
# ``Xᵀ X / n`` (a column of ones added for the intercept), it converges for
# every ``eta < 2 / L`` and diverges beyond. The diabetes data, standardized:
X_reg, y_reg = load_diabetes(return_X_y=True)
X_reg = StandardScaler().fit_transform(X_reg)
y_reg = (y_reg - y_reg.mean()) / y_reg.std()
X_ones = np.hstack([X_reg, np.ones((X_reg.shape[0], 1))])
eigenvalues = np.linalg.eigvalsh(X_ones.T @ X_ones / X_reg.shape[0])
L = eigenvalues[-1]
print(f"L = {L:.4f}, so batch gradient descent converges for eta < 2 / L = {2 / L:.4f}")
print(f"condition number of the Hessian: {eigenvalues[-1] / eigenvalues[0]:.0f}")
minimum_reg = GDRegressor(solver="newton", penalty=None, tol=1e-12).fit(X_reg, y_reg)
minimum_reg = minimum_reg.loss_curve_[-1]

# %%
# 300 iterations at several constant steps, ``tol=None`` so that every fit
# runs all of them, and the line search for comparison.
n_steps = 300
steps = {"0.05 / L (too small)": 0.05 / L, "1 / L": 1 / L, "1.9 / L": 1.9 / L}
curves = {}
for name, eta in steps.items():
    model = GDRegressor(solver="batch", learning_rate="constant", eta0=eta, penalty=None)
    model.set_params(tol=None, max_iter=n_steps)
    curves[f"eta = {name}"] = model.fit(X_reg, y_reg).loss_curve_
line_search = GDRegressor(
    solver="batch", learning_rate="line_search", penalty=None, tol=None, max_iter=n_steps
)
curves["line_search"] = line_search.fit(X_reg, y_reg).loss_curve_

# %%
# A step above ``2 / L`` makes the coefficients grow geometrically, and
# ``fit`` raises a ``ValueError`` instead of returning them:
too_large = 2.5 / L
try:
    GDRegressor(
        solver="batch", learning_rate="constant", eta0=too_large, penalty=None, max_iter=n_steps
    ).fit(X_reg, y_reg)
except ValueError as error:
    print(f"eta = 2.5 / L: ValueError: {error}")

# %%
# To see the objective on its way up, take the same steps one at a time with
# ``partial_fit`` (one iteration per call for batch gradient descent) until
# skgd refuses. A failed call leaves the model as it was, so ``loss_curve_``
# still holds every finite value.
diverging = GDRegressor(solver="batch", learning_rate="constant", eta0=too_large, penalty=None)
for step in range(1, n_steps + 1):
    try:
        diverging.partial_fit(X_reg, y_reg)
    except ValueError:
        print(f"eta = 2.5 / L: partial_fit raises ValueError at iteration {step}")
        break
curves["eta = 2.5 / L (too large)"] = diverging.loss_curve_

# %%
# The three panels. Left: ``constant`` and ``adaptive`` (which is
# ``constant`` until progress stalls) descend fastest at first; then
# ``constant`` stalls at the level its gradient noise allows and stops,
# ``adaptive`` cuts its step and goes on down, ``optimal`` and
# ``invscaling`` shrink their steps as they go and creep on, and the line
# search, free of noise, keeps converging at a steady rate. Middle: after a
# fast start, every step slows down to a rate set by the smallest
# eigenvalue ``λ_min`` (the condition number printed above is large): the
# distance to the minimum shrinks by a factor of about ``1 − eta λ_min`` per
# iteration, so the larger the step, the faster, up to ``2 / L``, and a tiny
# step is slow throughout. Right: above ``2 / L`` the objective grows
# geometrically until skgd stops the fit.
styles = {
    "constant": dict(color="tab:blue", lw=3, alpha=0.5),
    "optimal": dict(color="tab:orange"),
    "invscaling": dict(color="tab:green"),
    "adaptive": dict(color="tab:red", ls="--"),
    "line_search (batch)": dict(color="tab:purple"),
}
fig, (left, middle, right) = plt.subplots(1, 3, figsize=(15, 4.6))
for name, model in schedules.items():
    gap = np.asarray(model.loss_curve_) - minimum
    left.plot(np.arange(1, len(gap) + 1), gap, label=name, **styles[name])
left.set_xscale("log")
left.set_yscale("log")
left.set_xlabel("epoch (sgd) or iteration (batch)")
left.set_ylabel("loss_curve_ − J*")
left.set_title("Schedules\n(logistic regression, breast cancer)")
left.legend(title="learning_rate")

for name, curve in curves.items():
    if name.endswith("(too large)"):
        continue
    middle.plot(np.arange(1, len(curve) + 1), np.asarray(curve) - minimum_reg, label=name)
middle.set_yscale("log")
middle.set_xlabel("iteration")
middle.set_ylabel("J − J*")
middle.set_title("Constant steps below 2 / L\n(batch least squares, diabetes)")
middle.legend()

gap = np.asarray(diverging.loss_curve_) - minimum_reg
iterations = np.arange(1, len(gap) + 1)
right.plot(iterations, gap, color="tab:red", label="eta = 2.5 / L")
right.plot(iterations[-1], gap[-1], "x", color="k", markersize=10, mew=2)
right.annotate(
    f"ValueError at iteration {iterations[-1] + 1}",
    xy=(iterations[-1], gap[-1]),
    xytext=(-10, 0),
    textcoords="offset points",
    ha="right",
    va="center",
)
right.set_yscale("log")
right.set_xlabel("iteration")
right.set_ylabel("J − J*")
right.set_title("A constant step above 2 / L\n(batch least squares, diabetes)")
right.legend(loc="lower right")
fig.tight_layout()

# %%
# The same holds for the stochastic solvers, where the threshold is set by
# single rows instead of the whole Hessian: here ``solver="sgd"`` with a
# constant ``eta0=0.3`` diverges within a few epochs.
try:
    GDRegressor(solver="sgd", learning_rate="constant", eta0=0.3, random_state=0).fit(X_reg, y_reg)
except ValueError as error:
    print(f"sgd, eta0=0.3: ValueError: {error}")

if plt.get_backend().lower() != "agg":
    plt.show()
