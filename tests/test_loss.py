"""Losses, the derivative check, penalties and learning-rate schedules.

Conventions checked here (derivatives are with respect to the raw prediction p):

- squared_error = ½ (p − y)²                       (with ½)
- huber = ½ r² if |r| ≤ ε else ε|r| − ½ ε²          (with ½ on the quadratic part)
- epsilon_insensitive = max(0, |y − p| − ε)         (no ½)
- squared_epsilon_insensitive = max(0, |y − p| − ε)²  (no ½)
- hinge = max(0, 1 − y p), perceptron = max(0, −y p)  (no ½)
- log_loss = log(1 + exp(−y p))                     (no ½)
- modified_huber = max(0, 1 − y p)² for y p ≥ −1, −4 y p below  (no ½)
- squared_hinge = max(0, 1 − y p)²                  (no ½)
"""

import math

import numpy as np
import pytest
from scipy.special import expit

from skgd import DerivativeCheck, check_loss_derivatives
from skgd import _schedules as schedules
from skgd._loss import (
    CLASSIFICATION_LOSSES,
    LOSSES,
    REGRESSION_LOSSES,
    HalfSquaredError,
    make_loss,
)
from skgd._loss import _kernels as _loss_kernels
from skgd._penalty import Penalty, make_penalty
from skgd._schedules import CONSTANT, INVSCALING, OPTIMAL, Schedule
from skgd._solvers import _kernels

ALL_LOSSES = sorted(LOSSES)
SMOOTH_LOSSES = [name for name in ALL_LOSSES if make_loss(name).has_hessian]
NON_SMOOTH_LOSSES = ["epsilon_insensitive", "hinge", "perceptron"]


def _kinks(name, epsilon):
    """Where each loss's derivative (or second derivative) jumps.

    Returns ``(variable, points)``: the kinks are at ``variable ∈ points``,
    where the variable is ``r = p − y`` for regression losses and ``z = y p``
    for classification losses.
    """
    if name in ("huber", "epsilon_insensitive", "squared_epsilon_insensitive"):
        return "r", (-epsilon, epsilon)
    if name in ("hinge", "squared_hinge"):
        return "z", (1.0,)
    if name == "perceptron":
        return "z", (0.0,)
    if name == "modified_huber":
        return "z", (-1.0, 1.0)
    return "r", ()  # squared_error, log_loss: smooth everywhere


def _random_points(name, epsilon, n, seed, scale=3.0):
    """Random (y, p) for a loss, with every point farther than 1e-3 from a kink."""
    rng = np.random.default_rng(seed)
    if name in CLASSIFICATION_LOSSES:
        y = rng.choice([-1.0, 1.0], size=n)
    else:
        y = rng.normal(scale=2.0, size=n)
    p = rng.normal(scale=scale, size=n)
    # Some points right next to (but not on) each kink, on both sides.
    variable, kinks = _kinks(name, epsilon)
    near = []
    for kink in kinks:
        for offset in (-0.01, -0.002, 0.002, 0.01):
            near.append(kink + offset)
    if near:
        near = np.array(near)
        y_near = rng.choice([-1.0, 1.0], size=near.size)
        if variable == "r":
            p_near = y_near + near
        else:
            p_near = near / y_near
        y = np.concatenate([y, y_near])
        p = np.concatenate([p, p_near])
    value = p - y if variable == "r" else y * p
    distance = np.full(y.shape, np.inf)
    for kink in kinks:
        distance = np.minimum(distance, np.abs(value - kink))
    keep = distance > 1e-3
    return y[keep], p[keep]


# --------------------------------------------------------------------------
# Derivatives against central differences


@pytest.mark.parametrize("epsilon", [0.1, 1.35])
@pytest.mark.parametrize("name", ALL_LOSSES)
def test_derivatives_match_central_differences(name, epsilon):
    loss = make_loss(name, epsilon=epsilon)
    y, p = _random_points(name, epsilon, n=2000, seed=0)
    assert y.size > 1900  # the kink filter drops only a few points
    result = check_loss_derivatives(loss, y, p)
    assert isinstance(result, DerivativeCheck)
    # Central differences with h = 1e-6: O(h²) truncation, O(1e-16 |f| / h) rounding.
    scale = max(1.0, float(np.max(np.abs(loss.loss(y, p)))))
    assert result.gradient_error < 1e-8 * scale
    if loss.has_hessian:
        assert result.hessian_error is not None
        assert result.hessian_error < 1e-7
    else:
        assert result.hessian_error is None


