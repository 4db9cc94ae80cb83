"""Graded tests for chapter 10 (batch normalization).

The oracle ``bn_oracle`` below is written out here, independently of the code under test:
biased variance in the normalization, eps inside the square root. Every gradient is checked
with a RANDOM upstream gradient: with dout = ones, the true dx of batch norm is exactly zero,
so an all-ones check cannot tell a correct backward from one that returns zeros.
"""

import numpy as np
import pytest

MOMENTUM = 0.3  # not 0.5, so (1 - m) and m cannot be swapped unnoticed


def bn_oracle(x, gamma, beta, eps=1e-5):
    """Batch norm of x: (B, C) with per-column statistics; variance divided by B."""
    B = x.shape[0]
    mean = x.sum(axis=0) / B
    var = ((x - mean) ** 2).sum(axis=0) / B
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def to_rows(x):
    """(B, C, H, W) -> (B*H*W, C), written independently for the per-channel oracle."""
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def bn2d_oracle(x, gamma, beta, eps=1e-5):
    B, C, H, W = x.shape
    rows = bn_oracle(to_rows(x), gamma, beta, eps)              # (B*H*W, C)
    return np.moveaxis(rows.reshape(B, H, W, C), -1, 1)          # (B, C, H, W)


def sample(rng, B=6, C=4):
    """x with per-feature offsets and scales, so a wrong axis or missing centring shows."""
    x = rng.normal(size=(B, C)) * rng.uniform(0.5, 3.0, size=C) + rng.uniform(-3, 3, size=C)
    return x, rng.uniform(0.5, 2.0, size=C), rng.normal(size=C)


# ---------------------------------------------------------------- 10.1 forward (training)
@pytest.mark.exercise("10.1")
def test_batchnorm_forward_shape(kata, check, rng):
    x, gamma, beta = sample(rng)
    result = kata.batchnorm_forward(x, gamma, beta)
    check.true(isinstance(result, tuple) and len(result) == 2,
               "batchnorm_forward should return a pair (out, cache)")
    check.shape(result[0], (6, 4), "out of batchnorm_forward with B=6, C=4")


@pytest.mark.exercise("10.1")
def test_batchnorm_forward_by_hand(kata, check):
    # column 0 is [1, 3]: mean 2, biased var 1, x_hat = -+1/sqrt(1 + eps). Column 1 is
    # constant: var 0, so x_hat = 0 and the output is beta (eps keeps 0/0 away).
    x = np.array([[1.0, 10.0], [3.0, 10.0]])
    out, _ = kata.batchnorm_forward(x, np.array([2.0, 5.0]), np.array([0.5, -1.0]), eps=1e-5)
    a = 2.0 / np.sqrt(1.0 + 1e-5)
    outside, unbiased = 2.0 / (1.0 + 1e-5), 2.0 / np.sqrt(2.0 + 1e-5)  # sqrt(var) + eps; var / (B - 1)
    check.close(out, [[0.5 - a, -1.0], [0.5 + a, -1.0]], "batchnorm_forward of a 2 x 2 batch",
                suspects={"the denominator is var + eps = 1 + eps, not sqrt(var + eps): eps is added "
                          "outside the square root (sqrt(var) + eps), or the square root is missing "
                          "(with var = 1 here both give this)": [[0.5 - outside, -1.0], [0.5 + outside, -1.0]],
                          "the variance is the unbiased one (/ (B - 1)); normalizing uses the "
                          "biased one (/ B)": [[0.5 - unbiased, -1.0], [0.5 + unbiased, -1.0]]})


@pytest.mark.exercise("10.1")
def test_batchnorm_forward_matches_formula(kata, check, rng):
    x, gamma, beta = sample(rng, B=8, C=5)
    out, _ = kata.batchnorm_forward(x, gamma, beta, eps=0.1)
    check.close(out, bn_oracle(x, gamma, beta, eps=0.1), "batchnorm_forward (eps = 0.1)", batch_size=8)


