"""
======================================
Fitting on a Dask cluster, out of core
======================================

:class:`skgd.GDRegressor` fits directly on a :mod:`dask.array` whose blocks
live on the workers of a cluster. The data never come to the client: each
pass over ``X`` is a task per block, run where the block is, that sends back
a gradient (or a Hessian for Newton's method); the minibatch and momentum
solvers walk the blocks one after the other, and only the coefficients
travel from block to block. See :ref:`dask` in the user guide.
"""

# %%
# A local cluster of two single-threaded workers. On a real cluster, pass
# the scheduler's address to ``Client`` instead; nothing else changes.
# (``processes=False`` keeps the workers in this process, which starts in a
# fraction of a second.)
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from dask.distributed import Client, LocalCluster

from skgd import GDRegressor

cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
client = Client(cluster)

# %%
# The data are generated on the workers, block by block: 400,000 samples of
# 20 features in 8 blocks of 50,000 rows. ``X`` never exists in this process.
n_samples, n_features, chunk = 400_000, 20, 50_000
rng = da.random.RandomState(0)
X = rng.normal(size=(n_samples, n_features), chunks=(chunk, n_features))
true_coef = np.linspace(-1.0, 1.0, n_features)
y = X @ true_coef + 0.5 + rng.normal(scale=0.5, size=n_samples, chunks=chunk)
X, y = client.persist([X, y])
print(f"X: {X.nbytes / 1e6:.0f} MB in {X.numblocks[0]} blocks on {len(client.nthreads())} workers")

# %%
# Three solvers on the same objective (mean squared error plus an L2
# penalty). Newton's method and batch gradient descent make full passes
# over the blocks; minibatch walks them, 32 rows per step.
models = {
    "newton": GDRegressor(solver="newton", alpha=1e-3),
    "batch": GDRegressor(solver="batch", learning_rate="line_search", alpha=1e-3, tol=1e-6),
    "minibatch": GDRegressor(
        solver="minibatch",
        learning_rate="constant",
        eta0=0.01,
        alpha=1e-3,
        max_iter=8,
        tol=None,
        random_state=0,
    ),
}
for name, model in models.items():
    model.fit(X, y)
    gap = np.max(np.abs(model.coef_ - models["newton"].coef_))
    print(
        f"{name:>9}: {model.n_iter_:3d} iterations, objective {model.loss_curve_[-1]:.6f}, "
        f"max|coef - newton's| = {gap:.1e}"
    )

# %%
# Predictions are lazy dask arrays, computed block by block on the workers.
prediction = models["newton"].predict(X)
print(type(prediction).__name__, prediction.shape, prediction.chunks[0][:2], "...")
print(f"R² on the first block: {models['newton'].score(X[:chunk], y[:chunk]):.4f}")

# %%
# The loss curves: the objective per iteration (batch, newton) or per epoch
# (minibatch), against Newton's final objective.
fig, ax = plt.subplots(figsize=(6, 4))
best = models["newton"].loss_curve_[-1]
for name, model in models.items():
    curve = np.asarray(model.loss_curve_) - best
    ax.semilogy(np.arange(1, len(curve) + 1), np.maximum(curve, 1e-12), marker="o", label=name)
ax.set_xlabel("iteration (batch, newton) or epoch (minibatch)")
ax.set_ylabel("objective − Newton's final objective")
ax.set_title("GDRegressor on a dask array, 400,000 × 20")
ax.legend()
fig.tight_layout()

# %%
# Close the client and the cluster.
client.close()
cluster.close()

if plt.get_backend().lower() != "agg":
    plt.show()
