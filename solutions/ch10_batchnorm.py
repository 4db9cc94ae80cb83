"""Chapter 10 - Batch normalization (Ioffe & Szegedy, 2015).

Each feature c is normalized with statistics of the current batch, then scaled and shifted by
learned gamma[c], beta[c]:

    mean = (1/B) * sum_b x[b]            var = (1/B) * sum_b (x[b] - mean)^2   (BIASED: / B)
    x_hat = (x - mean) / sqrt(var + eps)        out = gamma * x_hat + beta

At test time there may be a single example, so the layer uses running averages gathered during
training instead (evaluation mode). Conventions of this course (the same as PyTorch):

- the normalization divides by B (biased variance), in training and in the backward pass;
- the running variance stores the UNBIASED batch variance (divides by B - 1);
- running = (1 - momentum) * running + momentum * batch_statistic, momentum = 0.1.

A per-channel variant (``batchnorm2d_*``) normalizes images x: (B, C, H, W) per channel, with
statistics over B, H and W; convolutional nets (chapter 18) use it.
"""

from __future__ import annotations

import numpy as np

from .core import Module, Parameter


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                      eps: float = 1e-5) -> tuple[np.ndarray, tuple]:
    """Training-mode forward with batch statistics.

    x: (B, C)   gamma, beta: (C,)   returns (out, cache) with out: (B, C) and
    cache = (x_hat, inv_std, gamma), where inv_std = 1 / sqrt(var + eps): (C,).

    >>> x = np.array([[1.0, 10.0], [3.0, 30.0]])
    >>> out, cache = batchnorm_forward(x, np.ones(2), np.zeros(2), eps=0.0)
    >>> out
    array([[-1., -1.],
           [ 1.,  1.]])
    """
    assert x.ndim == 2 and gamma.shape == beta.shape == x.shape[1:], "x: (B, C), gamma/beta: (C,)"
    ### BEGIN SOLUTION
    mean = x.mean(axis=0)                      # (C,)
    var = x.var(axis=0)                        # (C,) biased (/ B): the batch's own spread
    inv_std = 1.0 / np.sqrt(var + eps)         # eps inside the root keeps constant features finite
    x_hat = (x - mean) * inv_std               # (B, C)
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)
    ### END SOLUTION


def batchnorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dgamma, dbeta) for batchnorm_forward. dout: (B, C).

        dbeta  = sum_b dout                    dgamma = sum_b dout * x_hat        (C,)
        dx_hat = dout * gamma
        dx     = inv_std / B * (B * dx_hat - sum_b dx_hat - x_hat * sum_b dx_hat * x_hat)

    The last two terms exist because mean and var depend on every x[b]: dx is NOT just
    dout * gamma * inv_std. Derivation in docs/ch10_batchnorm.md.

    >>> x = np.array([[1.0, 10.0], [3.0, 30.0], [5.0, 20.0]])
    >>> out, cache = batchnorm_forward(x, np.ones(2), np.zeros(2))
    >>> dx, dgamma, dbeta = batchnorm_backward(np.ones((3, 2)), cache)
    >>> dx, dbeta
    (array([[0., 0.],
           [0., 0.],
           [0., 0.]]), array([3., 3.]))
    """
    x_hat, inv_std, gamma = cache
    ### BEGIN SOLUTION
    B = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma                                       # (B, C)
    dx = (inv_std / B) * (B * dx_hat - dx_hat.sum(axis=0)
                          - x_hat * (dx_hat * x_hat).sum(axis=0))
    return dx, dgamma, dbeta
    ### END SOLUTION


def update_running_stats(running_mean: np.ndarray, running_var: np.ndarray, x: np.ndarray,
                         momentum: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """New (running_mean, running_var) after one training batch x: (B, C), B >= 2.

        running_mean <- (1 - momentum) * running_mean + momentum * mean_b x[b]
        running_var  <- (1 - momentum) * running_var  + momentum * unbiased_var_b x[b]

    unbiased_var divides by B - 1: the running variance estimates the population's variance.
    Return new arrays; do not rely on changing the ones passed in.

    >>> x = np.array([[1.0, 2.0], [3.0, 2.0]])
    >>> update_running_stats(np.zeros(2), np.ones(2), x, momentum=0.5)
    (array([1., 1.]), array([1.5, 0.5]))
    """
    ### BEGIN SOLUTION
    batch_mean = x.mean(axis=0)
    batch_var = x.var(axis=0, ddof=1)  # unbiased: / (B - 1)
    new_mean = (1.0 - momentum) * running_mean + momentum * batch_mean
    new_var = (1.0 - momentum) * running_var + momentum * batch_var
    return new_mean, new_var
    ### END SOLUTION


def batchnorm_inference(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                        running_mean: np.ndarray, running_var: np.ndarray,
                        eps: float = 1e-5) -> np.ndarray:
    """Evaluation-mode forward: out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta.

    x: (B, C), the rest (C,); returns out: (B, C). Each row is treated on its own: the batch
    does not matter, and nothing is updated.

    >>> running_mean, running_var = np.array([1.0, 0.0]), np.array([4.0, 1.0])
    >>> x = np.array([[3.0, 0.0]])
    >>> batchnorm_inference(x, np.ones(2), np.zeros(2), running_mean, running_var, eps=0.0)
    array([[1., 0.]])
    """
    ### BEGIN SOLUTION
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    ### END SOLUTION


class BatchNorm(Module):
    """Batch normalization of x: (B, C) with learnable gamma, beta and running statistics."""

    def __init__(self, num_features: int, momentum: float = 0.1, eps: float = 1e-5):
        self.gamma = Parameter(np.ones(num_features))
        self.beta = Parameter(np.zeros(num_features))
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.momentum, self.eps = momentum, eps

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Training mode (self.training): normalize with batch statistics (keep the cache in
        self.cache for backward) and replace self.running_mean/var with their updated values.
        Evaluation mode: use the running statistics and leave them unchanged.

        >>> bn = BatchNorm(2)
        >>> out = bn.forward(np.array([[1.0, 2.0], [3.0, 2.0]]))
        >>> bn.running_mean, bn.eval().forward(np.array([[0.2, 0.2]])).shape
        (array([0.2, 0.2]), (1, 2))
        """
        ### BEGIN SOLUTION
        if not self.training:
            return batchnorm_inference(x, self.gamma.data, self.beta.data,
                                       self.running_mean, self.running_var, self.eps)
        out, self.cache = batchnorm_forward(x, self.gamma.data, self.beta.data, self.eps)
        self.running_mean, self.running_var = update_running_stats(
            self.running_mean, self.running_var, x, self.momentum)
        return out
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dgamma, dbeta = batchnorm_backward(dout, self.cache)
        self.gamma.grad = self.gamma.grad + dgamma
        self.beta.grad = self.beta.grad + dbeta
        return dx


