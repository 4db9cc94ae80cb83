"""Graded tests for chapter 13 (embeddings and positions).

Oracles are written out here with loops and the math module: a gather row by row, a scatter
that visits every (b, t) once, and the sinusoid PE[t, 2i] = sin(t / 10000^(2i/C)),
PE[t, 2i + 1] = cos(t / 10000^(2i/C)). Gradient checks use a random upstream gradient.
"""

import math

import numpy as np
import pytest

V, C = 6, 4


def gather_oracle(ids, W):
    out = np.zeros(ids.shape + (W.shape[1],))
    for index in np.ndindex(ids.shape):
        out[index] = W[ids[index]]
    return out


def scatter_oracle(ids, dout, V):
    dW = np.zeros((V, dout.shape[-1]))
    for index in np.ndindex(ids.shape):
        dW[ids[index]] += dout[index]  # one scalar row at a time: every occurrence counts
    return dW


def pe_oracle(T, C):
    pe = np.zeros((T, C))
    for t in range(T):
        for col in range(C):
            two_i = col - col % 2
            angle = t / 10000.0 ** (two_i / C)
            pe[t, col] = math.sin(angle) if col % 2 == 0 else math.cos(angle)
    return pe


def repeated_ids():
    return np.array([[1, 1, 4], [1, 0, 4]])  # id 1 three times, id 4 twice, 2, 3, 5 never


# ---------------------------------------------------------------- 13.1 embedding_forward
@pytest.mark.exercise("13.1")
def test_embedding_forward_shapes(kata, check, rng):
    W = rng.normal(size=(V, C))
    for ids in [rng.integers(0, V, size=(2, 3)), rng.integers(0, V, size=(5,))]:
        result = kata.embedding_forward(ids, W)
        check.true(isinstance(result, tuple) and len(result) == 2,
                   "embedding_forward should return a pair (out, cache)")
        check.shape(result[0], ids.shape + (C,), f"out of embedding_forward for ids {ids.shape}, W {W.shape}")
    check.raises(ValueError, lambda: kata.embedding_forward(np.array([[0, V]]), W),
                 f"embedding_forward with an id equal to V = {V}", mentions=("ids",))


@pytest.mark.exercise("13.1")
def test_embedding_forward_picks_rows(kata, check, rng):
    W, ids = rng.normal(size=(V, C)), repeated_ids()
    out, _ = kata.embedding_forward(ids, W)
    check.close(out, gather_oracle(ids, W), "embedding_forward(ids, W): out[b, t] = W[ids[b, t]]")


@pytest.mark.exercise("13.1")
def test_embedding_forward_keeps_float32(kata, check, rng):
    W = rng.normal(size=(V, C))
    ids = rng.integers(0, V, size=(3, 5))
    out32 = kata.embedding_forward(ids, W.astype(np.float32))[0]
    check.true(getattr(out32, "dtype", None) == np.float32,
               "embedding_forward on a float32 table should return float32",
               f"it returned {getattr(out32, 'dtype', type(out32).__name__)}")
    check.close(out32, gather_oracle(ids, W.astype(np.float32)), "embedding_forward in float32")


# ---------------------------------------------------------------- 13.2 embedding_backward
def emb_grad(kata, ids, W, dout):
    return kata.embedding_backward(dout, kata.embedding_forward(ids, W)[1])


@pytest.mark.exercise("13.2")
def test_embedding_backward_shape_and_unused_rows(kata, check, rng):
    ids, W = repeated_ids(), rng.normal(size=(V, C))
    dW = check.shape(emb_grad(kata, ids, W, rng.normal(size=(2, 3, C))), (V, C),
                     "embedding_backward (dW has the table's shape (V, C))")
    check.close(dW[[2, 3, 5]], np.zeros((3, C)), "rows 2, 3, 5 of dW (ids that never occur)")


@pytest.mark.exercise("13.2")
def test_embedding_backward_repeated_ids_accumulate(kata, check, rng):
    ids, W = repeated_ids(), rng.normal(size=(V, C))
    dout = rng.normal(size=(2, 3, C))
    buffered = np.zeros((V, C))
    buffered[ids] += dout  # the classic bug, kept here only to recognise it
    check.close(emb_grad(kata, ids, W, dout), scatter_oracle(ids, dout, V),
                "dW when id 1 occurs three times and id 4 twice (each occurrence adds its gradient)",
                suspects={"`dW[ids] += dout` is used: fancy-index += is buffered, so a repeated id "
                          "keeps one gradient; use np.add.at": buffered})


@pytest.mark.exercise("13.2")
def test_embedding_backward_gradcheck(kata, check, rng):
    ids, W = rng.integers(0, V, size=(3, 4)), rng.normal(size=(V, C))
    dout = rng.normal(size=(3, 4, C))
    dW = emb_grad(kata, ids, W, dout)
    check.gradients(lambda W: gather_oracle(ids, W), {"W": W}, {"W": dW}, dout,
                    "the embedding lookup W[ids] with ids (3, 4)")


