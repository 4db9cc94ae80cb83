# Chapter 18: Convolution, resampling and GroupNorm. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch18_convolution.py.)
"""Chapter 18 - Convolution, resampling and GroupNorm: the parts of a U-Net.

A 2-D convolution slides a small kernel W: (C_out, C_in, KH, KW) over an image batch
x: (B, C_in, H, W). Like every framework, it computes a cross-correlation (the kernel is
NOT flipped):

    out[n, o, i, j] = b[o] + sum_{c, p, q} x_pad[n, c, i*stride + p, j*stride + q] * W[o, c, p, q]

with x_pad = x padded by `padding` zeros on EVERY side, and H_out = (H + 2*padding - KH) // stride
+ 1 (the same for the width). Vectorized, this is one matrix product: gather every KH x KW
window of x_pad (a view, np.lib.stride_tricks.sliding_window_view, nothing copied) and
contract it with W over (C_in, KH, KW) - the "im2col" trick.

Nearest-neighbour upsampling and average pooling change the resolution of a U-Net;
GroupNorm (Wu & He, 2018) normalizes each example over groups of channels, so it does not
depend on the batch (DDPM's U-Net uses it with 32 groups).

Every kernel keeps the input's dtype: float32 in, float32 out (pass float32 parameters too).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .core import Module, Parameter


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0) -> int:
    """Output length along one axis: (n + 2*padding - k) // stride + 1. Raises ValueError
    (naming n, k and padding) when the kernel does not fit in the padded input.

    >>> conv_output_size(32, 3, stride=2, padding=1)
    16
    """
    # TODO(18.1): Convolution output size. Stuck? `kata hint 18.1`
    raise NotImplementedError("Exercise 18.1: conv_output_size is not written yet")


def conv2d_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int = 1,
                   padding: int = 0) -> tuple[np.ndarray, tuple]:
    """Cross-correlation. x: (B, C_in, H, W)   W: (C_out, C_in, KH, KW)   b: (C_out,)
    returns (out: (B, C_out, H_out, W_out), cache = (x.shape, cols, W, stride, padding)),
    cols: (C_in*KH*KW, B*H_out*W_out), every window of x_pad as one column (im2col).

    >>> x = np.arange(16.0).reshape(1, 1, 4, 4)
    >>> conv2d_forward(x, np.ones((1, 1, 2, 2)), np.zeros(1), stride=2)[0]
    array([[[[10., 18.],
             [42., 50.]]]])
    """
    if x.ndim != 4 or W.ndim != 4 or x.shape[1] != W.shape[1]:
        raise ValueError(f"x must be (B, C_in, H, W) and W (C_out, C_in, KH, KW) with the same "
                         f"C_in; got x {x.shape} and W {W.shape}")
    # TODO(18.2): Conv2d forward. Stuck? `kata hint 18.2`
    raise NotImplementedError("Exercise 18.2: conv2d_forward is not written yet")


def conv2d_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx: (B, C_in, H, W), dW: (C_out, C_in, KH, KW), db: (C_out,)) for conv2d_forward.

        db[o]          = sum_{n, i, j} dout[n, o, i, j]
        dW[o, c, p, q] = sum_{n, i, j} dout[n, o, i, j] * x_pad[n, c, i*stride + p, j*stride + q]
        dx_pad[n, c, y, z] = sum over every (o, i, j, p, q) with i*stride + p = y, j*stride + q = z
                             of dout[n, o, i, j] * W[o, c, p, q]

    dx_pad is a FULL cross-correlation of dout (spread out by `stride`: stride - 1 zeros between
    entries, KH - 1 zeros around) with the kernel flipped in both spatial axes and its channel
    axes swapped - conv2d_forward again, with stride 1; x's gradient is its interior, without
    the `padding` border.

    >>> x, W = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))
    >>> conv2d_backward(np.ones((1, 1, 2, 2)), conv2d_forward(x, W, np.zeros(1))[1])[0]
    array([[[[1., 2., 1.],
             [2., 4., 2.],
             [1., 2., 1.]]]])
    """
    x_shape, cols, W, stride, padding = cache
    # TODO(18.3): Conv2d backward. Stuck? `kata hint 18.3`
    raise NotImplementedError("Exercise 18.3: conv2d_backward is not written yet")


