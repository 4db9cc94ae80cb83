"""Chapter 21 mistakes: DDPM training and sampling as learners really get them wrong."""

import math

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch19_noise_schedules import posterior_variance, q_sample
from solutions.ch21_ddpm import ddim_step as reference_ddim_step
from solutions.ch21_ddpm import ddim_timesteps
from solutions.ch21_ddpm import ddpm_step as reference_ddpm_step
from solutions.ch21_ddpm import sample_training_batch as reference_batch


@mistake("21.1", "t drawn from 1..T inclusive (1-based): t = T indexes past alpha_bar, t = 0 never trains")
def sample_training_batch(x0, alpha_bar, rng):
    t = rng.integers(1, len(alpha_bar) + 1, size=x0.shape[0])
    noise = rng.standard_normal(x0.shape).astype(x0.dtype)
    return q_sample(x0, t, noise, alpha_bar), t, noise


@mistake("21.1", "t drawn from 1..T-1: the least noisy step t = 0 is never trained")
def sample_training_batch_no_zero(x0, alpha_bar, rng):
    t = rng.integers(1, len(alpha_bar), size=x0.shape[0])
    noise = rng.standard_normal(x0.shape).astype(x0.dtype)
    return q_sample(x0, t, noise, alpha_bar), t, noise


@mistake("21.1", "sqrt missing on alpha_bar: x_t = alpha_bar * x0 + sqrt(1 - alpha_bar) * noise")
def sample_training_batch_no_sqrt(x0, alpha_bar, rng):
    t = rng.integers(0, len(alpha_bar), size=x0.shape[0])
    noise = rng.standard_normal(x0.shape).astype(x0.dtype)
    ab = alpha_bar[t].reshape((-1,) + (1,) * (x0.ndim - 1))
    return ab * x0 + np.sqrt(1 - ab) * noise, t, noise


@mistake("21.1", "(1 - alpha_bar) where sqrt(1 - alpha_bar) belongs")
def sample_training_batch_no_sqrt_noise(x0, alpha_bar, rng):
    t = rng.integers(0, len(alpha_bar), size=x0.shape[0])
    noise = rng.standard_normal(x0.shape).astype(x0.dtype)
    ab = alpha_bar[t].reshape((-1,) + (1,) * (x0.ndim - 1))
    return np.sqrt(ab) * x0 + (1 - ab) * noise, t, noise


@mistake("21.1", "draws the noise before t")
def sample_training_batch_order(x0, alpha_bar, rng):
    noise = rng.standard_normal(x0.shape).astype(x0.dtype)
    t = rng.integers(0, len(alpha_bar), size=x0.shape[0])
    return q_sample(x0, t, noise, alpha_bar), t, noise


@mistake("21.2", "never zeroes the gradients: they pile up across steps")
def train_step(model, optimizer, x0, alpha_bar, rng):
    x_t, t, noise = reference_batch(x0, alpha_bar, rng)
    residual = model.forward(x_t, t) - noise
    model.backward(2.0 * residual / residual.size)
    optimizer.step()
    return float(np.mean(residual ** 2))


@mistake("21.2", "gradient of the mean without the 1 / N")
def train_step_no_mean(model, optimizer, x0, alpha_bar, rng):
    optimizer.zero_grad()
    x_t, t, noise = reference_batch(x0, alpha_bar, rng)
    residual = model.forward(x_t, t) - noise
    model.backward(2.0 * residual)
    optimizer.step()
    return float(np.mean(residual ** 2))


@mistake("21.2", "regresses on x0 instead of the noise")
def train_step_x0_target(model, optimizer, x0, alpha_bar, rng):
    optimizer.zero_grad()
    x_t, t, _ = reference_batch(x0, alpha_bar, rng)
    residual = model.forward(x_t, t) - x0
    model.backward(2.0 * residual / residual.size)
    optimizer.step()
    return float(np.mean(residual ** 2))


@mistake("21.3", "beta where beta_tilde belongs")
def ddpm_step(x_t, t, eps_hat, betas, alpha_bar, z, variance="beta"):
    beta_t, ab_t = float(betas[t]), float(alpha_bar[t])
    mean = (x_t - beta_t / math.sqrt(1 - ab_t) * eps_hat) / math.sqrt(1 - beta_t)
    return mean if t == 0 else mean + math.sqrt(beta_t) * z


