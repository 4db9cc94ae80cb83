"""Graded tests for chapter 11 (LayerNorm and RMSNorm).

The oracles below are written out here: statistics over the LAST axis, biased variance, eps
inside the square root. Gradients are checked with a random upstream gradient on 2-D and 3-D
inputs (gamma and beta are shared by every row and every time step).
"""

import numpy as np
import pytest


def ln_oracle(x, gamma, beta, eps=1e-5):
    C = x.shape[-1]
    mean = x.sum(axis=-1, keepdims=True) / C
    var = ((x - mean) ** 2).sum(axis=-1, keepdims=True) / C
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def rms_oracle(x, gamma, eps=1e-6):
    return gamma * x / np.sqrt((x ** 2).sum(axis=-1, keepdims=True) / x.shape[-1] + eps)


def sample(rng, shape=(4, 5)):
    """Rows with their own offsets and spreads, so normalizing the wrong axis shows."""
    lead = shape[:-1] + (1,)
    x = rng.normal(size=shape) * rng.uniform(0.5, 3.0, size=lead) + rng.uniform(-3, 3, size=lead)
    C = shape[-1]
    return x, rng.uniform(0.5, 2.0, size=C), rng.normal(size=C)


def per_row_affine(rng, x):
    lead = x.shape[:-1] + (1,)
    return rng.uniform(0.5, 4.0, size=lead), rng.uniform(-5.0, 5.0, size=lead)


# ---------------------------------------------------------------- 11.1 LayerNorm forward
@pytest.mark.exercise("11.1")
def test_layernorm_forward_shapes(kata, check, rng):
    for shape in [(4, 5), (2, 3, 4)]:
        x, gamma, beta = sample(rng, shape)
        result = kata.layernorm_forward(x, gamma, beta)
        check.true(isinstance(result, tuple) and len(result) == 2,
                   "layernorm_forward should return a pair (out, cache)")
        check.shape(result[0], shape, f"out of layernorm_forward on a {shape} input")


@pytest.mark.exercise("11.1")
def test_layernorm_forward_by_hand(kata, check):
    # row [1, 3]: mean 2, var 1, x_hat = -+1/sqrt(1 + eps). Row [5, 5]: var 0, output = beta.
    x = np.array([[1.0, 3.0], [5.0, 5.0]])
    out, _ = kata.layernorm_forward(x, np.array([2.0, 1.0]), np.array([0.0, 0.5]))
    a = 1.0 / np.sqrt(1.0 + 1e-5)
    outside, unbiased = 1.0 / (1.0 + 1e-5), 1.0 / np.sqrt(2.0 + 1e-5)  # sqrt(var) + eps; var / (C - 1)
    check.close(out, [[-2.0 * a, 0.5 + a], [0.0, 0.5]], "layernorm_forward of [[1, 3], [5, 5]]",
                suspects={"the denominator is var + eps = 1 + eps, not sqrt(var + eps): eps is added "
                          "outside the square root (sqrt(var) + eps), or the square root is missing "
                          "(with var = 1 here both give this)": [[-2.0 * outside, 0.5 + outside], [0.0, 0.5]],
                          "the variance is the unbiased one (/ (C - 1)); LayerNorm uses the biased "
                          "one (/ C)": [[-2.0 * unbiased, 0.5 + unbiased], [0.0, 0.5]]})


@pytest.mark.exercise("11.1")
def test_layernorm_forward_matches_formula(kata, check, rng):
    x, gamma, beta = sample(rng, (2, 3, 4))
    out, _ = kata.layernorm_forward(x, gamma, beta, eps=0.5)
    check.close(out, ln_oracle(x, gamma, beta, eps=0.5), "layernorm_forward on (2, 3, 4), eps = 0.5")


@pytest.mark.exercise("11.1")
def test_layernorm_invariant_to_row_shift_and_scale(kata, check, rng):
    x, gamma, beta = sample(rng, (5, 6))
    scale, shift = per_row_affine(rng, x)
    out = check.array(kata.layernorm_forward(x, gamma, beta, eps=1e-12)[0], "layernorm_forward")
    moved = check.array(kata.layernorm_forward(scale * x + shift, gamma, beta, eps=1e-12)[0],
                        "layernorm_forward")
    check.close(moved, out, "layernorm_forward(a * x + b) vs layernorm_forward(x), a and b per row",
                rtol=1e-9, atol=1e-9)


