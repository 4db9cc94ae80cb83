"""One U-Net training step (forward + backward), reference vs PyTorch CPU, float32, one thread.

Plain script (never collected by pytest): `python benchmarks/unet.py [--batch 32] [--repeats 5]`.
The shapes are those of `kata demo ddpm-images`: UNet(1, 16, channel_mults=(1, 2), groups=4), 16x16.
"""

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from solutions.ch20_unet import UNet  # noqa: E402


def median_ms(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def torch_unet(torch, base=16, groups=4, mults=(1, 2)):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self, c_in, c_out, e):
            super().__init__()
            self.n1, self.c1 = nn.GroupNorm(groups, c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
            self.tp = nn.Linear(e, c_out)
            self.n2, self.c2 = nn.GroupNorm(groups, c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
            self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

        def forward(self, x, emb):
            h = self.c1(nn.functional.silu(self.n1(x))) + self.tp(nn.functional.silu(emb))[:, :, None, None]
            return self.c2(nn.functional.silu(self.n2(h))) + self.skip(x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            w, e = [base * m for m in mults], 4 * base
            self.t1, self.t2 = nn.Linear(base, e), nn.Linear(e, e)
            self.cin = nn.Conv2d(1, w[0], 3, padding=1)
            self.down = nn.ModuleList([Block(a, b, e) for a, b in zip([w[0]] + w[:-1], w)])
            self.mid = Block(w[-1], w[-1], e)
            self.up = nn.ModuleList([Block(a + b, b, e) for a, b in zip([w[-1]] + w[:0:-1], w[::-1])])
            self.nout, self.cout = nn.GroupNorm(groups, w[0]), nn.Conv2d(w[0], 1, 3, padding=1)

        def forward(self, x, sinusoid):
            emb = self.t2(nn.functional.silu(self.t1(sinusoid)))
            h, skips = self.cin(x), []
            for level, block in enumerate(self.down):
                h = block(h, emb)
                skips.append(h)
                if level < len(self.down) - 1:
                    h = nn.functional.avg_pool2d(h, 2)
            h = self.mid(h, emb)
            for i, block in enumerate(self.up):
                h = block(torch.cat([h, skips[len(self.up) - 1 - i]], 1), emb)
                if i < len(self.up) - 1:
                    h = nn.functional.interpolate(h, scale_factor=2, mode="nearest")
            return self.cout(nn.functional.silu(self.nout(h)))
    return Net()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 1, 16, 16)).astype(np.float32)
    t = rng.integers(0, 100, size=args.batch)
    net = UNet(1, 16, rng, channel_mults=(1, 2), groups=4).to_dtype(np.float32)

    def ours():
        net.zero_grad()
        out = net.forward(x, t)
        net.backward(out)
    ref = median_ms(ours, args.repeats)
    print(f"reference  forward+backward  B={args.batch}  {ref:8.1f} ms (median of {args.repeats})")
    try:
        import torch
    except ImportError:
        print("torch is not installed: no comparison")
        return
    torch.set_num_threads(1)
    model = torch_unet(torch)
    xt = torch.from_numpy(x)
    from solutions.ch20_unet import timestep_embedding
    st = torch.from_numpy(timestep_embedding(t, 16, dtype=np.float32))

    def theirs():
        model.zero_grad()
        out = model(xt, st)
        out.backward(out.detach())
    tor = median_ms(theirs, args.repeats)
    print(f"torch      forward+backward  B={args.batch}  {tor:8.1f} ms (median of {args.repeats})")
    print(f"ratio reference / torch: {ref / tor:.1f}x")


if __name__ == "__main__":
    main()
