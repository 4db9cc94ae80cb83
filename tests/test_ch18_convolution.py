"""Graded tests for chapter 18 (convolution, resampling, GroupNorm).

The oracles are written out here with plain loops: a cross-correlation that visits every
output pixel, a padded copy of x made by hand (zeros on every side), output sizes found by
counting window positions, pooling and upsampling pixel by pixel, GroupNorm group by group.
Shapes are deliberately unequal everywhere (B != C_in != C_out, H != W, KH != KW), so a
transposed or swapped axis cannot hide. Gradients: float64, random upstream, every input.
"""

import numpy as np
import pytest

CONFIGS = [  # (H, W, KH, KW, stride, padding)
    (7, 6, 3, 2, 1, 0),
    (7, 6, 3, 2, 2, 1),
    (8, 5, 3, 3, 3, 2),
    (5, 4, 1, 1, 2, 0),
    (4, 3, 4, 3, 1, 0),   # the kernel covers the whole image: one output pixel
    (5, 9, 2, 3, 2, 1),   # wider than tall: the width's output size is the larger one
]


def count_positions(n, k, stride, padding):
    positions = 0
    while positions * stride + k <= n + 2 * padding:
        positions += 1
    return positions


def conv_loop(x, W, b, stride, padding):
    B, C_in, H, Wd = x.shape
    C_out, _, KH, KW = W.shape
    x_pad = np.zeros((B, C_in, H + 2 * padding, Wd + 2 * padding))
    x_pad[:, :, padding:padding + H, padding:padding + Wd] = x
    H_out, W_out = count_positions(H, KH, stride, padding), count_positions(Wd, KW, stride, padding)
    out = np.empty((B, C_out, H_out, W_out))
    for n in range(B):
        for o in range(C_out):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
                    out[n, o, i, j] = np.sum(window * W[o]) + b[o]
    return out


def conv_inputs(rng, H, Wd, KH, KW, B=2, C_in=3, C_out=4):
    return rng.normal(size=(B, C_in, H, Wd)), rng.normal(size=(C_out, C_in, KH, KW)), rng.normal(size=C_out)


def dtype_of(value):
    return getattr(value, "dtype", type(value).__name__)


# ---------------------------------------------------------------- 18.1 output size
@pytest.mark.exercise("18.1")
def test_conv_output_size_counts_window_positions(kata, check):
    for n, k, stride, padding in [(32, 3, 1, 1), (32, 3, 2, 1), (7, 3, 2, 0), (8, 3, 3, 2),
                                  (5, 5, 1, 0), (6, 1, 4, 0), (9, 4, 2, 3),
                                  (2, 3, 1, 1), (4, 6, 2, 1)]:  # kernels that fit only thanks to padding
        try:
            size = kata.conv_output_size(n, k, stride, padding)
        except ValueError as err:
            check.fail(f"conv_output_size(n={n}, k={k}, stride={stride}, padding={padding}) raised "
                       f"ValueError ({err}), yet the kernel fits the padded input ({n} + 2*{padding} >= {k})",
                       "the fit test must count the padding on both sides: n + 2*padding < k")
        check.true(isinstance(size, (int, np.integer)) and not isinstance(size, bool),
                   f"conv_output_size({n}, {k}, {stride}, {padding}) should be an int",
                   f"it is {size!r}: use floor division //")
        check.close(size, count_positions(n, k, stride, padding),
                    f"conv_output_size(n={n}, k={k}, stride={stride}, padding={padding}) "
                    "(padding is added on both sides)")


@pytest.mark.exercise("18.1")
def test_conv_output_size_rejects_a_kernel_too_large(kata, check):
    check.raises(ValueError, lambda: kata.conv_output_size(3, 6, 1, 1),
                 "conv_output_size(n=3, k=6, padding=1) (the kernel does not fit)", mentions=("6", "3"))


