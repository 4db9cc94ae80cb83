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


@mistake("18.3", "dx uses the kernel without flipping it")
def conv2d_backward_dx_unflipped(dout, cache):
    x_shape, cols, W, stride, padding = cache
    _, dW, db = reference_conv_backward(dout, cache)
    dx, _, _ = reference_conv_backward(dout, (x_shape, cols, W[:, :, ::-1, ::-1], stride, padding))
    return dx, dW, db


@mistake("18.3", "dx cropped from one side only: dx_pad[:, :, :H, :W]")
def conv2d_backward_crop_one_side(dout, cache):
    x_shape, cols, W, stride, padding = cache
    _, dW, db = reference_conv_backward(dout, cache)
    B, C, H, Wd = x_shape
    padded = (B, C, H + 2 * padding, Wd + 2 * padding)
    dx_pad, _, _ = reference_conv_backward(dout, (padded, cols, W, stride, 0))
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
