"""Graded tests for chapter 07 (regularization).

Penalties are checked against sums written out in the test and by float64 gradient checks with
a random upstream scalar. Dropout is checked by its statistics on 200,000 entries: the dropped
fraction has standard deviation sqrt(0.21 / 200000) ~ 0.001, so the bands below (10 standard
deviations wide) never fail by chance, and the tests are seeded anyway.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

weights = st.lists(st.sampled_from([0.0, -0.0]) | st.floats(-100, 100, allow_nan=False),
                   min_size=1, max_size=12).map(np.array)
lams = st.floats(0.0, 10.0)


def away_from_zero(rng, shape):
    """Random weights with |w| >= 0.1, where |w| is differentiable for central differences."""
    w = rng.normal(size=shape)
    return np.where(w < 0, -1.0, 1.0) * np.maximum(np.abs(w), 0.1)


def check_scalar(check, value, quantity):
    check.true(isinstance(value, float), f"{quantity} returned {type(value).__name__}, expected a float",
               "a penalty is one number for the whole array: wrap it in float()")


# ---------------------------------------------------------------- 07.1 L1 forward
@pytest.mark.exercise("07.1")
def test_l1_forward_returns_scalar_and_cache(kata, check):
    result = kata.l1_forward(np.ones((2, 3)), 0.1)
    check.true(isinstance(result, tuple) and len(result) == 2,
               "l1_forward should return a pair (penalty, cache)", f"it returned {type(result).__name__}")
    check_scalar(check, result[0], "l1_forward(W, lam)[0]")


@pytest.mark.exercise("07.1")
def test_l1_forward_worked_example(kata, check):
    penalty, _ = kata.l1_forward(np.array([[1.0, -2.0], [3.0, 0.0]]), 0.5)
    check.close(penalty, 3.0, "l1_forward([[1, -2], [3, 0]], lam=0.5): 0.5 * (1 + 2 + 3 + 0)")


@pytest.mark.exercise("07.1")
@given(weights, lams)
def test_l1_forward_is_lam_times_sum_of_abs(kata, check, W, lam):
    expected = lam * math.fsum(abs(float(w)) for w in W.ravel())
    check.close(kata.l1_forward(W, lam)[0], expected, "l1_forward(W, lam) on random W", atol=1e-9)


# ---------------------------------------------------------------- 07.2 L1 backward
@pytest.mark.exercise("07.2")
def test_l1_backward_shape(kata, check, rng):
    W = rng.normal(size=(3, 4))
    _, cache = kata.l1_forward(W, 0.1)
    check.shape(kata.l1_backward(1.0, cache), (3, 4), "l1_backward(1.0, cache) for W: (3, 4)")


@pytest.mark.exercise("07.2")
def test_l1_backward_worked_example(kata, check):
    _, cache = kata.l1_forward(np.array([-2.0, 0.0, 3.0, -0.1]), 0.5)
    check.close(kata.l1_backward(1.0, cache), [-0.5, 0.0, 0.5, -0.5],
                "l1_backward for W = [-2, 0, 3, -0.1], lam = 0.5: lam * sign(W), sign(0) = 0",
                suspects={"the gradient is +lam where W == 0: the book writes dL1 = "
                          "np.ones_like(weights); dL1[weights < 0] = -1 (ch. 14), so a zero weight "
                          "gets +1; this course uses np.sign, 0 at W == 0, because any value in "
                          "[-1, 1] is a valid subgradient there and 0 is the one that leaves an "
                          "exactly-zero weight (what L1 aims for) where it is": [-0.5, 0.5, 0.5, -0.5]})


@pytest.mark.exercise("07.2")
def test_l1_backward_gradient_check(kata, check, rng):
    W, dpenalty = away_from_zero(rng, (4, 5)), float(rng.normal())
    _, cache = kata.l1_forward(W, 0.3)
    check.gradients(lambda W: np.array(0.3 * np.sum(np.abs(W))), {"W": W},
                    {"W": kata.l1_backward(dpenalty, cache)}, np.array(dpenalty), "the L1 penalty")


@pytest.mark.exercise("07.2")
@given(weights, lams)
def test_l1_backward_is_lam_sign(kata, check, W, lam):
    _, cache = kata.l1_forward(W, lam)
    check.close(kata.l1_backward(2.0, cache), 2.0 * lam * np.sign(W),
                "l1_backward(2.0, cache): dpenalty * lam * sign(W), and 0 where W == 0")


# ---------------------------------------------------------------- 07.3 L2 forward
@pytest.mark.exercise("07.3")
def test_l2_forward_returns_scalar_and_cache(kata, check):
    result = kata.l2_forward(np.ones((2, 3)), 0.1)
    check.true(isinstance(result, tuple) and len(result) == 2,
               "l2_forward should return a pair (penalty, cache)", f"it returned {type(result).__name__}")
    check_scalar(check, result[0], "l2_forward(W, lam)[0]")


@pytest.mark.exercise("07.3")
def test_l2_forward_worked_example(kata, check):
    penalty, _ = kata.l2_forward(np.array([[1.0, -2.0], [3.0, 0.0]]), 0.1)
    check.close(penalty, 1.4, "l2_forward([[1, -2], [3, 0]], lam=0.1): 0.1 * (1 + 4 + 9 + 0), no 1/2")


@pytest.mark.exercise("07.3")
@given(weights, lams)
def test_l2_forward_is_lam_times_sum_of_squares(kata, check, W, lam):
    expected = lam * math.fsum(float(w) ** 2 for w in W.ravel())
    check.close(kata.l2_forward(W, lam)[0], expected, "l2_forward(W, lam) on random W", atol=1e-9)


# ---------------------------------------------------------------- 07.4 L2 backward
@pytest.mark.exercise("07.4")
def test_l2_backward_shape(kata, check, rng):
    _, cache = kata.l2_forward(rng.normal(size=(3, 4)), 0.1)
    check.shape(kata.l2_backward(1.0, cache), (3, 4), "l2_backward(1.0, cache) for W: (3, 4)")


@pytest.mark.exercise("07.4")
def test_l2_backward_worked_example(kata, check):
    _, cache = kata.l2_forward(np.array([1.0, -2.0, 0.5]), 0.25)
    check.close(kata.l2_backward(1.0, cache), [0.5, -1.0, 0.25],
                "l2_backward for W = [1, -2, 0.5], lam = 0.25: 2 * lam * W (the factor 2 is d(w^2)/dw)")


@pytest.mark.exercise("07.4")
def test_l2_backward_gradient_check(kata, check, rng):
    W, dpenalty = rng.normal(size=(4, 5)), float(rng.normal())
    _, cache = kata.l2_forward(W, 0.7)
    check.gradients(lambda W: np.array(0.7 * np.sum(W ** 2)), {"W": W},
                    {"W": kata.l2_backward(dpenalty, cache)}, np.array(dpenalty), "the L2 penalty")


# ---------------------------------------------------------------- 07.5 dropout forward
def dropped_fraction_and_mean(kata, rate, seed=0):
    out, _ = kata.dropout_forward(np.ones((400, 500)), rate, np.random.default_rng(seed))
    out = np.asarray(out, dtype=float)
    return float(np.mean(out == 0.0)), float(np.mean(out))


@pytest.mark.exercise("07.5")
def test_dropout_forward_shape(kata, check, rng):
    out, _ = kata.dropout_forward(rng.normal(size=(4, 3, 2)), 0.5, rng)
    check.shape(out, (4, 3, 2), "dropout_forward(x: (4, 3, 2), rate=0.5)")


@pytest.mark.exercise("07.5")
def test_dropout_forward_entries_are_zero_or_rescaled(kata, check, rng):
    x = rng.uniform(1.0, 2.0, size=(20, 30))  # no zeros in x, so a zero in out means "dropped"
    out, _ = kata.dropout_forward(x, 0.75, rng)
    out = check.shape(out, (20, 30), "dropout_forward(x, rate=0.75)")
    kept = out != 0.0
    check.close(out[kept], x[kept] * 4.0,
                "kept entries of dropout_forward(x, rate=0.75): x / (1 - rate) = 4x (inverted dropout)")


@pytest.mark.exercise("07.5")
def test_dropout_forward_rate_zero_is_identity(kata, check, rng):
    x = rng.normal(size=(5, 6))
    out, _ = kata.dropout_forward(x, 0.0, rng)
    check.close(out, x, "dropout_forward(x, rate=0.0) (nothing dropped, nothing rescaled)")


@pytest.mark.exercise("07.5")
@pytest.mark.parametrize("rate", [0.2, 0.6])
def test_dropout_forward_drops_rate_of_entries(kata, check, rate):
    dropped, _ = dropped_fraction_and_mean(kata, rate)
    check.true(abs(dropped - rate) < 0.01,
               f"dropout_forward(ones, rate={rate}) zeroed {dropped:.3f} of the entries, expected about {rate}",
               "rate is the probability to DROP an entry; 1 - rate is the keep probability")


@pytest.mark.exercise("07.5")
def test_dropout_forward_preserves_the_mean(kata, check):
    _, mean = dropped_fraction_and_mean(kata, 0.3)
    check.true(abs(mean - 1.0) < 0.01,
               f"the mean of dropout_forward(ones, rate=0.3) is {mean:.4f}, expected about 1",
               "inverted dropout divides kept entries by 1 - rate so the expected output equals the input")


@pytest.mark.exercise("07.5")
def test_dropout_forward_eval_mode_is_identity(kata, check, rng):
    x = rng.normal(size=(6, 7))
    out, _ = kata.dropout_forward(x, 0.5, rng, training=False)
    check.close(out, x, "dropout_forward(x, rate=0.5, training=False): eval mode must return x unchanged",
                rtol=0, atol=0)


@pytest.mark.exercise("07.5")
def test_dropout_forward_uses_given_rng(kata, check):
    x = np.ones((8, 9))
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        first, _ = kata.dropout_forward(x, 0.5, np.random.default_rng(42))
        np.random.seed(2)
        second, _ = kata.dropout_forward(x, 0.5, np.random.default_rng(42))
    finally:
        np.random.set_state(saved)
    first = check.array(first, "dropout_forward(x, 0.5, rng)")
    second = check.shape(second, first.shape, "dropout_forward(x, 0.5, rng)")
    check.true(np.array_equal(second, first),
               "dropout_forward dropped different entries for the same rng seed once other code had "
               "drawn from np.random",
               "draw the mask from the `rng` argument (rng.random(x.shape)), never from np.random",
               "the book writes np.random.binomial(1, 1 - rate, size=inputs.shape) on the global "
               "generator (Layer_Dropout, ch. 15); this course passes an explicit Generator because "
               "hidden global state makes a result depend on whatever ran before")
    other, _ = kata.dropout_forward(x, 0.5, np.random.default_rng(43))
    check.true(not np.array_equal(np.asarray(other), np.asarray(first)),
               "dropout_forward dropped the same entries for seeds 42 and 43",
               "draw the mask from the `rng` argument")


@pytest.mark.exercise("07.5")
def test_dropout_forward_mask_is_drawn_per_entry(kata, check):
    # Every example gets its own mask: no row and no column may be dropped or kept as a whole.
    out, _ = kata.dropout_forward(np.ones((400, 500)), 0.5, np.random.default_rng(7))
    dropped = check.shape(out, (400, 500), "dropout_forward(ones: (400, 500), rate=0.5)") == 0.0
    per_row, per_column = dropped.mean(axis=1), dropped.mean(axis=0)
    check.true(np.all(np.abs(per_row - 0.5) < 0.15) and np.all(np.abs(per_column - 0.5) < 0.15),
               f"dropped fractions range over [{per_row.min():.2f}, {per_row.max():.2f}] per example and "
               f"[{per_column.min():.2f}, {per_column.max():.2f}] per feature, expected about 0.5 everywhere",
               "draw one uniform number per ENTRY: rng.random(x.shape), not one mask shared across the batch")


@pytest.mark.exercise("07.5")
def test_dropout_forward_cache_is_keep_and_rate(kata, check, rng):
    x = rng.uniform(1.0, 2.0, size=(6, 8))  # no zeros in x, so a zero in out means "dropped"
    out, cache = kata.dropout_forward(x, 0.25, rng)
    check.true(isinstance(cache, tuple) and len(cache) == 2, "the cache of dropout_forward should be (keep, rate)",
               f"it is {type(cache).__name__}")
    keep = (np.asarray(out) != 0.0).astype(float)
    check.close(cache[0], keep,
                "cache[0] of dropout_forward (the 0/1 keep mask, not rescaled: backward divides by 1 - rate)",
                suspects={"you cache the rescaled mask keep / (1 - rate): the book stores "
                          "np.random.binomial(1, 1 - rate, shape) / (1 - rate) as its binary_mask "
                          "(Layer_Dropout, ch. 15) and multiplies by it in backward; this course "
                          "caches the 0/1 mask and the rate, so backward divides once": keep / 0.75})
    check.close(cache[1], 0.25, "cache[1] of dropout_forward(x, rate=0.25) (the drop rate)")
    _, cache = kata.dropout_forward(x, 0.25, rng, training=False)
    check.close(cache[0], np.ones_like(x), "cache[0] of an eval-mode dropout_forward (all ones)")
    check.close(cache[1], 0.0, "cache[1] of an eval-mode dropout_forward (0.0, so backward gives dx = dout)")


@pytest.mark.exercise("07.5")
def test_dropout_forward_eval_mode_draws_nothing(kata, check):
    rng = np.random.default_rng(11)
    kata.dropout_forward(np.ones((3, 4)), 0.5, rng, training=False)
    check.close(rng.random(5), np.random.default_rng(11).random(5),
                "the next draws of rng after an eval-mode dropout_forward (eval mode must not draw a mask)",
                rtol=0, atol=0)


# ---------------------------------------------------------------- 07.6 dropout backward
@pytest.mark.exercise("07.6")
def test_dropout_backward_shape(kata, check, rng):
    _, cache = kata.dropout_forward(rng.normal(size=(4, 5)), 0.5, rng)
    check.shape(kata.dropout_backward(rng.normal(size=(4, 5)), cache), (4, 5), "dropout_backward: dx")


@pytest.mark.exercise("07.6")
def test_dropout_backward_reuses_the_forward_mask(kata, check, rng):
    x = rng.uniform(1.0, 2.0, size=(30, 40))
    out, cache = kata.dropout_forward(x, 0.5, rng)
    dout = rng.uniform(1.0, 2.0, size=(30, 40))
    dx = check.shape(kata.dropout_backward(dout, cache), (30, 40), "dropout_backward: dx")
    dropped_forward, dropped_backward = np.asarray(out) == 0.0, dx == 0.0
    check.true(np.array_equal(dropped_forward, dropped_backward),
               f"dropout_backward zeroed {int(dropped_backward.sum())} entries, but not the "
               f"{int(dropped_forward.sum())} that forward dropped",
               "backward must reuse the mask kept in the cache, never draw a new one")
    check.close(dx, np.where(dropped_forward, 0.0, 2.0 * dout),
                "dx of dropout_backward (rate 0.5): dout / (1 - rate) where kept, 0 where dropped")


@pytest.mark.exercise("07.6")
def test_dropout_backward_gradient_check(kata, check, rng):
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    _, cache = kata.dropout_forward(x, 0.4, np.random.default_rng(3))

    def forward(x):  # the same seed every call: the same mask
        keep = np.asarray(kata.dropout_forward(np.ones_like(x), 0.4, np.random.default_rng(3))[0]) != 0
        return x * keep / 0.6

    check.gradients(forward, {"x": x}, {"x": kata.dropout_backward(dout, cache)}, dout,
                    "dropout (rate 0.4)", batch_size=4)


@pytest.mark.exercise("07.6")
def test_dropout_backward_eval_mode_passes_gradient_through(kata, check, rng):
    x, dout = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    _, cache = kata.dropout_forward(x, 0.5, rng, training=False)
    check.close(kata.dropout_backward(dout, cache), dout,
                "dropout_backward after an eval-mode forward: dropout is the identity, so dx = dout")


# ---------------------------------------------------------------- edge cases (issue 10 §2)
@pytest.mark.exercise("07.5")
@pytest.mark.parametrize("shape", [(1, 7), (2, 3, 4)], ids=["B=1", "(2, 3, 4)"])
def test_dropout_forward_one_example_and_3d(kata, check, rng, shape):
    x = rng.uniform(1.0, 2.0, size=shape)  # no zeros in x, so a zero in out means "dropped"
    out, cache = kata.dropout_forward(x, 0.25, np.random.default_rng(5))
    out = check.shape(out, shape, f"dropout_forward of a {shape} array (same shape as x)")
    draw = np.random.default_rng(5).random(shape)  # one uniform number per entry, as documented
    keep = draw >= 0.25
    if np.array_equal(np.asarray(out) != 0.0, draw < 0.75):
        keep = draw < 0.75  # the same distribution with the comparison turned round: fine too
    check.close(out, np.where(keep, x / 0.75, 0.0), f"dropout_forward of a {shape} array with rate 0.25 "
                "(one uniform draw per entry, rng.random(x.shape) >= rate, then divide by 1 - rate)")
    check.close(cache[0], keep.astype(float), f"cache[0] of dropout_forward on {shape} (the 0/1 mask)")


@pytest.mark.exercise("07.6")
@pytest.mark.parametrize("shape", [(1, 7), (2, 3, 4)], ids=["B=1", "(2, 3, 4)"])
def test_dropout_backward_one_example_and_3d(kata, check, rng, shape):
    x, dout = rng.normal(size=shape), rng.normal(size=shape)
    _, cache = kata.dropout_forward(x, 0.4, np.random.default_rng(8))
    dx = kata.dropout_backward(dout, cache)
    check.gradients(lambda x: kata.dropout_forward(x, 0.4, np.random.default_rng(8))[0], {"x": x}, {"x": dx},
                    dout, f"dropout on a {shape} array (the same mask in forward and backward)")


# ---------------------------------------------------------------- stateful modules (issue 10 §1)
@pytest.mark.exercise("07.5")
def test_dropout_module_in_eval_mode_answers_the_same_twice(kata, check, rng):
    layer = kata.Dropout(0.5, np.random.default_rng(1))
    layer.eval()
    x = rng.normal(size=(4, 6))
    out = check.deterministic(lambda: layer.forward(x), "Dropout.forward(x) in eval mode")
    check.close(out, x, "Dropout.forward(x) in eval mode (nothing dropped, nothing rescaled)")
