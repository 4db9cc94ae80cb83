"""Chapter 20 mistakes: the U-Net's embedding, residual block and skips as learners get them wrong."""

import numpy as np

from grader.author.mistakes import mistake


@mistake("20.1", "timestep embedding with sin and cos swapped (cos half first)")
def timestep_embedding(t, dim, max_period=10000.0, dtype=np.float64):
    half = dim // 2
    args = np.asarray(t, dtype=np.float64)[:, None] * np.exp(-np.log(max_period) * np.arange(half) / half)
    return np.concatenate([np.cos(args), np.sin(args)], axis=1).astype(dtype)


@mistake("20.1", "frequencies spaced by i / (half - 1): the slowest one is exactly 1 / max_period")
def timestep_embedding_last_freq(t, dim, max_period=10000.0, dtype=np.float64):
    half = dim // 2
    args = np.asarray(t, dtype=np.float64)[:, None] * np.exp(-np.log(max_period) * np.arange(half) / (half - 1))
    return np.concatenate([np.sin(args), np.cos(args)], axis=1).astype(dtype)


@mistake("20.1", "ignores dtype: always float64")
def timestep_embedding_float64(t, dim, max_period=10000.0, dtype=np.float64):
    half = dim // 2
    args = np.asarray(t, dtype=np.float64)[:, None] * np.exp(-np.log(max_period) * np.arange(half) / half)
    return np.concatenate([np.sin(args), np.cos(args)], axis=1)


@mistake("20.2", "no shortcut: the block returns only the residual branch")
def forward(self, x, emb):
    h = self.conv1.forward(self.act1.forward(self.norm1.forward(x)))
    h = h + self.time_proj.forward(self.act_t.forward(emb))[:, :, None, None]
    return self.conv2.forward(self.act2.forward(self.norm2.forward(h)))


@mistake("20.2", "the time embedding is never added")
def forward_no_time(self, x, emb):
    h = self.conv1.forward(self.act1.forward(self.norm1.forward(x)))
    self.time_proj.forward(self.act_t.forward(emb))
    h = self.conv2.forward(self.act2.forward(self.norm2.forward(h)))
    return h + (x if self.skip is None else self.skip.forward(x))


@mistake("20.2", "no SiLU on the embedding before its projection")
def forward_raw_emb(self, x, emb):
    h = self.conv1.forward(self.act1.forward(self.norm1.forward(x)))
    self.act_t.forward(emb)
    h = h + self.time_proj.forward(emb)[:, :, None, None]
    h = self.conv2.forward(self.act2.forward(self.norm2.forward(h)))
    return h + (x if self.skip is None else self.skip.forward(x))


@mistake("20.3", "the shortcut's gradient is not added to dx")
def backward(self, dout):
    dh = self.norm2.backward(self.act2.backward(self.conv2.backward(dout)))
    demb = self.act_t.backward(self.time_proj.backward(dh.sum(axis=(2, 3))))
    dx = self.norm1.backward(self.act1.backward(self.conv1.backward(dh)))
    if self.skip is not None:
        self.skip.backward(dout)
    return dx, demb


@mistake("20.3", "the time shift's gradient is averaged over H and W instead of summed")
def backward_mean_shift(self, dout):
    dh = self.norm2.backward(self.act2.backward(self.conv2.backward(dout)))
    demb = self.act_t.backward(self.time_proj.backward(dh.mean(axis=(2, 3))))
    dx = self.norm1.backward(self.act1.backward(self.conv1.backward(dh)))
    return dx + (dout if self.skip is None else self.skip.backward(dout)), demb


@mistake("20.4", "concatenates [skip, h] instead of [h, skip]")
def forward(self, x, t):
    emb = self.time.forward(t)
    h = self.conv_in.forward(x)
    skips = []
    for level, block in enumerate(self.down):
        h = block.forward(h, emb)
        skips.append(h)
        if level < self.levels - 1:
            h = self.pools[level].forward(h)
    h = self.mid.forward(h, emb)
    for i, block in enumerate(self.up):
        level = self.levels - 1 - i
        h = block.forward(np.concatenate([skips[level], h], axis=1), emb)
        if level > 0:
            h = self.upsamples[i].forward(h)
    return self.conv_out.forward(self.act_out.forward(self.norm_out.forward(h)))


@mistake("20.4", "no time embedding: every block gets zeros")
def forward_no_time(self, x, t):
    emb = 0.0 * self.time.forward(t)
    h = self.conv_in.forward(x)
    skips = []
    for level, block in enumerate(self.down):
        h = block.forward(h, emb)
        skips.append(h)
        if level < self.levels - 1:
            h = self.pools[level].forward(h)
    h = self.mid.forward(h, emb)
    for i, block in enumerate(self.up):
        level = self.levels - 1 - i
        h = block.forward(np.concatenate([h, skips[level]], axis=1), emb)
        if level > 0:
            h = self.upsamples[i].forward(h)
    return self.conv_out.forward(self.act_out.forward(self.norm_out.forward(h)))


