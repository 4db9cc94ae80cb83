"""Chapter 13 mistakes: embeddings and positions as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch13_embeddings import embedding_backward as reference_embedding_backward


# ---------------------------------------------------------------- 13.1 embedding_forward
@mistake("13.1", "one-hot @ W computed in float64: a float32 table comes back as float64")
def embedding_forward(ids, W):
    one_hot = np.eye(W.shape[0])[ids]            # (B, T, V) float64
    return one_hot @ W, (ids, W)


@mistake("13.1", "ids flattened: returns (B*T, C) instead of (B, T, C)")
def embedding_forward_flat(ids, W):
    return W[ids.reshape(-1)], (ids, W)


# ---------------------------------------------------------------- 13.2 embedding_backward
@mistake("13.2", "dW[ids] += dout: buffered fancy-index add keeps one gradient per repeated id")
def embedding_backward(dout, cache):
    ids, W = cache
    dW = np.zeros_like(W)
    dW[ids] += dout
    return dW


@mistake("13.2", "dW[ids] = dout: assignment, the last occurrence wins")
def embedding_backward_assign(dout, cache):
    ids, W = cache
    dW = np.zeros_like(W)
    dW[ids] = dout
    return dW


@mistake("13.2", "sums dout over the batch first, as if every example had the same ids")
def embedding_backward_batch_sum(dout, cache):
    ids, W = cache
    dW = np.zeros_like(W)
    np.add.at(dW, ids[0], dout.sum(axis=0))
    return dW


@mistake("13.2", "builds dW in float64 whatever the dtype")
def embedding_backward_float64(dout, cache):
    ids, W = cache
    return reference_embedding_backward(dout.astype(np.float64), (ids, W.astype(np.float64)))


# ---------------------------------------------------------------- 13.3 sinusoidal_encoding
def _angles(T, C, two_i_scale=1.0, start=0):
    t = np.arange(start, start + T, dtype=np.float64)[:, None]
    two_i = np.arange(0, C, 2, dtype=np.float64)
    return t / 10000.0 ** (two_i_scale * two_i / C)


def _interleave(even, odd, T, C, dtype):
    pe = np.empty((T, C))
    pe[:, 0::2], pe[:, 1::2] = even, odd[:, : C // 2]
    return pe.astype(dtype)


@mistake("13.3", "sin and cos swapped: cos in the even columns")
def sinusoidal_encoding(T, C, dtype=np.float64):
    a = _angles(T, C)
    return _interleave(np.cos(a), np.sin(a), T, C, dtype)


@mistake("13.3", "exponent i/C instead of 2i/C (frequencies fall twice as fast)")
def sinusoidal_encoding_half_exponent(T, C, dtype=np.float64):
    a = _angles(T, C, two_i_scale=0.5)
    return _interleave(np.sin(a), np.cos(a), T, C, dtype)


@mistake("13.3", "exponent uses the column index of the cos column too (2i + 1 for odd columns)")
def sinusoidal_encoding_odd_own_index(T, C, dtype=np.float64):
    t = np.arange(T, dtype=np.float64)[:, None]
    col = np.arange(C, dtype=np.float64)
    a = t / 10000.0 ** (col / C)
    pe = np.where(np.arange(C) % 2 == 0, np.sin(a), np.cos(a))
    return pe.astype(dtype)


@mistake("13.3", "all sines first, then all cosines (concatenated, not interleaved)")
def sinusoidal_encoding_concatenated(T, C, dtype=np.float64):
    a = _angles(T, C)
    return np.concatenate([np.sin(a), np.cos(a[:, : C // 2])], axis=1).astype(dtype)


@mistake("13.3", "positions start at 1")
def sinusoidal_encoding_from_one(T, C, dtype=np.float64):
    a = _angles(T, C, start=1)
    return _interleave(np.sin(a), np.cos(a), T, C, dtype)


@mistake("13.3", "ignores dtype: always float64")
def sinusoidal_encoding_no_dtype(T, C, dtype=np.float64):
    a = _angles(T, C)
    return _interleave(np.sin(a), np.cos(a), T, C, np.float64)


# ---------------------------------------------------------------- 13.4 / 13.5 learned positions
@mistake("13.4", "adds the last T rows of P")
def positional_forward(x, P):
    return x + P[P.shape[0] - x.shape[-2]:], P.shape[0]


@mistake("13.4", "upcasts to float64 (x + P.astype(float))")
def positional_forward_upcast(x, P):
    return x + P[: x.shape[-2]].astype(np.float64), P.shape[0]


@mistake("13.5", "dP averaged over the batch instead of summed")
def positional_backward(dout, cache):
    dP = np.zeros((cache, dout.shape[-1]), dtype=dout.dtype)
    dP[: dout.shape[-2]] = dout.mean(axis=0)
    return dout, dP


@mistake("13.5", "dP only as long as the batch: (T, C) instead of (T_max, C)")
def positional_backward_short(dout, cache):
    return dout, dout.sum(axis=0)


@mistake("13.5", "dP from the first example only")
def positional_backward_first(dout, cache):
    dP = np.zeros((cache, dout.shape[-1]), dtype=dout.dtype)
    dP[: dout.shape[-2]] = dout[0]
    return dout, dP


# ---------------------------------------------------------------- 13.6 Embedding.backward
@mistake("13.6", "W.grad replaced instead of accumulated")
def backward(self, dout):
    self.W.grad = reference_embedding_backward(dout, self.cache)


@mistake("13.6", "returns dout as if ids had a gradient")
def backward_returns_dout(self, dout):
    self.W.grad = self.W.grad + reference_embedding_backward(dout, self.cache)
    return dout


# --- adversarial review (chapters 13-17) ---
@mistake("13.2", "np.bincount per column without minlength: dW stops at the largest id that occurs")
def embedding_backward_bincount(dout, cache):
    ids, W = cache
    flat = dout.reshape(-1, dout.shape[-1])
    cols = [np.bincount(ids.ravel(), weights=flat[:, c]) for c in range(flat.shape[1])]
    return np.stack(cols, axis=1).astype(dout.dtype)


@mistake("13.3", "exponent's denominator rounded to an even width (2i / (C - C % 2)): wrong at odd C")
def sinusoidal_encoding_even_denominator(T, C, dtype=np.float64):
    t = np.arange(T, dtype=np.float64)[:, None]
    two_i = np.arange(0, C, 2, dtype=np.float64)
    a = t / 10000.0 ** (two_i / (C - C % 2))
    return _interleave(np.sin(a), np.cos(a), T, C, dtype)


@mistake("13.3", "computed in the requested dtype: float32 angles t * w lose precision at long T")
def sinusoidal_encoding_float32_angles(T, C, dtype=np.float64):
    t = np.arange(T, dtype=dtype)[:, None]
    two_i = np.arange(0, C, 2, dtype=dtype)
    a = t / (np.asarray(10000.0, dtype=dtype) ** (two_i / np.asarray(C, dtype=dtype)))
    pe = np.empty((T, C), dtype=dtype)
    pe[:, 0::2], pe[:, 1::2] = np.sin(a), np.cos(a[:, : C // 2])
    return pe


@mistake("13.4", "T read as x.shape[1]: right only for a 3-D batch (B, T, C)")
def positional_forward_axis1(x, P):
    return x + P[: x.shape[1]], P.shape[0]


@mistake("13.5", "dP sums axis 0 only: right only for a 3-D batch (B, T, C)")
def positional_backward_axis0(dout, cache):
    T, C = dout.shape[-2:]
    dP = np.zeros((cache, C), dtype=dout.dtype)
    dP[:T] = dout.sum(axis=0)
    return dout.copy(), dP


@mistake("13.3", "C // 2 frequencies only: at odd C the last (sin) column stays 0")
def sinusoidal_encoding_floor_pairs(T, C, dtype=np.float64):
    t = np.arange(T, dtype=np.float64)[:, None]
    a = t / 10000.0 ** (2 * np.arange(C // 2) / C)
    pe = np.zeros((T, C))
    pe[:, 0:2 * (C // 2):2], pe[:, 1::2] = np.sin(a), np.cos(a)
    return pe.astype(dtype)
