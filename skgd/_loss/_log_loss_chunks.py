"""The log loss over a chunk of rows, in loops the compiler vectorizes.

The log loss of a row costs an ``exp`` and a ``log``, about 20 ns from the C
library, which vectorizes neither: a line search that evaluates two trial
steps on a million rows spends most of its time there. Here both are
polynomials on the narrow ranges the loss needs, ``exp`` on ``x ≤ 0`` and
``log`` on ``[1, 2]``, written as plain loops over a chunk so that LLVM turns
them into AVX2 or AVX-512 code. Both are within 2 ulp of the C library
(``tests/test_loss.py`` checks them on a sweep of their ranges), and the
loss keeps full relative precision where ``e^{−z}`` is tiny.

The functions carry their own fastmath flags: only ``contract`` (fused
multiply-adds), never reassociation, which would cancel the rounding
corrections below.
"""

import numpy as np
from numba import njit

_jit = njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")

# Rows per chunk: the scratch arrays stay in the L1 cache.
CHUNK = 256

_LOG2E = 1.4426950408889634
# ln 2 split so that k · _LN2_HI is exact for |k| < 2¹¹ (Cody and Waite).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# Adding 1.5 · 2⁵² rounds to an integer k, which lands in the low bits.
_ROUNDER = 6755399441055744.0
_ROUNDER_BITS = np.int64(0x4338000000000000)
# Below this, 2^k is subnormal: scale by 2⁵⁴ first and by 2⁻⁵⁴ after.
_SUBNORMAL_BELOW = -708.0
_TWO_TO_MINUS_54 = 5.551115123125783e-17
# exp(x) rounds to 0 below about -745.13; -745.8 still gives a normal 2^(k+54).
_LOWEST = -745.8
_SQRT2 = 1.4142135623730951


@_jit
def exp_nonpositive(x, out, bits):
    """``out[i] = exp(x[i])`` for ``x[i] ≤ 0``, within 1 ulp.

    ``bits`` is int64 scratch of ``x``'s length; ``out`` must not be ``x``.
    """
    n = x.shape[0]
    scale = bits.view(np.float64)
    for i in range(n):
        xi = x[i] if x[i] > _LOWEST else _LOWEST
        shifted = xi * _LOG2E + _ROUNDER
        scale[i] = shifted
        k = shifted - _ROUNDER
        r = (xi - k * _LN2_HI) - k * _LN2_LO
        # e^r for |r| ≤ ln2 / 2: Taylor to r¹³ (the next term is below
        # 2⁻⁵⁷), in Estrin's scheme: a chain of 5 multiply-adds instead of
        # Horner's 13, so that the vectorized loop is not bound by latency.
        r2 = r * r
        r4 = r2 * r2
        r8 = r4 * r4
        p01 = 1.0 + r
        p23 = 0.5 + r * (1.0 / 6.0)
        p45 = 1.0 / 24.0 + r * (1.0 / 120.0)
        p67 = 1.0 / 720.0 + r * (1.0 / 5040.0)
        p89 = 1.0 / 40320.0 + r * (1.0 / 362880.0)
        p1011 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0)
        p1213 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0)
        low = p01 + r2 * p23
        middle = p45 + r2 * p67
        high = (p89 + r2 * p1011) + r4 * p1213
        out[i] = (low + r4 * middle) + r8 * high
    for i in range(n):
        extra = 54 if x[i] < _SUBNORMAL_BELOW else 0
        bits[i] = (bits[i] - _ROUNDER_BITS + extra + 1023) << 52
    for i in range(n):
        tail = _TWO_TO_MINUS_54 if x[i] < _SUBNORMAL_BELOW else 1.0
        value = out[i] * scale[i] * tail
        out[i] = value if x[i] >= _LOWEST else 0.0


@_jit
def _log_one_to_two(u):
    """``log(u)`` for ``1 ≤ u ≤ 2``, within 2 ulp: ``2 atanh((m − 1) / (m + 1))``."""
    big = u > _SQRT2
    m = u * 0.5 if big else u
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    # |s| ≤ 0.172: the series to s²³ (the next term is below 2⁻⁵⁸ of the
    # sum), 2s + s³ Σ 2 s^(2k) / (2k + 3), in Estrin's scheme as above.
    s4 = s2 * s2
    s8 = s4 * s4
    q01 = 2.0 / 3.0 + s2 * (2.0 / 5.0)
    q23 = 2.0 / 7.0 + s2 * (2.0 / 9.0)
    q45 = 2.0 / 11.0 + s2 * (2.0 / 13.0)
    q67 = 2.0 / 15.0 + s2 * (2.0 / 17.0)
    q89 = 2.0 / 19.0 + s2 * (2.0 / 21.0)
    q10 = 2.0 / 23.0
    p = (q01 + s4 * q23) + s8 * ((q45 + s4 * q67) + s8 * (q89 + s4 * q10))
    log_m = 2.0 * s + s * s2 * p
    return (log_m + _LN2_LO) + _LN2_HI if big else log_m


@_jit
def log_loss_chunk(y, p, weight, dloss, values, e, bits):
    """The weighted log loss of a chunk and its derivatives.

    Sets ``dloss[i] = weightᵢ ∂/∂p log(1 + e^{−yᵢpᵢ}) = −weightᵢ yᵢ σ(−yᵢpᵢ)``
    and returns ``Σ weightᵢ log(1 + e^{−yᵢpᵢ})``, summed in float64.
    ``values``, ``e`` and ``bits`` are float64, float64 and int64 scratch
    arrays at least as long as the chunk. The derivatives never exceed
    ``|y|``, so none needs clipping.
    """
    n = p.shape[0]
    e = e[:n]
    values = values[:n]
    for i in range(n):
        z = np.float64(y[i]) * np.float64(p[i])
        values[i] = -z if z > 0.0 else z
    exp_nonpositive(values, e, bits[:n])
    for i in range(n):
        z = np.float64(y[i]) * np.float64(p[i])
        u = 1.0 + e[i]
        inverse = 1.0 / u
        # log(1 + e) = log(u) − ((u − 1) − e) / u: the rounding of 1 + e
        # corrected, so tiny losses keep their relative precision.
        log1p_e = _log_one_to_two(u) - ((u - 1.0) - e[i]) * inverse
        values[i] = weight[i] * ((-z if z < 0.0 else 0.0) + log1p_e)
        dloss[i] = -weight[i] * y[i] * (e[i] if z >= 0.0 else 1.0) * inverse
    return _sum(values)


@_jit
def _sum(values):
    """``Σ values`` with four partial sums (a loop the compiler can pipeline)."""
    n = values.shape[0]
    s0 = s1 = s2 = s3 = 0.0
    i = 0
    while i + 4 <= n:
        s0 += values[i]
        s1 += values[i + 1]
        s2 += values[i + 2]
        s3 += values[i + 3]
        i += 4
    while i < n:
        s0 += values[i]
        i += 1
    return (s0 + s1) + (s2 + s3)


@_jit
def scratch():
    """Scratch arrays for :func:`log_loss_chunk` on up to ``CHUNK`` rows: ``(values, e, bits)``."""
    return np.empty(CHUNK), np.empty(CHUNK), np.empty(CHUNK, dtype=np.int64)