@pytest.mark.exercise("13.2")
def test_embedding_backward_keeps_float32(kata, check, rng):
    ids, W = repeated_ids(), rng.normal(size=(V, C)).astype(np.float32)
    dout = rng.normal(size=(2, 3, C)).astype(np.float32)
    dW = emb_grad(kata, ids, W, dout)
    check.true(getattr(dW, "dtype", None) == np.float32,
               "embedding_backward with a float32 table and dout should return float32",
               f"it returned {getattr(dW, 'dtype', type(dW).__name__)}")
    check.close(dW, scatter_oracle(ids, dout.astype(np.float64), V), "dW in float32",
                rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- 13.3 sinusoidal_encoding
@pytest.mark.exercise("13.3")
def test_sinusoidal_shape_and_first_row(kata, check):
    pe = check.shape(kata.sinusoidal_encoding(5, 6), (5, 6), "sinusoidal_encoding(5, 6)")
    check.close(pe[0], [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
                "row t = 0 of sinusoidal_encoding(5, 6): sin(0) = 0 in even columns, cos(0) = 1 in odd ones",
                suspects={"sin and cos are swapped (sin belongs in the EVEN columns 2i)": [1.0, 0.0] * 3,
                          "the positions start at 1 instead of 0": pe_oracle(2, 6)[1]})


@pytest.mark.exercise("13.3")
@pytest.mark.parametrize("C_pe", [8, 7])
def test_sinusoidal_matches_formula(kata, check, C_pe):
    pe = kata.sinusoidal_encoding(50, C_pe)
    half_blocks = np.concatenate([np.sin(np.arange(50)[:, None] / 10000.0 ** (2 * np.arange(C_pe // 2) / C_pe)),
                                  np.cos(np.arange(50)[:, None] / 10000.0 ** (2 * np.arange(C_pe // 2) / C_pe))],
                                 axis=1)
    check.close(pe, pe_oracle(50, C_pe),
                f"sinusoidal_encoding(50, {C_pe}): PE[t, 2i] = sin(t / 10000^(2i/C)), PE[t, 2i+1] = cos(same)",
                suspects={"all sines come first and all cosines second; this course interleaves them "
                          "(sin in column 2i, cos in column 2i + 1)": half_blocks})


@pytest.mark.exercise("13.3")
def test_sinusoidal_pairs_lie_on_circles_and_encode_offsets(kata, check):
    pe = check.array(kata.sinusoidal_encoding(40, 8), "sinusoidal_encoding(40, 8)")
    check.close(pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2, np.ones((40, 4)),
                "sin^2 + cos^2 of each column pair (2i, 2i + 1): both must use the same angle")
    # <PE[t], PE[t + k]> = sum_i cos(k * w_i) depends on the offset k only, not on t
    dots = (pe[:-3] * pe[3:]).sum(axis=1)
    check.close(dots, np.full(37, dots[0]), "<PE[t], PE[t + 3]> for every t (depends only on the offset)")


@pytest.mark.exercise("13.3")
def test_sinusoidal_dtype(kata, check):
    pe32 = kata.sinusoidal_encoding(6, 4, dtype=np.float32)
    pe64 = kata.sinusoidal_encoding(6, 4)
    for pe, want in [(pe32, np.float32), (pe64, np.float64)]:
        check.true(getattr(pe, "dtype", None) == want, f"sinusoidal_encoding should return {want.__name__}",
                   f"it returned {getattr(pe, 'dtype', type(pe).__name__)}; convert with .astype(dtype)")
    check.close(pe32, pe_oracle(6, 4), "sinusoidal_encoding(6, 4, dtype=np.float32)", rtol=1e-6, atol=1e-7)
    # at a long position, angles t * w_i formed in float32 are off by about t * 6e-8 radians
    long32 = check.array(kata.sinusoidal_encoding(4096, 4, dtype=np.float32), "sinusoidal_encoding")
    check.close(long32[-8:], pe_oracle(4096, 4)[-8:], "rows 4088..4095 of sinusoidal_encoding(4096, 4, "
                "dtype=np.float32) (compute the angles in float64, cast only the result)", rtol=0, atol=1e-6)


# ---------------------------------------------------------------- 13.4 positional_forward
@pytest.mark.exercise("13.4")
def test_positional_forward_uses_first_rows(kata, check, rng):
    x, P = rng.normal(size=(2, 3, C)), rng.normal(size=(5, C))
    result = kata.positional_forward(x, P)
    check.true(isinstance(result, tuple) and len(result) == 2, "positional_forward should return (out, cache)")
    expected = x.copy()
    for b in range(2):
        for t in range(3):
            expected[b, t] += P[t]
    check.close(result[0], expected, "positional_forward(x: (2, 3, 4), P: (5, 4)): x[b, t] + P[t]",
                suspects={"the LAST T rows of P are used; position t is row t": x + P[-3:]})


@pytest.mark.exercise("13.4")
def test_positional_forward_keeps_float32(kata, check, rng):
    x, P = rng.normal(size=(2, 3, C)).astype(np.float32), rng.normal(size=(3, C)).astype(np.float32)
    out = kata.positional_forward(x, P)[0]
    check.true(getattr(out, "dtype", None) == np.float32, "positional_forward on float32 should return float32")
    check.close(out, x + P, "positional_forward in float32 with T = T_max")


@pytest.mark.exercise("13.4")
def test_positional_forward_any_leading_axes(kata, check, rng):
    P = rng.normal(size=(6, C))
    for shape in [(3, C), (2, 3, 3, C)]:  # one unbatched sequence; a (B, H, T, C) stack
        x = rng.normal(size=shape)
        check.close(kata.positional_forward(x, P)[0], x + P[:3],
                    f"positional_forward(x: {shape}, P: (6, 4)): T is x.shape[-2], the axis before C")


# ---------------------------------------------------------------- 13.5 positional_backward
@pytest.mark.exercise("13.5")
def test_positional_backward_gradcheck(kata, check, rng):
    x, P, dout = rng.normal(size=(3, 2, C)), rng.normal(size=(4, C)), rng.normal(size=(3, 2, C))
    result = kata.positional_backward(dout, kata.positional_forward(x, P)[1])
    check.true(isinstance(result, tuple) and len(result) == 2, "positional_backward should return (dx, dP)")
    dx, dP = result
    check.shape(dP, (4, C), "dP (P's full shape (T_max, C))")
    check.gradients(lambda x, P: x + P[:2], {"x": x, "P": P}, {"x": dx, "P": dP}, dout,
                    "x + P[:T] with x (3, 2, 4), P (4, 4)")


@pytest.mark.exercise("13.5")
def test_positional_backward_sums_the_batch(kata, check, rng):
    x, P = rng.normal(size=(5, 3, C)), rng.normal(size=(3, C))
    dout = rng.normal(size=(5, 3, C)).astype(np.float32)
    dx, dP = kata.positional_backward(dout, kata.positional_forward(x, P)[1])
    check.close(dP, dout.astype(np.float64).sum(axis=0), "dP = dout summed over the batch axis",
                rtol=1e-5, atol=1e-6, suspects={"dP is averaged over the batch": dout.mean(axis=0)})
    check.true(getattr(dP, "dtype", None) == np.float32, "dP should keep dout's dtype (float32 here)")


@pytest.mark.exercise("13.5")
def test_positional_backward_any_leading_axes(kata, check, rng):
    for shape in [(3, C), (2, 3, 3, C)]:
        dout = rng.normal(size=shape)
        cache = kata.positional_forward(rng.normal(size=shape), rng.normal(size=(5, C)))[1]
        dP = check.shape(kata.positional_backward(dout, cache)[1], (5, C), f"dP for dout: {shape}, P: (5, 4)")
        lead = tuple(range(len(shape) - 2))
        expected = np.zeros((5, C))
        expected[:3] = dout.sum(axis=lead) if lead else dout
        check.close(dP, expected, f"dP for dout: {shape} (row t sums dout[..., t, :] over EVERY axis before (T, C))")


# ---------------------------------------------------------------- 13.6 Embedding.backward
@pytest.mark.exercise("13.6")
def test_embedding_module_backward_fills_grad(kata, check, rng):
    layer = kata.Embedding(V, C, np.random.default_rng(0))
    ids, dout = repeated_ids(), rng.normal(size=(2, 3, C))
    out = layer.forward(ids)
    check.close(out, gather_oracle(ids, layer.W.data), "Embedding.forward(ids)")
    returned = layer.backward(dout)
    check.true(returned is None, "Embedding.backward should return None: token ids have no gradient",
               f"it returned {type(returned).__name__}")
    check.close(layer.W.grad, scatter_oracle(ids, dout, V), "Embedding.W.grad after one backward")


@pytest.mark.exercise("13.6")
def test_embedding_module_backward_accumulates(kata, check, rng):
    layer = kata.Embedding(V, C, np.random.default_rng(1))
    ids_a, ids_b = repeated_ids(), np.array([[5, 5, 2]])
    dout_a, dout_b = rng.normal(size=(2, 3, C)), rng.normal(size=(1, 3, C))
    layer.forward(ids_a)
    layer.backward(dout_a)
    layer.forward(ids_b)
    layer.backward(dout_b)
    check.close(layer.W.grad, scatter_oracle(ids_a, dout_a, V) + scatter_oracle(ids_b, dout_b, V),
                "Embedding.W.grad after two forward/backward passes (add into .grad, do not replace it)",
                suspects={"W.grad is replaced, not accumulated": scatter_oracle(ids_b, dout_b, V)})
