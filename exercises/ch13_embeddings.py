# Chapter 13: Embeddings and positions. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch13_embeddings.py.)
"""Chapter 13 - Embeddings: token ids to vectors, and where each token sits.

A language model reads integer token ids. An embedding table W: (V, C) holds one learned
vector per id; looking ids up is a gather, and its backward is a scatter-add:

    out[b, t, :] = W[ids[b, t], :]            dW[v, :] = sum over (b, t) with ids[b, t] == v of dout[b, t, :]

A token that appears several times receives the sum of all its gradients (np.add.at does this;
``dW[ids] += dout`` silently keeps only one of them).

Attention (chapter 14) is blind to order, so each position t gets a vector added too:

- sinusoidal (Vaswani et al., 2017, "Attention Is All You Need", section 3.5), fixed, with the
  INTERLEAVED layout used in this course: for i = 0, 1, ..., and w_i = 1 / 10000^(2i / C),
      PE[t, 2i] = sin(t * w_i)        PE[t, 2i + 1] = cos(t * w_i)
- learned (GPT-2): a Parameter P: (T_max, C) whose first T rows are added to a (B, T, C) input.

Kernels preserve the dtype of their inputs (float32 in, float32 out).
"""

from __future__ import annotations

import numpy as np

from .core import Module, Parameter


def _check_ids(ids: np.ndarray, V: int) -> None:
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"ids must be an integer array (token ids), got dtype {ids.dtype}")
    if ids.size and (ids.min() < 0 or ids.max() >= V):
        raise ValueError(f"ids must lie in [0, V) = [0, {V}), got values from {ids.min()} to {ids.max()}")


