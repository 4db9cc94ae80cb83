# Chapter 14: Scaled dot-product attention. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch14_attention.py.)
"""Chapter 14 - Scaled dot-product attention (Vaswani et al., 2017, section 3.2.1).

Each query row asks "which keys look like me?" and returns the matching mix of the values:

    scores  = q @ k^T / sqrt(D)                 (..., Tq, Tk)
    scores  = -inf where mask is False          (a hidden key gets weight exactly 0)
    weights = softmax(scores) over the LAST axis (the keys): each query's weights sum to 1
    out     = weights @ v                       (..., Tq, Dv)

q: (..., Tq, D), k: (..., Tk, D), v: (..., Tk, Dv) share their leading axes (B, or B and H);
batched matmul handles them all at once, with no Python loop over batch or heads.

Why sqrt(D): if the entries of q and k are independent with variance 1, a score is a sum of D
products of variance 1, so it has variance D. Dividing by sqrt(D) brings it back to 1 and keeps
the softmax out of its saturated, zero-gradient regime.

The mask is boolean, True = may attend, broadcastable to (..., Tq, Tk): a causal mask (Tq, Tk)
for language models, a padding mask (B, 1, 1, Tk) to hide padded keys.

RULE for a fully-masked row (a query that may attend to nothing): its weights are all 0, so its
output is 0 and it passes no gradient back. (softmax of a row of -inf would be 0/0 = NaN.)

Kernels preserve dtype: float32 q, k, v give float32 outputs and gradients.
"""

from __future__ import annotations

import math

import numpy as np

from .ch03_activations import softmax_backward, softmax_forward


def causal_mask(T: int) -> np.ndarray:
    """Boolean (T, T), True where query i may attend to key j, i.e. j <= i: the lower triangle
    INCLUDING the diagonal (a token sees itself and the past, never the future).

    >>> causal_mask(3)
    array([[ True, False, False],
           [ True,  True, False],
           [ True,  True,  True]])
    """
    # TODO(14.1): Causal mask. Stuck? `kata hint 14.1`
    raise NotImplementedError("Exercise 14.1: causal_mask is not written yet")


def _check_qkv(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask) -> None:
    if q.ndim < 2 or k.ndim != q.ndim or v.ndim != q.ndim or not q.shape[:-2] == k.shape[:-2] == v.shape[:-2]:
        raise ValueError(f"q, k, v must be (..., T, D) with the same leading axes, "
                         f"got q {q.shape}, k {k.shape}, v {v.shape}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have q's last axis D = {q.shape[-1]}, got k {k.shape}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have one row per key (Tk = {k.shape[-2]}), got v {v.shape}")
    if mask is not None:
        scores_shape = q.shape[:-1] + (k.shape[-2],)
        if np.asarray(mask).dtype != bool:
            raise TypeError(f"mask must be a bool array (True = may attend), got dtype {np.asarray(mask).dtype}")
        try:
            ok = np.broadcast_shapes(np.shape(mask), scores_shape) == scores_shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"mask must broadcast to the scores' shape {scores_shape}, got {np.shape(mask)}")


def attention_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray,
                      mask: np.ndarray | None = None) -> tuple[np.ndarray, tuple]:
    """Scaled dot-product attention. q: (..., Tq, D)  k: (..., Tk, D)  v: (..., Tk, Dv)
    mask: bool, broadcastable to (..., Tq, Tk), True = may attend (None: attend everywhere).
    returns (out: (..., Tq, Dv), cache = (q, k, v, weights)), weights: (..., Tq, Tk) are the
    softmax probabilities (read them with ``attention_weights(cache)``). Use chapter 03's
    softmax_forward (it works on the last axis of any shape). A fully-masked row gets all-zero
    weights and a zero output.

    >>> out, cache = attention_forward(np.zeros((2, 2)), np.eye(2), np.array([[1.0, 2.0], [3.0, 4.0]]),
    ...                                mask=causal_mask(2))
    >>> out
    array([[1., 2.],
           [2., 3.]])
    """
    _check_qkv(q, k, v, mask)
    # TODO(14.2): Attention forward. Stuck? `kata hint 14.2`
    raise NotImplementedError("Exercise 14.2: attention_forward is not written yet")


def attention_weights(cache: tuple) -> np.ndarray:
    """The attention probabilities (..., Tq, Tk) kept in attention_forward's cache, for plots."""
    return cache[3]


def attention_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dq, dk, dv), shaped like q, k, v, for attention_forward. dout: (..., Tq, Dv).

    Backward through the three steps in reverse, with S = 1 / sqrt(D):

        out = weights @ v        ->  dv = weights^T @ dout          dweights = dout @ v^T
        weights = softmax(scores) -> dscores = softmax_backward(dweights, weights)   (chapter 03)
        scores = S * q @ k^T     ->  dq = S * dscores @ k           dk = S * dscores^T @ q

    "^T" swaps the last two axes only. The mask needs no special case: a hidden key has weight
    0, and softmax_backward multiplies by the weights, so its dscores is 0 (and a fully-masked
    row passes no gradient at all).

    >>> cache = attention_forward(np.eye(2), np.eye(2), np.eye(2))[1]
    >>> attention_backward(np.ones((2, 2)), cache)[2]  # dv: each key's total weight, per column
    array([[1., 1.],
           [1., 1.]])
    """
    q, k, v, weights = cache
    # TODO(14.3): Attention backward. Stuck? `kata hint 14.3`
    raise NotImplementedError("Exercise 14.3: attention_backward is not written yet")