@pytest.mark.exercise("10.1")
def test_batchnorm_train_output_statistics(kata, check, rng):
    x = 3.0 * rng.normal(size=(8, 5)) + 7.0
    out = check.array(kata.batchnorm_forward(x, np.ones(5), np.zeros(5))[0], "batchnorm_forward")
    check.close(out.mean(axis=0), np.zeros(5), "per-feature mean of the output", atol=1e-12)
    var = out.var(axis=0)
    check.true(np.allclose(var, 1.0, atol=1e-5),
               f"per-feature variance of the output is {np.round(var, 4)}, expected 1 (B = 8)",
               "0.875 = 7/8 means you normalized with the unbiased variance (/(B-1)); the "
               "normalization uses the batch's own, biased variance (/B)")


# ---------------------------------------------------------------- 10.2 backward
@pytest.mark.exercise("10.1")
def test_batchnorm_forward_cache_is_x_hat_inv_std_gamma(kata, check, rng):
    x, gamma, beta = sample(rng)
    _, cache = kata.batchnorm_forward(x, gamma, beta, eps=0.1)
    check.true(isinstance(cache, tuple) and len(cache) == 3,
               "the cache of batchnorm_forward should be (x_hat, inv_std, gamma)", f"it is {type(cache).__name__}")
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + 0.1)
    check.close(cache[0], (x - x.mean(axis=0)) * inv_std, "cache[0] of batchnorm_forward (x_hat)")
    check.close(cache[1], inv_std, "cache[1] of batchnorm_forward (inv_std = 1 / sqrt(var + eps), not the std)")
    check.close(cache[2], gamma, "cache[2] of batchnorm_forward (gamma)", rtol=0, atol=0)


def bn_grads(kata, x, gamma, beta, dout, eps=1e-5):
    return kata.batchnorm_backward(dout, kata.batchnorm_forward(x, gamma, beta, eps)[1])


@pytest.mark.exercise("10.2")
def test_batchnorm_backward_shapes(kata, check, rng):
    x, gamma, beta = sample(rng)
    dx, dgamma, dbeta = bn_grads(kata, x, gamma, beta, rng.normal(size=(6, 4)))
    check.shape(dx, (6, 4), "dx")
    check.shape(dgamma, (4,), "dgamma (one per feature: sum over the batch)")
    check.shape(dbeta, (4,), "dbeta (one per feature: sum over the batch)")


@pytest.mark.exercise("10.2")
def test_batchnorm_backward_by_hand(kata, check):
    # B = 2, eps = 0: x_hat = [[-1, 1], [1, -1]] whatever x is, so dx = 0 exactly.
    x, dout = np.array([[0.0, 5.0], [2.0, 1.0]]), np.array([[1.0, 2.0], [3.0, 5.0]])
    dx, dgamma, dbeta = bn_grads(kata, x, np.array([1.5, 1.0]), np.zeros(2), dout, eps=0.0)
    check.close(dbeta, [4.0, 7.0], "dbeta = sum over the batch of dout")
    check.close(dgamma, [2.0, -3.0], "dgamma = sum over the batch of dout * x_hat")
    check.close(dx, np.zeros((2, 2)), "dx for B = 2 (two values normalize to -1, +1 whatever they are)",
                atol=1e-12)


@pytest.mark.exercise("10.2")
def test_batchnorm_backward_gradcheck(kata, check, rng):
    x, gamma, beta = sample(rng, B=4, C=5)
    dout = rng.normal(size=(4, 5))  # random: all-ones would make the true dx zero
    dx, dgamma, dbeta = bn_grads(kata, x, gamma, beta, dout)
    check.gradients(lambda x, gamma, beta: kata.batchnorm_forward(x, gamma, beta)[0],
                    {"x": x, "gamma": gamma, "beta": beta},
                    {"x": dx, "gamma": dgamma, "beta": dbeta}, dout, "batchnorm", batch_size=4)


@pytest.mark.exercise("10.2")
def test_batchnorm_dx_is_orthogonal_to_mean_and_x_hat(kata, check, rng):
    # out does not change when x shifts or scales per feature, so dx has no component along
    # ones or x_hat: sum_b dx = 0 and sum_b dx * x_hat = 0 for every feature.
    x, gamma, beta = sample(rng, B=7, C=3)
    dx = check.array(bn_grads(kata, x, gamma, beta, rng.normal(size=(7, 3)), eps=0.0)[0], "dx")
    x_hat = bn_oracle(x, 1.0, 0.0, eps=0.0)  # eps = 0: then sum_b x_hat^2 = B exactly
    check.close(dx.sum(axis=0), np.zeros(3), "sum over the batch of dx", atol=1e-10)
    check.close((dx * x_hat).sum(axis=0), np.zeros(3), "sum over the batch of dx * x_hat",
                atol=1e-10)


