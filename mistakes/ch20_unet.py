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
