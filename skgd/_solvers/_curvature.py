"""Curvature strategies for Newton's method: how the system ``H e = −g`` is solved.

A strategy computes the curvature at a point (:meth:`curvature`) and turns
it into a solver of the Newton system (:meth:`solver`). When the curvature
it computed cannot be trusted, the strategy hands over to a better one at
the same point, which then replaces it for the rest of the fit: a fallback
is a strategy replacing itself.

- :class:`CholeskyCurvature`: the exact Hessian, solved by its Cholesky
  factor (damped only when that fails);
- :class:`Float32GramCurvature`: the Hessian with ``Xᵀ D X`` summed in
  float32, while the factor's conditioning is within float32's reach; then
  Cholesky on float64 Hessians;
- :class:`SampledCurvature`: the Hessian of a sample of rows, while the
  step's estimated error is small; then the full Hessian;
- :class:`ConjugateGradientCurvature`: truncated Newton, conjugate gradients
  on Hessian-vector products, with no Newton decrement;
- :class:`PreconditionedCurvature`: the same, preconditioned by the Hessian
  of a small sample of rows, where the parameters are many.

:func:`choose_curvature` picks one from the objective's declared flags and
the thresholds of :class:`CurvatureOptions`.

Sampled Hessians
----------------
A Newton step needs the Hessian only as a preconditioner: the gradient, the
line search and the stopping rule stay exact, so a Hessian estimated from a
sample of the rows still converges to the same minimum, at a linear rate set
by the sample's error (Byrd, Chin, Neveitt and Nocedal, 2011, "On the use of
stochastic Hessian information in optimization methods for machine
learning"). On n × d data the Hessian costs O(n d²) and the gradient O(n d),
so a sample of n/8 rows makes most iterations several times cheaper.

The sample is split into two disjoint halves A and B, each an unbiased
estimate ``H_A``, ``H_B`` of the Hessian. ``Δ = (H_A − H_B) / 2`` has the
spread of the sample's own error, so the relative error of the Newton step
``e`` in the Hessian's norm is estimated by ``‖H⁻¹ Δ e‖_H / ‖e‖_H``. A step
whose estimated error exceeds ``max_step_error`` is recomputed with the full
Hessian, and the sample is not used again in that fit: the data have shown
that the sample is too small to steer them.
"""

from typing import NamedTuple

import numpy as np
from scipy.linalg.lapack import get_lapack_funcs
from sklearn.utils._array_api import device as array_device

MAX_DAMPING_TRIES = 30


class CurvatureOptions(NamedTuple):
    """The thresholds that choose and guard the curvature strategies.

    Attributes
    ----------
    cg_min_features : int, default=1000
        Truncated Newton (conjugate gradients) beyond this many features,
        where the objective has Hessian-vector products: there a dense
        Hessian would cost O(n d²) time and O(d²) memory; below, Cholesky is
        exact and cheap.
    max_cg_iter : int, default=250
        Conjugate-gradient iterations per Newton step, at most.
    low_precision_min_work : float, default=5e7
        Dense float64 Hessians are summed in float32, twice as fast, once
        the Gram product ``Xᵀ D X`` costs this many multiply-adds (n d²):
        there it dominates an iteration.
    low_precision_max_condition : float, default=1e4
        A float32 Hessian gives a direction with a relative error of about
        cond(H) times float32's rounding, so it is kept only while a lower
        bound of cond(H) from its Cholesky factor stays below this. The
        gradient, the line search and the stopping rule stay in float64.
    sample_min_work : float, default=5e7
        Sampled Hessians only where the full one costs this many
        multiply-adds (n d²).
    min_sample_rows_per_param : int, default=40
        ... and where the sample still has this many rows per parameter: an
        estimate from fewer rows is too noisy to steer.
    sample_fraction : float, default=1/8
        Rows sampled, as a fraction of the data.
    max_step_error : float, default=0.25
        The step's relative error that a sample may leave: the local linear
        rate of convergence it gives, the rate at which the solver also
        keeps a stale Hessian (``REUSE`` in :mod:`skgd._solvers._newton`).
    sample_seed : int, default=0
        The sample is fixed per fit; a fixed seed keeps Newton deterministic,
        as it is on every other kind of data.
    preconditioned_min_params : int, default=256
        Conjugate gradients on exact Hessian-vector products, preconditioned
        by a sampled Hessian, from this many parameters P on: the full
        Hessian costs about P/4 passes over X there (a multinomial fit's
        K·(d + 1) parameters reach it soonest), and the Newton step needs
        only a few products.
    preconditioner_rows_per_param : int, default=4
        The preconditioner's sample: this many rows per parameter, and used
        only where that is at most half the rows. Its error costs
        conjugate-gradient iterations, never accuracy.

    Examples
    --------
    >>> from skgd._solvers._curvature import CurvatureOptions
    >>> CurvatureOptions().cg_min_features
    1000
    >>> CurvatureOptions(cg_min_features=0).cg_min_features
    0
    """

    cg_min_features: int = 1000
    max_cg_iter: int = 250
    low_precision_min_work: float = 5e7
    low_precision_max_condition: float = 1e4
    sample_min_work: float = 5e7
    min_sample_rows_per_param: int = 40
    sample_fraction: float = 1 / 8
    max_step_error: float = 0.25
    sample_seed: int = 0
    preconditioned_min_params: int = 256
    preconditioner_rows_per_param: int = 4


