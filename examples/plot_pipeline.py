"""
==========================================
Why gradient descent needs scaled features
==========================================

The breast cancer data that ships with scikit-learn has 30 features measured
in very different units: the largest standard deviation is more than
100,000 times the smallest. This example fits the same logistic regression
with :class:`skgd.GDClassifier` on the raw features and behind a
:class:`~sklearn.preprocessing.StandardScaler` in a
:class:`~sklearn.pipeline.Pipeline`, and shows what scaling changes for
gradient descent, and what it changes for every solver: the meaning of the
penalty.
"""

# %%
# The data and its conditioning
# -----------------------------
# The speed of gradient descent on a least-squares-like objective is governed
# by the condition number of :math:`X^\top X` (with a column of ones for the
# intercept): the ratio of the curvature along the steepest direction, which
# caps the step size, to the curvature along the flattest one, which the
# iterates then cross only slowly. Standardizing the features divides it by
# millions.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
std = X_train.std(axis=0)
print(f"feature standard deviations: from {std.min():.2g} to {std.max():.3g}")


def condition_number(X):
    with_intercept = np.column_stack([X, np.ones(X.shape[0])])
    return np.linalg.cond(with_intercept.T @ with_intercept)


raw_condition = condition_number(X_train)
scaled_condition = condition_number(StandardScaler().fit_transform(X_train))
print(f"condition number of X^T X, raw features:    {raw_condition:.2e}")
print(f"condition number of X^T X, scaled features: {scaled_condition:.2e}")

# %%
# The models
# ----------
# Three solvers, each fitted on the raw features and in a pipeline behind a
# ``StandardScaler`` (which learns its means and standard deviations on the
# training data only, fold by fold under cross-validation):
#
# - ``sgd`` with a constant step, the default ``eta0=0.01``;
# - ``batch`` with ``learning_rate="line_search"``, so that each fit finds a
#   step size that suits its own features and no tuning favours either;
# - ``newton``.
#
# The first two run a fixed budget, 100 epochs and 300 iterations
# (``tol=None``, so there is no stopping rule to warn about).
solvers = {
    "sgd": dict(
        solver="sgd", learning_rate="constant", eta0=0.01, max_iter=100, tol=None, random_state=0
    ),
    "batch (line search)": dict(
        solver="batch", learning_rate="line_search", max_iter=300, tol=None
    ),
    "newton": dict(solver="newton"),
}


def make_model(params, scaled):
    model = GDClassifier(loss="log_loss", **params)
    return make_pipeline(StandardScaler(), model) if scaled else model


fitted, cv_accuracy = {}, {}
print(
    f"\n{'solver':<21}{'features':<9}{'n_iter_':>8}{'first J':>10}{'final J':>10}"
    f"{'test acc.':>11}{'CV acc.':>9}"
)
for name, params in solvers.items():
    for scaled in (False, True):
        model = make_model(params, scaled).fit(X_train, y_train)
        # The fitted GDClassifier: the pipeline's last step, or the model itself.
        fitted[name, scaled] = estimator = model[-1] if scaled else model
        cv_accuracy[name, scaled] = cross_val_score(make_model(params, scaled), X, y).mean()
        print(
            f"{name:<21}{'scaled' if scaled else 'raw':<9}{estimator.n_iter_:>8}"
            f"{estimator.loss_curve_[0]:>10.3g}{estimator.loss_curve_[-1]:>10.3g}"
            f"{model.score(X_test, y_test):>11.3f}{cv_accuracy[name, scaled]:>9.3f}"
        )

# %%
# The figure
# ----------
# Left and middle: the training objective, mean log loss plus the L2 penalty,
# per epoch for ``sgd`` (the running mean over the epoch, as ``loss_curve_``
# records it) and per iteration for ``batch``; the dashed lines are the
# objectives Newton's method reaches, the optimum for each set of features
# (they differ: see below). Right: the accuracy on the held-out folds of a
# 5-fold cross-validation on all 569 samples.
#
# On raw features ``sgd``'s objective is orders of magnitude too high from the
# first epoch on (the table's first J): a step of 0.01 suits features of unit
# scale, but each update on a row with areas in the hundreds and thousands
# changes that row's margin by thousands: every update overshoots by far, and
# the iterate never settles. Batch gradient descent with a line search never
# increases the objective, but on raw features its step is capped by the
# curvature along the largest feature, so the weights of the smallest ones
# barely move and the objective stalls. On scaled features both converge
# quickly.
#
# Newton's method needs about as many iterations either way: rescaling a
# feature rescales its row and column of the Hessian, and the Newton step
# undoes that. Yet its raw-feature model is worse too, because the L2 penalty
# is not scale-invariant: a feature measured in small numbers needs a large
# weight, which the penalty charges heavily, so on raw features the same
# ``alpha`` regularizes the small-scale features far more than the others.
# Scaling puts every feature on the same footing, for the penalty as for the
# step size.
fig, (ax_sgd, ax_batch, ax_acc) = plt.subplots(
    1, 3, figsize=(13, 4.3), gridspec_kw={"width_ratios": [1, 1, 0.9]}
)
styles = {False: dict(color="C3", label="raw features"), True: dict(color="C0", label="scaled")}
panels = [
    (ax_sgd, "sgd", "epoch", "solver='sgd',\nlearning_rate='constant'"),
    (ax_batch, "batch (line search)", "iteration", "solver='batch',\nlearning_rate='line_search'"),
]
for ax, name, unit, title in panels:
    for scaled in (False, True):
        curve = fitted[name, scaled].loss_curve_
        ax.plot(np.arange(1, len(curve) + 1), curve, **styles[scaled])
        # Newton's final objective: the optimum for these features.
        optimum = fitted["newton", scaled].loss_curve_[-1]
        ax.axhline(optimum, color=styles[scaled]["color"], ls="--", lw=1)
    ax.plot([], [], "k--", lw=1, label="optimum (newton)")
    ax.set_yscale("log")
    ax.set_xlabel(unit)
    ax.set_ylabel("training objective J")
    ax.set_title(f"GDClassifier({title})")
    ax.legend()
ticks = [0.03, 0.05, 0.1, 0.2, 0.3, 0.5]
ax_batch.set_yticks(ticks, [f"{tick:g}" for tick in ticks])
ax_batch.yaxis.set_minor_formatter(plt.NullFormatter())

names = list(solvers)
positions = np.arange(len(names))
for offset, scaled in [(-0.2, False), (0.2, True)]:
    accuracies = [cv_accuracy[name, scaled] for name in names]
    bars = ax_acc.bar(positions + offset, accuracies, width=0.4, **styles[scaled])
    ax_acc.bar_label(bars, fmt="%.3f", fontsize=8)
ax_acc.set_xticks(positions, names)
ax_acc.set_ylim(0.85, 1.01)
ax_acc.set_ylabel("cross-validated accuracy")
ax_acc.set_title("Accuracy on held-out folds")
ax_acc.legend(loc="upper center", ncols=2)
fig.tight_layout()
if plt.get_backend().lower() != "agg":
    plt.show()
