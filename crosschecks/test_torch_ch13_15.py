"""Optional cross-checks of chapters 13-15 against PyTorch, in float64, forward and backward.

Skipped as a whole when torch is not installed. They test the reference in solutions/ directly
(not the learner's code) and are not graded: run them with `python -m pytest crosschecks`.

- embeddings: F.embedding (repeated ids included) and a learned position table;
- attention: F.scaled_dot_product_attention with no mask, a causal mask and padding masks
  (no fully-masked row: PyTorch returns NaN there, this course returns zeros by rule);
- multi-head attention: nn.MultiheadAttention(batch_first=True) with our weights copied in.
  PyTorch stores projections as (out, in) and computes x @ W^T, so in_proj_weight =
  [Wq^T; Wk^T; Wv^T] and out_proj.weight = Wo^T; its attn_mask uses True = NOT allowed.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from solutions.ch13_embeddings import (embedding_backward, embedding_forward,  # noqa: E402
                                       positional_backward, positional_forward)
from solutions.ch14_attention import (attention_backward, attention_forward,  # noqa: E402
                                      attention_weights, causal_mask)
from solutions.ch15_multihead_attention import (PARAM_NAMES, MultiHeadAttention,  # noqa: E402
                                                mha_backward, mha_forward)

from torch_helpers import assert_close, tensor, torch_grads  # noqa: E402

RTOL, ATOL = 1e-10, 1e-12


def close(mine, theirs, what):
    assert_close(mine, theirs, what, RTOL, ATOL)


@pytest.fixture
def rng():
    return np.random.default_rng(2026)


def test_embedding_with_repeated_ids(rng):
    ids = rng.integers(0, 5, size=(4, 7))  # 28 draws from 5 ids: many repeats
    W, dout = rng.normal(size=(5, 3)), rng.normal(size=(4, 7, 3))
    out, cache = embedding_forward(ids, W)
    Wt = tensor(W)
    theirs = F.embedding(torch.tensor(ids), Wt)
    close(out, theirs.detach().numpy(), "embedding forward")
    close(embedding_backward(dout, cache), torch_grads(theirs, dout, Wt)[0], "embedding dW")


def test_learned_positions(rng):
    x, P, dout = rng.normal(size=(3, 4, 5)), rng.normal(size=(6, 5)), rng.normal(size=(3, 4, 5))
    out, cache = positional_forward(x, P)
    dx, dP = positional_backward(dout, cache)
    xt, Pt = tensor(x), tensor(P)
    theirs = xt + Pt[:4]
    close(out, theirs.detach().numpy(), "positional forward")
    tdx, tdP = torch_grads(theirs, dout, xt, Pt)
    close(dx, tdx, "positional dx")
    close(dP, tdP, "positional dP")


def padding(lengths, Tk):
    return (np.arange(Tk)[None, :] < np.array(lengths)[:, None])[:, None, None, :]  # (B, 1, 1, Tk)


@pytest.mark.parametrize("masking", ["none", "causal", "padding", "causal+padding"])
def test_scaled_dot_product_attention(rng, masking):
    B, H, T, D, Dv = 3, 2, 5, 4, 6
    q, k = rng.normal(size=(B, H, T, D)), rng.normal(size=(B, H, T, D))
    v, dout = rng.normal(size=(B, H, T, Dv)), rng.normal(size=(B, H, T, Dv))
    mask = {"none": None, "causal": causal_mask(T), "padding": padding([5, 3, 1], T),
            "causal+padding": causal_mask(T) & padding([5, 3, 1], T)}[masking]
    out, cache = attention_forward(q, k, v, mask)
    dq, dk, dv = attention_backward(dout, cache)
    qt, kt, vt = tensor(q), tensor(k), tensor(v)
    theirs = F.scaled_dot_product_attention(qt, kt, vt, attn_mask=None if mask is None else torch.tensor(mask))
    close(out, theirs.detach().numpy(), f"attention forward ({masking})")
    for name, mine, ref in zip("qkv", (dq, dk, dv), torch_grads(theirs, dout, qt, kt, vt)):
        close(mine, ref, f"attention d{name} ({masking})")
    scores = torch.tensor(q) @ torch.tensor(k).transpose(-1, -2) / np.sqrt(D)
    if mask is not None:
        scores = scores.masked_fill(~torch.tensor(mask), float("-inf"))
    close(attention_weights(cache), torch.softmax(scores, dim=-1).numpy(), f"attention weights ({masking})")


@pytest.mark.parametrize("causal", [False, True])
def test_multihead_attention_against_nn_multiheadattention(rng, causal):
    B, T, C, H = 2, 5, 8, 4
    layer = MultiHeadAttention(C, H, np.random.default_rng(0))
    for name in PARAM_NAMES:  # non-zero biases too
        getattr(layer, name).data = rng.normal(size=getattr(layer, name).shape) * 0.5
    p = layer.param_arrays()
    x, dout = rng.normal(size=(B, T, C)), rng.normal(size=(B, T, C))
    mask = causal_mask(T) if causal else None
    out, cache = mha_forward(x, p, H, mask)
    dx, grads = mha_backward(dout, cache)

    torch_mha = torch.nn.MultiheadAttention(C, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        torch_mha.in_proj_weight.copy_(torch.tensor(np.concatenate([p["Wq"].T, p["Wk"].T, p["Wv"].T])))
        torch_mha.in_proj_bias.copy_(torch.tensor(np.concatenate([p["bq"], p["bk"], p["bv"]])))
        torch_mha.out_proj.weight.copy_(torch.tensor(p["Wo"].T))
        torch_mha.out_proj.bias.copy_(torch.tensor(p["bo"]))
    xt = tensor(x)
    attn_mask = None if mask is None else torch.tensor(~mask)  # torch: True = NOT allowed
    theirs, their_weights = torch_mha(xt, xt, xt, attn_mask=attn_mask, need_weights=True,
                                      average_attn_weights=False)
    close(out, theirs.detach().numpy(), "MHA forward")
    layer.forward(x, mask)
    close(layer.weights, their_weights.detach().numpy(), "MHA attention weights (B, H, T, T)")

    leaves = (xt, torch_mha.in_proj_weight, torch_mha.in_proj_bias, torch_mha.out_proj.weight,
              torch_mha.out_proj.bias)
    tdx, t_in_w, t_in_b, t_out_w, t_out_b = torch_grads(theirs, dout, *leaves)
    close(dx, tdx, "MHA dx")
    for i, name in enumerate("qkv"):
        close(grads["W" + name], t_in_w[i * C:(i + 1) * C].T, f"MHA dW{name}")
        close(grads["b" + name], t_in_b[i * C:(i + 1) * C], f"MHA db{name}")
    close(grads["Wo"], t_out_w.T, "MHA dWo")
    close(grads["bo"], t_out_b, "MHA dbo")