#: The thresholds Newton's method uses unless told otherwise.
DEFAULT_OPTIONS = CurvatureOptions()


class Curvature(NamedTuple):
    """The curvature at one point, as a strategy computed it.

    Attributes
    ----------
    hessian : array of shape (n_params, n_params), or callable
        The (estimated) Hessian, or ``v ↦ H v`` for conjugate gradients.
    spread : array of shape (n_params, n_params) or None
        The spread ``Δ`` of a sampled Hessian's error; None when exact.
    preconditioner : array of shape (n_params, n_params) or None
        An estimate of the Hessian that preconditions conjugate gradients.
    """

    hessian: object
    spread: object = None
    preconditioner: object = None


def choose_curvature(objective, options=DEFAULT_OPTIONS):
    """The curvature strategy for ``objective``, from its flags and ``options``.

    Parameters
    ----------
    objective : Objective
    options : CurvatureOptions

    Returns
    -------
    strategy : CholeskyCurvature, Float32GramCurvature, SampledCurvature or
        ConjugateGradientCurvature

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._loss import HalfSquaredError
    >>> from skgd._objective import LinearObjective
    >>> from skgd._penalty import Penalty
    >>> from skgd._solvers._curvature import CurvatureOptions, choose_curvature
    >>> X, y = np.eye(3), np.arange(3.0)
    >>> objective = LinearObjective(HalfSquaredError(), Penalty(), X, y, np.ones(3), True)
    >>> type(choose_curvature(objective)).__name__
    'CholeskyCurvature'
    >>> options = CurvatureOptions(cg_min_features=0)
    >>> type(choose_curvature(objective, options)).__name__
    'ConjugateGradientCurvature'
    """
    if objective.has_hessian_product and objective.n_features > options.cg_min_features:
        return ConjugateGradientCurvature(options.max_cg_iter)
    if PreconditionedCurvature.pays(objective, options):
        n_rows = options.preconditioner_rows_per_param * objective.n_params
        sample = HessianSample(
            objective.n_samples, n_rows / objective.n_samples, options.sample_seed
        )
        return PreconditionedCurvature(sample, options.max_cg_iter)
    if _low_precision_pays(objective, options):
        full = Float32GramCurvature(options.low_precision_max_condition)
    else:
        full = CholeskyCurvature()
    if HessianSample.pays(objective, options):
        sample = HessianSample(objective.n_samples, options.sample_fraction, options.sample_seed)
        return SampledCurvature(sample, full, options.max_step_error)
    return full


def _low_precision_pays(objective, options):
    """Whether to sum the Hessian in float32 (see ``low_precision_min_work``)."""
    X = objective.X
    return (
        isinstance(X, np.ndarray)
        and X.dtype == np.float64
        and not objective.loss.constant_hessian
        and objective.n_samples * objective.n_features**2 >= options.low_precision_min_work
    )


