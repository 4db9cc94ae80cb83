"""Chapter 05 - Backpropagation through a dense layer and a small network (NNFS ch. 9).

API:

    dense_backward(dout, cache) -> (dx, dW, db)      cache = (x, W, b) from ch02's dense_forward
    numerical_gradient(f, x, eps=1e-6) -> grad       central differences of a scalar f; x unchanged
    Dense(n_inputs, n_neurons, rng, init="he")       ch02's Dense plus backward(dout) -> dx, which
                                                     ADDS dW, db into self.W.grad, self.b.grad
    MLP(n_inputs, n_hidden, n_outputs, rng, init="he")
        forward(x) -> logits        x: (B, D) -> (B, K); Dense -> ReLU -> Dense
        backward(dlogits) -> dx     accumulates into every parameter's .grad

Backpropagation is the chain rule applied in reverse order of the forward pass: each layer turns
the gradient of the loss with respect to its output (dout) into gradients for its input and its
parameters, using only what it cached on the way forward.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import ch02_dense
from .ch03_activations import ReLU
from .core import Module


def dense_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of out = x @ W + b.  dout: (B, N); cache = (x: (B, D), W: (D, N), b: (N,)).

    out[b, n] = sum_d x[b, d] W[d, n] + b[n], so
        dx = dout @ W.T        (B, N) @ (N, D) -> (B, D)
        dW = x.T @ dout        (D, B) @ (B, N) -> (D, N): sums over the batch
        db = dout.sum(axis=0)  (N,): b was added to every row, so every row's gradient adds up
    Each gradient has the shape of the array it belongs to; that alone fixes the transposes.

    >>> x, W, b = np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]]), np.zeros(3)
    >>> out, cache = ch02_dense.dense_forward(x, W, b)
    >>> dx, dW, db = dense_backward(np.array([[1.0, 0.0, 1.0]]), cache)
    >>> dx
    array([[ 3., -1.]])
    >>> dW
    array([[1., 0., 1.],
           [2., 0., 2.]])
    >>> db
    array([1., 0., 1.])
    """
    x, W, b = cache
    ### BEGIN SOLUTION
    dx = dout @ W.T  # (B, D)
    dW = x.T @ dout  # (D, N)
    db = dout.sum(axis=0)  # (N,)
    return dx, dW, db
    ### END SOLUTION


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of the gradient of a scalar function f at x (any shape).

        grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)       for every entry i of x

    The error is O(eps**2) (the forward difference (f(x + eps e_i) - f(x)) / eps is only O(eps)).
    x must come back unchanged: perturb a private float64 copy, one entry at a time, and put
    each entry back before moving on. Returns grad with the shape of x.

    >>> numerical_gradient(lambda v: float((v ** 2).sum()), np.array([1.0, -2.0]))
    array([ 2., -4.])
    """
    ### BEGIN SOLUTION
    x_work = np.array(x, dtype=np.float64)  # our own copy: the caller's x is never touched
    grad = np.zeros_like(x_work)
    for i in np.ndindex(x_work.shape):  # one pair of evaluations per entry: no way around it
        saved = x_work[i]
        x_work[i] = saved + eps
        f_plus = f(x_work)
        x_work[i] = saved - eps
        f_minus = f(x_work)
        x_work[i] = saved
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad
    ### END SOLUTION


class Dense(ch02_dense.Dense):
    """Chapter 02's dense layer (W: (D, N), b: (N,)), now with a backward pass."""

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (B, N) -> dx: (B, D), using the cache of the last forward(x).

        Adds (+=) dW and db into self.W.grad and self.b.grad: a layer used twice, or two
        backward passes without zero_grad(), must sum their contributions.

        >>> layer = Dense(2, 3, np.random.default_rng(0))
        >>> out = layer.forward(np.array([[1.0, 2.0]]))
        >>> dx = layer.backward(np.ones((1, 3)))
        >>> layer.b.grad, dx.shape
        (array([1., 1., 1.]), (1, 2))
        """
        ### BEGIN SOLUTION
        dx, dW, db = dense_backward(dout, self.cache)
        self.W.grad += dW
        self.b.grad += db
        return dx
        ### END SOLUTION


class MLP(Module):
    """Two dense layers with a ReLU between: logits = relu(x @ W1 + b1) @ W2 + b2.

    Provided constructor; the attributes are dense1 (D -> H), relu, dense2 (H -> K), and
    parameters() lists W1, b1, W2, b2 in that order.
    """

    def __init__(self, n_inputs: int, n_hidden: int, n_outputs: int, rng: np.random.Generator,
                 init: str = "he"):
        self.dense1 = Dense(n_inputs, n_hidden, rng, init=init)
        self.relu = ReLU()
        self.dense2 = Dense(n_hidden, n_outputs, rng, init=init)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (B, D) -> logits: (B, K). No activation after the last layer: the loss (e.g.
        softmax_cross_entropy of chapter 04) turns logits into probabilities.

        >>> net = MLP(4, 8, 3, np.random.default_rng(0))
        >>> net.forward(np.ones((5, 4))).shape
        (5, 3)
        """
        ### BEGIN SOLUTION
        h = self.relu.forward(self.dense1.forward(x))  # (B, H)
        return self.dense2.forward(h)  # (B, K)
        ### END SOLUTION

    def backward(self, dlogits: np.ndarray) -> np.ndarray:
        """dlogits: (B, K) -> dx: (B, D). Visit the layers in reverse order of forward; each
        layer's backward accumulates its own parameter gradients.

        >>> net = MLP(4, 8, 3, np.random.default_rng(0))
        >>> logits = net.forward(np.ones((5, 4)))
        >>> dx = net.backward(np.ones((5, 3)))
        >>> dx.shape, net.dense2.b.grad
        ((5, 4), array([5., 5., 5.]))
        """
        ### BEGIN SOLUTION
        dh = self.dense2.backward(dlogits)  # (B, H)
        return self.dense1.backward(self.relu.backward(dh))  # (B, D)
        ### END SOLUTION
