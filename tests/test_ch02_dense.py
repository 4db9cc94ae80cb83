"""Graded tests for chapter 02 (the dense layer).

Initializers are tested by their statistics on a large draw (120,000 weights, so the sample std
is within about 0.2% of the true one and a 3% band never fails by chance), by their shape, and
by their use of the generator they are given.
"""

import numpy as np
import pytest

D, N = 300, 400  # fan-in and fan-out, deliberately different


def draw(kata, name, seed=0, d=D, n=N):
    return getattr(kata, name)(np.random.default_rng(seed), d, n)


def check_std(check, weights, expected_std, quantity):
    check.shape(weights, (D, N), quantity)
    std, mean = float(np.std(weights)), float(np.mean(weights))
    check.true(abs(std / expected_std - 1.0) < 0.03,
               f"{quantity} has standard deviation {std:.5f}, expected {expected_std:.5f}",
               "compare the formula in the docstring: standard deviation or variance? fan-in or fan-out?")
    check.true(abs(mean) < 5 * expected_std / np.sqrt(weights.size),
               f"{quantity} has mean {mean:.5f}, expected about 0", "the weights should be centred at 0")


def check_uses_given_rng(check, kata, name):
    """Same seed gives the same weights whatever the global RNG does; other seeds differ."""
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        first = draw(kata, name, seed=7, d=5, n=3)
        np.random.seed(2)
        np.random.random(10)
        second = draw(kata, name, seed=7, d=5, n=3)
    finally:
        np.random.set_state(saved)
    first, second = check.array(first, name), check.array(second, name)
    check.true(first.shape == second.shape and np.array_equal(first, second),
               f"{name} gave different weights for the same rng seed once other code had drawn "
               "from np.random",
               "draw every random number from the `rng` argument (rng.standard_normal, "
               "rng.uniform), never from np.random's global generator",
               "the book writes 0.01 * np.random.randn(n_inputs, n_neurons) after nnfs.init() "
               "seeds the global generator; this course passes an explicit np.random.Generator "
               "because hidden global state makes a result depend on whatever ran before")
    other = check.array(draw(kata, name, seed=8, d=5, n=3), name)
    check.true(not np.allclose(other, first), f"{name} gave the same weights for seeds 7 and 8",
               "draw from the `rng` argument, not from a generator you create yourself")


# ---------------------------------------------------------------- 02.1 small normal
@pytest.mark.exercise("02.1")
def test_small_normal_statistics(kata, check):
    check_std(check, draw(kata, "init_small_normal"), 0.01, "init_small_normal(rng, 300, 400)")


@pytest.mark.exercise("02.1")
def test_small_normal_honours_scale(kata, check):
    weights = kata.init_small_normal(np.random.default_rng(3), D, N, scale=0.5)
    check_std(check, weights, 0.5, "init_small_normal(rng, 300, 400, scale=0.5)")


@pytest.mark.exercise("02.1")
def test_small_normal_uses_given_rng(kata, check):
    check_uses_given_rng(check, kata, "init_small_normal")


# ---------------------------------------------------------------- 02.2 Xavier
@pytest.mark.exercise("02.2")
def test_xavier_statistics(kata, check):
    limit = np.sqrt(6.0 / (D + N))
    weights = check.shape(draw(kata, "init_xavier"), (D, N), "init_xavier(rng, 300, 400)")
    check_std(check, weights, limit / np.sqrt(3.0), "init_xavier(rng, 300, 400)")


@pytest.mark.exercise("02.2")
def test_xavier_is_uniform_within_the_limit(kata, check):
    limit = np.sqrt(6.0 / (D + N))
    weights = check.shape(draw(kata, "init_xavier"), (D, N), "init_xavier(rng, 300, 400)")
    largest = float(np.abs(weights).max())
    centred = weights / weights.std()
    looks_normal = float(np.mean(centred ** 4)) > 2.4  # kurtosis: 3 for a normal, 1.8 for a uniform
    check.true(largest <= limit, f"init_xavier drew {largest:.4f}, beyond the limit a = {limit:.4f}",
               "the draws look normal (bell-shaped), and a normal distribution has no limit: Glorot's "
               "initializer is uniform on (-a, a)" if looks_normal else
               f"the draws look uniform, on a wider interval: a = sqrt(6 / (n_inputs + n_neurons)) = {limit:.4f}")
    check.true(largest > 0.99 * limit, f"init_xavier never comes near the limit a = {limit:.4f}",
               "draw uniformly from the whole interval (-a, a)")