class CurvatureStrategy:
    """How Newton's method gets curvature at a point and solves its system there.

    The class attributes declare what the solver may rely on; subclasses
    implement :meth:`curvature` and :meth:`solver`.
    """

    #: ``½ gᵀ H⁻¹ g`` can be read from the solver (a stopping criterion).
    gives_decrement = True
    #: The curvature is a dense matrix: a fused pass can return it, and its
    #: factor can serve another iteration.
    dense_hessian = True
    #: ``Xᵀ D X`` summed in float32 (also in a fused pass's Hessian).
    low_precision = False

    def curvature(self, objective, w, raw):
        """The curvature at the packed parameters ``w``, of raw predictions ``raw``.

        Returns
        -------
        Curvature
        """
        raise NotImplementedError

    def solver(self, objective, w, raw, grad, curvature):
        """A solver of ``H x = b`` at ``w``, and the strategy that gave it.

        Parameters
        ----------
        objective : Objective
        w : array
            The packed parameters where ``curvature`` was computed.
        raw : array
            Their raw predictions.
        grad : array
            The gradient at ``w``.
        curvature : Curvature
            From :meth:`curvature` at ``w``, or a fused pass's Hessian there.

        Returns
        -------
        solve : callable
            ``b ↦ H⁻¹ b``.
        strategy : CurvatureStrategy
            ``self``, or the strategy that replaced it because ``curvature``
            could not be trusted; it stays for the rest of the fit.
        """
        raise NotImplementedError

    def solver_at(self, objective, w, raw, grad):
        """:meth:`solver` on this strategy's own curvature at ``w``."""
        return self.solver(objective, w, raw, grad, self.curvature(objective, w, raw))


class CholeskyCurvature(CurvatureStrategy):
    """The exact Hessian, and the Newton system solved by its Cholesky factor.

    A multiple of the identity is added only when the factorization fails (a
    singular or indefinite Hessian), so a quadratic objective is solved
    exactly in one iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._solvers._curvature import CholeskyCurvature, Curvature
    >>> class Quadratic:
    ...     xp = np
    >>> strategy = CholeskyCurvature()
    >>> grad = np.array([2.0, 1.0])
    >>> curvature = Curvature(np.diag([2.0, 4.0]))
    >>> solve, strategy = strategy.solver(Quadratic(), None, None, grad, curvature)
    >>> -solve(grad)
    array([-1.  , -0.25])
    """

    def curvature(self, objective, w, raw):
        """The Hessian at the packed parameters ``w`` (``raw``: their raw predictions)."""
        coef, intercept = objective.unpack(w)
        return Curvature(
            objective.hessian(coef, intercept, raw=raw, low_precision=self.low_precision)
        )

    def solver(self, objective, w, raw, grad, curvature):
        """Cholesky; the fallback's solver where the factor is not precise enough."""
        solve, condition = factorize(objective.xp, curvature.hessian)
        if self.precise_enough(condition):
            return solve, self
        return self.fallback().solver_at(objective, w, raw, grad)

    def precise_enough(self, condition):
        """Whether a factor whose condition is at least ``condition`` can be trusted."""
        return True

    def fallback(self):
        """The strategy to use where this one's precision is not enough."""
        return self


class Float32GramCurvature(CholeskyCurvature):
    """The Hessian summed in float32, while its conditioning allows.

    Parameters
    ----------
    max_condition : float
        Beyond this lower bound of cond(H) the float32 Hessian is replaced,
        for the rest of the fit, by float64 ones (:class:`CholeskyCurvature`).

    Examples
    --------
    >>> from skgd._solvers._curvature import Float32GramCurvature
    >>> strategy = Float32GramCurvature(max_condition=1e4)
    >>> strategy.precise_enough(1e3), strategy.precise_enough(1e6)
    (True, False)
    >>> type(strategy.fallback()).__name__
    'CholeskyCurvature'
    """

    low_precision = True

    def __init__(self, max_condition):
        self.max_condition = max_condition

    def precise_enough(self, condition):
        # NaN compares False: a factor of unknown conditioning is not trusted.
        return condition <= self.max_condition

    def fallback(self):
        return CholeskyCurvature()