# ---------------------------------------------------------------- 18.2 conv2d forward
@pytest.mark.exercise("18.2")
def test_conv2d_forward_by_hand(kata, check):
    # a kernel that is 1 only at its top-left picks x[i, j]: a flipped kernel would pick x[i+1, j+1]
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    out, _ = kata.conv2d_forward(x, np.array([[[[1.0, 0.0], [0.0, 0.0]]]]), np.array([0.5]))
    check.close(out, [[[[0.5, 1.5], [3.5, 4.5]]]], "conv2d_forward(arange(9) as 3x3, kernel "
                "[[1, 0], [0, 0]], bias 0.5) (cross-correlation: the kernel is not flipped)",
                suspects={"the kernel is flipped (a true convolution, out[i, j] = x[i+1, j+1])":
                          [[[[4.5, 5.5], [7.5, 8.5]]]]})
    out, _ = kata.conv2d_forward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.zeros(1), 1, 1)
    check.close(out, [[[[4.0, 4.0], [4.0, 4.0]]]], "conv2d_forward of ones (2x2) with a ones 3x3 "
                "kernel and padding=1 (each window sees all 4 pixels)")


@pytest.mark.exercise("18.2")
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: "H{}W{}k{}x{}s{}p{}".format(*c))
def test_conv2d_forward_matches_loops(kata, check, rng, config):
    H, Wd, KH, KW, stride, padding = config
    x, W, b = conv_inputs(rng, H, Wd, KH, KW)
    result = kata.conv2d_forward(x, W, b, stride, padding)
    check.true(isinstance(result, tuple) and len(result) == 2,
               "conv2d_forward should return a pair (out, cache)")
    expected = conv_loop(x, W, b, stride, padding)
    check.close(result[0], expected, f"conv2d_forward on x {x.shape}, W {W.shape}, stride={stride}, "
                f"padding={padding}", suspects={
                    "the kernel is flipped (a true convolution)":
                    conv_loop(x, W[:, :, ::-1, ::-1], b, stride, padding)})


