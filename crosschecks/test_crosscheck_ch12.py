"""Author-side cross-checks of chapter 12's reference autograd (not graded).

1. Against chapters 04-05's hand-written backward: the same 2-layer network and weights, with a
   random upstream gradient and with softmax cross-entropy built from Tensor operations.
2. Against PyTorch's autograd in float64 (skipped when torch is absent).

They import solutions/ directly: run them with `python -m pytest crosschecks`.
"""

import numpy as np
import pytest

from solutions.ch04_losses import softmax_cross_entropy_backward, softmax_cross_entropy_forward
from solutions.ch05_backprop import MLP as HandMLP
from solutions.ch12_autograd import MLP, Tensor, Value

RTOL, ATOL = 1e-12, 1e-13


def close(mine, theirs, what):
    np.testing.assert_allclose(mine, theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def twin_networks(seed, d=4, h=6, k=3):
    """A chapter 05 MLP and a chapter 12 MLP holding the same weights."""
    hand = HandMLP(d, h, k, np.random.default_rng(seed))
    hand.dense1.b.data = np.random.default_rng(seed + 1).normal(size=h)  # non-zero biases
    auto = MLP(d, h, k, np.random.default_rng(0))
    for mine, theirs in zip(auto.parameters(), hand.parameters()):
        mine.data = theirs.data.copy()
    return hand, auto


def check_same_grads(hand, auto, dx_hand, x_auto):
    close(x_auto.grad, dx_hand, "dx")
    for name, mine, theirs in zip(["W1", "b1", "W2", "b2"], auto.parameters(), hand.parameters()):
        close(mine.grad, theirs.grad, f"d{name}")


def test_mlp_matches_chapter_05_random_upstream():
    rng = np.random.default_rng(7)
    hand, auto = twin_networks(1)
    x, dout = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    close(auto.forward(Tensor(x)).data, hand.forward(x), "forward")
    dx_hand = hand.backward(dout)
    x_auto = Tensor(x)
    (auto.forward(x_auto) * Tensor(dout)).sum().backward()
    check_same_grads(hand, auto, dx_hand, x_auto)


def test_mlp_with_softmax_cross_entropy_matches_chapters_04_05():
    rng = np.random.default_rng(8)
    hand, auto = twin_networks(2)
    x, y = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    logits = hand.forward(x)
    loss_hand, cache = softmax_cross_entropy_forward(logits, y)
    dx_hand = hand.backward(softmax_cross_entropy_backward(1.0, cache))

    x_auto = Tensor(x)
    z = auto.forward(x_auto)
    shifted = z - Tensor(z.data.max(axis=1, keepdims=True))  # a constant: no gradient needed
    log_probs = shifted - shifted.exp().sum(axis=1, keepdims=True).log()  # (B, K)
    loss = -((log_probs * Tensor(np.eye(3)[y])).sum(axis=1).mean())
    close(loss.data, loss_hand, "loss")
    loss.backward()
    check_same_grads(hand, auto, dx_hand, x_auto)


def test_tensor_expression_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    arrays = {"a": rng.normal(size=(4, 5)), "b": rng.normal(size=(5,)), "c": rng.normal(size=(4, 1)),
              "W": rng.normal(size=(5, 3)), "p": rng.uniform(0.5, 2.0, size=(1, 3))}

    def expression(t):
        h = ((t["a"] + t["b"]) * t["c"]).relu() @ t["W"]  # (4, 3)
        return (h.exp() * t["p"]).sum(axis=0).log().mean() + (h * h).mean(axis=1).sum()

    mine = {k: Tensor(v) for k, v in arrays.items()}
    out = expression(mine)
    out.backward()
    theirs = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in arrays.items()}
    out_t = expression(theirs)
    out_t.backward()
    close(out.data, out_t.detach().numpy(), "forward")
    for k in arrays:
        close(mine[k].grad, theirs[k].grad.numpy(), f"d{k}")


def test_value_expression_matches_torch():
    torch = pytest.importorskip("torch")

    def expression(a, b):
        h = (a * b + 1.0).tanh() * a - b / (a * a + 2.0)
        return h.exp() + (h - a).relu() * b ** 3

    a, b = Value(0.7), Value(-1.3)
    out = expression(a, b)
    out.backward()
    at, bt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.7, -1.3))
    out_t = expression(at, bt)
    out_t.backward()
    close(out.data, out_t.item(), "forward")
    close([a.grad, b.grad], [at.grad.item(), bt.grad.item()], "[da, db]")
