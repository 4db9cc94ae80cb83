"""Graded tests for chapter 05 (backpropagation).

Every gradient (dx, dW, db, and every MLP parameter) is compared with central differences of a
forward pass written out HERE (``x @ W + b``, ``relu(x @ W1 + b1) @ W2 + b2``), with a random
upstream gradient. The learner's own numerical_gradient is checked against derivatives known on
paper, never against the grader's checker. The scalar functions it is given are module-level
functions, not lambdas.
"""

import numpy as np
import pytest

B, D, H, K = 4, 3, 6, 5  # batch, inputs, hidden units, outputs: all different, so transposes show


def dense_oracle(x, W, b):
    return x @ W + b


def mlp_oracle(x, W1, b1, W2, b2):
    return np.maximum(x @ W1 + b1, 0.0) @ W2 + b2


def triple(check, result, quantity):
    check.true(isinstance(result, tuple) and len(result) == 3,
               f"{quantity} should return three gradients (dx, dW, db)",
               f"it returned {type(result).__name__}; gradients come in the order of the forward's inputs")
    return result


# ---------------------------------------------------------------- 05.1 dense backward
@pytest.mark.exercise("05.1")
def test_dense_backward_worked_example(kata, check):
    x, W, b = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]]), np.zeros(3)
    dout = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 2.0]])
    dx, dW, db = triple(check, kata.dense_backward(dout, (x, W, b)), "dense_backward")
    check.close(dx, [[1.0, 2.0], [-2.0, 1.0]], "dx of dense_backward (= dout @ W.T)", batch_size=2)
    check.close(dW, [[1.0, 3.0, 6.0], [2.0, 4.0, 8.0]], "dW of dense_backward (= x.T @ dout)", batch_size=2)
    check.close(db, [1.0, 1.0, 2.0], "db of dense_backward (= dout summed over the batch)", batch_size=2)


@pytest.mark.exercise("05.1")
def test_dense_backward_shapes(kata, check, rng):
    x, W, b = rng.normal(size=(B, D)), rng.normal(size=(D, K)), rng.normal(size=K)
    try:
        result = kata.dense_backward(rng.normal(size=(B, K)), (x, W, b))
    except ValueError as err:
        check.fail(f"dense_backward(dout: (4, 5), cache with x: (4, 3), W: (3, 5)) raised: {err}",
                   "write the shapes down: dx (B, D) = dout (B, N) @ W.T (N, D); dW (D, N) = x.T (D, B) @ dout (B, N)")
    dx, dW, db = triple(check, result, "dense_backward")
    check.shape(dx, (B, D), "dx (shape of x)")
    check.shape(dW, (D, K), "dW (shape of W)")
    check.true(np.shape(db) != (1, K), f"db has shape (1, {K}), expected ({K},) (the shape of b)",
               "the book writes np.sum(dvalues, axis=0, keepdims=True) because its biases are "
               "(1, N); this course keeps b as (N,) (chapter 02), and a gradient has the shape of "
               "its parameter, so sum without keepdims")
    check.shape(db, (K,), "db (shape of b)")


@pytest.mark.exercise("05.1")
def test_dense_backward_gradients(kata, check, rng):
    x, W, b = rng.normal(size=(B, D)), rng.normal(size=(D, K)), rng.normal(size=K)
    dout = rng.normal(size=(B, K))
    dx, dW, db = triple(check, kata.dense_backward(dout, (x, W, b)), "dense_backward")
    check.gradients(dense_oracle, {"x": x, "W": W, "b": b}, {"x": dx, "W": dW, "b": db}, dout,
                    "out = x @ W + b (random dout)", batch_size=B)


# ---------------------------------------------------------------- 05.2 numerical gradient
def square_sum(x):
    return float(np.sum(x ** 2))


def cube_sum(x):
    return float(np.sum(x ** 3))


def sum_squared(x):
    return float(np.sum(x) ** 2)


def sin_sum(x):
    return float(np.sum(np.sin(x)))


