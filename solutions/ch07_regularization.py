"""Chapter 07 - Regularization: penalties on the weights and inverted dropout.

"Neural Networks from Scratch", ch. 14 (L1/L2) and ch. 15 (dropout).

A penalty is added to the data loss so that large weights cost something. This repository uses
the book's convention, with ``lam`` (lambda) the strength:

    L1 = lam * sum(|W|)      dL1/dW = lam * sign(W)       (sign(0) = 0 here; see below)
    L2 = lam * sum(W^2)      dL2/dW = 2 * lam * W         (no 1/2 in front, so the 2 stays)

The penalties are kernels like every layer: ``l2_forward(W, lam) -> (penalty, cache)`` returns a
scalar, and ``l2_backward(dpenalty, cache) -> dW`` multiplies the local gradient by the upstream
scalar ``dpenalty`` (1.0 when the penalty is added straight to the loss).

Dropout zeroes each activation with probability ``rate`` during training. Here ``rate`` is always
the DROP probability (NNFS's constructor argument; the book then stores the keep probability
1 - rate internally). Kept entries are divided by (1 - rate) - "inverted" dropout - so the
expected output equals the input and evaluation needs no change at all: in eval mode dropout
is the identity (Srivastava et al., 2014).
"""

from __future__ import annotations

import numpy as np

from .core import Module


def l1_forward(W: np.ndarray, lam: float) -> tuple[float, tuple]:
    """L1 penalty lam * sum(|W|) as a Python float; cache = (W, lam). W: any shape.

    >>> penalty, cache = l1_forward(np.array([[1.0, -2.0], [0.0, 3.0]]), 0.1)
    >>> round(penalty, 4)
    0.6
    """
    ### BEGIN SOLUTION
    return float(lam * np.sum(np.abs(W))), (W, lam)
    ### END SOLUTION


def l1_backward(dpenalty: float, cache: tuple) -> np.ndarray:
    """dW = dpenalty * lam * sign(W), same shape as W.

    |w| has slope -1 left of 0 and +1 right of it; at exactly 0 any value in [-1, 1] is a valid
    subgradient and we pin np.sign's 0 (NNFS's code uses +1 there).

    >>> penalty, cache = l1_forward(np.array([[1.0, -2.0], [0.0, 3.0]]), 0.1)
    >>> l1_backward(1.0, cache)
    array([[ 0.1, -0.1],
           [ 0. ,  0.1]])
    """
    ### BEGIN SOLUTION
    W, lam = cache
    return dpenalty * lam * np.sign(W)
    ### END SOLUTION


def l2_forward(W: np.ndarray, lam: float) -> tuple[float, tuple]:
    """L2 penalty lam * sum(W^2) as a Python float; cache = (W, lam). W: any shape.

    >>> penalty, cache = l2_forward(np.array([[1.0, -2.0], [0.0, 3.0]]), 0.1)
    >>> round(penalty, 4)
    1.4
    """
    ### BEGIN SOLUTION
    return float(lam * np.sum(W * W)), (W, lam)
    ### END SOLUTION


def l2_backward(dpenalty: float, cache: tuple) -> np.ndarray:
    """dW = dpenalty * 2 * lam * W, same shape as W (d(w^2)/dw = 2w: the 2 is not optional).

    >>> penalty, cache = l2_forward(np.array([[1.0, -2.0], [0.0, 3.0]]), 0.1)
    >>> l2_backward(1.0, cache)
    array([[ 0.2, -0.4],
           [ 0. ,  0.6]])
    """
    ### BEGIN SOLUTION
    W, lam = cache
    return dpenalty * 2.0 * lam * W
    ### END SOLUTION


def dropout_forward(x: np.ndarray, rate: float, rng: np.random.Generator,
                    training: bool = True) -> tuple[np.ndarray, tuple]:
    """Inverted dropout. x: (B, ...) any shape; out has the shape of x.

    training: keep = 1 where a uniform draw from ``rng`` is >= rate (probability 1 - rate), else 0;
              out = x * keep / (1 - rate); cache = (keep, rate).
    eval:     out = a copy of x (never x itself), no draw from rng; cache = (ones like x, 0.0),
              which makes the backward formula give dx = dout.
    ``keep`` is a float array of 0s and 1s. rate must lie in [0, 1): rate = 1 would divide by 0.

    >>> out, cache = dropout_forward(np.ones((2, 4)), 0.5, np.random.default_rng(0))
    >>> sorted(set(out.ravel().tolist()))
    [0.0, 2.0]
    >>> dropout_forward(np.ones(3), 0.5, np.random.default_rng(0), training=False)[0]
    array([1., 1., 1.])
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got rate={rate}")
    ### BEGIN SOLUTION
    if not training:
        return x.copy(), (np.ones_like(x), 0.0)
    keep = (rng.random(x.shape) >= rate).astype(np.float64)  # 1 with probability 1 - rate
    return x * keep / (1.0 - rate), (keep, rate)
    ### END SOLUTION


def dropout_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx = dout * keep / (1 - rate), reusing the forward pass's mask (never a new draw).

    out = x * keep / (1 - rate) is linear in x, entry by entry, so its local gradient is the
    same scaled mask: dropped entries pass no gradient, kept ones pass dout / (1 - rate).

    >>> out, cache = dropout_forward(np.ones((1, 6)), 0.5, np.random.default_rng(1))
    >>> bool(np.array_equal(dropout_backward(np.ones((1, 6)), cache), out))
    True
    """
    ### BEGIN SOLUTION
    keep, rate = cache
    return dout * keep / (1.0 - rate)
    ### END SOLUTION


class Dropout(Module):
    """Provided module: dropout with its own rng; follows ``train()`` / ``eval()``."""

    def __init__(self, rate: float, rng: np.random.Generator):
        self.rate = rate
        self.rng = rng

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = dropout_forward(x, self.rate, self.rng, self.training)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dropout_backward(dout, self.cache)