@mistake("21.3", "noise added at the last sampling step (t = 0)")
def ddpm_step_noisy_end(x_t, t, eps_hat, betas, alpha_bar, z, variance="beta"):
    beta_t, ab_t = float(betas[t]), float(alpha_bar[t])
    mean = (x_t - beta_t / math.sqrt(1 - ab_t) * eps_hat) / math.sqrt(1 - beta_t)
    var = beta_t if variance == "beta" else float(posterior_variance(betas, alpha_bar)[t])
    return mean + math.sqrt(var) * z


@mistake("21.3", "t off by one: beta[t-1] and alpha_bar[t-1]")
def ddpm_step_off_by_one(x_t, t, eps_hat, betas, alpha_bar, z, variance="beta"):
    return reference_ddpm_step(x_t, t - 1, eps_hat, betas, alpha_bar, z, variance) if t > 0 else \
        reference_ddpm_step(x_t, t, eps_hat, betas, alpha_bar, z, variance)


@mistake("21.3", "(1 - alpha_bar) where sqrt(1 - alpha_bar) belongs in the mean")
def ddpm_step_no_sqrt(x_t, t, eps_hat, betas, alpha_bar, z, variance="beta"):
    beta_t, ab_t = float(betas[t]), float(alpha_bar[t])
    mean = (x_t - beta_t / (1 - ab_t) * eps_hat) / math.sqrt(1 - beta_t)
    var = beta_t if variance == "beta" else float(posterior_variance(betas, alpha_bar)[t])
    return mean if t == 0 else mean + math.sqrt(var) * z


@mistake("21.3", "NumPy float64 scalars: a float32 x_t comes back float64")
def ddpm_step_float64(x_t, t, eps_hat, betas, alpha_bar, z, variance="beta"):
    mean = (x_t - betas[t] / np.sqrt(1 - alpha_bar[t]) * eps_hat) / np.sqrt(1 - betas[t])
    var = betas[t] if variance == "beta" else posterior_variance(betas, alpha_bar)[t]
    return mean if t == 0 else mean + np.sqrt(var) * z


@mistake("21.4", "stops at t = 1: the last denoising step is skipped")
def ddpm_sample(eps_model, shape, betas, rng, variance="beta", dtype=np.float64):
    alpha_bar = np.cumprod(1 - betas)
    x = rng.standard_normal(shape).astype(dtype)
    for t in range(len(betas) - 1, 0, -1):
        z = rng.standard_normal(shape).astype(dtype)
        x = reference_ddpm_step(x, t, eps_model(x, np.full(shape[0], t)), betas, alpha_bar, z, variance)
    return x


@mistake("21.4", "the model is asked about t + 1 (1-based time)")
def ddpm_sample_one_based(eps_model, shape, betas, rng, variance="beta", dtype=np.float64):
    alpha_bar = np.cumprod(1 - betas)
    x = rng.standard_normal(shape).astype(dtype)
    for t in range(len(betas) - 1, -1, -1):
        z = rng.standard_normal(shape).astype(dtype)
        eps_hat = eps_model(x, np.full(shape[0], min(t + 1, len(betas) - 1)))
        x = reference_ddpm_step(x, t, eps_hat, betas, alpha_bar, z, variance)
    return x


@mistake("21.4", "ignores dtype: starts from float64 noise")
def ddpm_sample_float64(eps_model, shape, betas, rng, variance="beta", dtype=np.float64):
    alpha_bar = np.cumprod(1 - betas)
    x = rng.standard_normal(shape)
    for t in range(len(betas) - 1, -1, -1):
        z = rng.standard_normal(shape)
        x = reference_ddpm_step(x, t, eps_model(x, np.full(shape[0], t)), betas, alpha_bar, z, variance)
    return x


@mistake("21.5", "alpha_bar[-1] (the last entry) used for t_prev = -1")
def ddim_step(x_t, t, t_prev, eps_hat, alpha_bar):
    ab_t, ab_prev = float(alpha_bar[t]), float(alpha_bar[t_prev])
    x0_hat = (x_t - math.sqrt(1 - ab_t) * eps_hat) / math.sqrt(ab_t)
    return math.sqrt(ab_prev) * x0_hat + math.sqrt(1 - ab_prev) * eps_hat


