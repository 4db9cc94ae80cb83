"""Graded tests for chapter 01 (neurons). Oracles are written out independently of the code
under test: explicit sums for one neuron, ``np.einsum`` for layers and batches."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

finite = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False)


# ---------------------------------------------------------------- 01.1 one neuron
@pytest.mark.exercise("01.1")
def test_neuron_worked_example(kata, check):
    # 1*0.2 + 2*0.8 + 3*(-0.5) + 2 = 2.3, the example in the docstring
    out = kata.neuron_output(np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.8, -0.5]), 2.0)
    check.close(out, 2.3, "neuron_output([1, 2, 3], [0.2, 0.8, -0.5], 2)",
                suspects={"the bias is left out": 0.3, "the bias is added to each product": 6.3,
                          "the products are not summed (only the first one is used)": 2.2})


@pytest.mark.exercise("01.1")
def test_neuron_returns_a_python_float(kata, check):
    out = kata.neuron_output(np.ones(4), np.full(4, 0.5), -1.0)
    check.true(isinstance(out, float), f"neuron_output returned {type(out).__name__}, expected float",
               "one neuron has one output: a scalar. Wrap the result in float().")
    check.close(out, 1.0, "neuron_output(ones(4), 0.5s, -1)")


@pytest.mark.exercise("01.1")
@given(st.lists(st.tuples(finite, finite), min_size=1, max_size=8), finite)
def test_neuron_is_weighted_sum_plus_bias(kata, check, pairs, bias):
    inputs = np.array([p[0] for p in pairs])
    weights = np.array([p[1] for p in pairs])
    expected = math.fsum(i * w for i, w in pairs) + bias
    out = kata.neuron_output(inputs, weights, bias)
    check.close(out, expected, f"neuron_output({inputs.tolist()}, {weights.tolist()}, {bias})",
                rtol=1e-9, atol=1e-6)


@pytest.mark.exercise("01.1")
def test_neuron_rejects_mismatched_lengths(kata, check):
    check.raises(ValueError, lambda: kata.neuron_output(np.ones(3), np.ones(2), 0.0),
                 "neuron_output with 3 inputs but 2 weights", mentions=("inputs", "weights"))


# ---------------------------------------------------------------- 01.2 a layer of neurons
@pytest.mark.exercise("01.2")
def test_layer_worked_example(kata, check):
    inputs = np.array([1.0, 2.0, 3.0])
    weights = np.array([[1.0, 0.0, 0.0],     # neuron 0 copies input 0
                        [0.5, 0.5, 0.5]])    # neuron 1 averages-ish: 3.0
    biases = np.array([10.0, -1.0])
    check.close(kata.layer_output(inputs, weights, biases), [11.0, 2.0],
                "layer_output of a 2-neuron layer",
                suspects={"the biases are left out": [1.0, 3.0]})


@pytest.mark.exercise("01.2")
def test_layer_matches_one_dot_product_per_neuron(kata, check, rng):
    inputs, weights, biases = rng.normal(size=4), rng.normal(size=(3, 4)), rng.normal(size=3)
    out = check.shape(kata.layer_output(inputs, weights, biases), (3,), "layer_output with N=3, D=4")
    check.close(out, np.einsum("nd,d->n", weights, inputs) + biases, "layer_output with N=3, D=4")


@pytest.mark.exercise("01.2")
def test_layer_bias_moves_only_its_own_neuron(kata, check, rng):
    inputs, weights, biases = rng.normal(size=5), rng.normal(size=(4, 5)), rng.normal(size=4)
    base = check.array(kata.layer_output(inputs, weights, biases), "layer_output")
    bumped = biases.copy()
    bumped[2] += 1.0
    moved = check.array(kata.layer_output(inputs, weights, bumped), "layer_output")
    check.close(moved - base, [0.0, 0.0, 1.0, 0.0], "change in outputs after biases[2] += 1",
                suspects={"the biases are not added at all": np.zeros(4),
                          "biases[2] is added to every neuron": np.ones(4)})


@pytest.mark.exercise("01.2")
def test_layer_rejects_wrong_shapes(kata, check):
    x = np.ones(3)
    check.raises(ValueError, lambda: kata.layer_output(x, np.ones((2, 4)), np.ones(2)),
                 "layer_output with weights (2, 4) for 3 inputs", mentions=("weights",))
    check.raises(ValueError, lambda: kata.layer_output(x, np.ones((3, 3)), np.ones(1)),
                 "layer_output with 1 bias for 3 neurons", mentions=("biases",))


# ---------------------------------------------------------------- 01.3 a batch of inputs
@pytest.mark.exercise("01.3")
def test_batch_output_shape_and_values(kata, check, rng):
    inputs, weights, biases = rng.normal(size=(5, 4)), rng.normal(size=(3, 4)), rng.normal(size=3)
    out = check.shape(kata.batch_output(inputs, weights, biases), (5, 3),
                      "batch_output with B=5, D=4, N=3")
    check.close(out, np.einsum("bd,nd->bn", inputs, weights) + biases, "batch_output", batch_size=5)


@pytest.mark.exercise("01.3")
def test_batch_worked_example(kata, check):
    inputs = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, 0.0]])
    weights = np.array([[1.0, 1.0], [2.0, -1.0]])
    biases = np.array([0.5, -0.5])
    expected = [[3.5, -0.5], [7.5, 1.5], [0.5, -0.5]]
    check.close(kata.batch_output(inputs, weights, biases), expected, "batch_output (3 x 2 batch)",
                batch_size=3)


@pytest.mark.exercise("01.3")
def test_batch_rows_are_independent(kata, check, rng):
    # Permuting the examples permutes the outputs: no example may influence another.
    inputs, weights, biases = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)), rng.normal(size=6)
    order = rng.permutation(6)
    out = check.array(kata.batch_output(inputs, weights, biases), "batch_output")
    permuted = check.array(kata.batch_output(inputs[order], weights, biases), "batch_output")
    check.close(permuted, out[order], "batch_output of the permuted batch vs permuted outputs")


@pytest.mark.exercise("01.3")
def test_batch_rejects_wrong_shapes(kata, check):
    w, b = np.ones((3, 2)), np.ones(3)
    check.raises(ValueError, lambda: kata.batch_output(np.ones(2), w, b),
                 "batch_output with a 1-D inputs array", mentions=("inputs",))
    check.raises(ValueError, lambda: kata.batch_output(np.ones((4, 5)), w, b),
                 "batch_output with D=5 inputs but weights for D=2", mentions=("weights",))
    check.raises(ValueError, lambda: kata.batch_output(np.ones((4, 2)), w, np.ones(1)),
                 "batch_output with 1 bias for 3 neurons", mentions=("biases",))


# ---------------------------------------------------------------- edge cases (issue 10 §2)
@pytest.mark.exercise("01.2")
@pytest.mark.parametrize("n, d", [(1, 4), (4, 1), (5, 2)], ids=["N=1", "D=1", "N=5,D=2"])
def test_layer_output_at_edge_sizes(kata, check, rng, n, d):
    inputs, weights, biases = rng.normal(size=d), rng.normal(size=(n, d)), rng.normal(size=n)
    out = check.shape(kata.layer_output(inputs, weights, biases), (n,),
                      f"layer_output with N={n} neuron(s), D={d} input(s) (one output per neuron, "
                      "even when N = 1: do not squeeze)")
    check.close(out, [math.fsum(weights[j] * inputs) + biases[j] for j in range(n)],
                f"layer_output with N={n}, D={d}")


@pytest.mark.exercise("01.3")
@pytest.mark.parametrize("b, d, n", [(1, 4, 3), (7, 1, 2), (6, 5, 1)], ids=["B=1", "D=1", "N=1"])
def test_batch_output_at_edge_sizes(kata, check, rng, b, d, n):
    inputs, weights, biases = rng.normal(size=(b, d)), rng.normal(size=(n, d)), rng.normal(size=n)
    out = check.shape(kata.batch_output(inputs, weights, biases), (b, n),
                      f"batch_output with B={b}, D={d}, N={n} (always (B, N): a batch of one example "
                      "is still a batch, so do not squeeze)")
    expected = [[math.fsum(weights[j] * inputs[i]) + biases[j] for j in range(n)] for i in range(b)]
    check.close(out, expected, f"batch_output with B={b}, D={d}, N={n}", batch_size=b)
