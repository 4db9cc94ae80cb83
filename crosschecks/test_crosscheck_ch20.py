"""Author-side cross-check of chapter 20's residual block against a hand-built PyTorch block
(float64, forward and backward with a random upstream gradient). Skipped without torch."""

import numpy as np
import pytest

from solutions.ch20_unet import ResBlock

torch = pytest.importorskip("torch")
F = torch.nn.functional


def t64(a):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=True)


@pytest.mark.parametrize("c_in, c_out", [(4, 8), (8, 8)])
def test_resblock_matches_torch(c_in, c_out):
    rng = np.random.default_rng(0)
    block = ResBlock(c_in, c_out, emb_dim=6, groups=2, rng=rng)
    for p in block.parameters():  # non-trivial gamma, beta and biases
        p.data = p.data + rng.normal(scale=0.3, size=p.data.shape)
    x, emb = rng.normal(size=(3, c_in, 5, 4)), rng.normal(size=(3, 6))
    upstream = rng.normal(size=(3, c_out, 5, 4))
    out = block.forward(x, emb)
    dx, demb = block.backward(upstream)

    names = ["norm1.gamma", "norm1.beta", "conv1.W", "conv1.b", "time_proj.W", "time_proj.b",
             "norm2.gamma", "norm2.beta", "conv2.W", "conv2.b"] + (["skip.W", "skip.b"] if block.skip else [])

    def get(name):
        module, attr = name.split(".")
        return getattr(getattr(block, module), attr)
    T = {n: t64(get(n).data) for n in names}
    xt, et = t64(x), t64(emb)
    h = F.conv2d(F.silu(F.group_norm(xt, 2, T["norm1.gamma"], T["norm1.beta"], eps=1e-5)),
                 T["conv1.W"], T["conv1.b"], padding=1)
    h = h + (F.silu(et) @ T["time_proj.W"] + T["time_proj.b"])[:, :, None, None]  # Dense: x @ W
    h = F.conv2d(F.silu(F.group_norm(h, 2, T["norm2.gamma"], T["norm2.beta"], eps=1e-5)),
                 T["conv2.W"], T["conv2.b"], padding=1)
    ref = h + (F.conv2d(xt, T["skip.W"], T["skip.b"]) if block.skip else xt)
    ref.backward(torch.tensor(upstream))

    np.testing.assert_allclose(out, ref.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg="forward")
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg="dx")
    np.testing.assert_allclose(demb, et.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg="demb")
    for n in names:
        np.testing.assert_allclose(get(n).grad, T[n].grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=f"d{n}")