@pytest.mark.parametrize("name", ALL_LOSSES)
def test_check_loss_derivatives_accepts_names(name):
    # A name and the matching object give the same report; epsilon reaches the loss.
    y, p = _random_points(name, 0.7, n=300, seed=1)
    by_name = check_loss_derivatives(name, y, p, epsilon=0.7)
    by_object = check_loss_derivatives(make_loss(name, epsilon=0.7), y, p)
    assert by_name == by_object
    assert by_name.gradient_error < 1e-6 * max(1.0, float(np.max(p * p + y * y)))


class _DoubledGradient(HalfSquaredError):
    """A wrong loss: its gradient is twice the true one."""

    def gradient(self, y, raw_prediction):
        return 2.0 * (raw_prediction - y)


class _WrongHessian(HalfSquaredError):
    """A wrong loss: the gradient is right, the second derivative is 3 instead of 1."""

    def hessian(self, y, raw_prediction):
        return 3.0 * np.ones_like(raw_prediction)


def test_check_loss_derivatives_detects_a_wrong_gradient():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=100), rng.normal(size=100)
    result = check_loss_derivatives(_DoubledGradient(), y, p)
    # The error is |2 r − r| = |r|, as large as the residuals.
    np.testing.assert_allclose(result.gradient_error, np.max(np.abs(p - y)), rtol=1e-6)
    assert result.gradient_error > 1.0
    # The hessian (1) is compared with differences of the doubled gradient (2).
    np.testing.assert_allclose(result.hessian_error, 1.0, rtol=1e-6)


def test_check_loss_derivatives_detects_a_wrong_hessian():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=100), rng.normal(size=100)
    result = check_loss_derivatives(_WrongHessian(), y, p)
    assert result.gradient_error < 1e-8
    np.testing.assert_allclose(result.hessian_error, 2.0, rtol=1e-6)


def test_check_loss_derivatives_is_wrong_at_a_kink():
    # At the hinge's margin the central difference sees half of the jump.
    result = check_loss_derivatives("hinge", np.array([1.0]), np.array([1.0]))
    np.testing.assert_allclose(result.gradient_error, 0.5, rtol=1e-6)


def test_check_loss_derivatives_step_matters():
    # A huge step on log_loss gives a visibly worse estimate than the default.
    rng = np.random.default_rng(0)
    y, p = rng.choice([-1.0, 1.0], size=100), rng.normal(size=100)
    fine = check_loss_derivatives("log_loss", y, p)
    coarse = check_loss_derivatives("log_loss", y, p, step=0.5)
    assert fine.gradient_error < 1e-9
    assert coarse.gradient_error > 1e-3


# --------------------------------------------------------------------------
# Values at known points

