"""Optional cross-checks of chapters 09-11 against PyTorch, in float64, forward and backward.

Skipped as a whole when torch is not installed (`pip install torch`). They test the reference
in solutions/ directly (not the learner's code) and are not graded: run them with
`python -m pytest crosschecks`.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from solutions.ch09_modern_activations import (gelu_backward, gelu_forward,  # noqa: E402
                                               gelu_tanh_backward, gelu_tanh_forward,
                                               swish_backward, swish_forward)
from solutions.ch10_batchnorm import (batchnorm2d_backward, batchnorm2d_forward,  # noqa: E402
                                      batchnorm_backward, batchnorm_forward,
                                      batchnorm_inference, update_running_stats)
from solutions.ch11_layernorm import (layernorm_backward, layernorm_forward,  # noqa: E402
                                      rmsnorm_backward, rmsnorm_forward)

from torch_helpers import assert_close, tensor, torch_grads  # noqa: E402

RTOL, ATOL = 1e-12, 1e-13


def close(mine, theirs, what):
    assert_close(mine, theirs, what, RTOL, ATOL)


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(rng, approximate):
    x, dout = 3.0 * rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    fwd, bwd = (gelu_forward, gelu_backward) if approximate == "none" else \
        (gelu_tanh_forward, gelu_tanh_backward)
    out, cache = fwd(x)
    xt = tensor(x)
    out_t = F.gelu(xt, approximate=approximate)
    close(out, out_t.detach().numpy(), f"GELU({approximate}) forward")
    close(bwd(dout, cache), torch_grads(out_t, dout, xt)[0], f"GELU({approximate}) backward")


@pytest.mark.parametrize("beta", [1.0, 0.4, 2.5])
def test_swish(rng, beta):
    x, dout = 3.0 * rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    out, cache = swish_forward(x, beta)
    xt, bt = tensor(x), tensor(beta)
    out_t = xt * torch.sigmoid(bt * xt)
    if beta == 1.0:
        close(F.silu(xt).detach().numpy(), out_t.detach().numpy(), "F.silu is Swish with beta = 1")
    close(out, out_t.detach().numpy(), "Swish forward")
    dx, dbeta = swish_backward(dout, cache)
    dx_t, dbeta_t = torch_grads(out_t, dout, xt, bt)
    close(dx, dx_t, "Swish dx")
    close(dbeta, dbeta_t, "Swish dbeta")


def test_batchnorm_train_and_eval(rng):
    x, dout = 2.0 * rng.normal(size=(6, 4)) + 1.0, rng.normal(size=(6, 4))
    gamma, beta = rng.uniform(0.5, 2.0, size=4), rng.normal(size=4)
    r_mean, r_var = rng.normal(size=4), rng.uniform(0.5, 2.0, size=4)
    xt, gt, bt = tensor(x), tensor(gamma), tensor(beta)
    rm_t, rv_t = torch.tensor(r_mean), torch.tensor(r_var)
    out_t = F.batch_norm(xt, rm_t, rv_t, gt, bt, training=True, momentum=0.1, eps=1e-5)
    out, cache = batchnorm_forward(x, gamma, beta, eps=1e-5)
    close(out, out_t.detach().numpy(), "BatchNorm training forward")
    new_mean, new_var = update_running_stats(r_mean, r_var, x, momentum=0.1)
    close(new_mean, rm_t.numpy(), "running mean")
    close(new_var, rv_t.numpy(), "running var (unbiased in both)")
    for mine, theirs, name in zip(batchnorm_backward(dout, cache),
                                  torch_grads(out_t, dout, xt, gt, bt), ("dx", "dgamma", "dbeta")):
        close(mine, theirs, f"BatchNorm {name}")
    x_eval = rng.normal(size=(3, 4))
    eval_t = F.batch_norm(torch.tensor(x_eval), rm_t, rv_t, gt.detach(), bt.detach(),
                          training=False, eps=1e-5)
    close(batchnorm_inference(x_eval, gamma, beta, new_mean, new_var, eps=1e-5), eval_t.numpy(),
          "BatchNorm eval forward")


def test_batchnorm2d(rng):
    x, dout = rng.normal(size=(2, 3, 4, 5)) + 0.5, rng.normal(size=(2, 3, 4, 5))
    gamma, beta = rng.uniform(0.5, 2.0, size=3), rng.normal(size=3)
    xt, gt, bt = tensor(x), tensor(gamma), tensor(beta)
    out_t = F.batch_norm(xt, None, None, gt, bt, training=True, eps=1e-5)
    out, cache = batchnorm2d_forward(x, gamma, beta, eps=1e-5)
    close(out, out_t.detach().numpy(), "BatchNorm2d forward")
    for mine, theirs, name in zip(batchnorm2d_backward(dout, cache),
                                  torch_grads(out_t, dout, xt, gt, bt), ("dx", "dgamma", "dbeta")):
        close(mine, theirs, f"BatchNorm2d {name}")


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 6)])
def test_layernorm(rng, shape):
    x, dout = rng.normal(size=shape) * 2.0 - 1.0, rng.normal(size=shape)
    gamma, beta = rng.uniform(0.5, 2.0, size=6), rng.normal(size=6)
    xt, gt, bt = tensor(x), tensor(gamma), tensor(beta)
    out_t = F.layer_norm(xt, (6,), gt, bt, eps=1e-5)
    out, cache = layernorm_forward(x, gamma, beta, eps=1e-5)
    close(out, out_t.detach().numpy(), "LayerNorm forward")
    for mine, theirs, name in zip(layernorm_backward(dout, cache),
                                  torch_grads(out_t, dout, xt, gt, bt), ("dx", "dgamma", "dbeta")):
        close(mine, theirs, f"LayerNorm {name}")


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 6)])
def test_rmsnorm(rng, shape):
    if not hasattr(F, "rms_norm"):
        pytest.skip("this torch has no rms_norm (added in 2.4)")
    x, dout = rng.normal(size=shape) * 2.0 - 1.0, rng.normal(size=shape)
    gamma = rng.uniform(0.5, 2.0, size=6)
    xt, gt = tensor(x), tensor(gamma)
    out_t = F.rms_norm(xt, (6,), gt, eps=1e-6)
    out, cache = rmsnorm_forward(x, gamma, eps=1e-6)
    close(out, out_t.detach().numpy(), "RMSNorm forward")
    for mine, theirs, name in zip(rmsnorm_backward(dout, cache),
                                  torch_grads(out_t, dout, xt, gt), ("dx", "dgamma")):
        close(mine, theirs, f"RMSNorm {name}")