@pytest.mark.exercise("05.2")
def test_numerical_gradient_of_a_quadratic_is_exact(kata, check, rng):
    x = rng.normal(size=(3, 4))
    expected = 2 * x
    grad = check.shape(kata.numerical_gradient(square_sum, x, 1e-2), (3, 4),
                       "numerical_gradient(sum(x**2), x: (3, 4)) (the shape of x)")
    check.close(grad, expected, "numerical_gradient of sum(x**2) with eps = 0.01 (d/dx = 2x; central "
                "differences are exact for a quadratic, a one-sided difference gives 2x + eps)",
                suspects={"you take the one-sided difference (f(x + eps) - f(x)) / eps: the book's "
                          "chapter on derivatives (ch. 7) approximates a slope that way; this course "
                          "asks for the central difference because its error is O(eps**2), not "
                          "O(eps), which gradient checks need": expected + 1e-2})


@pytest.mark.exercise("05.2")
def test_numerical_gradient_is_central_with_given_eps(kata, check, rng):
    x, eps = rng.normal(size=(2, 3)), 1e-2
    expected = 3 * x ** 2 + eps ** 2
    grad = kata.numerical_gradient(cube_sum, x, eps)
    # ((x + h)**3 - (x - h)**3) / (2h) = 3x**2 + h**2 exactly
    check.close(grad, expected, "numerical_gradient of sum(x**3) with eps = 0.01 "
                "(must be (f(x + eps) - f(x - eps)) / (2 eps) = 3x**2 + eps**2 with the eps you were given)")


@pytest.mark.exercise("05.2")
def test_numerical_gradient_restores_each_entry(kata, check, rng):
    x = rng.normal(size=(3, 4))
    expected = np.full((3, 4), 2 * np.sum(x))
    grad = kata.numerical_gradient(sum_squared, x, 1e-3)
    check.close(grad, expected, "numerical_gradient of (sum x)**2 (= 2 * sum(x) "
                "everywhere; if an entry is not put back, every later entry sees a shifted sum)")


@pytest.mark.exercise("05.2")
def test_numerical_gradient_any_shape_default_eps(kata, check, rng):
    x = rng.normal(size=(2, 3, 2))
    expected = np.cos(x)
    grad = check.shape(kata.numerical_gradient(sin_sum, x), (2, 3, 2),
                       "numerical_gradient(sum(sin(x)), x: (2, 3, 2))")
    check.close(grad, expected, "numerical_gradient of sum(sin(x)) for a 3-D x (= cos(x); visit every entry)")


@pytest.mark.exercise("05.2")
def test_numerical_gradient_leaves_x_unchanged(kata, check, rng):
    x = rng.normal(size=(2, 3))
    before = x.copy()
    kata.numerical_gradient(sum_squared, x, 1e-3)
    check.close(x, before, "x after numerical_gradient(f, x) (the caller's array must not change)",
                rtol=0, atol=0)


@pytest.mark.exercise("05.2")
def test_numerical_gradient_of_an_integer_array(kata, check):
    x = np.array([[1, 2], [-3, 0]])  # integers: x + eps must not be truncated back to x
    grad = check.shape(kata.numerical_gradient(square_sum, x, 1e-3), (2, 2),
                       "numerical_gradient(sum(x**2), integer x: (2, 2))")
    check.close(grad, [[2.0, 4.0], [-6.0, 0.0]], "numerical_gradient of sum(x**2) at an INTEGER x "
                "(perturb a float64 copy: an integer array rounds x + eps back to x, and the gradient comes out 0)")


# ---------------------------------------------------------------- 05.3 Dense layer backward
def run_dense(kata, x, dout, passes=1):
    layer = kata.Dense(D, K, np.random.default_rng(3))
    dx = None
    for _ in range(passes):
        layer.forward(x)
        dx = layer.backward(dout)
    return layer, dx


