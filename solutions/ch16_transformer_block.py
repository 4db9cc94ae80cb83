"""Chapter 16 - The Transformer block: feed-forward, residual connections, pre-LN, dropout.

A GPT block (Radford et al., 2019; the "pre-LN" layout studied by Xiong et al., 2020) refines
each position's vector x: (B, T, C) twice, each time ADDING a correction to it:

    h   = x + drop1(attn(ln1(x), mask))          attention: positions exchange information
    out = h + drop2(ffn(ln2(h)))                 feed-forward: each position thinks alone

The additions are the residual connections (He et al., 2016): the input reaches the output
unchanged, so the gradient does too (d out / d x = I + the sublayers' terms), and a deep stack
stays trainable. Pre-LN normalizes the INPUT of each sublayer and leaves the residual stream
itself un-normalized (the original Transformer normalized after the addition: post-LN).

The position-wise feed-forward network applies the same two-layer MLP to every position:

    ffn(x) = gelu(x @ W1 + b1) @ W2 + b2     W1: (C, F)  b1: (F,)  W2: (F, C)  b2: (C,), F = 4C

with the tanh form of GELU (chapter 09), as GPT-2 does. Kernels preserve the input dtype.
"""

from __future__ import annotations

import numpy as np

from .ch07_regularization import Dropout
from .ch09_modern_activations import gelu_tanh_backward, gelu_tanh_forward
from .ch11_layernorm import LayerNorm
from .ch15_multihead_attention import MultiHeadAttention
from .core import Module, Parameter


