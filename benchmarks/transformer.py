"""Speed of the reference Transformer block (chapter 16) and of one GPT training step (chapter 17)
next to PyTorch on the CPU, float32, the shapes of `kata demo gpt` (sort task by default), in one
process. A plain script, not a test (nothing runs on import, pytest never collects it):

    python benchmarks/transformer.py [--batch 64] [--seq 16] [--dim 64] [--heads 4] [--layers 2]
                                     [--vocab 11] [--repeats 100] [--threads 1]

- block: forward + backward of one pre-LN block (dx and every parameter gradient);
- gpt step: forward, sequence cross-entropy, backward, global-norm clipping and one Adam step.

The torch side is built from the same primitives (F.layer_norm, F.scaled_dot_product_attention,
tanh GELU, F.cross_entropy, clip_grad_norm_, torch.optim.Adam), eager mode with autograd, with
the same number of threads (default 1: fair and stable on a shared machine). Prints median CPU
times, the ratio reference/torch, and where the reference's time goes (cProfile, top functions).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

if __name__ == "__main__":
    threads = "1"
    for i, arg in enumerate(sys.argv[1:]):  # must be set before NumPy loads its BLAS
        if arg == "--threads" and i + 2 < len(sys.argv):
            threads = sys.argv[i + 2]
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = threads

import numpy as np  # noqa: E402
from timing import median_seconds  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

NAMES = ("ln1.gamma", "ln1.beta", "attn.Wq", "attn.bq", "attn.Wk", "attn.bk", "attn.Wv", "attn.bv",
         "attn.Wo", "attn.bo", "ln2.gamma", "ln2.beta", "ffn.W1", "ffn.b1", "ffn.W2", "ffn.b2")



def get(obj, name):
    for part in name.split("."):
        obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    return obj


def torch_block(F, x, t, n_heads):
    B, T, C = x.shape
    n = F.layer_norm(x, (C,), t["ln1.gamma"], t["ln1.beta"], eps=1e-5)
    q, k, v = ((n @ t[f"attn.W{s}"] + t[f"attn.b{s}"]).view(B, T, n_heads, C // n_heads).transpose(1, 2)
               for s in "qkv")                                                # (B, H, T, D)
    a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    h = x + a.transpose(1, 2).reshape(B, T, C) @ t["attn.Wo"] + t["attn.bo"]
    n = F.layer_norm(h, (C,), t["ln2.gamma"], t["ln2.beta"], eps=1e-5)
    return h + F.gelu(n @ t["ffn.W1"] + t["ffn.b1"], approximate="tanh") @ t["ffn.W2"] + t["ffn.b2"]


def block_steps(torch, args, rng):
    from solutions.ch14_attention import causal_mask
    from solutions.ch16_transformer_block import TransformerBlock
    B, T, C = args.batch, args.seq, args.dim
    block = TransformerBlock(C, args.heads, rng, dtype=np.float32)
    x, dout = (rng.standard_normal((B, T, C)).astype(np.float32) for _ in range(2))
    mask = causal_mask(T)

    def reference():
        block.forward(x, mask)
        block.backward(dout)

    t = {n: torch.tensor(get(block, n).data, requires_grad=True) for n in NAMES}
    xt, dt = torch.tensor(x, requires_grad=True), torch.tensor(dout)
    leaves = [xt, *t.values()]

    def pytorch():
        torch.autograd.grad(torch_block(torch.nn.functional, xt, t, args.heads), leaves, grad_outputs=dt)

    return reference, pytorch


def gpt_steps(torch, args, rng):
    from solutions import ch17_gpt
    F = torch.nn.functional
    B, T, V = args.batch, args.seq, args.vocab
    model = ch17_gpt.GPT(V, T, args.dim, args.heads, args.layers, rng, dtype=np.float32)
    optimizer = ch17_gpt.Adam(model.parameters(), lr=1e-3)
    ids, targets = rng.integers(0, V, size=(B, T)), rng.integers(0, V, size=(B, T))
    targets[:, : T // 2] = -100  # as in the sort task: half the positions are not scored

    def reference():
        ch17_gpt.train_step(model, optimizer, ids, targets, max_norm=1.0)

    names = ["tok_emb.W", "pos_emb.P"] + [f"blocks.{i}.{n}" for i in range(args.layers) for n in NAMES] \
        + ["ln_f.gamma", "ln_f.beta", "W_head"]
    t = {n: torch.nn.Parameter(torch.tensor(get(model, n).data)) for n in names}
    opt = torch.optim.Adam(list(t.values()), lr=1e-3, eps=1e-7)
    ids_t, targets_t = torch.tensor(ids), torch.tensor(targets).reshape(-1)

    def pytorch():
        opt.zero_grad()
        x = t["tok_emb.W"][ids_t] + t["pos_emb.P"][:T]
        for i in range(args.layers):
            x = torch_block(F, x, {n: t[f"blocks.{i}.{n}"] for n in NAMES}, args.heads)
        x = F.layer_norm(x, (args.dim,), t["ln_f.gamma"], t["ln_f.beta"], eps=1e-5)
        F.cross_entropy((x @ t["W_head"]).reshape(-1, V), targets_t, ignore_index=-100).backward()
        torch.nn.utils.clip_grad_norm_(list(t.values()), 1.0)
        opt.step()

    return reference, pytorch


def profile(step, top: int = 8) -> None:
    import cProfile
    import pstats
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(20):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler).sort_stats("tottime")
    total = sum(v[2] for v in stats.stats.values())
    rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
    for (path, line, func), (_, _, tottime, _, _) in rows:
        print(f"      {100 * tottime / total:5.1f}%  {Path(path).name}:{line} {func}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for flag, default in (("--batch", 64), ("--seq", 16), ("--dim", 64), ("--heads", 4),
                          ("--layers", 2), ("--vocab", 11), ("--repeats", 100), ("--threads", 1)):
        parser.add_argument(flag, type=int, default=default)
    parser.add_argument("--no-profile", action="store_true", help="skip the reference's profile")
    args = parser.parse_args()
    import torch
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    print(f"shapes: batch {args.batch}, seq {args.seq}, dim {args.dim}, heads {args.heads}, "
          f"layers {args.layers}, vocab {args.vocab}; float32; {args.threads} thread(s); "
          f"torch {torch.__version__}, numpy {np.__version__}; load average {os.getloadavg()[0]:.1f}")
    for name, make in (("block fwd+bwd", block_steps), ("gpt train step", gpt_steps)):
        reference, pytorch = make(torch, args, rng)
        # interleave the two sides so a load spike on the shared machine hits both
        ref_t, torch_t = [], []
        for _ in range(5):
            ref_t.append(median_seconds(reference, max(1, args.repeats // 5), warmup=2))
            torch_t.append(median_seconds(pytorch, max(1, args.repeats // 5), warmup=2))
        r, p = statistics.median(ref_t), statistics.median(torch_t)
        print(f"{name:15s} reference {1e3 * r:8.3f} ms   torch {1e3 * p:8.3f} ms   ratio {r / p:5.2f}x")
        if not args.no_profile:
            print("    where the reference's time goes:")
            profile(reference)


if __name__ == "__main__":
    main()
