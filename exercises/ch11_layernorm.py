# Chapter 11: Layer normalization and RMSNorm. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch11_layernorm.py.)
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
    # TODO(11.1): LayerNorm forward. Stuck? `kata hint 11.1`
    raise NotImplementedError("Exercise 11.1: layernorm_forward is not written yet")


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
    # TODO(11.2): LayerNorm backward. Stuck? `kata hint 11.2`
    raise NotImplementedError("Exercise 11.2: layernorm_backward is not written yet")


def rmsnorm_forward(x: np.ndarray, gamma: np.ndarray,
                    eps: float = 1e-6) -> tuple[np.ndarray, tuple]:
    """RMSNorm over the last axis. x: (..., C)   gamma: (C,)
    returns (out: like x, cache = (x, inv_rms, gamma)), inv_rms = 1 / rms: (..., 1).

    >>> rmsnorm_forward(np.array([[3.0, -4.0]]), np.ones(2), eps=0.0)[0]
    array([[ 0.8485, -1.1314]])
    """
    assert gamma.shape == x.shape[-1:], "gamma must be (C,), C = x.shape[-1]"
    # TODO(11.3): RMSNorm forward. Stuck? `kata hint 11.3`
    raise NotImplementedError("Exercise 11.3: rmsnorm_forward is not written yet")


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
    # TODO(11.4): RMSNorm backward. Stuck? `kata hint 11.4`
    raise NotImplementedError("Exercise 11.4: rmsnorm_backward is not written yet")


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