def upsample_nearest_forward(x: np.ndarray, factor: int = 2) -> tuple[np.ndarray, int]:
    """Each pixel becomes a factor x factor block. x: (B, C, H, W) -> (B, C, H*f, W*f);
    cache = factor.

    >>> upsample_nearest_forward(np.array([[[[1.0, 2.0]]]]))[0]
    array([[[[1., 1., 2., 2.],
             [1., 1., 2., 2.]]]])
    """
    # TODO(18.4): Nearest-neighbour upsampling. Stuck? `kata hint 18.4`
    raise NotImplementedError("Exercise 18.4: upsample_nearest_forward is not written yet")


def upsample_nearest_backward(dout: np.ndarray, cache: int) -> np.ndarray:
    """dx: (B, C, H, W); cache = factor. Each input pixel was copied into a factor x factor
    block, so its gradient is the SUM of dout over that block.

    >>> upsample_nearest_backward(np.arange(8.0).reshape(1, 1, 2, 4), 2)
    array([[[[10., 18.]]]])
    """
    factor = cache
    # TODO(18.5): Upsampling backward. Stuck? `kata hint 18.5`
    raise NotImplementedError("Exercise 18.5: upsample_nearest_backward is not written yet")


def avgpool2d_forward(x: np.ndarray, k: int = 2) -> tuple[np.ndarray, int]:
    """Mean over non-overlapping k x k blocks. x: (B, C, H, W) with H, W divisible by k
    -> (B, C, H/k, W/k); cache = k.

    >>> avgpool2d_forward(np.arange(8.0).reshape(1, 1, 2, 4))[0]
    array([[[[2.5, 4.5]]]])
    """
    if x.shape[2] % k or x.shape[3] % k:
        raise ValueError(f"avgpool2d_forward: H and W of x {x.shape} must be divisible by k={k}")
    # TODO(18.6): Average pooling. Stuck? `kata hint 18.6`
    raise NotImplementedError("Exercise 18.6: avgpool2d_forward is not written yet")


def avgpool2d_backward(dout: np.ndarray, cache: int) -> np.ndarray:
    """dx: (B, C, H, W); cache = k. out is the mean of k*k inputs, so each gets dout / (k*k).

    >>> avgpool2d_backward(np.array([[[[4.0]]]]), 2)
    array([[[[1., 1.],
             [1., 1.]]]])
    """
    k = cache
    # TODO(18.7): Average pooling backward. Stuck? `kata hint 18.7`
    raise NotImplementedError("Exercise 18.7: avgpool2d_backward is not written yet")


def groupnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, groups: int,
                      eps: float = 1e-5) -> tuple[np.ndarray, tuple]:
    """GroupNorm. x: (B, C, H, W)   gamma, beta: (C,). Channels c = g*(C/G) ... (g+1)*(C/G) - 1
    form group g; each (example, group) is normalized over its (C/G, H, W) entries, M of them:

        mean = (1/M) sum x     var = (1/M) sum (x - mean)^2 (biased)
        x_hat = (x - mean) / sqrt(var + eps)        out = gamma[c] * x_hat + beta[c]

    returns (out, cache = (x_hat, inv_std, gamma, groups)), inv_std: (B, G, 1, 1, 1).

    >>> x = np.array([1.0, 3.0, 5.0, 5.0]).reshape(1, 4, 1, 1)
    >>> groupnorm_forward(x, np.ones(4), np.zeros(4), groups=2)[0].ravel()
    array([-1.,  1.,  0.,  0.])
    """
    B, C, H, W = x.shape
    if C % groups:
        raise ValueError(f"groupnorm_forward: C={C} channels do not split into groups={groups}")
    # TODO(18.8): GroupNorm forward. Stuck? `kata hint 18.8`
    raise NotImplementedError("Exercise 18.8: groupnorm_forward is not written yet")