# (name, epsilon, y, p, loss, gradient, hessian or None)
KNOWN_POINTS = [
    # ½ (p − y)²
    ("squared_error", 0.1, 1.0, 3.0, 2.0, 2.0, 1.0),
    ("squared_error", 0.1, -1.0, 0.5, 1.125, 1.5, 1.0),
    ("squared_error", 0.1, 2.0, 2.0, 0.0, 0.0, 1.0),
    # ½ r² inside |r| ≤ ε, ε|r| − ½ε² outside
    ("huber", 1.0, 0.0, 0.5, 0.125, 0.5, 1.0),
    ("huber", 1.0, 0.0, 3.0, 2.5, 1.0, 0.0),
    ("huber", 1.0, 0.0, -3.0, 2.5, -1.0, 0.0),
    ("huber", 1.0, 1.0, 2.0, 0.5, 1.0, 1.0),  # on the band's edge: both forms agree
    ("huber", 0.5, 2.0, 4.0, 0.875, 0.5, 0.0),
    # max(0, |y − p| − ε), no ½
    ("epsilon_insensitive", 0.5, 0.0, 0.2, 0.0, 0.0, None),
    ("epsilon_insensitive", 0.5, 0.0, 2.0, 1.5, 1.0, None),
    ("epsilon_insensitive", 0.5, 0.0, -2.0, 1.5, -1.0, None),
    ("epsilon_insensitive", 0.1, 3.0, 1.0, 1.9, -1.0, None),
    # max(0, |y − p| − ε)², no ½
    ("squared_epsilon_insensitive", 1.0, 0.0, 3.0, 4.0, 4.0, 2.0),
    ("squared_epsilon_insensitive", 1.0, 0.0, -2.5, 2.25, -3.0, 2.0),
    ("squared_epsilon_insensitive", 1.0, 0.0, 0.5, 0.0, 0.0, 0.0),
    # max(0, 1 − y p); the margin itself counts as a mistake
    ("hinge", 0.1, 1.0, 0.5, 0.5, -1.0, None),
    ("hinge", 0.1, -1.0, 2.0, 3.0, 1.0, None),
    ("hinge", 0.1, 1.0, 2.0, 0.0, 0.0, None),
    ("hinge", 0.1, 1.0, 1.0, 0.0, -1.0, None),
    # max(0, −y p); p = 0 counts as a mistake
    ("perceptron", 0.1, 1.0, -1.0, 1.0, -1.0, None),
    ("perceptron", 0.1, 1.0, 1.0, 0.0, 0.0, None),
    ("perceptron", 0.1, -1.0, 0.5, 0.5, 1.0, None),
    ("perceptron", 0.1, -1.0, 0.0, 0.0, 1.0, None),
    # log(1 + exp(−y p)), gradient −y σ(−y p), hessian σ(p)(1 − σ(p))
    ("log_loss", 0.1, 1.0, 0.0, math.log(2.0), -0.5, 0.25),
    ("log_loss", 0.1, -1.0, 0.0, math.log(2.0), 0.5, 0.25),
    (
        "log_loss",
        0.1,
        -1.0,
        2.0,
        math.log(1.0 + math.exp(2.0)),
        1.0 / (1.0 + math.exp(-2.0)),
        math.exp(-2.0) / (1.0 + math.exp(-2.0)) ** 2,
    ),
    (
        "log_loss",
        0.1,
        1.0,
        2.0,
        math.log(1.0 + math.exp(-2.0)),
        -1.0 / (1.0 + math.exp(2.0)),
        math.exp(-2.0) / (1.0 + math.exp(-2.0)) ** 2,
    ),
    # max(0, 1 − z)² for z ≥ −1, −4 z below, z = y p
    ("modified_huber", 0.1, 1.0, 2.0, 0.0, 0.0, 0.0),
    ("modified_huber", 0.1, 1.0, 0.0, 1.0, -2.0, 2.0),
    ("modified_huber", 0.1, 1.0, -3.0, 12.0, -4.0, 0.0),
    ("modified_huber", 0.1, -1.0, 0.5, 2.25, 3.0, 2.0),
    ("modified_huber", 0.1, 1.0, -1.0, 4.0, -4.0, 2.0),  # z = −1: both forms give 4
    # max(0, 1 − y p)²
    ("squared_hinge", 0.1, 1.0, 0.5, 0.25, -1.0, 2.0),
    ("squared_hinge", 0.1, -1.0, 0.5, 2.25, 3.0, 2.0),
    ("squared_hinge", 0.1, 1.0, 3.0, 0.0, 0.0, 0.0),
]