def _unet_backward(self, dout, keep_skip_grad=True, skip_first=False):
    dh = self.norm_out.backward(self.act_out.backward(self.conv_out.backward(dout)))
    demb, dskips = 0.0, [None] * self.levels
    for i in reversed(range(self.levels)):
        level = self.levels - 1 - i
        if level > 0:
            dh = self.upsamples[i].backward(dh)
        dcat, d = self.up[i].backward(dh)
        demb = demb + d
        n = self.skip_channels[level]
        if skip_first:
            dskips[level], dh = dcat[:, :n], dcat[:, n:]
        else:
            dh, dskips[level] = dcat[:, :-n], dcat[:, -n:]
    dh, d = self.mid.backward(dh)
    demb = demb + d
    for level in reversed(range(self.levels)):
        if level < self.levels - 1:
            dh = self.pools[level].backward(dh)
        if keep_skip_grad:
            dh = dh + dskips[level]
        dh, d = self.down[level].backward(dh)
        demb = demb + d
    self.time.backward(demb)
    return self.conv_in.backward(dh)


@mistake("20.5", "skip-connection gradient not split: the skips' share is dropped")
def backward(self, dout):
    return _unet_backward(self, dout, keep_skip_grad=False)


@mistake("20.5", "splits the concat's gradient the wrong way round (skip channels taken first)")
def backward_split_swapped(self, dout):
    return _unet_backward(self, dout, skip_first=True)


# --- adversarial review (chapters 18-21) ---
def _freqs(dim, max_period, denominator=None):
    half = dim // 2
    return np.exp(-np.log(max_period) * np.arange(half) / (denominator or half))


@mistake("20.1", "sin and cos interleaved ([sin f0, cos f0, sin f1, ...]) instead of two halves")
def timestep_embedding_interleaved(t, dim, max_period=10000.0, dtype=np.float64):
    args = np.asarray(t, dtype=np.float64)[:, None] * _freqs(dim, max_period)
    return np.stack([np.sin(args), np.cos(args)], axis=2).reshape(len(args), dim).astype(dtype)


@mistake("20.1", "exponent i / dim instead of i / half: frequencies fall only to 1 / sqrt(max_period)")
def timestep_embedding_over_dim(t, dim, max_period=10000.0, dtype=np.float64):
    args = np.asarray(t, dtype=np.float64)[:, None] * _freqs(dim, max_period, dim)
    return np.concatenate([np.sin(args), np.cos(args)], axis=1).astype(dtype)


@mistake("20.1", "max_period ignored: always 10000")
def timestep_embedding_fixed_period(t, dim, max_period=10000.0, dtype=np.float64):
    args = np.asarray(t, dtype=np.float64)[:, None] * _freqs(dim, 10000.0)
    return np.concatenate([np.sin(args), np.cos(args)], axis=1).astype(dtype)


@mistake("20.2", "the time shift added after norm2 (inside the second normalization's output)")
def forward_shift_after_norm(self, x, emb):
    h = self.conv1.forward(self.act1.forward(self.norm1.forward(x)))
    shift = self.time_proj.forward(self.act_t.forward(emb))
    h = self.conv2.forward(self.act2.forward(self.norm2.forward(h) + shift[:, :, None, None]))
    return h + (x if self.skip is None else self.skip.forward(x))


@mistake("20.2", "the time shift added to the block's output, after conv2")
def forward_shift_at_end(self, x, emb):
    h = self.conv1.forward(self.act1.forward(self.norm1.forward(x)))
    shift = self.time_proj.forward(self.act_t.forward(emb))
    h = self.conv2.forward(self.act2.forward(self.norm2.forward(h))) + shift[:, :, None, None]
    return h + (x if self.skip is None else self.skip.forward(x))


@mistake("20.2", "no SiLU between norm2 and conv2")
def forward_no_act2(self, x, emb):
    h = self.conv1.forward(self.act1.forward(self.norm1.forward(x)))
    h = h + self.time_proj.forward(self.act_t.forward(emb))[:, :, None, None]
    h = self.conv2.forward(self.norm2.forward(h))
    return h + (x if self.skip is None else self.skip.forward(x))


@mistake("20.3", "demb skips the SiLU's backward")
def backward_no_act_t(self, dout):
    dh = self.norm2.backward(self.act2.backward(self.conv2.backward(dout)))
    demb = self.time_proj.backward(dh.sum(axis=(2, 3)))
    dx = self.norm1.backward(self.act1.backward(self.conv1.backward(dh)))
    return dx + (dout if self.skip is None else self.skip.backward(dout)), demb


@mistake("20.3", "the shift's gradient taken from dout (the block's upstream) instead of dh")
def backward_shift_from_dout(self, dout):
    dh = self.norm2.backward(self.act2.backward(self.conv2.backward(dout)))
    demb = self.act_t.backward(self.time_proj.backward(dout.sum(axis=(2, 3))))
    dx = self.norm1.backward(self.act1.backward(self.conv1.backward(dh)))
    return dx + (dout if self.skip is None else self.skip.backward(dout)), demb


