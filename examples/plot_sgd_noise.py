"""
=================================
The noise of stochastic gradients
=================================

Batch gradient descent steps along the exact gradient of the objective;
``solver="sgd"`` steps along the gradient of a single row, and
``solver="minibatch"`` along the mean gradient of ``batch_size`` rows. The
sampled gradients are right on average but noisy, and with a constant step
the noise never dies down: the iterate keeps jumping around the minimum, the
more so the smaller the batch.

To compare the solvers fairly, this example counts the rows whose gradient
each one has evaluated (an epoch of any solver, or an iteration of batch
gradient descent, touches every row once), and measures the exact
objective along the way.
"""

# %%
# The data: a standardized least-squares problem, and the minimum ``J*`` of
# its objective by Newton's method.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_regression
from sklearn.preprocessing import StandardScaler

from skgd import GDRegressor

X, y = make_regression(n_samples=2_000, n_features=20, noise=20.0, random_state=0)
X = StandardScaler().fit_transform(X)
y = (y - y.mean()) / y.std()
n_samples = X.shape[0]
alpha = 1e-4


def objective(model):
    """The exact objective J(w, b): mean half squared error plus the L2 penalty."""
    residual = X @ model.coef_ + model.intercept_[0] - y
    return 0.5 * np.mean(residual**2) + 0.5 * alpha * model.coef_ @ model.coef_


minimum = objective(GDRegressor(solver="newton", alpha=alpha, tol=1e-12).fit(X, y))
print(f"J* = {minimum:.6f}")

# %%
# Measuring the objective along the way
# -------------------------------------
# ``loss_curve_`` has one value per epoch, and for the sampled solvers that
# value is the mean of the per-sample losses met during the epoch, an
# average that hides the noise. To see the iterate itself, feed the rows to
# ``partial_fit`` in chunks and compute the exact objective after each chunk.
# For ``sgd`` and ``minibatch`` a ``partial_fit`` call is one pass over the
# chunk in steps of ``batch_size`` rows, and it carries the step counter and
# the solver state over to the next call, so consecutive chunks of a stream
# of shuffled epochs take the same steps as ``fit`` would on that stream.
# The chunks end at log-spaced row counts, multiples of the batch size.
n_epochs = 40
budget = n_epochs * n_samples
rng = np.random.RandomState(0)
stream = np.concatenate([rng.permutation(n_samples) for _ in range(n_epochs)])


def trace(model, batch_size, n_points=100):
    """Rows touched and J - J* after each chunk of a partial_fit run over ``stream``."""
    ends = np.geomspace(batch_size, budget, n_points) / batch_size
    ends = np.unique(np.ceil(ends).astype(int) * batch_size)
    gaps, start = [], 0
    for end in ends:
        rows = stream[start:end]
        model.partial_fit(X[rows], y[rows])
        gaps.append(objective(model) - minimum)
        start = end
    return ends, np.asarray(gaps)


# %%
# Every solver takes the same constant step ``eta0``, so that only the
# noise of the gradient differs. Batch gradient descent, whose gradient is
# exact, can afford a far larger step: it is drawn a second time with
# ``eta0 = 1 / L``, ``L`` the largest eigenvalue of the Hessian.
eta0 = 0.02
traces = {}
for batch_size in [1, 8, 64, 512]:
    solver = "sgd" if batch_size == 1 else "minibatch"
    model = GDRegressor(
        solver=solver,
        batch_size=batch_size,
        learning_rate="constant",
        eta0=eta0,
        alpha=alpha,
        shuffle=False,  # the stream is shuffled already
    )
    label = "sgd" if batch_size == 1 else f"minibatch, batch_size={batch_size}"
    traces[label] = trace(model, batch_size)

X_ones = np.hstack([X, np.ones((n_samples, 1))])
hessian = X_ones.T @ X_ones / n_samples + alpha * np.diag([1.0] * X.shape[1] + [0.0])
L = np.linalg.eigvalsh(hessian)[-1]
for label, step in {"batch": eta0, "batch, eta0 = 1 / L": 1 / L}.items():
    # Batch gradient descent: loss_curve_ is the exact objective after each iteration.
    model = GDRegressor(solver="batch", learning_rate="constant", eta0=step, alpha=alpha, tol=None)
    model.set_params(max_iter=n_epochs).fit(X, y)
    rows = np.arange(1, n_epochs + 1) * n_samples
    traces[label] = (rows, np.asarray(model.loss_curve_) - minimum)

print(f"eta0 = {eta0}, 1 / L = {1 / L:.3f}")
print(f"{'solver':<30}{'final J - J*':>14}{'J - J* over the last 20 %':>28}")
for label, (rows, gap) in traces.items():
    tail = gap[rows > 0.8 * budget]
    print(f"{label:<30}{gap[-1]:>14.2e}{tail.min():>14.2e} to {tail.max():.2e}")

# %%
# What ``loss_curve_`` shows for sgd
# ----------------------------------
# For ``sgd``, a plain ``fit`` for 10 epochs next to the exact objective
# every 100 rows of a ``partial_fit`` run with the same step. The epoch
# means in ``loss_curve_`` run smoothly through the band of noise, with none
# of its spikes: they average the losses met over a whole epoch.
n_short = 10
short_stream = stream[: n_short * n_samples]
sgd = GDRegressor(learning_rate="constant", eta0=eta0, alpha=alpha, shuffle=False)
fine_rows, fine_gap = [], []
for end in range(100, n_short * n_samples + 1, 100):
    rows = short_stream[end - 100 : end]
    sgd.partial_fit(X[rows], y[rows])
    fine_rows.append(end)
    fine_gap.append(objective(sgd) - minimum)
fitted = GDRegressor(
    learning_rate="constant", eta0=eta0, alpha=alpha, tol=None, max_iter=n_short, random_state=0
).fit(X, y)

# %%
# Left: per row touched, the smaller the batch, the sooner the objective
# falls and the higher the band of noise it then settles into (the largest
# batches have not reached theirs within the 40 epochs). Batch gradient
# descent with the same step descends smoothly and slowly; with its own
# step it converges smoothly, and fast, down to rounding error. Right: the
# same sgd noise, and what ``loss_curve_`` reports of it.
fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), width_ratios=[1.3, 1])
for label, (rows, gap) in traces.items():
    style = dict(ls="--", color="k") if label.startswith("batch,") else {}
    left.plot(rows, gap, label=label, lw=1.2, **style)
left.set_xscale("log")
left.set_yscale("log")
# Batch gradient descent with eta0 = 1 / L goes on down to rounding error.
left.set_ylim(1e-8, 1)
left.set_xlabel("rows touched (gradient evaluations of one row)")
left.set_ylabel("exact J − J*")
left.set_title(f"Same constant step eta0 = {eta0}: noise against batch size")
left.legend(fontsize=9)

epochs = np.asarray(fine_rows) / n_samples
right.plot(epochs, fine_gap, lw=0.8, label="exact J − J*, every 100 rows")
right.plot(
    np.arange(1, n_short + 1),
    np.asarray(fitted.loss_curve_) - minimum,
    "o-",
    color="tab:red",
    label="loss_curve_ − J* (epoch mean)",
)
right.set_yscale("log")
right.set_xlabel("epoch")
right.set_ylabel("J − J*")
right.set_title("sgd: the iterate against loss_curve_")
right.legend(fontsize=9)
fig.tight_layout()
if plt.get_backend().lower() != "agg":
    plt.show()
