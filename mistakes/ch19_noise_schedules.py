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


# --- adversarial review (chapters 18-21) ---
@mistake("19.1", "drops beta_start: linspace over T + 1 points, first one removed")
def linear_betas_drop_start(T, beta_start=1e-4, beta_end=0.02):
    return np.linspace(beta_start, beta_end, T + 1)[1:]


@mistake("19.1", "betas in float32")
def linear_betas_float32(T, beta_start=1e-4, beta_end=0.02):
    return np.linspace(beta_start, beta_end, T).astype(np.float32)


@mistake("19.2", "grid u = t / (T - 1): the continuous time runs past 1")
def cosine_betas_grid_t_minus_one(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1) / max(T - 1, 1)
    f = np.cos((u + s) / (1 + s) * np.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[:-1], max_beta)


@mistake("19.2", "max_beta ignored: always clipped at 0.999")
def cosine_betas_fixed_clip(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1) / T
    f = np.cos((u + s) / (1 + s) * np.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[:-1], 0.999)


@mistake("19.2", "betas = 1 - alpha_bar(t + 1) (the product, not the ratio of consecutive values)")
def cosine_betas_not_ratio(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1) / T
    f = np.cos((u + s) / (1 + s) * np.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[0], max_beta)


@mistake("19.2", "s added outside the division: (u / (1 + s) + s)")
def cosine_betas_s_outside(T, s=0.008, max_beta=0.999):
    u = np.arange(T + 1) / T
    f = np.cos((u / (1 + s) + s) * np.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[:-1], max_beta)


@mistake("19.3", "np.roll for the running product: alpha_bar shifted by one, last entry wrapped to the front")
def alphas_from_betas_rolled(betas):
    alpha = 1.0 - np.asarray(betas, dtype=float)
    return alpha, np.roll(np.cumprod(alpha), 1)


@mistake("19.3", "alpha_bar as the total product (a scalar) instead of the running product")
def alphas_from_betas_total(betas):
    alpha = 1.0 - np.asarray(betas, dtype=float)
    return alpha, np.full_like(alpha, np.prod(alpha))


@mistake("19.4", "log-SNR returned instead of the SNR")
def snr_log(alpha_bar):
    return np.log(alpha_bar / (1.0 - alpha_bar))


@mistake("19.5", "uses t[0] for the whole batch")
def q_sample_first_t(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t)[0]]
    return (np.sqrt(a) * x0 + np.sqrt(1 - a) * noise).astype(x0.dtype)


@mistake("19.5", "t broadcast over the trailing axes by alpha_bar[t][:, None, None, None]: right only for images")
def q_sample_images_only(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t)][:, None, None, None].astype(x0.dtype)
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise


@mistake("19.6", "alpha_bar_prev made with np.roll: alpha_bar_prev[0] = alpha_bar[T-1], not 1")
def posterior_mean_coefs_roll(betas, alpha_bar):
    prev = np.roll(alpha_bar, 1)
    return np.sqrt(prev) * betas / (1 - alpha_bar), np.sqrt(1 - betas) * (1 - prev) / (1 - alpha_bar)


@mistake("19.6", "coef_x0 uses sqrt(alpha_bar) (step t) instead of sqrt(alpha_bar_prev)")
def posterior_mean_coefs_ab_t(betas, alpha_bar):
    prev = np.concatenate([[1.0], alpha_bar[:-1]])
    return np.sqrt(alpha_bar) * betas / (1 - alpha_bar), np.sqrt(1 - betas) * (1 - prev) / (1 - alpha_bar)


@mistake("19.7", "alpha_bar_prev made with np.roll: beta_tilde[0] is not 0")
def posterior_variance_roll(betas, alpha_bar):
    return betas * (1 - np.roll(alpha_bar, 1)) / (1 - alpha_bar)


@mistake("19.7", "beta_tilde[0] replaced by beta_tilde[1] (the 'clipped' log-variance trick)")
def posterior_variance_clipped(betas, alpha_bar):
    prev = np.concatenate([[1.0], alpha_bar[:-1]])
    beta_tilde = betas * (1 - prev) / (1 - alpha_bar)
    beta_tilde[0] = beta_tilde[1]
    return beta_tilde


@mistake("19.8", "alpha_bar[t][:, None]: broadcasts right only for 2-D x_t")
def predict_x0_from_eps_2d_only(x_t, t, eps, alpha_bar):
    a = alpha_bar[np.asarray(t)][:, None].astype(x_t.dtype)
    return (x_t - np.sqrt(1 - a) * eps) / np.sqrt(a)


@mistake("19.8", "square roots swapped: (x_t - sqrt(alpha_bar) eps) / sqrt(1 - alpha_bar)")
def predict_x0_from_eps_swapped(x_t, t, eps, alpha_bar):
    a = _per_example(alpha_bar[np.asarray(t)], x_t)
    return (x_t - np.sqrt(a) * eps) / np.sqrt(1 - a)


@mistake("19.9", "uses t[0] for the whole batch")
def predict_eps_from_x0_first_t(x_t, t, x0, alpha_bar):
    a = alpha_bar[np.asarray(t)[0]]
    return ((x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)).astype(x_t.dtype)


@mistake("19.9", "float64 coefficients promote float32 data to float64")
def predict_eps_from_x0_promotes(x_t, t, x0, alpha_bar):
    a = alpha_bar[np.asarray(t)].reshape((-1,) + (1,) * (x_t.ndim - 1))
    return (x_t - np.sqrt(a) * x0) / np.sqrt(1 - a)


@mistake("19.2", "grid shifted by one: u = (t + 1) / T for t = 0..T (runs past u = 1)")
def cosine_betas_shifted_grid(T, s=0.008, max_beta=0.999):
    u = (np.arange(T + 1) + 1) / T
    f = np.cos((u + s) / (1 + s) * np.pi / 2) ** 2
    return np.minimum(1 - f[1:] / f[:-1], max_beta)


@mistake("19.5", "t taken as a scalar: np.sqrt(alpha_bar[t]) * x0 broadcasts t over the LAST axis")
def q_sample_last_axis(x0, t, noise, alpha_bar):
    a = alpha_bar[np.asarray(t)].astype(x0.dtype)
    return np.sqrt(a) * x0 + np.sqrt(1 - a) * noise


@mistake("19.1", "no check on T: linear_betas(0) returns an empty schedule")
def linear_betas_unchecked(T, beta_start=1e-4, beta_end=0.02):
    return np.linspace(beta_start, beta_end, T)
