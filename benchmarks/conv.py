"""Benchmark: the reference conv2d forward + backward against PyTorch CPU, side by side.

A plain script (pytest does not collect it):

    python benchmarks/conv.py [--repeats 40] [--threads 1]

At U-Net demo-like shapes in float32 it times one forward and one backward (dx, dW, db) of
solutions.ch18_convolution and of torch.nn.functional.conv2d with autograd, in one process,
and prints medians and the ratio reference / torch. Both libraries get the same number of
threads (OpenBLAS for NumPy, torch.set_num_threads), 1 by default. It reports CPU time
(time.process_time): on a machine shared with other jobs, wall time measures the other jobs
as much as this one; on an idle machine the two agree for one thread.

It runs the table twice. First with glibc's default malloc, which serves NumPy's multi-MB
temporaries (the im2col matrix) with fresh mmap pages that fault on first touch, on every call;
then after mallopt() keeps freed memory in the process (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD),
which is roughly what torch's caching allocator does for torch. The second table is the cost of
the arithmetic; the first is what a NumPy program pays unless it sets the same two options
(`MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000` in the environment).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument("--threads", type=int, default=1, help="threads for both libraries")
    return parser.parse_args()


ARGS = parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)  # read once, when NumPy's BLAS loads: set it first

import numpy as np  # noqa: E402
from timing import keep_freed_memory  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from solutions.ch18_convolution import conv2d_backward, conv2d_forward  # noqa: E402

SHAPES = [  # (B, C_in, C_out, H, W, K, stride, padding)
    (16, 32, 32, 16, 16, 3, 1, 1),
    (16, 64, 64, 8, 8, 3, 1, 1),
    (16, 32, 64, 16, 16, 3, 2, 1),
    (16, 1, 32, 16, 16, 3, 1, 1),
    (16, 64, 32, 16, 16, 1, 1, 0),
]


def median_ms(step, repeats: int) -> tuple[float, float]:
    """(median CPU ms, median wall ms) of ``step()`` after one warm-up call."""
    step()
    cpu, wall = [], []
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        step()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return 1e3 * statistics.median(cpu), 1e3 * statistics.median(wall)



def main() -> None:
    import torch
    torch.set_num_threads(ARGS.threads)
    print(f"numpy {np.__version__}, torch {torch.__version__}, {ARGS.threads} thread(s), float32, "
          f"forward + backward, median of {ARGS.repeats}, milliseconds")
    print("\n1. glibc malloc defaults")
    table(torch)
    if keep_freed_memory():
        print("\n2. after mallopt: freed memory stays in the process (as with torch's allocator)")
        table(torch)
    else:
        print("\n(no glibc mallopt here: second table skipped)")


def table(torch) -> None:
    import torch.nn.functional as F
    rng = np.random.default_rng(0)
    print(f"{'(B, C_in->C_out, HxW, k, stride, pad)':38s} {'ref cpu':>8s} {'torch cpu':>9s} "
          f"{'ratio':>6s} {'ref wall':>9s} {'torch wall':>10s}")
    for B, C_in, C_out, H, W, K, stride, padding in SHAPES:
        x = rng.normal(size=(B, C_in, H, W)).astype(np.float32)
        weight = (rng.normal(size=(C_out, C_in, K, K)) * np.sqrt(2 / (C_in * K * K))).astype(np.float32)
        bias = np.zeros(C_out, dtype=np.float32)
        dout = rng.normal(size=conv2d_forward(x, weight, bias, stride, padding)[0].shape).astype(np.float32)

        def reference():
            _, cache = conv2d_forward(x, weight, bias, stride, padding)
            conv2d_backward(dout, cache)

        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
        dt = torch.tensor(dout)

        def pytorch():
            out = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
            torch.autograd.grad(out, (xt, wt, bt), dt)

        (mine, mine_wall), (theirs, theirs_wall) = median_ms(reference, ARGS.repeats), median_ms(pytorch, ARGS.repeats)
        label = f"({B}, {C_in}->{C_out}, {H}x{W}, {K}, {stride}, {padding})"
        print(f"{label:38s} {mine:8.2f} {theirs:9.2f} {mine / theirs:6.2f} {mine_wall:9.2f} {theirs_wall:10.2f}")


if __name__ == "__main__":
    main()