@pytest.mark.exercise("02.2")
def test_xavier_uses_given_rng(kata, check):
    check_uses_given_rng(check, kata, "init_xavier")


# ---------------------------------------------------------------- 02.3 He
@pytest.mark.exercise("02.3")
def test_he_statistics(kata, check):
    check_std(check, draw(kata, "init_he"), np.sqrt(2.0 / D), "init_he(rng, 300, 400)")


@pytest.mark.exercise("02.3")
def test_he_keeps_relu_signal_variance(kata, check):
    # Through one He-initialized ReLU layer, the mean square of the signal is kept (He et al. 2015).
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2000, D))
    weights = check.shape(kata.init_he(np.random.default_rng(12), D, N), (D, N), "init_he")
    h = np.maximum(x @ weights, 0.0)
    ratio = float(np.mean(h ** 2) / np.mean(x ** 2))
    check.true(abs(ratio - 1.0) < 0.05, f"after a ReLU layer the signal power is x{ratio:.3f}, expected x1",
               "the variance must be 2 / n_inputs")


@pytest.mark.exercise("02.3")
def test_he_is_normal_not_uniform(kata, check):
    # A normal puts 8.3% of its mass beyond sqrt(3) std; a uniform with that std has none there.
    std = np.sqrt(2.0 / D)
    weights = check.shape(draw(kata, "init_he", seed=4), (D, N), "init_he(rng, 300, 400)")
    tail = float(np.mean(np.abs(weights) > np.sqrt(3.0) * std))
    check.true(0.07 < tail < 0.097,
               f"init_he put {tail:.2%} of its weights beyond sqrt(3) * std, expected about 8.3%",
               "He initialization here is He-normal: std * rng.standard_normal(...), not a uniform")


@pytest.mark.exercise("02.3")
def test_he_uses_given_rng(kata, check):
    check_uses_given_rng(check, kata, "init_he")


# ---------------------------------------------------------------- 02.4 dense forward
@pytest.mark.exercise("02.4")
def test_dense_forward_worked_example(kata, check):
    x = np.array([[1.0, 2.0], [0.0, -1.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.5, 1.0, 0.0]])
    b = np.array([0.0, 1.0, -1.0])
    result = kata.dense_forward(x, W, b)
    check.true(isinstance(result, tuple) and len(result) == 2,
               "dense_forward should return a pair (out, cache)", f"it returned {type(result).__name__}")
    check.close(result[0], [[2.0, 3.0, 1.0], [-0.5, 0.0, -1.0]], "out of dense_forward", batch_size=2)


@pytest.mark.exercise("02.4")
def test_dense_forward_shape_and_values(kata, check, rng):
    x, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    out, _ = kata.dense_forward(x, W, b)
    out = check.shape(out, (5, 4), "out of dense_forward with B=5, D=3, N=4")
    check.close(out, np.einsum("bd,dn->bn", x, W) + b, "out of dense_forward", batch_size=5)


@pytest.mark.exercise("02.4")
def test_dense_forward_cache_is_x_W_b(kata, check, rng):
    # Chapter 05's dense_backward unpacks this cache as (x, W, b): the order is a contract.
    x, W, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    result = kata.dense_forward(x, W, b)
    check.true(isinstance(result, tuple) and len(result) == 2,
               "dense_forward should return a pair (out, cache)", f"it returned {type(result).__name__}")
    cache = result[1]
    check.true(isinstance(cache, (tuple, list)) and len(cache) == 3,
               f"the cache of dense_forward should be the tuple (x, W, b), got {type(cache).__name__}"
               + (f" of {len(cache)}" if isinstance(cache, (tuple, list)) else ""),
               "backward needs x (for dW), W (for dx) and b (for its shape): keep all three",
               "the book's Layer_Dense keeps only self.inputs and reads self.weights later; this "
               "course's dense_backward is a plain function with no layer to read from, so the "
               "cache carries x, W and b")
    for name, kept, given in zip(("x", "W", "b"), cache, (x, W, b)):
        check.close(kept, given, f"cache[{'xWb'.index(name)}] of dense_forward (should be {name})",
                    rtol=0, atol=0)


