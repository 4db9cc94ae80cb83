"""Graded tests for chapter 03 (activation functions).

Oracles are written here, independently of the code under test: ``math`` for elementwise values,
hand-derived numbers for worked examples, central differences (``check.gradients``) for every
backward with a random upstream gradient. Stability tests run under ``np.errstate(over="raise")``
so an exp() that overflows fails even when the final answer happens to come out right.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

moderate = st.floats(min_value=-30.0, max_value=30.0, allow_nan=False)
EXTREMES = np.array([-1000.0, -745.0, -50.0, 0.0, 50.0, 1000.0])


def pair(check, result, quantity):
    """A forward kernel returns (out, cache); fail clearly if it does not."""
    check.true(isinstance(result, tuple) and len(result) == 2,
               f"{quantity} should return a pair (out, cache)",
               f"it returned {type(result).__name__}; backward needs the cache, so return both")
    return result


def calm(check, call, quantity, book=""):
    """Run call() with floating-point overflow and invalid operations turned into errors.

    ``book`` names the place where "Neural Networks from Scratch" writes the overflowing form, so
    a learner porting the book's code learns why this course rejects it."""
    try:
        with np.errstate(over="raise", invalid="raise"):
            return call()
    except FloatingPointError as err:
        check.fail(f"{quantity} overflowed or produced NaN ({err})",
                   "exp() above ~709 is inf, and inf/inf or 0/0 (every exp() underflowed) is NaN",
                   "rearrange so every exp() gets an argument <= 0 and the largest term is exp(0) = 1",
                   "np.where(cond, a, b) computes BOTH a and b for every entry: each must be safe",
                   book)


def away_from_zero(rng, shape):
    """Random entries with |x| >= 0.1, so a central difference never straddles a kink at 0."""
    x = rng.normal(size=shape)
    return np.where(np.abs(x) < 0.1, np.sign(x + 1e-12) * 0.1 + x, x)


def grad_check(check, kata, name, x, rng):
    out, cache = pair(check, getattr(kata, f"{name}_forward")(x), f"{name}_forward(x)")
    dout = rng.normal(size=x.shape)
    kept = dout.copy()
    dx = getattr(kata, f"{name}_backward")(dout, cache)
    check.close(dout, kept, f"dout after {name}_backward(dout, cache) (the caller's gradient must not "
                "change: compute a new array instead of writing into dout)", rtol=0, atol=0)
    check.gradients(lambda x: getattr(kata, f"{name}_forward")(x)[0], {"x": x}, {"x": dx}, dout,
                    f"{name} (random upstream gradient dout)")


# ---------------------------------------------------------------- 03.1 ReLU forward
@pytest.mark.exercise("03.1")
def test_relu_forward_worked_example(kata, check):
    out, _ = pair(check, kata.relu_forward(np.array([-2.0, -0.5, 0.0, 0.5, 3.0])), "relu_forward")
    check.close(out, [0.0, 0.0, 0.0, 0.5, 3.0], "relu_forward([-2, -0.5, 0, 0.5, 3])")


@pytest.mark.exercise("03.1")
def test_relu_forward_shape_and_values(kata, check, rng):
    x = rng.normal(size=(4, 5))
    out, _ = pair(check, kata.relu_forward(x), "relu_forward(x)")
    out = check.shape(out, (4, 5), "relu_forward(x) for x: (4, 5) (elementwise: same shape)")
    check.close(out, np.where(x > 0, x, 0.0), "relu_forward(x)")


@pytest.mark.exercise("03.1")
@settings(max_examples=20)
@given(st.lists(moderate, min_size=1, max_size=10))
def test_relu_forward_is_max_with_zero(kata, check, values):
    out, _ = pair(check, kata.relu_forward(np.array(values)), "relu_forward")
    check.close(out, [max(v, 0.0) for v in values], "relu_forward on random values")


@pytest.mark.exercise("03.1")
def test_relu_forward_leaves_input_unchanged(kata, check, rng):
    x = rng.normal(size=(3, 4))
    before = x.copy()
    pair(check, kata.relu_forward(x), "relu_forward(x)")
    check.close(x, before, "x after relu_forward(x) (the caller's array must not change)", rtol=0, atol=0)


