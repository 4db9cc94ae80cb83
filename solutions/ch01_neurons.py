"""Chapter 01 - Neurons: from one weighted sum to a whole batch in one matrix product.

A neuron multiplies each input by a weight, adds the products, and adds a bias:

    output = inputs[0]*weights[0] + ... + inputs[D-1]*weights[D-1] + bias = inputs . weights + bias

A layer is several neurons reading the same inputs; a batch is several inputs at once. Written
with NumPy, each step is one operation: a dot product, a matrix-vector product, a matrix product.

Shapes (see docs/notation.md): D inputs per example, N neurons, B examples in a batch.
Weights follow "Neural Networks from Scratch" chapters 2-3 here: one *row* per neuron, (N, D).
(Chapter 02 switches to the (D, N) layout that lets a layer skip the transpose.)
"""

from __future__ import annotations

import numpy as np


def neuron_output(inputs: np.ndarray, weights: np.ndarray, bias: float) -> float:
    """The output of one neuron: the weighted sum of its inputs plus its bias.

    inputs:  (D,)  one example
    weights: (D,)  one weight per input
    bias:    scalar
    returns: a Python float

    Raise ValueError, naming both arguments and their shapes, when ``inputs`` and ``weights``
    do not have the same length: a dot product pairs each input with exactly one weight.

    Worked example: inputs [1, 2, 3], weights [0.2, 0.8, -0.5], bias 2
        1*0.2 + 2*0.8 + 3*(-0.5) + 2 = 2.3

    >>> inputs, weights = np.array([1.0, 2.0, 3.0]), np.array([0.2, 0.8, -0.5])
    >>> neuron_output(inputs, weights, 2.0)
    2.3
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    ### BEGIN SOLUTION
    if inputs.shape != weights.shape or inputs.ndim != 1:
        raise ValueError(
            f"inputs and weights must be 1-D of the same length, got inputs {inputs.shape} "
            f"and weights {weights.shape}"
        )
    return float(np.dot(inputs, weights) + bias)
    ### END SOLUTION


def layer_output(inputs: np.ndarray, weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """The outputs of a layer of N neurons that all read the same D inputs.

    inputs:  (D,)
    weights: (N, D)  row n holds the weights of neuron n
    biases:  (N,)    one bias per neuron
    returns: (N,)    output n = weights[n] . inputs + biases[n]

    One matrix-vector product computes all N dot products at once; no loop over neurons.
    Raise ValueError naming the argument when ``weights`` has not D columns or ``biases``
    has not N entries.

    >>> weights = np.array([[1.0, 0.0], [0.5, 0.5], [-1.0, 1.0]])
    >>> layer_output(np.array([1.0, 2.0]), weights, np.array([0.0, 1.0, -1.0]))
    array([1. , 2.5, 0. ])
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    biases = np.asarray(biases, dtype=np.float64)
    ### BEGIN SOLUTION
    if weights.ndim != 2 or weights.shape[1] != inputs.shape[-1]:
        raise ValueError(
            f"weights must be (N, D) with D = len(inputs) = {inputs.shape[-1]}, got {weights.shape}"
        )
    if biases.shape != (weights.shape[0],):
        raise ValueError(
            f"biases must be ({weights.shape[0]},), one per neuron, got {biases.shape}"
        )
    return weights @ inputs + biases  # (N, D) @ (D,) -> (N,)
    ### END SOLUTION


def batch_output(inputs: np.ndarray, weights: np.ndarray, biases: np.ndarray) -> np.ndarray:
    """The outputs of a layer for a whole batch of examples, in one matrix product.

    inputs:  (B, D)  one example per row
    weights: (N, D)  one neuron per row, as in layer_output
    biases:  (N,)
    returns: (B, N)  row b is layer_output(inputs[b], weights, biases)

    Row b of ``inputs @ weights.T`` holds the N dot products of example b; the biases broadcast
    across the batch. Raise ValueError naming the argument when ``inputs`` is not 2-D, when its
    D does not match the columns of ``weights``, or when ``biases`` has not N entries.

    >>> inputs = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> weights = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, -1.0]])
    >>> batch_output(inputs, weights, np.array([0.0, 0.5, 1.0]))
    array([[ 1. ,  3.5, -1. ],
           [ 3. ,  7.5, -3. ]])
    """
    inputs = np.asarray(inputs, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    biases = np.asarray(biases, dtype=np.float64)
    ### BEGIN SOLUTION
    if inputs.ndim != 2:
        raise ValueError(f"inputs must be a 2-D batch (B, D), got shape {inputs.shape}")
    if weights.ndim != 2 or weights.shape[1] != inputs.shape[1]:
        raise ValueError(
            f"weights must be (N, D) with D = {inputs.shape[1]} (the columns of inputs), "
            f"got {weights.shape}"
        )
    if biases.shape != (weights.shape[0],):
        raise ValueError(f"biases must be ({weights.shape[0]},), one per neuron, got {biases.shape}")
    return inputs @ weights.T + biases  # (B, D) @ (D, N) -> (B, N)
    ### END SOLUTION