def ffn_forward(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
                b2: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Position-wise feed-forward: out = gelu_tanh(x @ W1 + b1) @ W2 + b2.
    x: (..., C) (usually (B, T, C))   W1: (C, F)   b1: (F,)   W2: (F, C)   b2: (C,)
    returns (out: like x, cache = (x, W1, W2, a, gelu_cache)), a = gelu_tanh(h): (..., F) and
    gelu_cache the cache of ch09's gelu_tanh_forward. out has x's dtype.

    >>> x = np.array([[1.0, -1.0]])
    >>> ffn_forward(x, np.eye(2), np.zeros(2), np.eye(2), np.array([0.5, 0.0]))[0]
    array([[ 1.3412, -0.1588]])
    """
    if x.shape[-1] != W1.shape[0] or W1.shape[1] != W2.shape[0] or W2.shape[1] != x.shape[-1]:
        raise ValueError(f"ffn_forward: x (..., C), W1 (C, F), W2 (F, C) expected, got x "
                         f"{x.shape}, W1 {W1.shape}, W2 {W2.shape}")
    ### BEGIN SOLUTION
    h = x @ W1 + b1                          # (..., F): matmul acts on the last axis only
    a, gelu_cache = gelu_tanh_forward(h)
    a = a.astype(x.dtype, copy=False)        # an older ch09 may compute in float64
    out = a @ W2 + b2                        # (..., C)
    return out, (x, W1, W2, a, gelu_cache)
    ### END SOLUTION


def ffn_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, ...]:
    """(dx, dW1, db1, dW2, db2) for ffn_forward; dout: like x.

    The same W1, W2 serve every position, so their gradients sum over the batch AND time:
    flatten the leading axes to rows first (x2: (B*T, C)), then it is chapter 05:

        dW2 = a2.T @ dout2     db2 = sum of dout2 rows     da = dout @ W2.T
        dh = gelu_tanh_backward(da, gelu_cache)
        dW1 = x2.T @ dh2       db1 = sum of dh2 rows       dx = dh @ W1.T

    >>> _, cache = ffn_forward(np.ones((2, 3, 2)), np.eye(2), np.zeros(2), np.eye(2), np.zeros(2))
    >>> ffn_backward(np.ones((2, 3, 2)), cache)[4]      # db2: summed over all 2 * 3 positions
    array([6., 6.])
    """
    x, W1, W2, a, gelu_cache = cache
    ### BEGIN SOLUTION
    C, F = W1.shape
    dout2 = dout.reshape(-1, C)                                      # (B*T, C)
    dW2 = a.reshape(-1, F).T @ dout2                                 # (F, B*T) @ (B*T, C)
    db2 = dout2.sum(axis=0)
    da = dout @ W2.T                                                 # (..., F)
    dh = gelu_tanh_backward(da, gelu_cache).astype(x.dtype, copy=False)
    dh2 = dh.reshape(-1, F)                                          # (B*T, F)
    dW1 = x.reshape(-1, C).T @ dh2                                   # (C, B*T) @ (B*T, F)
    db1 = dh2.sum(axis=0)
    dx = dh @ W1.T                                                   # (..., C)
    return dx, dW1, db1, dW2, db2
    ### END SOLUTION


class FeedForward(Module):
    """Provided: ffn_forward/ffn_backward as a module with Parameters W1, b1, W2, b2.
    Weights start as N(0, 1/fan_in), biases at 0."""

    def __init__(self, dim: int, hidden: int, rng: np.random.Generator):
        self.W1 = Parameter(rng.standard_normal((dim, hidden)) / np.sqrt(dim))
        self.b1 = Parameter(np.zeros(hidden))
        self.W2 = Parameter(rng.standard_normal((hidden, dim)) / np.sqrt(hidden))
        self.b2 = Parameter(np.zeros(dim))

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = ffn_forward(x, self.W1.data, self.b1.data, self.W2.data, self.b2.data)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, *grads = ffn_backward(dout, self.cache)
        for p, g in zip((self.W1, self.b1, self.W2, self.b2), grads):
            p.grad = p.grad + g
        return dx


class ResidualDropout(Dropout):
    """Provided: chapter 07's Dropout, returning x's dtype (its mask is float64), and skipping
    the random draw entirely when rate = 0."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.passthrough = self.rate == 0.0 or not self.training
        return x if self.passthrough else super().forward(x).astype(x.dtype, copy=False)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout if self.passthrough else super().backward(dout).astype(dout.dtype, copy=False)


class TransformerBlock(Module):
    """A pre-LN GPT block on x: (B, T, C). Sub-modules (provided): ln1, attn (chapter 15's
    MultiHeadAttention), drop1, ln2, ffn (FeedForward, hidden = 4 * dim), drop2."""

    def __init__(self, dim: int, n_heads: int, rng: np.random.Generator, hidden: int | None = None,
                 dropout: float = 0.0, dtype=np.float64):
        if dim % n_heads:
            raise ValueError(f"dim must be divisible by n_heads, got dim={dim}, n_heads={n_heads}")
        self.n_heads = n_heads
        self.ln1 = LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, n_heads, rng)
        self.drop1 = ResidualDropout(dropout, rng)
        self.ln2 = LayerNorm(dim)
        self.ffn = FeedForward(dim, 4 * dim if hidden is None else hidden, rng)
        self.drop2 = ResidualDropout(dropout, rng)
        self.to_dtype(dtype)

    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """x: (B, T, C) -> out: (B, T, C); mask: (T, T) bool or None, passed to attention.

            h   = x + drop1(attn(ln1(x), mask))
            out = h + drop2(ffn(ln2(h)))

        Each sub-module keeps its own cache for backward.

        >>> block = TransformerBlock(4, 2, np.random.default_rng(0))
        >>> block.forward(np.ones((1, 3, 4))).shape
        (1, 3, 4)
        """
        ### BEGIN SOLUTION
        h = x + self.drop1.forward(self.attn.forward(self.ln1.forward(x), mask))
        return h + self.drop2.forward(self.ffn.forward(self.ln2.forward(h)))
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (B, T, C) -> dx: (B, T, C); every sub-module adds its parameter gradients.

        Walk the forward in reverse. A residual "y = x + f(x)" has two paths to x, and their
        gradients add: dx = dy + (the gradient back through f). So

            dh = dout + ln2.backward(ffn.backward(drop2.backward(dout)))
            dx = dh + ln1.backward(attn.backward(drop1.backward(dh)))

        >>> block = TransformerBlock(4, 2, np.random.default_rng(0))
        >>> _ = block.forward(np.ones((1, 3, 4)))
        >>> block.backward(np.zeros((1, 3, 4))).shape
        (1, 3, 4)
        """
        ### BEGIN SOLUTION
        dh = dout + self.ln2.backward(self.ffn.backward(self.drop2.backward(dout)))
        return dh + self.ln1.backward(self.attn.backward(self.drop1.backward(dh)))
        ### END SOLUTION