@mistake("21.5", "t off by one: alpha_bar[t_prev - 1]")
def ddim_step_off_by_one(x_t, t, t_prev, eps_hat, alpha_bar):
    return reference_ddim_step(x_t, t, t_prev - 1, eps_hat, alpha_bar)


@mistake("21.5", "NumPy float64 scalars: a float32 x_t comes back float64")
def ddim_step_float64(x_t, t, t_prev, eps_hat, alpha_bar):
    ab_prev = alpha_bar[t_prev] if t_prev >= 0 else np.float64(1.0)
    x0_hat = (x_t - np.sqrt(1 - alpha_bar[t]) * eps_hat) / np.sqrt(alpha_bar[t])
    return np.sqrt(ab_prev) * x0_hat + np.sqrt(1 - ab_prev) * eps_hat


@mistake("21.6", "DDIM that re-injects noise at every step")
def ddim_sample(eps_model, shape, alpha_bar, n_steps, rng, dtype=np.float64):
    steps = ddim_timesteps(len(alpha_bar), n_steps)
    x = rng.standard_normal(shape).astype(dtype)
    for t, t_prev in zip(steps, list(steps[1:]) + [-1]):
        x = reference_ddim_step(x, int(t), int(t_prev), eps_model(x, np.full(shape[0], t)), alpha_bar)
        x = x + 0.05 * rng.standard_normal(shape).astype(dtype)
    return x


@mistake("21.6", "stops at the last timestep of the sub-sequence instead of going on to the data")
def ddim_sample_no_final(eps_model, shape, alpha_bar, n_steps, rng, dtype=np.float64):
    steps = ddim_timesteps(len(alpha_bar), n_steps)
    x = rng.standard_normal(shape).astype(dtype)
    for t, t_prev in zip(steps[:-1], steps[1:]):
        x = reference_ddim_step(x, int(t), int(t_prev), eps_model(x, np.full(shape[0], t)), alpha_bar)
    return x


