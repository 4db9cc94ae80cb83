"""Chapter 16 mistakes: the feed-forward network and the pre-LN block as learners get them wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch09_modern_activations import gelu_forward, gelu_tanh_backward, gelu_tanh_forward
from solutions.ch16_transformer_block import ffn_backward as reference_ffn_backward


# ---------------------------------------------------------------- 16.1 ffn_forward
@mistake("16.1", "ReLU instead of GELU")
def ffn_forward(x, W1, b1, W2, b2):
    a = np.maximum(x @ W1 + b1, 0.0)
    return a @ W2 + b2, (x, W1, W2, a, None)


@mistake("16.1", "exact (erf) GELU where the tanh form is specified")
def ffn_forward_exact_gelu(x, W1, b1, W2, b2):
    h = x @ W1 + b1
    a, _ = gelu_forward(h)
    return a @ W2 + b2, (x, W1, W2, a, gelu_tanh_forward(h)[1])


@mistake("16.1", "no GELU at all: two linear layers collapse into one")
def ffn_forward_linear(x, W1, b1, W2, b2):
    h = x @ W1 + b1
    return h @ W2 + b2, (x, W1, W2, h, gelu_tanh_forward(h)[1])


@mistake("16.1", "float32 turned into float64 (ch09's float64 constant leaks through)")
def ffn_forward_upcast(x, W1, b1, W2, b2):
    h = x @ W1 + b1
    a, gelu_cache = gelu_tanh_forward(h.astype(np.float64))
    return a @ W2 + b2, (x, W1, W2, a, gelu_cache)


# ---------------------------------------------------------------- 16.2 ffn_backward
@mistake("16.2", "x.T @ dh on 3-D arrays: .T reverses every axis instead of flattening rows")
def ffn_backward(dout, cache):
    x, W1, W2, a, gelu_cache = cache
    dh = gelu_tanh_backward(dout @ W2.T, gelu_cache)
    return dh @ W1.T, x.T @ dh, dh.sum(axis=0), a.T @ dout, dout.sum(axis=0)


@mistake("16.2", "biases summed over axis 0 only: (T, H) instead of (H,) for 3-D inputs")
def ffn_backward_bias_axis0(dout, cache):
    dx, dW1, db1, dW2, db2 = reference_ffn_backward(dout, cache)
    x, W1, W2, a, gelu_cache = cache
    if dout.ndim == 3:
        db2 = dout.sum(axis=0)
        db1 = gelu_tanh_backward(dout @ W2.T, gelu_cache).sum(axis=0)
    return dx, dW1, db1, dW2, db2


@mistake("16.2", "GELU's gradient skipped: dh = da")
def ffn_backward_no_gelu(dout, cache):
    x, W1, W2, a, gelu_cache = cache
    _, _, _, dW2, db2 = reference_ffn_backward(dout, cache)
    dh = dout @ W2.T
    C, F = W1.shape
    return dh @ W1.T, x.reshape(-1, C).T @ dh.reshape(-1, F), dh.reshape(-1, F).sum(0), dW2, db2


@mistake("16.2", "float32 turned into float64 in backward")
def ffn_backward_upcast(dout, cache):
    return tuple(g.astype(np.float64) for g in reference_ffn_backward(dout, cache))


# ---------------------------------------------------------------- 16.3 TransformerBlock.forward
@mistake("16.3", "post-LN: LayerNorm after the residual addition instead of on the sublayer input")
def forward(self, x, mask=None):
    h = self.ln1.forward(x + self.drop1.forward(self.attn.forward(x, mask)))
    return self.ln2.forward(h + self.drop2.forward(self.ffn.forward(h)))


@mistake("16.3", "no residual connections: out = ffn(ln2(attn(ln1(x))))")
def forward_no_residual(self, x, mask=None):
    h = self.drop1.forward(self.attn.forward(self.ln1.forward(x), mask))
    return self.drop2.forward(self.ffn.forward(self.ln2.forward(h)))


@mistake("16.3", "the mask is not passed to attention")
def forward_no_mask(self, x, mask=None):
    h = x + self.drop1.forward(self.attn.forward(self.ln1.forward(x)))
    return h + self.drop2.forward(self.ffn.forward(self.ln2.forward(h)))


@mistake("16.3", "the residual stream itself is normalized: h = ln1(x) + attn(ln1(x))")
def forward_normalized_stream(self, x, mask=None):
    n = self.ln1.forward(x)
    h = n + self.drop1.forward(self.attn.forward(n, mask))
    m = self.ln2.forward(h)
    return m + self.drop2.forward(self.ffn.forward(m))


@mistake("16.3", "ln1 and ln2 swapped")
def forward_swapped_norms(self, x, mask=None):
    h = x + self.drop1.forward(self.attn.forward(self.ln2.forward(x), mask))
    return h + self.drop2.forward(self.ffn.forward(self.ln1.forward(h)))


@mistake("16.3", "dropout forgotten")
def forward_no_dropout(self, x, mask=None):
    h = x + self.attn.forward(self.ln1.forward(x), mask)
    return h + self.ffn.forward(self.ln2.forward(h))


@mistake("16.3", "dropout always on: the module's mode ignored")
def forward_dropout_in_eval(self, x, mask=None):
    self.drop1.training = self.drop2.training = True
    h = x + self.drop1.forward(self.attn.forward(self.ln1.forward(x), mask))
    return h + self.drop2.forward(self.ffn.forward(self.ln2.forward(h)))


# ---------------------------------------------------------------- 16.4 TransformerBlock.backward
@mistake("16.4", "residual gradient dropped: dx is only the gradient through the sublayers")
def backward(self, dout):
    dh = self.ln2.backward(self.ffn.backward(self.drop2.backward(dout)))
    return self.ln1.backward(self.attn.backward(self.drop1.backward(dh)))


@mistake("16.4", "the first residual's gradient dropped (dx misses dh)")
def backward_first_residual(self, dout):
    dh = dout + self.ln2.backward(self.ffn.backward(self.drop2.backward(dout)))
    return self.ln1.backward(self.attn.backward(self.drop1.backward(dh)))


@mistake("16.4", "the attention branch is fed dout instead of dh")
def backward_wrong_upstream(self, dout):
    dh = dout + self.ln2.backward(self.ffn.backward(self.drop2.backward(dout)))
    return dh + self.ln1.backward(self.attn.backward(self.drop1.backward(dout)))


@mistake("16.4", "dropout skipped in backward (the mask is not reapplied)")
def backward_no_dropout(self, dout):
    dh = dout + self.ln2.backward(self.ffn.backward(dout))
    return dh + self.ln1.backward(self.attn.backward(dh))


@mistake("16.4", "LayerNorm skipped in backward")
def backward_no_layernorm(self, dout):
    dh = dout + self.ffn.backward(self.drop2.backward(dout))
    self.ln2.backward(dout)
    return dh + self.attn.backward(self.drop1.backward(dh))


# --- adversarial review (chapters 13-17) ---
@mistake("16.3", "dropout on the whole residual stream: h = drop1(x + attn(ln1(x)))")
def forward_dropout_on_stream(self, x, mask=None):
    h = self.drop1.forward(x + self.attn.forward(self.ln1.forward(x), mask))
    return self.drop2.forward(h + self.ffn.forward(self.ln2.forward(h)))


@mistake("16.3", "dropout on the sublayer's input instead of its output: attn(drop1(ln1(x)))")
def forward_dropout_on_input(self, x, mask=None):
    h = x + self.attn.forward(self.drop1.forward(self.ln1.forward(x)), mask)
    return h + self.ffn.forward(self.drop2.forward(self.ln2.forward(h)))


@mistake("16.4", "dropout mask redrawn in backward (drop.forward on the gradient)")
def backward_redrawn_dropout(self, dout):
    dh = dout + self.ln2.backward(self.ffn.backward(self.drop2.forward(dout)))
    return dh + self.ln1.backward(self.attn.backward(self.drop1.forward(dh)))


@mistake("16.4", "dropout's backward applied after the sublayer's backward (order swapped)")
def backward_dropout_order(self, dout):
    dh = dout + self.ln2.backward(self.drop2.backward(self.ffn.backward(dout)))
    return dh + self.ln1.backward(self.drop1.backward(self.attn.backward(dh)))


@mistake("16.1", "b1 added after the GELU: gelu(x @ W1) + b1")
def ffn_forward_bias_after_gelu(x, W1, b1, W2, b2):
    a, gelu_cache = gelu_tanh_forward(x @ W1)
    a = (a + b1).astype(x.dtype, copy=False)
    return a @ W2 + b2, (x, W1, W2, a, gelu_cache)


@mistake("16.2", "db1 summed from da, the gradient BEFORE the GELU's backward")
def ffn_backward_db1_before_gelu(dout, cache):
    x, W1, W2, a, gelu_cache = cache
    dx, dW1, db1, dW2, db2 = reference_ffn_backward(dout, cache)
    return dx, dW1, (dout @ W2.T).reshape(-1, W1.shape[1]).sum(axis=0), dW2, db2