def _channels_last_rows(x: np.ndarray) -> np.ndarray:
    """(B, C, H, W) -> (B*H*W, C): one row per pixel, one column per channel."""
    B, C, H, W = x.shape
    return x.transpose(0, 2, 3, 1).reshape(B * H * W, C)  # (B, H, W, C) -> (B*H*W, C)


def _rows_to_channels_first(rows: np.ndarray, shape: tuple) -> np.ndarray:
    """(B*H*W, C) -> (B, C, H, W), the inverse of _channels_last_rows."""
    B, C, H, W = shape
    return rows.reshape(B, H, W, C).transpose(0, 3, 1, 2)  # (B, H, W, C) -> (B, C, H, W)


def batchnorm2d_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray,
                        eps: float = 1e-5) -> tuple[np.ndarray, tuple]:
    """Per-channel batch norm for images: statistics of channel c over all of B, H and W.

    x: (B, C, H, W)   gamma, beta: (C,)   returns (out: (B, C, H, W), cache).
    Every pixel of every image is one "example" of its channel: move the channels last, flatten
    to rows (_channels_last_rows), reuse batchnorm_forward, and move them back.

    >>> x = np.arange(16.0).reshape(2, 2, 2, 2)
    >>> out, cache = batchnorm2d_forward(x, np.ones(2), np.zeros(2))
    >>> out.shape, np.round(out.mean(axis=(0, 2, 3)), 6)
    ((2, 2, 2, 2), array([0., 0.]))
    """
    assert x.ndim == 4 and gamma.shape == beta.shape == (x.shape[1],), "x: (B, C, H, W)"
    ### BEGIN SOLUTION
    out_rows, cache = batchnorm_forward(_channels_last_rows(x), gamma, beta, eps)  # (B*H*W, C)
    return _rows_to_channels_first(out_rows, x.shape), (cache, x.shape)
    ### END SOLUTION


def batchnorm2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx: (B, C, H, W), dgamma: (C,), dbeta: (C,)) for batchnorm2d_forward.

    >>> x = np.random.default_rng(0).normal(size=(2, 3, 2, 2))
    >>> out, cache = batchnorm2d_forward(x, np.ones(3), np.zeros(3))
    >>> dx, dgamma, dbeta = batchnorm2d_backward(np.ones_like(x), cache)
    >>> dx.shape, dbeta
    ((2, 3, 2, 2), array([8., 8., 8.]))
    """
    ### BEGIN SOLUTION
    rows_cache, shape = cache
    dx_rows, dgamma, dbeta = batchnorm_backward(_channels_last_rows(dout), rows_cache)
    return _rows_to_channels_first(dx_rows, shape), dgamma, dbeta
    ### END SOLUTION
