"""Chapter 20 - The U-Net: an image-to-image network that knows what time it is.

A diffusion model needs a network that maps a noisy image x_t (B, C, H, W) and its timestep t
(B,) to an image of the same shape (the predicted noise). The U-Net (Ronneberger, Fischer & Brox,
2015), as Ho, Jain & Abbeel (2020) use it for DDPM, does this in three movements:

    down path:  conv_in, then per level a residual block, its output saved as a SKIP, then a
                2x2 average pool (not after the last level): the image shrinks, channels grow
    middle:     one residual block at the lowest resolution
    up path:    per level (deepest first) concat([h, skip], channel axis) -> residual block,
                then nearest upsampling (not after the top level); GroupNorm -> SiLU -> conv_out

The skips hand fine detail straight across, so the bottleneck only has to carry the coarse
picture. The timestep enters every residual block: t -> sinusoidal embedding (Vaswani et al.,
2017) -> Dense -> SiLU -> Dense gives emb (B, E); each block adds Dense(SiLU(emb)) to its
channels after its first convolution. Spatial sizes must be divisible by 2**(levels - 1).

Every layer here is a chapter 18 module (or a chapter 05 Dense); this chapter wires them.
Kernels keep the input's dtype: a float32 network (``Module.to_dtype``) computes in float32.
"""

from __future__ import annotations

import numpy as np

from .ch05_backprop import Dense
from .ch09_modern_activations import swish_backward, swish_forward
from .ch18_convolution import AvgPool2d, Conv2d, GroupNorm, Upsample
from .core import Module


def timestep_embedding(t: np.ndarray, dim: int, max_period: float = 10000.0,
                       dtype=np.float64) -> np.ndarray:
    """Sinusoidal embedding of integer timesteps. t: (B,) -> emb: (B, dim), dim even.

        half = dim // 2
        freqs[i] = exp(-log(max_period) * i / half)          i = 0 .. half-1 (from 1 down)
        emb[b] = [sin(t[b] * freqs), cos(t[b] * freqs)]      sin half FIRST, then cos half

    Neighbouring timesteps get nearby vectors, and every t a distinct one.

    >>> timestep_embedding(np.array([0, 1]), 4)
    array([[0.    , 0.    , 1.    , 1.    ],
           [0.8415, 0.01  , 0.5403, 1.    ]])
    """
    if dim % 2:
        raise ValueError(f"dim must be even (half sin, half cos), got dim={dim}")
    ### BEGIN SOLUTION
    half = dim // 2
    freqs = np.exp(-np.log(max_period) * np.arange(half) / half)     # (half,)
    args = np.asarray(t, dtype=np.float64)[:, None] * freqs[None, :]  # (B, half)
    return np.concatenate([np.sin(args), np.cos(args)], axis=1).astype(dtype)  # (B, dim)
    ### END SOLUTION


class SiLU(Module):
    """SiLU(x) = x * sigmoid(x): chapter 09's swish with beta fixed at 1 (no parameter)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        out, self.cache = swish_forward(x, 1.0)
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return swish_backward(dout, self.cache)[0]


class TimeEmbedding(Module):
    """Worked example: t (B,) -> emb (B, E) = dense2(SiLU(dense1(timestep_embedding(t, dim))))."""

    def __init__(self, dim: int, emb_dim: int, rng: np.random.Generator):
        self.dim = dim
        self.dense1, self.act, self.dense2 = Dense(dim, emb_dim, rng), SiLU(), Dense(emb_dim, emb_dim, rng)

    def forward(self, t: np.ndarray) -> np.ndarray:
        sinusoid = timestep_embedding(t, self.dim, dtype=self.dense1.W.data.dtype)  # (B, dim)
        return self.dense2.forward(self.act.forward(self.dense1.forward(sinusoid)))

    def backward(self, demb: np.ndarray) -> None:
        """Accumulates the MLP's gradients; t is an integer, so nothing flows further."""
        self.dense1.backward(self.act.backward(self.dense2.backward(demb)))


