"""Graded tests for chapter 20 (the U-Net).

Every oracle is written out here in plain NumPy: a cross-correlation from sliding windows,
GroupNorm from reshaped statistics, SiLU, the sinusoidal embedding, and from those a residual
block and a whole U-Net that read the learner's parameters. Gradients are checked in float64
against central differences of THESE oracles with a random upstream gradient: entry by entry for
the block, and along two random directions per parameter for the whole network (every parameter,
every entry of x).
"""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view


def silu(z):
    return z / (1.0 + np.exp(-z))


def sinusoid(t, dim, max_period=10000.0):
    half = dim // 2
    angles = np.asarray(t, dtype=float)[:, None] * np.exp(-np.log(max_period) * np.arange(half) / half)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def conv(x, W, b):
    pad = W.shape[-1] // 2                                     # "same" size: 3x3 with 1, 1x1 with 0
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(xp, W.shape[2:], axis=(2, 3))  # (B, C, H, W, KH, KW)
    return np.einsum("bchwij,ocij->bohw", windows, W) + b[None, :, None, None]


def groupnorm(x, gamma, beta, groups, eps=1e-5):
    B, C, H, W = x.shape
    g = x.reshape(B, groups, -1)
    g = (g - g.mean(axis=2, keepdims=True)) / np.sqrt(g.var(axis=2, keepdims=True) + eps)
    return gamma[None, :, None, None] * g.reshape(B, C, H, W) + beta[None, :, None, None]


BLOCK_PARAMS = ["norm1.gamma", "norm1.beta", "conv1.W", "conv1.b", "time_proj.W", "time_proj.b",
                "norm2.gamma", "norm2.beta", "conv2.W", "conv2.b"]


def block_names(block, prefix=""):
    return [prefix + n for n in BLOCK_PARAMS + (["skip.W", "skip.b"] if block.skip is not None else [])]


def unet_names(net):
    names = ["time.dense1.W", "time.dense1.b", "time.dense2.W", "time.dense2.b", "conv_in.W", "conv_in.b"]
    for kind, blocks in (("down", net.down), ("up", net.up)):
        for i, block in enumerate(blocks):
            names += block_names(block, f"{kind}.{i}.")
    names += block_names(net.mid, "mid.") + ["norm_out.gamma", "norm_out.beta", "conv_out.W", "conv_out.b"]
    return sorted(set(names), key=names.index)


def parameter(module, name):
    for part in name.split("."):
        module = module[int(part)] if part.isdigit() else getattr(module, part)
    return module


def read(module, names):
    return {n: np.array(parameter(module, n).data, dtype=float) for n in names}


def grads(module, names):
    return {n: np.array(parameter(module, n).grad, dtype=float) for n in names}


def block_oracle(P, x, emb, groups, prefix=""):
    p = {k[len(prefix):]: v for k, v in P.items() if k.startswith(prefix)}
    h = conv(silu(groupnorm(x, p["norm1.gamma"], p["norm1.beta"], groups)), p["conv1.W"], p["conv1.b"])
    h = h + (silu(emb) @ p["time_proj.W"] + p["time_proj.b"])[:, :, None, None]
    h = conv(silu(groupnorm(h, p["norm2.gamma"], p["norm2.beta"], groups)), p["conv2.W"], p["conv2.b"])
    return h + (conv(x, p["skip.W"], p["skip.b"]) if "skip.W" in p else x)


