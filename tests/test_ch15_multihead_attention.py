"""Graded tests for chapter 15 (multi-head attention).

The oracle runs the heads one after another with explicit column slices: head h uses columns
h*Dh .. (h+1)*Dh - 1 of the projected q, k, v, its own softmax(q k^T / sqrt(Dh)) and writes the
same columns of the merged output. Gradient checks cover x and all eight parameters with a
random upstream gradient; causality is compared with `==`.
"""

import math

import numpy as np
import pytest

NAMES = ("Wq", "bq", "Wk", "bk", "Wv", "bv", "Wo", "bo")


def make_params(rng, C, scale=0.5):
    return {n: rng.normal(size=(C, C) if n[0] == "W" else (C,)) * scale for n in NAMES}


def head_oracle(q, k, v, mask):  # one head, (B, T, Dh)
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def mha_oracle(x, p, H, mask=None, naive_merge=False):
    B, T, C = x.shape
    Dh = C // H
    q, k, v = (x @ p["W" + n] + p["b" + n] for n in "qkv")
    heads = np.zeros((B, H, T, Dh))
    for h in range(H):
        cols = slice(h * Dh, (h + 1) * Dh)
        heads[:, h] = head_oracle(q[..., cols], k[..., cols], v[..., cols], mask)
    merged = np.zeros_like(q)
    for h in range(H):
        merged[..., h * Dh:(h + 1) * Dh] = heads[:, h]
    if naive_merge:  # only to recognise the classic bug in messages
        merged = heads.reshape(B, T, C)
    return merged @ p["Wo"] + p["bo"]


def tril(T):
    return np.array([[j <= i for j in range(T)] for i in range(T)])


# ---------------------------------------------------------------- 15.1 split_heads
def split_oracle(x, H):
    B, T, C = x.shape
    Dh = C // H
    out = np.zeros((B, H, T, Dh))
    for b, h, t, d in np.ndindex(B, H, T, Dh):
        out[b, h, t, d] = x[b, t, h * Dh + d]
    return out


@pytest.mark.exercise("15.1")
def test_split_heads_values(kata, check, rng):
    x = rng.normal(size=(2, 5, 6))
    out = check.shape(kata.split_heads(x, 3), (2, 3, 5, 2), "split_heads(x: (2, 5, 6), n_heads=3)")
    check.close(out, split_oracle(x, 3), "split_heads: out[b, h, t, :] = x[b, t, h*Dh:(h+1)*Dh]",
                suspects={"x is reshaped straight to (B, H, T, Dh): the transpose of T and H is missing":
                          x.reshape(2, 3, 5, 2)})
    check.raises(ValueError, lambda: kata.split_heads(x, 4), "split_heads with C = 6 and n_heads = 4",
                 mentions=("n_heads",))


@pytest.mark.exercise("15.1")
def test_split_heads_keeps_dtype(kata, check, rng):
    x = rng.normal(size=(1, 4, 8)).astype(np.float32)
    out = kata.split_heads(x, 2)
    check.true(getattr(out, "dtype", None) == np.float32, "split_heads should keep float32")
    check.close(out, split_oracle(x, 2), "split_heads in float32 with 2 heads")


# ---------------------------------------------------------------- 15.2 merge_heads
@pytest.mark.exercise("15.2")
def test_merge_heads_values_and_round_trip(kata, check, rng):
    heads = rng.normal(size=(2, 3, 5, 2))
    expected = np.zeros((2, 5, 6))
    for b, h, t, d in np.ndindex(2, 3, 5, 2):
        expected[b, t, h * 2 + d] = heads[b, h, t, d]
    merged = check.shape(kata.merge_heads(heads), (2, 5, 6), "merge_heads(x: (2, 3, 5, 2))")
    check.close(merged, expected, "merge_heads: out[b, t, h*Dh:(h+1)*Dh] = x[b, h, t, :]",
                suspects={"x is reshaped straight to (B, T, C): the transpose back is missing":
                          heads.reshape(2, 5, 6)})
    x = rng.normal(size=(3, 4, 8)).astype(np.float32)
    back = kata.merge_heads(split_oracle(x, 4).astype(np.float32))
    check.true(getattr(back, "dtype", None) == np.float32, "merge_heads should keep float32")
    check.close(back, x, "merge_heads(split of x) (must give x back exactly)")