@pytest.mark.exercise("10.2")
def test_batchnorm_constant_upstream_gives_zero_dx(kata, check, rng):
    x, gamma, beta = sample(rng, B=5, C=3)
    dout = np.tile(rng.normal(size=3), (5, 1))  # the same gradient for every example
    dx = check.array(bn_grads(kata, x, gamma, beta, dout)[0], "dx")
    check.true(np.allclose(dx, 0.0, atol=1e-10),
               "dx should be 0 when dout is the same for every example (largest entry "
               f"{np.abs(dx).max():.3g})",
               "the output's batch mean is always beta, so adding the same amount to every "
               "output cannot be reached by changing x. dx = dout * gamma * inv_std forgets "
               "that mean and var depend on every x")


# ---------------------------------------------------------------- 10.3 running statistics
@pytest.mark.exercise("10.3")
def test_running_stats_by_hand(kata, check):
    # batch [1, 3]: mean 2, unbiased var ((1-2)^2 + (3-2)^2) / (2-1) = 2
    new_mean, new_var = kata.update_running_stats(np.zeros(1), np.ones(1), np.array([[1.0], [3.0]]),
                                                  momentum=0.1)
    check.close(new_mean, [0.2], "running_mean after one step (0.9 * 0 + 0.1 * 2)",
                suspects={"the weights are swapped: momentum * running + (1 - momentum) * batch; "
                          "the new batch gets the weight momentum": [1.8]})
    check.close(new_var, [1.1], "running_var after one step (0.9 * 1 + 0.1 * 2, unbiased batch var)",
                suspects={"the batch variance is the biased one (/ B); the running estimate uses "
                          "the unbiased one (/ (B - 1))": [1.0],
                          "the weights are swapped: momentum * running + (1 - momentum) * batch; "
                          "the new batch gets the weight momentum": [1.9]})


@pytest.mark.exercise("10.3")
def test_running_stats_two_steps_exact(kata, check, rng):
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    x1, x2 = rng.normal(size=(5, 3)) + 2.0, 3.0 * rng.normal(size=(4, 3))
    m = MOMENTUM
    expected_mean, expected_var = mean.copy(), var.copy()
    for x in (x1, x2):
        B = x.shape[0]
        batch_mean = x.sum(axis=0) / B
        expected_mean = (1 - m) * expected_mean + m * batch_mean
        expected_var = (1 - m) * expected_var + m * ((x - batch_mean) ** 2).sum(axis=0) / (B - 1)
    got_mean, got_var = kata.update_running_stats(mean, var, x1, momentum=m)
    got_mean, got_var = kata.update_running_stats(got_mean, got_var, x2, momentum=m)
    check.close(got_mean, expected_mean, "running_mean after two steps (momentum 0.3)")
    check.close(got_var, expected_var, "running_var after two steps (stores the unbiased variance)")


@pytest.mark.exercise("10.3")
def test_running_stats_momentum_extremes(kata, check, rng):
    mean, var, x = rng.normal(size=2), rng.uniform(1, 2, size=2), rng.normal(size=(4, 2))
    kept = kata.update_running_stats(mean, var, x, momentum=0.0)
    check.close(kept[0], mean, "running_mean with momentum 0 (the batch gets weight 0)")
    check.close(kept[1], var, "running_var with momentum 0 (the batch gets weight 0)")
    replaced = kata.update_running_stats(mean, var, x, momentum=1.0)
    check.close(replaced[0], x.mean(axis=0), "running_mean with momentum 1 (only the batch counts)")


# ---------------------------------------------------------------- 10.4 evaluation mode
@pytest.mark.exercise("10.4")
def test_batchnorm_inference_by_hand(kata, check):
    # col 0: (3-1)/2 = 1, (1-1)/2 = 0.  col 1: 2*(-2+2)/0.5 + 1 = 1, 2*(-1+2)/0.5 + 1 = 5
    x = np.array([[3.0, -2.0], [1.0, -1.0]])
    out = kata.batchnorm_inference(x, np.array([1.0, 2.0]), np.array([0.0, 1.0]),
                                   np.array([1.0, -2.0]), np.array([4.0, 0.25]), eps=0.0)
    check.close(out, [[1.0, 1.0], [0.0, 5.0]], "batchnorm_inference of a 2 x 2 batch (eps = 0)")


