"""Chapter 15 - Multi-head attention (Vaswani et al., 2017, section 3.2.2).

One attention looks at the sequence one way. H heads look H ways at once, each in its own
Dh = C / H dimensional slice of the projected queries, keys and values:

    q = x @ Wq + bq     k = x @ Wk + bk     v = x @ Wv + bv          (B, T, C) each
    split each into heads: (B, T, C) -> (B, T, H, Dh) -> (B, H, T, Dh)
    heads = attention(q, k, v, mask)                                 (B, H, T, Dh), chapter 14
    merged = merge the heads back: (B, H, T, Dh) -> (B, T, H, Dh) -> (B, T, C)
    out = merged @ Wo + bo                                           (B, T, C)

Head h owns columns h*Dh .. (h+1)*Dh - 1 of q, k, v and of merged. Every W is (C, C), every
b is (C,). The heads run as one batched attention over the leading axes (B, H): no loop.
Scores are scaled by 1/sqrt(Dh), the size of a head, not of the model.
"""

from __future__ import annotations

import numpy as np

from .ch14_attention import attention_backward, attention_forward, attention_weights
from .core import Module, Parameter

PARAM_NAMES = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")


def split_heads(x: np.ndarray, n_heads: int) -> np.ndarray:
    """(B, T, C) -> (B, H, T, Dh) with H = n_heads, Dh = C / H: out[b, h, t, :] = x[b, t, h*Dh:(h+1)*Dh].

    >>> split_heads(np.arange(4.0).reshape(1, 1, 4), 2)
    array([[[[0., 1.]],
    <BLANKLINE>
            [[2., 3.]]]])
    """
    B, T, C = x.shape
    if n_heads < 1 or C % n_heads:
        raise ValueError(f"n_heads must divide the model width C = {C}, got n_heads = {n_heads}")
    ### BEGIN SOLUTION
    x = x.reshape(B, T, n_heads, C // n_heads)   # (B, T, H, Dh): cut each token's C into H pieces
    return x.transpose(0, 2, 1, 3)               # (B, H, T, Dh): heads become a batch axis
    ### END SOLUTION


def merge_heads(x: np.ndarray) -> np.ndarray:
    """(B, H, T, Dh) -> (B, T, C = H * Dh), the inverse of split_heads.

    >>> merge_heads(np.array([[[[0.0, 1.0]], [[2.0, 3.0]]]]))
    array([[[0., 1., 2., 3.]]])
    """
    B, H, T, Dh = x.shape
    ### BEGIN SOLUTION
    x = x.transpose(0, 2, 1, 3)                  # (B, T, H, Dh): back to tokens first
    return x.reshape(B, T, H * Dh)               # (B, T, C): the heads side by side
    ### END SOLUTION


def _check_params(x: np.ndarray, params: dict) -> None:
    if x.ndim != 3:
        raise ValueError(f"x must be (B, T, C), got shape {x.shape}")
    C = x.shape[-1]
    for name in PARAM_NAMES:
        want = (C, C) if name[0] == "W" else (C,)
        if name not in params or np.shape(params[name]) != want:
            got = np.shape(params[name]) if name in params else "missing"
            raise ValueError(f"params[{name!r}] must have shape {want} for C = {C}, got {got}")


def mha_forward(x: np.ndarray, params: dict, n_heads: int,
                mask: np.ndarray | None = None) -> tuple[np.ndarray, tuple]:
    """Multi-head self-attention. x: (B, T, C); params: dict of Wq, bq, Wk, bk, Wv, bv, Wo, bo
    (W: (C, C) used as x @ W + b, b: (C,)); mask: bool, broadcastable to (B, H, T, T), True =
    may attend (a causal (T, T) mask works as is). Uses split_heads, merge_heads and
    chapter 14's attention_forward.
    returns (out: (B, T, C), cache = (x, params, n_heads, attn_cache, merged)), where
    attn_cache is attention_forward's cache: attention_weights(cache[3]) is (B, H, T, T).

    >>> p = {n: np.zeros((2, 2)) if n[0] == "W" else np.zeros(2) for n in PARAM_NAMES}
    >>> p["Wv"], p["Wo"] = np.eye(2), np.eye(2)
    >>> mha_forward(np.array([[[1.0, 2.0], [3.0, 4.0]]]), p, n_heads=2)[0]
    array([[[2., 3.],
            [2., 3.]]])
    """
    _check_params(x, params)
    ### BEGIN SOLUTION
    q = split_heads(x @ params["Wq"] + params["bq"], n_heads)   # (B, H, T, Dh)
    k = split_heads(x @ params["Wk"] + params["bk"], n_heads)   # (B, H, T, Dh)
    v = split_heads(x @ params["Wv"] + params["bv"], n_heads)   # (B, H, T, Dh)
    heads, attn_cache = attention_forward(q, k, v, mask)        # (B, H, T, Dh), scale 1/sqrt(Dh)
    merged = merge_heads(heads)                                 # (B, T, C)
    out = merged @ params["Wo"] + params["bo"]                  # (B, T, C)
    return out, (x, params, n_heads, attn_cache, merged)
    ### END SOLUTION


def mha_backward(dout: np.ndarray, cache: tuple) -> tuple[np.ndarray, dict]:
    """(dx: (B, T, C), grads: dict with the keys of params) for mha_forward. dout: (B, T, C).

    Backward through each step of the forward, in reverse. A projection y = x @ W + b over
    (B, T, C) is chapter 05's dense layer with B*T rows:
        dW = x^T @ dy summed over every (b, t),   db = sum over (b, t) of dy,   dx = dy @ W^T
    so for the output:  dmerged = dout @ Wo^T; split dmerged into heads (the inverse of merging),
    attention_backward gives dq, dk, dv per head; merge each back to (B, T, C). x feeds all three
    projections, so dx = dq @ Wq^T + dk @ Wk^T + dv @ Wv^T (a value used three times).

    >>> p = {n: np.eye(2) if n[0] == "W" else np.zeros(2) for n in PARAM_NAMES}
    >>> x = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    >>> dx, grads = mha_backward(np.ones((1, 2, 2)), mha_forward(x, p, n_heads=2)[1])
    >>> grads["bo"], list(grads) == list(PARAM_NAMES)
    (array([2., 2.]), True)
    """
    x, params, n_heads, attn_cache, merged = cache
    ### BEGIN SOLUTION
    C = x.shape[-1]
    rows_x = x.reshape(-1, C)                                   # (B*T, C)
    grads = {"Wo": merged.reshape(-1, C).T @ dout.reshape(-1, C), "bo": dout.sum(axis=(0, 1))}
    dheads = split_heads(dout @ params["Wo"].T, n_heads)        # (B, H, T, Dh)
    dq, dk, dv = attention_backward(dheads, attn_cache)         # (B, H, T, Dh) each
    dx = np.zeros_like(x, dtype=dout.dtype)
    for name, d_heads in (("q", dq), ("k", dk), ("v", dv)):
        d = merge_heads(d_heads)                                # (B, T, C)
        grads["W" + name] = rows_x.T @ d.reshape(-1, C)
        grads["b" + name] = d.sum(axis=(0, 1))
        dx = dx + d @ params["W" + name].T
    return dx, {name: grads[name] for name in PARAM_NAMES}
    ### END SOLUTION


class MultiHeadAttention(Module):
    """Multi-head self-attention with Parameters Wq, bq, Wk, bk, Wv, bv, Wo, bo.

    Weights start as N(0, std^2) with std = 1/sqrt(dim) by default (keeps the projections'
    variance), biases at zero. ``forward(x, mask=None)`` -> (B, T, C) and sets ``self.weights``
    (B, H, T, T) for plotting; ``backward(dout)`` adds into every ``.grad`` and returns dx.
    """

    def __init__(self, dim: int, n_heads: int, rng: np.random.Generator,
                 std: float | None = None, dtype=np.float64):
        if n_heads < 1 or dim % n_heads:
            raise ValueError(f"n_heads must divide dim = {dim}, got n_heads = {n_heads}")
        self.n_heads = n_heads
        std = 1.0 / np.sqrt(dim) if std is None else std
        for name in PARAM_NAMES:
            shape = (dim, dim) if name[0] == "W" else (dim,)
            data = std * rng.standard_normal(shape) if name[0] == "W" else np.zeros(shape)
            setattr(self, name, Parameter(data.astype(dtype)))

    def param_arrays(self) -> dict:
        return {name: getattr(self, name).data for name in PARAM_NAMES}

    def forward(self, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        out, self.cache = mha_forward(x, self.param_arrays(), self.n_heads, mask)
        self.weights = attention_weights(self.cache[3])  # (B, H, T, T)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dx: (B, T, C); adds each parameter's gradient into its ``.grad`` (+, not =).

        >>> layer = MultiHeadAttention(4, 2, np.random.default_rng(0))
        >>> _ = layer.forward(np.ones((1, 3, 4)))
        >>> layer.backward(np.ones((1, 3, 4))).shape
        (1, 3, 4)
        >>> layer.bo.grad
        array([3., 3., 3., 3.])
        """
        ### BEGIN SOLUTION
        dx, grads = mha_backward(dout, self.cache)
        for name, grad in grads.items():
            param = getattr(self, name)
            param.grad = param.grad + grad
        return dx
        ### END SOLUTION