# ---------------------------------------------------------------- 03.2 ReLU backward
@pytest.mark.exercise("03.2")
def test_relu_backward_worked_example(kata, check):
    _, cache = pair(check, kata.relu_forward(np.array([-1.0, 0.0, 2.0, 3.0])), "relu_forward")
    dx = kata.relu_backward(np.array([5.0, 6.0, 7.0, -8.0]), cache)
    check.close(dx, [0.0, 0.0, 7.0, -8.0],
                "relu_backward([5, 6, 7, -8]) at x = [-1, 0, 2, 3] (gradient passes only where x > 0; 0 at x == 0)")


@pytest.mark.exercise("03.2")
def test_relu_backward_gradient(kata, check, rng):
    grad_check(check, kata, "relu", away_from_zero(rng, (4, 5)), rng)


@pytest.mark.exercise("03.2")
def test_relu_backward_masks_by_input_not_by_gradient(kata, check, rng):
    x, dout = away_from_zero(rng, (3, 6)), rng.normal(size=(3, 6))
    _, cache = pair(check, kata.relu_forward(x), "relu_forward")
    dx = check.shape(kata.relu_backward(dout, cache), (3, 6), "relu_backward(dout, cache)")
    check.close(dx, np.where(x > 0, dout, 0.0), "relu_backward: dout where x > 0, else 0")


# ---------------------------------------------------------------- 03.3 sigmoid forward
def sigmoid_oracle(v):
    return 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))


@pytest.mark.exercise("03.3")
def test_sigmoid_forward_worked_example(kata, check):
    out, _ = pair(check, kata.sigmoid_forward(np.array([0.0, math.log(3.0), -math.log(3.0)])),
                  "sigmoid_forward")
    check.close(out, [0.5, 0.75, 0.25], "sigmoid_forward([0, ln 3, -ln 3])")


@pytest.mark.exercise("03.3")
@settings(max_examples=20)
@given(st.lists(st.floats(min_value=-700.0, max_value=700.0), min_size=1, max_size=10))
def test_sigmoid_forward_matches_math(kata, check, values):
    out, _ = pair(check, kata.sigmoid_forward(np.array(values)), "sigmoid_forward")
    check.close(out, [sigmoid_oracle(v) for v in values], "sigmoid_forward on random values",
                atol=1e-300)


@pytest.mark.exercise("03.3")
def test_sigmoid_forward_stable_at_extremes(kata, check):
    out, _ = pair(check, calm(check, lambda: kata.sigmoid_forward(EXTREMES), "sigmoid_forward(+-1000)",
                              book="the book writes 1 / (1 + np.exp(-inputs)) (Activation_Sigmoid, ch. 16); "
                              "NumPy only warns there, but this course treats overflow as an error "
                              "because the same exp(1000) = inf turns into inf/inf = NaN as soon as "
                              "it is divided (tanh, Swish, their derivatives)"),
                  "sigmoid_forward")
    out = check.shape(out, EXTREMES.shape, "sigmoid_forward(x) (elementwise: same shape)")
    check.close(out, [sigmoid_oracle(v) for v in EXTREMES],
                "sigmoid_forward([-1000, -745, -50, 0, 50, 1000]) (no NaN, 0 and 1 at the ends)")


@pytest.mark.exercise("03.3")
def test_sigmoid_forward_caches_its_output(kata, check, rng):
    x = rng.normal(size=(3, 4))
    out, cache = pair(check, kata.sigmoid_forward(x), "sigmoid_forward(x)")
    check.close(cache, [[sigmoid_oracle(v) for v in row] for row in x],
                "the cache of sigmoid_forward (should be out = sigmoid(x), not x)")


# ---------------------------------------------------------------- 03.4 sigmoid backward
@pytest.mark.exercise("03.4")
def test_sigmoid_backward_worked_example(kata, check):
    _, cache = pair(check, kata.sigmoid_forward(np.array([0.0, math.log(3.0)])), "sigmoid_forward")
    dx = kata.sigmoid_backward(np.array([2.0, 16.0]), cache)
    check.close(dx, [0.5, 3.0], "sigmoid_backward([2, 16]) at x = [0, ln 3] (slopes 1/4 and 3/16)")


@pytest.mark.exercise("03.4")
def test_sigmoid_backward_gradient(kata, check, rng):
    grad_check(check, kata, "sigmoid", 3.0 * rng.normal(size=(4, 5)), rng)


