"""Chapter 18 mistakes: convolution, resampling and GroupNorm as learners really get them wrong."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from grader.author.mistakes import mistake
from solutions.ch18_convolution import conv2d_backward as reference_conv_backward
from solutions.ch18_convolution import conv2d_forward as reference_conv_forward
from solutions.ch18_convolution import groupnorm_backward as reference_gn_backward


def windows_of(x, KH, KW, stride, pad_before, pad_after):
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad_before, pad_after), (pad_before, pad_after)))
    return sliding_window_view(x_pad, (KH, KW), axis=(2, 3))[:, :, ::stride, ::stride]


def correlate(windows, W, b):
    return np.einsum("bchwpq,ocpq->bohw", windows, W) + b[:, None, None]


@mistake("18.1", "padding counted once, not on both sides")
def conv_output_size(n, k, stride=1, padding=0):
    if n + 2 * padding < k:
        raise ValueError(f"k={k} does not fit n={n}")
    return (n + padding - k) // stride + 1


@mistake("18.1", "true division: returns a float")
def conv_output_size_float(n, k, stride=1, padding=0):
    if n + 2 * padding < k:
        raise ValueError(f"k={k} does not fit n={n}")
    return (n + 2 * padding - k) / stride + 1


@mistake("18.1", "rounds up: counts a window that sticks out of the padded input")
def conv_output_size_ceil(n, k, stride=1, padding=0):
    if n + 2 * padding < k:
        raise ValueError(f"k={k} does not fit n={n}")
    return -(-(n + 2 * padding - k) // stride) + 1


@mistake("18.1", "no check: returns 0 or less for a kernel that does not fit")
def conv_output_size_unchecked(n, k, stride=1, padding=0):
    return (n + 2 * padding - k) // stride + 1


@mistake("18.2", "kernel flipped: a true convolution, not the cross-correlation frameworks compute")
def conv2d_forward(x, W, b, stride=1, padding=0):
    return reference_conv_forward(x, W[:, :, ::-1, ::-1], b, stride, padding)


@mistake("18.2", "padding applied on one side only (2 * padding after, none before)")
def conv2d_forward_one_side(x, W, b, stride=1, padding=0):
    KH, KW = W.shape[2:]
    return correlate(windows_of(x, KH, KW, stride, 0, 2 * padding), W, b), (x, W, stride, padding)


@mistake("18.2", "stride ignored: every window kept")
def conv2d_forward_no_stride(x, W, b, stride=1, padding=0):
    KH, KW = W.shape[2:]
    return correlate(windows_of(x, KH, KW, 1, padding, padding), W, b), (x, W, stride, padding)


@mistake("18.2", "bias broadcast over the last axis: + b instead of + b[:, None, None]")
def conv2d_forward_bias_axis(x, W, b, stride=1, padding=0):
    KH, KW = W.shape[2:]
    out = np.einsum("bchwpq,ocpq->bohw", windows_of(x, KH, KW, stride, padding, padding), W)
    return out + b, (x, W, stride, padding)


@mistake("18.2", "KH and KW swapped when reading the kernel: W[o, c, q, p]")
def conv2d_forward_transposed_kernel(x, W, b, stride=1, padding=0):
    KH, KW = W.shape[2:]
    W_t = W.transpose(0, 1, 3, 2)
    out = np.einsum("bchwpq,ocpq->bohw", windows_of(x, KW, KH, stride, padding, padding), W_t)
    return out + b[:, None, None], (x, W, stride, padding)


@mistake("18.3", "dW averaged over the batch instead of summed")
def conv2d_backward(dout, cache):
    dx, dW, db = reference_conv_backward(dout, cache)
    return dx, dW / dout.shape[0], db


@mistake("18.3", "dW summed over the wrong axes: output positions averaged, not summed")
def conv2d_backward_dw_mean_positions(dout, cache):
    dx, dW, db = reference_conv_backward(dout, cache)
    return dx, dW / (dout.shape[2] * dout.shape[3]), db


@mistake("18.3", "dx through the mirrored kernel: offset (p, q) sent back via W[:, :, KH-1-p, KW-1-q] "
                 "(as a transposed convolution: the flip forgotten)")
def conv2d_backward_dx_unflipped(dout, cache):
    x_shape, rows, W, stride, padding = cache
    _, dW, db = reference_conv_backward(dout, cache)
    dx, _, _ = reference_conv_backward(dout, (x_shape, rows, W[:, :, ::-1, ::-1], stride, padding))
    return dx, dW, db


@mistake("18.3", "dx cropped from one side only: dx_pad[:, :, :H, :W]")
def conv2d_backward_crop_one_side(dout, cache):
    x_shape, rows, W, stride, padding = cache
    _, dW, db = reference_conv_backward(dout, cache)
    B, C, H, Wd = x_shape
    padded = (B, C, H + 2 * padding, Wd + 2 * padding)
    dx_pad, _, _ = reference_conv_backward(dout, (padded, rows, W, stride, 0))
    return dx_pad[:, :, :H, :Wd], dW, db


@mistake("18.3", "db averaged over batch and pixels")
def conv2d_backward_db_mean(dout, cache):
    dx, dW, _ = reference_conv_backward(dout, cache)
    return dx, dW, dout.mean(axis=(0, 2, 3))


@mistake("18.4", "np.tile: copies the whole image, not each pixel")
def upsample_nearest_forward(x, factor=2):
    return np.tile(x, (1, 1, factor, factor)), factor


@mistake("18.4", "upsampled along the height only")
def upsample_nearest_forward_height(x, factor=2):
    return x.repeat(factor, axis=2).repeat(1, axis=3), factor


@mistake("18.5", "mean over each block instead of the sum")
def upsample_nearest_backward(dout, cache):
    B, C, Hf, Wf = dout.shape
    return dout.reshape(B, C, Hf // cache, cache, Wf // cache, cache).mean(axis=(3, 5))


@mistake("18.5", "keeps one entry per block (dout[::f, ::f]) instead of summing")
def upsample_nearest_backward_subsample(dout, cache):
    return dout[:, :, ::cache, ::cache]


@mistake("18.5", "reshape in tile order (B, C, f, H, f, W): sums the wrong entries")
def upsample_nearest_backward_tile_order(dout, cache):
    B, C, Hf, Wf = dout.shape
    return dout.reshape(B, C, cache, Hf // cache, cache, Wf // cache).sum(axis=(2, 4))


@mistake("18.6", "max pooling instead of the mean")
def avgpool2d_forward(x, k=2):
    B, C, H, W = x.shape
    return x.reshape(B, C, H // k, k, W // k, k).max(axis=(3, 5)), k


@mistake("18.6", "reshape (B, C, k, H/k, k, W/k): averages pixels that are H/k apart")
def avgpool2d_forward_wrong_split(x, k=2):
    B, C, H, W = x.shape
    return x.reshape(B, C, k, H // k, k, W // k).mean(axis=(2, 4)), k


@mistake("18.6", "sum over the block instead of the mean")
def avgpool2d_forward_sum(x, k=2):
    B, C, H, W = x.shape
    return x.reshape(B, C, H // k, k, W // k, k).sum(axis=(3, 5)), k


@mistake("18.7", "forgets to divide by k*k")
def avgpool2d_backward(dout, cache):
    return dout.repeat(cache, axis=2).repeat(cache, axis=3)


@mistake("18.7", "divides by k, not k*k")
def avgpool2d_backward_by_k(dout, cache):
    return (dout / cache).repeat(cache, axis=2).repeat(cache, axis=3)


@mistake("18.7", "the whole gradient to the top-left pixel of each block")
def avgpool2d_backward_top_left(dout, cache):
    B, C, H, W = dout.shape
    dx = np.zeros((B, C, H * cache, W * cache), dtype=dout.dtype)
    dx[:, :, ::cache, ::cache] = dout
    return dx


def gn_from_stats(x, gamma, beta, groups, eps, mean, var):
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    B = x.shape[0]
    return gamma[:, None, None] * x_hat + beta[:, None, None], \
        (x_hat, np.broadcast_to(inv_std, x.shape).reshape(B, groups, -1)[:, :, :1, None, None], gamma, groups)


@mistake("18.8", "statistics over (H, W) per channel whatever the groups: InstanceNorm")
def groupnorm_forward(x, gamma, beta, groups, eps=1e-5):
    return gn_from_stats(x, gamma, beta, groups, eps, x.mean(axis=(2, 3), keepdims=True),
                         x.var(axis=(2, 3), keepdims=True))


@mistake("18.8", "channels grouped by interleaving: reshape (B, C/G, G, H, W)")
def groupnorm_forward_interleaved(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    xg = x.reshape(B, C // groups, groups, H, W)
    mean = np.broadcast_to(xg.mean(axis=(1, 3, 4), keepdims=True), xg.shape).reshape(x.shape)
    var = np.broadcast_to(xg.var(axis=(1, 3, 4), keepdims=True), xg.shape).reshape(x.shape)
    return gn_from_stats(x, gamma, beta, groups, eps, mean, var)


@mistake("18.8", "statistics over the batch too (B, C/G, H, W): BatchNorm-like")
def groupnorm_forward_with_batch(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    xg = x.reshape(B, groups, C // groups, H, W)
    mean = np.broadcast_to(xg.mean(axis=(0, 2, 3, 4), keepdims=True), xg.shape).reshape(x.shape)
    var = np.broadcast_to(xg.var(axis=(0, 2, 3, 4), keepdims=True), xg.shape).reshape(x.shape)
    return gn_from_stats(x, gamma, beta, groups, eps, mean, var)


@mistake("18.8", "unbiased variance (ddof=1)")
def groupnorm_forward_unbiased(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    xg = x.reshape(B, groups, C // groups, H, W)
    mean = np.broadcast_to(xg.mean(axis=(2, 3, 4), keepdims=True), xg.shape).reshape(x.shape)
    var = np.broadcast_to(xg.var(axis=(2, 3, 4), ddof=1, keepdims=True), xg.shape).reshape(x.shape)
    return gn_from_stats(x, gamma, beta, groups, eps, mean, var)


@mistake("18.8", "statistics over the channels of a group per pixel, not over (C/G, H, W)")
def groupnorm_forward_per_pixel(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    xg = x.reshape(B, groups, C // groups, H, W)
    mean = np.broadcast_to(xg.mean(axis=2, keepdims=True), xg.shape).reshape(x.shape)
    var = np.broadcast_to(xg.var(axis=2, keepdims=True), xg.shape).reshape(x.shape)
    return gn_from_stats(x, gamma, beta, groups, eps, mean, var)


@mistake("18.9", "naive dx = dout * gamma * inv_std: mean and variance treated as constants")
def groupnorm_backward(dout, cache):
    x_hat, inv_std, gamma, groups = cache
    B, C, H, W = dout.shape
    _, dgamma, dbeta = reference_gn_backward(dout, cache)
    dx = (dout * gamma[:, None, None]).reshape(B, groups, C // groups, H, W) * inv_std
    return dx.reshape(dout.shape), dgamma, dbeta


@mistake("18.9", "M = C/G (channels per group) instead of (C/G) * H * W")
def groupnorm_backward_wrong_m(dout, cache):
    x_hat, inv_std, gamma, groups = cache
    B, C, H, W = dout.shape
    M = C // groups
    _, dgamma, dbeta = reference_gn_backward(dout, cache)
    g = (dout * gamma[:, None, None]).reshape(B, groups, M, H, W)
    xh = x_hat.reshape(B, groups, M, H, W)
    axes = (2, 3, 4)
    dx = inv_std / M * (M * g - g.sum(axis=axes, keepdims=True) - xh * (g * xh).sum(axis=axes, keepdims=True))
    return dx.reshape(dout.shape), dgamma, dbeta


@mistake("18.9", "dgamma and dbeta summed over the batch only: (C, H, W)")
def groupnorm_backward_axis0(dout, cache):
    x_hat = cache[0]
    dx, _, _ = reference_gn_backward(dout, cache)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


@mistake("18.9", "dx's sums run over (H, W) of each channel, as in InstanceNorm")
def groupnorm_backward_per_channel(dout, cache):
    x_hat, inv_std, gamma, groups = cache
    B, C, H, W = dout.shape
    _, dgamma, dbeta = reference_gn_backward(dout, cache)
    g = dout * gamma[:, None, None]
    per_channel = np.repeat(inv_std.reshape(B, groups), C // groups, axis=1)[:, :, None, None]
    dx = per_channel * (g - g.mean(axis=(2, 3), keepdims=True)
                        - x_hat * (g * x_hat).mean(axis=(2, 3), keepdims=True))
    return dx, dgamma, dbeta


# --- adversarial review (chapters 18-21) ---
@mistake("18.1", "checks the kernel against the unpadded input (n < k), so a padded fit is refused")
def conv_output_size_unpadded_check(n, k, stride=1, padding=0):
    if n < k:
        raise ValueError(f"kernel size k={k} is larger than n={n}")
    return (n + 2 * padding - k) // stride + 1


@mistake("18.1", "checks the fit with padding on one side only (n + padding < k)")
def conv_output_size_one_side_check(n, k, stride=1, padding=0):
    if n + padding < k:
        raise ValueError(f"kernel size k={k} is larger than n + padding = {n} + {padding}")
    return (n + 2 * padding - k) // stride + 1


@mistake("18.2", "filters flattened in (c, p, q) order while the windows are in (p, q, c) order")
def conv2d_forward_flatten_order(x, W, b, stride=1, padding=0):
    B, C_in = x.shape[:2]
    C_out, _, KH, KW = W.shape
    p = padding
    x_pad = np.pad(x.transpose(0, 2, 3, 1), ((0, 0), (p, p), (p, p), (0, 0)))
    windows = sliding_window_view(x_pad, (KH, KW), axis=(1, 2))[:, ::stride, ::stride]
    H_out, W_out = windows.shape[1:3]
    rows = windows.transpose(0, 1, 2, 4, 5, 3).reshape(B * H_out * W_out, KH * KW * C_in)
    out = rows @ W.reshape(C_out, -1).T + b
    return out.reshape(B, H_out, W_out, C_out).transpose(0, 3, 1, 2), (x.shape, rows, W, stride, padding)


@mistake("18.2", "the output size taken from the unpadded input: padded windows cropped to (H - KH) // stride + 1")
def conv2d_forward_size_before_padding(x, W, b, stride=1, padding=0):
    out, cache = reference_conv_forward(x, W, b, stride, padding)
    H_out = (x.shape[2] - W.shape[2]) // stride + 1
    W_out = (x.shape[3] - W.shape[3]) // stride + 1
    return out[:, :, :H_out, :W_out], cache


@mistake("18.2", "stride applied along the height only")
def conv2d_forward_stride_height_only(x, W, b, stride=1, padding=0):
    p = padding
    windows = windows_of(x, W.shape[2], W.shape[3], 1, p, p)[:, :, ::stride, :]
    return correlate(windows, W, b), (x.shape, None, W, stride, padding)


@mistake("18.2", "the height's output size used for the width too (works only for square images)")
def conv2d_forward_square_only(x, W, b, stride=1, padding=0):
    p = padding
    windows = windows_of(x, W.shape[2], W.shape[3], stride, p, p)
    H_out = windows.shape[2]
    return correlate(windows[:, :, :, :H_out], W, b), (x.shape, None, W, stride, padding)


@mistake("18.3", "dW from the first example only (batch axis dropped): right only when B = 1")
def conv2d_backward_dw_first_example(dout, cache):
    dx, dW, db = reference_conv_backward(dout, cache)
    _, first, _ = reference_conv_backward(dout[:1], (cache[0][:1] + cache[0][1:],
                                                     cache[1][:len(cache[1]) // dout.shape[0]],
                                                     *cache[2:]))
    return dx, first, db


@mistake("18.3", "dx cropped with dx_pad[p:-p]: empty when padding = 0")
def conv2d_backward_negative_crop(dout, cache):
    dx, dW, db = reference_conv_backward(dout, cache)
    p = cache[4]
    x_shape = cache[0]
    dx_pad = np.zeros(x_shape[:2] + (x_shape[2] + 2 * p, x_shape[3] + 2 * p))
    dx_pad[:, :, p:p + x_shape[2], p:p + x_shape[3]] = dx
    return dx_pad[:, :, p:-p, p:-p], dW, db


@mistake("18.3", "col2im ignores the stride: offset (p, q) scattered to consecutive pixels")
def conv2d_backward_dx_no_stride(dout, cache):
    x_shape, rows, W, stride, padding = cache
    _, dW, db = reference_conv_backward(dout, cache)
    B, C_out, H_out, W_out = dout.shape
    KH, KW = W.shape[2:]
    dx_pad = np.zeros((B, x_shape[1], x_shape[2] + 2 * padding, x_shape[3] + 2 * padding))
    for p in range(KH):
        for q in range(KW):
            dx_pad[:, :, p:p + H_out, q:q + W_out] += np.einsum("bohw,oc->bchw", dout, W[:, :, p, q])
    return dx_pad[:, :, padding:padding + x_shape[2], padding:padding + x_shape[3]], dW, db


@mistake("18.3", "db summed over the batch but averaged over the pixels")
def conv2d_backward_db_mean_space(dout, cache):
    dx, dW, _ = reference_conv_backward(dout, cache)
    return dx, dW, dout.mean(axis=(2, 3)).sum(axis=0)


@mistake("18.4", "ignores factor: always doubles")
def upsample_nearest_forward_factor_two(x, factor=2):
    return x.repeat(2, axis=2).repeat(2, axis=3), factor


@mistake("18.4", "np.kron-style tiling along the width: whole rows repeated instead of pixels")
def upsample_nearest_forward_tile_width(x, factor=2):
    return np.tile(x.repeat(factor, axis=2), (1, 1, 1, factor)), factor


@mistake("18.5", "block reshape with H for both axes (works only for square images)")
def upsample_nearest_backward_square(dout, cache):
    B, C, Hf, Wf = dout.shape
    f = cache
    H = Hf // f
    return dout[:, :, :, :H * f].reshape(B, C, H, f, H, f).sum(axis=(3, 5)) if Wf >= Hf else \
        dout[:, :, :Wf, :].reshape(B, C, Wf // f, f, Wf // f, f).sum(axis=(3, 5))


@mistake("18.5", "sums along the width but keeps one row per block along the height")
def upsample_nearest_backward_half_sum(dout, cache):
    B, C, Hf, Wf = dout.shape
    f = cache
    return dout[:, :, ::f].reshape(B, C, Hf // f, Wf // f, f).sum(axis=4)


@mistake("18.6", "keeps the top-left pixel of each block (subsampling x[::k, ::k])")
def avgpool2d_forward_subsample(x, k=2):
    if x.shape[2] % k or x.shape[3] % k:
        raise ValueError(f"H and W of x {x.shape} must be divisible by k={k}")
    return x[:, :, ::k, ::k], k


@mistake("18.6", "ignores k: always 2x2 blocks")
def avgpool2d_forward_k_two(x, k=2):
    B, C, H, W = x.shape
    return x[:, :, :H // 2 * 2, :W // 2 * 2].reshape(B, C, H // 2, 2, W // 2, 2).mean(axis=(3, 5)), k


@mistake("18.7", "divides by 2 * k (equal to k * k only when k = 2)")
def avgpool2d_backward_two_k(dout, cache):
    k = cache
    return (dout / (2 * k)).repeat(k, axis=2).repeat(k, axis=3)


@mistake("18.7", "np.tile: the whole dout image copied k x k times instead of each entry")
def avgpool2d_backward_tile(dout, cache):
    k = cache
    return np.tile(dout / (k * k), (1, 1, k, k))


@mistake("18.8", "eps added outside the square root: (x - mean) / (sqrt(var) + eps)")
def groupnorm_forward_eps_outside(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    xg = x.reshape(B, groups, -1)
    mean, std = xg.mean(axis=2, keepdims=True), xg.std(axis=2, keepdims=True)
    x_hat = ((xg - mean) / (std + eps)).reshape(x.shape)
    inv_std = (1.0 / (std + eps))[:, :, :, None, None]
    return gamma[:, None, None] * x_hat + beta[:, None, None], (x_hat, inv_std, gamma, groups)


@mistake("18.8", "eps ignored: always 1e-5")
def groupnorm_forward_fixed_eps(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    xg = x.reshape(B, groups, -1)
    return gn_from_stats(x, gamma, beta, groups, 1e-5,
                         np.repeat(xg.mean(axis=2), C // groups, axis=1).reshape(B, C, 1, 1),
                         np.repeat(xg.var(axis=2), C // groups, axis=1).reshape(B, C, 1, 1))


@mistake("18.8", "gamma and beta indexed by group (gamma[g] for every channel of group g)")
def groupnorm_forward_gamma_per_group(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    xg = x.reshape(B, groups, -1)
    mean, var = xg.mean(axis=2, keepdims=True), xg.var(axis=2, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = ((xg - mean) * inv_std).reshape(x.shape)
    channel_group = np.arange(C) // (C // groups)
    out = gamma[channel_group][:, None, None] * x_hat + beta[channel_group][:, None, None]
    return out, (x_hat, inv_std[:, :, :, None, None], gamma, groups)


@mistake("18.9", "dx_hat = dout: gamma left out of the chain rule")
def groupnorm_backward_no_gamma(dout, cache):
    x_hat, inv_std, gamma, groups = cache
    dx, dgamma, dbeta = reference_gn_backward(dout, (x_hat, inv_std, np.ones_like(gamma), groups))
    return dx, dgamma, dbeta


@mistake("18.9", "dgamma multiplies dout by gamma * x_hat (the output without beta) instead of x_hat")
def groupnorm_backward_dgamma_times_gamma(dout, cache):
    dx, dgamma, dbeta = reference_gn_backward(dout, cache)
    return dx, dgamma * cache[2], dbeta


@mistake("18.2", "np.pad(x, padding): pads the batch and channel axes too, not only H and W")
def conv2d_forward_pad_every_axis(x, W, b, stride=1, padding=0):
    x_pad = np.pad(x, padding)
    windows = sliding_window_view(x_pad, W.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return correlate(windows[padding:x_pad.shape[0] - padding, :W.shape[1]], W, b), \
        (x.shape, None, W, stride, padding)


@mistake("18.8", "statistics over (C/G, H) of each group: the width axis left out")
def groupnorm_forward_no_width(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    xg = x.reshape(B, groups, C // groups, H, W)
    mean = xg.mean(axis=(2, 3), keepdims=True)
    var = xg.var(axis=(2, 3), keepdims=True)
    x_hat = ((xg - mean) / np.sqrt(var + eps)).reshape(x.shape)
    inv_std = 1.0 / np.sqrt(xg.var(axis=(2, 3, 4), keepdims=True) + eps)
    return gamma[:, None, None] * x_hat + beta[:, None, None], (x_hat, inv_std, gamma, groups)


@mistake("18.3", "dx_pad = np.zeros(...) without a dtype: float32 inputs give a float64 dx")
def conv2d_backward_float64_dx(dout, cache):
    dx, dW, db = reference_conv_backward(dout, cache)
    dx_pad = np.zeros(dx.shape)
    dx_pad += dx
    return dx_pad, dW, db


@mistake("18.5", "dx = np.zeros(...) then the f*f offsets added in: float32 in, float64 out")
def upsample_nearest_backward_float64(dout, cache):
    f = cache
    B, C, Hf, Wf = dout.shape
    dx = np.zeros((B, C, Hf // f, Wf // f))
    for p in range(f):
        for q in range(f):
            dx += dout[:, :, p::f, q::f]
    return dx


@mistake("18.7", "dx = np.zeros(...) filled block offset by block offset: float32 in, float64 out")
def avgpool2d_backward_float64(dout, cache):
    k = cache
    B, C, H, W = dout.shape
    dx = np.zeros((B, C, H * k, W * k))
    for p in range(k):
        for q in range(k):
            dx[:, :, p::k, q::k] = dout / (k * k)
    return dx


@mistake("18.9", "dgamma and dbeta accumulated into np.zeros(C): float32 in, float64 out")
def groupnorm_backward_float64_params(dout, cache):
    dx, dgamma, dbeta = reference_gn_backward(dout, cache)
    acc_gamma, acc_beta = np.zeros(len(dgamma)), np.zeros(len(dbeta))
    acc_gamma += dgamma
    acc_beta += dbeta
    return dx, acc_gamma, acc_beta


@mistake("18.6", "crops a remainder silently (floor mode) instead of refusing sizes not divisible by k")
def avgpool2d_forward_crop(x, k=2):
    B, C, H, W = x.shape
    x = x[:, :, :H // k * k, :W // k * k]
    return x.reshape(B, C, H // k, k, W // k, k).mean(axis=(3, 5)), k