class SampledCurvature(CurvatureStrategy):
    """The Hessian of a sample of rows, while the step it gives is accurate enough.

    Parameters
    ----------
    sample : HessianSample
    full : CholeskyCurvature or Float32GramCurvature
        The full Hessian's strategy: it sets the sums' precision, and
        replaces this one once a step's estimated error exceeds
        ``max_step_error``.
    max_step_error : float

    Examples
    --------
    >>> from skgd._solvers._curvature import (
    ...     CholeskyCurvature, HessianSample, SampledCurvature)
    >>> strategy = SampledCurvature(HessianSample(800, 1 / 8), CholeskyCurvature(), 0.25)
    >>> strategy.sample.n_rows, strategy.low_precision
    (100, False)
    """

    def __init__(self, sample, full, max_step_error):
        self.sample = sample
        self.full = full
        self.max_step_error = max_step_error

    @property
    def low_precision(self):
        return self.full.low_precision

    def curvature(self, objective, w, raw):
        """The sampled Hessian at ``w`` and the spread of its error."""
        return Curvature(*self.sample.hessian(objective, w, raw, self.low_precision))

    def solver(self, objective, w, raw, grad, curvature):
        """As :meth:`CholeskyCurvature.solver`; the step's error is checked too.

        A float32 sum too ill-conditioned for its precision is replaced by
        a float64 one of the same sample first; then a sample too small for
        the step it gives, by the full Hessian.
        """
        solve, condition = factorize(objective.xp, curvature.hessian)
        if not self.full.precise_enough(condition):
            replacement = SampledCurvature(self.sample, self.full.fallback(), self.max_step_error)
        elif curvature.spread is not None and (
            sampled_step_error(solve, curvature.spread, -solve(grad), grad) > self.max_step_error
        ):
            replacement = self.full
        else:
            return solve, self
        return replacement.solver_at(objective, w, raw, grad)


class ConjugateGradientCurvature(CurvatureStrategy):
    """Truncated Newton: conjugate gradients on Hessian-vector products.

    Memory stays O(nnz + d), with no d × d matrix. The system is solved only
    roughly, so no Newton decrement comes with it: the gradient alone decides
    convergence, as in scikit-learn's newton-cg.

    Parameters
    ----------
    max_iter : int
        Conjugate-gradient iterations per Newton step, at most.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._solvers._curvature import ConjugateGradientCurvature, Curvature
    >>> class Quadratic:
    ...     xp = np
    >>> strategy = ConjugateGradientCurvature(max_iter=10)
    >>> hessian = np.diag([2.0, 4.0])
    >>> grad = np.array([2.0, 1.0])
    >>> curvature = Curvature(lambda v: hessian @ v)
    >>> solve, _ = strategy.solver(Quadratic(), None, None, grad, curvature)
    >>> np.round(-solve(grad), 6)  # far from the optimum: solved loosely
    array([-0.833333, -0.416667])
    >>> small = 1e-6 * grad
    >>> solve, _ = strategy.solver(Quadratic(), None, None, small, curvature)
    >>> np.round(-solve(small) / 1e-6, 6)  # near it: exactly
    array([-1.  , -0.25])
    """

    gives_decrement = False
    dense_hessian = False

    def __init__(self, max_iter):
        self.max_iter = max_iter

    def curvature(self, objective, w, raw):
        """``v ↦ H v`` at ``w``."""
        return Curvature(objective.hessian_product(*objective.unpack(w), raw=raw))

    def solver(self, objective, w, raw, grad, curvature):
        """A truncated conjugate-gradient solver of ``H x = b``, and ``self``."""
        return cg_solver(objective.xp, curvature.hessian, grad, self.max_iter), self


