"""``kata demo gpt [--task sort|text]``: train a character-level GPT made of your own code.

Everything that learns is yours (or, with ``--solutions``, the reference): chapter 17's GPT
(built from your chapters 13-16), its loss, clipping, schedule and ``train_step``, chapter 06's
Adam, and ``generate`` with your KV cache for the evaluation. The model trains in float32.

- ``sort`` (default): a string of L = 8 digits, a separator, then the same digits sorted. Only
  the sorted half is scored (the digits before the separator are random: their targets are
  ``ignore_index``). ``accuracy`` = exact-match rate of greedy generation on 1000 held-out
  strings that never occur in training.
- ``text``: the repository's own docs/*.md, one character per token; the last 10% is held out.
  ``accuracy`` = next-character accuracy (argmax) on held-out windows; a sample is printed.

Progress every ``--every`` steps; the last line is one JSON object. With matplotlib, a loss curve
and the attention maps of one held-out example are saved under runs/ (or ``--out``). The band of
results over seeds is published in docs/ch17_gpt.md.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from pathlib import Path

from grader.testing.targets import load_package

SEP = 10  # the sort task's separator token; digits are 0..9
TASKS = {
    "sort": dict(length=8, dim=64, heads=4, layers=2, batch=64, steps=600, lr=3e-3, warmup=30,
                 min_lr=3e-4, n_val=1000),
    "text": dict(block=64, dim=64, heads=4, layers=2, batch=32, steps=800, lr=3e-3, warmup=40,
                 min_lr=3e-4, n_val=128),
}


def add_arguments(p) -> None:
    """The gpt demo's own options (added only if another demo has not defined them already)."""
    have = p._option_string_actions
    if "--task" not in have:
        p.add_argument("--task", choices=sorted(TASKS), default=None, help="gpt: sort (default) or text")
    if "--steps" not in have:
        p.add_argument("--steps", type=int, default=None, help="gpt: override the number of training steps")


class SortTask:
    def __init__(self, rng, cfg):
        import numpy as np
        self.np, self.L = np, cfg["length"]
        self.vocab, self.block = 11, 2 * self.L
        self.val_x = rng.integers(0, 10, size=(cfg["n_val"], self.L))
        self.val_keys = set(self._keys(self.val_x).tolist())

    def _keys(self, x):
        return x @ (10 ** self.np.arange(self.L))

    def sequences(self, x):
        np = self.np
        seq = np.concatenate([x, np.full((len(x), 1), SEP), np.sort(x, axis=1)], axis=1)  # (N, 2L + 1)
        targets = seq[:, 1:].copy()
        targets[:, : self.L] = -100  # the input digits are random: nothing to learn there
        return seq[:, :-1], targets

    def batch(self, rng, n):
        x = rng.integers(0, 10, size=(n, self.L))
        seen = self.np.isin(self._keys(x), list(self.val_keys))
        while seen.any():  # held-out strings never appear in training
            x[seen] = rng.integers(0, 10, size=(int(seen.sum()), self.L))
            seen = self.np.isin(self._keys(x), list(self.val_keys))
        return self.sequences(x)

    def validation(self):
        return self.sequences(self.val_x)

    def evaluate(self, ch17, model, rng):
        prompt = self.sequences(self.val_x)[0][:, : self.L + 1]
        out = ch17.generate(model, prompt, self.L, rng, temperature=0.0)
        answer = self.np.asarray(out)[:, self.L + 1:]
        right = (answer == self.np.sort(self.val_x, axis=1)).all(axis=1)
        lines = [f"  {''.join(map(str, x))} -> {''.join(map(str, a))}  {'ok' if r else 'WRONG'}"
                 for x, a, r in zip(self.val_x[:4], answer[:4], right[:4])]
        return float(right.mean()), "sorted by your GPT (held-out strings):\n" + "\n".join(lines)


class TextTask:
    def __init__(self, rng, cfg, root: Path):
        import numpy as np
        self.np, self.block = np, cfg["block"]
        text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((root / "docs").glob("*.md")))
        self.chars = sorted(set(text))
        self.vocab = len(self.chars)
        lookup = {c: i for i, c in enumerate(self.chars)}
        data = np.array([lookup[c] for c in text], dtype=np.int64)
        split = int(0.9 * len(data))
        self.train, self.val = data[:split], data[split:]
        starts = rng.integers(0, len(self.val) - self.block - 1, size=cfg["n_val"])
        self.val_windows = np.stack([self.val[s: s + self.block + 1] for s in starts])

    def batch(self, rng, n):
        starts = rng.integers(0, len(self.train) - self.block - 1, size=n)
        windows = self.np.stack([self.train[s: s + self.block + 1] for s in starts])  # (n, block + 1)
        return windows[:, :-1], windows[:, 1:]

    def validation(self):
        return self.val_windows[:, :-1], self.val_windows[:, 1:]

    def evaluate(self, ch17, model, rng):
        ids, targets = self.validation()
        accuracy = float((self.np.asarray(model.forward(ids)).argmax(-1) == targets).mean())
        prompt = self.np.array([[self.chars.index(c) for c in "The "]])
        out = ch17.generate(model, prompt, self.block - 3, rng, temperature=0.8, top_k=10)
        sample = "".join(self.chars[i] for i in self.np.asarray(out)[0])
        return accuracy, "a sample from your GPT (temperature 0.8, top-k 10):\n" + sample


