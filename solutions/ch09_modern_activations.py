"""Chapter 09 - Modern activations: GELU (exact and tanh form) and Swish/SiLU.

ReLU has a kink at 0 and a flat zero for every negative input. The activations of modern
Transformers are smooth and let a little negative signal through:

    GELU(x)       = x * Phi(x),  Phi(x) = 0.5 * (1 + erf(x / sqrt(2)))   (Hendrycks & Gimpel, 2016)
    GELU_tanh(x)  = 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))  (same paper)
    Swish(x)      = x * sigmoid(beta * x); beta = 1 is SiLU     (Ramachandran et al., 2017)

Phi is the standard normal CDF: GELU weights x by the probability that a standard normal is
below x. NumPy has no erf, so the learner builds one (09.1). All three curves approach ReLU far
from 0 and dip below zero just left of it (GELU's minimum is about -0.17 at x = -0.75).
"""

from __future__ import annotations

import numpy as np

from .core import Module, Parameter

ERF_TERMS = 100   # enough terms of the series below for float64 accuracy at |x| <= ERF_CLIP
ERF_CLIP = 6.0    # 1 - erf(6) = 2e-17: below float64 resolution, so erf(x) = sign(x) beyond it
SQRT_2_OVER_PI = float(np.sqrt(2.0 / np.pi))  # a Python float keeps float32 inputs float32
GELU_TANH_COEF = 0.044715


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """sigmoid(z) = 1 / (1 + exp(-z)), written as 0.5 * (1 + tanh(z / 2)): never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def erf(x: np.ndarray) -> np.ndarray:
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise.

    x: any shape; returns the same shape, accurate to about 1e-15 (float64).

    Method: Abramowitz & Stegun 7.1.6, a series whose terms are all positive (no cancellation):

        erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_{n>=0} x^(2n+1) * 2^n / (1 * 3 * 5 * ... * (2n+1))

    Each term is the previous one times 2 * x^2 / (2n+1), so a loop over the ERF_TERMS terms
    (not over the elements) builds the sum for the whole array at once. The series converges for
    every x but needs more terms as |x| grows, so first clip x to [-ERF_CLIP, ERF_CLIP]: beyond 6,
    erf is +-1 to float64 precision. Every term has the sign of x, so erf(-x) = -erf(x) holds
    by construction. (A&S 7.1.26, the popular 5-coefficient formula, is only 1.5e-7 accurate:
    not enough for float64 gradient checks downstream.)
    Example: erf(0) = 0, erf(1) = 0.8427007929497149, erf(-10) = -1.

    >>> import math
    >>> erf(np.array([-np.inf, 0.0, 0.5, 3.0]))
    array([-1.    ,  0.    ,  0.5205,  1.    ])
    >>> round(math.erf(0.5), 4), round(math.erf(3.0), 4)
    (0.5205, 1.0)
    """
    x = np.asarray(x, dtype=np.float64)
    ### BEGIN SOLUTION
    x = np.clip(x, -ERF_CLIP, ERF_CLIP)  # symmetric: both tails need the same treatment
    x2 = x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, ERF_TERMS):  # loop over series terms; each step is vectorized over x
        term = term * (2.0 * x2) / (2 * n + 1)
        total = total + term
    return (2.0 / np.sqrt(np.pi)) * np.exp(-x2) * total
    ### END SOLUTION