@pytest.mark.exercise("03.4")
def test_sigmoid_backward_vanishes_when_saturated(kata, check):
    _, cache = pair(check, kata.sigmoid_forward(np.array([-1000.0, 1000.0])), "sigmoid_forward")
    dx = calm(check, lambda: kata.sigmoid_backward(np.array([1.0, 1.0]), cache), "sigmoid_backward")
    check.close(dx, [0.0, 0.0], "sigmoid_backward at x = -1000 and 1000 (a saturated sigmoid is flat)")


# ---------------------------------------------------------------- 03.5 tanh forward
@pytest.mark.exercise("03.5")
def test_tanh_forward_worked_example(kata, check):
    out, _ = pair(check, kata.tanh_forward(np.array([0.0, math.log(2.0), -math.log(2.0)])), "tanh_forward")
    check.close(out, [0.0, 0.6, -0.6], "tanh_forward([0, ln 2, -ln 2]) ((2 - 1/2) / (2 + 1/2) = 0.6)")


@pytest.mark.exercise("03.5")
@settings(max_examples=20)
@given(st.lists(moderate, min_size=1, max_size=10))
def test_tanh_forward_matches_math(kata, check, values):
    out, _ = pair(check, kata.tanh_forward(np.array(values)), "tanh_forward")
    check.close(out, [math.tanh(v) for v in values], "tanh_forward on random values")


@pytest.mark.exercise("03.5")
def test_tanh_forward_stable_at_extremes(kata, check):
    out, _ = pair(check, calm(check, lambda: kata.tanh_forward(EXTREMES), "tanh_forward(+-1000)"),
                  "tanh_forward")
    check.close(out, [math.tanh(v) for v in EXTREMES], "tanh_forward([-1000, ..., 1000]) (-1 and 1 at the ends)")


@pytest.mark.exercise("03.5")
def test_tanh_forward_caches_its_output(kata, check, rng):
    x = rng.normal(size=(3, 4))
    out, cache = pair(check, kata.tanh_forward(x), "tanh_forward(x)")
    check.close(cache, np.vectorize(math.tanh)(x),
                "the cache of tanh_forward (should be out = tanh(x), not x)")


# ---------------------------------------------------------------- 03.6 tanh backward
@pytest.mark.exercise("03.6")
def test_tanh_backward_worked_example(kata, check):
    _, cache = pair(check, kata.tanh_forward(np.array([0.0, math.log(2.0)])), "tanh_forward")
    dx = kata.tanh_backward(np.array([3.0, 2.0]), cache)
    check.close(dx, [3.0, 1.28], "tanh_backward([3, 2]) at x = [0, ln 2] (slopes 1 and 1 - 0.6**2 = 0.64)")


@pytest.mark.exercise("03.6")
def test_tanh_backward_gradient(kata, check, rng):
    grad_check(check, kata, "tanh", 2.0 * rng.normal(size=(4, 5)), rng)


# ---------------------------------------------------------------- 03.7 / 03.8 linear
@pytest.mark.exercise("03.7")
def test_linear_forward_is_identity(kata, check, rng):
    x = rng.normal(size=(4, 5))
    out, _ = pair(check, kata.linear_forward(x), "linear_forward(x)")
    check.close(check.shape(out, (4, 5), "linear_forward(x)"), x, "linear_forward(x)", rtol=0, atol=0)


@pytest.mark.exercise("03.7")
def test_linear_forward_worked_example(kata, check):
    out, _ = pair(check, kata.linear_forward(np.array([-1.5, 0.0, 2.0])), "linear_forward")
    check.close(out, [-1.5, 0.0, 2.0], "linear_forward([-1.5, 0, 2])")


@pytest.mark.exercise("03.8")
def test_linear_backward_gradient(kata, check, rng):
    grad_check(check, kata, "linear", rng.normal(size=(4, 5)), rng)


@pytest.mark.exercise("03.8")
def test_linear_backward_passes_dout_through(kata, check):
    _, cache = pair(check, kata.linear_forward(np.array([[1.0, 2.0], [3.0, 4.0]])), "linear_forward")
    dout = np.array([[0.5, -2.0], [3.0, 0.0]])
    dx = kata.linear_backward(dout, cache)
    check.close(dx, [[0.5, -2.0], [3.0, 0.0]], "linear_backward(dout) (should equal dout)")
    check.true(not np.shares_memory(dx, dout), "linear_backward returned dout itself, not a copy",
               "whoever receives dx may change it in place; return dout.copy() so dout stays intact")


