"""Chapter 14 mistakes: attention as learners really get it wrong."""

import math

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch03_activations import softmax_backward, softmax_forward
from solutions.ch14_attention import attention_backward as reference_backward
from solutions.ch14_attention import attention_forward as reference_forward


# ---------------------------------------------------------------- 14.1 causal_mask
@mistake("14.1", "off by one: the diagonal is hidden (a token cannot see itself)")
def causal_mask(T):
    return np.tril(np.ones((T, T), dtype=bool), k=-1)


@mistake("14.1", "upper triangle: each token sees the future")
def causal_mask_upper(T):
    return np.triu(np.ones((T, T), dtype=bool))


@mistake("14.1", "float 0/1 mask instead of bool")
def causal_mask_float(T):
    return np.tril(np.ones((T, T)))


# ---------------------------------------------------------------- 14.2 attention_forward
def _finish(scores, v, q, k, mask, axis=-1):
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    weights = e / e.sum(axis=axis, keepdims=True)
    return weights @ v, (q, k, v, weights)


@mistake("14.2", "missing 1/sqrt(D) scale")
def attention_forward(q, k, v, mask=None):
    out, cache = reference_forward(q * math.sqrt(q.shape[-1]), k, v, mask)
    return out, (q, k, v, cache[3])


@mistake("14.2", "scaled by 1/D instead of 1/sqrt(D)")
def attention_forward_over_d(q, k, v, mask=None):
    out, cache = reference_forward(q / math.sqrt(q.shape[-1]), k, v, mask)
    return out, (q, k, v, cache[3])


@mistake("14.2", "mask applied after the softmax (weights zeroed, not renormalized)")
def attention_forward_mask_after(q, k, v, mask=None):
    weights = softmax_forward(q @ k.swapaxes(-1, -2) / math.sqrt(q.shape[-1]))[0]
    if mask is not None:
        weights = weights * mask
    return weights @ v, (q, k, v, weights)


@mistake("14.2", "softmax over the query axis (-2) instead of the keys")
def attention_forward_query_axis(q, k, v, mask=None):
    return _finish(q @ k.swapaxes(-1, -2) / math.sqrt(q.shape[-1]), v, q, k, mask, axis=-2)


@mistake("14.2", "-inf fill without the fully-masked-row rule: NaN")
def attention_forward_nan_rows(q, k, v, mask=None):
    with np.errstate(invalid="ignore"):
        return _finish(q @ k.swapaxes(-1, -2) / math.sqrt(q.shape[-1]), v, q, k, mask)