class ResBlock(Module):
    """Time-conditioned residual block, c_in -> c_out channels, any H, W (3x3 convs, padding 1).

        h   = conv1(SiLU(norm1(x)))                        (B, c_out, H, W)
        h   = h + time_proj(SiLU(emb))[:, :, None, None]   one shift per channel, per example
        h   = conv2(SiLU(norm2(h)))
        out = h + skip(x)     skip = 1x1 conv when c_in != c_out, else the identity (skip is None)
    """

    def __init__(self, c_in: int, c_out: int, emb_dim: int, groups: int, rng: np.random.Generator):
        for name, channels in (("c_in", c_in), ("c_out", c_out)):
            if channels % groups:
                raise ValueError(f"groups={groups} must divide {name}={channels}")
        self.norm1, self.act1 = GroupNorm(groups, c_in), SiLU()
        self.conv1 = Conv2d(c_in, c_out, 3, rng, padding=1)
        self.act_t, self.time_proj = SiLU(), Dense(emb_dim, c_out, rng)
        self.norm2, self.act2 = GroupNorm(groups, c_out), SiLU()
        self.conv2 = Conv2d(c_out, c_out, 3, rng, padding=1)
        self.skip = Conv2d(c_in, c_out, 1, rng) if c_in != c_out else None

    def forward(self, x: np.ndarray, emb: np.ndarray) -> np.ndarray:
        """x: (B, c_in, H, W), emb: (B, E) -> out: (B, c_out, H, W). Each sub-module keeps its cache.

        >>> block = ResBlock(2, 4, emb_dim=3, groups=2, rng=np.random.default_rng(0))
        >>> block.forward(np.ones((1, 2, 5, 3)), np.ones((1, 3))).shape
        (1, 4, 5, 3)
        """
        ### BEGIN SOLUTION
        h = self.conv1.forward(self.act1.forward(self.norm1.forward(x)))
        shift = self.time_proj.forward(self.act_t.forward(emb))       # (B, c_out)
        h = h + shift[:, :, None, None]                               # broadcast over H, W
        h = self.conv2.forward(self.act2.forward(self.norm2.forward(h)))
        return h + (x if self.skip is None else self.skip.forward(x))
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """dout: (B, c_out, H, W) -> (dx: (B, c_in, H, W), demb: (B, E)); parameter grads accumulate.

        out = branch(x) + skip(x): x gets BOTH gradients, added. The time shift was broadcast
        over H and W, so its gradient sums dh over the two spatial axes.

        >>> block = ResBlock(2, 4, emb_dim=3, groups=2, rng=np.random.default_rng(0))
        >>> out = block.forward(np.ones((1, 2, 5, 3)), np.ones((1, 3)))
        >>> dx, demb = block.backward(np.ones_like(out))
        >>> dx.shape, demb.shape
        ((1, 2, 5, 3), (1, 3))
        """
        ### BEGIN SOLUTION
        dh = self.norm2.backward(self.act2.backward(self.conv2.backward(dout)))  # (B, c_out, H, W)
        demb = self.act_t.backward(self.time_proj.backward(dh.sum(axis=(2, 3))))  # (B, E)
        dx = self.norm1.backward(self.act1.backward(self.conv1.backward(dh)))
        return dx + (dout if self.skip is None else self.skip.backward(dout)), demb
        ### END SOLUTION