@pytest.mark.exercise("10.4")
def test_batchnorm_inference_uses_running_stats(kata, check, rng):
    x, gamma, beta = sample(rng, B=5, C=3)
    r_mean, r_var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    out = kata.batchnorm_inference(x, gamma, beta, r_mean, r_var, eps=0.01)
    out = check.shape(out, (5, 3), "out of batchnorm_inference")
    check.close(out, gamma * (x - r_mean) / np.sqrt(r_var + 0.01) + beta,
                "batchnorm_inference (eps = 0.01 inside the square root)", batch_size=5,
                suspects={"eps is added outside the square root (sqrt(var) + eps); it belongs "
                          "inside": gamma * (x - r_mean) / (np.sqrt(r_var) + 0.01) + beta})


@pytest.mark.exercise("10.4")
def test_batchnorm_inference_rows_are_independent(kata, check, rng):
    x, gamma, beta = sample(rng, B=4, C=3)
    r_mean, r_var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    whole = check.array(kata.batchnorm_inference(x, gamma, beta, r_mean, r_var), "batchnorm_inference")
    alone = check.array(kata.batchnorm_inference(x[2:3], gamma, beta, r_mean, r_var),
                        "batchnorm_inference of one example")
    check.close(alone, whole[2:3], "one example alone vs the same example inside a batch")


# ---------------------------------------------------------------- 10.5 module: train and eval
@pytest.mark.exercise("10.5")
def test_module_training_updates_running_stats(kata, check, rng):
    bn = kata.BatchNorm(3, momentum=MOMENTUM)
    x1, x2 = rng.normal(size=(6, 3)) + 1.0, 2.0 * rng.normal(size=(6, 3))
    out = bn.forward(x1)
    check.close(out, bn_oracle(x1, 1.0, 0.0), "BatchNorm.forward in training mode", batch_size=6)
    bn.forward(x2)
    m = MOMENTUM
    mean = (1 - m) * ((1 - m) * 0.0 + m * x1.mean(0)) + m * x2.mean(0)
    var = (1 - m) * ((1 - m) * 1.0 + m * x1.var(0, ddof=1)) + m * x2.var(0, ddof=1)
    inverted = m * (m * 0.0 + (1 - m) * x1.mean(0)) + (1 - m) * x2.mean(0)
    check.close(bn.running_mean, mean, "bn.running_mean after two training batches",
                suspects={"the weights are swapped: momentum * running + (1 - momentum) * batch "
                          "(pass momentum on as it is)": inverted})
    check.close(bn.running_var, var, "bn.running_var after two training batches")


@pytest.mark.exercise("10.5")
def test_module_eval_uses_and_keeps_running_stats(kata, check, rng):
    bn = kata.BatchNorm(3)
    bn.forward(rng.normal(size=(8, 3)) * 2.0 + 1.0)
    mean, var = np.array(bn.running_mean, dtype=float), np.array(bn.running_var, dtype=float)
    bn.eval()
    x = rng.normal(size=(4, 3))
    out = bn.forward(x)
    check.close(out, (x - mean) / np.sqrt(var + 1e-5), "BatchNorm.forward in eval mode",
                batch_size=4)
    check.close(bn.running_mean, mean, "bn.running_mean after an eval forward (must not change)")
    check.close(bn.running_var, var, "bn.running_var after an eval forward (must not change)")


@pytest.mark.exercise("10.5")
def test_module_backward_after_training_forward(kata, check, rng):
    bn = kata.BatchNorm(3)
    x, dout = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    bn.forward(x)
    dx = check.shape(bn.backward(dout), (5, 3), "BatchNorm.backward(dout)")
    check.close(bn.gamma.grad, (dout * bn_oracle(x, 1.0, 0.0)).sum(axis=0),
                "bn.gamma.grad after backward (needs the cache of the training forward)")
    check.close(dx.sum(axis=0), np.zeros(3), "sum over the batch of dx", atol=1e-10)