# ---------------------------------------------------------------- 15.3 mha_forward
@pytest.mark.exercise("15.3")
@pytest.mark.parametrize("causal", [False, True])
def test_mha_forward_matches_heads_one_by_one(kata, check, rng, causal):
    x, p = rng.normal(size=(2, 5, 6)), make_params(rng, 6)
    mask = tril(5) if causal else None
    result = kata.mha_forward(x, p, 3, mask=mask)
    check.true(isinstance(result, tuple) and len(result) == 2, "mha_forward should return (out, cache)")
    one_scale = {**p, "Wq": p["Wq"] / math.sqrt(3), "bq": p["bq"] / math.sqrt(3)}  # 1/sqrt(C), not 1/sqrt(Dh)
    suspects = {"the scores are scaled by 1/sqrt(C); each head uses 1/sqrt(Dh), Dh = C / H":
                mha_oracle(x, one_scale, 3, mask),
                "the heads are merged with a bare reshape: transpose (B, H, T, Dh) -> (B, T, H, Dh) first":
                mha_oracle(x, p, 3, mask, naive_merge=True),
                "the output projection Wo, bo is missing":
                mha_oracle(x, {**p, "Wo": np.eye(6), "bo": np.zeros(6)}, 3, mask)}
    if causal:
        suspects["the mask is not passed on to the attention"] = mha_oracle(x, p, 3, None)
    check.close(result[0], mha_oracle(x, p, 3, mask), f"mha_forward with 3 heads ({'causal' if causal else 'no'} mask)",
                suspects=suspects)


@pytest.mark.exercise("15.3")
def test_mha_forward_padding_mask(kata, check, rng):
    # a (B, 1, 1, T) padding mask broadcasts over heads and queries as it is: no reshaping
    x, p = rng.normal(size=(2, 5, 6)), make_params(rng, 6)
    lengths = np.array([5, 2])
    pad = (np.arange(5)[None, :] < lengths[:, None])[:, None, None, :]  # (B, 1, 1, T)
    out = check.array(kata.mha_forward(x, p, 3, mask=pad)[0], "mha_forward with a (2, 1, 1, 5) padding mask")
    check.close(out, mha_oracle(x, p, 3, pad[:, 0]), "mha_forward with a padding mask (B, 1, 1, T): "
                "example 1 may attend to its first 2 tokens only",
                suspects={"the mask is not passed on to the attention": mha_oracle(x, p, 3, None)})


@pytest.mark.exercise("15.3")
def test_mha_one_head_is_single_head_attention(kata, check, rng):
    x, p = rng.normal(size=(2, 4, 5)), make_params(rng, 5)
    q, k, v = (x @ p["W" + n] + p["b" + n] for n in "qkv")
    expected = head_oracle(q, k, v, None) @ p["Wo"] + p["bo"]
    check.close(kata.mha_forward(x, p, 1)[0], expected,
                "mha_forward with n_heads = 1 (must equal softmax(q k^T / sqrt(C)) v, then Wo, bo)")


@pytest.mark.exercise("15.3")
def test_mha_heads_are_independent(kata, check, rng):
    # With Wo = I and bo = 0 the output IS the merged heads: changing head 1's query weights
    # may change only head 1's columns 2..3.
    x, p = rng.normal(size=(2, 4, 6)), make_params(rng, 6)
    p["Wo"], p["bo"] = np.eye(6), np.zeros(6)
    out = check.array(kata.mha_forward(x, p, 3)[0], "mha_forward")
    p2 = {**p, "Wq": p["Wq"].copy()}
    p2["Wq"][:, 2:4] += rng.normal(size=(6, 2))
    out2 = check.array(kata.mha_forward(x, p2, 3)[0], "mha_forward")
    others = np.r_[0:2, 4:6]
    check.true(np.array_equal(out2[..., others], out[..., others]),
               "changing head 1's query weights changed the output columns of heads 0 and 2",
               "heads must not mix: split with reshape to (B, T, H, Dh) THEN transpose, and merge in reverse")
    check.true(not np.allclose(out2[..., 2:4], out[..., 2:4]), "head 1's output did not react to its own query weights")


@pytest.mark.exercise("15.3")
def test_mha_causal_exactly_and_permutation_equivariant(kata, check, rng):
    x, p = rng.normal(size=(2, 6, 4)), make_params(rng, 4)
    out = check.array(kata.mha_forward(x, p, 2, mask=tril(6))[0], "mha_forward")
    x2 = x.copy()
    x2[:, 4:] = rng.normal(size=(2, 2, 4)) * 3
    out2 = check.array(kata.mha_forward(x2, p, 2, mask=tril(6))[0], "mha_forward")
    check.true(np.array_equal(out2[:, :4], out[:, :4]),
               "causal multi-head attention: changing tokens 4, 5 changed an earlier output")
    perm = rng.permutation(6)
    free = check.array(kata.mha_forward(x, p, 2)[0], "mha_forward")
    check.close(kata.mha_forward(x[:, perm], p, 2)[0], free[:, perm],
                "mha_forward without mask on permuted tokens (outputs permute the same way)")


