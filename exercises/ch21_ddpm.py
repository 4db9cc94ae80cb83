# Chapter 21: DDPM and DDIM. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch21_ddpm.py.)
"""Chapter 21 - DDPM and DDIM: train a denoiser, then run the noise backwards.

Training (Ho, Jain & Abbeel, 2020, Algorithm 1). Pick a timestep t uniformly from {0, ..., T-1}
(0-based, as in chapter 19), a noise eps ~ N(0, I), form x_t = sqrt(alpha_bar[t]) * x0 +
sqrt(1 - alpha_bar[t]) * eps and regress the network's output on eps:

    loss = mean over every entry of (eps_model(x_t, t) - eps)^2

Ancestral sampling (Algorithm 2). Start from x ~ N(0, I) and for t = T-1, ..., 0:

    mean = (x_t - beta[t] / sqrt(1 - alpha_bar[t]) * eps_hat) / sqrt(alpha[t])
    x_{t-1} = mean + sqrt(var[t]) * z      z ~ N(0, I), var = beta or beta_tilde (chapter 19)

and at the last step (t = 0) return the mean: no noise is added to the final sample.

DDIM (Song, Meng & Ermon, 2021) with eta = 0 is deterministic and may skip steps: predict x0,
then move to an earlier timestep s along the same eps:

    x0_hat = (x_t - sqrt(1 - alpha_bar[t]) * eps_hat) / sqrt(alpha_bar[t])
    x_s    = sqrt(alpha_bar[s]) * x0_hat + sqrt(1 - alpha_bar[s]) * eps_hat    (alpha_bar[-1] := 1)

Samplers take the denoiser as a callable eps_model(x_t, t) with t an int array (B,), so any
model (an MLP, the U-Net of chapter 20, or an exact formula) can drive them.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .ch05_backprop import Dense
from .ch06_optimizers import SGD, Adam  # noqa: F401 - for training loops and the demos
from .ch19_noise_schedules import alphas_from_betas, posterior_variance, q_sample
from .ch20_unet import SiLU, UNet, timestep_embedding  # noqa: F401 - UNet: demos
from .core import Module


def sample_training_batch(x0: np.ndarray, alpha_bar: np.ndarray,
                          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x_t: like x0, t: (B,) ints in 0..T-1, noise: like x0) for a batch x0: (B, ...).

    Draw, in this order: t = rng.integers(0, T, size=B), then noise = rng.standard_normal(x0.shape)
    in x0's dtype; x_t = q_sample(x0, t, noise, alpha_bar) (chapter 19). T = len(alpha_bar).

    >>> x_t, t, noise = sample_training_batch(np.zeros((3, 2)), np.full(5, 0.5), np.random.default_rng(0))
    >>> t.shape, noise.shape, bool(np.allclose(x_t, np.sqrt(0.5) * noise))
    ((3,), (3, 2), True)
    """
    # TODO(21.1): A training batch: t, noise and x_t. Stuck? `kata hint 21.1`
    raise NotImplementedError("Exercise 21.1: sample_training_batch is not written yet")


def train_step(model: Module, optimizer, x0: np.ndarray, alpha_bar: np.ndarray,
               rng: np.random.Generator) -> float:
    """One optimisation step on the eps-prediction loss; returns the loss (before the update).

    zero the gradients; (x_t, t, noise) = sample_training_batch(x0, alpha_bar, rng);
    eps_hat = model.forward(x_t, t); loss = mean((eps_hat - noise)^2);
    model.backward(2 * (eps_hat - noise) / N) with N = eps_hat.size; optimizer.step().

    >>> rng = np.random.default_rng(0)
    >>> model = MLPDenoiser(2, 32, rng)
    >>> optimizer = Adam(model.parameters(), lr=0.01)
    >>> x0 = 1.0 + 0.1 * rng.standard_normal((64, 2))
    >>> losses = [train_step(model, optimizer, x0, np.linspace(0.99, 0.01, 50), rng) for _ in range(100)]
    >>> bool(np.mean(losses[-10:]) < np.mean(losses[:10]))
    True
    """
    # TODO(21.2): One training step. Stuck? `kata hint 21.2`
    raise NotImplementedError("Exercise 21.2: train_step is not written yet")


def ddpm_step(x_t: np.ndarray, t: int, eps_hat: np.ndarray, betas: np.ndarray,
              alpha_bar: np.ndarray, z: np.ndarray, variance: str = "beta") -> np.ndarray:
    """One ancestral step x_t -> x_{t-1} at the integer timestep t (0-based), given the noise z.

        mean = (x_t - beta[t] / sqrt(1 - alpha_bar[t]) * eps_hat) / sqrt(1 - beta[t])
        var  = beta[t] (variance="beta") or beta_tilde[t] (variance="beta_tilde", chapter 19)
        returns mean + sqrt(var) * z, or just mean when t == 0. Keeps x_t's dtype.

    >>> ddpm_step(np.array([1.0]), 0, np.array([0.0]), np.array([0.19]), np.array([0.81]), np.array([5.0]))
    array([1.1111])
    """
    if variance not in ("beta", "beta_tilde"):
        raise ValueError(f"variance must be 'beta' or 'beta_tilde', got {variance!r}")
    # TODO(21.3): One ancestral step. Stuck? `kata hint 21.3`
    raise NotImplementedError("Exercise 21.3: ddpm_step is not written yet")