@pytest.mark.exercise("05.3")
def test_dense_layer_backward_gradients(kata, check, rng):
    x, dout = rng.normal(size=(B, D)), rng.normal(size=(B, K))
    layer, dx = run_dense(kata, x, dout)
    check.shape(dx, (B, D), "Dense.backward(dout) (returns dx, shaped like x)")
    W, b = layer.W.data, layer.b.data
    check.gradients(dense_oracle, {"x": x, "W": W, "b": b}, {"x": dx, "W": layer.W.grad, "b": layer.b.grad},
                    dout, "Dense (dx returned; W.grad and b.grad stored)", batch_size=B)


@pytest.mark.exercise("05.3")
def test_dense_layer_backward_accumulates(kata, check, rng):
    x, dout = rng.normal(size=(B, D)), rng.normal(size=(B, K))
    layer, _ = run_dense(kata, x, dout, passes=2)
    check.close(layer.W.grad, 2 * x.T @ dout, "W.grad after two backward passes "
                "(gradients ADD up: use +=, so a parameter used twice gets both contributions)",
                suspects={"the second pass overwrote the first: the book writes self.dweights = "
                          "np.dot(self.inputs.T, dvalues) (Layer_Dense.backward, ch. 9), an "
                          "assignment; this course adds into W.grad because a parameter may be "
                          "used twice in one graph, and zeroing belongs to the training step "
                          "(zero_grad)": x.T @ dout})
    check.close(layer.b.grad, 2 * dout.sum(axis=0), "b.grad after two backward passes (use +=)")


@pytest.mark.exercise("05.3")
def test_dense_layer_is_the_chapter_02_layer(kata, check, rng):
    layer, dx = run_dense(kata, rng.normal(size=(B, D)), rng.normal(size=(B, K)))
    check.true(len(layer.parameters()) == 2, "Dense.parameters() should still list W and b",
               "subclass chapter 02's Dense; do not create new attributes for the gradients")
    check.true(np.any(layer.b.grad != 0), "Dense.backward left b.grad at zero", "add db into self.b.grad")


# ---------------------------------------------------------------- 05.4 MLP forward
def params(net):
    return net.dense1.W.data, net.dense1.b.data, net.dense2.W.data, net.dense2.b.data


@pytest.mark.exercise("05.4")
def test_mlp_forward_matches_dense_relu_dense(kata, check, rng):
    net = kata.MLP(D, H, K, np.random.default_rng(0))
    x = rng.normal(size=(B, D))
    logits = check.shape(net.forward(x), (B, K), "MLP(3, 6, 5).forward(x: (4, 3))")
    check.close(logits, mlp_oracle(x, *params(net)), "MLP.forward(x) = relu(x @ W1 + b1) @ W2 + b2", batch_size=B)


@pytest.mark.exercise("05.4")
def test_mlp_forward_logits_can_be_negative(kata, check, rng):
    net = kata.MLP(2, 8, 3, np.random.default_rng(1))
    logits = check.array(net.forward(rng.normal(size=(50, 2))), "MLP.forward")
    check.true(np.any(logits < 0), "MLP.forward never returned a negative logit",
               "logits are raw scores: no ReLU after the last dense layer")


@pytest.mark.exercise("05.4")
def test_mlp_forward_hidden_layer_is_nonlinear(kata, check):
    # f(x) + f(-x) = 2 * b2 for a linear map; ReLU breaks that symmetry.
    net = kata.MLP(2, 8, 3, np.random.default_rng(2))
    x = np.array([[1.0, -2.0], [0.5, 0.3]])
    total = check.array(net.forward(x), "MLP.forward") + check.array(net.forward(-x), "MLP.forward")
    check.true(not np.allclose(total, 2 * net.dense2.b.data), "MLP.forward(x) + MLP.forward(-x) "
               "is 2 * b2: the network is linear", "apply the ReLU between dense1 and dense2")


