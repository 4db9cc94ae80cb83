"""Chapter 11 - Layer normalization and RMSNorm.

BatchNorm (chapter 10) normalizes each feature across the batch. LayerNorm (Ba, Kiros & Hinton,
2016) normalizes each example across its own features, so an example's output never depends
on the rest of the batch, and training and evaluation compute the same thing:

    mean = (1/C) * sum_c x[..., c]        var = (1/C) * sum_c (x[..., c] - mean)^2   (biased)
    x_hat = (x - mean) / sqrt(var + eps)        out = gamma * x_hat + beta

RMSNorm (Zhang & Sennrich, 2019; used by LLaMA) keeps only the rescaling: no mean is removed
and there is no beta:

    rms = sqrt((1/C) * sum_c x[..., c]^2 + eps)        out = gamma * x / rms

Both act on the last axis, so x may be (B, C) or (B, T, C); gamma and beta are (C,).
"""

from __future__ import annotations

import numpy as np

from .core import Module, Parameter


def layernorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      eps: float = 1e-5) -> tuple[np.ndarray, tuple]:
    """LayerNorm over the last axis. x: (..., C)   gamma, beta: (C,)
    returns (out: like x, cache = (x_hat, inv_std, gamma)), inv_std: (..., 1).

    >>> x = np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]])
    >>> out, cache = layernorm_forward(x, np.ones(3), np.zeros(3), eps=0.0)
    >>> out
    array([[-1.2247,  0.    ,  1.2247],
           [-0.7071, -0.7071,  1.4142]])
    """
    assert gamma.shape == beta.shape == x.shape[-1:], "gamma and beta must be (C,), C = x.shape[-1]"
    ### BEGIN SOLUTION
    mean = x.mean(axis=-1, keepdims=True)      # (..., 1): one mean per example (row)
    var = x.var(axis=-1, keepdims=True)        # (..., 1), biased
    inv_std = 1.0 / np.sqrt(var + eps)         # eps inside the root: a constant row stays finite
    x_hat = (x - mean) * inv_std               # (..., C)
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)
    ### END SOLUTION


def layernorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx: like x, dgamma: (C,), dbeta: (C,)) for layernorm_forward.

    Batch norm's formula with the roles of the axes swapped (C features per row, sums over c):

        dx_hat = dout * gamma
        dx = inv_std / C * (C * dx_hat - sum_c dx_hat - x_hat * sum_c dx_hat * x_hat)

    gamma and beta are shared by every row, so their gradients sum over ALL leading axes.

    >>> x = np.array([[1.0, 2.0, 3.0]])
    >>> out, cache = layernorm_forward(x, np.ones(3), np.zeros(3))
    >>> dx, dgamma, dbeta = layernorm_backward(np.ones((1, 3)), cache)
    >>> dx, dbeta
    (array([[0., 0., 0.]]), array([1., 1., 1.]))
    """
    x_hat, inv_std, gamma = cache
    ### BEGIN SOLUTION
    C = x_hat.shape[-1]
    lead = tuple(range(dout.ndim - 1))          # every axis but the last: batch (and time)
    dbeta = dout.sum(axis=lead)
    dgamma = (dout * x_hat).sum(axis=lead)
    dx_hat = dout * gamma                       # (..., C)
    dx = (inv_std / C) * (C * dx_hat - dx_hat.sum(axis=-1, keepdims=True)
                          - x_hat * (dx_hat * x_hat).sum(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
    ### END SOLUTION


def rmsnorm_forward(x: np.ndarray, gamma: np.ndarray,
                    eps: float = 1e-6) -> tuple[np.ndarray, tuple]:
    """RMSNorm over the last axis. x: (..., C)   gamma: (C,)
    returns (out: like x, cache = (x, inv_rms, gamma)), inv_rms = 1 / rms: (..., 1).

    >>> rmsnorm_forward(np.array([[3.0, -4.0]]), np.ones(2), eps=0.0)[0]
    array([[ 0.8485, -1.1314]])
    """
    assert gamma.shape == x.shape[-1:], "gamma must be (C,), C = x.shape[-1]"
    ### BEGIN SOLUTION
    inv_rms = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)  # (..., 1); no centring
    return gamma * x * inv_rms, (x, inv_rms, gamma)
    ### END SOLUTION


def rmsnorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray]:
    """(dx: like x, dgamma: (C,)) for rmsnorm_forward. With g = dout * gamma and
    d(inv_rms)/dx[c] = -inv_rms^3 * x[c] / C:

        dx = inv_rms * g - x * inv_rms^3 / C * sum_c g * x
        dgamma = sum over leading axes of dout * x * inv_rms

    >>> x = np.array([[3.0, -4.0]])
    >>> out, cache = rmsnorm_forward(x, np.ones(2), eps=0.0)
    >>> dx, dgamma = rmsnorm_backward(np.ones((1, 2)), cache)
    >>> dgamma
    array([ 0.8485, -1.1314])
    """
    x, inv_rms, gamma = cache
    ### BEGIN SOLUTION
    C = x.shape[-1]
    lead = tuple(range(dout.ndim - 1))
    g = dout * gamma                                                       # (..., C)
    dx = inv_rms * g - x * inv_rms ** 3 / C * (g * x).sum(axis=-1, keepdims=True)
    dgamma = (dout * x * inv_rms).sum(axis=lead)
    return dx, dgamma
    ### END SOLUTION


class LayerNorm(Module):
    """LayerNorm over the last axis with gamma = 1, beta = 0 at the start."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        self.gamma = Parameter(np.ones(num_features))
        self.beta = Parameter(np.zeros(num_features))
        self.eps = eps

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = layernorm_forward(x, self.gamma.data, self.beta.data, self.eps)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dgamma, dbeta = layernorm_backward(dout, self.cache)
        self.gamma.grad = self.gamma.grad + dgamma
        self.beta.grad = self.beta.grad + dbeta
        return dx


class RMSNorm(Module):
    """RMSNorm over the last axis with gamma = 1 at the start (no beta)."""

    def __init__(self, num_features: int, eps: float = 1e-6):
        self.gamma = Parameter(np.ones(num_features))
        self.eps = eps

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = rmsnorm_forward(x, self.gamma.data, self.eps)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dgamma = rmsnorm_backward(dout, self.cache)
        self.gamma.grad = self.gamma.grad + dgamma
        return dx
