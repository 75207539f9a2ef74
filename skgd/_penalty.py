"""Penalties on the coefficients: l2, l1, elastic net, or none.

Every penalty is the elastic net ``alpha * (l1_ratio * ||w||_1
+ (1 - l1_ratio) / 2 * ||w||_2^2)``, the form scikit-learn's SGD estimators use.
"l2" is ``l1_ratio=0``, "l1" is ``l1_ratio=1`` and ``None`` is ``alpha=0``. The
intercept is never penalized: callers pass the coefficients only.

The smooth L2 part enters gradients; the L1 part is applied either as a
proximal step (soft thresholding), which keeps exact zeros, or as a
subgradient inside a momentum velocity.
"""

from typing import NamedTuple

from sklearn.utils._array_api import get_namespace


class Penalty(NamedTuple):
    """An elastic-net penalty: ``alpha`` and ``l1_ratio``, and the strengths of its parts.

    Attributes
    ----------
    alpha, l1_ratio : float
        The penalty as scikit-learn's estimators take it.
    """

    alpha: float = 0.0
    l1_ratio: float = 0.0

    @property
    def l2(self):
        """``alpha * (1 - l1_ratio)``: the multiplier of ``½ ||w||²``."""
        return self.alpha * (1.0 - self.l1_ratio)

    @property
    def l1(self):
        """``alpha * l1_ratio``: the multiplier of ``||w||₁``."""
        return self.alpha * self.l1_ratio

    @property
    def is_smooth(self):
        """Whether the penalty is differentiable everywhere (no L1 part)."""
        return self.l1 == 0.0

    def value(self, coef):
        """Penalty at ``coef``."""
        if self.l2 == 0.0 and self.l1 == 0.0:
            return 0.0
        xp, _ = get_namespace(coef)
        value = 0.0
        if self.l2:
            value += 0.5 * self.l2 * float(xp.sum(coef * coef))
        if self.l1:
            value += self.l1 * float(xp.sum(xp.abs(coef)))
        return value

    def smooth_gradient(self, coef):
        """Gradient of the L2 part at ``coef``."""
        return self.l2 * coef

    def subgradient(self, coef):
        """A subgradient of the whole penalty (``sign(0) = 0`` for L1)."""
        xp, _ = get_namespace(coef)
        return self.l2 * coef + self.l1 * xp.sign(coef)

    def prox_l1(self, coef, step):
        """Soft thresholding: the proximal operator of ``step * l1 * ||w||₁``."""
        if self.l1 == 0.0:
            return coef
        xp, _ = get_namespace(coef)
        shrunk = xp.abs(coef) - step * self.l1
        return xp.sign(coef) * xp.where(shrunk > 0, shrunk, xp.zeros_like(shrunk))


def truncate_l1(coef, l1_total, l1_applied, touched=None):
    """Tsuruoka et al.'s cumulative L1 truncation, for steps on sampled rows.

    ``l1_total`` is the L1 penalty each weight could have received so far (the
    sum of ``eta * l1`` over the steps) and ``l1_applied`` the signed penalty
    each did receive. Each weight is pulled toward zero by the difference and
    never across it, which keeps exact zeros at O(nnz) cost per step. Only
    ``touched`` features (a boolean mask; all when None) are truncated.

    Returns
    -------
    coef, l1_applied : arrays of shape (n_features,)
    """
    xp, _ = get_namespace(coef)
    zero = xp.zeros_like(coef)
    truncated = xp.where(
        coef > 0,
        xp.maximum(zero, coef - (l1_total + l1_applied)),
        xp.where(coef < 0, xp.minimum(zero, coef + (l1_total - l1_applied)), coef),
    )
    if touched is not None:
        truncated = xp.where(touched, truncated, coef)
    return truncated, l1_applied + (truncated - coef)


def make_penalty(penalty, alpha, l1_ratio):
    """Turn scikit-learn's ``penalty``, ``alpha`` and ``l1_ratio`` into a :class:`Penalty`.

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet"} or None
    alpha : float
    l1_ratio : float
        Used only with ``"elasticnet"``.

    Returns
    -------
    Penalty

    Examples
    --------
    >>> from skgd._penalty import make_penalty
    >>> make_penalty("elasticnet", alpha=1.0, l1_ratio=0.25)
    Penalty(alpha=1.0, l1_ratio=0.25)
    """
    if penalty is None or alpha == 0:
        return Penalty()
    l1_ratio = {"l2": 0.0, "l1": 1.0}.get(penalty, l1_ratio)
    return Penalty(float(alpha), float(l1_ratio))
