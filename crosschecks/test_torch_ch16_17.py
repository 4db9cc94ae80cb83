"""Optional cross-checks of chapters 16-17 against PyTorch, in float64, forward and backward.

The torch side is built by hand from torch primitives (F.layer_norm, F.gelu(approximate="tanh"),
F.scaled_dot_product_attention, F.cross_entropy, clip_grad_norm_), with the reference's own
parameter values; autograd gives its gradients. Skipped when torch is not installed.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from solutions.ch16_transformer_block import TransformerBlock, ffn_backward, ffn_forward  # noqa: E402
from solutions.ch17_gpt import (GPT, clip_grad_norm, lr_schedule, sequence_ce_backward,  # noqa: E402
                                sequence_ce_forward)

BLOCK_NAMES = ("ln1.gamma", "ln1.beta", "attn.Wq", "attn.bq", "attn.Wk", "attn.bk", "attn.Wv",
               "attn.bv", "attn.Wo", "attn.bo", "ln2.gamma", "ln2.beta", "ffn.W1", "ffn.b1",
               "ffn.W2", "ffn.b2")


def get(obj, name):
    for part in name.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def leaf(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


def randomize(module, names, rng):
    for name in names:  # LayerNorm gamma/beta and biases away from 1 and 0
        p = get(module, name)
        p.data = p.data + 0.3 * rng.normal(size=p.shape)


def torch_block(x, t, n_heads, causal):
    B, T, C = x.shape
    heads = lambda a: a.reshape(B, T, n_heads, C // n_heads).transpose(1, 2)  # (B, H, T, D)
    n = F.layer_norm(x, (C,), t["ln1.gamma"], t["ln1.beta"], eps=1e-5)
    q, k, v = (heads(n @ t[f"attn.W{s}"] + t[f"attn.b{s}"]) for s in "qkv")
    a = F.scaled_dot_product_attention(q, k, v, is_causal=causal)            # (B, H, T, D)
    h = x + a.transpose(1, 2).reshape(B, T, C) @ t["attn.Wo"] + t["attn.bo"]
    n = F.layer_norm(h, (C,), t["ln2.gamma"], t["ln2.beta"], eps=1e-5)
    return h + F.gelu(n @ t["ffn.W1"] + t["ffn.b1"], approximate="tanh") @ t["ffn.W2"] + t["ffn.b2"]


def test_ffn_matches_torch():
    rng = np.random.default_rng(0)
    x, W1, b1, W2, b2 = (rng.normal(size=s) for s in [(2, 5, 6), (6, 12), (12,), (12, 6), (6,)])
    dout = rng.normal(size=(2, 5, 6))
    out, cache = ffn_forward(x, W1, b1, W2, b2)
    t = [leaf(a) for a in (x, W1, b1, W2, b2)]
    ref = F.gelu(t[0] @ t[1] + t[2], approximate="tanh") @ t[3] + t[4]
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-12, atol=1e-13)
    ref.backward(torch.tensor(dout))
    for mine, theirs in zip(ffn_backward(dout, cache), t):
        np.testing.assert_allclose(mine, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("causal", [True, False])
def test_block_matches_hand_built_torch_block(causal):
    rng = np.random.default_rng(1)
    block = TransformerBlock(8, 2, rng, hidden=16)
    randomize(block, BLOCK_NAMES, rng)
    x, dout = rng.normal(size=(3, 5, 8)), rng.normal(size=(3, 5, 8))
    mask = np.tril(np.ones((5, 5), dtype=bool)) if causal else None
    out = block.forward(x, mask)
    block.zero_grad()
    dx = block.backward(dout)
    t = {name: leaf(get(block, name).data) for name in BLOCK_NAMES}
    tx = leaf(x)
    ref = torch_block(tx, t, 2, causal)
    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-11, atol=1e-12)
    ref.backward(torch.tensor(dout))
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg="dx")
    for name in BLOCK_NAMES:
        np.testing.assert_allclose(get(block, name).grad, t[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-11, err_msg=name)


@pytest.mark.parametrize("tied", [False, True])
def test_gpt_loss_and_gradients_match_torch(tied):
    rng = np.random.default_rng(2)
    model = GPT(7, 6, 8, 2, 2, rng, hidden=16, tie_weights=tied)
    names = ["tok_emb.W", "pos_emb.P"] + [f"blocks.{i}.{n}" for i in range(2) for n in BLOCK_NAMES] \
        + ["ln_f.gamma", "ln_f.beta"] + ([] if tied else ["W_head"])
    randomize(model, [n for n in names if "gamma" in n or "beta" in n or ".b" in n], rng)
    ids, targets = rng.integers(0, 7, size=(3, 6)), rng.integers(0, 7, size=(3, 6))
    targets[0, :2] = -100
    loss, cache = sequence_ce_forward(model.forward(ids), targets)
    model.zero_grad()
    model.backward(sequence_ce_backward(1.0, cache))

    t = {name: leaf(get(model, name).data) for name in names}
    x = t["tok_emb.W"][torch.tensor(ids)] + t["pos_emb.P"][:6]
    for i in range(2):
        x = torch_block(x, {n: t[f"blocks.{i}.{n}"] for n in BLOCK_NAMES}, 2, True)
    x = F.layer_norm(x, (8,), t["ln_f.gamma"], t["ln_f.beta"], eps=1e-5)
    logits = x @ (t["tok_emb.W"].T if tied else t["W_head"])
    ref = F.cross_entropy(logits.reshape(-1, 7), torch.tensor(targets).reshape(-1), ignore_index=-100)
    assert math.isclose(loss, ref.item(), rel_tol=1e-12)
    ref.backward()
    for name in names:
        np.testing.assert_allclose(get(model, name).grad, t[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


def test_clipping_and_schedule_match_torch():
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=(4, 3)), rng.normal(size=7) * 3.0]
    clipped, total = clip_grad_norm(grads, 1.5)
    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    ref_total = torch.nn.utils.clip_grad_norm_(params, 1.5)
    assert math.isclose(total, ref_total.item(), rel_tol=1e-12)
    for mine, p in zip(clipped, params):
        np.testing.assert_allclose(mine, p.grad.numpy(), rtol=1e-12)
    # warmup + cosine vs torch's LambdaLR(linear warmup) -> CosineAnnealingLR, step by step
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    warm = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: (s + 1) / 5)
    cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=15, eta_min=0.01)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[5])
    for step in range(20):
        assert math.isclose(lr_schedule(step, 0.1, 5, 20, 0.01), opt.param_groups[0]["lr"],
                            rel_tol=1e-9), step
        opt.step()
        sched.step()
