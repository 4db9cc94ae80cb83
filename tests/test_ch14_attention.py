"""Graded tests for chapter 14 (scaled dot-product attention).

The oracle visits every query row of every leading index with plain loops: it keeps only the
keys the mask allows, takes a softmax of their scores q.k / sqrt(D), and mixes their values; a
row with no allowed key outputs zeros (the chapter's rule). Properties: causality compared with
`==`, permutation equivariance, the 1/sqrt(D) scale, float32 in -> float32 out.
"""

import math

import numpy as np
import pytest


def attention_oracle(q, k, v, mask=None):
    lead, (Tq, D), Tk = q.shape[:-2], q.shape[-2:], k.shape[-2]
    keep_all = np.ones(lead + (Tq, Tk), dtype=bool) if mask is None else np.broadcast_to(mask, lead + (Tq, Tk))
    out, weights = np.zeros(lead + (Tq, v.shape[-1])), np.zeros(lead + (Tq, Tk))
    for idx in np.ndindex(lead):
        for i in range(Tq):
            keys = np.flatnonzero(keep_all[idx + (i,)])
            if keys.size == 0:
                continue  # fully-masked row: weights 0, output 0
            s = np.array([float(np.dot(q[idx + (i,)], k[idx + (j,)])) for j in keys]) / math.sqrt(D)
            e = np.exp(s - s.max())
            weights[idx + (i, keys)] = e / e.sum()
            out[idx + (i,)] = weights[idx + (i, keys)] @ v[idx][keys]
    return out, weights


def tril(T):
    return np.array([[j <= i for j in range(T)] for i in range(T)])


def qkv(rng, lead=(2, 3), Tq=4, Tk=5, D=6, Dv=3):
    return (rng.normal(size=lead + (Tq, D)), rng.normal(size=lead + (Tk, D)), rng.normal(size=lead + (Tk, Dv)))


def padding_mask(B, Tk, lengths):
    return (np.arange(Tk)[None, :] < np.array(lengths)[:, None])[:, None, None, :]  # (B, 1, 1, Tk)


# ---------------------------------------------------------------- 14.1 causal_mask
@pytest.mark.exercise("14.1")
@pytest.mark.parametrize("T", [1, 5])
def test_causal_mask_is_lower_triangle_with_diagonal(kata, check, T):
    mask = kata.causal_mask(T)
    check.true(getattr(mask, "dtype", None) == bool, f"causal_mask({T}) should be a bool array (True = may attend)",
               f"it is {getattr(mask, 'dtype', type(mask).__name__)}")
    check.close(mask, tril(T), f"causal_mask({T}): True where key j <= query i",
                suspects={"the diagonal is hidden: a token must see itself": np.tril(np.ones((T, T)), -1),
                          "True marks the FUTURE: True must mean 'may attend'": ~tril(T),
                          "the mask is transposed (upper triangle)": tril(T).T})


# ---------------------------------------------------------------- 14.2 attention_forward
@pytest.mark.exercise("14.2")
def test_attention_forward_shapes_any_leading_axes(kata, check, rng):
    for lead in [(), (3,), (2, 3)]:
        q, k, v = qkv(rng, lead)
        result = kata.attention_forward(q, k, v)
        check.true(isinstance(result, tuple) and len(result) == 2, "attention_forward should return (out, cache)")
        check.shape(result[0], lead + (4, 3), f"out for q {q.shape}, k {k.shape}, v {v.shape}")
        check.shape(kata.attention_weights(result[1]), lead + (4, 5), "attention_weights(cache) = cache[3]")
    check.raises(ValueError, lambda: kata.attention_forward(q, k[..., :2], v), "attention_forward with k's D != q's D",
                 mentions=("k",))


@pytest.mark.exercise("14.2")
def test_attention_forward_by_hand(kata, check):
    # q = 0: every score is 0, so each query averages the values it may see
    v = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 9.0]])
    out, _ = kata.attention_forward(np.zeros((3, 2)), np.eye(3, 2), v, mask=tril(3))
    future = np.triu(np.ones((3, 3)), 1)
    check.close(out, [[1.0, 2.0], [2.0, 3.0], [3.0, 5.0]], "attention_forward with q = 0 and a causal mask "
                "(row i = mean of v[0..i])", suspects={
                    "the mask is applied AFTER the softmax (zeroed weights no longer sum to 1)": tril(3) / 3 @ v,
                    "the softmax runs over the QUERY axis (-2); it must run over the keys (-1)":
                    tril(3) / np.array([3.0, 2.0, 1.0]) @ v,
                    "True in the mask is treated as 'hide'; True means 'may attend'":
                    future / np.maximum(future.sum(axis=1, keepdims=True), 1) @ v})