def _plots(model, task, history, val_points, out: Path, stem: str) -> list[str]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("kata demo: matplotlib is not installed, so no plots were saved "
              "(`pip install matplotlib` to get them)")
        return []
    import numpy as np

    saved = []
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(np.arange(1, len(history) + 1), history, lw=0.8, alpha=0.6, label="train (per step)")
    ax.plot(*zip(*val_points), "o-", label="validation")
    ax.set(xlabel="step", ylabel="cross-entropy (nats)", yscale="log", title=f"{stem}: loss")
    ax.grid(alpha=0.3)
    ax.legend()
    path = out / f"{stem}-loss.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    saved.append(str(path))

    ids = task.validation()[0][:1]
    model.forward(ids)
    n_layers, n_heads = len(model.blocks), model.blocks[0].n_heads
    fig, axes = plt.subplots(n_layers, n_heads, figsize=(2.6 * n_heads, 2.6 * n_layers), squeeze=False)
    labels = ["|" if i == SEP else str(i) for i in ids[0]] if isinstance(task, SortTask) else \
        [repr(task.chars[i])[1:-1] for i in ids[0]]
    for layer, block in enumerate(model.blocks):
        weights = np.asarray(block.attn.weights)[0]  # (H, T, T)
        for head in range(n_heads):
            ax = axes[layer][head]
            ax.imshow(weights[head], cmap="viridis", vmin=0, vmax=1)
            ax.set_title(f"layer {layer} head {head}", fontsize=8)
            if len(labels) <= 24:
                ax.set_xticks(range(len(labels)), labels, fontsize=6)
                ax.set_yticks(range(len(labels)), labels, fontsize=6)
            else:
                ax.set_xticks([])
                ax.set_yticks([])
    fig.suptitle("attention weights (row: query position, column: key position)", fontsize=9)
    fig.tight_layout()
    path = out / f"{stem}-attention.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    saved.append(str(path))
    return saved


def _train(ch17, task, cfg, rng, steps: int, every: int):
    import numpy as np

    model = ch17.GPT(task.vocab, task.block, cfg["dim"], cfg["heads"], cfg["layers"], rng,
                     dtype=np.float32)
    optimizer = ch17.Adam(model.parameters(), lr=cfg["lr"])
    val_ids, val_targets = (a[:256] for a in task.validation())  # a fixed subset: cheap to score
    history, val_points = [], []
    for step in range(steps):
        ids, targets = task.batch(rng, cfg["batch"])
        lr = ch17.lr_schedule(step, cfg["lr"], cfg["warmup"], steps, cfg["min_lr"])
        history.append(float(ch17.train_step(model, optimizer, ids, targets, max_norm=1.0, lr=lr)))
        if (step + 1) % every == 0 or step + 1 == steps:
            model.eval()
            val_loss = float(ch17.sequence_ce_forward(model.forward(val_ids), val_targets)[0])
            model.train()
            val_points.append((step + 1, val_loss))
            recent = float(np.mean(history[-every:]))
            print(f"step {step + 1:5d}/{steps}  train_loss {recent:.4f}  val_loss {val_loss:.4f}  "
                  f"lr {lr:.2e}", flush=True)
    model.eval()
    return model, history, val_points


def run(manifest, args) -> int:
    import numpy as np

    task_name = getattr(args, "task", None) or "sort"
    cfg = dict(TASKS[task_name])
    steps = getattr(args, "steps", None) or cfg["steps"]
    folder = "solutions" if args.solutions else "exercises"
    root = manifest.root
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    if not (root / folder / "__init__.py").is_file():
        print(f"kata demo: this copy has no {folder}/ folder"
              f"{' (a student release has no reference)' if args.solutions else ''}", file=sys.stderr)
        return 1
    load_package(root / folder, folder)
    ch17 = importlib.import_module(f"{folder}.ch17_gpt")
    rng = np.random.default_rng(args.seed)
    task = SortTask(rng, cfg) if task_name == "sort" else TextTask(rng, cfg, root)
    print(f"kata demo gpt --task {task_name}: {folder}/ code, seed {args.seed}, {steps} steps, "
          f"vocab {task.vocab}, context {task.block}, float32", flush=True)
    start = time.perf_counter()
    model, history, val_points = _train(ch17, task, cfg, rng, steps, max(1, args.every))
    accuracy, sample = task.evaluate(ch17, model, rng)  # a stub raises: kata demo says which
    seconds = time.perf_counter() - start
    print(sample, flush=True)
    out = Path(args.out) if args.out else root / "runs"
    out.mkdir(parents=True, exist_ok=True)
    plots = _plots(model, task, history, val_points, out, f"gpt-{task_name}-seed{args.seed}-{folder}")
    result = {"demo": "gpt", "code": folder, "task": task_name, "seed": args.seed, "steps": steps,
              "train_loss": round(float(np.mean(history[-20:])), 4),
              "val_loss": round(val_points[-1][1], 4), "accuracy": round(accuracy, 4),
              "train_seconds": round(seconds, 2), "plots": plots}
    print(json.dumps(result), flush=True)
    return 0
