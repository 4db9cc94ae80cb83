"""``kata demo spiral|sine``: train a network built entirely from your own code, and look at it.

The demo imports your ``exercises/`` (or, with ``--solutions``, the reference), generates the data
with your chapter 08 functions, builds a network from your Dense and ReLU layers, trains it with
your Adam and your ``fit``, and saves the learned parameters with your ``save_params``. While it
trains it prints a progress line every few epochs; at the end it prints ONE line of JSON with the
final metrics (the last line of output, easy to parse) and, when matplotlib is installed, saves
PNG plots under ``runs/`` (or ``--out``).

Expected results over seeds are published in docs/ch08_training.md, so a result can be told
apart from noise.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from pathlib import Path

from grader.author.stubgen import STUB_MESSAGE
from grader.learn import demo_gpt
from grader.learn import demo_ddpm
from grader.testing.targets import load_package

# Each demo: data, network width, optimizer and loop settings. Tuned so the reference finishes
# in a few seconds on one core and lands in the band published in the chapter notes.
DEMOS = {
    "spiral": dict(task="ce", n=200, n_classes=3, hidden=64, lr=0.01, decay=1e-3, epochs=200,
                   batch_size=32, val_fraction=0.2),
    "sine": dict(task="mse", n=1000, noise=0.05, hidden=64, lr=0.005, decay=1e-3, epochs=150,
                 batch_size=32, val_fraction=0.2),
}
# Demos with their own module: name -> module with add_arguments(parser) and run(manifest, args)
OWN_MODULE = {"gpt": demo_gpt}


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("demo", help="train a network made of your code on toy data, with plots")
    p.add_argument("name", choices=sorted([*DEMOS, *OWN_MODULE, *demo_ddpm.NAMES]),
                   help="spiral (3-class classifier), sine (regression), gpt (a tiny GPT, Part III), "
                        "ddpm2d and ddpm-images (diffusion, Part IV)")
    p.add_argument("--solutions", action="store_true", help="run the reference instead of your exercises/")
    p.add_argument("--seed", type=int, default=0, help="seed for the data, the weights and the shuffling")
    p.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    p.add_argument("--every", type=int, default=20, help="print progress every N epochs (default 20)")
    p.add_argument("--out", default=None, help="folder for plots and parameters (default: runs/)")
    demo_ddpm.add_arguments(p)
    for module in OWN_MODULE.values():
        module.add_arguments(p)


def _load_chapter(manifest, use_reference: bool):
    folder, package = ("solutions", "solutions") if use_reference else ("exercises", "exercises")
    root = manifest.root
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    load_package(root / folder, package)
    return importlib.import_module(f"{package}.ch08_training"), folder


def _network(ch08, rng, n_in: int, hidden: int, n_out: int):
    """Two hidden ReLU layers: enough for the spiral's curved boundaries within a few seconds."""
    return ch08.Sequential([ch08.Dense(n_in, hidden, rng), ch08.ReLU(),
                            ch08.Dense(hidden, hidden, rng), ch08.ReLU(),
                            ch08.Dense(hidden, n_out, rng)])