@pytest.mark.exercise("05.4")
def test_mlp_forward_goes_through_its_layers(kata, check, rng):
    # backward needs every layer's cache: forward must call dense1, relu and dense2 themselves.
    net = kata.MLP(D, H, K, np.random.default_rng(5))
    x = rng.normal(size=(B, D))
    net.forward(x)
    W1, b1, W2, b2 = params(net)
    z = x @ W1 + b1
    advice = "call self.dense1.forward, self.relu.forward and self.dense2.forward: each keeps its cache for backward"
    cache1, relu_cache, cache2 = (getattr(layer, "cache", None) for layer in (net.dense1, net.relu, net.dense2))
    check.true(cache1 is not None and cache2 is not None and relu_cache is not None,
               "after MLP.forward(x) a layer has no cache", advice)
    check.close(cache1[0], x, f"the input cached by dense1 after MLP.forward(x) ({advice})")
    check.close(relu_cache, z, f"the input cached by relu after MLP.forward(x) ({advice})")
    check.close(cache2[0], np.maximum(z, 0.0), f"the input cached by dense2 after MLP.forward(x) ({advice})")


# ---------------------------------------------------------------- 05.5 MLP backward
def run_mlp(kata, x, dlogits, passes=1):
    net = kata.MLP(D, H, K, np.random.default_rng(4))
    dx = None
    for _ in range(passes):
        net.forward(x)
        dx = net.backward(dlogits)
    return net, dx