@pytest.mark.exercise("14.2")
@pytest.mark.parametrize("masking", ["none", "causal", "padding"])
def test_attention_forward_matches_loops(kata, check, rng, masking):
    q, k, v = qkv(rng, (2, 3), Tq=5, Tk=5)
    mask = {"none": None, "causal": tril(5), "padding": padding_mask(2, 5, [5, 3])}[masking]
    out, cache = kata.attention_forward(q, k, v, mask=mask)
    expected, expected_w = attention_oracle(q, k, v, mask)
    sm = np.exp(q @ k.swapaxes(-1, -2) / math.sqrt(6))
    check.close(kata.attention_weights(cache), expected_w,
                f"attention weights ({masking} mask), each row over the keys",
                suspects={"the scores are not divided by sqrt(D)": attention_oracle(q * math.sqrt(6), k, v, mask)[1],
                          "the softmax runs over the QUERY axis (-2); it must run over the keys (-1)":
                          sm / sm.sum(axis=-2, keepdims=True) * (True if mask is None else mask)})
    check.close(out, expected, f"out of attention_forward ({masking} mask)")


@pytest.mark.exercise("14.2")
def test_attention_scale_gives_unit_variance_scores(kata, check, rng):
    D = 64
    q, k, v = qkv(rng, (4,), Tq=32, Tk=32, D=D)
    w = check.array(kata.attention_weights(kata.attention_forward(q, k, v)[1]), "attention_weights(cache)")
    log_w = np.log(w)
    centred = log_w - log_w.mean(axis=-1, keepdims=True)  # = scores minus their row mean
    var = float((centred ** 2).mean() * 32 / 31)
    check.true(0.85 < var < 1.15, f"score variance for unit-variance q, k with D = {D} is {var:.3g}, expected about 1",
               f"about {D} means the 1/sqrt(D) scale is missing; about {1 / D:.3g} means you divided by D")


@pytest.mark.exercise("14.2")
def test_attention_is_causal_exactly(kata, check, rng):
    q, k, v = qkv(rng, (2,), Tq=6, Tk=6)
    out = check.array(kata.attention_forward(q, k, v, mask=tril(6))[0], "attention_forward")
    q2, k2, v2 = q.copy(), k.copy(), v.copy()
    for a in (q2, k2, v2):
        a[:, 3:] = rng.normal(size=a[:, 3:].shape) * 5  # rewrite the future
    out2 = check.array(kata.attention_forward(q2, k2, v2, mask=tril(6))[0], "attention_forward")
    changed = np.argwhere(out2[:, :3] != out[:, :3])
    check.true(changed.size == 0, "changing tokens 3.. changed an earlier output of causal attention",
               f"first changed entry (b, t, d) = {tuple(changed[0].tolist()) if changed.size else None}",
               "mask BEFORE the softmax (-inf scores): zeroing weights afterwards still lets future keys "
               "into each row's normalizer")


@pytest.mark.exercise("14.2")
def test_attention_fully_masked_row_is_zero(kata, check, rng):
    q, k, v = qkv(rng, (), Tq=3, Tk=4)
    mask = np.array([[True, False, True, False], [False] * 4, [True] * 4])
    out, cache = kata.attention_forward(q, k, v, mask=mask)
    out = check.array(out, "attention_forward")
    check.true(np.all(np.isfinite(out)), "attention_forward returned NaN/inf for a query whose keys are all masked",
               "softmax of a row of -inf is 0/0: give such rows finite scores and zero weights")
    check.close(out[1], np.zeros(3), "output of the fully-masked query row (the rule: all zeros)")
    check.close(kata.attention_weights(cache)[1], np.zeros(4), "weights of the fully-masked query row")
    check.close(out, attention_oracle(q, k, v, mask)[0], "attention_forward with one fully-masked row")


@pytest.mark.exercise("14.2")
def test_attention_forward_large_scores_stay_finite(kata, check, rng):
    # scores of size ~1e3 overflow exp() unless each row's max is subtracted first; one batch entry
    # is ~1e3 times smaller than the other, so a max taken over the whole array fails too
    q, k, v = qkv(rng, (2,), Tq=3, Tk=4, D=4, Dv=2)
    q = q * np.array([30.0, 0.03])[:, None, None]
    k = k * np.array([30.0, 0.03])[:, None, None]
    mask = np.array([[True] * 4, [True, True, False, False], [True] * 4])
    out = check.array(kata.attention_forward(q, k, v, mask=mask)[0], "attention_forward")
    check.true(np.all(np.isfinite(out)), "attention_forward returned NaN/inf for scores of size about 1000",
               "exp(1000) overflows: use chapter 03's softmax_forward (it subtracts each row's max)")
    check.close(out, attention_oracle(q, k, v, mask)[0], "attention_forward with scores of size about 1000")


@pytest.mark.exercise("14.2")
def test_attention_permutation_equivariance(kata, check, rng):
    q, k, v = qkv(rng, (2,), Tq=5, Tk=5)
    perm = rng.permutation(5)
    out = check.array(kata.attention_forward(q, k, v)[0], "attention_forward")
    out_q = kata.attention_forward(q[:, perm], k, v)[0]
    check.close(out_q, out[:, perm], "attention with the queries permuted (outputs permute the same way)")
    out_kv = kata.attention_forward(q, k[:, perm], v[:, perm])[0]
    check.close(out_kv, out, "attention with keys and values permuted together (output unchanged)")