@pytest.mark.exercise("11.1")
def test_layernorm_rows_are_independent(kata, check, rng):
    x, gamma, beta = sample(rng, (4, 5))
    whole = check.array(kata.layernorm_forward(x, gamma, beta)[0], "layernorm_forward")
    alone = check.array(kata.layernorm_forward(x[1:2], gamma, beta)[0], "layernorm_forward")
    check.close(alone, whole[1:2], "row 1 alone vs row 1 inside a batch (no batch dependence)")


@pytest.mark.exercise("11.1")
def test_layernorm_forward_cache_is_x_hat_inv_std_gamma(kata, check, rng):
    x, gamma, beta = sample(rng, (2, 3, 5))
    _, cache = kata.layernorm_forward(x, gamma, beta, eps=0.1)
    check.true(isinstance(cache, tuple) and len(cache) == 3,
               "the cache of layernorm_forward should be (x_hat, inv_std, gamma)", f"it is {type(cache).__name__}")
    C = x.shape[-1]
    mean = x.sum(axis=-1, keepdims=True) / C
    inv_std = 1.0 / np.sqrt(((x - mean) ** 2).sum(axis=-1, keepdims=True) / C + 0.1)  # (2, 3, 1)
    check.close(cache[0], (x - mean) * inv_std, "cache[0] of layernorm_forward (x_hat)")
    check.close(cache[1], inv_std, "cache[1] of layernorm_forward on x: (2, 3, 5) "
                "(inv_std = 1 / sqrt(var + eps), kept as (2, 3, 1) with keepdims=True)")
    check.close(cache[2], gamma, "cache[2] of layernorm_forward (gamma)", rtol=0, atol=0)


# ---------------------------------------------------------------- 11.2 LayerNorm backward
def ln_grads(kata, x, gamma, beta, dout, eps=1e-5):
    return kata.layernorm_backward(dout, kata.layernorm_forward(x, gamma, beta, eps)[1])


@pytest.mark.exercise("11.2")
def test_layernorm_backward_shapes(kata, check, rng):
    x, gamma, beta = sample(rng, (2, 3, 4))
    dx, dgamma, dbeta = ln_grads(kata, x, gamma, beta, rng.normal(size=(2, 3, 4)))
    check.shape(dx, (2, 3, 4), "dx for a (2, 3, 4) input")
    check.shape(dgamma, (4,), "dgamma (summed over every axis but the last)")
    check.shape(dbeta, (4,), "dbeta (summed over every axis but the last)")


@pytest.mark.exercise("11.2")
def test_layernorm_backward_by_hand(kata, check):
    # C = 2, eps = 0: every row normalizes to [-1, 1] or [1, -1] whatever it is, so dx = 0.
    x, dout = np.array([[0.0, 2.0], [7.0, 1.0]]), np.array([[1.0, 2.0], [3.0, 5.0]])
    dx, dgamma, dbeta = ln_grads(kata, x, np.array([2.0, 1.0]), np.zeros(2), dout, eps=0.0)
    check.close(dbeta, [4.0, 7.0], "dbeta = dout summed over the rows")
    check.close(dgamma, [2.0, -3.0], "dgamma = (dout * x_hat) summed over the rows")
    check.close(dx, np.zeros((2, 2)), "dx for two features (x_hat is +-1 whatever x is)", atol=1e-12)


@pytest.mark.exercise("11.2")
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_layernorm_backward_gradcheck(kata, check, rng, shape):
    x, gamma, beta = sample(rng, shape)
    dout = rng.normal(size=shape)
    dx, dgamma, dbeta = ln_grads(kata, x, gamma, beta, dout)
    check.gradients(lambda x, gamma, beta: kata.layernorm_forward(x, gamma, beta)[0],
                    {"x": x, "gamma": gamma, "beta": beta},
                    {"x": dx, "gamma": dgamma, "beta": dbeta}, dout, f"layernorm on {shape}")


@pytest.mark.exercise("11.2")
def test_layernorm_dx_rows_orthogonal_to_ones_and_x_hat(kata, check, rng):
    x, gamma, beta = sample(rng, (3, 6))
    dx = check.array(ln_grads(kata, x, gamma, beta, rng.normal(size=(3, 6)), eps=0.0)[0], "dx")
    x_hat = ln_oracle(x, 1.0, 0.0, eps=0.0)
    check.close(dx.sum(axis=-1), np.zeros(3), "sum over each row of dx (shift invariance)",
                atol=1e-10)
    check.close((dx * x_hat).sum(axis=-1), np.zeros(3),
                "sum over each row of dx * x_hat (scale invariance)", atol=1e-10)


