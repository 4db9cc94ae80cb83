"""Chapter 11 mistakes: LayerNorm and RMSNorm as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch11_layernorm import layernorm_backward as reference_ln_backward
from solutions.ch11_layernorm import rmsnorm_backward as reference_rms_backward


@mistake("11.1", "normalizes over the batch axis (axis=0): that is BatchNorm", cause="axis")
def layernorm_forward(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / np.sqrt(x.var(axis=0, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=0, keepdims=True)) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("11.1", "forgets eps: a constant row gives 0/0")
def layernorm_forward_no_eps(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True))
    x_hat = (x - x.mean(axis=-1, keepdims=True)) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("11.1", "eps outside the square root", cause="eps-sqrt")
def layernorm_forward_eps_outside(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / (x.std(axis=-1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=-1, keepdims=True)) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("11.1", "unbiased variance (ddof=1)", cause="variance")
def layernorm_forward_unbiased(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / np.sqrt(x.var(axis=-1, ddof=1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=-1, keepdims=True)) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("11.1", "statistics over the whole array: one mean for every row")
def layernorm_forward_global(x, gamma, beta, eps=1e-5):
    inv_std = np.full(x.shape[:-1] + (1,), 1.0 / np.sqrt(x.var() + eps))
    x_hat = (x - x.mean()) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("11.2", "naive dx = dout * gamma * inv_std: mean and var treated as constants")
def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    _, dgamma, dbeta = reference_ln_backward(dout, cache)
    return dout * gamma * inv_std, dgamma, dbeta


@mistake("11.2", "forgets the variance term of dx")
def layernorm_backward_no_var_term(dout, cache):
    x_hat, inv_std, gamma = cache
    _, dgamma, dbeta = reference_ln_backward(dout, cache)
    g = dout * gamma
    return inv_std * (g - g.mean(axis=-1, keepdims=True)), dgamma, dbeta


@mistake("11.2", "dgamma and dbeta summed over axis 0 only (wrong for (B, T, C) inputs)", cause="axis")
def layernorm_backward_axis0(dout, cache):
    x_hat, inv_std, gamma = cache
    dx, _, _ = reference_ln_backward(dout, cache)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("11.2", "dx's sums run over the batch axis, as in BatchNorm", cause="axis")
def layernorm_backward_batch_sums(dout, cache):
    x_hat, inv_std, gamma = cache
    _, dgamma, dbeta = reference_ln_backward(dout, cache)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx, dgamma, dbeta


@mistake("11.3", "subtracts the mean: that is LayerNorm without beta")
def rmsnorm_forward(x, gamma, eps=1e-6):
    centred = x - x.mean(axis=-1, keepdims=True)
    inv_rms = 1.0 / np.sqrt(np.mean(centred ** 2, axis=-1, keepdims=True) + eps)
    return gamma * centred * inv_rms, (x, inv_rms, gamma)


@mistake("11.3", "forgets eps: an all-zero row gives 0/0")
def rmsnorm_forward_no_eps(x, gamma, eps=1e-6):
    inv_rms = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True))
    return gamma * x * inv_rms, (x, inv_rms, gamma)


@mistake("11.3", "divides by the mean square, not its square root")
def rmsnorm_forward_no_sqrt(x, gamma, eps=1e-6):
    inv_rms = 1.0 / (np.mean(x * x, axis=-1, keepdims=True) + eps)
    return gamma * x * inv_rms, (x, inv_rms, gamma)


@mistake("11.3", "root of the SUM of squares instead of the mean")
def rmsnorm_forward_sum(x, gamma, eps=1e-6):
    inv_rms = 1.0 / np.sqrt(np.sum(x * x, axis=-1, keepdims=True) + eps)
    return gamma * x * inv_rms, (x, inv_rms, gamma)


@mistake("11.4", "naive dx = dout * gamma * inv_rms: forgets that rms depends on x")
def rmsnorm_backward(dout, cache):
    x, inv_rms, gamma = cache
    return dout * gamma * inv_rms, reference_rms_backward(dout, cache)[1]


@mistake("11.4", "inv_rms squared instead of cubed in the rms term")
def rmsnorm_backward_square(dout, cache):
    x, inv_rms, gamma = cache
    g = dout * gamma
    dx = inv_rms * g - x * inv_rms ** 2 / x.shape[-1] * (g * x).sum(axis=-1, keepdims=True)
    return dx, reference_rms_backward(dout, cache)[1]


@mistake("11.4", "forgets the 1/C from the mean inside rms", cause="factor")
def rmsnorm_backward_no_c(dout, cache):
    x, inv_rms, gamma = cache
    g = dout * gamma
    dx = inv_rms * g - x * inv_rms ** 3 * (g * x).sum(axis=-1, keepdims=True)
    return dx, reference_rms_backward(dout, cache)[1]


@mistake("11.4", "dgamma summed over axis 0 only", cause="axis")
def rmsnorm_backward_dgamma_axis0(dout, cache):
    x, inv_rms, gamma = cache
    return reference_rms_backward(dout, cache)[0], (dout * x * inv_rms).sum(axis=0)


@mistake("11.1", "caches the standard deviation instead of its inverse")
def layernorm_forward_cache_std(x, gamma, beta, eps=1e-5):
    std = np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=-1, keepdims=True)) / std
    return gamma * x_hat + beta, (x_hat, std, gamma)


@mistake("11.1", "caches inv_std without keepdims: (...,) instead of (..., 1)", cause="keepdims")
def layernorm_forward_cache_flat_inv_std(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / np.sqrt(x.var(axis=-1) + eps)
    x_hat = (x - x.mean(axis=-1, keepdims=True)) * inv_std[..., None]
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("11.3", "caches the normalized x * inv_rms instead of x")
def rmsnorm_forward_cache_normalized(x, gamma, eps=1e-6):
    inv_rms = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return gamma * x * inv_rms, (x * inv_rms, inv_rms, gamma)


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402
from solutions.ch11_layernorm import layernorm_backward as _layernorm_backward  # noqa: E402


@mistake("11.1", "centres the caller's x in place (x -= mean)", cause="in-place")
def layernorm_forward_in_place(x, gamma, beta, eps=1e-5):
    x -= x.mean(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt((x * x).mean(axis=-1, keepdims=True) + eps)
    x_hat = x * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("11.2", "returns float32 gradients", cause="dtype")
def layernorm_backward_float32(dout, cache):
    return tuple(g.astype(np.float32) for g in _layernorm_backward(dout, cache))




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("11.1", "variance as mean(x^2) - mean(x)^2: catastrophic cancellation for rows near 1e4")
def layernorm_forward_one_pass_var(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = (x * x).mean(axis=-1, keepdims=True) - mean * mean
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("11.2", "squeezes dx before returning it: a (1, 1, C) input gives dx of shape (C,)")
def layernorm_backward_squeezed(dout, cache):
    dx, dgamma, dbeta = reference_ln_backward(dout, cache)
    return np.squeeze(dx), dgamma, dbeta
