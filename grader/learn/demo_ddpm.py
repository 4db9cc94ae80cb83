"""``kata demo ddpm2d|ddpm-images``: a diffusion model built from your own chapters 19-21.

ddpm2d      two moons (or ``--data swissroll``) drawn by the project; chapter 21's MLPDenoiser
            (Dense and SiLU from Parts I-II) trained with your train_step, sampled with your
            ddpm_step. Reports the energy distance of 1000 samples to 1000 held-out points
            (``sample_distance``) beside the same number for a Gaussian fitted to the data
            (``baseline_distance``) and for 1000 real training points (``data_distance``, the
            floor a perfect sampler reaches); saves a scatter and the reverse trajectory.
ddpm-images 16x16 images of filled squares and discs drawn by the project; chapter 20's U-Net in
            float32. Reports the mean distance of each sample to its nearest training image
            (``nn_distance``) beside the same for held-out real images and for a per-pixel
            Gaussian fitted to the data; saves a grid of samples and the loss curve.

Both print progress while they train and one JSON line last. Bands: docs/ch21_ddpm.md.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
import time
from pathlib import Path

# numpy is imported by run(), not here: `kata demo` sets the BLAS thread count before numpy loads.
np = None

NAMES = ("ddpm2d", "ddpm-images")
SETTINGS = {  # reference timings on the shared 2-core machine: docs/ch21_ddpm.md
    "ddpm2d": dict(T=100, steps=6000, batch=256, lr=3e-3, decay=1e-3, hidden=128, emb_dim=32, n_eval=1000),
    "ddpm-images": dict(T=100, steps=600, batch=32, lr=2e-3, decay=0.0, base=16, groups=4, n_train=1024,
                        n_samples=36, size=16),
}


def add_arguments(parser) -> None:
    parser.add_argument("--steps", type=int, default=None, help="gpt and ddpm demos: override the number of training steps")
    parser.add_argument("--samples", type=int, default=None,
                        help="ddpm demos: how many samples to draw (and, for ddpm2d, held-out points)")
    parser.add_argument("--data", default=None,
                        help="ddpm2d: moons (default) or swissroll; ddpm-images: shapes (default) or digits")


# ---------------------------------------------------------------- data drawn by the project
def two_moons(rng, n, noise=0.06):
    """Two interleaved half circles, standardised."""
    upper = rng.random(n) < 0.5
    angle = rng.uniform(0.0, np.pi, size=n)
    x = np.where(upper, np.cos(angle), 1.0 - np.cos(angle))
    y = np.where(upper, np.sin(angle), 0.5 - np.sin(angle))
    pts = np.stack([x, y], axis=1) + noise * rng.standard_normal((n, 2))  # (n, 2)
    return (pts - [0.5, 0.25]) / [0.87, 0.5]


def swiss_roll(rng, n, noise=0.05):
    """A 2-D Swiss roll (a spiral of growing radius), standardised."""
    turn = 1.5 * np.pi * (1.0 + 2.0 * rng.random(n))
    pts = np.stack([turn * np.cos(turn), turn * np.sin(turn)], axis=1) / 10.0
    return (pts + noise * rng.standard_normal((n, 2))) / 0.75


def shapes(rng, n, size=16):
    """Filled squares and discs at random places and sizes, in [-1, 1]: (n, 1, size, size)."""
    rows, cols = np.mgrid[0:size, 0:size] + 0.5                      # pixel centres
    radius = rng.uniform(size * 0.18, size * 0.32, size=(n, 1, 1))
    cy, cx = rng.uniform(radius[:, 0, 0], size - radius[:, 0, 0], size=(2, n))[:, :, None, None]  # (n, 1, 1)
    square = np.maximum(np.abs(rows - cy), np.abs(cols - cx)) <= radius * 0.85
    disc = (rows - cy) ** 2 + (cols - cx) ** 2 <= radius ** 2
    is_square = (rng.random(n) < 0.5)[:, None, None]
    img = np.where(is_square, square, disc).astype(np.float32)       # (n, size, size)
    return (2.0 * img - 1.0)[:, None]                                # (n, 1, size, size)


def digits(size=8):
    from sklearn.datasets import load_digits  # optional: only with --data digits
    images = load_digits().images.astype(np.float32) / 16.0          # (1797, 8, 8) in [0, 1]
    return (2.0 * images - 1.0)[:, None]


def energy_distance(a, b):
    """2 E|A - B| - E|A - A'| - E|B - B'| (>= 0; 0 iff the distributions agree)."""
    def mean_dist(p, q):
        return np.sqrt(((p[:, None, :] - q[None, :, :]) ** 2).sum(-1)).mean()
    return float(2 * mean_dist(a, b) - mean_dist(a, a) - mean_dist(b, b))


def nn_distance(samples, train):
    """Mean over samples of the RMS pixel distance to the nearest training image."""
    s, r = samples.reshape(len(samples), -1), train.reshape(len(train), -1)
    d2 = (s ** 2).sum(1)[:, None] - 2 * s @ r.T + (r ** 2).sum(1)[None, :]
    return float(np.sqrt(np.maximum(d2.min(axis=1), 0.0) / s.shape[1]).mean())


# ---------------------------------------------------------------- training and sampling
def _train(ch21, model, x_train, alpha_bar, cfg, rng, every):
    optimizer = ch21.Adam(model.parameters(), lr=cfg["lr"], decay=cfg["decay"])  # lr / (1 + decay * step)
    losses, start = [], time.perf_counter()
    for step in range(cfg["steps"]):
        batch = x_train[rng.integers(0, len(x_train), size=cfg["batch"])]
        losses.append(ch21.train_step(model, optimizer, batch, alpha_bar, rng))
        if (step + 1) % every == 0 or step + 1 == cfg["steps"]:
            print(f"step {step + 1:5d}/{cfg['steps']}  loss {np.mean(losses[-every:]):.4f}  "
                  f"({time.perf_counter() - start:.0f} s)", flush=True)
    return losses


def _sample(ch21, model, shape, betas, alpha_bar, rng, dtype, keep=()):
    """Your ddpm_step from t = T-1 to 0 (variance beta); returns x_0 and {t: x_t} for t in keep."""
    x = rng.standard_normal(shape).astype(dtype)
    snapshots = {len(betas): x}
    for t in range(len(betas) - 1, -1, -1):
        eps_hat = model.forward(x, np.full(shape[0], t))
        x = ch21.ddpm_step(x, t, eps_hat, betas, alpha_bar, rng.standard_normal(shape).astype(dtype))
        if t in keep:
            snapshots[t] = x
    return x, snapshots


def _plt():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        return plt
    except ImportError:
        print("kata demo: matplotlib is not installed, so no plots were saved")
        return None


def run_2d(ch19, ch21, cfg, args, out, stem):
    rng = np.random.default_rng(args.seed)
    make = swiss_roll if (args.data or "moons") == "swissroll" else two_moons
    x_train, x_held = make(rng, 4000), make(rng, cfg["n_eval"])
    betas = ch19.linear_betas(cfg["T"], 0.1 / cfg["T"], 20.0 / cfg["T"])  # Ho et al., rescaled to T
    _, alpha_bar = ch19.alphas_from_betas(betas)
    model = ch21.MLPDenoiser(2, cfg["hidden"], rng, emb_dim=cfg["emb_dim"])
    losses = _train(ch21, model, x_train, alpha_bar, cfg, rng, max(1, cfg["steps"] // 10))
    keep = (cfg["T"] // 2, cfg["T"] // 4, cfg["T"] // 10, 0)  # the structure appears late
    samples, snaps = _sample(ch21, model, (cfg["n_eval"], 2), betas, alpha_bar, rng, np.float64, keep)
    fitted = rng.multivariate_normal(x_train.mean(0), np.cov(x_train.T), size=cfg["n_eval"])
    result = {"sample_distance": round(energy_distance(samples, x_held), 4),
              "baseline_distance": round(energy_distance(fitted, x_held), 4),
              "data_distance": round(energy_distance(x_train[:cfg["n_eval"]], x_held), 4),
              "final_loss": round(float(np.mean(losses[-100:])), 4)}
    plots = []
    plt = _plt()
    if plt:
        fig, axes = plt.subplots(1, 2, figsize=(10, 5))
        for ax, pts, title in ((axes[0], x_held, "held-out data"), (axes[1], samples, "DDPM samples")):
            ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.6)
            ax.set_title(title)
            ax.set_aspect("equal")
            ax.set_xlim(-3, 3)
            ax.set_ylim(-3, 3)
        plots.append(str(out / f"{stem}-samples.png"))
        fig.savefig(plots[-1], dpi=90, bbox_inches="tight")
        plt.close(fig)
        fig, axes = plt.subplots(1, len(snaps), figsize=(3 * len(snaps), 3))
        for ax, (t, pts) in zip(axes, sorted(snaps.items(), reverse=True)):
            ax.scatter(pts[:, 0], pts[:, 1], s=2, alpha=0.5)
            ax.set_title("x_T ~ N(0, I)" if t == cfg["T"] else f"after step t = {t}")
            ax.set_xlim(-3, 3)
            ax.set_ylim(-3, 3)
            ax.set_aspect("equal")
        plots.append(str(out / f"{stem}-trajectory.png"))
        fig.savefig(plots[-1], dpi=90, bbox_inches="tight")
        plt.close(fig)
    return result, losses, plots


def run_images(ch19, ch21, cfg, args, out, stem):
    rng = np.random.default_rng(args.seed)
    if args.data == "digits":
        data = digits()
        rng.shuffle(data)
        x_train, x_held = data[:-200], data[-200:]
    else:
        x_train, x_held = shapes(rng, cfg["n_train"], cfg["size"]), shapes(rng, 200, cfg["size"])
    betas = ch19.linear_betas(cfg["T"], 0.1 / cfg["T"], 20.0 / cfg["T"])  # Ho et al., rescaled to T
    _, alpha_bar = ch19.alphas_from_betas(betas)
    model = ch21.UNet(1, cfg["base"], rng, channel_mults=(1, 2), groups=cfg["groups"]).to_dtype(np.float32)
    losses = _train(ch21, model, x_train, alpha_bar, cfg, rng, max(1, cfg["steps"] // 20))
    shape = (cfg["n_samples"],) + x_train.shape[1:]
    samples, _ = _sample(ch21, model, shape, betas, alpha_bar, rng, np.float32)
    samples = np.clip(samples, -1.0, 1.0)
    mean, std = x_train.mean(0), x_train.std(0)
    fitted = np.clip(mean + std * rng.standard_normal(shape), -1, 1)
    result = {"nn_distance": round(nn_distance(samples, x_train), 4),
              "heldout_nn_distance": round(nn_distance(x_held[:cfg["n_samples"]], x_train), 4),
              "baseline_nn_distance": round(nn_distance(fitted, x_train), 4),
              "final_loss": round(float(np.mean(losses[-50:])), 4), "dtype": str(samples.dtype)}
    plots = []
    plt = _plt()
    if plt:
        side = int(np.ceil(np.sqrt(len(samples))))
        fig, axes = plt.subplots(side, side, figsize=(side, side))
        for ax, img in zip(axes.ravel(), samples):
            ax.imshow(img[0], cmap="gray", vmin=-1, vmax=1)
        for ax in axes.ravel():
            ax.axis("off")
        plots.append(str(out / f"{stem}-samples.png"))
        fig.savefig(plots[-1], dpi=80, bbox_inches="tight")
        plt.close(fig)
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(losses, lw=0.5, alpha=0.5, label="per step")
        w = max(1, len(losses) // 25)
        ax.plot(np.arange(w - 1, len(losses)), np.convolve(losses, np.ones(w) / w, "valid"), label=f"mean of {w}")
        ax.set_xlabel("training step")
        ax.set_ylabel("eps-prediction loss")
        ax.legend()
        plots.append(str(out / f"{stem}-loss.png"))
        fig.savefig(plots[-1], dpi=90, bbox_inches="tight")
        plt.close(fig)
    return result, losses, plots


def run(manifest, args, load_package) -> int:
    global np
    import numpy as np
    folder = "solutions" if args.solutions else "exercises"
    load_package(manifest.root / folder, folder)
    ch19 = importlib.import_module(f"{folder}.ch19_noise_schedules")
    ch21 = importlib.import_module(f"{folder}.ch21_ddpm")
    choices = ("moons", "swissroll") if args.name == "ddpm2d" else ("shapes", "digits")
    if args.data not in (None,) + choices:
        print(f"kata demo {args.name}: --data must be one of {', '.join(choices)}, got {args.data!r}",
              file=sys.stderr)
        return 2
    if args.data == "digits" and importlib.util.find_spec("sklearn") is None:
        print("kata demo ddpm-images: --data digits uses scikit-learn's 8x8 digits; "
              "`pip install scikit-learn`, or leave --data out for the drawn shapes", file=sys.stderr)
        return 1
    cfg = dict(SETTINGS[args.name])
    if args.steps:
        cfg["steps"] = args.steps
    if args.samples:
        cfg["n_eval" if args.name == "ddpm2d" else "n_samples"] = args.samples
    out = Path(args.out) if args.out else manifest.root / "runs"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{args.name}-seed{args.seed}-{folder}"
    print(f"kata demo {args.name}: {folder}/ code, seed {args.seed}, {cfg['steps']} steps, T = {cfg['T']}",
          flush=True)
    start, cpu_start = time.perf_counter(), time.process_time()
    runner = run_2d if args.name == "ddpm2d" else run_images
    result, _, plots = runner(ch19, ch21, cfg, args, out, stem)
    summary = {"demo": args.name, "code": folder, "seed": args.seed, "steps": cfg["steps"],
               "data": args.data or ("moons" if args.name == "ddpm2d" else "shapes"), **result,
               "seconds": round(time.perf_counter() - start, 1),
               "cpu_seconds": round(time.process_time() - cpu_start, 1), "plots": plots}
    print(json.dumps(summary), flush=True)
    return 0