@mistake("14.2", "fills hidden scores with -1e9: a fully-masked row averages every value")
def attention_forward_big_negative(q, k, v, mask=None):
    scores = q @ k.swapaxes(-1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    weights = softmax_forward(scores)[0]
    return weights @ v, (q, k, v, weights)


@mistake("14.2", "mask meaning inverted: True hides")
def attention_forward_inverted_mask(q, k, v, mask=None):
    return reference_forward(q, k, v, None if mask is None else ~mask)


@mistake("14.2", "k.T instead of k.swapaxes(-1, -2): with leading axes .T reverses them too")
def attention_forward_dot_T(q, k, v, mask=None):
    return _finish(q @ k.T / math.sqrt(q.shape[-1]), v, q, k, mask)


@mistake("14.2", "computes in float64 whatever the input dtype (float32 in, float64 out)")
def attention_forward_upcast(q, k, v, mask=None):
    return reference_forward(q.astype(np.float64), k.astype(np.float64), v.astype(np.float64), mask)


# ---------------------------------------------------------------- 14.3 attention_backward
@mistake("14.3", "forgets the 1/sqrt(D) factor in dq and dk")
def attention_backward(dout, cache):
    dq, dk, dv = reference_backward(dout, cache)
    s = math.sqrt(cache[0].shape[-1])
    return dq * s, dk * s, dv


@mistake("14.3", "softmax backward taken elementwise: w * (1 - w), no row-sum term")
def attention_backward_elementwise_softmax(dout, cache):
    q, k, v, weights = cache
    scale = 1.0 / math.sqrt(q.shape[-1])
    dweights = dout @ v.swapaxes(-1, -2)
    dscores = dweights * weights * (1 - weights)
    return (dscores @ k) * scale, (dscores.swapaxes(-1, -2) @ q) * scale, weights.swapaxes(-1, -2) @ dout


@mistake("14.3", "dk from dscores without the transpose (dscores @ q)")
def attention_backward_dk_no_transpose(dout, cache):
    q, k, v, weights = cache
    dq, _, dv = reference_backward(dout, cache)
    dscores = softmax_backward(dout @ v.swapaxes(-1, -2), weights)
    return dq, (dscores @ q) / math.sqrt(q.shape[-1]), dv


@mistake("14.3", "dv = weights @ dout (no transpose)")
def attention_backward_dv_no_transpose(dout, cache):
    q, k, v, weights = cache
    dq, dk, _ = reference_backward(dout, cache)
    return dq, dk, weights @ dout


@mistake("14.3", "gradients computed in float64 whatever the input dtype")
def attention_backward_upcast(dout, cache):
    return reference_backward(dout.astype(np.float64), tuple(a.astype(np.float64) for a in cache))


# --- adversarial review (chapters 13-17) ---
def _scores(q, k, mask):
    s = (q @ k.swapaxes(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is None:
        return s, None
    has_key = mask.any(axis=-1, keepdims=True)
    return np.where(mask | ~has_key, s, -np.inf), has_key


@mistake("14.2", "own softmax without max-subtraction: exp overflows at large scores (inf / inf = NaN)")
def attention_forward_naive_softmax(q, k, v, mask=None):
    s, has_key = _scores(q, k, mask)
    e = np.exp(s)
    w = e / e.sum(axis=-1, keepdims=True)
    if has_key is not None:
        w = w * has_key
    return w @ v, (q, k, v, w)


@mistake("14.2", "softmax shifted by the max of the WHOLE array, not of each row: rows far below it underflow")
def attention_forward_global_max(q, k, v, mask=None):
    s, has_key = _scores(q, k, mask)
    e = np.exp(s - np.max(s))
    w = e / e.sum(axis=-1, keepdims=True)
    if has_key is not None:
        w = np.nan_to_num(w * has_key)
    return w @ v, (q, k, v, w)


@mistake("14.2", "scaled by 1/sqrt(Dv), the value width, instead of 1/sqrt(D)")
def attention_forward_sqrt_dv(q, k, v, mask=None):
    return reference_forward(q * math.sqrt(q.shape[-1] / v.shape[-1]), k, v, mask)


@mistake("14.3", "dq and dk scaled by 1/sqrt(Dv) instead of 1/sqrt(D)")
def attention_backward_sqrt_dv(dout, cache):
    q, k, v, w = cache
    dq, dk, dv = reference_backward(dout, cache)
    f = math.sqrt(q.shape[-1] / v.shape[-1])
    return dq * f, dk * f, dv


@mistake("14.2", "fully-masked rows looked for along the query axis (mask.any(axis=-2))")
def attention_forward_rule_wrong_axis(q, k, v, mask=None):
    s = (q @ k.swapaxes(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        has_key = np.broadcast_to(mask, s.shape).any(axis=-2, keepdims=True)
        s = np.where(mask | ~has_key, s, -np.inf)
    w, _ = softmax_forward(s)
    if mask is not None:
        w = w * has_key
    return w @ v, (q, k, v, w)


@mistake("14.3", "softmax backward's row sum taken over the query axis (-2)")
def attention_backward_rowsum_axis(dout, cache):
    q, k, v, w = cache
    scale = 1.0 / math.sqrt(q.shape[-1])
    dv = w.swapaxes(-1, -2) @ dout
    dw = dout @ v.swapaxes(-1, -2)
    ds = w * (dw - (dw * w).sum(axis=-2, keepdims=True))
    return (ds @ k) * scale, (ds.swapaxes(-1, -2) @ q) * scale, dv