def _train(ch08, name: str, cfg: dict, seed: int, every: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    if name == "spiral":
        X, y = ch08.spiral_data(rng, cfg["n"], cfg["n_classes"])
        n_in, n_out = 2, cfg["n_classes"]
    else:
        X, y = ch08.sine_data(rng, cfg["n"], noise=cfg["noise"])
        n_in, n_out = 1, 1
    X_train, y_train, X_val, y_val = ch08.train_val_split(rng, X, y, cfg["val_fraction"])
    model = _network(ch08, rng, n_in, cfg["hidden"], n_out)
    optimizer = ch08.Adam(model.parameters(), lr=cfg["lr"], decay=cfg["decay"])

    def progress(epoch, history):
        if (epoch + 1) % every == 0 or epoch + 1 == cfg["epochs"]:
            cols = "  ".join(f"{key} {values[-1]:.4f}" for key, values in history.items())
            print(f"epoch {epoch + 1:4d}/{cfg['epochs']}  {cols}", flush=True)

    history = ch08.fit(model, optimizer, X_train, y_train, rng, cfg["epochs"], cfg["batch_size"],
                       X_val, y_val, task=cfg["task"], on_epoch=progress)
    return model, history, (X_train, y_train, X_val, y_val)


def _plot(ch08, name, model, history, data, out: Path, stem: str) -> list[str]:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("kata demo: matplotlib is not installed, so no plots were saved "
              "(`pip install -e \".[plots]\"` to get them)")
        return []
    import numpy as np

    X_train, y_train, X_val, y_val = data
    saved = []
    fig, ax = plt.subplots(figsize=(6, 6))
    if name == "spiral":
        lo, hi = np.minimum(X_train.min(0), X_val.min(0)) - 0.1, np.maximum(X_train.max(0), X_val.max(0)) + 0.1
        g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 300), np.linspace(lo[1], hi[1], 300))
        model.eval()
        classes = np.argmax(model.forward(np.c_[g0.ravel(), g1.ravel()]), axis=1).reshape(g0.shape)
        model.train()
        k = int(max(y_train.max(), y_val.max())) + 1
        cmap = plt.get_cmap("tab10")
        ax.contourf(g0, g1, classes, levels=np.arange(k + 1) - 0.5, colors=[cmap(i) for i in range(k)], alpha=0.3)
        ax.scatter(X_train[:, 0], X_train[:, 1], c=[cmap(int(c)) for c in y_train], s=12,
                   edgecolors="k", linewidths=0.3, label="training")
        ax.scatter(X_val[:, 0], X_val[:, 1], c=[cmap(int(c)) for c in y_val], s=28, marker="^",
                   edgecolors="k", linewidths=0.6, label="validation")
        ax.set_title(f"spiral: decision regions (train acc {history['accuracy'][-1]:.3f}, "
                     f"val acc {history['val_accuracy'][-1]:.3f})")
        ax.set_aspect("equal")
    else:
        grid = np.linspace(0, 1, 400)[:, None]
        model.eval()
        pred = model.forward(grid)
        model.train()
        ax.scatter(X_train[:, 0], y_train[:, 0], s=6, c="0.6", label="training data")
        ax.plot(grid[:, 0], np.sin(2 * np.pi * grid[:, 0]), "k--", lw=1, label="sin(2 pi x)")
        ax.plot(grid[:, 0], pred[:, 0], "C3", lw=2, label="network")
        ax.set_title(f"sine: fit (val R^2 {history['val_r2'][-1]:.4f})")
        ax.set_xlabel("x")
    legend = ax.legend(loc="upper right", fontsize=8)
    if name == "spiral":  # the markers' shapes, not their class colours, tell the two sets apart
        for handle in legend.legend_handles:
            handle.set_facecolor("0.75")
    path = out / f"{stem}-{'boundary' if name == 'spiral' else 'fit'}.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    saved.append(str(path))

    score = "accuracy" if name == "spiral" else "r2"
    fig, (ax_loss, ax_score) = plt.subplots(1, 2, figsize=(10, 4))
    epochs = np.arange(1, len(history["loss"]) + 1)
    for key, style in (("", "-"), ("val_", "--")):
        ax_loss.plot(epochs, history[key + "loss"], style, label=(key or "train_") + "loss")
        ax_score.plot(epochs, history[key + score], style, label=(key or "train_") + score)
    ax_loss.set_yscale("log")
    for ax, title in ((ax_loss, "loss"), (ax_score, score)):
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.legend()
        ax.grid(alpha=0.3)
    path = out / f"{stem}-curves.png"
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    saved.append(str(path))
    return saved


def cmd_demo(manifest, args) -> int:
    if "numpy" not in sys.modules:  # tiny matrices: one BLAS thread is several times faster
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ.setdefault(var, "1")
    try:
        if args.name in OWN_MODULE:
            return OWN_MODULE[args.name].run(manifest, args)
        if args.name in demo_ddpm.NAMES:
            return demo_ddpm.run(manifest, args, load_package)
        return _run_part1(manifest, args)
    except NotImplementedError as err:  # every demo runs the learner's code: one message for all
        match = STUB_MESSAGE.match(str(err))
        where = f"exercise {match.group(1)}" if match else "an exercise"
        print(f"kata demo: the demo runs your code, and {where} is not started yet ({err}).\n"
              f"Finish it (`kata check`), or run the reference with `kata demo {args.name} --solutions`.",
              file=sys.stderr)
        return 1


def _run_part1(manifest, args) -> int:
    cfg = dict(DEMOS[args.name])
    if args.epochs:
        cfg["epochs"] = args.epochs
    ch08, folder = _load_chapter(manifest, args.solutions)
    print(f"kata demo {args.name}: {folder}/ code, seed {args.seed}, {cfg['epochs']} epochs", flush=True)
    start = time.perf_counter()
    model, history, data = _train(ch08, args.name, cfg, args.seed, max(1, args.every))
    seconds = time.perf_counter() - start
    out = Path(args.out) if args.out else manifest.root / "runs"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.name}-seed{args.seed}-{folder}"
    params_path = out / f"{stem}.npz"
    ch08.save_params(str(params_path), model.parameters())
    plots = _plot(ch08, args.name, model, history, data, out, stem)
    result = {"demo": args.name, "code": folder, "seed": args.seed, "epochs": cfg["epochs"]}
    result.update({key: round(float(values[-1]), 4) for key, values in history.items()})
    result.update({"train_seconds": round(seconds, 2), "params": str(params_path), "plots": plots})
    print(json.dumps(result), flush=True)
    return 0
