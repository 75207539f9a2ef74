"""Newton Hessians from a sample of rows, for tall dense data.

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
whose estimated error exceeds ``MAX_STEP_ERROR`` is recomputed with the full
Hessian, and the sample is not used again in that fit: the data have shown
that the sample is too small to steer them.
"""

import numpy as np

# Rows sampled, as a fraction of the data.
SAMPLE_FRACTION = 1 / 8
# Sampling pays only where the sample is still several times the number of
# parameters (an estimate from fewer rows is too noisy to steer) and the full
# Hessian is costly (n d² multiply-adds).
MIN_SAMPLE_ROWS_PER_PARAM = 40
MIN_WORK = 5e7
# The step's relative error that a sample may leave: the local linear rate
# of convergence it gives, the rate at which the solver also keeps a stale
# Hessian (``REUSE``).
MAX_STEP_ERROR = 0.25
# The sample is fixed per fit; a fixed seed keeps Newton deterministic, as
# it is on every other kind of data.
SEED = 0


class HessianSample:
    """Two disjoint random halves of the rows, and the Hessian they estimate.

    Parameters
    ----------
    n_samples : int
    n_params : int
    """

    def __init__(self, n_samples, n_params):
        n_rows = int(n_samples * SAMPLE_FRACTION)
        chosen = np.random.default_rng(SEED).permutation(n_samples)[:n_rows]
        self.halves = (np.sort(chosen[0::2]), np.sort(chosen[1::2]))
        self.n_rows = n_rows

    @classmethod
    def pays(cls, objective):
        """Whether ``objective`` should use a sample: dense NumPy X, a Hessian
        that changes with the coefficients, and enough rows."""
        if not (isinstance(objective.X, np.ndarray) and getattr(objective, "samples_rows", False)):
            return False
        if objective.loss.constant_hessian:
            # One exact Hessian solves the problem in one step.
            return False
        n_samples, n_params = objective.n_samples, objective.n_features + 1
        n_rows = n_samples * SAMPLE_FRACTION
        return n_rows >= MIN_SAMPLE_ROWS_PER_PARAM * n_params and (
            n_samples * objective.n_features**2 >= MIN_WORK
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
    """
    perturbation = spread @ step
    squared = float(perturbation @ solve(perturbation)) / -float(grad @ step)
    return float(np.sqrt(max(squared, 0.0)))
