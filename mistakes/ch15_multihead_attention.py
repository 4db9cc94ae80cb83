"""Chapter 15 mistakes: multi-head attention as learners really get it wrong."""

import math

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch14_attention import attention_backward, attention_forward
from solutions.ch15_multihead_attention import merge_heads as reference_merge
from solutions.ch15_multihead_attention import mha_backward as reference_backward
from solutions.ch15_multihead_attention import mha_forward as reference_forward
from solutions.ch15_multihead_attention import split_heads as reference_split


# ---------------------------------------------------------------- 15.1 / 15.2 split and merge
@mistake("15.1", "reshape straight to (B, H, T, Dh): no transpose, tokens mixed across heads")
def split_heads(x, n_heads):
    B, T, C = x.shape
    return x.reshape(B, n_heads, T, C // n_heads)


@mistake("15.1", "reshape to (B, T, Dh, H): column c goes to head c % H (strided heads)")
def split_heads_strided(x, n_heads):
    B, T, C = x.shape
    return x.reshape(B, T, C // n_heads, n_heads).transpose(0, 3, 1, 2)


@mistake("15.2", "heads merged without the transpose")
def merge_heads(x):
    B, H, T, Dh = x.shape
    return x.reshape(B, T, H * Dh)


@mistake("15.2", "transpose(0, 2, 3, 1) before the reshape: columns interleaved across heads")
def merge_heads_interleaved(x):
    B, H, T, Dh = x.shape
    return x.transpose(0, 2, 3, 1).reshape(B, T, H * Dh)


# ---------------------------------------------------------------- 15.3 mha_forward
def _heads_forward(x, params, n_heads, mask, split, merge, q_scale=1.0):
    q = split(x @ params["Wq"] * q_scale + params["bq"] * q_scale, n_heads)
    k = split(x @ params["Wk"] + params["bk"], n_heads)
    v = split(x @ params["Wv"] + params["bv"], n_heads)
    heads, attn_cache = attention_forward(q, k, v, mask)
    merged = merge(heads)
    return merged @ params["Wo"] + params["bo"], (x, params, n_heads, attn_cache, merged)


@mistake("15.3", "heads merged without the transpose (reshape straight back to (B, T, C))")
def mha_forward(x, params, n_heads, mask=None):
    B, T, C = x.shape
    return _heads_forward(x, params, n_heads, mask, reference_split,
                          lambda h: h.reshape(B, T, C))


@mistake("15.3", "scores scaled by 1/sqrt(C) instead of 1/sqrt(Dh)")
def mha_forward_model_scale(x, params, n_heads, mask=None):
    return _heads_forward(x, params, n_heads, mask, reference_split, reference_merge,
                          q_scale=1.0 / math.sqrt(n_heads))


@mistake("15.3", "no output projection: returns the merged heads")
def mha_forward_no_out_proj(x, params, n_heads, mask=None):
    out, cache = reference_forward(x, params, n_heads, mask)
    return cache[4], cache


@mistake("15.3", "the mask is dropped (never passed to attention)")
def mha_forward_no_mask(x, params, n_heads, mask=None):
    return reference_forward(x, params, n_heads, None)


@mistake("15.3", "the same projection Wq used for queries and keys")
def mha_forward_shared_qk(x, params, n_heads, mask=None):
    return reference_forward(x, {**params, "Wk": params["Wq"], "bk": params["bq"]}, n_heads, mask)


# ---------------------------------------------------------------- 15.4 mha_backward
@mistake("15.4", "dx only through the query path (x is used three times)")
def mha_backward(dout, cache):
    x, params, n_heads, attn_cache, merged = cache
    dx, grads = reference_backward(dout, cache)
    zero_kv = {**params, "Wk": 0 * params["Wk"], "Wv": 0 * params["Wv"]}
    dx_q, _ = reference_backward(dout, (x, zero_kv, n_heads, attn_cache, merged))
    return dx_q, grads


@mistake("15.4", "dWo = merged^T dout of the first example only")
def mha_backward_first_example(dout, cache):
    dx, grads = reference_backward(dout, cache)
    merged = cache[4]
    return dx, {**grads, "Wo": merged[0].T @ dout[0]}


@mistake("15.4", "bias gradients summed over the batch axis only: (T, C)")
def mha_backward_bias_axis0(dout, cache):
    dx, grads = reference_backward(dout, cache)
    return dx, {**grads, "bo": dout.sum(axis=0)}


@mistake("15.4", "dmerged split into heads with a bare reshape (no transpose)")
def mha_backward_split_no_transpose(dout, cache):
    x, params, n_heads, attn_cache, merged = cache
    B, T, C = x.shape
    grads = {"Wo": merged.reshape(-1, C).T @ dout.reshape(-1, C), "bo": dout.sum(axis=(0, 1))}
    dheads = (dout @ params["Wo"].T).reshape(B, n_heads, T, C // n_heads)
    dq, dk, dv = attention_backward(dheads, attn_cache)
    dx = np.zeros_like(x)
    for name, d_heads in (("q", dq), ("k", dk), ("v", dv)):
        d = reference_merge(d_heads)
        grads["W" + name] = x.reshape(-1, C).T @ d.reshape(-1, C)
        grads["b" + name] = d.sum(axis=(0, 1))
        dx = dx + d @ params["W" + name].T
    return dx, grads


@mistake("15.4", "computes in float64 whatever the input dtype")
def mha_backward_upcast(dout, cache):
    x, params, n_heads, attn_cache, merged = cache
    as64 = tuple(a.astype(np.float64) for a in attn_cache)
    params64 = {n: a.astype(np.float64) for n, a in params.items()}
    return reference_backward(dout.astype(np.float64),
                              (x.astype(np.float64), params64, n_heads, as64, merged.astype(np.float64)))


# ---------------------------------------------------------------- 15.5 MultiHeadAttention.backward
@mistake("15.5", "Parameter .grad replaced instead of accumulated")
def backward(self, dout):
    dx, grads = reference_backward(dout, self.cache)
    for name, grad in grads.items():
        getattr(self, name).grad = grad
    return dx


@mistake("15.5", "returns dout instead of dx")
def backward_returns_dout(self, dout):
    dx, grads = reference_backward(dout, self.cache)
    for name, grad in grads.items():
        param = getattr(self, name)
        param.grad = param.grad + grad
    return dout


# --- adversarial review (chapters 13-17) ---
@mistake("15.1", "reshape of one sequence (T, H, Dh) with a batch axis added: right only when B == 1")
def split_heads_batch_one(x, n_heads):
    B, T, C = x.shape
    return x.reshape(B * T, n_heads, C // n_heads).transpose(1, 0, 2).reshape(B, n_heads, T, C // n_heads)


@mistake("15.3", "the mask is expanded with mask[None, None]: right for a (T, T) mask, not for (B, 1, 1, T)")
def mha_forward_mask_2d_only(x, params, n_heads, mask=None):
    if mask is not None:
        mask = mask[None, None]  # (1, 1, T, T) for a causal mask; 6-D for a padding mask
    return reference_forward(x, params, n_heads, mask)


@mistake("15.4", "dWo from merged.reshape(C, -1) (a reshape, not a transpose, of the rows)")
def mha_backward_reshape_not_transpose(dout, cache):
    dx, grads = reference_backward(dout, cache)
    x, params, n_heads, attn_cache, merged = cache
    C = x.shape[-1]
    grads["Wo"] = merged.reshape(C, -1) @ dout.reshape(-1, C)
    return dx, grads


@mistake("15.4", "dWq, dWk, dWv from the head-shaped gradients reshaped to (B*T, C) without merging")
def mha_backward_unmerged(dout, cache):
    dx, grads = reference_backward(dout, cache)
    x, params, n_heads, attn_cache, merged = cache
    C = x.shape[-1]
    dq, dk, dv = attention_backward(reference_split(dout @ params["Wo"].T, n_heads), attn_cache)
    for name, d in (("q", dq), ("k", dk), ("v", dv)):
        grads["W" + name] = x.reshape(-1, C).T @ d.reshape(-1, C)
    return dx, grads


@mistake("15.4", "dWo computed as dout^T @ merged: the transpose of the right gradient")
def mha_backward_dwo_transposed(dout, cache):
    dx, grads = reference_backward(dout, cache)
    merged, C = cache[4], cache[0].shape[-1]
    grads["Wo"] = dout.reshape(-1, C).T @ merged.reshape(-1, C)
    return dx, grads


# (keys getting the query bias, x @ Wk + bq, is NOT catalogued: a key bias adds q . bk to every score
# of a row, which the softmax cancels, so no output can tell; dbk is exactly 0 either way)
@mistake("15.3", "copy-paste slip: values get the key bias (x @ Wv + bk)")
def mha_forward_value_bias_typo(x, params, n_heads, mask=None):
    return reference_forward(x, {**params, "bv": params["bk"]}, n_heads, mask)


@mistake("15.4", "copy-paste slip: dbk is the sum of the QUERY gradient")
def mha_backward_bias_typo(dout, cache):
    dx, grads = reference_backward(dout, cache)
    x, params, n_heads, attn_cache, merged = cache
    dq = attention_backward(reference_split(dout @ params["Wo"].T, n_heads), attn_cache)[0]
    grads["bk"] = reference_merge(dq).sum(axis=(0, 1))
    return dx, grads