def unet_oracle(P, x, t, levels, groups, base):
    emb = silu(sinusoid(t, base) @ P["time.dense1.W"] + P["time.dense1.b"]) @ P["time.dense2.W"] + P["time.dense2.b"]
    h, skips = conv(x, P["conv_in.W"], P["conv_in.b"]), []
    for level in range(levels):
        h = block_oracle(P, h, emb, groups, f"down.{level}.")
        skips.append(h)
        if level < levels - 1:
            B, C, H, W = h.shape
            h = h.reshape(B, C, H // 2, 2, W // 2, 2).mean(axis=(3, 5))
    h = block_oracle(P, h, emb, groups, "mid.")
    for i in range(levels):
        h = block_oracle(P, np.concatenate([h, skips[levels - 1 - i]], axis=1), emb, groups, f"up.{i}.")
        if i < levels - 1:
            h = h.repeat(2, axis=2).repeat(2, axis=3)
    return conv(silu(groupnorm(h, P["norm_out.gamma"], P["norm_out.beta"], groups)), P["conv_out.W"], P["conv_out.b"])


def randomize(module, names, rng):
    """Non-trivial values everywhere (gamma != 1, beta and biases != 0), so nothing hides."""
    for n in names:
        p = parameter(module, n)
        shape = np.shape(p.data)
        base = 1.0 if n.endswith("gamma") else 0.0
        p.data = base + rng.normal(scale=0.5 if n.endswith(("gamma", "beta", ".b")) else 0.4, size=shape)


G = 1  # the U-Nets below use one group: with one channel per group, GroupNorm would erase the time shift


def tiny_unet(kata, rng, mults=(1, 2), base=2):
    net = kata.UNet(1, base, np.random.default_rng(0), channel_mults=mults, groups=G, emb_dim=4)
    randomize(net, unet_names(net), rng)
    return net


# ---------------------------------------------------------------- 20.1 timestep_embedding
@pytest.mark.exercise("20.1")
def test_embedding_by_hand(kata, check):
    out = check.shape(kata.timestep_embedding(np.array([0, 1]), 4), (2, 4), "timestep_embedding([0, 1], dim=4)")
    # freqs = [1, 0.01]: t = 0 gives sin 0 = 0 then cos 0 = 1; t = 1 gives sin(1), sin(0.01), cos(1), cos(0.01)
    expected = [[0, 0, 1, 1], [np.sin(1), np.sin(0.01), np.cos(1), np.cos(0.01)]]
    check.close(out, expected, "timestep_embedding([0, 1], dim=4): sin half first, then cos half",
                suspects={"the cos half comes first (sin and cos swapped)":
                          [[1, 1, 0, 0], [np.cos(1), np.cos(0.01), np.sin(1), np.sin(0.01)]]})
    check.raises(ValueError, lambda: kata.timestep_embedding(np.array([0, 1]), 5),
                 "timestep_embedding(t, dim=5) (an odd dim cannot split into a sin half and a cos half)",
                 mentions=("dim",))


@pytest.mark.exercise("20.1")
def test_embedding_matches_formula(kata, check, rng):
    t = rng.integers(0, 1000, size=5)
    half = np.arange(3)
    swapped = sinusoid(t, 6, 100.0)[:, [3, 4, 5, 0, 1, 2]]
    check.close(kata.timestep_embedding(t, 6, max_period=100.0), sinusoid(t, 6, 100.0),
                "timestep_embedding(t, dim=6, max_period=100)",
                suspects={"sin and cos are swapped": swapped,
                          "freqs use i / (half - 1) instead of i / half": np.concatenate(
                              [np.sin(t[:, None] * 100.0 ** (-half / 2)), np.cos(t[:, None] * 100.0 ** (-half / 2))], axis=1)})


@pytest.mark.exercise("20.1")
def test_embedding_rows_have_norm_sqrt_half_and_differ(kata, check, rng):
    t = np.arange(0, 1000, 37)
    emb = check.shape(kata.timestep_embedding(t, 16), (len(t), 16), "timestep_embedding(t, 16)")
    check.close(np.linalg.norm(emb, axis=1), np.full(len(t), np.sqrt(8.0)),
                "row norms of timestep_embedding(t, 16) (sin^2 + cos^2 = 1 for each of the 8 frequencies)")
    gaps = np.linalg.norm(emb[:, None] - emb[None, :], axis=2) + np.eye(len(t))
    check.true(gaps.min() > 1e-3, "two different timesteps got the same embedding")


@pytest.mark.exercise("20.1")
def test_embedding_dtype(kata, check):
    emb = np.asarray(kata.timestep_embedding(np.array([3, 50]), 8, dtype=np.float32))
    check.true(emb.dtype == np.float32, f"timestep_embedding(..., dtype=np.float32) returned {emb.dtype}")
    check.close(emb, sinusoid([3, 50], 8), "timestep_embedding in float32", rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------- 20.2 ResBlock forward
def tiny_block(kata, rng, c_in=2, c_out=4):
    block = kata.ResBlock(c_in, c_out, 3, 2, np.random.default_rng(1))
    names = block_names(block)
    randomize(block, names, rng)
    return block, names


@pytest.mark.exercise("20.2")
def test_resblock_forward_shapes(kata, check, rng):
    for c_in, c_out, H, W in ((2, 4, 5, 3), (4, 4, 2, 6)):
        block, _ = tiny_block(kata, rng, c_in, c_out)
        out = block.forward(rng.normal(size=(3, c_in, H, W)), rng.normal(size=(3, 3)))
        check.shape(out, (3, c_out, H, W), f"ResBlock({c_in}, {c_out}).forward(x: (3, {c_in}, {H}, {W}))")


@pytest.mark.exercise("20.2")
def test_resblock_forward_matches_oracle(kata, check, rng):
    for c_in, c_out in ((2, 4), (4, 4)):
        block, names = tiny_block(kata, rng, c_in, c_out)
        x, emb = rng.normal(size=(2, c_in, 4, 3)), rng.normal(size=(2, 3))
        P = read(block, names)
        kind = "1x1 conv skip" if c_in != c_out else "identity skip"
        check.close(block.forward(x, emb), block_oracle(P, x, emb, 2),
                    f"ResBlock({c_in}, {c_out}).forward ({kind})",
                    suspects={"the shortcut is missing": block_oracle(P, x, emb, 2) -
                              (conv(x, P["skip.W"], P["skip.b"]) if "skip.W" in P else x),
                              "the time embedding is not added": block_oracle(
                                  {**P, "time_proj.W": 0 * P["time_proj.W"], "time_proj.b": 0 * P["time_proj.b"]}, x, emb, 2)})


@pytest.mark.exercise("20.2")
def test_resblock_time_shift_differs_per_example(kata, check, rng):
    block, names = tiny_block(kata, rng, 2, 4)
    x = np.repeat(rng.normal(size=(1, 2, 3, 3)), 2, axis=0)   # the same image twice
    emb = rng.normal(size=(2, 3))                              # two different times
    out = check.array(block.forward(x, emb), "ResBlock.forward")
    check.true(not np.allclose(out[0], out[1]), "ResBlock.forward gave the same output for one image "
               "at two different times: the time embedding does not reach the output")


# ---------------------------------------------------------------- 20.3 ResBlock backward
@pytest.mark.exercise("20.3")
def test_resblock_backward_gradients(kata, check, rng):
    for c_in, c_out in ((2, 4), (2, 2)):
        block, names = tiny_block(kata, rng, c_in, c_out)
        x, emb = rng.normal(size=(2, c_in, 3, 2)), rng.normal(size=(2, 3))
        P = read(block, names)
        upstream = rng.normal(size=(2, c_out, 3, 2))
        block.forward(x, emb)
        result = block.backward(upstream)
        check.true(isinstance(result, tuple) and len(result) == 2, "ResBlock.backward should return (dx, demb)")
        dx, demb = result
        check.shape(dx, x.shape, "dx from ResBlock.backward")
        check.shape(demb, emb.shape, "demb from ResBlock.backward (the shift's gradient summed over H and W)")
        kind = "1x1 conv skip" if c_in != c_out else "identity skip"
        check.gradients(lambda x, emb, **p: block_oracle(p, x, emb, 2), {"x": x, "emb": emb, **P},
                        {"x": dx, "emb": demb, **grads(block, names)}, upstream,
                        f"ResBlock({c_in}, {c_out}) ({kind}, random upstream)")


@pytest.mark.exercise("20.3")
def test_resblock_backward_accumulates(kata, check, rng):
    block, names = tiny_block(kata, rng, 2, 4)
    x, emb, upstream = rng.normal(size=(1, 2, 2, 2)), rng.normal(size=(1, 3)), rng.normal(size=(1, 4, 2, 2))
    block.forward(x, emb)
    block.backward(upstream)
    once = grads(block, names)
    block.forward(x, emb)
    block.backward(upstream)
    twice = grads(block, names)
    for n in ("conv1.W", "time_proj.b", "skip.W"):
        check.close(twice[n], 2 * once[n], f"{n}.grad after two backward passes vs one (accumulate, never reset)")


@pytest.mark.exercise("20.3")
def test_resblock_backward_keeps_float32(kata, check, rng):
    block, names = tiny_block(kata, rng, 2, 4)
    x, emb, upstream = rng.normal(size=(2, 2, 3, 2)), rng.normal(size=(2, 3)), rng.normal(size=(2, 4, 3, 2))
    block.forward(x, emb)
    dx64, demb64 = block.backward(upstream)
    block.to_dtype(np.float32)
    block.forward(x.astype(np.float32), emb.astype(np.float32))
    dx32, demb32 = block.backward(upstream.astype(np.float32))
    for name, g32, g64 in (("dx", dx32, dx64), ("demb", demb32, demb64)):
        check.true(np.asarray(g32).dtype == np.float32, f"a float32 ResBlock.backward returned {name} as "
                   f"{np.asarray(g32).dtype}", "make every buffer with the incoming array's dtype")
        check.close(g32, check.array(g64, name), f"{name} of a float32 ResBlock vs float64", rtol=1e-3, atol=1e-4)


# ---------------------------------------------------------------- 20.4 UNet forward
@pytest.mark.exercise("20.4")
def test_unet_preserves_every_allowed_size(kata, check, rng):
    for mults, sizes in (((1, 2), [(2, 2), (4, 6), (6, 2)]), ((1, 1, 2), [(4, 4), (8, 12)])):
        net = kata.UNet(1, 2, np.random.default_rng(0), channel_mults=mults)
        for H, W in sizes:
            out = net.forward(rng.normal(size=(2, 1, H, W)), np.array([0, 9]))
            check.shape(out, (2, 1, H, W), f"UNet(channel_mults={mults}).forward(x: (2, 1, {H}, {W}))")
    check.raises(ValueError, lambda: net.forward(np.zeros((1, 1, 6, 8)), np.array([1])),
                 "UNet with 3 levels on a 6x8 image (6 is not divisible by 4)", mentions=("x",))


@pytest.mark.exercise("20.4")
def test_unet_forward_matches_oracle(kata, check, rng):
    for mults in ((1, 2), (1, 1, 2)):
        net = tiny_unet(kata, rng, mults)
        x, t = rng.normal(size=(2, 1, 4, 4)), np.array([3, 700])
        expected = unet_oracle(read(net, unet_names(net)), x, t, len(mults), G, 2)
        check.close(net.forward(x, t), expected, f"UNet(channel_mults={mults}).forward(x: (2, 1, 4, 4), t)")


@pytest.mark.exercise("20.4")
def test_unet_forward_keeps_float32(kata, check, rng):
    net = tiny_unet(kata, rng)
    x, t = rng.normal(size=(2, 1, 4, 2)), np.array([1, 40])
    expected = unet_oracle(read(net, unet_names(net)), x, t, 2, G, 2)
    net.to_dtype(np.float32)
    out = np.asarray(net.forward(x.astype(np.float32), t))
    check.true(out.dtype == np.float32, f"a float32 U-Net on float32 x returned {out.dtype}")
    check.close(out, expected, "UNet.forward in float32 vs the float64 oracle", rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- 20.5 UNet backward
def directional_check(check, net, names, x, t, upstream, dx, levels, rng, what):
    P = read(net, names)
    analytic = grads(net, names)
    check.gradients(lambda x: unet_oracle(P, x, t, levels, G, 2), {"x": x}, {"x": dx}, upstream, what)
    eps = 1e-6
    for n in names:
        directions = rng.normal(size=(2,) + P[n].shape)
        numeric = [(np.sum(unet_oracle({**P, n: P[n] + eps * v}, x, t, levels, G, 2) * upstream)
                    - np.sum(unet_oracle({**P, n: P[n] - eps * v}, x, t, levels, G, 2) * upstream)) / (2 * eps)
                   for v in directions]
        check.close([np.sum(analytic[n] * v) for v in directions], numeric,
                    f"d/d{n} of {what} along two random directions", rtol=1e-6, atol=1e-7)


@pytest.mark.exercise("20.5")
def test_unet_backward_gradients(kata, check, rng):
    net = tiny_unet(kata, rng)
    x, t = rng.normal(size=(2, 1, 4, 4)), np.array([5, 321])
    upstream = rng.normal(size=x.shape)
    net.forward(x, t)
    dx = check.shape(net.backward(upstream), x.shape, "UNet.backward(dout) (dx, shaped like x)")
    directional_check(check, net, unet_names(net), x, t, upstream, dx, 2, rng,
                      "the U-Net (channel_mults=(1, 2), random upstream)")


@pytest.mark.exercise("20.5")
def test_unet_gradient_reaches_x_through_the_skip_alone(kata, check, rng):
    # Zero the deepest down block's conv2 and 1x1 skip: its output no longer depends on its input,
    # so the main path is cut and x's gradient can only arrive through the level-0 skip.
    net = tiny_unet(kata, rng)
    for n in ("down.1.conv2.W", "down.1.skip.W"):
        parameter(net, n).data = np.zeros(np.shape(parameter(net, n).data))
    x, t = rng.normal(size=(1, 1, 4, 4)), np.array([17])
    upstream = rng.normal(size=x.shape)
    net.forward(x, t)
    dx = check.array(net.backward(upstream), "UNet.backward")
    check.true(np.abs(dx).max() > 1e-6, "with the main path cut below level 0, dx is zero: the gradient "
               "of the concatenation never went back into the level-0 skip",
               "split the concat's gradient by channels and ADD the skip's part to the down path")
    P = read(net, unet_names(net))
    check.gradients(lambda x: unet_oracle(P, x, t, 2, G, 2), {"x": x}, {"x": dx}, upstream,
                    "the U-Net whose only route from x to the output is the level-0 skip")


@pytest.mark.exercise("20.5")
def test_unet_backward_three_levels(kata, check, rng):
    net = tiny_unet(kata, rng, (1, 1, 2))
    x, t = rng.normal(size=(1, 1, 4, 4)), np.array([250])
    upstream = rng.normal(size=x.shape)
    net.forward(x, t)
    dx = check.shape(net.backward(upstream), x.shape, "UNet.backward(dout) with 3 levels")
    P = read(net, unet_names(net))
    check.gradients(lambda x: unet_oracle(P, x, t, 3, G, 2), {"x": x}, {"x": dx}, upstream,
                    "the U-Net with channel_mults=(1, 1, 2) (random upstream)")
    analytic = grads(net, ["down.0.conv1.W", "time.dense1.W"])
    for n, g in analytic.items():
        v = rng.normal(size=g.shape)
        num = (np.sum(unet_oracle({**P, n: P[n] + 1e-6 * v}, x, t, 3, G, 2) * upstream)
               - np.sum(unet_oracle({**P, n: P[n] - 1e-6 * v}, x, t, 3, G, 2) * upstream)) / 2e-6
        check.close(np.sum(g * v), num, f"d/d{n} of the 3-level U-Net along a random direction",
                    rtol=1e-6, atol=1e-7)
