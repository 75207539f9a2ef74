"""The vectorized exp, log and log loss of skgd._loss._log_loss_chunks against NumPy."""

import numpy as np
import pytest

from skgd._loss import _kernels as _loss_kernels
from skgd._loss import make_loss
from skgd._loss._log_loss_chunks import (
    CHUNK,
    _log_one_to_two,
    exp_nonpositive,
    log_loss_chunk,
    scratch,
)


def _ulps(got, expected):
    return np.abs(got - expected) / np.spacing(np.abs(expected))


def test_exp_nonpositive_is_within_two_ulp_of_numpy():
    rng = np.random.default_rng(0)
    x = -np.concatenate(
        [
            np.linspace(0.0, 708.0, 100_001),
            rng.exponential(scale=3.0, size=50_000),
            [0.0, 5e-324, 1e-300, 1e-17, 1e-8, 0.3465, 0.3466, 700.0],
        ]
    )
    out = np.empty_like(x)
    exp_nonpositive(x, out, np.empty(x.shape[0], dtype=np.int64))
    assert np.max(_ulps(out, np.exp(x))) <= 2.0
    assert out[-8] == 1.0


def test_exp_nonpositive_underflows_like_numpy():
    # Subnormal results, then 0, as the C library rounds them.
    x = -np.concatenate([np.linspace(708.0, 760.0, 5001), [745.13, 745.2, 800.0, 1e300, np.inf]])
    out = np.empty_like(x)
    exp_nonpositive(x, out, np.empty(x.shape[0], dtype=np.int64))
    expected = np.exp(x)
    np.testing.assert_allclose(out, expected, rtol=1e-15, atol=5e-324)
    assert np.all(out[expected == 0.0] == 0.0)
    assert np.all(out >= 0.0)


def test_log_on_one_to_two_is_within_two_ulp_of_numpy():
    u = np.concatenate([np.linspace(1.0, 2.0, 20_001), 1.0 + np.geomspace(1e-17, 1e-3, 1000)])
    got = np.array([_log_one_to_two(value) for value in u])
    expected = np.log(u)
    assert got[0] == 0.0
    positive = expected > 0
    assert np.max(_ulps(got[positive], expected[positive])) <= 2.0


@pytest.mark.parametrize("n_rows", [1, CHUNK - 1, CHUNK, 3 * CHUNK + 17])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_log_loss_matches_the_scalar_twin(n_rows, dtype):
    # The compiled weighted sum (chunk by chunk) against the row-by-row
    # scalar loss, at ordinary and extreme margins.
    rng = np.random.default_rng(n_rows)
    loss = make_loss("log_loss")
    y = np.sign(rng.normal(size=n_rows)).astype(dtype)
    p = rng.normal(scale=6.0, size=n_rows).astype(dtype)
    p[: min(n_rows, 6)] = [40.0, -40.0, 800.0, -800.0, 0.0, 1e30][: min(n_rows, 6)]
    weight = rng.uniform(0.1, 2.0, size=n_rows).astype(dtype)
    dloss = np.empty_like(p)
    total, n_clipped = _loss_kernels.weighted_loss_gradient(
        loss.code, loss.param, y, p, weight, dloss
    )
    pairs = [
        _loss_kernels.loss_value_gradient(loss.code, loss.param, float(yi), float(pi))
        for yi, pi in zip(y, p, strict=True)
    ]
    values = np.array([value for value, _ in pairs])
    derivatives = np.array([derivative for _, derivative in pairs])
    w = weight.astype(np.float64)
    np.testing.assert_allclose(total, np.sum(w * values), rtol=1e-13)
    sum_alone = _loss_kernels.weighted_loss_sum(loss.code, loss.param, y, p, weight)
    np.testing.assert_allclose(sum_alone, total, rtol=1e-15)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(dloss, (w * derivatives).astype(dtype), rtol=rtol, atol=0)
    assert n_clipped == 0


def test_chunked_log_loss_keeps_tiny_losses_precise():
    # log(1 + e^−40) ≈ 4.2e-18: 1 + e^−40 rounds to 1, and the correction
    # for that rounding must survive.
    y = np.ones(3)
    p = np.array([40.0, 300.0, 700.0])
    values, e, bits = scratch()
    dloss = np.empty(3)
    total = log_loss_chunk(y, p, np.ones(3), dloss, values, e, bits)
    np.testing.assert_allclose(total, np.sum(np.log1p(np.exp(-p))), rtol=1e-14)
    np.testing.assert_allclose(dloss, -np.exp(-p) / (1.0 + np.exp(-p)), rtol=1e-14)
