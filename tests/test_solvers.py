"""Every solver reaches a known optimum.

The tests are tables of solver settings × problems, in the manner of optax's
tests. Each problem knows its optimum independently of skgd (a closed form, or
a tight L-BFGS-B solution from SciPy) and the objective skgd minimizes:

    J(w, b) = Σ sᵢ loss(yᵢ, xᵢ·w + b) / Σ sᵢ + alpha/2 ||w||²

with squared_error = ½ (p − y)² and log_loss = log(1 + exp(−y p)).

Exact solvers (batch, newton, and momentum on full batches) must reach the
optimal objective to 1e-6 relative; stochastic solvers with a constant step
stop at a noise floor and must come within a few percent.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import minimize
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import ElasticNet, Lasso
from sklearn.preprocessing import StandardScaler

from skgd import GDClassifier, GDRegressor
from skgd._loss import LOSSES, make_loss
from skgd._objective import LinearObjective
from skgd._penalty import make_penalty
from skgd._schedules import Schedule
from skgd._solvers import SOLVERS, EpochState, MomentumStep, PlainStep, first_order_solve

# --------------------------------------------------------------------------
# Problems with a known optimum


class Problem:
    """Data, the estimator that fits them, and the optimum found independently."""

    def __init__(self, name, estimator, X, y, y_fit, sample_weight, alpha, coef, intercept, lip):
        self.name = name
        self.estimator = estimator
        self.X = X
        self.y = y  # targets as the objective sees them ({-1, +1} for log_loss)
        self.y_fit = y_fit  # targets as the estimator is given them
        self.sample_weight = sample_weight
        self.alpha = alpha
        self.coef = coef
        self.intercept = intercept
        self.lipschitz = lip  # of ∇J, intercept included: a safe step is 1 / lip

    @property
    def loss_name(self):
        return "log_loss" if self.estimator is GDClassifier else "squared_error"

    def objective(self):
        """skgd's own LinearObjective for this problem."""
        sample_weight = self.sample_weight
        if sample_weight is None:
            sample_weight = np.ones(self.X.shape[0])
        return LinearObjective(
            make_loss(self.loss_name),
            make_penalty("l2", self.alpha, 0.15),
            self.X,
            self.y,
            sample_weight,
            True,
        )

    def value(self, coef, intercept):
        """J(coef, intercept) computed directly in NumPy."""
        s = np.ones(self.X.shape[0]) if self.sample_weight is None else self.sample_weight
        s = s / s.mean()
        raw = self.X @ coef + intercept
        if self.loss_name == "log_loss":
            data = np.logaddexp(0.0, -self.y * raw)
        else:
            data = 0.5 * (raw - self.y) ** 2
        return float(np.mean(s * data) + 0.5 * self.alpha * coef @ coef)

    @property
    def optimal_value(self):
        return self.value(self.coef, self.intercept)

    def fit(self, **params):
        estimator = self.estimator(
            loss=self.loss_name, penalty="l2", alpha=self.alpha, random_state=0, **params
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            estimator.fit(self.X, self.y_fit, sample_weight=self.sample_weight)
        return np.ravel(estimator.coef_), float(estimator.intercept_[0]), estimator


def _standardized_regression(seed=0):
    X, y = make_regression(200, 5, noise=10.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


def _ridge_problem(weighted):
    X, y = _standardized_regression()
    alpha = 0.05
    n, d = X.shape
    if weighted:
        s = np.random.RandomState(1).uniform(0.2, 3.0, size=n)
    else:
        s = np.ones(n)
    s_norm = s / s.mean()
    # Weighted means; then the ridge system on the centred data.
    x_mean = s_norm @ X / n
    y_mean = s_norm @ y / n
    Xc, yc = X - x_mean, y - y_mean
    coef = np.linalg.solve(
        (Xc * s_norm[:, None]).T @ Xc / n + alpha * np.eye(d), Xc.T @ (s_norm * yc) / n
    )
    intercept = y_mean - x_mean @ coef
    X1 = np.hstack([X, np.ones((n, 1))])
    lip = np.linalg.eigvalsh((X1 * s_norm[:, None]).T @ X1 / n)[-1] + alpha
    return Problem(
        "ridge_weighted" if weighted else "ridge",
        GDRegressor,
        X,
        y,
        y,
        s if weighted else None,
        alpha,
        coef,
        intercept,
        lip,
    )


def _logistic_problem():
    X, y01 = make_classification(
        200, 5, n_informative=3, n_redundant=0, flip_y=0.1, random_state=0
    )
    X = StandardScaler().fit_transform(X)
    y = np.where(y01 == 1, 1.0, -1.0)
    alpha = 0.01
    n, d = X.shape

    def fun(theta):
        w, b = theta[:-1], theta[-1]
        z = y * (X @ w + b)
        value = np.mean(np.logaddexp(0.0, -z)) + 0.5 * alpha * w @ w
        dloss = -y * np.exp(-np.logaddexp(0.0, z))  # −y σ(−z)
        grad = np.concatenate([X.T @ dloss / n + alpha * w, [dloss.mean()]])
        return value, grad

    result = minimize(
        fun,
        np.zeros(d + 1),
        jac=True,
        method="L-BFGS-B",
        tol=1e-15,
        options={"maxiter": 10_000, "gtol": 1e-12, "ftol": 1e-15},
    )
    assert np.max(np.abs(result.jac)) < 1e-8
    X1 = np.hstack([X, np.ones((n, 1))])
    lip = 0.25 * np.linalg.eigvalsh(X1.T @ X1 / n)[-1] + alpha
    return Problem(
        "logistic", GDClassifier, X, y, y01, None, alpha, result.x[:-1], result.x[-1], lip
    )


_PROBLEMS = {}


def get_problem(name):
    if name not in _PROBLEMS:
        _PROBLEMS[name] = {
            "ridge": lambda: _ridge_problem(weighted=False),
            "ridge_weighted": lambda: _ridge_problem(weighted=True),
            "logistic": _logistic_problem,
        }[name]()
    return _PROBLEMS[name]


PROBLEMS = ["ridge", "ridge_weighted", "logistic"]


@pytest.mark.parametrize("problem_name", PROBLEMS)
def test_reference_optimum_is_optimal(problem_name):
    # The reference is a stationary point of skgd's own objective, and the
    # objective agrees with the NumPy formula.
    problem = get_problem(problem_name)
    objective = problem.objective()
    value, gradient, _ = objective.value_gradient_hessian(problem.coef, problem.intercept)
    np.testing.assert_allclose(value, problem.optimal_value, rtol=1e-13)
    np.testing.assert_allclose(
        objective.value(problem.coef, problem.intercept), problem.optimal_value, rtol=1e-13
    )
    assert np.max(np.abs(gradient)) < 1e-8


# --------------------------------------------------------------------------
# Solver settings. Steps are fractions of 1/L, L the Lipschitz constant of ∇J.

# name: (parameters, step as a multiple of 1 / L or None)
EXACT_SOLVERS = {
    "batch": (
        {"solver": "batch", "learning_rate": "constant", "tol": 1e-10, "max_iter": 20_000},
        1.0,
    ),
    "newton": ({"solver": "newton", "tol": 1e-10}, None),
    # A batch covering every row: deterministic heavy-ball / Nesterov steps.
    "momentum_full_batch": (
        {
            "solver": "momentum",
            "batch_size": 10_000,
            "momentum": 0.9,
            "learning_rate": "constant",
            "tol": None,
            "max_iter": 400,
        },
        0.5,
    ),
    "nesterov_full_batch": (
        {
            "solver": "momentum",
            "batch_size": 10_000,
            "momentum": 0.9,
            "nesterov": True,
            "learning_rate": "constant",
            "tol": None,
            "max_iter": 400,
        },
        0.5,
    ),
}

STOCHASTIC_SOLVERS = {
    "sgd": (
        {"solver": "sgd", "learning_rate": "constant", "tol": None, "max_iter": 50},
        0.01,
    ),
    "sgd_averaged": (
        {
            "solver": "sgd",
            "learning_rate": "constant",
            "tol": None,
            "max_iter": 50,
            "average": 200,
        },
        0.05,
    ),
    "minibatch": (
        {
            "solver": "minibatch",
            "batch_size": 8,
            "learning_rate": "constant",
            "tol": None,
            "max_iter": 100,
        },
        0.05,
    ),
    "momentum": (
        {
            "solver": "momentum",
            "batch_size": 8,
            "momentum": 0.9,
            "learning_rate": "constant",
            "tol": None,
            "max_iter": 100,
        },
        0.005,
    ),
    "nesterov": (
        {
            "solver": "momentum",
            "batch_size": 8,
            "momentum": 0.9,
            "nesterov": True,
            "learning_rate": "constant",
            "tol": None,
            "max_iter": 100,
        },
        0.005,
    ),
}


def _fit(problem, settings):
    params, step = settings
    params = dict(params)
    if step is not None:
        params["eta0"] = step / problem.lipschitz
    return problem.fit(**params)


@pytest.mark.parametrize("problem_name", PROBLEMS)
@pytest.mark.parametrize("solver", list(EXACT_SOLVERS))
def test_exact_solvers_reach_the_optimum(solver, problem_name):
    problem = get_problem(problem_name)
    coef, intercept, estimator = _fit(problem, EXACT_SOLVERS[solver])
    optimum = problem.optimal_value
    # Measured with skgd's objective and with the NumPy formula.
    value = problem.objective().value(coef, intercept)
    np.testing.assert_allclose(value, optimum, rtol=1e-6)
    assert problem.value(coef, intercept) >= optimum * (1 - 1e-12)
    scale = max(1.0, np.max(np.abs(problem.coef)))
    np.testing.assert_allclose(coef, problem.coef, rtol=0, atol=1e-4 * scale)
    np.testing.assert_allclose(intercept, problem.intercept, rtol=0, atol=1e-4 * scale)
    assert np.all(np.isfinite(estimator.loss_curve_))
    # The last recorded objective is the value at the returned coefficients.
    np.testing.assert_allclose(estimator.loss_curve_[-1], value, rtol=1e-6)


@pytest.mark.parametrize("problem_name", PROBLEMS)
@pytest.mark.parametrize("solver", ["batch", "newton"])
def test_batch_and_newton_stop_on_the_gradient(solver, problem_name):
    # With tol=1e-10 both stop because the gradient is (nearly) zero, and the
    # coefficients agree with the reference to many digits.
    problem = get_problem(problem_name)
    coef, intercept, estimator = _fit(problem, EXACT_SOLVERS[solver])
    _, gradient, _ = problem.objective().value_gradient_hessian(coef, intercept)
    assert np.max(np.abs(gradient)) <= 1e-9
    assert estimator.n_iter_ < EXACT_SOLVERS[solver][0].get("max_iter", 1000)
    scale = max(1.0, np.max(np.abs(problem.coef)))
    np.testing.assert_allclose(coef, problem.coef, rtol=0, atol=1e-7 * scale)


@pytest.mark.parametrize("problem_name", PROBLEMS)
@pytest.mark.parametrize("solver", list(STOCHASTIC_SOLVERS))
def test_stochastic_solvers_reach_the_noise_floor(solver, problem_name):
    problem = get_problem(problem_name)
    coef, intercept, estimator = _fit(problem, STOCHASTIC_SOLVERS[solver])
    optimum = problem.optimal_value
    value = problem.objective().value(coef, intercept)
    gap = (value - optimum) / optimum
    assert -1e-12 <= gap < 0.02
    assert len(estimator.loss_curve_) == STOCHASTIC_SOLVERS[solver][0]["max_iter"]


@pytest.mark.parametrize("problem_name", PROBLEMS)
def test_stochastic_solvers_improve_with_smaller_steps(problem_name):
    # The noise floor scales with the step: a 10× smaller step (and 10× more
    # updates) gets closer. This checks the gap is a noise floor, not a bias.
    problem = get_problem(problem_name)
    params = {"solver": "minibatch", "batch_size": 8, "learning_rate": "constant", "tol": None}
    optimum = problem.optimal_value
    gaps = []
    for step, max_iter in [(0.5, 20), (0.05, 200)]:
        coef, intercept, _ = problem.fit(
            eta0=step / problem.lipschitz, max_iter=max_iter, **params
        )
        gaps.append(problem.value(coef, intercept) - optimum)
    assert 0 <= gaps[1] < gaps[0]


# --------------------------------------------------------------------------
# The compiled epoch and the generic epoch compute the same iterates

STEP_RULES = {
    "sgd": (lambda: PlainStep(), 1),
    "minibatch": (lambda: PlainStep(), 7),
    "momentum": (lambda: MomentumStep(0.8, nesterov=False), 7),
    "nesterov": (lambda: MomentumStep(0.8, nesterov=True), 7),
}

PENALTIES = {
    "l2": ("l2", 0.01, 0.15),
    "l1": ("l1", 0.05, 0.15),
    "elasticnet": ("elasticnet", 0.05, 0.5),
}

# loss, schedule, fit_intercept
LOSS_SETTINGS = [
    ("squared_error", "invscaling", True),
    ("epsilon_insensitive", "constant", True),
    ("huber", "adaptive", False),
    ("log_loss", "optimal", True),
    ("hinge", "invscaling", False),
    ("modified_huber", "constant", True),
]


def _small_data(sparse):
    rng = np.random.RandomState(0)
    n, d = 40, 6
    X = rng.normal(size=(n, d))
    X[rng.rand(n, d) < 0.4] = 0.0
    y_reg = X @ rng.normal(size=d) + 0.5 + rng.normal(size=n)
    y_clf = np.where(X @ rng.normal(size=d) + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    sample_weight = rng.uniform(0.5, 2.0, size=n)
    return (sp.csr_matrix(X) if sparse else X), y_reg, y_clf, sample_weight


def _run_first_order(
    loss_name, schedule_kind, fit_intercept, penalty, rule, sparse, compiled, average=3
):
    X, y_reg, y_clf, sample_weight = _small_data(sparse)
    loss = make_loss(loss_name, epsilon=0.3)
    y = y_clf if loss.is_classification else y_reg
    penalty_args = PENALTIES[penalty] if isinstance(penalty, str) else penalty
    objective = LinearObjective(
        loss, make_penalty(*penalty_args), X, y, sample_weight, fit_intercept
    )
    make_step, batch_size = STEP_RULES[rule]
    step_rule = make_step()
    schedule = Schedule(schedule_kind, eta0=0.05, power_t=0.25, alpha=penalty_args[1], loss=loss)
    coef = np.zeros(X.shape[1])
    state = EpochState(coef, 0.0, step_rule.init(coef))
    result = first_order_solve(
        objective,
        state,
        step_rule=step_rule,
        schedule=schedule,
        batch_size=batch_size,
        max_iter=4,
        tol=None,
        random_state=np.random.RandomState(42),
        average=average,
        compiled=compiled,
    )
    return result, state


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("penalty", list(PENALTIES))
@pytest.mark.parametrize("rule", list(STEP_RULES))
@pytest.mark.parametrize(
    "loss_name, schedule_kind, fit_intercept", LOSS_SETTINGS, ids=[s[0] for s in LOSS_SETTINGS]
)
def test_compiled_and_generic_paths_agree(
    loss_name, schedule_kind, fit_intercept, rule, penalty, sparse
):
    compiled, compiled_state = _run_first_order(
        loss_name, schedule_kind, fit_intercept, penalty, rule, sparse, compiled=True
    )
    generic, generic_state = _run_first_order(
        loss_name, schedule_kind, fit_intercept, penalty, rule, sparse, compiled=False
    )
    # Averaged coefficients, returned because average=3 updates have passed.
    np.testing.assert_allclose(compiled.coef, generic.coef, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(compiled.intercept, generic.intercept, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(compiled.loss_curve, generic.loss_curve, rtol=1e-10)
    assert compiled.t == generic.t
    assert compiled.n_iter == generic.n_iter == 4
    if not fit_intercept:
        assert compiled.intercept == generic.intercept == 0.0
    # The raw iterate (not only the average) and the velocity agree too.
    np.testing.assert_allclose(compiled_state.coef, generic_state.coef, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(
        compiled_state.intercept, generic_state.intercept, rtol=1e-10, atol=1e-14
    )
    if rule in ("momentum", "nesterov"):
        np.testing.assert_allclose(
            compiled_state.step_state.coef, generic_state.step_state.coef, rtol=1e-10, atol=1e-14
        )
        np.testing.assert_allclose(
            compiled_state.step_state.intercept,
            generic_state.step_state.intercept,
            rtol=1e-10,
            atol=1e-14,
        )
    # The run moved away from the start: the comparison is not vacuous.
    assert np.max(np.abs(compiled_state.coef)) > 1e-3


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("rule", ["sgd", "minibatch"])
@pytest.mark.parametrize("alpha", [10.0, 20.0], ids=["scale-folded", "clamped-to-zero"])
def test_lazy_average_survives_rescaling(alpha, rule, sparse):
    # eta·alpha = 0.5 shrinks the scale below 1e-9 within 30 steps, which
    # folds it into the weights; eta·alpha = 1 clamps the weights to zero.
    # The compiled path's lazy average must follow both, as the generic
    # path's dense average does.
    penalty = ("l2", alpha, 0.15)
    runs = [
        _run_first_order("squared_error", "constant", True, penalty, rule, sparse, c, average=5)
        for c in (True, False)
    ]
    (compiled, _), (generic, _) = runs
    np.testing.assert_allclose(compiled.coef, generic.coef, rtol=1e-10, atol=1e-14)
    assert np.max(np.abs(generic.coef)) > 1e-6


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("rule", ["sgd", "minibatch"])
def test_compiled_and_generic_paths_keep_the_same_exact_zeros(rule, sparse):
    # Without averaging, a strong L1 penalty on the plain step leaves exact
    # zeros, the same ones on both paths.
    strong_l1 = ("l1", 0.3, 0.15)
    compiled, generic = [
        _run_first_order("squared_error", "constant", True, strong_l1, rule, sparse, c, average=0)[
            0
        ]
        for c in (True, False)
    ]
    assert 0 < np.sum(compiled.coef == 0.0) < compiled.coef.size
    np.testing.assert_array_equal(compiled.coef == 0.0, generic.coef == 0.0)
    np.testing.assert_allclose(compiled.coef, generic.coef, rtol=1e-10, atol=1e-14)


# --------------------------------------------------------------------------
# Reproducibility


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("estimator", [GDRegressor, GDClassifier])
def test_fixed_random_state_is_bit_identical(estimator, solver):
    X, y = _standardized_regression()
    if estimator is GDClassifier:
        y = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))  # three classes: one-vs-rest
        params = {"loss": "log_loss"}
    else:
        params = {}
    params.update(solver=solver, batch_size=8, max_iter=5, tol=None, random_state=7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = estimator(**params).fit(X, y)
        second = estimator(**params).fit(X, y)
        other = estimator(**{**params, "random_state": 8}).fit(X, y)
    assert np.array_equal(first.coef_, second.coef_)
    assert np.array_equal(first.intercept_, second.intercept_)
    assert first.loss_curve_ == second.loss_curve_
    if solver in ("sgd", "minibatch", "momentum"):
        # The seed does matter: another one shuffles differently.
        assert not np.array_equal(first.coef_, other.coef_)
    else:
        # Deterministic solvers ignore it.
        assert np.array_equal(first.coef_, other.coef_)


# --------------------------------------------------------------------------
# The objective's derivatives


def _objective_data(sparse, loss_name, fit_intercept, seed=0):
    rng = np.random.RandomState(seed)
    n, d = 50, 4
    X = rng.normal(size=(n, d))
    coef = rng.normal(size=d)
    intercept = 0.3 if fit_intercept else 0.0
    loss = make_loss(loss_name, epsilon=0.5)
    if loss.is_classification:
        y = np.where(rng.rand(n) < 0.5, 1.0, -1.0)
    else:
        y = X @ rng.normal(size=d) + rng.normal(size=n)
    sample_weight = rng.uniform(0.2, 3.0, size=n)
    objective = LinearObjective(
        loss,
        make_penalty("l2", 0.1, 0.15),
        sp.csr_matrix(X) if sparse else X,
        y,
        sample_weight,
        fit_intercept,
    )
    return objective, coef, intercept


def _numerical_gradient(f, theta, h=1e-6):
    grad = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = h
        grad[j] = (f(theta + e) - f(theta - e)) / (2 * h)
    return grad


SMOOTH_LOSSES = [
    "squared_error",
    "huber",
    "squared_epsilon_insensitive",
    "log_loss",
    "modified_huber",
    "squared_hinge",
]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss_name", SMOOTH_LOSSES)
def test_gradient_hessian_matches_finite_differences(loss_name, fit_intercept, sparse):
    objective, coef, intercept = _objective_data(sparse, loss_name, fit_intercept)
    d = coef.size

    def split(theta):
        return theta[:d], (theta[d] if fit_intercept else 0.0)

    def value(theta):
        return objective.value(*split(theta))

    def gradient(theta):
        return objective.value_gradient_hessian(*split(theta))[1]

    theta = np.concatenate([coef, [intercept]]) if fit_intercept else coef.copy()
    value_at, grad, hessian = objective.value_gradient_hessian(coef, intercept)
    n_params = d + int(fit_intercept)
    assert grad.shape == (n_params,) and hessian.shape == (n_params, n_params)
    np.testing.assert_allclose(value_at, value(theta), rtol=1e-14)
    np.testing.assert_allclose(grad, _numerical_gradient(value, theta), rtol=1e-6, atol=1e-8)
    # Row i: differences of the gradient along each parameter; symmetric anyway.
    numerical_hessian = np.stack(
        [_numerical_gradient(lambda t, i=i: gradient(t)[i], theta) for i in range(n_params)]
    )
    np.testing.assert_allclose(hessian, numerical_hessian, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-14)
    # The Hessian is positive semi-definite, and definite with the l2 penalty.
    assert np.linalg.eigvalsh(hessian[:d, :d])[0] >= 0.1 - 1e-12


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
def test_loss_gradient_matches_finite_differences(loss_name, fit_intercept, sparse):
    # The data term only (no penalty), over all rows; every loss, at points
    # that are (with probability one) away from the kinks.
    objective, coef, intercept = _objective_data(sparse, loss_name, fit_intercept, seed=1)
    d = coef.size

    def data_loss(theta):
        return objective.data_loss(theta[:d], theta[d])

    theta = np.concatenate([coef, [intercept]])
    loss, grad_coef, grad_intercept = objective.loss_gradient(coef, intercept)
    np.testing.assert_allclose(loss, objective.data_loss(coef, intercept), rtol=1e-14)
    numerical = _numerical_gradient(data_loss, theta)
    np.testing.assert_allclose(grad_coef, numerical[:d], rtol=1e-6, atol=1e-8)
    if fit_intercept:
        np.testing.assert_allclose(grad_intercept, numerical[d], rtol=1e-6, atol=1e-8)
    else:
        assert grad_intercept == 0.0


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_loss_gradient_over_rows(sparse):
    # Over a subset the weighted sums are divided by the number of rows, with
    # the weights normalized over all rows once.
    objective, coef, intercept = _objective_data(sparse, "log_loss", True)
    X = objective.X.toarray() if sparse else objective.X
    rows = np.array([3, 17, 4, 40, 22, 9, 0])
    s = objective.sample_weight[rows]
    np.testing.assert_allclose(objective.sample_weight.mean(), 1.0, rtol=1e-14)
    raw = X[rows] @ coef + intercept
    y = objective.y[rows]
    loss, grad_coef, grad_intercept = objective.loss_gradient(coef, intercept, rows)
    per_sample = objective.loss.gradient(y, raw)
    np.testing.assert_allclose(loss, np.sum(s * objective.loss.loss(y, raw)) / 7, rtol=1e-13)
    np.testing.assert_allclose(grad_coef, X[rows].T @ (s * per_sample) / 7, rtol=1e-13)
    np.testing.assert_allclose(grad_intercept, np.sum(s * per_sample) / 7, rtol=1e-13)
    # Batches partitioning the rows average back to the full data term.
    order = np.random.RandomState(0).permutation(objective.n_samples)
    batches = np.array_split(order, 5)
    total = sum(objective.loss_gradient(coef, intercept, b)[0] * b.size for b in batches)
    np.testing.assert_allclose(total / objective.n_samples, objective.data_loss(coef, intercept))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("loss_name", ["log_loss", "squared_error", "huber", "modified_huber"])
def test_one_pass_step_matches_separate_passes(loss_name, fit_intercept, dtype, monkeypatch):
    # The compiled pass gives the step's raw predictions and the value and
    # gradient at the trial point, with rows split over several threads.
    from skgd._objective import Objective, _step_pass

    monkeypatch.setattr(_step_pass, "MIN_ROWS_PER_THREAD", 10)
    objective, coef, intercept = _objective_data(False, loss_name, fit_intercept)
    objective = LinearObjective(
        objective.loss,
        objective.penalty,
        objective.X.astype(dtype),
        objective.y.astype(dtype),
        objective.sample_weight.astype(dtype),
        fit_intercept,
    )
    w = objective.pack(coef.astype(dtype), intercept)
    step = np.random.RandomState(1).normal(size=w.shape).astype(dtype)
    raw = objective.raw_prediction(*objective.unpack(w))
    fused = objective.step_value_gradient(w, raw, step, 0.5)
    separate = Objective.step_value_gradient(objective, w, raw, step, 0.5)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for got, expected in zip(fused, separate, strict=True):
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol)
    assert fused[0].dtype == fused[2].dtype == dtype


@pytest.mark.parametrize("loss_name", ["log_loss", "squared_error"])
def test_one_pass_evaluates_several_trials(loss_name):
    # The trials of a line search share the pass: each trial's loss and
    # gradient equal those of a pass of its own.
    from skgd._objective._step_pass import step_pass

    objective, coef, intercept = _objective_data(False, loss_name, True)
    raw = objective.raw_prediction(coef, intercept)
    direction = np.random.RandomState(2).normal(size=coef.shape)
    args = (objective.X, raw, direction, 0.3)
    rest = (objective.y, objective.sample_weight, objective.loss)
    scales = [-1.0, -0.5, 0.25]
    raw_step, losses, grads, grad_intercepts, _ = step_pass(*args, scales, *rest, n_threads=1)
    assert losses.shape == grad_intercepts.shape == (3,)
    assert grads.shape == (3, coef.shape[0])
    for t, scale in enumerate(scales):
        one = step_pass(*args, [scale], *rest)
        np.testing.assert_allclose(one[0], raw_step, rtol=1e-14)
        np.testing.assert_allclose(one[1][0], losses[t], rtol=1e-12)
        np.testing.assert_allclose(one[2][0], grads[t], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(one[3][0], grad_intercepts[t], rtol=1e-12, atol=1e-12)


def test_one_pass_log_loss_keeps_tiny_losses():
    # log(1 + e^−z) for z = 40 or 50 is about e^−z: the pass (compiled with
    # reassociation for its row products) must not round it to 0.
    from skgd._loss import LogLoss
    from skgd._objective._step_pass import step_pass

    raw = np.array([40.0, 50.0, 700.0])
    X, y, weight = np.ones((3, 1)), np.ones(3), np.ones(3)
    _, losses, _, _, _ = step_pass(X, raw, np.zeros(1), 0.0, [1.0], y, weight, LogLoss())
    np.testing.assert_allclose(losses[0], np.sum(np.log1p(np.exp(-raw))), rtol=1e-14)
    assert losses[0] > 0.0


def test_one_pass_step_counts_clipped_derivatives():
    objective, coef, intercept = _objective_data(False, "squared_error", True)
    w = objective.pack(coef, intercept)
    raw = objective.raw_prediction(coef, intercept)
    step = np.zeros_like(w)
    step[-1] = 1e13  # every residual beyond MAX_DLOSS
    _, value, grad = objective.step_value_gradient(w, raw, step, 1.0)
    assert objective.n_clipped == objective.n_samples
    assert np.isfinite(value) and np.all(np.isfinite(grad))


# --------------------------------------------------------------------------
# L1 by proximal batch gradient descent


def _sparse_truth_data():
    rng = np.random.RandomState(0)
    n, d = 200, 10
    X = StandardScaler().fit_transform(rng.normal(size=(n, d)))
    true_coef = np.zeros(d)
    true_coef[:3] = [3.0, -2.0, 1.5]
    y = X @ true_coef + 1.0 + 0.5 * rng.normal(size=n)
    return X, y


def _lasso_objective(X, y, coef, intercept, alpha, l1_ratio):
    # scikit-learn's ElasticNet: 1/(2n)||y − Xw − b||² + alpha l1_ratio ||w||₁
    # + alpha (1 − l1_ratio)/2 ||w||², which is skgd's squared_error objective.
    r = y - X @ coef - intercept
    return (
        0.5 * np.mean(r * r)
        + alpha * l1_ratio * np.sum(np.abs(coef))
        + 0.5 * alpha * (1 - l1_ratio) * coef @ coef
    )


@pytest.mark.parametrize(
    "penalty, l1_ratio, alpha",
    [("l1", 1.0, 0.1), ("l1", 1.0, 0.3), ("elasticnet", 0.5, 0.2), ("elasticnet", 0.85, 0.1)],
)
def test_batch_l1_matches_lasso(penalty, l1_ratio, alpha):
    X, y = _sparse_truth_data()
    if penalty == "l1":
        reference = Lasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, y)
    else:
        reference = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, tol=1e-14, max_iter=100_000)
        reference.fit(X, y)
    X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    lip = np.linalg.eigvalsh(X1.T @ X1 / X.shape[0])[-1]
    reg = GDRegressor(
        solver="batch",
        penalty=penalty,
        alpha=alpha,
        l1_ratio=l1_ratio,
        learning_rate="constant",
        eta0=1.0 / lip,
        tol=1e-10,
        max_iter=20_000,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.fit(X, y)
    # The irrelevant features are exact zeros, as in the reference.
    assert np.all(reference.coef_[3:] == 0.0)
    assert np.all(reg.coef_[3:] == 0.0)
    assert np.all(reg.coef_[:3] != 0.0)
    np.testing.assert_allclose(reg.coef_, reference.coef_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(reg.intercept_, reference.intercept_, rtol=0, atol=1e-7)
    ours = _lasso_objective(X, y, reg.coef_, reg.intercept_[0], alpha, l1_ratio)
    theirs = _lasso_objective(X, y, reference.coef_, reference.intercept_, alpha, l1_ratio)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    np.testing.assert_allclose(reg.loss_curve_[-1], ours, rtol=1e-10)


def test_batch_l1_zeros_every_coefficient_above_alpha_max():
    # Above alpha_max = max|Xcᵀ yc| / n the lasso solution is w = 0, b = ȳ.
    X, y = _sparse_truth_data()
    alpha_max = np.max(np.abs((X - X.mean(0)).T @ (y - y.mean()))) / X.shape[0]
    reg = GDRegressor(
        solver="batch",
        penalty="l1",
        alpha=1.01 * alpha_max,
        learning_rate="constant",
        eta0=0.5,
        tol=1e-10,
        max_iter=5000,
    ).fit(X, y)
    assert np.all(reg.coef_ == 0.0)
    np.testing.assert_allclose(reg.intercept_[0], y.mean(), rtol=1e-8)


# --------------------------------------------------------------------------
# Batch gradient descent with the backtracking line search


@pytest.mark.parametrize("problem_name", PROBLEMS)
@pytest.mark.parametrize("eta0", [1e-6, 1.0, 1e6])
def test_line_search_reaches_the_optimum_whatever_eta0(problem_name, eta0):
    # The step is found by backtracking and grows by doubling, so eta0 only
    # sets where the search starts: six orders of magnitude either way work.
    problem = get_problem(problem_name)
    coef, intercept, estimator = problem.fit(
        solver="batch", learning_rate="line_search", eta0=eta0, tol=1e-9, max_iter=5000
    )
    rel_gap = (problem.value(coef, intercept) - problem.optimal_value) / problem.optimal_value
    assert rel_gap < 1e-6
    np.testing.assert_allclose(coef, problem.coef, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("penalty", ["l2", "elasticnet", None])
def test_line_search_decreases_the_objective_monotonically(penalty):
    # Unscaled features (around 100) make any fixed step either diverge or
    # crawl; the line search still descends at every iteration.
    rng = np.random.RandomState(0)
    X = rng.normal(loc=100.0, scale=3.0, size=(300, 4))
    y = X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(size=300)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est = GDRegressor(
            solver="batch", learning_rate="line_search", penalty=penalty, max_iter=200
        ).fit(X, y)
    curve = np.asarray(est.loss_curve_)
    assert np.all(np.isfinite(curve))
    assert np.all(np.diff(curve) <= 1e-12 * np.abs(curve[:-1]))
    # Ill-conditioned as it is, 200 iterations still cut the objective by 4.
    assert curve[-1] < 0.25 * curve[0]


@pytest.mark.parametrize("solver", ["sgd", "minibatch", "momentum"])
def test_line_search_needs_the_batch_solver(solver):
    X, y = _standardized_regression()
    with pytest.raises(ValueError, match="solver='batch'"):
        GDRegressor(solver=solver, learning_rate="line_search").fit(X, y)


# --------------------------------------------------------------------------
# The multinomial compiled epoch


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("penalty", ["l2", "l1", "elasticnet"])
@pytest.mark.parametrize(
    "step_rule", [PlainStep(), MomentumStep(0.9), MomentumStep(0.9, nesterov=True)]
)
@pytest.mark.parametrize("batch_size", [1, 7])
def test_multinomial_compiled_and_generic_paths_agree(sparse, penalty, step_rule, batch_size):
    from skgd._loss import LogLoss
    from skgd._objective._multinomial import MultinomialObjective

    X, y = make_classification(200, 6, n_informative=4, n_classes=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    X[np.abs(X) < 0.3] = 0.0  # explicit zeros: the L1 truncation skips them
    X = sp.csr_matrix(X) if sparse else X
    sample_weight = np.random.RandomState(0).uniform(0.5, 2.0, size=200)
    results = []
    for compiled in (True, False):
        objective = MultinomialObjective(
            make_penalty(penalty, 1e-2, 0.5), X, y, sample_weight, True, 3
        )
        coef = np.zeros((3, 6))
        state = EpochState(coef, np.zeros(3), step_rule.init(coef))
        results.append(
            first_order_solve(
                objective,
                state,
                step_rule=step_rule,
                schedule=Schedule("invscaling", eta0=0.05, power_t=0.25, loss=LogLoss()),
                batch_size=batch_size,
                max_iter=4,
                tol=None,
                random_state=np.random.RandomState(0),
                average=3,
                compiled=compiled,
            )
        )
    compiled_result, generic_result = results
    np.testing.assert_allclose(compiled_result.coef, generic_result.coef, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(
        compiled_result.intercept, generic_result.intercept, rtol=1e-10, atol=1e-13
    )
    np.testing.assert_allclose(compiled_result.loss_curve, generic_result.loss_curve, rtol=1e-10)