@pytest.mark.exercise("18.2")
def test_conv2d_forward_keeps_float32(kata, check, rng):
    x, W, b = conv_inputs(rng, 6, 5, 3, 3)
    out32, _ = kata.conv2d_forward(x.astype(np.float32), W.astype(np.float32), b.astype(np.float32), 2, 1)
    check.true(dtype_of(out32) == np.float32, "conv2d_forward on float32 arrays should return float32",
               f"it returned {dtype_of(out32)}")
    check.close(out32, conv_loop(x, W, b, 2, 1), "conv2d_forward in float32 vs float64 loops",
                rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- 18.3 conv2d backward
def dW_loop(x, dout, KH, KW, stride, padding):
    """dW[o, c, p, q] = sum over n, i, j of dout[n, o, i, j] * x_pad[n, c, i*stride + p, j*stride + q]."""
    x_pad = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dW = np.zeros((dout.shape[1], x.shape[1], KH, KW))
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x_pad[:, :, i * stride:i * stride + KH, j * stride:j * stride + KW]
            dW += np.einsum("bo,bcpq->ocpq", dout[:, :, i, j], window)
    return dW


def conv_grads(kata, x, W, b, dout, stride, padding):
    return kata.conv2d_backward(dout, kata.conv2d_forward(x, W, b, stride, padding)[1])


@pytest.mark.exercise("18.3")
def test_conv2d_backward_shapes_dW_and_db(kata, check, rng):
    x, W, b = conv_inputs(rng, 7, 6, 3, 2, B=3)
    dout = rng.normal(size=(3, 4, 4, 4))
    dx, dW, db = conv_grads(kata, x, W, b, dout, 2, 1)
    check.shape(dx, x.shape, "dx of conv2d_backward (x's shape)")
    expected = dW_loop(x, dout, 3, 2, 2, 1)
    check.close(dW, expected, "dW of conv2d_backward on x (3, 3, 7, 6), W (4, 3, 3, 2), stride=2, "
                "padding=1", suspects={"dW is averaged over the batch instead of summed": expected / 3,
                                       "dW is averaged over the output pixels instead of summed":
                                       expected / 16})
    check.close(db, dout.sum(axis=(0, 2, 3)), "db (dout summed over batch, height and width)",
                suspects={"db is averaged instead of summed": dout.mean(axis=(0, 2, 3))})


@pytest.mark.exercise("18.3")
def test_conv2d_backward_by_hand(kata, check):
    # dout of ones: dx counts the windows covering each pixel, dW sums each window's pixels
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    dx, dW, _ = conv_grads(kata, x, np.ones((1, 1, 2, 2)), np.zeros(1), np.ones((1, 1, 2, 2)), 1, 0)
    check.close(dx, [[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]],
                "dx for a 3x3 image, ones 2x2 kernel, ones upstream (windows covering each pixel)")
    check.close(dW, [[[[8.0, 12.0], [20.0, 24.0]]]], "dW for x = arange(9) as 3x3, ones upstream")


@pytest.mark.exercise("18.3")
@pytest.mark.parametrize("config", [(6, 5, 3, 2, 1, 1), (6, 5, 3, 2, 2, 1), (5, 6, 2, 3, 3, 0)],
                         ids=lambda c: "H{}W{}k{}x{}s{}p{}".format(*c))
def test_conv2d_backward_gradcheck(kata, check, rng, config):
    H, Wd, KH, KW, stride, padding = config
    x, W, b = conv_inputs(rng, H, Wd, KH, KW, B=2, C_in=2, C_out=3)
    dout = rng.normal(size=conv_loop(x, W, b, stride, padding).shape)
    dx, dW, db = conv_grads(kata, x, W, b, dout, stride, padding)
    check.gradients(lambda x, W, b: kata.conv2d_forward(x, W, b, stride, padding)[0],
                    {"x": x, "W": W, "b": b}, {"x": dx, "W": dW, "b": db}, dout,
                    f"conv2d on x {x.shape}, W {W.shape}, stride={stride}, padding={padding}")


@pytest.mark.exercise("18.3")
def test_conv2d_backward_keeps_float32(kata, check, rng):
    x, W, b = conv_inputs(rng, 6, 5, 3, 2)
    dout = rng.normal(size=(2, 4, 3, 3))
    grads32 = conv_grads(kata, *(a.astype(np.float32) for a in (x, W, b, dout)), 2, 1)
    for name, value in zip(("dx", "dW", "db"), grads32):
        check.true(dtype_of(value) == np.float32, f"conv2d_backward on float32 arrays should return a "
                   f"float32 {name}", f"it returned {dtype_of(value)}: give np.zeros the dtype of dout")
    check.close(grads32[1], dW_loop(x, dout, 3, 2, 2, 1), "dW of conv2d_backward in float32 vs float64 loops",
                rtol=1e-4, atol=1e-4)


@pytest.mark.exercise("18.3")
def test_conv2d_module_accumulates(kata, check, rng):
    conv = kata.Conv2d(3, 4, (3, 2), np.random.default_rng(0), stride=2, padding=1)
    W, b = check.array(conv.W.data, "Conv2d.W.data"), check.array(conv.b.data, "Conv2d.b.data")
    x, dout = rng.normal(size=(2, 3, 7, 6)), rng.normal(size=(2, 4, 4, 4))
    check.close(conv.forward(x), conv_loop(x, W, b, 2, 1), "Conv2d(3, 4, (3, 2), stride=2, padding=1).forward")
    conv.backward(dout)
    conv.backward(dout)  # gradients add up over calls
    check.close(conv.W.grad, 2 * dW_loop(x, dout, 3, 2, 2, 1), "Conv2d.W.grad after two backward calls (they add up)")
    check.close(conv.b.grad, 2 * dout.sum(axis=(0, 2, 3)), "Conv2d.b.grad after two backward calls")


# ---------------------------------------------------------------- 18.4 / 18.5 upsampling
@pytest.mark.exercise("18.4")
def test_upsample_nearest_forward(kata, check, rng):
    out, _ = kata.upsample_nearest_forward(np.array([[[[1.0, 2.0]]]]))
    check.close(out, [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]], "upsample_nearest_forward([[1, 2]])")
    x = rng.normal(size=(2, 3, 2, 4))
    out = check.shape(kata.upsample_nearest_forward(x, 3)[0], (2, 3, 6, 12),
                      "upsample_nearest_forward(x: (2, 3, 2, 4), factor=3)")
    expected = np.empty((2, 3, 6, 12))
    for i in range(6):
        for j in range(12):
            expected[:, :, i, j] = x[:, :, i // 3, j // 3]
    check.close(out, expected, "upsample_nearest_forward with factor 3 (out[i, j] = x[i // 3, j // 3])")
    out32 = kata.upsample_nearest_forward(x.astype(np.float32), 3)[0]
    check.true(dtype_of(out32) == np.float32, "upsample_nearest_forward should keep float32",
               f"it returned {dtype_of(out32)}")


@pytest.mark.exercise("18.5")
def test_upsample_nearest_backward(kata, check, rng):
    dx = kata.upsample_nearest_backward(np.arange(8.0).reshape(1, 1, 2, 4), 2)
    check.close(dx, [[[[10.0, 18.0]]]], "upsample_nearest_backward of arange(8) as 2x4 (block sums)",
                suspects={"it averages each block instead of summing": [[[[2.5, 4.5]]]],
                          "it keeps one entry per block instead of summing": [[[[0.0, 2.0]]]]})
    x, dout = rng.normal(size=(2, 3, 2, 3)), rng.normal(size=(2, 3, 6, 9))
    dx = kata.upsample_nearest_backward(dout, kata.upsample_nearest_forward(x, 3)[1])
    check.gradients(lambda x: kata.upsample_nearest_forward(x, 3)[0], {"x": x}, {"x": dx}, dout,
                    "upsample_nearest with factor 3 on (2, 3, 2, 3)")


@pytest.mark.exercise("18.5")
def test_upsample_nearest_backward_keeps_float32(kata, check, rng):
    dout = rng.normal(size=(2, 3, 4, 6))
    dx = kata.upsample_nearest_backward(dout.astype(np.float32), 2)
    check.true(dtype_of(dx) == np.float32, "upsample_nearest_backward on a float32 dout should return "
               f"float32, it returned {dtype_of(dx)}")
    check.close(dx, dout.reshape(2, 3, 2, 2, 3, 2).sum(axis=(3, 5)),
                "upsample_nearest_backward in float32 (block sums)", rtol=1e-5, atol=1e-5)


@pytest.mark.exercise("18.5")
def test_upsample_module(kata, check, rng):
    up, dout = kata.Upsample(2), rng.normal(size=(1, 2, 4, 6))
    check.shape(up.forward(rng.normal(size=(1, 2, 2, 3))), (1, 2, 4, 6), "Upsample(2).forward on (1, 2, 2, 3)")
    check.close(up.backward(dout), dout.reshape(1, 2, 2, 2, 3, 2).sum(axis=(3, 5)),
                "Upsample(2).backward (each input pixel's 2x2 block summed)")


# ---------------------------------------------------------------- 18.6 / 18.7 average pooling
@pytest.mark.exercise("18.6")
def test_avgpool2d_forward(kata, check, rng):
    out, _ = kata.avgpool2d_forward(np.arange(8.0).reshape(1, 1, 2, 4))
    check.close(out, [[[[2.5, 4.5]]]], "avgpool2d_forward of arange(8) as 2x4 (means of 2x2 blocks)",
                suspects={"it takes the maximum of each block (max pooling)": [[[[5.0, 7.0]]]],
                          "it sums each block instead of averaging": [[[[10.0, 18.0]]]],
                          "the reshape splits (k, H/k) instead of (H/k, k): it averages pixels "
                          "H/k apart": [[[[3.0, 4.0]]]]})
    x = rng.normal(size=(2, 3, 6, 9))
    out = check.shape(kata.avgpool2d_forward(x, 3)[0], (2, 3, 2, 3), "avgpool2d_forward(x: (2, 3, 6, 9), k=3)")
    expected = np.empty((2, 3, 2, 3))
    for i in range(2):
        for j in range(3):
            expected[:, :, i, j] = x[:, :, 3 * i:3 * i + 3, 3 * j:3 * j + 3].mean(axis=(2, 3))
    check.close(out, expected, "avgpool2d_forward with k = 3 (the mean of each 3x3 block)")
    out32 = kata.avgpool2d_forward(x.astype(np.float32), 3)[0]
    check.true(dtype_of(out32) == np.float32, "avgpool2d_forward should keep float32",
               f"it returned {dtype_of(out32)}")
    # the documented rule: H and W must be divisible by k (no silent cropping of a remainder)
    check.raises(ValueError, lambda: kata.avgpool2d_forward(np.zeros((1, 2, 6, 7)), 2),
                 "avgpool2d_forward(x: (1, 2, 6, 7), k=2) (7 is not divisible by 2)", mentions=("k=2",))


@pytest.mark.exercise("18.7")
def test_avgpool2d_backward(kata, check, rng):
    dx = kata.avgpool2d_backward(np.array([[[[4.0, 8.0]]]]), 2)
    check.close(dx, [[[[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]]]],
                "avgpool2d_backward of [[4, 8]] with k = 2 (dout / 4 on every pixel of a block)")
    x, dout = rng.normal(size=(2, 3, 6, 9)), rng.normal(size=(2, 3, 2, 3))
    dx = kata.avgpool2d_backward(dout, kata.avgpool2d_forward(x, 3)[1])
    check.gradients(lambda x: kata.avgpool2d_forward(x, 3)[0], {"x": x}, {"x": dx}, dout,
                    "avgpool2d with k = 3 on (2, 3, 6, 9)")


@pytest.mark.exercise("18.7")
def test_avgpool2d_backward_keeps_float32(kata, check, rng):
    dout = rng.normal(size=(2, 3, 2, 3))
    dx = kata.avgpool2d_backward(dout.astype(np.float32), 3)
    check.true(dtype_of(dx) == np.float32, "avgpool2d_backward on a float32 dout should return "
               f"float32, it returned {dtype_of(dx)}")
    check.close(dx, np.repeat(np.repeat(dout, 3, axis=2), 3, axis=3) / 9,
                "avgpool2d_backward in float32 with k = 3 (dout / 9 on each pixel of its block)",
                rtol=1e-5, atol=1e-6)


@pytest.mark.exercise("18.7")
def test_avgpool_module(kata, check, rng):
    pool, dout = kata.AvgPool2d(2), rng.normal(size=(1, 2, 2, 3))
    check.shape(pool.forward(rng.normal(size=(1, 2, 4, 6))), (1, 2, 2, 3), "AvgPool2d(2).forward on (1, 2, 4, 6)")
    check.close(pool.backward(dout), np.repeat(np.repeat(dout, 2, axis=2), 2, axis=3) / 4,
                "AvgPool2d(2).backward (a quarter of dout on each pixel of its block)")


# ---------------------------------------------------------------- 18.8 / 18.9 GroupNorm
def gn_sample(rng, shape=(2, 6, 3, 4)):
    """Channels with their own offsets and spreads, so normalizing the wrong axes shows."""
    B, C = shape[:2]
    x = rng.normal(size=shape) * rng.uniform(0.5, 3.0, size=(B, C, 1, 1)) + rng.uniform(-3, 3, size=(B, C, 1, 1))
    return x, rng.uniform(0.5, 2.0, size=C), rng.normal(size=C)


def gn_loop(x, gamma, beta, groups, eps=1e-5):
    B, C = x.shape[:2]
    out, size = np.empty_like(x), C // groups
    for n in range(B):
        for g in range(groups):
            block = x[n, g * size:(g + 1) * size]
            mean = block.sum() / block.size
            var = ((block - mean) ** 2).sum() / block.size
            out[n, g * size:(g + 1) * size] = (block - mean) / np.sqrt(var + eps)
    return gamma[:, None, None] * out + beta[:, None, None]


@pytest.mark.exercise("18.8")
def test_groupnorm_forward_by_hand(kata, check):
    # channels [1, 3 | 5, 5], 2 groups: the first group has mean 2, var 1; the second var 0
    x = np.array([1.0, 3.0, 5.0, 5.0]).reshape(1, 4, 1, 1)
    out, _ = kata.groupnorm_forward(x, np.array([2.0, 1.0, 1.0, 1.0]), np.array([0.0, 0.0, 0.0, 0.5]), 2)
    a, u, h = 1.0 / np.sqrt(1.0 + 1e-5), 1.0 / np.sqrt(2.0 + 1e-5), 2.0 / np.sqrt(4.0 + 1e-5)
    check.close(check.shape(out, (1, 4, 1, 1), "groupnorm_forward on (1, 4, 1, 1)").ravel(),
                [-2.0 * a, a, 0.0, 0.5], "groupnorm_forward of channels [1, 3 | 5, 5] with 2 groups, "
                "gamma [2, 1, 1, 1], beta [0, 0, 0, 0.5]", suspects={
                    "each channel is normalized on its own (statistics over H, W only: InstanceNorm)":
                    [0.0, 0.0, 0.0, 0.5],
                    "the variance is unbiased (ddof=1); GroupNorm divides by M": [-2.0 * u, u, 0.0, 0.5],
                    "channels are grouped by interleaving (reshape(B, C/G, G, H, W)): group 0 must "
                    "be channels 0 and 1": [-2.0 * h, -a, h, a + 0.5]})


@pytest.mark.exercise("18.8")
@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_groupnorm_forward_matches_loops(kata, check, rng, groups):
    x, gamma, beta = gn_sample(rng)
    result = kata.groupnorm_forward(x, gamma, beta, groups, eps=0.1)
    check.true(isinstance(result, tuple) and len(result) == 2,
               "groupnorm_forward should return a pair (out, cache)")
    check.close(result[0], gn_loop(x, gamma, beta, groups, eps=0.1),
                f"groupnorm_forward on (2, 6, 3, 4) with {groups} groups, eps = 0.1 "
                "(group g = channels g*C/G ... (g+1)*C/G - 1; biased variance)")


@pytest.mark.exercise("18.8")
def test_groupnorm_special_cases_instance_and_layer_norm(kata, check, rng):
    x, gamma, beta = gn_sample(rng)
    per_channel = (x - x.mean(axis=(2, 3), keepdims=True)) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + 1e-5)
    check.close(kata.groupnorm_forward(x, gamma, beta, 6)[0], gamma[:, None, None] * per_channel + beta[:, None, None],
                "groupnorm_forward with one group per channel vs InstanceNorm (statistics over H, W)")
    whole = (x - x.mean(axis=(1, 2, 3), keepdims=True)) / np.sqrt(x.var(axis=(1, 2, 3), keepdims=True) + 1e-5)
    check.close(kata.groupnorm_forward(x, gamma, beta, 1)[0], gamma[:, None, None] * whole + beta[:, None, None],
                "groupnorm_forward with one group vs LayerNorm over (C, H, W) of each example")