def gelu_forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact GELU: out = x * Phi(x), with Phi(x) = 0.5 * (1 + erf(x / sqrt(2))).

    x: any shape; returns (out, cache) with out of x's shape and cache = x.

    >>> gelu_forward(np.array([-10.0, 0.0, 1.0, 10.0]))[0]
    array([ 0.    ,  0.    ,  0.8413, 10.    ])
    """
    ### BEGIN SOLUTION
    phi_cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    return x * phi_cdf, x
    ### END SOLUTION


def gelu_backward(dout: np.ndarray, cache: np.ndarray) -> np.ndarray:
    """dx for out = x * Phi(x). Product rule, with Phi' = phi, the standard normal density:

        dout/dx = Phi(x) + x * phi(x),   phi(x) = exp(-x^2 / 2) / sqrt(2 * pi)
        dx = dout * (Phi(x) + x * phi(x))

    dout: like x; returns dx like x.

    >>> out, cache = gelu_forward(np.array([0.0, 10.0]))
    >>> gelu_backward(np.ones(2), cache)
    array([0.5, 1. ])
    """
    x = cache
    ### BEGIN SOLUTION
    phi_cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    phi_pdf = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    return dout * (phi_cdf + x * phi_pdf)
    ### END SOLUTION


def gelu_tanh_forward(x: np.ndarray) -> tuple[np.ndarray, tuple]:
    """GELU's tanh approximation (GPT-2, BERT): no erf needed, within 5e-4 of the exact form.

        u = sqrt(2/pi) * (x + 0.044715 * x^3),   out = 0.5 * x * (1 + tanh(u))

    x: any shape; returns (out, cache) with cache = (x, tanh(u)).

    >>> gelu_tanh_forward(np.array([0.0, 1.0, 10.0]))[0]
    array([ 0.    ,  0.8412, 10.    ])
    """
    ### BEGIN SOLUTION
    u = SQRT_2_OVER_PI * (x + GELU_TANH_COEF * (x * x * x))  # x ** 3 is ~100x slower in float32
    t = np.tanh(u)
    return 0.5 * x * (1.0 + t), (x, t)
    ### END SOLUTION


def gelu_tanh_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dx for out = 0.5 * x * (1 + t), t = tanh(u), u = sqrt(2/pi) * (x + 0.044715 * x^3):

        dout/dx = 0.5 * (1 + t) + 0.5 * x * (1 - t^2) * du/dx
        du/dx   = sqrt(2/pi) * (1 + 3 * 0.044715 * x^2)

    dout: like x; returns dx like x.

    >>> out, cache = gelu_tanh_forward(np.array([-10.0, 0.0, 10.0]))
    >>> gelu_tanh_backward(np.ones(3), cache)
    array([0. , 0.5, 1. ])
    """
    x, t = cache
    ### BEGIN SOLUTION
    du_dx = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_COEF * x ** 2)
    return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du_dx)
    ### END SOLUTION


def swish_forward(x: np.ndarray, beta: float = 1.0) -> tuple[np.ndarray, tuple]:
    """Swish: out = x * sigmoid(beta * x). beta = 1 gives SiLU; beta -> inf approaches ReLU.

    x: any shape; beta: a scalar (learnable in the Swish module).
    returns (out, cache) with cache = (x, beta, s), s = sigmoid(beta * x). Use _sigmoid.

    >>> swish_forward(np.array([0.0, 2.0]), beta=1.0)[0]
    array([0.    , 1.7616])
    """
    ### BEGIN SOLUTION
    s = _sigmoid(beta * x)
    return x * s, (x, beta, s)
    ### END SOLUTION


def swish_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, float]:
    """(dx, dbeta) for out = x * s, s = sigmoid(beta * x), using sigmoid' = s * (1 - s):

        dout/dx    = s + x * beta * s * (1 - s)
        dout/dbeta = x * x * s * (1 - s)
        dx    = dout * dout/dx                         (like x)
        dbeta = sum over every entry of dout * dout/dbeta   (a scalar: one beta serves them all)

    >>> out, cache = swish_forward(np.array([0.0, 1000.0]), beta=1.0)
    >>> dx, dbeta = swish_backward(np.ones(2), cache)
    >>> dx, round(dbeta, 4)
    (array([0.5, 1. ]), 0.0)
    """
    x, beta, s = cache
    ### BEGIN SOLUTION
    ds = s * (1.0 - s)
    dx = dout * (s + beta * x * ds)
    dbeta = np.sum(dout * x * x * ds)
    return dx, dbeta
    ### END SOLUTION


class GELU(Module):
    """GELU as a layer; ``approximate="tanh"`` selects the tanh form."""

    def __init__(self, approximate: str = "none"):
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: np.ndarray) -> np.ndarray:
        kernel = gelu_tanh_forward if self.approximate == "tanh" else gelu_forward
        out, self.cache = kernel(x)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        kernel = gelu_tanh_backward if self.approximate == "tanh" else gelu_backward
        return kernel(dout, self.cache)


class Swish(Module):
    """Swish with a learnable scalar ``beta`` (a Parameter of shape ())."""

    def __init__(self, beta: float = 1.0):
        self.beta = Parameter(np.asarray(beta, dtype=np.float64))

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = swish_forward(x, float(self.beta.data))
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dbeta = swish_backward(dout, self.cache)
        self.beta.grad = self.beta.grad + dbeta
        return dx