@pytest.mark.exercise("10.5")
def test_module_uses_its_own_eps(kata, check, rng):
    bn = kata.BatchNorm(3, eps=0.5)  # a large eps, so ignoring it shows
    x = rng.normal(size=(6, 3))
    check.close(bn.forward(x), bn_oracle(x, 1.0, 0.0, eps=0.5),
                "BatchNorm(3, eps=0.5).forward in training mode (with eps = 0.5)", batch_size=6)
    mean, var = np.array(bn.running_mean, dtype=float), np.array(bn.running_var, dtype=float)
    bn.eval()
    check.close(bn.forward(x), (x - mean) / np.sqrt(var + 0.5),
                "BatchNorm(3, eps=0.5).forward in eval mode (with eps = 0.5)", batch_size=6)


# ---------------------------------------------------------------- 10.6 per-channel forward
@pytest.mark.exercise("10.6")
def test_batchnorm2d_forward_shape(kata, check, rng):
    out, _ = kata.batchnorm2d_forward(rng.normal(size=(2, 3, 4, 5)), np.ones(3), np.zeros(3))
    check.shape(out, (2, 3, 4, 5), "out of batchnorm2d_forward on (B, C, H, W) = (2, 3, 4, 5)")


@pytest.mark.exercise("10.6")
def test_batchnorm2d_forward_by_hand(kata, check):
    # channel 0 holds 0, 2, 2, 0 (mean 1, var 1); channel 1 holds 10, 14, 14, 10 (mean 12, var 4)
    x = np.array([[[[0.0, 2.0]], [[10.0, 14.0]]], [[[2.0, 0.0]], [[14.0, 10.0]]]])  # (2, 2, 1, 2)
    out, _ = kata.batchnorm2d_forward(x, np.array([3.0, 1.0]), np.array([0.0, 7.0]), eps=0.0)
    expected = [[[[-3.0, 3.0]], [[6.0, 8.0]]], [[[3.0, -3.0]], [[8.0, 6.0]]]]
    check.close(out, expected, "batchnorm2d_forward of a (2, 2, 1, 2) batch (eps = 0)")


@pytest.mark.exercise("10.6")
def test_batchnorm2d_equals_2d_on_channels_last_rows(kata, check, rng):
    x = rng.normal(size=(2, 3, 4, 5)) * np.array([1.0, 4.0, 0.5])[:, None, None] + \
        np.array([0.0, -3.0, 5.0])[:, None, None]
    gamma, beta = rng.uniform(0.5, 2, size=3), rng.normal(size=3)
    out, _ = kata.batchnorm2d_forward(x, gamma, beta)
    check.close(out, bn2d_oracle(x, gamma, beta),
                "batchnorm2d_forward vs 2-D batch norm of the (B*H*W, C) channels-last rows")


@pytest.mark.exercise("10.6")
def test_batchnorm2d_per_channel_statistics(kata, check, rng):
    x = 2.0 * rng.normal(size=(3, 4, 2, 3)) + 5.0
    out = check.array(kata.batchnorm2d_forward(x, np.ones(4), np.zeros(4))[0], "batchnorm2d_forward")
    check.close(out.mean(axis=(0, 2, 3)), np.zeros(4), "per-channel mean over (B, H, W)", atol=1e-12)
    check.true(np.allclose(out.var(axis=(0, 2, 3)), 1.0, atol=1e-5),
               "the per-channel variance over (B, H, W) should be 1",
               "statistics of channel c run over the batch AND both spatial axes")


# ---------------------------------------------------------------- 10.7 per-channel backward
@pytest.mark.exercise("10.7")
def test_batchnorm2d_backward_shapes(kata, check, rng):
    x = rng.normal(size=(2, 3, 2, 2))
    _, cache = kata.batchnorm2d_forward(x, np.ones(3), np.zeros(3))
    dx, dgamma, dbeta = kata.batchnorm2d_backward(rng.normal(size=x.shape), cache)
    check.shape(dx, (2, 3, 2, 2), "dx of batchnorm2d_backward")
    check.shape(dgamma, (3,), "dgamma of batchnorm2d_backward")
    check.shape(dbeta, (3,), "dbeta of batchnorm2d_backward")