@pytest.mark.exercise("05.5")
def test_mlp_backward_gradients_every_parameter(kata, check, rng):
    x, dlogits = rng.normal(size=(B, D)), rng.normal(size=(B, K))
    net, dx = run_mlp(kata, x, dlogits)
    check.shape(dx, (B, D), "MLP.backward(dlogits) (returns dx, shaped like x)")
    W1, b1, W2, b2 = params(net)
    analytic = {"x": dx, "W1": net.dense1.W.grad, "b1": net.dense1.b.grad,
                "W2": net.dense2.W.grad, "b2": net.dense2.b.grad}
    check.gradients(mlp_oracle, {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, analytic, dlogits,
                    "relu(x @ W1 + b1) @ W2 + b2 (random dlogits)", batch_size=B)


@pytest.mark.exercise("05.5")
def test_mlp_backward_accumulates(kata, check, rng):
    x, dlogits = rng.normal(size=(B, D)), rng.normal(size=(B, K))
    once, _ = run_mlp(kata, x, dlogits)
    twice, _ = run_mlp(kata, x, dlogits, passes=2)
    for name, a, b in [("dense1.W", once.dense1.W, twice.dense1.W), ("dense2.b", once.dense2.b, twice.dense2.b)]:
        check.close(b.grad, 2 * a.grad, f"{name}.grad after two backward passes vs one "
                    "(never reset gradients inside backward: zero_grad() is the training loop's job)")


# ---------------------------------------------------------------- edge cases (issue 10 §2)
EDGE = [(1, 3, 5), (6, 1, 2), (3, 4, 1)]
EDGE_IDS = ["B=1", "D=1", "N=1"]


@pytest.mark.exercise("05.1")
@pytest.mark.parametrize("b, d, n", EDGE, ids=EDGE_IDS)
def test_dense_backward_at_edge_sizes(kata, check, rng, b, d, n):
    x, W, bias, dout = rng.normal(size=(b, d)), rng.normal(size=(d, n)), rng.normal(size=n), rng.normal(size=(b, n))
    dx, dW, db = triple(check, kata.dense_backward(dout, (x, W, bias)), "dense_backward")
    where = f"with B={b}, D={d}, N={n} (each gradient keeps the shape of its array, even for size 1)"
    check.close(check.shape(dx, (b, d), f"dx {where}"),
                [[sum(dout[i, j] * W[k, j] for j in range(n)) for k in range(d)] for i in range(b)],
                f"dx {where}", batch_size=b)
    check.close(check.shape(dW, (d, n), f"dW {where}"),
                [[sum(x[i, k] * dout[i, j] for i in range(b)) for j in range(n)] for k in range(d)],
                f"dW {where}", batch_size=b)
    check.close(check.shape(db, (n,), f"db {where}"), [sum(dout[:, j]) for j in range(n)],
                f"db {where}", batch_size=b)


@pytest.mark.exercise("05.3")
def test_dense_layer_backward_adds_to_gradients_already_there(kata, check, rng):
    x, dout = rng.normal(size=(B, D)), rng.normal(size=(B, K))
    layer = kata.Dense(D, K, np.random.default_rng(3))
    W0, b0 = rng.normal(size=(D, K)), rng.normal(size=K)  # gradients left by an earlier use
    layer.W.grad = W0.copy()  # assigned, not written into: in grading mode layer.W.grad is a copy
    layer.b.grad = b0.copy()
    layer.forward(x)
    layer.backward(dout)
    check.close(layer.W.grad, W0 + x.T @ dout, "W.grad after backward when it already held values "
                "(add this pass's dW to what is there: +=, never = or a reset)",
                suspects={"the earlier gradient was overwritten": x.T @ dout})
    check.close(layer.b.grad, b0 + dout.sum(axis=0), "b.grad after backward when it already held values",
                suspects={"the earlier gradient was overwritten": dout.sum(axis=0)})


@pytest.mark.exercise("05.4")
def test_mlp_forward_one_example(kata, check, rng):
    net = kata.MLP(D, H, K, np.random.default_rng(0))
    x = rng.normal(size=(1, D))
    logits = check.shape(net.forward(x), (1, K), "MLP(3, 6, 5).forward(x: (1, 3)) (a batch of one "
                         "example is still (1, K))")
    check.close(logits, mlp_oracle(x, *params(net)), "MLP.forward of one example")


@pytest.mark.exercise("05.5")
def test_mlp_backward_one_example_onto_existing_gradients(kata, check, rng):
    x, dlogits = rng.normal(size=(1, D)), rng.normal(size=(1, K))
    net = kata.MLP(D, H, K, np.random.default_rng(4))
    earlier = [rng.normal(size=p.data.shape) for p in net.parameters()]
    for p, g in zip(net.parameters(), earlier):
        p.grad = g.copy()
    net.forward(x)
    dx = check.shape(net.backward(dlogits), (1, D), "MLP.backward(dlogits: (1, 5)) (dx shaped like x)")
    W1, b1, W2, b2 = params(net)
    fresh = {"W1": net.dense1.W.grad - earlier[0], "b1": net.dense1.b.grad - earlier[1],
             "W2": net.dense2.W.grad - earlier[2], "b2": net.dense2.b.grad - earlier[3]}
    check.gradients(mlp_oracle, {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2}, {"x": dx, **fresh},
                    dlogits, "relu(x @ W1 + b1) @ W2 + b2 for one example, gradients added to the "
                    "ones already stored (grad after backward minus grad before)", batch_size=1)


@pytest.mark.exercise("05.2")
@pytest.mark.parametrize("shape", [(), (1,), (1, 1, 3)], ids=["0-d", "(1,)", "(1, 1, 3)"])
def test_numerical_gradient_tiny_shapes(kata, check, rng, shape):
    x = np.asarray(rng.normal(size=shape))
    grad = check.shape(kata.numerical_gradient(cube_sum, x, 1e-2), shape,
                       f"numerical_gradient(sum(x**3), x: {shape}) (the shape of x, also for a 0-d x)")
    check.close(grad, 3 * x ** 2 + 1e-4, f"numerical_gradient of sum(x**3) at x: {shape} with eps = 0.01 "
                "(= 3x**2 + eps**2 exactly)")


@pytest.mark.exercise("05.3")
def test_dense_layer_backward_one_example(kata, check, rng):
    x, dout = rng.normal(size=(1, D)), rng.normal(size=(1, K))
    layer, dx = run_dense(kata, x, dout)
    check.shape(dx, (1, D), "Dense.backward(dout: (1, 5)) (returns dx shaped like x, also for one example)")
    check.gradients(dense_oracle, {"x": x, "W": layer.W.data, "b": layer.b.data},
                    {"x": dx, "W": layer.W.grad, "b": layer.b.grad}, dout,
                    "Dense on one example (dx returned; W.grad and b.grad stored)", batch_size=1)
