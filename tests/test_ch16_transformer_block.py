"""Graded tests for chapter 16 (the Transformer block).

The oracle below is written out here, independently of the chapters it checks: LayerNorm, the
tanh form of GELU, and multi-head attention with an explicit loop over heads. Gradients are
checked in float64 with a random upstream gradient on the input and on every parameter of the
block; the configurations are tiny so each check costs a few hundred forward passes.
"""

import numpy as np
import pytest

C, HEADS, HIDDEN = 4, 2, 8
PARAMS = ("ln1.gamma", "ln1.beta", "attn.Wq", "attn.bq", "attn.Wk", "attn.bk", "attn.Wv",
          "attn.bv", "attn.Wo", "attn.bo", "ln2.gamma", "ln2.beta", "ffn.W1", "ffn.b1",
          "ffn.W2", "ffn.b2")


def ln_oracle(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    return gamma * (x - mean) / np.sqrt(((x - mean) ** 2).mean(axis=-1, keepdims=True) + eps) + beta


def gelu_tanh_oracle(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def ffn_oracle(x, W1, b1, W2, b2):
    return gelu_tanh_oracle(x @ W1 + b1) @ W2 + b2


def mha_oracle(x, p, n_heads, causal):
    T, D = x.shape[1], x.shape[2] // n_heads
    q, k, v = (x @ p[f"attn.W{n}"] + p[f"attn.b{n}"] for n in "qkv")
    heads = []
    for h in range(n_heads):  # a loop over heads: the oracle may be slow, it must be plain
        cols = slice(h * D, (h + 1) * D)
        scores = q[..., cols] @ np.swapaxes(k[..., cols], 1, 2) / np.sqrt(D)   # (B, T, T)
        if causal:
            scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
        w = np.exp(scores - scores.max(axis=-1, keepdims=True))
        heads.append((w / w.sum(axis=-1, keepdims=True)) @ v[..., cols])
    return np.concatenate(heads, axis=-1) @ p["attn.Wo"] + p["attn.bo"]


def block_oracle(x, p, causal=True):
    """Pre-LN: h = x + attn(ln1(x)); out = h + ffn(ln2(h))."""
    h = x + mha_oracle(ln_oracle(x, p["ln1.gamma"], p["ln1.beta"]), p, HEADS, causal)
    return h + ffn_oracle(ln_oracle(h, p["ln2.gamma"], p["ln2.beta"]),
                          p["ffn.W1"], p["ffn.b1"], p["ffn.W2"], p["ffn.b2"])


def param(block, name):
    owner, attr = name.split(".")
    return getattr(getattr(block, owner), attr)


def make_block(kata, seed=0, dropout=0.0, **kwargs):
    """A block whose LayerNorms have random gamma and beta (ones and zeros hide swaps)."""
    block = kata.TransformerBlock(C, HEADS, np.random.default_rng(seed), hidden=HIDDEN,
                                  dropout=dropout, **kwargs)
    rng = np.random.default_rng(seed + 100)
    values = {}
    for name in PARAMS:
        value = np.array(param(block, name).data, dtype=np.float64)
        if name.startswith("ln"):
            value = (rng.uniform(0.5, 1.5, size=value.shape) if "gamma" in name
                     else rng.normal(size=value.shape))
        elif name.endswith(("bq", "bk", "bv", "bo", "b1", "b2")):
            value = 0.3 * rng.normal(size=value.shape)
        param(block, name).data = value
        values[name] = value
    return block, values


def causal(T):
    return np.tril(np.ones((T, T), dtype=bool))


# ---------------------------------------------------------------- 16.1 FFN forward
def ffn_inputs(rng, lead=(2, 3)):
    return (rng.normal(size=lead + (C,)), rng.normal(size=(C, HIDDEN)) * 0.7, rng.normal(size=HIDDEN),
            rng.normal(size=(HIDDEN, C)) * 0.5, rng.normal(size=C))


@pytest.mark.exercise("16.1")
def test_ffn_forward_shapes(kata, check, rng):
    for lead in [(5,), (2, 3)]:
        result = kata.ffn_forward(*ffn_inputs(rng, lead))
        check.true(isinstance(result, tuple) and len(result) == 2,
                   "ffn_forward should return a pair (out, cache)")
        check.shape(result[0], lead + (C,), f"out of ffn_forward on x: {lead + (C,)}")


@pytest.mark.exercise("16.1")
def test_ffn_forward_by_hand(kata, check):
    # W1 = W2 = I: out = gelu_tanh(x) + b2; gelu_tanh(1) = 0.8412, gelu_tanh(-1) = -0.1588
    out, _ = kata.ffn_forward(np.array([[1.0, -1.0]]), np.eye(2), np.zeros(2), np.eye(2),
                              np.array([0.5, 0.0]))
    g = 0.5 * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * 1.044715))
    check.close(out, [[g + 0.5, g - 1.0]], "ffn_forward of x = [[1, -1]] with identity weights "
                "(GELU in its tanh form, as GPT-2)",
                suspects={"ReLU replaces GELU": [[1.5, 0.0]]})