def ddpm_sample(eps_model: Callable, shape: tuple, betas: np.ndarray, rng: np.random.Generator,
                variance: str = "beta", dtype=np.float64) -> np.ndarray:
    """Ancestral sampling: x ~ N(0, I) of ``shape`` (dtype), then ddpm_step for t = T-1 .. 0.

    At each step: eps_hat = eps_model(x, t repeated B times), z = rng.standard_normal(shape) in
    dtype (drawn every step, even the last, where ddpm_step ignores it). Returns x_0.

    >>> zero_model = lambda x, t: np.zeros_like(x)
    >>> x0 = ddpm_sample(zero_model, (2, 3), np.full(10, 0.02), np.random.default_rng(0), dtype=np.float32)
    >>> x0.shape, x0.dtype
    ((2, 3), dtype('float32'))
    """
    _, alpha_bar = alphas_from_betas(betas)
    # TODO(21.4): Ancestral sampling. Stuck? `kata hint 21.4`
    raise NotImplementedError("Exercise 21.4: ddpm_sample is not written yet")


def ddim_step(x_t: np.ndarray, t: int, t_prev: int, eps_hat: np.ndarray,
              alpha_bar: np.ndarray) -> np.ndarray:
    """Deterministic DDIM step (eta = 0) from timestep t to t_prev < t; t_prev = -1 means "the data".

        x0_hat = (x_t - sqrt(1 - alpha_bar[t]) * eps_hat) / sqrt(alpha_bar[t])
        returns sqrt(ab_prev) * x0_hat + sqrt(1 - ab_prev) * eps_hat,
        ab_prev = alpha_bar[t_prev], or 1 when t_prev == -1. No fresh noise. Keeps x_t's dtype.

    >>> ddim_step(np.array([1.0]), 1, -1, np.array([0.0]), np.array([0.9, 0.25]))
    array([2.])
    """
    # TODO(21.5): One DDIM step. Stuck? `kata hint 21.5`
    raise NotImplementedError("Exercise 21.5: ddim_step is not written yet")


def ddim_timesteps(T: int, n_steps: int) -> np.ndarray:
    """n_steps distinct timesteps from T-1 down to 0, evenly spaced (rounded): (n_steps,) ints."""
    if not 1 <= n_steps <= T:
        raise ValueError(f"n_steps must be between 1 and T={T}, got {n_steps}")
    return np.round(np.linspace(T - 1, 0, n_steps)).astype(np.int64)


def ddim_sample(eps_model: Callable, shape: tuple, alpha_bar: np.ndarray, n_steps: int,
                rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
    """DDIM (eta = 0): x ~ N(0, I) at t = T-1, then ddim_step along ddim_timesteps(T, n_steps),
    the last step going to t_prev = -1. The only random draw is the starting x.

    With the exact eps of data that all sit at one point c, DDIM lands on c from any start:

    >>> alpha_bar, c = np.linspace(0.99, 0.02, 20), np.array([1.5, -0.5])
    >>> def eps_of_point(x, t):
    ...     return (x - np.sqrt(alpha_bar[t])[:, None] * c) / np.sqrt(1 - alpha_bar[t])[:, None]
    >>> ddim_sample(eps_of_point, (2, 2), alpha_bar, 5, np.random.default_rng(0))
    array([[ 1.5, -0.5],
           [ 1.5, -0.5]])
    """
    steps = ddim_timesteps(len(alpha_bar), n_steps)
    # TODO(21.6): DDIM sampling. Stuck? `kata hint 21.6`
    raise NotImplementedError("Exercise 21.6: ddim_sample is not written yet")


class MLPDenoiser(Module):
    """eps_model for vectors, built from Parts I-II: x_t (B, D), t (B,) -> eps_hat (B, D).

    [x_t, timestep_embedding(t, emb_dim)] -> (Dense -> SiLU) * hidden_layers -> Dense.
    ``self.layers`` holds them in order (Dense, SiLU, Dense, SiLU, ..., Dense). Three hidden
    layers draw crisp two moons where two leave a haze between them (docs/ch21_ddpm.md).
    """

    def __init__(self, dim: int, hidden: int, rng: np.random.Generator, emb_dim: int = 16,
                 hidden_layers: int = 3):
        self.emb_dim = emb_dim
        sizes = [dim + emb_dim] + [hidden] * hidden_layers
        self.layers = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            self.layers += [Dense(n_in, n_out, rng), SiLU()]
        self.layers.append(Dense(hidden, dim, rng))

    def forward(self, x_t: np.ndarray, t: np.ndarray) -> np.ndarray:
        h = np.concatenate([x_t, timestep_embedding(t, self.emb_dim, dtype=x_t.dtype)], axis=1)
        for layer in self.layers:                                   # h: (B, D + emb_dim) first
            h = layer.forward(h)
        return h

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout[:, :-self.emb_dim]                              # drop the embedding's part
