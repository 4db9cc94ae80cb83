"""Chapter 19 - Noise schedules: the forward process of a diffusion model.

A denoising diffusion model (Ho, Jain & Abbeel, 2020, "DDPM") destroys data in T small
Gaussian steps and learns to undo them. Step t (0-based here: t = 0, ..., T-1) scales the
previous sample down and adds noise of variance beta[t]:

    x_t = sqrt(alpha[t]) * x_{t-1} + sqrt(beta[t]) * eps_t,   alpha[t] = 1 - beta[t],  x_{-1} = x0

Gaussians compose, so x_t can be drawn from x0 in one shot (the closed form):

    alpha_bar[t] = prod_{s<=t} alpha[s]
    x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * eps,    eps ~ N(0, I)

SNR[t] = alpha_bar[t] / (1 - alpha_bar[t]) is the signal-to-noise ratio of x_t; it must fall
from large (almost clean) to about 0 (pure noise) so the last x_t is indistinguishable from
N(0, I). The reverse process needs the posterior q(x_{t-1} | x_t, x0), again a Gaussian,
whose mean is a fixed mix of x0 and x_t and whose variance beta_tilde[t] needs no learning.

Indexing: paper step t (1..T) is index t-1 here; alpha_bar_prev[t] = alpha_bar[t-1], with
alpha_bar_prev[0] = 1 (before the first step nothing is noisy). Schedules are float64 arrays
(T,); functions that touch data keep the data's dtype, so float32 models stay float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _check_steps(T: int) -> None:
    if not isinstance(T, (int, np.integer)) or isinstance(T, bool) or T < 1:
        raise ValueError(f"T (the number of diffusion steps) must be a positive int, got {T!r}")


def _per_example(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """coef (B,) as (B, 1, ..., 1) in x's dtype, so it scales each example of x: (B, ...)."""
    return coef.reshape((-1,) + (1,) * (x.ndim - 1)).astype(x.dtype, copy=False)


