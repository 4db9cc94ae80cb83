# Chapter 19: Noise schedules. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch19_noise_schedules.py.)
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
    # TODO(19.1): Linear beta schedule. Stuck? `kata hint 19.1`
    raise NotImplementedError("Exercise 19.1: linear_betas is not written yet")


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
    # TODO(19.2): Cosine beta schedule. Stuck? `kata hint 19.2`
    raise NotImplementedError("Exercise 19.2: cosine_betas is not written yet")


def alphas_from_betas(betas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(alpha, alpha_bar), both (T,): alpha = 1 - betas, alpha_bar[t] = prod_{s<=t} alpha[s].

    >>> alphas_from_betas(np.array([0.5, 0.5, 0.2]))[1]
    array([0.5 , 0.25, 0.2 ])
    """
    betas = np.asarray(betas, dtype=np.float64)
    # TODO(19.3): alpha and alpha_bar. Stuck? `kata hint 19.3`
    raise NotImplementedError("Exercise 19.3: alphas_from_betas is not written yet")


def snr(alpha_bar: np.ndarray) -> np.ndarray:
    """Signal-to-noise ratio of x_t: alpha_bar / (1 - alpha_bar), (T,).

    (signal power alpha_bar * E[x0^2] over noise power 1 - alpha_bar, for unit-scale data.)

    >>> snr(np.array([0.8, 0.5, 0.2]))
    array([4.  , 1.  , 0.25])
    """
    # TODO(19.4): Signal-to-noise ratio. Stuck? `kata hint 19.4`
    raise NotImplementedError("Exercise 19.4: snr is not written yet")


def q_sample(x0: np.ndarray, t: np.ndarray, noise: np.ndarray, alpha_bar: np.ndarray) -> np.ndarray:
    """x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * noise, in x0's dtype.

    x0, noise: (B, ...)    t: int (B,), one step per example, broadcast over the trailing axes.

    >>> q_sample(np.array([[2.0], [2.0]]), np.array([0, 1]), np.ones((2, 1)), np.array([0.64, 0.36]))
    array([[2.2],
           [2. ]])
    """
    t = np.asarray(t)
    # TODO(19.5): Closed-form q_sample. Stuck? `kata hint 19.5`
    raise NotImplementedError("Exercise 19.5: q_sample is not written yet")


def posterior_mean_coefs(betas: np.ndarray, alpha_bar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(coef_x0, coef_xt), both (T,): the mean of q(x_{t-1} | x_t, x0) is
    coef_x0[t] * x0 + coef_xt[t] * x_t, with (Ho et al. eq. 7; alpha_bar_prev[0] = 1)

        coef_x0 = sqrt(alpha_bar_prev) * betas / (1 - alpha_bar)
        coef_xt = sqrt(alpha) * (1 - alpha_bar_prev) / (1 - alpha_bar)

    >>> coef_x0, coef_xt = posterior_mean_coefs(np.array([0.2, 0.5]), np.array([0.8, 0.4]))
    >>> coef_x0, coef_xt
    (array([1.    , 0.7454]), array([0.    , 0.2357]))
    """
    # TODO(19.6): Posterior mean coefficients. Stuck? `kata hint 19.6`
    raise NotImplementedError("Exercise 19.6: posterior_mean_coefs is not written yet")


def posterior_variance(betas: np.ndarray, alpha_bar: np.ndarray) -> np.ndarray:
    """beta_tilde: (T,), the variance of q(x_{t-1} | x_t, x0) (alpha_bar_prev[0] = 1):

        beta_tilde = betas * (1 - alpha_bar_prev) / (1 - alpha_bar)

    beta_tilde[0] = 0: given x0, the sample before the first step is x0 itself.

    >>> posterior_variance(np.array([0.2, 0.5]), np.array([0.8, 0.4]))
    array([0.    , 0.1667])
    """
    # TODO(19.7): Posterior variance beta_tilde. Stuck? `kata hint 19.7`
    raise NotImplementedError("Exercise 19.7: posterior_variance is not written yet")


def predict_x0_from_eps(x_t: np.ndarray, t: np.ndarray, eps: np.ndarray,
                        alpha_bar: np.ndarray) -> np.ndarray:
    """x0 = (x_t - sqrt(1 - alpha_bar[t]) * eps) / sqrt(alpha_bar[t]): q_sample solved for x0.
    x_t, eps: (B, ...)   t: int (B,); the result has x_t's dtype.

    >>> predict_x0_from_eps(np.array([[2.2]]), np.array([0]), np.ones((1, 1)), np.array([0.64]))
    array([[2.]])
    """
    t = np.asarray(t)
    # TODO(19.8): x0 from predicted noise. Stuck? `kata hint 19.8`
    raise NotImplementedError("Exercise 19.8: predict_x0_from_eps is not written yet")


def predict_eps_from_x0(x_t: np.ndarray, t: np.ndarray, x0: np.ndarray,
                        alpha_bar: np.ndarray) -> np.ndarray:
    """eps = (x_t - sqrt(alpha_bar[t]) * x0) / sqrt(1 - alpha_bar[t]): q_sample solved for eps.
    x_t, x0: (B, ...)   t: int (B,); the result has x_t's dtype.

    >>> predict_eps_from_x0(np.array([[2.2]]), np.array([0]), np.full((1, 1), 2.0), np.array([0.64]))
    array([[1.]])
    """
    t = np.asarray(t)
    # TODO(19.9): Noise from x0. Stuck? `kata hint 19.9`
    raise NotImplementedError("Exercise 19.9: predict_eps_from_x0 is not written yet")


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