@pytest.mark.parametrize("name, epsilon, y, p, value, gradient, hessian", KNOWN_POINTS)
def test_values_at_known_points(name, epsilon, y, p, value, gradient, hessian):
    loss = make_loss(name, epsilon=epsilon)
    y_arr, p_arr = np.array([y]), np.array([p])
    np.testing.assert_allclose(loss.loss(y_arr, p_arr), [value], rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(loss.gradient(y_arr, p_arr), [gradient], rtol=1e-14, atol=1e-15)
    if hessian is None:
        assert not loss.has_hessian
    else:
        assert loss.has_hessian
        np.testing.assert_allclose(loss.hessian(y_arr, p_arr), [hessian], rtol=1e-14, atol=1e-15)


def test_every_loss_has_known_points():
    assert {row[0] for row in KNOWN_POINTS} == set(LOSSES)


def test_loss_registry():
    assert set(REGRESSION_LOSSES) == {
        "squared_error",
        "huber",
        "epsilon_insensitive",
        "squared_epsilon_insensitive",
    }
    assert set(CLASSIFICATION_LOSSES) == {
        "hinge",
        "log_loss",
        "modified_huber",
        "squared_hinge",
        "perceptron",
    }
    for name in LOSSES:
        loss = make_loss(name, epsilon=0.3)
        assert loss.name == name
        assert loss.is_classification == (name in CLASSIFICATION_LOSSES)
        assert loss.has_hessian == (name not in NON_SMOOTH_LOSSES)
    # epsilon reaches the losses that use it, and only those.
    for name in ("huber", "epsilon_insensitive", "squared_epsilon_insensitive"):
        assert make_loss(name, epsilon=0.3).param == 0.3
    assert make_loss("hinge", epsilon=0.3).param == 1.0
    assert make_loss("squared_hinge", epsilon=0.3).param == 1.0
    assert make_loss("perceptron", epsilon=0.3).param == 0.0
    assert make_loss("squared_error", epsilon=0.3).param == 0.0
    assert make_loss("log_loss", epsilon=0.3).param == 0.0
    # Codes are distinct, except that the perceptron is the hinge with threshold 0.
    codes = {name: make_loss(name).code for name in LOSSES}
    assert codes["perceptron"] == codes["hinge"]
    del codes["perceptron"]
    assert len(set(codes.values())) == len(codes)


def test_losses_are_vectorized_and_keep_dtype():
    for name in ALL_LOSSES:
        loss = make_loss(name)
        y = np.array([1.0, -1.0, 1.0, -1.0], dtype=np.float32)
        p = np.array([0.3, 2.0, -1.5, -0.2], dtype=np.float32)
        methods = [loss.loss, loss.gradient] + ([loss.hessian] if loss.has_hessian else [])
        for method in methods:
            out = method(y, p)
            assert out.shape == (4,)
            assert out.dtype == np.float32, (name, method)


# --------------------------------------------------------------------------
# log_loss at extreme raw predictions


@pytest.mark.parametrize("y", [1.0, -1.0])
@pytest.mark.parametrize("p", [1e3, -1e3, 1e300, -1e300, 745.0, -745.0])
def test_log_loss_extreme_raw_predictions(y, p):
    loss = make_loss("log_loss")
    y_arr, p_arr = np.array([y]), np.array([p])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss.loss(y_arr, p_arr)[0]
        gradient = loss.gradient(y_arr, p_arr)[0]
        hessian = loss.hessian(y_arr, p_arr)[0]
    z = y * p
    assert np.isfinite(value) and np.isfinite(gradient) and np.isfinite(hessian)
    if z > 0:
        # Correctly classified by a mile: log(1 + e^−z) ≈ e^−z ≈ 0, gradient ≈ 0.
        np.testing.assert_allclose(value, math.exp(-z) if z < 800 else 0.0, atol=1e-300)
        assert abs(gradient) <= 1e-300
    else:
        # Wrong by a mile: log(1 + e^|z|) = |z| to machine precision, gradient = −y.
        np.testing.assert_allclose(value, -z, rtol=1e-15)
        assert gradient == -y
    # σ(p)(1 − σ(p)) ≈ e^−|p| underflows to 0.
    assert 0.0 <= hessian <= 1e-300


def test_log_loss_moderate_raw_predictions_are_accurate():
    # log1p and the stable sigmoid keep full relative precision where the
    # naive formulas would round to 0 or 1.
    loss = make_loss("log_loss")
    p = np.array([-40.0, -20.0, -5.0, 5.0, 20.0, 40.0])
    y = np.ones_like(p)
    expected_loss = np.logaddexp(0.0, -p)
    np.testing.assert_allclose(loss.loss(y, p), expected_loss, rtol=1e-14)
    np.testing.assert_allclose(loss.gradient(y, p), -expit(-p), rtol=1e-14)
    np.testing.assert_allclose(loss.gradient(-y, p), expit(p), rtol=1e-14)


def test_log_loss_hessian_keeps_relative_precision():
    # σ(p)(1 − σ(p)) = e^−|p| / (1 + e^−|p|)², a normal float for |p| ≤ 700.
    # Forming 1 − σ(p) by subtraction loses it: relative error 1e-3 at |p| = 30
    # and a hessian of exactly 0 from |p| ≈ 37 on, while the gradient there is
    # still an accurate, non-zero e^−|p|.
    loss = make_loss("log_loss")
    p = np.array([-700.0, -100.0, -40.0, -30.0, -20.0, 0.0, 20.0, 30.0, 40.0, 100.0, 700.0])
    e = np.exp(-np.abs(p))
    expected = e / (1.0 + e) ** 2
    for y in (np.ones_like(p), -np.ones_like(p)):
        np.testing.assert_allclose(loss.hessian(y, p), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["log_loss", "modified_huber", "squared_hinge", "hinge"])
def test_classification_losses_are_symmetric_in_the_label(name):
    # loss(y, p) depends on y p only, so flipping both signs changes nothing,
    # and the gradient flips sign.
    loss = make_loss(name)
    rng = np.random.default_rng(3)
    p = rng.normal(scale=3.0, size=200)
    y = rng.choice([-1.0, 1.0], size=200)
    np.testing.assert_allclose(loss.loss(-y, -p), loss.loss(y, p), rtol=1e-15)
    np.testing.assert_allclose(loss.gradient(-y, -p), -loss.gradient(y, p), rtol=1e-15)


# --------------------------------------------------------------------------
# The compiled scalar twins


def _twin_points(name, epsilon, seed):
    rng = np.random.default_rng(seed)
    n = 400
    if name in CLASSIFICATION_LOSSES:
        y = rng.choice([-1.0, 1.0], size=n)
    else:
        y = rng.normal(scale=2.0, size=n)
    p = rng.normal(scale=4.0, size=n)
    # Exactly on every kink (both implementations must pick the same side),
    # and a few extreme predictions.
    variable, kinks = _kinks(name, epsilon)
    extra_y, extra_p = [], []
    for kink in kinks:
        for label in (-1.0, 1.0):
            extra_y.append(label)
            extra_p.append(label + kink if variable == "r" else kink * label)
    for big in (-1e300, -1e3, -50.0, 50.0, 1e3, 1e300):
        for label in (-1.0, 1.0):
            extra_y.append(label)
            extra_p.append(big)
    return np.concatenate([y, extra_y]), np.concatenate([p, extra_p])


@pytest.mark.parametrize("epsilon", [0.1, 1.0])
@pytest.mark.parametrize("name", ALL_LOSSES)
def test_compiled_scalar_twins_match_vectorized(name, epsilon):
    loss = make_loss(name, epsilon=epsilon)
    y, p = _twin_points(name, epsilon, seed=ALL_LOSSES.index(name))
    with np.errstate(over="ignore"):
        # ½ (1e300)² overflows to inf in both implementations.
        expected_value = loss.loss(y, p)
    expected_gradient = loss.gradient(y, p)
    value = np.array(
        [
            _loss_kernels.loss_value(loss.code, loss.param, yi, pi)
            for yi, pi in zip(y, p, strict=True)
        ]
    )
    gradient = np.array(
        [
            _loss_kernels.loss_gradient(loss.code, loss.param, yi, pi)
            for yi, pi in zip(y, p, strict=True)
        ]
    )
    both = np.array(
        [
            _loss_kernels.loss_value_gradient(loss.code, loss.param, yi, pi)
            for yi, pi in zip(y, p, strict=True)
        ]
    )
    np.testing.assert_allclose(value, expected_value, rtol=1e-12, atol=0)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-12, atol=0)
    np.testing.assert_allclose(both[:, 0], expected_value, rtol=1e-12, atol=0)
    np.testing.assert_allclose(both[:, 1], expected_gradient, rtol=1e-12, atol=0)