@pytest.mark.exercise("18.8")
def test_groupnorm_forward_float32_and_no_batch_dependence(kata, check, rng):
    x, gamma, beta = gn_sample(rng)
    out = check.array(kata.groupnorm_forward(x, gamma, beta, 3)[0], "groupnorm_forward")
    alone = check.array(kata.groupnorm_forward(x[1:], gamma, beta, 3)[0], "groupnorm_forward")
    check.close(alone, out[1:], "example 1 alone vs inside the batch (GroupNorm ignores the batch)")
    out32 = kata.groupnorm_forward(x.astype(np.float32), gamma.astype(np.float32), beta.astype(np.float32), 3)[0]
    check.true(dtype_of(out32) == np.float32, "groupnorm_forward on float32 arrays should return float32",
               f"it returned {dtype_of(out32)}")
    check.close(out32, out, "groupnorm_forward in float32 vs float64", rtol=1e-4, atol=1e-4)


def gn_grads(kata, x, gamma, beta, groups, dout):
    return kata.groupnorm_backward(dout, kata.groupnorm_forward(x, gamma, beta, groups)[1])


@pytest.mark.exercise("18.9")
@pytest.mark.parametrize("groups", [2, 1])
def test_groupnorm_backward_gradcheck(kata, check, rng, groups):
    x, gamma, beta = gn_sample(rng, (2, 4, 3, 3))
    dout = rng.normal(size=x.shape)
    dx, dgamma, dbeta = gn_grads(kata, x, gamma, beta, groups, dout)
    check.shape(dgamma, (4,), "dgamma (one per channel: sum over batch, height and width)")
    check.gradients(lambda x, gamma, beta: kata.groupnorm_forward(x, gamma, beta, groups)[0],
                    {"x": x, "gamma": gamma, "beta": beta},
                    {"x": dx, "gamma": dgamma, "beta": dbeta}, dout, f"groupnorm on (2, 4, 3, 3), {groups} groups")