@mistake("21.6", "its own sub-sequence: every (T // n_steps)-th step from T - 1, missing t = 0")
def ddim_sample_own_steps(eps_model, shape, alpha_bar, n_steps, rng, dtype=np.float64):
    T = len(alpha_bar)
    steps = np.arange(T - 1, -1, -(T // n_steps))[:n_steps]
    x = rng.standard_normal(shape).astype(dtype)
    for t, t_prev in zip(steps, list(steps[1:]) + [-1]):
        x = reference_ddim_step(x, int(t), int(t_prev), eps_model(x, np.full(shape[0], t)), alpha_bar)
    return x


# --- adversarial review (chapters 18-21) ---
@mistake("21.1", "one noise image shared by the whole batch (drawn with shape x0.shape[1:])")
def sample_training_batch_shared_noise(x0, alpha_bar, rng):
    t = rng.integers(0, len(alpha_bar), size=x0.shape[0])
    noise = np.broadcast_to(rng.standard_normal(x0.shape[1:]), x0.shape).astype(x0.dtype)
    return q_sample(x0, t, noise, alpha_bar), t, noise


@mistake("21.1", "t drawn from 0..T-2: rng.integers(0, T - 1) excludes the noisiest step")
def sample_training_batch_no_last(x0, alpha_bar, rng):
    t = rng.integers(0, len(alpha_bar) - 1, size=x0.shape[0])
    noise = rng.standard_normal(x0.shape).astype(x0.dtype)
    return q_sample(x0, t, noise, alpha_bar), t, noise


@mistake("21.1", "one t for the whole batch")
def sample_training_batch_one_t(x0, alpha_bar, rng):
    t = np.full(x0.shape[0], rng.integers(0, len(alpha_bar)))
    noise = rng.standard_normal(x0.shape).astype(x0.dtype)
    return q_sample(x0, t, noise, alpha_bar), t, noise


@mistake("21.2", "loss averaged per example (sum over each example's entries, mean over the batch)")
def train_step_per_example(model, optimizer, x0, alpha_bar, rng):
    optimizer.zero_grad()
    x_t, t, noise = reference_batch(x0, alpha_bar, rng)
    residual = model.forward(x_t, t) - noise
    model.backward(2.0 * residual / residual.shape[0])
    optimizer.step()
    return float(np.mean(np.sum(residual.reshape(len(residual), -1) ** 2, axis=1)))


@mistake("21.2", "returns the loss after the update (a second forward pass)")
def train_step_loss_after(model, optimizer, x0, alpha_bar, rng):
    optimizer.zero_grad()
    x_t, t, noise = reference_batch(x0, alpha_bar, rng)
    residual = model.forward(x_t, t) - noise
    model.backward(2.0 * residual / residual.size)
    optimizer.step()
    return float(np.mean((model.forward(x_t, t) - noise) ** 2))


@mistake("21.2", "gradient without the factor 2: residual / N")
def train_step_no_two(model, optimizer, x0, alpha_bar, rng):
    optimizer.zero_grad()
    x_t, t, noise = reference_batch(x0, alpha_bar, rng)
    residual = model.forward(x_t, t) - noise
    model.backward(residual / residual.size)
    optimizer.step()
    return float(np.mean(residual ** 2))


@mistake("21.3", "sqrt(alpha_bar[t]) in the mean's denominator instead of sqrt(alpha[t])")
def ddpm_step_alpha_bar_denominator(x_t, t, eps_hat, betas, alpha_bar, z, variance="beta"):
    beta_t, ab_t = float(betas[t]), float(alpha_bar[t])
    mean = (x_t - beta_t / math.sqrt(1 - ab_t) * eps_hat) / math.sqrt(ab_t)
    var = beta_t if variance == "beta" else float(posterior_variance(betas, alpha_bar)[t])
    return mean if t == 0 else mean + math.sqrt(var) * z


@mistake("21.3", "noise scaled by the variance, not the standard deviation")
def ddpm_step_var_not_std(x_t, t, eps_hat, betas, alpha_bar, z, variance="beta"):
    beta_t, ab_t = float(betas[t]), float(alpha_bar[t])
    mean = (x_t - beta_t / math.sqrt(1 - ab_t) * eps_hat) / math.sqrt(1 - beta_t)
    var = beta_t if variance == "beta" else float(posterior_variance(betas, alpha_bar)[t])
    return mean if t == 0 else mean + var * z


@mistake("21.4", "the variance argument is not passed on: every step uses beta")
def ddpm_sample_ignores_variance(eps_model, shape, betas, rng, variance="beta", dtype=np.float64):
    alpha_bar = np.cumprod(1 - betas)
    x = rng.standard_normal(shape).astype(dtype)
    for t in range(len(betas) - 1, -1, -1):
        eps_hat = eps_model(x, np.full(shape[0], t))
        z = rng.standard_normal(shape).astype(dtype)
        x = reference_ddpm_step(x, t, eps_hat, betas, alpha_bar, z)
    return x


@mistake("21.4", "z drawn with shape[1:]: one noise vector shared by the whole batch at each step")
def ddpm_sample_shared_z(eps_model, shape, betas, rng, variance="beta", dtype=np.float64):
    alpha_bar = np.cumprod(1 - betas)
    x = rng.standard_normal(shape).astype(dtype)
    for t in range(len(betas) - 1, -1, -1):
        eps_hat = eps_model(x, np.full(shape[0], t))
        z = np.broadcast_to(rng.standard_normal(shape[1:]), shape).astype(dtype)
        x = reference_ddpm_step(x, t, eps_hat, betas, alpha_bar, z, variance)
    return x


@mistake("21.4", "z drawn before the model is called and the start x drawn last: the draws come in another order")
def ddpm_sample_draw_order(eps_model, shape, betas, rng, variance="beta", dtype=np.float64):
    alpha_bar = np.cumprod(1 - betas)
    zs = [rng.standard_normal(shape).astype(dtype) for _ in betas]
    x = rng.standard_normal(shape).astype(dtype)
    for t in range(len(betas) - 1, -1, -1):
        x = reference_ddpm_step(x, t, eps_model(x, np.full(shape[0], t)), betas, alpha_bar, zs[t], variance)
    return x


@mistake("21.5", "x0_hat skipped: x_s = sqrt(ab_prev / ab_t) * x_t (eps term dropped)")
def ddim_step_no_eps(x_t, t, t_prev, eps_hat, alpha_bar):
    ab_t = float(alpha_bar[t])
    ab_prev = float(alpha_bar[t_prev]) if t_prev >= 0 else 1.0
    return math.sqrt(ab_prev / ab_t) * x_t


@mistake("21.5", "the eps term uses sqrt(1 - alpha_bar[t]) (the current step) instead of step t_prev's")
def ddim_step_eps_coef_t(x_t, t, t_prev, eps_hat, alpha_bar):
    ab_t = float(alpha_bar[t])
    ab_prev = float(alpha_bar[t_prev]) if t_prev >= 0 else 1.0
    x0_hat = (x_t - math.sqrt(1 - ab_t) * eps_hat) / math.sqrt(ab_t)
    return math.sqrt(ab_prev) * x0_hat + math.sqrt(1 - ab_t) * eps_hat


@mistake("21.6", "the last step goes to t_prev = 0 instead of -1 (stops at alpha_bar[0], not the data)")
def ddim_sample_ends_at_zero(eps_model, shape, alpha_bar, n_steps, rng, dtype=np.float64):
    steps = ddim_timesteps(len(alpha_bar), n_steps)
    x = rng.standard_normal(shape).astype(dtype)
    for t, t_prev in zip(steps, list(steps[1:]) + [0]):
        if t == t_prev:
            continue
        x = reference_ddim_step(x, int(t), int(t_prev), eps_model(x, np.full(shape[0], t)), alpha_bar)
    return x


@mistake("21.6", "sub-sequence by floor (astype(int)) instead of rounding: 19 -> 12 -> 6 -> 0")
def ddim_sample_floor_steps(eps_model, shape, alpha_bar, n_steps, rng, dtype=np.float64):
    steps = np.linspace(len(alpha_bar) - 1, 0, n_steps).astype(np.int64)
    x = rng.standard_normal(shape).astype(dtype)
    for t, t_prev in zip(steps, list(steps[1:]) + [-1]):
        x = reference_ddim_step(x, int(t), int(t_prev), eps_model(x, np.full(shape[0], t)), alpha_bar)
    return x


@mistake("21.6", "sub-sequence from linspace(T, 0, n_steps + 1)[1:]: never starts at t = T-1")
def ddim_sample_skips_top(eps_model, shape, alpha_bar, n_steps, rng, dtype=np.float64):
    T = len(alpha_bar)
    steps = np.round(np.linspace(T, 0, n_steps + 1)[1:]).astype(np.int64)
    x = rng.standard_normal(shape).astype(dtype)
    for t, t_prev in zip(steps, list(steps[1:]) + [-1]):
        x = reference_ddim_step(x, int(t), int(t_prev), eps_model(x, np.full(shape[0], t)), alpha_bar)
    return x


@mistake("21.6", "walks the sub-sequence upwards (0 -> T-1), starting from the cleanest step")
def ddim_sample_ascending(eps_model, shape, alpha_bar, n_steps, rng, dtype=np.float64):
    steps = ddim_timesteps(len(alpha_bar), n_steps)[::-1]
    x = rng.standard_normal(shape).astype(dtype)
    for t, t_prev in zip(steps, list(steps[1:]) + [-1]):
        x = reference_ddim_step(x, int(t), int(t_prev), eps_model(x, np.full(shape[0], t)), alpha_bar)
    return x


@mistake("21.2", "the residual's sign flipped in the gradient (2 * (noise - eps_hat) / N): gradient ascent")
def train_step_sign(model, optimizer, x0, alpha_bar, rng):
    optimizer.zero_grad()
    x_t, t, noise = reference_batch(x0, alpha_bar, rng)
    residual = model.forward(x_t, t) - noise
    model.backward(-2.0 * residual / residual.size)
    optimizer.step()
    return float(np.mean(residual ** 2))


@mistake("21.5", "t_prev > 0 instead of >= 0: a step to t_prev = 0 is taken all the way to the data")
def ddim_step_prev_zero_is_data(x_t, t, t_prev, eps_hat, alpha_bar):
    ab_t = float(alpha_bar[t])
    ab_prev = float(alpha_bar[t_prev]) if t_prev > 0 else 1.0
    x0_hat = (x_t - math.sqrt(1 - ab_t) * eps_hat) / math.sqrt(ab_t)
    return math.sqrt(ab_prev) * x0_hat + math.sqrt(1 - ab_prev) * eps_hat