@pytest.mark.parametrize("epsilon", [0.1, 1.0])
@pytest.mark.parametrize("name", ALL_LOSSES)
def test_compiled_hessian_twin_matches_vectorized(name, epsilon):
    loss = make_loss(name, epsilon=epsilon)
    y, p = _twin_points(name, epsilon, seed=ALL_LOSSES.index(name))
    hessian = np.array(
        [
            _loss_kernels.loss_hessian(loss.code, loss.param, yi, pi)
            for yi, pi in zip(y, p, strict=True)
        ]
    )
    if not loss.has_hessian:
        assert np.all(np.isnan(hessian))
        return
    np.testing.assert_allclose(hessian, loss.hessian(y, p), rtol=1e-12, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ALL_LOSSES)
def test_compiled_weighted_sums_match_vectorized(name, dtype):
    loss = make_loss(name, epsilon=0.5)
    rng = np.random.default_rng(ALL_LOSSES.index(name))
    p = rng.normal(scale=3.0, size=200).astype(dtype)
    y = np.sign(rng.normal(size=200)) if loss.is_classification else rng.normal(size=200)
    y = y.astype(dtype)
    p[0], y[0] = 2e12, 1.0  # a derivative beyond MAX_DLOSS for the regression losses
    weight = rng.uniform(0.1, 2.0, size=200).astype(dtype)
    with np.errstate(over="ignore"):
        expected_sum = float(np.sum(weight.astype(float) * loss.loss(y, p).astype(float)))
    derivative = loss.gradient(y, p)
    bound = _loss_kernels.MAX_DLOSS
    expected_clipped = int(np.sum(np.abs(derivative) > bound))
    expected_dloss = weight * np.clip(derivative, -bound, bound)
    dloss = np.empty_like(p)
    total, n_clipped = _loss_kernels.weighted_loss_gradient(
        loss.code, loss.param, y, p, weight, dloss
    )
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(total, expected_sum, rtol=rtol)
    np.testing.assert_allclose(dloss, expected_dloss, rtol=rtol)
    assert n_clipped == expected_clipped
    assert n_clipped == int(name in ("squared_error", "squared_epsilon_insensitive"))
    np.testing.assert_allclose(
        _loss_kernels.weighted_loss_sum(loss.code, loss.param, y, p, weight), total, rtol=1e-12
    )