class PreconditionedCurvature(ConjugateGradientCurvature):
    """Conjugate gradients on exact Hessian-vector products, preconditioned by a sampled Hessian.

    With P parameters the full Hessian costs n·P² multiply-adds, about P/4
    passes over X, while a product costs one. The Hessian of a sample of a
    few rows per parameter costs far less, and as a preconditioner it leaves
    conjugate gradients a few products per Newton step. The products are
    exact, so the step is the exact Newton step to the forcing tolerance:
    the sample's error costs iterations of conjugate gradients, not
    accuracy, and needs no check.

    Parameters
    ----------
    sample : HessianSample
    max_iter : int
        Conjugate-gradient iterations per Newton step, at most.

    Examples
    --------
    >>> from skgd._solvers._curvature import HessianSample, PreconditionedCurvature
    >>> strategy = PreconditionedCurvature(HessianSample(8000, 1 / 8), max_iter=250)
    >>> strategy.sample.n_rows, strategy.gives_decrement
    (1000, False)
    """

    def __init__(self, sample, max_iter):
        super().__init__(max_iter)
        self.sample = sample

    @staticmethod
    def pays(objective, options):
        """Whether ``objective`` has many parameters, products and rows to sample."""
        if not (objective.has_hessian_product and objective.samples_rows):
            return False
        if objective.loss.constant_hessian or objective.fused_passes:
            # One exact Hessian solves a quadratic in one step; on a cluster
            # every product would be a round trip.
            return False
        n_params = objective.n_params
        n_rows = options.preconditioner_rows_per_param * n_params
        return n_params >= options.preconditioned_min_params and 2 * n_rows <= objective.n_samples

    def curvature(self, objective, w, raw):
        """``v ↦ H v`` at ``w``, and the sampled Hessian there."""
        estimate, _ = self.sample.hessian(objective, w, raw, low_precision=False)
        product = objective.hessian_product(*objective.unpack(w), raw=raw)
        return Curvature(product, preconditioner=estimate)

    def solver(self, objective, w, raw, grad, curvature):
        """Preconditioned truncated conjugate gradients, and ``self``."""
        xp = objective.xp
        precondition, _ = factorize(xp, curvature.preconditioner)
        return cg_solver(xp, curvature.hessian, grad, self.max_iter, precondition), self


class HessianSample:
    """Two disjoint random halves of the rows, and the Hessian they estimate.

    Parameters
    ----------
    n_samples : int
    fraction : float
        Rows sampled, as a fraction of ``n_samples``.
    seed : int, default=0

    Examples
    --------
    >>> from skgd._solvers._curvature import HessianSample
    >>> sample = HessianSample(80, 1 / 8)
    >>> sample.n_rows, [len(half) for half in sample.halves]
    (10, [5, 5])
    """

    def __init__(self, n_samples, fraction, seed=0):
        n_rows = int(n_samples * fraction)
        chosen = np.random.default_rng(seed).permutation(n_samples)[:n_rows]
        self.halves = (np.sort(chosen[0::2]), np.sort(chosen[1::2]))
        self.n_rows = n_rows

    @staticmethod
    def pays(objective, options):
        """Whether ``objective`` should use a sample: dense NumPy X, a Hessian
        that changes with the coefficients, and enough rows."""
        if not (isinstance(objective.X, np.ndarray) and objective.samples_rows):
            return False
        if objective.loss.constant_hessian:
            # One exact Hessian solves the problem in one step.
            return False
        n_samples, n_params = objective.n_samples, objective.n_params
        n_rows = n_samples * options.sample_fraction
        return n_rows >= options.min_sample_rows_per_param * n_params and (
            n_samples * objective.n_features**2 >= options.sample_min_work
        )

    def hessian(self, objective, w, raw, low_precision):
        """The sampled Hessian at ``w`` and the spread ``Δ`` of its error."""
        coef, intercept = objective.unpack(w)
        first, second = (
            objective.hessian(coef, intercept, raw=raw, low_precision=low_precision, rows=rows)
            for rows in self.halves
        )
        return 0.5 * (first + second), 0.5 * (first - second)


def sampled_step_error(solve, spread, step, grad):
    """The estimated relative error ``‖H⁻¹ Δ e‖_H / ‖e‖_H`` of the step ``e``.

    ``solve`` applies the sampled Hessian's inverse ``H⁻¹`` and ``e = −H⁻¹ g``,
    so that ``‖e‖²_H = −gᵀ e``.

    Examples
    --------
    >>> import numpy as np
    >>> from skgd._solvers._curvature import sampled_step_error
    >>> hessian, grad = np.diag([4.0, 1.0]), np.array([1.0, -2.0])
    >>> def solve(rhs):
    ...     return np.linalg.solve(hessian, rhs)
    >>> round(sampled_step_error(solve, 0.1 * hessian, -solve(grad), grad), 12)
    0.1
    """
    perturbation = spread @ step
    squared = float(perturbation @ solve(perturbation)) / -float(grad @ step)
    return float(np.sqrt(max(squared, 0.0)))