def linear_betas(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """betas: (T,), evenly spaced from beta_start to beta_end, both ends included (Ho et al.).

    >>> linear_betas(5, 0.1, 0.5)
    array([0.1, 0.2, 0.3, 0.4, 0.5])
    """
    _check_steps(T)
    ### BEGIN SOLUTION
    return np.linspace(beta_start, beta_end, T, dtype=np.float64)
    ### END SOLUTION


def cosine_betas(T: int, s: float = 0.008, max_beta: float = 0.999) -> np.ndarray:
    """betas: (T,) of the cosine schedule (Nichol & Dhariwal 2021, "Improved DDPM").

    The schedule is written for alpha_bar, as a function of continuous time u in [0, 1]:

        f(u) = cos((u + s) / (1 + s) * pi / 2) ** 2        alpha_bar(u) = f(u) / f(0)

    and each beta is the ratio of consecutive values on the grid u = t / T:

        betas[t] = min(1 - alpha_bar((t + 1) / T) / alpha_bar(t / T), max_beta)

    The clipping matters: alpha_bar(1) = 0 exactly (up to rounding), so without it the last
    beta is 1, alpha_bar[T-1] is 0 and x0 can no longer be recovered from x_t (a division by 0).

    >>> cosine_betas(4)
    array([0.153 , 0.417 , 0.7079, 0.999 ])
    """
    _check_steps(T)
    ### BEGIN SOLUTION
    u = np.arange(T + 1, dtype=np.float64) / T                     # (T+1,) grid 0, 1/T, ..., 1
    f = np.cos((u + s) / (1.0 + s) * np.pi / 2.0) ** 2
    alpha_bar_u = f / f[0]
    return np.minimum(1.0 - alpha_bar_u[1:] / alpha_bar_u[:-1], max_beta)
    ### END SOLUTION


def alphas_from_betas(betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, alpha_bar), both (T,): alpha = 1 - betas, alpha_bar[t] = prod_{s<=t} alpha[s].

    >>> alphas_from_betas(np.array([0.5, 0.5, 0.2]))[1]
    array([0.5 , 0.25, 0.2 ])
    """
    betas = np.asarray(betas, dtype=np.float64)
    ### BEGIN SOLUTION
    alpha = 1.0 - betas
    return alpha, np.cumprod(alpha)   # alpha_bar[t] includes step t itself
    ### END SOLUTION


def snr(alpha_bar: np.ndarray) -> np.ndarray:
    """Signal-to-noise ratio of x_t: alpha_bar / (1 - alpha_bar), (T,).

    (signal power alpha_bar * E[x0^2] over noise power 1 - alpha_bar, for unit-scale data.)

    >>> snr(np.array([0.8, 0.5, 0.2]))
    array([4.  , 1.  , 0.25])
    """
    ### BEGIN SOLUTION
    return alpha_bar / (1.0 - alpha_bar)
    ### END SOLUTION


def q_sample(x0: np.ndarray, t: np.ndarray, noise: np.ndarray, alpha_bar: np.ndarray) -> np.ndarray:
    """x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * noise, in x0's dtype.

    x0, noise: (B, ...)    t: int (B,), one step per example, broadcast over the trailing axes.

    >>> q_sample(np.array([[2.0], [2.0]]), np.array([0, 1]), np.ones((2, 1)), np.array([0.64, 0.36]))
    array([[2.2],
           [2. ]])
    """
    t = np.asarray(t)
    ### BEGIN SOLUTION
    a = alpha_bar[t]                                                # (B,)
    return _per_example(np.sqrt(a), x0) * x0 + _per_example(np.sqrt(1.0 - a), x0) * noise
    ### END SOLUTION


def posterior_mean_coefs(betas: np.ndarray, alpha_bar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coef_x0, coef_xt), both (T,): the mean of q(x_{t-1} | x_t, x0) is
    coef_x0[t] * x0 + coef_xt[t] * x_t, with (Ho et al. eq. 7; alpha_bar_prev[0] = 1)

        coef_x0 = sqrt(alpha_bar_prev) * betas / (1 - alpha_bar)
        coef_xt = sqrt(alpha) * (1 - alpha_bar_prev) / (1 - alpha_bar)

    >>> coef_x0, coef_xt = posterior_mean_coefs(np.array([0.2, 0.5]), np.array([0.8, 0.4]))
    >>> coef_x0, coef_xt
    (array([1.    , 0.7454]), array([0.    , 0.2357]))
    """
    ### BEGIN SOLUTION
    alpha = 1.0 - betas
    alpha_bar_prev = np.concatenate([[1.0], alpha_bar[:-1]])        # (T,): alpha_bar[t-1]
    coef_x0 = np.sqrt(alpha_bar_prev) * betas / (1.0 - alpha_bar)
    coef_xt = np.sqrt(alpha) * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
    return coef_x0, coef_xt
    ### END SOLUTION


def posterior_variance(betas: np.ndarray, alpha_bar: np.ndarray) -> np.ndarray:
    """beta_tilde: (T,), the variance of q(x_{t-1} | x_t, x0) (alpha_bar_prev[0] = 1):

        beta_tilde = betas * (1 - alpha_bar_prev) / (1 - alpha_bar)

    beta_tilde[0] = 0: given x0, the sample before the first step is x0 itself.

    >>> posterior_variance(np.array([0.2, 0.5]), np.array([0.8, 0.4]))
    array([0.    , 0.1667])
    """
    ### BEGIN SOLUTION
    alpha_bar_prev = np.concatenate([[1.0], alpha_bar[:-1]])        # (T,): alpha_bar[t-1]
    return betas * (1.0 - alpha_bar_prev) / (1.0 - alpha_bar)
    ### END SOLUTION


def predict_x0_from_eps(x_t: np.ndarray, t: np.ndarray, eps: np.ndarray,
                        alpha_bar: np.ndarray) -> np.ndarray:
    """x0 = (x_t - sqrt(1 - alpha_bar[t]) * eps) / sqrt(alpha_bar[t]): q_sample solved for x0.
    x_t, eps: (B, ...)   t: int (B,); the result has x_t's dtype.

    >>> predict_x0_from_eps(np.array([[2.2]]), np.array([0]), np.ones((1, 1)), np.array([0.64]))
    array([[2.]])
    """
    t = np.asarray(t)
    ### BEGIN SOLUTION
    a = alpha_bar[t]                                                # (B,)
    return (x_t - _per_example(np.sqrt(1.0 - a), x_t) * eps) / _per_example(np.sqrt(a), x_t)
    ### END SOLUTION


def predict_eps_from_x0(x_t: np.ndarray, t: np.ndarray, x0: np.ndarray,
                        alpha_bar: np.ndarray) -> np.ndarray:
    """eps = (x_t - sqrt(alpha_bar[t]) * x0) / sqrt(1 - alpha_bar[t]): q_sample solved for eps.
    x_t, x0: (B, ...)   t: int (B,); the result has x_t's dtype.

    >>> predict_eps_from_x0(np.array([[2.2]]), np.array([0]), np.full((1, 1), 2.0), np.array([0.64]))
    array([[1.]])
    """
    t = np.asarray(t)
    ### BEGIN SOLUTION
    a = alpha_bar[t]                                                # (B,)
    return (x_t - _per_example(np.sqrt(a), x_t) * x0) / _per_example(np.sqrt(1.0 - a), x_t)
    ### END SOLUTION


@dataclass(frozen=True)
class Schedule:
    """Every per-step quantity of one schedule, as float64 arrays (T,), for the samplers."""
    betas: np.ndarray
    alpha: np.ndarray
    alpha_bar: np.ndarray
    coef_x0: np.ndarray
    coef_xt: np.ndarray
    beta_tilde: np.ndarray

    @property
    def T(self) -> int:
        return len(self.betas)

    @property
    def alpha_bar_prev(self) -> np.ndarray:
        """alpha_bar[t-1], with 1.0 for t = 0: (T,)."""
        return np.concatenate([[1.0], self.alpha_bar[:-1]])


def make_schedule(betas: np.ndarray) -> Schedule:
    """Provided: bundle the exercises' results, e.g. make_schedule(linear_betas(1000))."""
    betas = np.asarray(betas, dtype=np.float64)
    alpha, alpha_bar = alphas_from_betas(betas)
    coef_x0, coef_xt = posterior_mean_coefs(betas, alpha_bar)
    return Schedule(betas, alpha, alpha_bar, coef_x0, coef_xt, posterior_variance(betas, alpha_bar))