def test_compiled_twin_of_an_unknown_code_is_nan():
    assert math.isnan(_loss_kernels.loss_value(99, 0.0, 1.0, 1.0))
    assert math.isnan(_loss_kernels.loss_gradient(99, 0.0, 1.0, 1.0))


# --------------------------------------------------------------------------
# Losses without a second derivative


@pytest.mark.parametrize("name", NON_SMOOTH_LOSSES)
def test_losses_without_hessian_raise(name):
    loss = make_loss(name)
    assert not loss.has_hessian
    with pytest.raises(NotImplementedError, match="no second derivative"):
        loss.hessian(np.array([1.0]), np.array([0.5]))


# --------------------------------------------------------------------------
# Penalty


@pytest.mark.parametrize(
    "penalty, alpha, l1_ratio, expected",
    [
        ("l2", 0.3, 0.15, Penalty(0.3)),
        ("l1", 0.3, 0.15, Penalty(0.3, l1_ratio=1.0)),
        ("elasticnet", 1.0, 0.25, Penalty(1.0, l1_ratio=0.25)),
        ("elasticnet", 0.2, 0.0, Penalty(0.2)),
        ("elasticnet", 0.2, 1.0, Penalty(0.2, l1_ratio=1.0)),
        (None, 0.3, 0.15, Penalty()),
        ("l2", 0.0, 0.15, Penalty()),
        ("l1", 0.0, 0.15, Penalty()),
        ("elasticnet", 0.0, 0.5, Penalty()),
    ],
)
def test_make_penalty(penalty, alpha, l1_ratio, expected):
    result = make_penalty(penalty, alpha, l1_ratio)
    np.testing.assert_allclose(result.l2, expected.l2, rtol=1e-15)
    np.testing.assert_allclose(result.l1, expected.l1, rtol=1e-15)
    assert result.is_smooth == (expected.l1 == 0.0)
    assert isinstance(result.l2, float) and isinstance(result.l1, float)