# ---------------------------------------------------------------- 03.9 softmax forward
def softmax_oracle(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.exercise("03.9")
def test_softmax_forward_worked_example(kata, check):
    probs, _ = pair(check, kata.softmax_forward(np.array([[0.0, math.log(2.0), math.log(5.0)]])),
                    "softmax_forward")
    check.close(probs, [[0.125, 0.25, 0.625]], "softmax_forward([[0, ln 2, ln 5]]) (= [1, 2, 5] / 8)")


@pytest.mark.exercise("03.9")
def test_softmax_forward_rows_sum_to_one(kata, check, rng):
    probs, _ = pair(check, kata.softmax_forward(rng.normal(size=(4, 5))), "softmax_forward(x)")
    probs = check.shape(probs, (4, 5), "softmax_forward(x) for x: (4, 5)")
    check.true(np.all(probs > 0), "softmax_forward gave a probability <= 0", "exp() is always positive")
    check.close(probs.sum(axis=1), np.ones(4), "row sums of softmax_forward(x) (each row is a distribution)")


@pytest.mark.exercise("03.9")
def test_softmax_forward_stable_at_plus_minus_1000(kata, check):
    x = np.array([[1000.0, 1000.0, 999.0], [-1000.0, -1000.0, -1002.0], [1000.0, -1000.0, 0.0]])
    probs, _ = pair(check, calm(check, lambda: kata.softmax_forward(x), "softmax_forward at +-1000"),
                    "softmax_forward")
    a, b = 1.0 / (2.0 + math.exp(-1.0)), 1.0 / (2.0 + math.exp(-2.0))
    expected = [[a, a, 1.0 - 2.0 * a], [b, b, 1.0 - 2.0 * b], [1.0, 0.0, 0.0]]
    check.close(probs, expected, "softmax_forward of rows near +1000 and -1000 "
                "(subtract each ROW's maximum: one maximum for the whole batch underflows other rows)")


@pytest.mark.exercise("03.9")
def test_softmax_forward_shift_invariance(kata, check, rng):
    x = rng.normal(size=(4, 5))
    shift = rng.uniform(-50.0, 50.0, size=(4, 1))  # a different constant for each row
    probs, _ = pair(check, kata.softmax_forward(x), "softmax_forward")
    shifted, _ = pair(check, kata.softmax_forward(x + shift), "softmax_forward")
    check.close(shifted, probs, "softmax_forward(x + c) vs softmax_forward(x), c constant per row")


@pytest.mark.exercise("03.9")
def test_softmax_forward_works_on_last_axis(kata, check, rng):
    x = rng.normal(size=(2, 3, 4))  # (B, T, K): attention (chapter 14) normalizes the last axis
    probs, _ = pair(check, kata.softmax_forward(x), "softmax_forward")
    e = np.exp(x - x.max(axis=1, keepdims=True))
    check.close(probs, softmax_oracle(x), "softmax_forward of a (2, 3, 4) array (over the LAST axis)",
                suspects={"you normalize over axis=1: the book writes np.max(inputs, axis=1, "
                          "keepdims=True) and np.sum(..., axis=1) (Activation_Softmax, ch. 4), fine "
                          "for its (B, K) batches; this course uses axis=-1 because attention "
                          "(chapter 14) applies softmax to (B, T, K) arrays": e / e.sum(axis=1, keepdims=True)})


@pytest.mark.exercise("03.9")
def test_softmax_forward_leaves_input_and_caches_probs(kata, check, rng):
    x = 3.0 * rng.normal(size=(3, 4))
    before = x.copy()
    probs, cache = pair(check, kata.softmax_forward(x), "softmax_forward(x)")
    check.close(x, before, "x after softmax_forward(x) (the caller's array must not change: "
                "x - x.max(...) makes a new array, x -= ... overwrites the caller's)", rtol=0, atol=0)
    check.close(cache, softmax_oracle(before),
                "the cache of softmax_forward (should be probs, which backward needs, not x)")


# ---------------------------------------------------------------- 03.10 softmax backward
@pytest.mark.exercise("03.10")
def test_softmax_backward_worked_example(kata, check):
    _, cache = pair(check, kata.softmax_forward(np.zeros((1, 4))), "softmax_forward")
    dx = kata.softmax_backward(np.array([[1.0, 0.0, 0.0, 0.0]]), cache)
    # probs = 1/4 each; dx = probs * (dout - sum(dout * probs)) = 0.25 * (dout - 0.25)
    check.close(dx, [[0.1875, -0.0625, -0.0625, -0.0625]],
                "softmax_backward(e_0) at uniform probs (= 0.25 * (dout - 0.25))")


@pytest.mark.exercise("03.10")
def test_softmax_backward_gradient(kata, check, rng):
    grad_check(check, kata, "softmax", rng.normal(size=(4, 5)), rng)


@pytest.mark.exercise("03.10")
def test_softmax_backward_rows_sum_to_zero(kata, check, rng):
    # softmax ignores a constant added to a row, so moving all of a row's inputs together
    # changes nothing: the gradient of each row must sum to zero, whatever dout is.
    _, cache = pair(check, kata.softmax_forward(rng.normal(size=(4, 5))), "softmax_forward")
    dx = check.shape(kata.softmax_backward(rng.normal(size=(4, 5)), cache), (4, 5), "softmax_backward")
    check.close(dx.sum(axis=1), np.zeros(4), "row sums of softmax_backward(dout) "
                "(the full Jacobian couples every entry of a row, not only the diagonal)")


@pytest.mark.exercise("03.10")
def test_softmax_backward_on_last_axis_without_jacobians(kata, check, rng):
    x = rng.normal(size=(2, 3, 4))  # (B, T, K)
    _, cache = pair(check, kata.softmax_forward(x), "softmax_forward")
    dout = rng.normal(size=(2, 3, 4))
    try:
        dx = kata.softmax_backward(dout, cache)
    except (ValueError, IndexError) as err:
        check.fail(f"softmax_backward failed on a (2, 3, 4) input: {err}",
                   "a sum over the last axis that drops it (no keepdims=True) no longer broadcasts "
                   "against probs" if "broadcast" in str(err) else
                   "a loop that builds a K x K Jacobian per row (np.diagflat, np.outer) assumes 2-D input",
                   "the book writes exactly that loop (Activation_Softmax.backward, ch. 9); this "
                   "course uses the vector-Jacobian product because it works on any (..., K) "
                   "array and never builds B matrices of K x K",
                   "use the vector-Jacobian product on the last axis: "
                   "probs * (dout - (dout * probs).sum(axis=-1, keepdims=True))")
    check.gradients(lambda x: kata.softmax_forward(x)[0], {"x": x}, {"x": dx}, dout,
                    "softmax on a (2, 3, 4) array (last axis)")


# ---------------------------------------------------------------- edge cases (issue 10 §2)
@pytest.mark.exercise("03.9")
@pytest.mark.parametrize("b, k", [(1, 4), (5, 2), (3, 7)], ids=["B=1", "K=2", "K=7"])
def test_softmax_forward_at_edge_sizes(kata, check, rng, b, k):
    x = 4.0 * rng.normal(size=(b, k))
    probs, cache = pair(check, kata.softmax_forward(x), "softmax_forward")
    expected = [[math.exp(v - max(row)) / math.fsum(math.exp(u - max(row)) for u in row) for v in row]
                for row in x.tolist()]
    check.close(check.shape(probs, (b, k), f"softmax_forward of a ({b}, {k}) array (keep every axis, "
                            "even when B = 1: do not squeeze)"), expected, f"softmax_forward with B={b}, K={k}")
    check.close(cache, expected, f"the cache of softmax_forward with B={b}, K={k} (should be probs)")


@pytest.mark.exercise("03.10")
@pytest.mark.parametrize("b, k", [(1, 4), (5, 2), (3, 7)], ids=["B=1", "K=2", "K=7"])
def test_softmax_backward_at_edge_sizes(kata, check, rng, b, k):
    grad_check(check, kata, "softmax", 2.0 * rng.normal(size=(b, k)), rng)


@pytest.mark.exercise("03.6")
def test_tanh_backward_saturated(kata, check, rng):
    _, cache = pair(check, calm(check, lambda: kata.tanh_forward(EXTREMES), "tanh_forward(+-1000)"),
                    "tanh_forward")
    dout = rng.normal(size=EXTREMES.shape)
    dx = calm(check, lambda: kata.tanh_backward(dout, cache), "tanh_backward at +-1000")
    expected = [d * (1.0 - math.tanh(v) ** 2) for d, v in zip(dout, EXTREMES)]
    check.close(dx, expected, "tanh_backward at x = -1000, ..., 1000 (a saturated tanh is flat: "
                "1 - tanh(x)**2 is 0 there, and finite everywhere)")
