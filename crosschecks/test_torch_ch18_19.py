"""Optional cross-checks of chapters 18-19 against PyTorch, in float64, forward and backward.

Skipped as a whole when torch is not installed. They test the reference in solutions/
directly (not the learner's code) and are not graded: `python -m pytest crosschecks`.
Chapter 18 against F.conv2d, F.group_norm, F.interpolate(mode="nearest"), F.avg_pool2d with
autograd; chapter 19's schedule quantities against the same formulas written in torch
(torch.cumprod, torch.cos), including the posterior of diffusers-style code.
"""

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

from solutions.ch18_convolution import (avgpool2d_backward, avgpool2d_forward,  # noqa: E402
                                        conv2d_backward, conv2d_forward, groupnorm_backward,
                                        groupnorm_forward, upsample_nearest_backward,
                                        upsample_nearest_forward)
from solutions.ch19_noise_schedules import (alphas_from_betas, cosine_betas,  # noqa: E402
                                            linear_betas, posterior_mean_coefs,
                                            posterior_variance, predict_eps_from_x0,
                                            predict_x0_from_eps, q_sample, snr)

from torch_helpers import assert_close, tensor, torch_grads  # noqa: E402

RTOL, ATOL = 1e-12, 1e-12


def close(mine, theirs, what):
    assert_close(mine, theirs, what, RTOL, ATOL)


@pytest.fixture
def rng():
    return np.random.default_rng(2025)


@pytest.mark.parametrize("H, W, KH, KW, stride, padding",
                         [(9, 7, 3, 3, 1, 1), (9, 7, 3, 2, 2, 1), (8, 8, 5, 3, 3, 2), (6, 5, 1, 1, 1, 0)])
def test_conv2d(rng, H, W, KH, KW, stride, padding):
    x, weight, b = rng.normal(size=(3, 4, H, W)), rng.normal(size=(5, 4, KH, KW)), rng.normal(size=5)
    out, cache = conv2d_forward(x, weight, b, stride, padding)
    xt, wt, bt = tensor(x), tensor(weight), tensor(b)
    ref = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    close(out, ref, "conv2d forward")
    dout = rng.normal(size=out.shape)
    for mine, theirs, name in zip(conv2d_backward(dout, cache), torch_grads(ref, dout, xt, wt, bt),
                                  ("dx", "dW", "db")):
        close(mine, theirs, f"conv2d {name}")


@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_group_norm(rng, groups):
    x = rng.normal(size=(3, 6, 5, 4)) * 2.0 + 1.0
    gamma, beta = rng.normal(size=6), rng.normal(size=6)
    out, cache = groupnorm_forward(x, gamma, beta, groups, eps=1e-5)
    xt, gt, bt = tensor(x), tensor(gamma), tensor(beta)
    ref = F.group_norm(xt, groups, gt, bt, eps=1e-5)
    close(out, ref, "group_norm forward")
    dout = rng.normal(size=out.shape)
    for mine, theirs, name in zip(groupnorm_backward(dout, cache), torch_grads(ref, dout, xt, gt, bt),
                                  ("dx", "dgamma", "dbeta")):
        close(mine, theirs, f"group_norm {name}")


@pytest.mark.parametrize("factor", [2, 3])
def test_upsample_nearest(rng, factor):
    x = rng.normal(size=(2, 3, 4, 5))
    out, cache = upsample_nearest_forward(x, factor)
    xt = tensor(x)
    ref = F.interpolate(xt, scale_factor=factor, mode="nearest")
    close(out, ref, "nearest upsampling forward")
    dout = rng.normal(size=out.shape)
    close(upsample_nearest_backward(dout, cache), torch_grads(ref, dout, xt)[0], "nearest upsampling dx")


@pytest.mark.parametrize("k", [2, 3])
def test_avg_pool(rng, k):
    x = rng.normal(size=(2, 3, 6, 12))
    out, cache = avgpool2d_forward(x, k)
    xt = tensor(x)
    ref = F.avg_pool2d(xt, k)
    close(out, ref, "avg_pool2d forward")
    dout = rng.normal(size=out.shape)
    close(avgpool2d_backward(dout, cache), torch_grads(ref, dout, xt)[0], "avg_pool2d dx")


def torch_schedule(betas):
    """Every per-step quantity from betas, written the way diffusers/improved-diffusion do."""
    betas = torch.tensor(betas, dtype=torch.float64)
    alphas = 1.0 - betas
    alphas_cumprod = torch.cumprod(alphas, dim=0)
    alphas_cumprod_prev = torch.cat([torch.ones(1, dtype=torch.float64), alphas_cumprod[:-1]])
    return {
        "alpha": alphas, "alpha_bar": alphas_cumprod,
        "snr": alphas_cumprod / (1.0 - alphas_cumprod),
        "coef_x0": betas * torch.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod),
        "coef_xt": (1.0 - alphas_cumprod_prev) * torch.sqrt(alphas) / (1.0 - alphas_cumprod),
        "beta_tilde": betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod),
    }


def torch_cosine_betas(T, s=0.008, max_beta=0.999):
    steps = torch.arange(T + 1, dtype=torch.float64) / T
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    return torch.clamp(1 - f[1:] / f[:-1], max=max_beta)


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_schedules(kind):
    T = 1000
    betas = linear_betas(T) if kind == "linear" else cosine_betas(T)
    theirs_betas = (torch.linspace(1e-4, 0.02, T, dtype=torch.float64) if kind == "linear"
                    else torch_cosine_betas(T))
    close(betas, theirs_betas, f"{kind} betas")
    ref = torch_schedule(betas)
    alpha, alpha_bar = alphas_from_betas(betas)
    coef_x0, coef_xt = posterior_mean_coefs(betas, alpha_bar)
    for name, mine in (("alpha", alpha), ("alpha_bar", alpha_bar), ("snr", snr(alpha_bar)),
                       ("coef_x0", coef_x0), ("coef_xt", coef_xt),
                       ("beta_tilde", posterior_variance(betas, alpha_bar))):
        np.testing.assert_allclose(mine, ref[name].numpy(), rtol=1e-10, atol=1e-15, err_msg=f"{kind} {name}")


def test_q_sample_and_inverses(rng):
    betas = cosine_betas(50)
    _, alpha_bar = alphas_from_betas(betas)
    x0, noise, t = rng.normal(size=(4, 3, 5, 5)), rng.normal(size=(4, 3, 5, 5)), np.array([0, 10, 25, 49])
    ab = torch.cumprod(1.0 - torch.tensor(betas, dtype=torch.float64), 0)[torch.tensor(t)].view(-1, 1, 1, 1)
    x_t = q_sample(x0, t, noise, alpha_bar)
    close(x_t, ab.sqrt() * torch.tensor(x0) + (1 - ab).sqrt() * torch.tensor(noise), "q_sample")
    np.testing.assert_allclose(predict_x0_from_eps(x_t, t, noise, alpha_bar), x0, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(predict_eps_from_x0(x_t, t, x0, alpha_bar), noise, rtol=1e-9, atol=1e-9)