@pytest.mark.exercise("18.9")
def test_groupnorm_dx_sums_to_zero_per_group(kata, check, rng):
    # the output ignores a constant added to a whole group, so dx sums to 0 over each group
    x, gamma, beta = gn_sample(rng)
    dx = check.array(gn_grads(kata, x, gamma, beta, 3, rng.normal(size=x.shape))[0], "dx")
    check.close(dx.reshape(2, 3, -1).sum(axis=-1), np.zeros((2, 3)),
                "dx summed over each (example, group) of (2, 6, 3, 4) with 3 groups", atol=1e-10)


@pytest.mark.exercise("18.9")
def test_groupnorm_backward_keeps_float32(kata, check, rng):
    x, gamma, beta = gn_sample(rng, (2, 4, 3, 3))
    dout = rng.normal(size=x.shape)
    grads64 = gn_grads(kata, x, gamma, beta, 2, dout)
    grads32 = gn_grads(kata, *(a.astype(np.float32) for a in (x, gamma, beta)), 2, dout.astype(np.float32))
    for name, g32, g64 in zip(("dx", "dgamma", "dbeta"), grads32, grads64):
        check.true(dtype_of(g32) == np.float32, f"groupnorm_backward on float32 arrays should return a "
                   f"float32 {name}", f"it returned {dtype_of(g32)}")
        check.close(g32, check.array(g64, name), f"{name} of groupnorm_backward in float32 vs float64",
                    rtol=1e-3, atol=1e-4)


@pytest.mark.exercise("18.9")
def test_groupnorm_module_accumulates(kata, check, rng):
    gn = kata.GroupNorm(2, 4)
    x, dout = rng.normal(size=(2, 4, 3, 2)), rng.normal(size=(2, 4, 3, 2))
    out = check.array(gn.forward(x), "GroupNorm(2, 4).forward")
    check.close(out, gn_loop(x, np.ones(4), np.zeros(4), 2), "GroupNorm(2, 4).forward (gamma = 1, beta = 0)")
    gn.backward(dout)
    gn.backward(dout)
    check.close(gn.gamma.grad, 2 * (dout * out).sum(axis=(0, 2, 3)), "GroupNorm.gamma.grad after two backward calls")
    check.close(gn.beta.grad, 2 * dout.sum(axis=(0, 2, 3)), "GroupNorm.beta.grad after two backward calls")