@pytest.mark.exercise("10.7")
def test_batchnorm2d_backward_gradcheck(kata, check, rng):
    x = rng.normal(size=(2, 3, 2, 2)) + np.array([0.0, 2.0, -1.0])[:, None, None]
    gamma, beta, dout = rng.uniform(0.5, 2, size=3), rng.normal(size=3), rng.normal(size=x.shape)
    dx, dgamma, dbeta = kata.batchnorm2d_backward(dout, kata.batchnorm2d_forward(x, gamma, beta)[1])
    check.gradients(lambda x, gamma, beta: kata.batchnorm2d_forward(x, gamma, beta)[0],
                    {"x": x, "gamma": gamma, "beta": beta},
                    {"x": dx, "gamma": dgamma, "beta": dbeta}, dout, "batchnorm2d")


@pytest.mark.exercise("10.7")
def test_batchnorm2d_dbeta_sums_each_channel(kata, check, rng):
    x, dout = rng.normal(size=(2, 3, 2, 4)), rng.normal(size=(2, 3, 2, 4))
    _, cache = kata.batchnorm2d_forward(x, np.ones(3), np.zeros(3))
    _, _, dbeta = kata.batchnorm2d_backward(dout, cache)
    check.close(dbeta, dout.sum(axis=(0, 2, 3)), "dbeta: dout summed over (B, H, W) per channel")


# ---------------------------------------------------------------- edge cases (issue 10 §2)
# Features near 1e4 with spread about 1: E[x^2] - E[x]^2 subtracts two numbers near 1e8 and
# keeps only about 8 correct digits of a variance near 1. Oracles use the two-pass formula.
def offset_sample(rng, shape, axis_c=1):
    x = rng.normal(size=shape)
    offsets = 1e4 + rng.uniform(-1.0, 1.0, size=shape[axis_c])
    return x + offsets.reshape([-1 if i == axis_c else 1 for i in range(len(shape))])


@pytest.mark.exercise("10.1")
def test_batchnorm_forward_with_large_offsets(kata, check, rng):
    x = offset_sample(rng, (9, 4))
    gamma, beta = rng.uniform(0.5, 2.0, size=4), rng.normal(size=4)
    out, _ = kata.batchnorm_forward(x, gamma, beta)
    check.close(out, bn_oracle(x, gamma, beta), "batchnorm_forward of features near 1e4 (compute the "
                "variance as mean((x - mean)^2): mean(x^2) - mean(x)^2 cancels catastrophically there)")


@pytest.mark.exercise("10.3")
def test_running_stats_with_large_offsets(kata, check, rng):
    x = offset_sample(rng, (7, 3))
    mean, var = rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)
    batch_mean = x.sum(axis=0) / 7
    expected_var = (1 - MOMENTUM) * var + MOMENTUM * ((x - batch_mean) ** 2).sum(axis=0) / 6
    got_mean, got_var = kata.update_running_stats(mean, var, x, momentum=MOMENTUM)
    check.close(got_mean, (1 - MOMENTUM) * mean + MOMENTUM * batch_mean, "running_mean after a batch near 1e4")
    check.close(got_var, expected_var, "running_var after a batch of features near 1e4 (two-pass "
                "variance: mean(x^2) - mean(x)^2 loses about 8 digits there)", rtol=1e-10)


@pytest.mark.exercise("10.6")
def test_batchnorm2d_with_large_offsets(kata, check, rng):
    x = offset_sample(rng, (2, 3, 3, 5))
    gamma, beta = rng.uniform(0.5, 2.0, size=3), rng.normal(size=3)
    out, _ = kata.batchnorm2d_forward(x, gamma, beta)
    check.close(out, bn2d_oracle(x, gamma, beta), "batchnorm2d_forward of channels near 1e4 (two-pass "
                "variance: mean(x^2) - mean(x)^2 cancels catastrophically there)")


# ---------------------------------------------------------------- stateful modules (issue 10 §1)
@pytest.mark.exercise("10.5")
def test_module_eval_answers_the_same_twice(kata, check, rng):
    bn = kata.BatchNorm(3)
    bn.forward(rng.normal(size=(8, 3)) * 2.0 + 1.0)
    bn.eval()
    x = rng.normal(size=(5, 3))
    check.deterministic(lambda: bn.forward(x), "BatchNorm.forward(x) in eval mode (reads the "
                        "running statistics, never updates them)")
