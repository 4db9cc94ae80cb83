"""Speed of the reference attention (chapter 14) and multi-head attention (chapter 15) next to
PyTorch on the CPU: forward + backward, float32, the same shapes, in one process.

A plain script, not a test (pytest never collects it: nothing runs on import):

    python benchmarks/attention.py [--batch 32] [--seq 32] [--dim 64] [--heads 4] [--repeats 200]
                                   [--threads 1]

Prints the median CPU time (time.process_time) of one forward + backward for each side and the
ratio reference/torch (below 1: the NumPy reference is faster). CPU time, not wall time: on a
shared, oversubscribed machine a step that waits for a core would be charged for the wait.
PyTorch runs eagerly with autograd, as in training.

Each comparison runs twice: with the C library's default malloc, then (on Linux/glibc) with
mallopt raising the mmap and trim thresholds. By default glibc serves every array above 128 KiB
with a fresh mmap and unmaps it on free, so each new (B, H, T, T) array pays page faults on first
touch; on some virtual machines that costs more than the arithmetic. Both sides allocate through
malloc, so both benefit. Both sides use the same number of threads (default 1: the fair and
stable choice on a shared machine, where sleeping BLAS threads distort small-array timings).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _threads_from_argv(default: str = "1") -> str:
    """--threads must be known before NumPy loads its BLAS, so it is read from sys.argv early."""
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return default


if __name__ == "__main__":
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = _threads_from_argv()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from timing import keep_freed_memory, median_seconds  # noqa: E402




def attention_steps(torch, B, T, C, H, rng):
    from solutions.ch14_attention import attention_backward, attention_forward, causal_mask
    Dh = C // H
    q, k, v, dout = (rng.standard_normal((B, H, T, Dh)).astype(np.float32) for _ in range(4))
    mask = causal_mask(T)

    def reference():
        out, cache = attention_forward(q, k, v, mask)
        attention_backward(dout, cache)

    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    mask_t, dout_t = torch.tensor(mask), torch.tensor(dout)

    def pytorch():
        out = torch.nn.functional.scaled_dot_product_attention(qt, kt, vt, attn_mask=mask_t)
        torch.autograd.grad(out, (qt, kt, vt), grad_outputs=dout_t)

    return reference, pytorch


def mha_steps(torch, B, T, C, H, rng):
    from solutions.ch14_attention import causal_mask
    from solutions.ch15_multihead_attention import MultiHeadAttention
    layer = MultiHeadAttention(C, H, rng, dtype=np.float32)
    x, dout = (rng.standard_normal((B, T, C)).astype(np.float32) for _ in range(2))
    mask = causal_mask(T)

    def reference():
        layer.forward(x, mask)
        layer.backward(dout)

    torch_mha = torch.nn.MultiheadAttention(C, H, batch_first=True)  # float32
    xt, dout_t = torch.tensor(x, requires_grad=True), torch.tensor(dout)
    mask_t = torch.tensor(~mask)  # torch: True = NOT allowed

    def pytorch():
        out, _ = torch_mha(xt, xt, xt, attn_mask=mask_t, need_weights=False)
        out.backward(dout_t)

    return reference, pytorch


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--seq", type=int, default=32)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1, help="threads for NumPy's BLAS and torch")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("benchmarks/attention.py compares with PyTorch: pip install torch")
    torch.set_num_threads(args.threads)
    B, T, C, H = args.batch, args.seq, args.dim, args.heads
    print(f"float32, B={B} T={T} C={C} H={H}, causal mask, forward + backward, median CPU time of {args.repeats}; "
          f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} thread(s) each); "
          f"load average {os.getloadavg()[0]:.1f}")
    rng = np.random.default_rng(0)
    steps = [(name, *make(torch, B, T, C, H, rng)) for name, make in
             [("attention (B, H, T, C/H)", attention_steps), ("multi-head attention", mha_steps)]]
    for setting in ("default malloc", "tuned malloc"):
        if setting == "tuned malloc" and not keep_freed_memory(64 << 20, 256 << 20):
            print("tuned malloc: not available here (needs glibc)")
            break
        for name, reference, pytorch in steps:
            ref_s, torch_s = median_seconds(reference, args.repeats, 10), median_seconds(pytorch, args.repeats, 10)
            print(f"{setting:15s} {name:25s} reference {ref_s * 1e3:7.3f} ms   torch {torch_s * 1e3:7.3f} ms"
                  f"   ratio {ref_s / torch_s:5.2f}")


if __name__ == "__main__":
    main()