def groupnorm_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx: (B, C, H, W), dgamma: (C,), dbeta: (C,)) for groupnorm_forward.

    LayerNorm's formula inside each (example, group), with M = (C/G)*H*W entries and
    dx_hat = dout * gamma[c]:

        dx = inv_std / M * (M * dx_hat - sum dx_hat - x_hat * sum (dx_hat * x_hat))

    (sums over the group's (C/G, H, W) entries). gamma and beta are per channel, shared by every
    example and pixel: their gradients sum over (B, H, W).

    >>> x = np.array([1.0, 3.0, 5.0, 9.0]).reshape(1, 4, 1, 1)
    >>> _, cache = groupnorm_forward(x, np.ones(4), np.zeros(4), groups=2)
    >>> dx, dgamma, dbeta = groupnorm_backward(np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1, 1), cache)
    >>> dgamma, dbeta
    (array([-1.,  2., -3.,  4.]), array([1., 2., 3., 4.]))
    """
    x_hat, inv_std, gamma, groups = cache
    # TODO(18.9): GroupNorm backward. Stuck? `kata hint 18.9`
    raise NotImplementedError("Exercise 18.9: groupnorm_backward is not written yet")


class Conv2d(Module):
    """Conv2d with He-normal weights, std = sqrt(2 / fan_in), fan_in = C_in*KH*KW, zero bias.
    kernel_size is an int (square) or a pair (KH, KW); dtype float32 for float32 models."""

    def __init__(self, c_in: int, c_out: int, kernel_size, rng: np.random.Generator,
                 stride: int = 1, padding: int = 0, dtype=np.float64):
        KH, KW = (kernel_size, kernel_size) if np.isscalar(kernel_size) else kernel_size
        std = np.sqrt(2.0 / (c_in * KH * KW))
        self.W = Parameter((rng.normal(size=(c_out, c_in, KH, KW)) * std).astype(dtype))
        self.b = Parameter(np.zeros(c_out, dtype=dtype))
        self.stride, self.padding = stride, padding

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = conv2d_forward(x, self.W.data, self.b.data, self.stride, self.padding)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dW, db = conv2d_backward(dout, self.cache)
        self.W.grad = self.W.grad + dW
        self.b.grad = self.b.grad + db
        return dx


class GroupNorm(Module):
    """GroupNorm over `groups` groups of `channels` channels; gamma = 1, beta = 0 at the start."""

    def __init__(self, groups: int, channels: int, eps: float = 1e-5, dtype=np.float64):
        self.gamma = Parameter(np.ones(channels, dtype=dtype))
        self.beta = Parameter(np.zeros(channels, dtype=dtype))
        self.groups, self.eps = groups, eps

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = groupnorm_forward(x, self.gamma.data, self.beta.data, self.groups, self.eps)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dgamma, dbeta = groupnorm_backward(dout, self.cache)
        self.gamma.grad = self.gamma.grad + dgamma
        self.beta.grad = self.beta.grad + dbeta
        return dx


class Upsample(Module):
    """Nearest-neighbour upsampling by an integer factor (no parameters)."""

    def __init__(self, factor: int = 2):
        self.factor = factor

    def forward(self, x: np.ndarray) -> np.ndarray:
        return upsample_nearest_forward(x, self.factor)[0]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return upsample_nearest_backward(dout, self.factor)


class AvgPool2d(Module):
    """k x k average pooling with stride k (no parameters)."""

    def __init__(self, k: int = 2):
        self.k = k

    def forward(self, x: np.ndarray) -> np.ndarray:
        return avgpool2d_forward(x, self.k)[0]

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return avgpool2d_backward(dout, self.k)