def embedding_forward(ids: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Look up one row of W per token id. ids: (B, T) integers in [0, V)   W: (V, C)
    returns (out: (B, T, C), cache = (ids, W)); any shape of ids works: out is ids.shape + (C,).

    >>> W = np.array([[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]])
    >>> embedding_forward(np.array([[2, 0, 2]]), W)[0]
    array([[[4., 5.],
            [0., 1.],
            [4., 5.]]])
    """
    ids = np.asarray(ids)
    _check_ids(ids, W.shape[0])
    # TODO(13.1): Embedding lookup. Stuck? `kata hint 13.1`
    raise NotImplementedError("Exercise 13.1: embedding_forward is not written yet")


def embedding_backward(dout: np.ndarray, cache: tuple) -> np.ndarray:
    """dW: (V, C) for embedding_forward, given dout: (B, T, C). ids have no gradient.

    Row v of dW is the sum of dout[b, t] over every position where ids[b, t] == v; rows of ids
    that never occur get zeros. np.add.at(dW, ids, dout) adds once PER OCCURRENCE; the
    buffered ``dW[ids] += dout`` writes each repeated row only once (the last write wins).

    >>> dout = np.ones((1, 3, 2))
    >>> embedding_backward(dout, (np.array([[2, 0, 2]]), np.zeros((3, 2))))
    array([[1., 1.],
           [0., 0.],
           [2., 2.]])
    """
    ids, W = cache
    # TODO(13.2): Embedding backward (scatter-add). Stuck? `kata hint 13.2`
    raise NotImplementedError("Exercise 13.2: embedding_backward is not written yet")


def sinusoidal_encoding(T: int, C: int, dtype=np.float64) -> np.ndarray:
    """Fixed position vectors PE: (T, C), interleaved (Vaswani et al. 2017):

        w_i = 1 / 10000^(2i / C)      PE[t, 2i] = sin(t * w_i)      PE[t, 2i + 1] = cos(t * w_i)

    Row t = 0 is [0, 1, 0, 1, ...]. Column pair (2i, 2i + 1) turns at frequency w_i, from one
    radian per position (i = 0) down to about 1/10000, so nearby and far positions both differ.
    Computed in float64, returned as ``dtype``. An odd C ends with a sin column.

    >>> sinusoidal_encoding(2, 4)
    array([[0.    , 1.    , 0.    , 1.    ],
           [0.8415, 0.5403, 0.01  , 1.    ]])
    """
    if T < 0 or C < 1:
        raise ValueError(f"sinusoidal_encoding needs T >= 0 and C >= 1, got T={T}, C={C}")
    # TODO(13.3): Sinusoidal positional encoding. Stuck? `kata hint 13.3`
    raise NotImplementedError("Exercise 13.3: sinusoidal_encoding is not written yet")


def positional_forward(x: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, int]:
    """Add learned position vectors: out[..., t, :] = x[..., t, :] + P[t, :].

    x: (B, T, C)   P: (T_max, C) with T <= T_max. Only the first T rows of P are used.
    returns (out: like x, cache = T_max).

    >>> positional_forward(np.zeros((1, 2, 2)), np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))[0]
    array([[[1., 2.],
            [3., 4.]]])
    """
    T, C = x.shape[-2:]
    if P.ndim != 2 or P.shape[1] != C or P.shape[0] < T:
        raise ValueError(f"P must be (T_max, C) = (>= {T}, {C}) for x of shape {x.shape}, got {P.shape}")
    # TODO(13.4): Learned positions forward. Stuck? `kata hint 13.4`
    raise NotImplementedError("Exercise 13.4: positional_forward is not written yet")


def positional_backward(dout: np.ndarray, cache: int) -> tuple[np.ndarray, np.ndarray]:
    """(dx: like x, dP: (T_max, C)) for positional_forward.

    The addition passes dout through unchanged to x. Row t of P was added to every example of
    the batch, so dP[t] = sum_b dout[b, t]; rows t >= T were not used and get zeros.

    >>> dx, dP = positional_backward(np.ones((2, 1, 2)), 3)
    >>> dP
    array([[2., 2.],
           [0., 0.],
           [0., 0.]])
    """
    T_max = cache
    # TODO(13.5): Learned positions backward. Stuck? `kata hint 13.5`
    raise NotImplementedError("Exercise 13.5: positional_backward is not written yet")


class Embedding(Module):
    """A token embedding table ``W``: (num_embeddings, dim) = (V, C), N(0, std^2) at the start
    (GPT-2 uses std = 0.02). ``forward(ids)`` -> (B, T, C); ``backward(dout)`` returns None."""

    def __init__(self, num_embeddings: int, dim: int, rng: np.random.Generator,
                 std: float = 0.02, dtype=np.float64):
        self.W = Parameter((std * rng.standard_normal((num_embeddings, dim))).astype(dtype))

    def forward(self, ids: np.ndarray) -> np.ndarray:
        out, self.cache = embedding_forward(ids, self.W.data)
        return out

    def backward(self, dout: np.ndarray) -> None:
        """Add dW into ``self.W.grad`` (accumulate: the table may be used twice, e.g. tied to the
        output layer in chapter 17). Token ids are integers: there is no gradient to return.

        >>> layer = Embedding(3, 2, np.random.default_rng(0))
        >>> _ = layer.forward(np.array([[1, 1]]))
        >>> layer.backward(np.ones((1, 2, 2))) is None
        True
        >>> layer.W.grad
        array([[0., 0.],
               [2., 2.],
               [0., 0.]])
        """
        # TODO(13.6): Embedding module backward. Stuck? `kata hint 13.6`
        raise NotImplementedError("Exercise 13.6: Embedding.backward is not written yet")


class PositionalEmbedding(Module):
    """Learned positions ``P``: (max_len, C), N(0, std^2) at the start. forward(x: (B, T, C))
    adds P[:T]; backward(dout) adds dP into ``P.grad`` and returns dx. Provided, not an exercise."""

    def __init__(self, max_len: int, dim: int, rng: np.random.Generator,
                 std: float = 0.02, dtype=np.float64):
        self.P = Parameter((std * rng.standard_normal((max_len, dim))).astype(dtype))

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = positional_forward(x, self.P.data)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dx, dP = positional_backward(dout, self.cache)
        self.P.grad = self.P.grad + dP
        return dx