@pytest.mark.exercise("16.1")
def test_ffn_forward_matches_formula_on_every_position(kata, check, rng):
    x, W1, b1, W2, b2 = ffn_inputs(rng)
    out, _ = kata.ffn_forward(x, W1, b1, W2, b2)
    expected = np.stack([np.stack([ffn_oracle(x[b, t], W1, b1, W2, b2) for t in range(3)]) for b in range(2)])
    check.close(out, expected, "ffn_forward on x: (2, 3, 4), position by position")


@pytest.mark.exercise("16.1")
def test_ffn_forward_float32_keeps_dtype(kata, check, rng):
    args = ffn_inputs(rng)
    out64, _ = kata.ffn_forward(*args)
    out32, _ = kata.ffn_forward(*(a.astype(np.float32) for a in args))
    check.true(np.asarray(out32).dtype == np.float32, "ffn_forward turned float32 inputs into "
               f"{np.asarray(out32).dtype}", "keep the input's dtype (cast GELU's output back with "
               ".astype(x.dtype, copy=False))")
    check.close(out32, out64, "ffn_forward in float32 vs float64", rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- 16.2 FFN backward
@pytest.mark.exercise("16.2")
def test_ffn_backward_shapes(kata, check, rng):
    x, W1, b1, W2, b2 = ffn_inputs(rng)
    grads = kata.ffn_backward(rng.normal(size=x.shape), kata.ffn_forward(x, W1, b1, W2, b2)[1])
    check.true(isinstance(grads, tuple) and len(grads) == 5, "ffn_backward should return "
               "(dx, dW1, db1, dW2, db2)")
    for g, like, name in zip(grads, (x, W1, b1, W2, b2), ("dx", "dW1", "db1", "dW2", "db2")):
        check.shape(g, like.shape, f"{name} of ffn_backward on x: (2, 3, 4)")


@pytest.mark.exercise("16.2")
@pytest.mark.parametrize("lead", [(5,), (2, 3)])
def test_ffn_backward_gradcheck(kata, check, rng, lead):
    x, W1, b1, W2, b2 = ffn_inputs(rng, lead)
    dout = rng.normal(size=x.shape)
    dx, dW1, db1, dW2, db2 = kata.ffn_backward(dout, kata.ffn_forward(x, W1, b1, W2, b2)[1])
    check.gradients(lambda x, W1, b1, W2, b2: kata.ffn_forward(x, W1, b1, W2, b2)[0],
                    {"x": x, "W1": W1, "b1": b1, "W2": W2, "b2": b2},
                    {"x": dx, "W1": dW1, "b1": db1, "W2": dW2, "b2": db2}, dout,
                    f"ffn on x: {lead + (C,)} (weights shared by every position: sum over B and T)")


@pytest.mark.exercise("16.2")
def test_ffn_backward_float32_keeps_dtype(kata, check, rng):
    args = [a.astype(np.float32) for a in ffn_inputs(rng)]
    grads = kata.ffn_backward(rng.normal(size=args[0].shape).astype(np.float32), kata.ffn_forward(*args)[1])
    dtypes = [np.asarray(g).dtype for g in grads]
    check.true(all(d == np.float32 for d in dtypes), "ffn_backward turned float32 into other dtypes",
               f"got {[str(d) for d in dtypes]} for (dx, dW1, db1, dW2, db2)")


# ---------------------------------------------------------------- 16.3 block forward
@pytest.mark.exercise("16.3")
def test_block_forward_shape(kata, check, rng):
    block, _ = make_block(kata)
    check.shape(block.forward(rng.normal(size=(2, 3, C)), causal(3)), (2, 3, C),
                "TransformerBlock(4, 2).forward(x: (2, 3, 4))")


@pytest.mark.exercise("16.3")
@pytest.mark.parametrize("masked", [True, False])
def test_block_forward_is_pre_ln(kata, check, rng, masked):
    block, p = make_block(kata, seed=1)
    x = rng.normal(size=(2, 3, C)) * 2.0 + 1.0
    out = block.forward(x, causal(3) if masked else None)
    check.close(out, block_oracle(x, p, masked), "TransformerBlock.forward "
                f"({'causal mask' if masked else 'no mask'}): x + attn(ln1(x)), then h + ffn(ln2(h))")


@pytest.mark.exercise("16.3")
def test_block_with_silent_sublayers_is_the_identity(kata, check, rng):
    block, _ = make_block(kata, seed=2)
    for name in ("attn.Wo", "attn.bo", "ffn.W2", "ffn.b2"):
        param(block, name).data = np.zeros(param(block, name).shape)
    x = rng.normal(size=(2, 3, C)) * 3.0 + 2.0
    check.close(block.forward(x, causal(3)), x, "TransformerBlock.forward with both sublayers "
                "outputting 0 (should be x itself: the residual stream is never normalized)",
                rtol=1e-12, atol=1e-12)


@pytest.mark.exercise("16.3")
def test_block_is_causal_exactly(kata, check, rng):
    block, _ = make_block(kata, seed=3)
    x = rng.normal(size=(2, 5, C))
    changed = x.copy()
    changed[:, 3:] = rng.normal(size=(2, 2, C)) * 5.0
    before = check.array(block.forward(x, causal(5)), "TransformerBlock.forward")
    after = check.array(block.forward(changed, causal(5)), "TransformerBlock.forward")
    check.true(np.array_equal(before[:, :3], after[:, :3]),
               "changing positions 3 and 4 changed the block's outputs at positions 0..2",
               "the mask must reach attention (attn.forward(..., mask)); nothing else mixes positions")


@pytest.mark.exercise("16.3")
def test_block_dropout_only_in_train_mode(kata, check, rng):
    block, p = make_block(kata, seed=4, dropout=0.5)
    x = rng.normal(size=(2, 3, C))
    block.eval()
    first = check.array(block.forward(x, causal(3)), "TransformerBlock.forward in eval mode")
    second = check.array(block.forward(x, causal(3)), "TransformerBlock.forward in eval mode")
    check.true(np.array_equal(first, second), "two eval-mode forward passes of the same x differ",
               "eval mode must be deterministic: no dropout")
    check.close(first, block_oracle(x, p), "TransformerBlock.forward in eval mode (no dropout)")
    block.train()
    trained = check.array(block.forward(x, causal(3)), "TransformerBlock.forward in train mode")
    check.true(not np.allclose(trained, first), "train mode with dropout = 0.5 gave the eval output",
               "call drop1 and drop2 on the sublayers' outputs")


@pytest.mark.exercise("16.3")
@pytest.mark.parametrize("silent", ["attn", "ffn"])
def test_block_dropout_acts_on_sublayer_outputs(kata, check, rng, silent):
    # With one sublayer silenced, out - x is the other sublayer's output f after dropout: each
    # entry is either 0 (dropped) or f / (1 - rate) (kept and rescaled), never anything else.
    block, p = make_block(kata, seed=12, dropout=0.5)
    names = ("attn.Wo", "attn.bo") if silent == "attn" else ("ffn.W2", "ffn.b2")
    for name in names:
        param(block, name).data = p[name] = np.zeros(param(block, name).shape)
    x = rng.normal(size=(2, 5, C))
    other = "ffn" if silent == "attn" else "attn"
    f = block_oracle(x, p, causal=True) - x  # the live sublayer's output without dropout
    block.train()
    delta = check.array(block.forward(x, causal(5)), "TransformerBlock.forward in train mode") - x
    dropped, kept = np.isclose(delta, 0.0, atol=1e-12), np.isclose(delta, 2.0 * f, rtol=1e-9, atol=1e-12)
    check.true(np.all(dropped | kept), f"train mode, dropout 0.5, {silent} silenced: out - x should be the "
               f"{other} sublayer's output with each entry either dropped (0) or doubled (kept / (1 - 0.5))",
               f"{int((~(dropped | kept)).sum())} of {delta.size} entries are neither: dropout belongs on the "
               "sublayer's OUTPUT, h = x + drop1(attn(ln1(x))), never on the residual stream or the input")
    check.true(dropped.any() and kept.any(), f"train mode, dropout 0.5: out - x kept {int(kept.sum())} and "
               f"dropped {int(dropped.sum())} of {delta.size} entries of the {other} sublayer's output")


@pytest.mark.exercise("16.3")
def test_block_float32_agrees_with_float64(kata, check, rng):
    block, p = make_block(kata, seed=5)
    x = rng.normal(size=(2, 3, C))
    out64 = check.array(block.forward(x, causal(3)), "TransformerBlock.forward")
    for name in PARAMS:
        param(block, name).data = p[name].astype(np.float32)
    out32 = block.forward(x.astype(np.float32), causal(3))
    check.true(np.asarray(out32).dtype == np.float32, "a float32 block on float32 input returned "
               f"{np.asarray(out32).dtype}", "every step must keep the input's dtype")
    check.close(out32, out64, "TransformerBlock.forward in float32 vs float64", rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- 16.4 block backward
def block_function(kata, block, mask, seeds=None):
    """f(x, **params) = block.forward(x, mask), setting only parameters that changed."""
    current = {}

    def f(x, **values):
        for name, value in values.items():
            if current.get(name) is not value:
                param(block, name).data = value
                current[name] = value
        if seeds:  # the same dropout masks on every call
            block.drop1.rng, block.drop2.rng = (np.random.default_rng(s) for s in seeds)
        return block.forward(x, mask)
    return f


@pytest.mark.exercise("16.4")
@pytest.mark.parametrize("masked", [True, False])
def test_block_backward_gradcheck(kata, check, rng, masked):
    block, p = make_block(kata, seed=6)
    x, mask = rng.normal(size=(2, 3, C)), causal(3) if masked else None
    dout = rng.normal(size=x.shape)
    block.forward(x, mask)
    block.zero_grad()
    dx = block.backward(dout)
    analytic = {"x": dx, **{name: param(block, name).grad for name in PARAMS}}
    check.gradients(block_function(kata, block, mask), {"x": x, **p}, analytic, dout,
                    "TransformerBlock (dx returned; every parameter's .grad)")


@pytest.mark.exercise("16.4")
def test_block_backward_residual_carries_the_gradient(kata, check, rng):
    block, _ = make_block(kata, seed=7)
    for name in ("attn.Wo", "attn.bo", "ffn.W2", "ffn.b2"):
        param(block, name).data = np.zeros(param(block, name).shape)
    x, dout = rng.normal(size=(2, 3, C)), rng.normal(size=(2, 3, C))
    block.forward(x, causal(3))
    check.close(block.backward(dout), dout, "TransformerBlock.backward with both sublayers silent "
                "(the block is the identity, so dx must equal dout)", rtol=1e-12, atol=1e-12,
                suspects={"the residual path's gradient is dropped (dx is only the sublayers' term)":
                          np.zeros_like(dout)})


@pytest.mark.exercise("16.4")
def test_block_backward_through_dropout(kata, check, rng):
    block, p = make_block(kata, seed=8, dropout=0.3)
    block.train()
    x, mask = rng.normal(size=(2, 3, C)), causal(3)
    dout = rng.normal(size=x.shape)
    f = block_function(kata, block, mask, seeds=(11, 12))
    f(x, **p)
    block.zero_grad()
    dx = block.backward(dout)
    analytic = {"x": dx, "ffn.W2": block.ffn.W2.grad, "attn.Wo": block.attn.Wo.grad}
    check.gradients(f, {"x": x, "ffn.W2": p["ffn.W2"], "attn.Wo": p["attn.Wo"]}, analytic, dout,
                    "TransformerBlock in train mode with dropout 0.3 (backward reuses the masks)")


@pytest.mark.exercise("16.4")
def test_block_backward_float32_keeps_dtype(kata, check, rng):
    block, p = make_block(kata, seed=9)
    for name in PARAMS:
        param(block, name).data = p[name].astype(np.float32)
        param(block, name).grad = np.zeros(p[name].shape, dtype=np.float32)
    block.forward(rng.normal(size=(2, 3, C)).astype(np.float32), causal(3))
    dx = block.backward(rng.normal(size=(2, 3, C)).astype(np.float32))
    dtypes = {str(np.asarray(dx).dtype)} | {str(np.asarray(param(block, n).grad).dtype) for n in PARAMS}
    check.true(dtypes == {"float32"}, "TransformerBlock.backward on float32 gave dtypes "
               f"{sorted(dtypes)} (dx and the parameters' .grad)", "keep float32 all the way through")