class UNet(Module):
    """x_t: (B, in_channels, H, W), t: (B,) -> (B, in_channels, H, W).

    Level l has base_channels * channel_mults[l] channels; H and W must be divisible by
    2 ** (len(channel_mults) - 1). Attributes (in this order): time, conv_in, down[l],
    pools[l] (levels 0 .. L-2), mid, up[i] (i = 0 is the DEEPEST level, L-1-i), upsamples[i]
    (after up[i] for i < L-1), norm_out, act_out, conv_out; skip_channels[l] = channels of
    the skip saved at level l.
    """

    def __init__(self, in_channels: int, base_channels: int, rng: np.random.Generator,
                 channel_mults: tuple = (1, 2), groups: int = 2, emb_dim: int | None = None):
        widths = [base_channels * m for m in channel_mults]
        emb_dim = emb_dim or 4 * base_channels
        self.levels = len(widths)
        self.time = TimeEmbedding(base_channels, emb_dim, rng)
        self.conv_in = Conv2d(in_channels, widths[0], 3, rng, padding=1)
        self.down = [ResBlock(c_prev, c, emb_dim, groups, rng)
                     for c_prev, c in zip([widths[0]] + widths[:-1], widths)]
        self.pools = [AvgPool2d(2) for _ in widths[:-1]]
        self.mid = ResBlock(widths[-1], widths[-1], emb_dim, groups, rng)
        self.skip_channels = list(widths)
        up_in = [widths[-1]] + widths[:0:-1]             # channels of h arriving at each up level
        self.up = [ResBlock(c_h + c_skip, c_skip, emb_dim, groups, rng)
                   for c_h, c_skip in zip(up_in, widths[::-1])]
        self.upsamples = [Upsample(2) for _ in widths[:-1]]
        self.norm_out, self.act_out = GroupNorm(groups, widths[0]), SiLU()
        self.conv_out = Conv2d(widths[0], in_channels, 3, rng, padding=1)

    def forward(self, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The whole network; keeps what backward needs (every module keeps its own cache).

        >>> net = UNet(1, 2, np.random.default_rng(0))
        >>> net.forward(np.zeros((3, 1, 4, 6)), np.array([0, 5, 9])).shape
        (3, 1, 4, 6)
        """
        factor = 2 ** (self.levels - 1)
        if x.ndim != 4 or x.shape[2] % factor or x.shape[3] % factor:
            raise ValueError(f"x must be (B, C, H, W) with H and W divisible by {factor}, "
                             f"got shape {x.shape}")
        ### BEGIN SOLUTION
        emb = self.time.forward(t)                       # (B, E)
        h = self.conv_in.forward(x)
        skips = []
        for level, block in enumerate(self.down):
            h = block.forward(h, emb)
            skips.append(h)                              # saved BEFORE pooling: full resolution
            if level < self.levels - 1:
                h = self.pools[level].forward(h)         # (B, C_l, H / 2, W / 2)
        h = self.mid.forward(h, emb)
        for i, block in enumerate(self.up):
            level = self.levels - 1 - i
            h = np.concatenate([h, skips[level]], axis=1)  # (B, C_h + C_skip, H_l, W_l)
            h = block.forward(h, emb)
            if level > 0:
                h = self.upsamples[i].forward(h)         # back to level - 1's resolution
        return self.conv_out.forward(self.act_out.forward(self.norm_out.forward(h)))
        ### END SOLUTION

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: like the output -> dx: like x. Visits modules in reverse; parameter grads accumulate.

        Each concat's gradient splits: the first C_h channels go on down the up path, the last
        C_skip are held and ADDED to the down path's gradient where that skip left it. Every
        block's demb adds up into one gradient for the time embedding.

        >>> net = UNet(1, 2, np.random.default_rng(0))
        >>> out = net.forward(np.zeros((3, 1, 4, 6)), np.array([0, 5, 9]))
        >>> net.backward(np.ones_like(out)).shape
        (3, 1, 4, 6)
        """
        ### BEGIN SOLUTION
        dh = self.norm_out.backward(self.act_out.backward(self.conv_out.backward(dout)))
        demb = 0.0
        dskips = [None] * self.levels
        for i in reversed(range(self.levels)):
            level = self.levels - 1 - i
            if level > 0:
                dh = self.upsamples[i].backward(dh)
            dcat, demb_block = self.up[i].backward(dh)
            demb = demb + demb_block
            n_skip = self.skip_channels[level]
            dh, dskips[level] = dcat[:, :-n_skip], dcat[:, -n_skip:]  # split along channels
        dh, demb_block = self.mid.backward(dh)
        demb = demb + demb_block
        for level in reversed(range(self.levels)):
            if level < self.levels - 1:
                dh = self.pools[level].backward(dh)
            dh = dh + dskips[level]                      # the skip's share joins the main path
            dh, demb_block = self.down[level].backward(dh)
            demb = demb + demb_block
        self.time.backward(demb)
        return self.conv_in.backward(dh)
        ### END SOLUTION
