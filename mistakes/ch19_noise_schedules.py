"""Chapter 19 mistakes: schedules and the forward process as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch19_noise_schedules import _per_example


@mistake("19.1", "leaves beta_end out: arange-style spacing (T gaps instead of T - 1)")
def linear_betas(T, beta_start=1e-4, beta_end=0.02):
    return beta_start + (beta_end - beta_start) * np.arange(T) / T


@mistake("19.2", "no clipping: the last beta is 1 and alpha_bar[T-1] is 0")
def cosine_betas(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1) / T
    f = np.cos((u + s) / (1 + s) * np.pi / 2) ** 2
    return 1 - f[1:] / f[:-1]


@mistake("19.2", "cosine not squared")
def cosine_betas_unsquared(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1) / T
    f = np.cos((u + s) / (1 + s) * np.pi / 2)
    return np.minimum(1 - f[1:] / f[:-1], max_beta)


@mistake("19.2", "ignores the offset s (the first betas come out far too small)")
def cosine_betas_no_offset(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1) / T
    f = np.cos(u * np.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[:-1], max_beta)


@mistake("19.2", "grid of T points stops at (T-1)/T and starts with beta[0] = 0: off by one step")
def cosine_betas_short_grid(T, s=0.008, max_beta=0.999):
    u = np.arange(T) / T
    alpha_bar = np.cos((u + s) / (1 + s) * np.pi / 2) ** 2
    alpha_bar = alpha_bar / alpha_bar[0]
    return np.minimum(1 - alpha_bar / np.concatenate([[1.0], alpha_bar[:-1]]), max_beta)


@mistake("19.3", "cumulative SUM of alpha instead of the product")
def alphas_from_betas(betas):
    alpha = 1.0 - np.asarray(betas, dtype=np.float64)
    return alpha, np.cumsum(alpha)


@mistake("19.3", "t off by one: alpha_bar[t] = prod of alpha[0..t-1] (alpha_bar[0] = 1)")
def alphas_from_betas_exclusive(betas):
    alpha = 1.0 - np.asarray(betas, dtype=np.float64)
    return alpha, np.concatenate([[1.0], np.cumprod(alpha)[:-1]])


@mistake("19.3", "cumulative product of the betas")
def alphas_from_betas_of_betas(betas):
    betas = np.asarray(betas, dtype=np.float64)
    return 1.0 - betas, np.cumprod(betas)


@mistake("19.4", "inverted: noise over signal")
def snr(alpha_bar):
    return (1.0 - alpha_bar) / alpha_bar


@mistake("19.4", "ratio of amplitudes (square roots), not of powers")
def snr_amplitudes(alpha_bar):
    return np.sqrt(alpha_bar) / np.sqrt(1.0 - alpha_bar)


@mistake("19.5", "sqrt missing on alpha_bar: x0 scaled by alpha_bar")
def q_sample(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t)]
    return _per_example(a, x0) * x0 + _per_example(np.sqrt(1 - a), x0) * noise


@mistake("19.5", "(1 - alpha_bar) where sqrt(1 - alpha_bar) belongs")
def q_sample_variance_as_std(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t)]
    return _per_example(np.sqrt(a), x0) * x0 + _per_example(1 - a, x0) * noise


@mistake("19.5", "t off by one: alpha_bar[t - 1]")
def q_sample_off_by_one(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t) - 1]
    return _per_example(np.sqrt(a), x0) * x0 + _per_example(np.sqrt(1 - a), x0) * noise


@mistake("19.5", "alpha_bar[t][:, None]: broadcasts right only for 2-D x0")
def q_sample_2d_only(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t)][:, None]
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise


@mistake("19.5", "float64 coefficients promote float32 data to float64")
def q_sample_promotes(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t)].reshape((-1,) + (1,) * (x0.ndim - 1))
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise


@mistake("19.6", "t off by one: alpha_bar_prev = alpha_bar (no shift)")
def posterior_mean_coefs(betas, alpha_bar):
    alpha = 1 - betas
    return (np.sqrt(alpha_bar) * betas / (1 - alpha_bar),
            np.sqrt(alpha) * (1 - alpha_bar) / (1 - alpha_bar))


@mistake("19.6", "sqrt missing on alpha in coef_xt")
def posterior_mean_coefs_no_sqrt(betas, alpha_bar):
    prev = np.concatenate([[1.0], alpha_bar[:-1]])
    return (np.sqrt(prev) * betas / (1 - alpha_bar), (1 - betas) * (1 - prev) / (1 - alpha_bar))


@mistake("19.6", "alpha_bar_prev[0] = 0 instead of 1")
def posterior_mean_coefs_prev_zero(betas, alpha_bar):
    prev = np.concatenate([[0.0], alpha_bar[:-1]])
    return (np.sqrt(prev) * betas / (1 - alpha_bar),
            np.sqrt(1 - betas) * (1 - prev) / (1 - alpha_bar))


@mistake("19.6", "the two coefficients swapped")
def posterior_mean_coefs_swapped(betas, alpha_bar):
    prev = np.concatenate([[1.0], alpha_bar[:-1]])
    return (np.sqrt(1 - betas) * (1 - prev) / (1 - alpha_bar),
            np.sqrt(prev) * betas / (1 - alpha_bar))


@mistake("19.7", "beta where beta_tilde belongs")
def posterior_variance(betas, alpha_bar):
    return np.array(betas, dtype=np.float64)


@mistake("19.7", "alpha_bar_prev[0] = 0: beta_tilde[0] is 1, not 0")
def posterior_variance_prev_zero(betas, alpha_bar):
    prev = np.concatenate([[0.0], alpha_bar[:-1]])
    return betas * (1 - prev) / (1 - alpha_bar)


@mistake("19.7", "ratio upside down: beta * (1 - alpha_bar) / (1 - alpha_bar_prev)")
def posterior_variance_inverted(betas, alpha_bar):
    prev = np.concatenate([[1.0], alpha_bar[:-1]])
    return betas * (1 - alpha_bar) / np.maximum(1 - prev, 1e-300)


@mistake("19.8", "(1 - alpha_bar) where sqrt(1 - alpha_bar) belongs")
def predict_x0_from_eps(x_t, t, eps, alpha_bar):
    a = alpha_bar[np.asarray(t)]
    return (x_t - _per_example(1 - a, x_t) * eps) / _per_example(np.sqrt(a), x_t)


@mistake("19.8", "divides by alpha_bar, not its square root")
def predict_x0_from_eps_no_sqrt(x_t, t, eps, alpha_bar):
    a = alpha_bar[np.asarray(t)]
    return (x_t - _per_example(np.sqrt(1 - a), x_t) * eps) / _per_example(a, x_t)


@mistake("19.8", "float64 coefficients promote float32 data to float64")
def predict_x0_from_eps_promotes(x_t, t, eps, alpha_bar):
    a = alpha_bar[np.asarray(t)].reshape((-1,) + (1,) * (x_t.ndim - 1))
    return (x_t - np.sqrt(1 - a) * eps) / np.sqrt(a)


@mistake("19.9", "sqrt missing on alpha_bar in the signal term")
def predict_eps_from_x0(x_t, t, x0, alpha_bar):
    a = alpha_bar[np.asarray(t)]
    return (x_t - _per_example(a, x_t) * x0) / _per_example(np.sqrt(1 - a), x_t)


@mistake("19.9", "divides by 1 - alpha_bar, not its square root")
def predict_eps_from_x0_variance(x_t, t, x0, alpha_bar):
    a = alpha_bar[np.asarray(t)]
    return (x_t - _per_example(np.sqrt(a), x_t) * x0) / _per_example(1 - a, x_t)


@mistake("19.9", "t off by one: alpha_bar[t - 1]")
def predict_eps_from_x0_off_by_one(x_t, t, x0, alpha_bar):
    a = alpha_bar[np.asarray(t) - 1]
    return (x_t - _per_example(np.sqrt(a), x_t) * x0) / _per_example(np.sqrt(1 - a), x_t)
