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
    ### BEGIN SOLUTION
    if n + 2 * padding < k:
        raise ValueError(f"kernel size k={k} is larger than the padded input n + 2*padding = "
                         f"{n} + 2*{padding}")
    return (n + 2 * padding - k) // stride + 1
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    B, C_in = x.shape[:2]
    C_out, _, KH, KW = W.shape
    p = padding
    x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))                # (B, C_in, H+2p, W+2p)
    windows = sliding_window_view(x_pad, (KH, KW), axis=(2, 3))        # (B, C_in, ., ., KH, KW): a view
    windows = windows[:, :, ::stride, ::stride]                        # (B, C_in, H_out, W_out, KH, KW)
    H_out, W_out = windows.shape[2:4]
    # im2col: one column per output pixel of the whole batch; this reshape is the one copy
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(C_in * KH * KW, B * H_out * W_out)
    out = W.reshape(C_out, -1) @ cols + b[:, None]                     # (C_out, B*H_out*W_out)
    out = out.reshape(C_out, B, H_out, W_out).transpose(1, 0, 2, 3)    # (B, C_out, H_out, W_out)
    return np.ascontiguousarray(out), (x.shape, cols, W, stride, padding)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    B, C_out, H_out, W_out = dout.shape
    C_in, KH, KW = W.shape[1:]
    p = padding
    dout_cols = dout.transpose(1, 0, 2, 3).reshape(C_out, -1)          # (C_out, B*H_out*W_out)
    db = dout_cols.sum(axis=1)
    # dW = dout_cols @ cols.T, computed transposed: OpenBLAS's float32 kernel is faster this way round
    dW = (cols @ dout_cols.T).T.reshape(W.shape)                       # (C_out, C_in, KH, KW)
    # dout spread on a zero canvas; a KH x KW correlation of it covers x_pad (Hp x Wp)
    Hp, Wp = x_shape[2] + 2 * p, x_shape[3] + 2 * p
    canvas = np.zeros((B, C_out, Hp + KH - 1, Wp + KW - 1), dtype=dout.dtype)
    canvas[:, :, KH - 1:KH - 1 + H_out * stride:stride, KW - 1:KW - 1 + W_out * stride:stride] = dout
    # dx is x_pad's interior: drop `padding` rows and columns from each side of the canvas first
    canvas = canvas[:, :, p:p + x_shape[2] + KH - 1, p:p + x_shape[3] + KW - 1]
    W_flip = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)                 # (C_in, C_out, KH, KW)
    dx, _ = conv2d_forward(canvas, W_flip, np.zeros(C_in, dtype=dout.dtype))
    return dx, dW, db
    ### END SOLUTION


def upsample_nearest_forward(x: np.ndarray, factor: int = 2) -> tuple[np.ndarray, int]:
    """Each pixel becomes a factor x factor block. x: (B, C, H, W) -> (B, C, H*f, W*f);
    cache = factor.

    >>> upsample_nearest_forward(np.array([[[[1.0, 2.0]]]]))[0]
    array([[[[1., 1., 2., 2.],
             [1., 1., 2., 2.]]]])
    """
    ### BEGIN SOLUTION
    return x.repeat(factor, axis=2).repeat(factor, axis=3), factor
    ### END SOLUTION


def upsample_nearest_backward(dout: np.ndarray, cache: int) -> np.ndarray:
    """dx: (B, C, H, W); cache = factor. Each input pixel was copied into a factor x factor
    block, so its gradient is the SUM of dout over that block.

    >>> upsample_nearest_backward(np.arange(8.0).reshape(1, 1, 2, 4), 2)
    array([[[[10., 18.]]]])
    """
    factor = cache
    ### BEGIN SOLUTION
    B, C, Hf, Wf = dout.shape
    blocks = dout.reshape(B, C, Hf // factor, factor, Wf // factor, factor)  # (B, C, H, f, W, f)
    return blocks.sum(axis=(3, 5))
    ### END SOLUTION


def avgpool2d_forward(x: np.ndarray, k: int = 2) -> tuple[np.ndarray, int]:
    """Mean over non-overlapping k x k blocks. x: (B, C, H, W) with H, W divisible by k
    -> (B, C, H/k, W/k); cache = k.

    >>> avgpool2d_forward(np.arange(8.0).reshape(1, 1, 2, 4))[0]
    array([[[[2.5, 4.5]]]])
    """
    if x.shape[2] % k or x.shape[3] % k:
        raise ValueError(f"avgpool2d_forward: H and W of x {x.shape} must be divisible by k={k}")
    ### BEGIN SOLUTION
    B, C, H, W = x.shape
    blocks = x.reshape(B, C, H // k, k, W // k, k)                     # (B, C, H/k, k, W/k, k)
    return blocks.mean(axis=(3, 5)), k
    ### END SOLUTION


def avgpool2d_backward(dout: np.ndarray, cache: int) -> np.ndarray:
    """dx: (B, C, H, W); cache = k. out is the mean of k*k inputs, so each gets dout / (k*k).

    >>> avgpool2d_backward(np.array([[[[4.0]]]]), 2)
    array([[[[1., 1.],
             [1., 1.]]]])
    """
    k = cache
    ### BEGIN SOLUTION
    return (dout / (k * k)).repeat(k, axis=2).repeat(k, axis=3)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    xg = x.reshape(B, groups, C // groups, H, W)                       # (B, G, C/G, H, W)
    mean = xg.mean(axis=(2, 3, 4), keepdims=True)                      # (B, G, 1, 1, 1)
    inv_std = 1.0 / np.sqrt(xg.var(axis=(2, 3, 4), keepdims=True) + eps)
    x_hat = ((xg - mean) * inv_std).reshape(B, C, H, W)                # (B, C, H, W)
    out = gamma[:, None, None] * x_hat + beta[:, None, None]
    return out, (x_hat, inv_std, gamma, groups)
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    B, C, H, W = dout.shape
    M = C // groups * H * W
    dbeta = dout.sum(axis=(0, 2, 3))
    dgamma = (dout * x_hat).sum(axis=(0, 2, 3))
    dx_hat = (dout * gamma[:, None, None]).reshape(B, groups, C // groups, H, W)  # (B, G, C/G, H, W)
    xg_hat = x_hat.reshape(B, groups, C // groups, H, W)
    axes = (2, 3, 4)
    dx = inv_std / M * (M * dx_hat - dx_hat.sum(axis=axes, keepdims=True)
                        - xg_hat * (dx_hat * xg_hat).sum(axis=axes, keepdims=True))
    return dx.reshape(B, C, H, W), dgamma, dbeta
    ### END SOLUTION


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
