"""
===================================================
Grid search over the step size, schedule and solver
===================================================

In skgd the optimization method is a hyperparameter like any other, so
:class:`~sklearn.model_selection.GridSearchCV` can tune it together with the
step size: here the initial step ``eta0``, the schedule ``learning_rate`` and
the ``solver`` of a :class:`skgd.GDRegressor`, behind a
:class:`~sklearn.preprocessing.StandardScaler` in a
:class:`~sklearn.pipeline.Pipeline`. The heatmap of cross-validated
:math:`R^2` scores shows the two ways a step size fails: too small, and the fit
is still far from the optimum when it runs out of epochs; too large, and it
diverges.
"""

# %%
# The search
# ----------
# The diabetes data that ships with scikit-learn: 442 patients, 10 features.
# Every fit gets at most ``max_iter=50`` epochs (iterations for batch
# gradient descent) and keeps the default stopping rule, ``tol=1e-3``. The
# sampling solvers are crossed with the schedules that use ``eta0``
# (``"optimal"`` ignores it); batch gradient descent is tried with a constant
# step and with ``learning_rate="line_search"``, where ``eta0`` is only the
# first step the line search tries.
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skgd import GDRegressor

X, y = load_diabetes(return_X_y=True)
pipeline = Pipeline(
    [("scale", StandardScaler()), ("gd", GDRegressor(max_iter=50, random_state=0))]
)
eta0s = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0]
param_grid = [
    {
        "gd__solver": ["sgd", "minibatch", "momentum"],
        "gd__learning_rate": ["constant", "invscaling", "adaptive"],
        "gd__eta0": eta0s,
    },
    {
        "gd__solver": ["batch"],
        "gd__learning_rate": ["constant", "line_search"],
        "gd__eta0": eta0s,
    },
]
# A fit whose step is too large raises a ValueError; error_score=np.nan
# records it as a NaN score instead of stopping the search.
search = GridSearchCV(
    pipeline, param_grid, cv=KFold(3, shuffle=True, random_state=0), error_score=np.nan
)
with warnings.catch_warnings():
    # Expected here, and shown in the heatmap rather than as warnings: small
    # steps that have not converged in 50 epochs, the fits that diverged, and
    # the NaN scores those leave.
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.simplefilter("ignore", FitFailedWarning)
    warnings.filterwarnings("ignore", message="One or more of the test scores are non-finite")
    search.fit(X, y)

print("best parameters:", search.best_params_)
print(f"best cross-validated R2: {search.best_score_:.3f}")

# %%
# The scores as a table
# ---------------------
# One row per solver and schedule, one column per ``eta0``.
results = pd.DataFrame(search.cv_results_)
results["row"] = results["param_gd__solver"] + " / " + results["param_gd__learning_rate"]
scores = results.pivot_table(
    index="row", columns="param_gd__eta0", values="mean_test_score", dropna=False
)
rows = [
    f"{solver} / {schedule}"
    for solver in ["sgd", "minibatch", "momentum"]
    for schedule in ["constant", "invscaling", "adaptive"]
] + ["batch / constant", "batch / line_search"]
scores = scores.loc[rows, eta0s]
print(scores.to_string(float_format=lambda score: f"{score:.3g}"))

# %%
# The heatmap
# -----------
# Color is the mean :math:`R^2` over the three folds, from 0 (no better than
# predicting the mean) to the best score; grey cells diverged in at least one
# fold and raised an error; the best cell is framed.
#
# Read each row from left to right. With ``eta0=1e-5`` every score is
# negative but the line search's: 50 epochs of such small steps leave the
# model far from the optimum, starting with the intercept, which has to
# travel from 0 to the mean target printed below. Scores rise with the step
# up to a plateau near the best score, then fall. Batch gradient descent
# needs larger steps than the others to get there, because it makes one
# update per iteration where the sampling solvers make one per row or per
# batch of rows.
#
# At ``eta0=1`` the step is too large for all but the line search, which
# finds its own step whatever ``eta0`` is. A constant step makes the error
# grow at each step until skgd finds the fit diverged and raises a
# ``ValueError``. The decaying schedules shrink their step as they go, and the
# outcome depends on how far the first epochs have thrown the coefficients:
# a fit may recover (a positive score), end far from the optimum (an
# :math:`R^2` far below 0), or diverge all the same. ``adaptive`` cuts its
# step only after 5 epochs without progress, too late to save the fit.
print(f"mean target: {y.mean():.1f}")
values = scores.to_numpy()
best = np.unravel_index(np.nanargmax(values), values.shape)
cmap = plt.get_cmap("viridis").copy()
cmap.set_bad("0.85")
cmap.set_under("0.25")

fig, ax = plt.subplots(figsize=(8, 6.5))
image = ax.imshow(
    np.ma.masked_invalid(values), cmap=cmap, vmin=0.0, vmax=np.nanmax(values), aspect="auto"
)
for i, j in np.ndindex(values.shape):
    value = values[i, j]
    if np.isnan(value):
        text, color = "diverged", "0.3"
    elif abs(value) >= 100:
        text, color = f"{value:.0e}", "white"
    else:
        text, color = f"{value:.2f}", "white" if value < 0.3 else "black"
    ax.text(j, i, text, ha="center", va="center", color=color, fontsize=9)
ax.add_patch(
    plt.Rectangle((best[1] - 0.5, best[0] - 0.5), 1, 1, fill=False, edgecolor="red", lw=2.5)
)
for boundary in (2.5, 5.5, 8.5):
    ax.axhline(boundary, color="white", lw=3)
ax.set_xticks(range(len(eta0s)), [f"{eta0:g}" for eta0 in eta0s])
ax.set_yticks(range(len(rows)), rows)
ax.set_xlabel("eta0")
ax.set_ylabel("solver / learning_rate")
ax.set_title("Cross-validated R² of GDRegressor after StandardScaler")
colorbar = fig.colorbar(image, ax=ax, extend="min")
colorbar.set_label("mean R² over 3 folds (below 0: dark grey)")
fig.tight_layout()
if plt.get_backend().lower() != "agg":
    plt.show()