@pytest.mark.exercise("15.3")
def test_mha_forward_float32(kata, check, rng):
    x, p = rng.normal(size=(2, 5, 8)), make_params(rng, 8)
    out64 = check.array(kata.mha_forward(x, p, 2, mask=tril(5))[0], "mha_forward")
    out32 = kata.mha_forward(x.astype(np.float32), {n: a.astype(np.float32) for n, a in p.items()}, 2, mask=tril(5))[0]
    check.true(getattr(out32, "dtype", None) == np.float32, "mha_forward on float32 x and params should return float32",
               f"it returned {getattr(out32, 'dtype', type(out32).__name__)}")
    check.close(out32, out64, "mha_forward in float32 vs float64", rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- 15.4 mha_backward
@pytest.mark.exercise("15.4")
def test_mha_backward_gradcheck(kata, check, rng):
    x, p = rng.normal(size=(2, 3, 4)), make_params(rng, 4)
    dout = rng.normal(size=(2, 3, 4))
    result = kata.mha_backward(dout, kata.mha_forward(x, p, 2, mask=tril(3))[1])
    check.true(isinstance(result, tuple) and len(result) == 2, "mha_backward should return (dx, grads)")
    dx, grads = result
    check.true(isinstance(grads, dict) and set(grads) == set(NAMES),
               f"grads should be a dict with the keys {', '.join(NAMES)}",
               f"got {sorted(grads) if isinstance(grads, dict) else type(grads).__name__}")
    check.gradients(lambda x, **q: mha_oracle(x, q, 2, tril(3)), {"x": x, **p}, {"x": dx, **grads}, dout,
                    "multi-head attention (B=2, T=3, C=4, H=2, causal)")


@pytest.mark.exercise("15.4")
def test_mha_backward_three_heads_no_mask(kata, check, rng):
    x, p = rng.normal(size=(1, 4, 6)), make_params(rng, 6)
    dout = rng.normal(size=(1, 4, 6))
    dx, grads = kata.mha_backward(dout, kata.mha_forward(x, p, 3)[1])
    subset = {n: p[n] for n in ("Wq", "Wk", "bv")}
    check.gradients(lambda x, **q: mha_oracle(x, {**p, **q}, 3), {"x": x, **subset},
                    {"x": dx, **{n: grads[n] for n in subset}}, dout, "multi-head attention (3 heads, no mask)")


@pytest.mark.exercise("15.4")
def test_mha_backward_float32(kata, check, rng):
    x, p, dout = rng.normal(size=(2, 5, 8)), make_params(rng, 8), rng.normal(size=(2, 5, 8))
    dx64, g64 = kata.mha_backward(dout, kata.mha_forward(x, p, 2, mask=tril(5))[1])
    p32 = {n: a.astype(np.float32) for n, a in p.items()}
    dx32, g32 = kata.mha_backward(dout.astype(np.float32),
                                  kata.mha_forward(x.astype(np.float32), p32, 2, mask=tril(5))[1])
    for name, a, b in [("x", dx32, dx64)] + [(n, g32[n], g64[n]) for n in NAMES]:
        check.true(getattr(a, "dtype", None) == np.float32, f"d{name} should be float32 for float32 inputs",
                   f"it is {getattr(a, 'dtype', type(a).__name__)}")
        check.close(a, b, f"d{name} in float32 vs float64", rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- 15.5 MultiHeadAttention.backward
@pytest.mark.exercise("15.5")
def test_mha_module_backward(kata, check, rng):
    layer = kata.MultiHeadAttention(4, 2, np.random.default_rng(0))
    x, dout = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 3, 4))
    layer.forward(x, mask=tril(3))
    check.shape(layer.weights, (2, 2, 3, 3), "MultiHeadAttention.weights after forward (B, H, T, T)")
    dx = layer.backward(dout)
    p = {n: getattr(layer, n).data for n in NAMES}
    check.gradients(lambda x, **q: mha_oracle(x, q, 2, tril(3)), {"x": x, **p},
                    {"x": dx, **{n: getattr(layer, n).grad for n in NAMES}}, dout,
                    "MultiHeadAttention (dx returned, each Parameter's .grad filled)")


@pytest.mark.exercise("15.5")
def test_mha_module_backward_accumulates(kata, check, rng):
    layer = kata.MultiHeadAttention(4, 2, np.random.default_rng(1))
    x, dout = rng.normal(size=(1, 3, 4)), rng.normal(size=(1, 3, 4))
    layer.forward(x)
    layer.backward(dout)
    once = {n: np.array(getattr(layer, n).grad, dtype=float) for n in NAMES}
    layer.forward(x)
    layer.backward(dout)
    for n in NAMES:
        check.close(getattr(layer, n).grad, 2 * once[n],
                    f"{n}.grad after two identical backward passes (add into .grad, do not replace it)",
                    suspects={"the .grad is replaced instead of accumulated (use param.grad + grad)": once[n]})
