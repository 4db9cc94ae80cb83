"""Chapter 10 mistakes: batch normalization as learners really get it wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch10_batchnorm import (_channels_last_rows, _rows_to_channels_first,
                                      batchnorm_backward as reference_backward,
                                      batchnorm_forward as reference_forward,
                                      batchnorm_inference as reference_inference,
                                      update_running_stats as reference_update)


@mistake("10.1", "normalizes with the unbiased variance (/(B-1))", cause="variance")
def batchnorm_forward(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / np.sqrt(x.var(axis=0, ddof=1) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("10.1", "normalizes each example over its features (axis=1): that is LayerNorm", cause="axis")
def batchnorm_forward_wrong_axis(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / np.sqrt(x.var(axis=1, keepdims=True) + eps)
    x_hat = (x - x.mean(axis=1, keepdims=True)) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("10.1", "eps outside the square root: sqrt(var) + eps", cause="eps-sqrt")
def batchnorm_forward_eps_outside(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / (np.sqrt(x.var(axis=0)) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("10.1", "divides by the variance instead of the standard deviation")
def batchnorm_forward_var(x, gamma, beta, eps=1e-5):
    inv_std = 1.0 / (x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("10.2", "naive backward dx = dout * gamma / std: mean and var treated as constants")
def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    return dout * gamma * inv_std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("10.2", "divides by B twice")
def batchnorm_backward_twice(dout, cache):
    x_hat, inv_std, gamma = cache
    B = dout.shape[0]
    g = dout * gamma
    dx = (inv_std / B) * (g - g.sum(axis=0) / B - x_hat * (g * x_hat).sum(axis=0) / B)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("10.2", "keeps the mean's term but forgets that var depends on x")
def batchnorm_backward_no_var_term(dout, cache):
    x_hat, inv_std, gamma = cache
    g = dout * gamma
    return inv_std * (g - g.mean(axis=0)), (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("10.2", "derives through the unbiased variance: (B-1) in the var term", cause="variance")
def batchnorm_backward_unbiased(dout, cache):
    x_hat, inv_std, gamma = cache
    B = dout.shape[0]
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).sum(axis=0) / (B - 1))
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("10.2", "dgamma not summed over the batch")
def batchnorm_backward_dgamma_unsummed(dout, cache):
    dx, _, dbeta = reference_backward(dout, cache)
    return dx, dout * cache[0], dbeta


@mistake("10.2", "dgamma = sum(dout), forgetting x_hat")
def batchnorm_backward_dgamma_no_xhat(dout, cache):
    dx, _, dbeta = reference_backward(dout, cache)
    return dx, dbeta.copy(), dbeta


@mistake("10.3", "momentum convention inverted: momentum * running + (1 - momentum) * batch", cause="moving-average")
def update_running_stats(running_mean, running_var, x, momentum=0.1):
    return ((momentum * running_mean + (1 - momentum) * x.mean(axis=0)),
            (momentum * running_var + (1 - momentum) * x.var(axis=0, ddof=1)))


@mistake("10.3", "stores the biased batch variance", cause="variance")
def update_running_stats_biased(running_mean, running_var, x, momentum=0.1):
    return ((1 - momentum) * running_mean + momentum * x.mean(axis=0),
            (1 - momentum) * running_var + momentum * x.var(axis=0))


@mistake("10.3", "averages the standard deviation instead of the variance")
def update_running_stats_std(running_mean, running_var, x, momentum=0.1):
    return ((1 - momentum) * running_mean + momentum * x.mean(axis=0),
            (1 - momentum) * running_var + momentum * x.std(axis=0, ddof=1))


@mistake("10.4", "uses the batch's statistics in evaluation mode")
def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta


@mistake("10.4", "divides by running_var without the square root")
def batchnorm_inference_no_sqrt(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (x - running_mean) / (running_var + eps) + beta


@mistake("10.4", "eps outside the square root", cause="eps-sqrt")
def batchnorm_inference_eps_outside(x, gamma, beta, running_mean, running_var, eps=1e-5):
    return gamma * (x - running_mean) / (np.sqrt(running_var) + eps) + beta


@mistake("10.5", "updates the running statistics in evaluation mode too")
def forward(self, x):
    self.running_mean, self.running_var = reference_update(
        self.running_mean, self.running_var, x, self.momentum)
    if not self.training:
        return reference_inference(x, self.gamma.data, self.beta.data,
                                   self.running_mean, self.running_var, self.eps)
    out, self.cache = reference_forward(x, self.gamma.data, self.beta.data, self.eps)
    return out


@mistake("10.5", "uses batch statistics in evaluation mode")
def forward_batch_stats_in_eval(self, x):
    out, self.cache = reference_forward(x, self.gamma.data, self.beta.data, self.eps)
    if self.training:
        self.running_mean, self.running_var = reference_update(
            self.running_mean, self.running_var, x, self.momentum)
    return out


@mistake("10.5", "never stores the updated running statistics")
def forward_no_update(self, x):
    if not self.training:
        return reference_inference(x, self.gamma.data, self.beta.data,
                                   self.running_mean, self.running_var, self.eps)
    out, self.cache = reference_forward(x, self.gamma.data, self.beta.data, self.eps)
    reference_update(self.running_mean, self.running_var, x, self.momentum)
    return out


@mistake("10.5", "passes 1 - momentum: the update convention inverted", cause="moving-average")
def forward_inverted(self, x):
    if not self.training:
        return reference_inference(x, self.gamma.data, self.beta.data,
                                   self.running_mean, self.running_var, self.eps)
    out, self.cache = reference_forward(x, self.gamma.data, self.beta.data, self.eps)
    self.running_mean, self.running_var = reference_update(
        self.running_mean, self.running_var, x, 1.0 - self.momentum)
    return out


@mistake("10.6", "reshapes to (-1, C) without moving the channels last: channels get mixed")
def batchnorm2d_forward(x, gamma, beta, eps=1e-5):
    out_rows, cache = reference_forward(x.reshape(-1, x.shape[1]), gamma, beta, eps)
    return out_rows.reshape(x.shape), (cache, x.shape)


@mistake("10.6", "statistics over (H, W) of each image: instance norm, not batch norm")
def batchnorm2d_forward_per_image(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=(2, 3), keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=(2, 3), keepdims=True) + eps)
    out = gamma[:, None, None] * (x - mean) * inv_std + beta[:, None, None]
    return out, reference_forward(_channels_last_rows(x), gamma, beta, eps)[1:] + (x.shape,)


@mistake("10.6", "statistics over the batch axis only: one mean per pixel position")
def batchnorm2d_forward_batch_axis(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=0, keepdims=True) + eps)
    out = gamma[:, None, None] * (x - mean) * inv_std + beta[:, None, None]
    return out, reference_forward(_channels_last_rows(x), gamma, beta, eps)[1:] + (x.shape,)


@mistake("10.7", "reshapes dout to (-1, C) without moving the channels last")
def batchnorm2d_backward(dout, cache):
    rows_cache, shape = cache
    dx_rows, dgamma, dbeta = reference_backward(dout.reshape(-1, shape[1]), rows_cache)
    return _rows_to_channels_first(dx_rows, shape), dgamma, dbeta


@mistake("10.7", "moves dx back with a bare reshape instead of the inverse transpose")
def batchnorm2d_backward_bare_reshape(dout, cache):
    rows_cache, shape = cache
    dx_rows, dgamma, dbeta = reference_backward(_channels_last_rows(dout), rows_cache)
    return dx_rows.reshape(shape), dgamma, dbeta


@mistake("10.7", "naive per-channel backward: dx = dout * gamma / std")
def batchnorm2d_backward_naive(dout, cache):
    rows_cache, shape = cache
    _, dgamma, dbeta = reference_backward(_channels_last_rows(dout), rows_cache)
    x_hat, inv_std, gamma = rows_cache
    return dout * (gamma * inv_std)[:, None, None], dgamma, dbeta


@mistake("10.1", "caches the standard deviation instead of its inverse")
def batchnorm_forward_cache_std(x, gamma, beta, eps=1e-5):
    std = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) / std
    return gamma * x_hat + beta, (x_hat, std, gamma)


@mistake("10.5", "ignores self.eps: always normalizes with the default 1e-5")
def batchnorm_module_forward_default_eps(self, x):
    if not self.training:
        return reference_inference(x, self.gamma.data, self.beta.data, self.running_mean, self.running_var)
    out, self.cache = reference_forward(x, self.gamma.data, self.beta.data)
    self.running_mean, self.running_var = reference_update(self.running_mean, self.running_var, x,
                                                            self.momentum)
    return out


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402


@mistake("10.3", "updates the running statistics in place and returns them", cause="in-place")
def update_running_stats_in_place(running_mean, running_var, x, momentum=0.1):
    running_mean *= 1.0 - momentum
    running_mean += momentum * x.mean(axis=0)
    running_var *= 1.0 - momentum
    running_var += momentum * x.var(axis=0, ddof=1)
    return running_mean, running_var


@mistake("10.2", "scales the cached x_hat by gamma in place", cause="in-place")
def batchnorm_backward_overwrites_cache(dout, cache):
    x_hat, inv_std, gamma = cache
    B = dout.shape[0]
    dgamma = (dout * x_hat).sum(axis=0)
    dbeta = dout.sum(axis=0)
    dx_hat = dout * gamma
    dx = (inv_std / B) * (B * dx_hat - dx_hat.sum(axis=0) - x_hat * (dx_hat * x_hat).sum(axis=0))
    x_hat *= gamma
    return dx, dgamma, dbeta


@mistake("10.4", "centres the caller's x in place (x -= running_mean)", cause="in-place")
def batchnorm_inference_in_place(x, gamma, beta, running_mean, running_var, eps=1e-5):
    x -= running_mean
    return gamma * x / np.sqrt(running_var + eps) + beta




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("10.1", "variance as mean(x^2) - mean(x)^2: catastrophic cancellation for large offsets")
def batchnorm_forward_one_pass_var(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=0)
    var = (x * x).mean(axis=0) - mean * mean
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


@mistake("10.3", "unbiased variance as (mean(x^2) - mean(x)^2) * B / (B - 1): cancels for large offsets")
def update_running_stats_one_pass_var(running_mean, running_var, x, momentum=0.1):
    B = x.shape[0]
    mean = x.mean(axis=0)
    var = ((x * x).mean(axis=0) - mean * mean) * B / (B - 1)
    return (1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * var


@mistake("10.6", "per-channel variance as mean(x^2) - mean(x)^2 over (B, H, W): cancels for large offsets")
def batchnorm2d_forward_one_pass_var(x, gamma, beta, eps=1e-5):
    rows = _channels_last_rows(x)
    mean = rows.mean(axis=0)
    var = (rows * rows).mean(axis=0) - mean * mean
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (rows - mean) * inv_std
    return _rows_to_channels_first(gamma * x_hat + beta, x.shape), ((x_hat, inv_std, gamma), x.shape)
