"""Graded tests for chapter 09 (GELU and Swish).

Oracles come from the standard library, one scalar at a time: ``math.erf`` for erf and the
exact GELU, ``math.tanh`` and ``math.exp`` for the tanh form and Swish. Gradients are checked
against central differences with a random upstream gradient.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

GELU_MIN_X, GELU_MIN = -0.7517915246935645, -0.16997120747990369  # argmin and min of x*Phi(x)
SILU_MIN_X = -1.2784645427610737  # argmin of x*sigmoid(x): the root of 1 + x*(1 - s) = 0


def floats(bound):
    return st.lists(st.floats(min_value=-bound, max_value=bound, allow_nan=False),
                    min_size=1, max_size=12)


def phi_cdf(v):
    return 0.5 * (1.0 + math.erf(v / math.sqrt(2.0)))


def gelu_oracle(xs):
    return np.array([v * phi_cdf(v) for v in np.ravel(xs)]).reshape(np.shape(xs))


def gelu_tanh_oracle(xs):
    c = math.sqrt(2.0 / math.pi)
    return np.array([0.5 * v * (1.0 + math.tanh(c * (v + 0.044715 * v ** 3))) for v in xs])


def swish_oracle(xs, beta):
    # x / (1 + exp(-beta x)), with the overflow-free branch for very negative beta*x
    return np.array([v / (1.0 + math.exp(-beta * v)) if beta * v > -700 else 0.0 for v in xs])


def forward_pair(check, result, name):
    check.true(isinstance(result, tuple) and len(result) == 2,
               f"{name} should return a pair (out, cache)", f"it returned {type(result).__name__}")
    return result


# ---------------------------------------------------------------- 09.1 erf
@pytest.mark.exercise("09.1")
def test_erf_shape(kata, check, rng):
    check.shape(kata.erf(rng.normal(size=(3, 4))), (3, 4), "erf of a (3, 4) array")


@pytest.mark.exercise("09.1")
def test_erf_known_values(kata, check):
    # erf(0) = 0 exactly; the others are the textbook values (math.erf agrees)
    xs = np.array([0.0, 0.5, 1.0, -2.0])
    check.close(kata.erf(xs), [math.erf(v) for v in xs], "erf([0, 0.5, 1, -2])")


@pytest.mark.exercise("09.1")
@given(floats(10.0))
def test_erf_matches_math_erf(kata, check, xs):
    check.close(kata.erf(np.array(xs)), [math.erf(v) for v in xs], "erf vs math.erf")


@pytest.mark.exercise("09.1")
def test_erf_dense_grid_float64_accurate(kata, check):
    xs = np.linspace(-7.0, 7.0, 1401)
    got = check.array(kata.erf(xs), "erf on a grid")
    worst = float(np.max(np.abs(got - np.array([math.erf(v) for v in xs]))))
    check.true(worst < 1e-13, f"erf is off by up to {worst:.2g} on [-7, 7]; float64 needs < 1e-13",
               "A&S 7.1.26 and similar short formulas stop at ~1e-7; the series in the docstring "
               "reaches 1e-15 with enough terms")


@pytest.mark.exercise("09.1")
def test_erf_is_odd(kata, check):
    xs = np.linspace(0.0, 12.0, 49)
    pos = check.array(kata.erf(xs), "erf(x)")
    neg = check.array(kata.erf(-xs), "erf(-x)")
    check.close(neg, -pos, "erf(-x) compared with -erf(x) (erf is odd)", rtol=0, atol=1e-15)


@pytest.mark.exercise("09.1")
def test_erf_saturates_far_from_zero(kata, check):
    xs = np.array([6.0, 8.0, 30.0, 1e3, -6.0, -8.0, -30.0, -1e3])
    with np.errstate(all="ignore"):
        got = kata.erf(xs)
    check.close(got, np.sign(xs), "erf at |x| >= 6 (should be exactly +-1)", rtol=0, atol=1e-15)


# ---------------------------------------------------------------- 09.2 GELU forward
@pytest.mark.exercise("09.2")
def test_gelu_forward_shape(kata, check, rng):
    out, _ = forward_pair(check, kata.gelu_forward(rng.normal(size=(4, 5))), "gelu_forward")
    check.shape(out, (4, 5), "out of gelu_forward on a (4, 5) input")


@pytest.mark.exercise("09.2")
def test_gelu_forward_small_values(kata, check):
    # GELU(0) = 0, GELU(1) = Phi(1) ~ 0.8413, GELU(-1) = -(1 - Phi(1)) ~ -0.1587
    out, _ = kata.gelu_forward(np.array([0.0, 1.0, -1.0]))
    check.close(out, [0.0, phi_cdf(1.0), -(1.0 - phi_cdf(1.0))], "gelu_forward([0, 1, -1])")


@pytest.mark.exercise("09.2")
@given(floats(12.0))
def test_gelu_forward_matches_x_times_phi(kata, check, xs):
    out, _ = kata.gelu_forward(np.array(xs))
    check.close(out, gelu_oracle(xs), "gelu_forward vs x * Phi(x) from math.erf")


@pytest.mark.exercise("09.2")
def test_gelu_becomes_relu_far_from_zero(kata, check):
    xs = np.array([-50.0, -20.0, -9.0, 9.0, 20.0, 50.0])
    out, _ = kata.gelu_forward(xs)
    check.close(out, np.maximum(xs, 0.0), "gelu_forward at |x| >= 9 (should equal ReLU)",
                rtol=1e-14, atol=1e-13)


@pytest.mark.exercise("09.2")
def test_gelu_non_monotonic_minimum(kata, check):
    xs = np.linspace(-3.0, 0.0, 3001)
    out = check.array(kata.gelu_forward(xs)[0], "gelu_forward on [-3, 0]")
    where, lowest = float(xs[np.argmin(out)]), float(out.min())
    check.true(abs(where - GELU_MIN_X) < 2e-3 and abs(lowest - GELU_MIN) < 1e-6,
               f"GELU's minimum is at x = {where:.4f} with value {lowest:.5f}; expected "
               f"x = {GELU_MIN_X:.4f}, value {GELU_MIN:.5f}",
               "Phi(x) = 0.5 * (1 + erf(x / sqrt(2))): check the sqrt(2) and the 0.5")


# ---------------------------------------------------------------- 09.3 GELU backward
@pytest.mark.exercise("09.3")
def test_gelu_backward_shape(kata, check, rng):
    x = rng.normal(size=(4, 5))
    _, cache = kata.gelu_forward(x)
    check.shape(kata.gelu_backward(rng.normal(size=(4, 5)), cache), (4, 5), "dx of gelu_backward")


@pytest.mark.exercise("09.3")
def test_gelu_backward_at_zero_and_far_away(kata, check):
    # slope Phi(0) + 0 = 1/2 at 0; slope 1 far right, 0 far left (the ReLU slopes)
    _, cache = kata.gelu_forward(np.array([0.0, 10.0, -10.0]))
    dx = kata.gelu_backward(np.array([3.0, 3.0, 3.0]), cache)
    check.close(dx, [1.5, 3.0, 0.0], "gelu_backward with dout = 3 at x = [0, 10, -10]")


@pytest.mark.exercise("09.3")
def test_gelu_backward_gradcheck(kata, check, rng):
    x, dout = 2.0 * rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    dx = kata.gelu_backward(dout, kata.gelu_forward(x)[1])
    check.gradients(lambda x: kata.gelu_forward(x)[0], {"x": x}, {"x": dx}, dout, "gelu")


@pytest.mark.exercise("09.3")
def test_gelu_backward_zero_slope_at_minimum(kata, check):
    _, cache = kata.gelu_forward(np.array([GELU_MIN_X]))
    dx = kata.gelu_backward(np.array([1.0]), cache)
    check.close(dx, [0.0], "GELU's slope at its minimum x = -0.7518", atol=1e-12)


@pytest.mark.exercise("09.2")
def test_gelu_forward_caches_x(kata, check, rng):
    x = rng.normal(size=(3, 4))
    _, cache = forward_pair(check, kata.gelu_forward(x), "gelu_forward")
    check.close(cache, x, "the cache of gelu_forward (should be x itself: backward needs Phi(x) and phi(x))",
                rtol=0, atol=0)


# ---------------------------------------------------------------- 09.4 GELU tanh forward
@pytest.mark.exercise("09.4")
def test_gelu_tanh_forward_shape(kata, check, rng):
    out, _ = forward_pair(check, kata.gelu_tanh_forward(rng.normal(size=(2, 3, 4))),
                          "gelu_tanh_forward")
    check.shape(out, (2, 3, 4), "out of gelu_tanh_forward on a (2, 3, 4) input")


@pytest.mark.exercise("09.4")
@given(floats(12.0))
def test_gelu_tanh_forward_matches_formula(kata, check, xs):
    out, _ = kata.gelu_tanh_forward(np.array(xs))
    check.close(out, gelu_tanh_oracle(xs), "gelu_tanh_forward vs the tanh formula")


@pytest.mark.exercise("09.4")
def test_gelu_tanh_forward_caches_x_and_tanh_u(kata, check, rng):
    x = rng.normal(size=(3, 4))
    _, cache = forward_pair(check, kata.gelu_tanh_forward(x), "gelu_tanh_forward")
    check.true(isinstance(cache, tuple) and len(cache) == 2, "the cache of gelu_tanh_forward should be (x, tanh(u))",
               f"it is {type(cache).__name__}")
    c = math.sqrt(2.0 / math.pi)
    t = np.array([[math.tanh(c * (v + 0.044715 * v ** 3)) for v in row] for row in x])
    check.close(cache[0], x, "cache[0] of gelu_tanh_forward (x)", rtol=0, atol=0)
    check.close(cache[1], t, "cache[1] of gelu_tanh_forward (t = tanh(u), not u itself)")


@pytest.mark.exercise("09.4")
def test_gelu_tanh_is_close_to_exact_but_not_equal(kata, check):
    xs = np.linspace(-5.0, 5.0, 201)
    out = check.array(kata.gelu_tanh_forward(xs)[0], "gelu_tanh_forward")
    gap = float(np.max(np.abs(out - gelu_oracle(xs))))
    check.true(1e-4 < gap < 5e-4, f"tanh-GELU differs from exact GELU by at most {gap:.3g}",
               "the tanh form is within 5e-4 of x*Phi(x) yet not equal to it: copy both "
               "constants, sqrt(2/pi) and 0.044715, exactly")


# ---------------------------------------------------------------- 09.5 GELU tanh backward
@pytest.mark.exercise("09.5")
def test_gelu_tanh_backward_shape(kata, check, rng):
    _, cache = kata.gelu_tanh_forward(rng.normal(size=(4, 5)))
    check.shape(kata.gelu_tanh_backward(rng.normal(size=(4, 5)), cache), (4, 5),
                "dx of gelu_tanh_backward")


@pytest.mark.exercise("09.5")
def test_gelu_tanh_backward_slopes(kata, check):
    _, cache = kata.gelu_tanh_forward(np.array([0.0, 10.0, -10.0]))
    dx = kata.gelu_tanh_backward(np.array([2.0, 2.0, 2.0]), cache)
    check.close(dx, [1.0, 2.0, 0.0], "gelu_tanh_backward with dout = 2 at x = [0, 10, -10]",
                atol=1e-12)


@pytest.mark.exercise("09.5")
def test_gelu_tanh_backward_gradcheck(kata, check, rng):
    x, dout = 2.0 * rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    dx = kata.gelu_tanh_backward(dout, kata.gelu_tanh_forward(x)[1])
    check.gradients(lambda x: kata.gelu_tanh_forward(x)[0], {"x": x}, {"x": dx}, dout, "tanh-GELU")


# ---------------------------------------------------------------- 09.6 Swish forward
@pytest.mark.exercise("09.6")
def test_swish_forward_shape(kata, check, rng):
    out, _ = forward_pair(check, kata.swish_forward(rng.normal(size=(4, 5)), 1.5), "swish_forward")
    check.shape(out, (4, 5), "out of swish_forward on a (4, 5) input")


@pytest.mark.exercise("09.6")
def test_swish_forward_beta_zero_halves(kata, check):
    # sigmoid(0) = 1/2, so with beta = 0 Swish is x / 2
    out, _ = kata.swish_forward(np.array([-4.0, 0.0, 2.0, 6.0]), 0.0)
    check.close(out, [-2.0, 0.0, 1.0, 3.0], "swish_forward(x, beta=0)",
                suspects={"beta is not applied: x * sigmoid(x) ignores beta (sigmoid(beta * x))":
                          swish_oracle([-4.0, 0.0, 2.0, 6.0], 1.0)})


@pytest.mark.exercise("09.6")
@given(floats(30.0), st.floats(min_value=-3.0, max_value=3.0))
def test_swish_forward_matches_formula(kata, check, xs, beta):
    out, _ = kata.swish_forward(np.array(xs), beta)
    check.close(out, swish_oracle(xs, beta), f"swish_forward(x, beta={beta})")


@pytest.mark.exercise("09.6")
def test_swish_large_beta_is_relu_and_stable(kata, check):
    xs = np.array([-1000.0, -3.0, -1.0, 1.0, 3.0, 1000.0])
    try:
        with np.errstate(over="raise"):
            out, _ = kata.swish_forward(xs, 50.0)
    except FloatingPointError:
        check.fail("swish_forward(x, beta=50) overflowed in exp for |beta * x| = 50000",
                   "1 / (1 + exp(-z)) overflows for very negative z: use the provided _sigmoid")
    check.close(out, np.maximum(xs, 0.0), "swish_forward(x, beta=50) far from 0 (approaches ReLU)",
                rtol=1e-12, atol=1e-12)


@pytest.mark.exercise("09.6")
def test_silu_minimum(kata, check):
    xs = np.linspace(-3.0, 0.0, 3001)
    out = check.array(kata.swish_forward(xs, 1.0)[0], "swish_forward(x, beta=1) on [-3, 0]")
    where, lowest = float(xs[np.argmin(out)]), float(out.min())
    # at the minimum s = 1 + 1/x, so the value there is x * s = x + 1
    check.true(abs(where - SILU_MIN_X) < 2e-3 and abs(lowest - (SILU_MIN_X + 1.0)) < 1e-6,
               f"SiLU's minimum is at x = {where:.4f} with value {lowest:.5f}; expected "
               f"x = {SILU_MIN_X:.4f}, value {SILU_MIN_X + 1:.5f}")


@pytest.mark.exercise("09.6")
def test_swish_forward_caches_x_beta_and_s(kata, check, rng):
    x, beta = rng.normal(size=(3, 4)), 1.7
    _, cache = forward_pair(check, kata.swish_forward(x, beta), "swish_forward")
    check.true(isinstance(cache, tuple) and len(cache) == 3, "the cache of swish_forward should be (x, beta, s)",
               f"it is {type(cache).__name__}")
    check.close(cache[0], x, "cache[0] of swish_forward (x)", rtol=0, atol=0)
    check.close(cache[1], beta, "cache[1] of swish_forward (beta)", rtol=0, atol=0)
    check.close(cache[2], 1.0 / (1.0 + np.exp(-beta * x)), "cache[2] of swish_forward (s = sigmoid(beta * x))")


# ---------------------------------------------------------------- 09.7 Swish backward
@pytest.mark.exercise("09.7")
def test_swish_backward_shapes(kata, check, rng):
    _, cache = kata.swish_forward(rng.normal(size=(4, 5)), 1.3)
    dx, dbeta = kata.swish_backward(rng.normal(size=(4, 5)), cache)
    check.shape(dx, (4, 5), "dx of swish_backward")
    check.shape(dbeta, (), "dbeta of swish_backward (one beta for every entry: a scalar)")


@pytest.mark.exercise("09.7")
def test_swish_backward_by_hand(kata, check):
    # beta = 0: s = 1/2, s(1-s) = 1/4. dx = dout * 1/2; dbeta = sum(dout * x^2) / 4 = (1*1 + 2*1)/4
    _, cache = kata.swish_forward(np.array([1.0, -1.0]), 0.0)
    dx, dbeta = kata.swish_backward(np.array([1.0, 2.0]), cache)
    check.close(dx, [0.5, 1.0], "dx of swish_backward at beta = 0")
    check.close(dbeta, 0.75, "dbeta of swish_backward at beta = 0")


@pytest.mark.exercise("09.7")
def test_swish_backward_gradcheck(kata, check, rng):
    x, dout, beta = 2.0 * rng.normal(size=(4, 5)), rng.normal(size=(4, 5)), np.array(1.7)
    dx, dbeta = kata.swish_backward(dout, kata.swish_forward(x, 1.7)[1])
    check.gradients(lambda x, beta: kata.swish_forward(x, float(beta))[0],
                    {"x": x, "beta": beta}, {"x": dx, "beta": dbeta}, dout, "swish (beta = 1.7)")


@pytest.mark.exercise("09.7")
def test_swish_dbeta_adds_over_the_batch(kata, check, rng):
    x, dout = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    whole = check.array(kata.swish_backward(dout, kata.swish_forward(x, 0.8)[1])[1], "dbeta")
    top = check.array(kata.swish_backward(dout[:2], kata.swish_forward(x[:2], 0.8)[1])[1], "dbeta")
    rest = check.array(kata.swish_backward(dout[2:], kata.swish_forward(x[2:], 0.8)[1])[1], "dbeta")
    check.close(whole, top + rest, "dbeta of a batch vs the dbetas of its two parts added",
                batch_size=6)


@pytest.mark.exercise("09.7")
def test_silu_backward_zero_at_minimum(kata, check):
    _, cache = kata.swish_forward(np.array([SILU_MIN_X]), 1.0)
    dx, _ = kata.swish_backward(np.array([1.0]), cache)
    check.close(dx, [0.0], "SiLU's slope at its minimum x = -1.2785", atol=1e-12)


# ---------------------------------------------------------------- edge cases (issue 10 §2)
# Every forward AND backward at +-50 and +-1000, with overflow turned into an error: an exp()
# or cosh() that overflows is a mistake even when the final number happens to come out right.
EXTREMES = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])


def calm(check, call, quantity):
    try:
        with np.errstate(over="raise", invalid="raise"):
            return call()
    except FloatingPointError as err:
        check.fail(f"{quantity} overflowed or produced NaN ({err})",
                   "exp(z) is inf above z ~ 709 and cosh too; inf/inf and 0 * inf are NaN",
                   "write every exp() with an argument <= 0 (exp(-x^2 / 2), the provided _sigmoid, "
                   "np.tanh), and get sech^2 as 1 - tanh^2")


def scalar_sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


@pytest.mark.exercise("09.2")
def test_gelu_forward_at_extremes(kata, check):
    out, _ = forward_pair(check, calm(check, lambda: kata.gelu_forward(EXTREMES), "gelu_forward(+-1000)"),
                          "gelu_forward")
    check.close(out, gelu_oracle(EXTREMES), "gelu_forward at x = -1000, -50, ..., 50, 1000", atol=1e-12)


@pytest.mark.exercise("09.3")
def test_gelu_backward_at_extremes(kata, check, rng):
    _, cache = forward_pair(check, kata.gelu_forward(EXTREMES), "gelu_forward")
    dout = rng.normal(size=EXTREMES.shape)
    dx = calm(check, lambda: kata.gelu_backward(dout, cache), "gelu_backward at +-1000")
    slope = [phi_cdf(v) + v * math.exp(-0.5 * v * v) / math.sqrt(2 * math.pi) for v in EXTREMES]
    check.close(dx, dout * np.array(slope), "gelu_backward at x = -1000, ..., 1000 (slopes 0 and 1 "
                "far out)", atol=1e-12)


@pytest.mark.exercise("09.4")
def test_gelu_tanh_forward_at_extremes(kata, check):
    out, _ = forward_pair(check, calm(check, lambda: kata.gelu_tanh_forward(EXTREMES),
                                      "gelu_tanh_forward(+-1000)"), "gelu_tanh_forward")
    check.close(out, gelu_tanh_oracle(EXTREMES), "gelu_tanh_forward at x = -1000, ..., 1000", atol=1e-12)


@pytest.mark.exercise("09.5")
def test_gelu_tanh_backward_at_extremes(kata, check, rng):
    _, cache = forward_pair(check, kata.gelu_tanh_forward(EXTREMES), "gelu_tanh_forward")
    dout = rng.normal(size=EXTREMES.shape)
    dx = calm(check, lambda: kata.gelu_tanh_backward(dout, cache), "gelu_tanh_backward at +-1000")
    c = math.sqrt(2.0 / math.pi)
    slope = []
    for v in EXTREMES:
        t = math.tanh(c * (v + 0.044715 * v ** 3))
        slope.append(0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v))
    check.close(dx, dout * np.array(slope), "gelu_tanh_backward at x = -1000, ..., 1000", atol=1e-12)


@pytest.mark.exercise("09.6")
@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_swish_forward_at_extremes(kata, check, beta):
    out, _ = forward_pair(check, calm(check, lambda: kata.swish_forward(EXTREMES, beta),
                                      f"swish_forward(+-1000, beta={beta})"), "swish_forward")
    check.close(out, [v * scalar_sigmoid(beta * v) for v in EXTREMES],
                f"swish_forward at x = -1000, ..., 1000, beta = {beta}", atol=1e-12)


@pytest.mark.exercise("09.7")
@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_swish_backward_at_extremes(kata, check, rng, beta):
    _, cache = forward_pair(check, kata.swish_forward(EXTREMES, beta), "swish_forward")
    dout = rng.normal(size=EXTREMES.shape)
    dx, dbeta = calm(check, lambda: kata.swish_backward(dout, cache), f"swish_backward at +-1000, beta={beta}")
    s = [scalar_sigmoid(beta * v) for v in EXTREMES]
    check.close(dx, [d * (si + beta * v * si * (1 - si)) for d, si, v in zip(dout, s, EXTREMES)],
                f"dx of swish_backward at x = -1000, ..., 1000, beta = {beta}", atol=1e-12)
    check.close(dbeta, math.fsum(d * v * v * si * (1 - si) for d, si, v in zip(dout, s, EXTREMES)),
                f"dbeta of swish_backward at x = -1000, ..., 1000, beta = {beta}", atol=1e-12)