def test_penalty_value():
    coef = np.array([1.0, -2.0, 3.0, 0.0])
    assert Penalty().value(coef) == 0.0
    # ½ l2 ||w||² = ½ · 0.5 · 14
    np.testing.assert_allclose(Penalty(0.5).value(coef), 3.5, rtol=1e-15)
    # l1 ||w||₁ = 0.2 · 6
    np.testing.assert_allclose(Penalty(0.2, l1_ratio=1.0).value(coef), 1.2, rtol=1e-15)
    # l2 = 0.75, l1 = 0.25: ½ · 0.75 · 14 + 0.25 · 6
    np.testing.assert_allclose(Penalty(1.0, l1_ratio=0.25).value(coef), 6.75, rtol=1e-15)
    # alpha (l1_ratio ||w||₁ + (1 − l1_ratio)/2 ||w||²), scikit-learn's elastic net
    alpha, l1_ratio = 0.4, 0.3
    expected = alpha * (l1_ratio * 6.0 + (1 - l1_ratio) / 2 * 14.0)
    np.testing.assert_allclose(
        make_penalty("elasticnet", alpha, l1_ratio).value(coef), expected, rtol=1e-14
    )


@pytest.mark.parametrize("l1", [0.0, 0.1, 0.7])
@pytest.mark.parametrize("step", [0.01, 0.5, 2.0])
def test_prox_l1_is_soft_thresholding(l1, step):
    rng = np.random.default_rng(0)
    coef = rng.normal(size=500)
    coef[:10] = 0.0
    penalty = Penalty(l1, l1_ratio=1.0)
    threshold = step * l1
    expected = np.where(
        coef > threshold, coef - threshold, np.where(coef < -threshold, coef + threshold, 0.0)
    )
    result = penalty.prox_l1(coef, step)
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-15)
    # Everything within the threshold is an exact zero.
    assert np.all(result[np.abs(coef) <= threshold] == 0.0)
    # The prox minimizes ½||u − w||² + step l1 ||u||₁: compare with perturbations.
    objective = 0.5 * (result - coef) ** 2 + threshold * np.abs(result)
    for delta in (-1e-3, 1e-3):
        perturbed = 0.5 * (result + delta - coef) ** 2 + threshold * np.abs(result + delta)
        assert np.all(objective <= perturbed + 1e-15)


def test_prox_l1_without_l1_is_the_identity():
    coef = np.array([0.5, -0.1, 0.0])
    assert Penalty(1.0).prox_l1(coef, 10.0) is coef


def test_penalty_gradients():
    coef = np.array([1.5, -2.0, 0.0, 0.25])
    penalty = Penalty(0.5, l1_ratio=0.4)  # l2 = 0.3, l1 = 0.2
    np.testing.assert_allclose(penalty.smooth_gradient(coef), 0.3 * coef, rtol=1e-15)
    # l2 w + l1 sign(w), with sign(0) = 0: the least-norm subgradient at 0.
    expected = np.array([0.3 * 1.5 + 0.2, 0.3 * -2.0 - 0.2, 0.0, 0.3 * 0.25 + 0.2])
    np.testing.assert_allclose(penalty.subgradient(coef), expected, rtol=1e-15)
    # Away from zero the subgradient is the gradient of value: check by differences.
    h = 1e-6
    for j in (0, 1, 3):
        e = np.zeros_like(coef)
        e[j] = h
        numeric = (penalty.value(coef + e) - penalty.value(coef - e)) / (2 * h)
        np.testing.assert_allclose(penalty.subgradient(coef)[j], numeric, rtol=1e-7)
    assert Penalty(0.3).is_smooth
    assert not Penalty(0.3, l1_ratio=1.0).is_smooth


# --------------------------------------------------------------------------
# Schedules


def test_constant_schedule():
    schedule = Schedule("constant", eta0=0.07)
    for t in (1, 2, 10, 1e6):
        assert schedule(t, schedule.eta0) == 0.07
    assert schedule.reduced(0.07) is None
    assert not schedule.can_recover


@pytest.mark.parametrize("power_t", [0.25, 0.5, 1.0])
def test_invscaling_schedule(power_t):
    schedule = Schedule("invscaling", eta0=0.1, power_t=power_t)
    for t in (1.0, 2.0, 3.0, 100.0, 12345.0):
        np.testing.assert_allclose(schedule(t, 0.1), 0.1 / t**power_t, rtol=1e-15)
    assert schedule(1.0, 0.1) == 0.1
    assert schedule.reduced(0.1) is None