@pytest.mark.exercise("02.4")
def test_dense_forward_zero_input_gives_bias(kata, check, rng):
    W, b = rng.normal(size=(3, 4)), rng.normal(size=4)
    out, _ = kata.dense_forward(np.zeros((6, 3)), W, b)
    check.close(out, np.tile(b, (6, 1)), "dense_forward of an all-zero batch (each row should be b)",
                batch_size=6)


# ---------------------------------------------------------------- 02.5 Dense layer
@pytest.mark.exercise("02.5")
def test_dense_layer_parameters(kata, check):
    layer = kata.Dense(3, 5, np.random.default_rng(0))
    for name in ("W", "b"):
        check.true(hasattr(getattr(layer, name, None), "grad"),
                   f"Dense.{name} should be a Parameter (with .data and .grad)",
                   f"wrap the array: self.{name} = Parameter(...); optimizers read .data and .grad")
    check.shape(layer.W.data, (3, 5), "Dense(3, 5).W.data")
    check.true(np.shape(layer.b.data) != (1, 5),
               "Dense(3, 5).b.data has shape (1, 5), expected (5,)",
               "the book writes self.biases = np.zeros((1, n_neurons)); this course uses a 1-D "
               "bias of shape (N,) because it broadcasts over the batch just as well, and later "
               "chapters (optimizers, save/load, autograd) compare b.grad and saved arrays with (N,)")
    check.close(layer.b.data, np.zeros(5), "Dense(3, 5).b.data (biases start at zero)")
    check.true(len(layer.parameters()) == 2, "Dense.parameters() should list W and b",
               "store them as Parameter objects in self.W and self.b")


@pytest.mark.exercise("02.5")
@pytest.mark.parametrize("init, std", [("he", np.sqrt(2.0 / D)), ("small", 0.01),
                                       ("xavier", np.sqrt(2.0 / (D + N)))],
                         ids=["he", "small", "xavier"])
def test_dense_layer_uses_named_initializer(kata, check, init, std):
    layer = kata.Dense(D, N, np.random.default_rng(5), init=init)
    check_std(check, layer.W.data, std, f"Dense(300, 400, init={init!r}).W.data")


@pytest.mark.exercise("02.5")
def test_dense_layer_same_seed_same_weights(kata, check):
    a = kata.Dense(4, 3, np.random.default_rng(9))
    b = kata.Dense(4, 3, np.random.default_rng(9))
    check.close(a.W.data, b.W.data, "W of two Dense layers built from the same seed", rtol=0, atol=0)


@pytest.mark.exercise("02.5")
def test_dense_layer_rejects_unknown_init(kata, check):
    check.raises(ValueError, lambda: kata.Dense(2, 2, np.random.default_rng(0), init="glorious"),
                 "Dense(..., init='glorious')", mentions=("init",))


# ---------------------------------------------------------------- edge cases (issue 10 §2)
@pytest.mark.exercise("02.4")
@pytest.mark.parametrize("b, d, n", [(1, 3, 4), (7, 1, 2), (5, 4, 1)], ids=["B=1", "D=1", "N=1"])
def test_dense_forward_at_edge_sizes(kata, check, rng, b, d, n):
    x, W, bias = rng.normal(size=(b, d)), rng.normal(size=(d, n)), rng.normal(size=n)
    result = kata.dense_forward(x, W, bias)
    check.true(isinstance(result, tuple) and len(result) == 2,
               "dense_forward should return a pair (out, cache)", f"it returned {type(result).__name__}")
    out = check.shape(result[0], (b, n), f"out of dense_forward with B={b}, D={d}, N={n} (always "
                      "(B, N), even for one example or one neuron: do not squeeze)")
    expected = [[sum(x[i, k] * W[k, j] for k in range(d)) + bias[j] for j in range(n)] for i in range(b)]
    check.close(out, expected, f"out of dense_forward with B={b}, D={d}, N={n}", batch_size=b)