# ---------------------------------------------------------------- 11.3 RMSNorm forward
@pytest.mark.exercise("11.3")
def test_rmsnorm_forward_shapes(kata, check, rng):
    for shape in [(4, 5), (2, 3, 4)]:
        x, gamma, _ = sample(rng, shape)
        result = kata.rmsnorm_forward(x, gamma)
        check.true(isinstance(result, tuple) and len(result) == 2,
                   "rmsnorm_forward should return a pair (out, cache)")
        check.shape(result[0], shape, f"out of rmsnorm_forward on a {shape} input")


@pytest.mark.exercise("11.3")
def test_rmsnorm_forward_by_hand(kata, check):
    # rms([1, -1, 1, -1]) = 1 and rms([2, 2, 2, 2]) = 2: no mean is removed
    x = np.array([[1.0, -1.0, 1.0, -1.0], [2.0, 2.0, 2.0, 2.0]])
    out, _ = kata.rmsnorm_forward(x, np.array([1.0, 2.0, 3.0, 4.0]), eps=0.0)
    check.close(out, [[1.0, -2.0, 3.0, -4.0], [1.0, 2.0, 3.0, 4.0]],
                "rmsnorm_forward of [[1, -1, 1, -1], [2, 2, 2, 2]] (eps = 0)")


@pytest.mark.exercise("11.3")
def test_rmsnorm_forward_matches_formula(kata, check, rng):
    x, gamma, _ = sample(rng, (2, 3, 4))
    out, _ = kata.rmsnorm_forward(x, gamma, eps=0.5)
    check.close(out, rms_oracle(x, gamma, eps=0.5), "rmsnorm_forward on (2, 3, 4), eps = 0.5")


@pytest.mark.exercise("11.3")
def test_rmsnorm_scale_invariant_but_not_shift_invariant(kata, check, rng):
    x, gamma, _ = sample(rng, (5, 6))
    scale, shift = per_row_affine(rng, x)
    out = check.array(kata.rmsnorm_forward(x, gamma, eps=1e-12)[0], "rmsnorm_forward")
    scaled = check.array(kata.rmsnorm_forward(scale * x, gamma, eps=1e-12)[0], "rmsnorm_forward")
    check.close(scaled, out, "rmsnorm_forward(a * x) vs rmsnorm_forward(x), a > 0 per row",
                rtol=1e-9, atol=1e-9)
    shifted = check.array(kata.rmsnorm_forward(x + shift, gamma, eps=1e-12)[0], "rmsnorm_forward")
    check.true(not np.allclose(shifted, out, atol=1e-3),
               "rmsnorm_forward(x + b) equals rmsnorm_forward(x): the output ignores a shift",
               "RMSNorm does not subtract the mean; only LayerNorm is shift invariant")


@pytest.mark.exercise("11.3")
def test_rmsnorm_zero_row_and_independent_rows(kata, check, rng):
    x, gamma, _ = sample(rng, (3, 4))
    x[0] = 0.0
    out = check.array(kata.rmsnorm_forward(x, gamma)[0], "rmsnorm_forward")
    check.close(out[0], np.zeros(4), "rmsnorm_forward of an all-zero row (eps keeps 0/0 away)")
    alone = check.array(kata.rmsnorm_forward(x[2:], gamma)[0], "rmsnorm_forward")
    check.close(alone, out[2:], "row 2 alone vs row 2 inside a batch (no batch dependence)")


@pytest.mark.exercise("11.3")
def test_rmsnorm_forward_cache_is_x_inv_rms_gamma(kata, check, rng):
    x, gamma, _ = sample(rng, (2, 3, 5))
    _, cache = kata.rmsnorm_forward(x, gamma, eps=0.1)
    check.true(isinstance(cache, tuple) and len(cache) == 3,
               "the cache of rmsnorm_forward should be (x, inv_rms, gamma)", f"it is {type(cache).__name__}")
    check.close(cache[0], x, "cache[0] of rmsnorm_forward (x itself, not the normalized x)", rtol=0, atol=0)
    check.close(cache[1], 1.0 / np.sqrt((x ** 2).sum(axis=-1, keepdims=True) / 5 + 0.1),
                "cache[1] of rmsnorm_forward on x: (2, 3, 5) (inv_rms, kept as (2, 3, 1))")
    check.close(cache[2], gamma, "cache[2] of rmsnorm_forward (gamma)", rtol=0, atol=0)