def _sklearn_optimal(alpha, loss, t):
    # scikit-learn's `_sgd_fast`: Bottou's heuristic for t0, then 1 / (alpha (t0 + t − 1)).
    typw = np.sqrt(1.0 / np.sqrt(alpha))
    dloss = float(loss.gradient(np.array([1.0]), np.array([-typw]))[0])
    initial_eta0 = typw / max(1.0, dloss)
    t0 = 1.0 / (initial_eta0 * alpha)
    return 1.0 / (alpha * (t0 + t - 1.0))


@pytest.mark.parametrize("alpha", [1e-6, 1e-4, 0.01, 1.0])
@pytest.mark.parametrize("name", ["hinge", "log_loss", "squared_error", "modified_huber"])
def test_optimal_schedule(name, alpha):
    loss = make_loss(name)
    schedule = Schedule("optimal", eta0=123.0, alpha=alpha, loss=loss)
    for t in (1.0, 2.0, 10.0, 1000.0, 1e6):
        expected = _sklearn_optimal(alpha, loss, t)
        np.testing.assert_allclose(schedule(t, schedule.eta0), expected, rtol=1e-13)
    assert schedule.reduced(schedule.eta0) is None


def test_optimal_schedule_known_numbers():
    # alpha = 1e-4: typw = 10, initial_eta0 = 10, t0 = 1000, eta(t) = 1 / (1e-4 (999 + t)).
    schedule = Schedule("optimal", alpha=1e-4, loss=make_loss("hinge"))
    np.testing.assert_allclose(schedule.optimal_init, 1000.0, rtol=1e-13)
    np.testing.assert_allclose(schedule(1, schedule.eta0), 10.0, rtol=1e-13)
    np.testing.assert_allclose(schedule(1001, schedule.eta0), 5.0, rtol=1e-13)


def test_adaptive_schedule():
    schedule = Schedule("adaptive", eta0=0.01)
    assert schedule(1, 0.01) == 0.01 and schedule(500, 0.01) == 0.01
    etas = [schedule.eta0]
    while schedule.reduced(etas[-1]) is not None:
        etas.append(schedule(1, schedule.reduced(etas[-1])))
        assert len(etas) < 100
    # Each time, eta / 5, while eta was above 1e-6 before the division.
    np.testing.assert_allclose(etas, 0.01 / 5.0 ** np.arange(len(etas)), rtol=1e-12)
    assert etas[-2] > 1e-6 >= etas[-1]
    assert len(etas) == 7  # 0.01 → 6.4e-7 in six divisions
    # Once at or below 1e-6 it stays put.
    assert schedule.reduced(etas[-1]) is None
    # The schedule itself never changed: it holds no state.
    assert schedule.eta0 == 0.01


def test_adaptive_schedule_at_the_threshold():
    schedule = Schedule("adaptive", eta0=1e-6)
    assert schedule.reduced(1e-6) is None
    schedule = Schedule("adaptive", eta0=2e-6)
    np.testing.assert_allclose(schedule.reduced(2e-6), 4e-7, rtol=1e-15)
    assert schedule.reduced(4e-7) is None


@pytest.mark.parametrize(
    "kind, code",
    [
        ("constant", CONSTANT),
        ("adaptive", CONSTANT),
        ("invscaling", INVSCALING),
        ("optimal", OPTIMAL),
    ],
)
def test_compiled_learning_rate_matches_schedule(kind, code):
    schedule = Schedule(kind, eta0=0.05, power_t=0.3, alpha=1e-3, loss=make_loss("log_loss"))
    eta0 = schedule.reduced(0.05) if kind == "adaptive" else 0.05
    args = schedule.kernel_args(eta0)
    assert args[0] == code
    # The kernels and the schedule share one compiled formula; both give scikit-learn's.
    assert _kernels.learning_rate is schedules.learning_rate
    for t in (1.0, 2.0, 7.0, 1000.0):
        if kind == "optimal":
            expected = 1.0 / (1e-3 * (schedule.optimal_init + t - 1.0))
        else:
            expected = eta0 / t**0.3 if kind == "invscaling" else eta0
        np.testing.assert_allclose(_kernels.learning_rate(*args, t), expected, rtol=1e-14)
        np.testing.assert_allclose(schedule(t, eta0), expected, rtol=1e-14)