@pytest.mark.exercise("14.2")
def test_attention_forward_float32(kata, check, rng):
    q, k, v = qkv(rng, (2, 2), Tq=6, Tk=6, D=8)
    out64 = check.array(kata.attention_forward(q, k, v, mask=tril(6))[0], "attention_forward")
    out32 = kata.attention_forward(q.astype(np.float32), k.astype(np.float32), v.astype(np.float32), mask=tril(6))[0]
    check.true(getattr(out32, "dtype", None) == np.float32,
               "attention_forward on float32 q, k, v should return float32",
               f"it returned {getattr(out32, 'dtype', type(out32).__name__)}: a float64 constant or array crept in")
    check.close(out32, out64, "attention_forward in float32 vs float64", rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- 14.3 attention_backward
def grads(kata, q, k, v, dout, mask=None):
    return kata.attention_backward(dout, kata.attention_forward(q, k, v, mask=mask)[1])


@pytest.mark.exercise("14.3")
def test_attention_backward_shapes(kata, check, rng):
    q, k, v = qkv(rng, (2, 3), Tq=4, Tk=5, D=6, Dv=3)
    result = grads(kata, q, k, v, rng.normal(size=(2, 3, 4, 3)))
    check.true(isinstance(result, tuple) and len(result) == 3, "attention_backward should return (dq, dk, dv)")
    for name, g, x in zip("qkv", result, (q, k, v)):
        check.shape(g, x.shape, f"d{name} (shaped like {name}: Tq = 4 queries, Tk = 5 keys)")


@pytest.mark.exercise("14.3")
@pytest.mark.parametrize("masking", ["none", "causal+padding"])
def test_attention_backward_gradcheck(kata, check, rng, masking):
    q, k, v = qkv(rng, (2, 2), Tq=4, Tk=4, D=3, Dv=2)
    mask = None if masking == "none" else tril(4) & padding_mask(2, 4, [4, 2])
    dout = rng.normal(size=(2, 2, 4, 2))
    dq, dk, dv = grads(kata, q, k, v, dout, mask)
    check.gradients(lambda q, k, v: attention_oracle(q, k, v, mask)[0], {"q": q, "k": k, "v": v},
                    {"q": dq, "k": dk, "v": dv}, dout, f"attention ({masking} mask), q, k, v: (2, 2, 4, .)")


@pytest.mark.exercise("14.3")
def test_attention_backward_rectangular(kata, check, rng):
    q, k, v = qkv(rng, (2,), Tq=2, Tk=5, D=3, Dv=4)
    dout = rng.normal(size=(2, 2, 4))
    dq, dk, dv = grads(kata, q, k, v, dout)
    check.gradients(lambda q, k, v: attention_oracle(q, k, v)[0], {"q": q, "k": k, "v": v},
                    {"q": dq, "k": dk, "v": dv}, dout, "attention with Tq = 2 queries and Tk = 5 keys")


@pytest.mark.exercise("14.3")
def test_attention_backward_fully_masked_row(kata, check, rng):
    q, k, v = qkv(rng, (), Tq=3, Tk=3, D=2, Dv=2)
    mask = np.array([[True, True, False], [False, False, False], [True, True, True]])
    dout = rng.normal(size=(3, 2))
    dq, dk, dv = (check.array(g, "attention_backward") for g in grads(kata, q, k, v, dout, mask))
    check.true(all(np.all(np.isfinite(g)) for g in (dq, dk, dv)),
               "attention_backward returned NaN/inf with a fully-masked query row")
    check.close(dq[1], np.zeros(2), "dq of the fully-masked query (its output is constant 0)")
    check.gradients(lambda q, k, v: attention_oracle(q, k, v, mask)[0], {"q": q, "k": k, "v": v},
                    {"q": dq, "k": dk, "v": dv}, dout, "attention with a fully-masked row")


@pytest.mark.exercise("14.3")
def test_attention_backward_float32(kata, check, rng):
    q, k, v = qkv(rng, (2, 2), Tq=6, Tk=6, D=8)
    dout = rng.normal(size=(2, 2, 6, 3))
    g64 = [check.array(g, "attention_backward") for g in grads(kata, q, k, v, dout, tril(6))]
    g32 = grads(kata, *(a.astype(np.float32) for a in (q, k, v, dout)), mask=tril(6))
    for name, a, b in zip("qkv", g32, g64):
        check.true(getattr(a, "dtype", None) == np.float32, f"d{name} should be float32 for float32 inputs",
                   f"it is {getattr(a, 'dtype', type(a).__name__)}")
        check.close(a, b, f"d{name} in float32 vs float64", rtol=1e-4, atol=1e-5)