@mistake("20.3", "the 1x1 skip conv is fed dh instead of dout")
def backward_skip_gets_dh(self, dout):
    dh = self.norm2.backward(self.act2.backward(self.conv2.backward(dout)))
    demb = self.act_t.backward(self.time_proj.backward(dh.sum(axis=(2, 3))))
    dx = self.norm1.backward(self.act1.backward(self.conv1.backward(dh)))
    return dx + (dout if self.skip is None else self.skip.backward(dh)), demb


def _unet_forward(self, x, t, mid=True, act_first=False):
    factor = 2 ** (self.levels - 1)
    if x.ndim != 4 or x.shape[2] % factor or x.shape[3] % factor:
        raise ValueError(f"x must be (B, C, H, W) with H and W divisible by {factor}, got {x.shape}")
    emb = self.time.forward(t)
    h, skips = self.conv_in.forward(x), []
    for level, block in enumerate(self.down):
        h = block.forward(h, emb)
        skips.append(h)
        if level < self.levels - 1:
            h = self.pools[level].forward(h)
    if mid:
        h = self.mid.forward(h, emb)
    for i, block in enumerate(self.up):
        level = self.levels - 1 - i
        h = block.forward(np.concatenate([h, skips[level]], axis=1), emb)
        if level > 0:
            h = self.upsamples[i].forward(h)
    if act_first:
        return self.conv_out.forward(self.norm_out.forward(self.act_out.forward(h)))
    return self.conv_out.forward(self.act_out.forward(self.norm_out.forward(h)))


@mistake("20.4", "the middle block is left out")
def forward_no_mid(self, x, t):
    return _unet_forward(self, x, t, mid=False)


@mistake("20.4", "output head in the wrong order: SiLU before GroupNorm")
def forward_act_before_norm(self, x, t):
    return _unet_forward(self, x, t, act_first=True)


@mistake("20.5", "only the up path's demb reaches the time embedding (down and middle blocks' dropped)")
def backward_demb_up_only(self, dout):
    dh = self.norm_out.backward(self.act_out.backward(self.conv_out.backward(dout)))
    demb, dskips = 0.0, [None] * self.levels
    for i in reversed(range(self.levels)):
        level = self.levels - 1 - i
        if level > 0:
            dh = self.upsamples[i].backward(dh)
        dcat, d = self.up[i].backward(dh)
        demb = demb + d
        n = self.skip_channels[level]
        dh, dskips[level] = dcat[:, :-n], dcat[:, -n:]
    dh, _ = self.mid.backward(dh)
    for level in reversed(range(self.levels)):
        if level < self.levels - 1:
            dh = self.pools[level].backward(dh)
        dh, _ = self.down[level].backward(dh + dskips[level])
    self.time.backward(demb)
    return self.conv_in.backward(dh)


@mistake("20.5", "the skip's gradient added after the down block's backward (to the block's input, not its output)")
def backward_skip_added_after_block(self, dout):
    dh = self.norm_out.backward(self.act_out.backward(self.conv_out.backward(dout)))
    demb, dskips = 0.0, [None] * self.levels
    for i in reversed(range(self.levels)):
        level = self.levels - 1 - i
        if level > 0:
            dh = self.upsamples[i].backward(dh)
        dcat, d = self.up[i].backward(dh)
        demb = demb + d
        n = self.skip_channels[level]
        dh, dskips[level] = dcat[:, :-n], dcat[:, -n:]
    dh, d = self.mid.backward(dh)
    demb = demb + d
    for level in reversed(range(self.levels)):
        if level < self.levels - 1:
            dh = self.pools[level].backward(dh)
        dh, d = self.down[level].backward(dh)
        dh = dh + dskips[level]
        demb = demb + d
    self.time.backward(demb)
    return self.conv_in.backward(dh)


@mistake("20.1", "an odd dim padded with a zero column instead of refused")
def timestep_embedding_pads_odd(t, dim, max_period=10000.0, dtype=np.float64):
    half = dim // 2
    args = np.asarray(t, dtype=np.float64)[:, None] * _freqs(2 * half, max_period)
    emb = np.concatenate([np.sin(args), np.cos(args)], axis=1)
    if dim % 2:
        emb = np.concatenate([emb, np.zeros((len(emb), 1))], axis=1)
    return emb.astype(dtype)


@mistake("20.3", "demb accumulated into np.zeros((B, E)): a float32 block returns a float64 demb")
def backward_float64_demb(self, dout):
    dh = self.norm2.backward(self.act2.backward(self.conv2.backward(dout)))
    demb = np.zeros((dout.shape[0], self.time_proj.W.data.shape[0]))
    demb += self.act_t.backward(self.time_proj.backward(dh.sum(axis=(2, 3))))
    dx = self.norm1.backward(self.act1.backward(self.conv1.backward(dh)))
    return dx + (dout if self.skip is None else self.skip.backward(dout)), demb