def cg_solver(xp, hessian_product, grad, max_iter, precondition=None):
    """A solver for ``H x = b`` by conjugate gradients, truncated.

    It stops at a relative residual of ``min(0.5, √‖g‖)`` (Eisenstat and
    Walker's forcing term: loose far from the optimum, tight near it, which
    keeps Newton's fast local convergence), after ``max_iter`` iterations, or
    at negative curvature. ``precondition``, if given, applies the inverse
    of an estimate of H (preconditioned conjugate gradients).
    """
    grad_norm = float(xp.sqrt(xp.sum(grad * grad)))
    forcing = min(0.5, grad_norm**0.5)
    if precondition is None:

        def precondition(residual):
            return residual

    def solve(rhs):
        x = xp.zeros_like(rhs)
        residual = rhs
        direction = precondition(residual)
        rho = float(xp.sum(residual * direction))
        target = (forcing * float(xp.sum(rhs * rhs)) ** 0.5) ** 2
        for _ in range(max_iter):
            if float(xp.sum(residual * residual)) <= target:
                break
            product = hessian_product(direction)
            curvature = float(xp.sum(direction * product))
            if curvature <= 0.0:
                # Negative curvature: the steepest-descent direction, if nothing yet.
                return x if float(xp.sum(x * x)) > 0 else rhs
            alpha = rho / curvature
            x = x + alpha * direction
            residual = residual - alpha * product
            preconditioned = precondition(residual)
            rho_new = float(xp.sum(residual * preconditioned))
            direction = preconditioned + (rho_new / rho) * direction
            rho = rho_new
        return x

    return solve


def factorize(xp, hessian):
    """A solver for ``H x = b``: Cholesky, damped only if H is not positive definite.

    Returns the solver and ``(max Lᵢᵢ / min Lᵢᵢ)²`` of the Cholesky factor
    ``L``, a lower bound of the condition number of H.
    """
    n = hessian.shape[0]
    scale = max(float(xp.max(xp.abs(hessian))), 1.0)
    damping = 0.0
    # No damping repairs a Hessian with infinite or NaN entries.
    for _ in range(MAX_DAMPING_TRIES if np.isfinite(scale) else 0):
        matrix = hessian
        if damping:
            matrix = hessian + damping * xp.eye(
                n, dtype=hessian.dtype, device=array_device(hessian)
            )
        try:
            return _cholesky_solver(xp, matrix)
        except (np.linalg.LinAlgError, ValueError, RuntimeError):
            damping = scale * 1e-10 if damping == 0.0 else damping * 10.0
    raise ValueError(
        "Newton's method could not factorize the Hessian, even damped: its entries "
        "are infinite, NaN or too far apart in magnitude. The features' squares "
        "overflow or underflow; scale the features first (for example with "
        "StandardScaler in a Pipeline), or use a first-order solver."
    )


def _cholesky_solver(xp, matrix):
    if isinstance(matrix, np.ndarray):
        # LAPACK directly: scipy.linalg's wrappers cost more than the
        # factorization of a small Hessian. The calls are cho_factor's and
        # cho_solve's, so the results are theirs.
        potrf, potrs = get_lapack_funcs(("potrf", "potrs"), (matrix,))
        factor, info = potrf(matrix, lower=True, overwrite_a=False, clean=False)
        if info != 0 or not np.all(np.isfinite(factor)):
            raise np.linalg.LinAlgError("The Hessian has no finite Cholesky factor.")
        pivots = np.abs(np.diag(factor))

        def solve(rhs):
            return potrs(factor, rhs, lower=True, overwrite_b=False)[0]

        return solve, float((pivots.max() / pivots.min()) ** 2)
    # Other array libraries: the factorization tests definiteness, then the
    # standard's linalg.solve does the work.
    pivots = xp.abs(xp.linalg.diagonal(xp.linalg.cholesky(matrix)))
    condition = float((xp.max(pivots) / xp.min(pivots)) ** 2)
    return lambda rhs: xp.linalg.solve(matrix, rhs), condition