# ---------------------------------------------------------------- 11.4 RMSNorm backward
def rms_grads(kata, x, gamma, dout, eps=1e-6):
    return kata.rmsnorm_backward(dout, kata.rmsnorm_forward(x, gamma, eps)[1])


@pytest.mark.exercise("11.4")
def test_rmsnorm_backward_shapes(kata, check, rng):
    x, gamma, _ = sample(rng, (2, 3, 4))
    result = rms_grads(kata, x, gamma, rng.normal(size=(2, 3, 4)))
    check.true(isinstance(result, tuple) and len(result) == 2,
               "rmsnorm_backward should return (dx, dgamma): RMSNorm has no beta")
    check.shape(result[0], (2, 3, 4), "dx for a (2, 3, 4) input")
    check.shape(result[1], (4,), "dgamma (summed over every axis but the last)")


@pytest.mark.exercise("11.4")
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_rmsnorm_backward_gradcheck(kata, check, rng, shape):
    x, gamma, _ = sample(rng, shape)
    dout = rng.normal(size=shape)
    dx, dgamma = rms_grads(kata, x, gamma, dout)
    check.gradients(lambda x, gamma: kata.rmsnorm_forward(x, gamma)[0],
                    {"x": x, "gamma": gamma}, {"x": dx, "gamma": dgamma}, dout,
                    f"rmsnorm on {shape}")


@pytest.mark.exercise("11.4")
def test_rmsnorm_dx_orthogonal_to_x(kata, check, rng):
    # out(a * x) = out(x) for a > 0, so moving x along itself changes nothing: sum_c dx * x = 0
    x, gamma, _ = sample(rng, (3, 5))
    dx = check.array(rms_grads(kata, x, gamma, rng.normal(size=(3, 5)), eps=0.0)[0], "dx")
    check.close((dx * x).sum(axis=-1), np.zeros(3), "sum over each row of dx * x", atol=1e-10)


# ---------------------------------------------------------------- edge cases (issue 10 §2)
@pytest.mark.exercise("11.1")
@pytest.mark.parametrize("shape", [(5, 6), (1, 3, 7)], ids=["(5, 6)", "B=1 (1, 3, 7)"])
def test_layernorm_forward_with_large_offsets(kata, check, rng, shape):
    # Rows near 1e4 with spread about 1: mean(x^2) - mean(x)^2 keeps only ~8 digits of the variance.
    lead = shape[:-1] + (1,)
    x = rng.normal(size=shape) + 1e4 + rng.uniform(-1.0, 1.0, size=lead)
    gamma, beta = rng.uniform(0.5, 2.0, size=shape[-1]), rng.normal(size=shape[-1])
    out, _ = kata.layernorm_forward(x, gamma, beta)
    check.close(check.shape(out, shape, f"layernorm_forward of a {shape} array"), ln_oracle(x, gamma, beta),
                f"layernorm_forward of rows near 1e4, shape {shape} (two-pass variance: mean((x - mean)^2))")


@pytest.mark.exercise("11.2")
def test_layernorm_backward_one_example_one_step(kata, check, rng):
    x, gamma, beta = sample(rng, (1, 1, 6))
    dout = rng.normal(size=(1, 1, 6))
    dx, dgamma, dbeta = ln_grads(kata, x, gamma, beta, dout)
    check.shape(dgamma, (6,), "dgamma of layernorm_backward on a (1, 1, 6) input (summed over every "
                "leading axis, whatever their sizes)")
    check.gradients(lambda x, gamma, beta: kata.layernorm_forward(x, gamma, beta)[0],
                    {"x": x, "gamma": gamma, "beta": beta},
                    {"x": dx, "gamma": dgamma, "beta": dbeta}, dout, "layernorm on (1, 1, 6)")


@pytest.mark.exercise("11.4")
def test_rmsnorm_backward_one_example_one_step(kata, check, rng):
    x, gamma, _ = sample(rng, (1, 1, 6))
    dout = rng.normal(size=(1, 1, 6))
    dx, dgamma = rms_grads(kata, x, gamma, dout)
    check.shape(dgamma, (6,), "dgamma of rmsnorm_backward on a (1, 1, 6) input (summed over every "
                "leading axis)")
    check.gradients(lambda x, gamma: kata.rmsnorm_forward(x, gamma)[0], {"x": x, "gamma": gamma},
                    {"x": dx, "gamma": dgamma}, dout, "rmsnorm on (1, 1, 6)")
