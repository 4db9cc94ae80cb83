"""Graded tests for chapter 21 (DDPM training, ancestral sampling, DDIM).

The oracles are written out here, independently of chapter 19: the schedule is
alpha_bar = cumprod(1 - betas) with 0-based t. The samplers are driven by EXACT noise predictors:
for data N(mu_k, sigma_k^2) mixed with weights pi_k, x_t given component k is
N(sqrt(ab) mu_k, v_k = ab sigma_k^2 + 1 - ab), and

    E[eps | x_t] = sqrt(1 - ab) * sum_k w_k(x_t) (x_t - sqrt(ab) mu_k) / v_k,
    w_k(x_t) = pi_k N(x_t; sqrt(ab) mu_k, v_k) / sum_j (same),

one component being the Gaussian case and sigma = 0 a point mass. Statistical bands are 4.5
standard errors of the sample mean / variance / weight over N draws (a correct sampler fails
them with probability below 1e-4; T = 1000 keeps the discretisation bias under 1.5 s.e.).
"""

import numpy as np
import pytest

T = 1000
BETAS = np.linspace(1e-4, 0.02, T)
ALPHA_BAR = np.cumprod(1.0 - BETAS)


def mixture_oracle(mus, sigmas, weights, alpha_bar):
    mus, sigmas, weights = (np.asarray(a, dtype=float) for a in (mus, sigmas, weights))

    def eps_model(x, t):                                   # x: (B, 1), t: (B,)
        ab = alpha_bar[np.asarray(t)][:, None]             # (B, 1)
        m, v = np.sqrt(ab) * mus, ab * sigmas ** 2 + 1.0 - ab  # (B, K)
        log_w = np.log(weights) - 0.5 * np.log(v) - 0.5 * (x - m) ** 2 / v
        w = np.exp(log_w - log_w.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        return (np.sqrt(1.0 - ab) * np.sum(w * (x - m) / v, axis=1, keepdims=True)).astype(x.dtype)
    return eps_model


def point_mass_oracle(point, alpha_bar):
    def eps_model(x, t):                                   # x: (B, D)
        ab = alpha_bar[np.asarray(t)][:, None]
        return ((x - np.sqrt(ab) * point) / np.sqrt(1.0 - ab)).astype(x.dtype)
    return eps_model


def random_schedule(rng, n=12):
    betas = np.sort(rng.uniform(0.01, 0.3, size=n))        # uneven: an index off by one shows
    return betas, np.cumprod(1.0 - betas)


def check_moments(check, x, mus, sigmas, weights, what):
    mus, sigmas, weights = (np.asarray(a, dtype=float) for a in (mus, sigmas, weights))
    x = check.array(x, what).ravel()
    N = x.size
    mean = np.dot(weights, mus)
    var = np.dot(weights, sigmas ** 2 + mus ** 2) - mean ** 2
    z_mean = (x.mean() - mean) / np.sqrt(var / N)
    check.true(abs(z_mean) < 4.5, f"{what}: the sample mean {x.mean():.4f} is {z_mean:.1f} standard "
               f"errors from the data's mean {mean:.4f} (band: 4.5)")
    z_var = (x.var() - var) / (var * np.sqrt(2.0 / N))
    check.true(abs(z_var) < 4.5, f"{what}: the sample variance {x.var():.4f} is {z_var:.1f} standard "
               f"errors from the data's variance {var:.4f} (band: 4.5)",
               "too large: noise added where it should not be (or beta where beta_tilde belongs); "
               "too small: a step or its noise is missing")
    if len(weights) > 1:
        share = np.mean(x > 0)
        z_share = (share - weights[-1]) / np.sqrt(weights[-1] * (1 - weights[-1]) / N)
        check.true(abs(z_share) < 4.5, f"{what}: {share:.3f} of the samples are in the right-hand "
                   f"mode, the data has {weights[-1]:.3f} ({z_share:.1f} standard errors; band 4.5)")


# ---------------------------------------------------------------- 21.1 sample_training_batch
@pytest.mark.exercise("21.1")
def test_training_batch_is_q_sample_of_its_own_t_and_noise(kata, check, rng):
    betas, alpha_bar = random_schedule(rng)
    x0 = rng.normal(size=(6, 3))
    x_t, t, noise = kata.sample_training_batch(x0, alpha_bar, rng)
    check.shape(noise, (6, 3), "noise from sample_training_batch(x0: (6, 3), ...)")
    check.shape(t, (6,), "t from sample_training_batch(x0: (6, 3), ...)")
    t = np.asarray(t)
    ab = alpha_bar[t][:, None]
    check.close(x_t, np.sqrt(ab) * x0 + np.sqrt(1.0 - ab) * np.asarray(noise),
                "x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * noise, with the t and noise returned",
                suspects={"alpha_bar is used without its square root":
                          ab * x0 + np.sqrt(1.0 - ab) * np.asarray(noise),
                          "(1 - alpha_bar) is used where sqrt(1 - alpha_bar) belongs":
                          np.sqrt(ab) * x0 + (1.0 - ab) * np.asarray(noise)})


@pytest.mark.exercise("21.1")
def test_training_timesteps_cover_0_to_T_minus_1_uniformly(kata, check, rng):
    n_t, B = 8, 16000
    alpha_bar = np.cumprod(1.0 - np.linspace(0.05, 0.4, n_t))
    try:
        _, t, _ = kata.sample_training_batch(np.zeros((B, 1)), alpha_bar, rng)
    except IndexError as err:
        check.fail(f"sample_training_batch indexed alpha_bar out of range ({err})",
                   "t runs over 0 .. T-1 (T = len(alpha_bar)); rng.integers(0, T) never returns T")
    t = np.asarray(t)
    check.true(np.issubdtype(t.dtype, np.integer), f"t should be integers, got dtype {t.dtype}")
    counts = np.bincount(t, minlength=n_t)
    check.true(t.min() == 0 and t.max() == n_t - 1 and len(counts) == n_t,
               f"t must take every value 0 .. {n_t - 1} (T = {n_t}); it ran from {t.min()} to {t.max()}",
               "timesteps are 0-based: rng.integers(0, T, size=B)")
    expected = B / n_t
    worst = np.abs(counts - expected).max() / np.sqrt(expected)
    check.true(worst < 4.5, f"t is not uniform over 0 .. {n_t - 1}: counts {counts.tolist()} "
               f"(expected about {expected:.0f} each)")


@pytest.mark.exercise("21.1")
def test_training_batch_draws_t_then_noise_and_keeps_float32(kata, check, rng):
    alpha_bar = np.cumprod(1.0 - np.linspace(0.05, 0.3, 10))
    x0 = rng.normal(size=(5, 2, 2)).astype(np.float32)
    x_t, t, noise = kata.sample_training_batch(x0, alpha_bar, np.random.default_rng(7))
    replay = np.random.default_rng(7)
    check.close(t, replay.integers(0, 10, size=5), "t: the first draw, rng.integers(0, T, size=B)")
    check.close(noise, replay.standard_normal((5, 2, 2)), "noise: the second draw, "
                "rng.standard_normal(x0.shape)", rtol=1e-6, atol=1e-6)
    for name, value in (("x_t", x_t), ("noise", noise)):
        check.true(np.asarray(value).dtype == np.float32,
                   f"{name} should keep x0's dtype float32, got {np.asarray(value).dtype}")


# ---------------------------------------------------------------- 21.2 train_step
def silu(z):
    return z / (1.0 + np.exp(-z))


def sinusoid(t, dim):
    freqs = np.exp(-np.log(10000.0) * np.arange(dim // 2) / (dim // 2))
    return np.concatenate([np.sin(t[:, None] * freqs), np.cos(t[:, None] * freqs)], axis=1)


def denoiser_params(model):
    """{"W1": ..., "b1": ..., "W2": ...}: the Dense layers of MLPDenoiser.layers, in order."""
    dense = [layer for i, layer in enumerate(model.layers) if i % 2 == 0]
    return {f"{p}{k + 1}": np.array(getattr(layer, p).data) for k, layer in enumerate(dense) for p in ("W", "b")}


def denoiser_loss(params, x0, alpha_bar, seed, emb_dim=4):
    """The loss of one train_step, from the documented draws, for MLPDenoiser's parameters."""
    replay = np.random.default_rng(seed)
    t = replay.integers(0, len(alpha_bar), size=x0.shape[0])
    noise = replay.standard_normal(x0.shape)
    ab = alpha_bar[t][:, None]
    h = np.concatenate([np.sqrt(ab) * x0 + np.sqrt(1.0 - ab) * noise, sinusoid(t, emb_dim)], axis=1)
    n_dense = len(params) // 2
    for k in range(1, n_dense):
        h = silu(h @ params[f"W{k}"] + params[f"b{k}"])
    return np.mean((h @ params[f"W{n_dense}"] + params[f"b{n_dense}"] - noise) ** 2)


def check_sgd_step(check, before, after, lr, x0, alpha_bar, seed, what):
    """(before - after) / lr must be the numerical gradient of the documented loss."""
    analytic = {name: (before[name] - after[name]) / lr for name in before}
    check.gradients(lambda **p: denoiser_loss(p, x0, alpha_bar, seed), before, analytic,
                    np.array(1.0), what)


@pytest.mark.exercise("21.2")
def test_train_step_returns_the_loss_and_takes_one_sgd_step(kata, check, rng):
    betas, alpha_bar = random_schedule(rng)
    x0 = rng.normal(size=(5, 2))
    model = kata.MLPDenoiser(2, 6, np.random.default_rng(3), emb_dim=4, hidden_layers=2)
    before = denoiser_params(model)
    loss = kata.train_step(model, kata.SGD(model.parameters(), lr=0.1), x0, alpha_bar,
                           np.random.default_rng(11))
    check.true(isinstance(loss, float), f"train_step returned {type(loss).__name__}, expected a float")
    check.close(loss, denoiser_loss(before, x0, alpha_bar, 11),
                "the loss train_step returns: mean((eps_model(x_t, t) - noise)^2), before the update")
    check_sgd_step(check, before, denoiser_params(model), 0.1, x0, alpha_bar, 11,
                   "one train_step with SGD(lr=0.1): (W_before - W_after) / lr vs d loss / dW")


@pytest.mark.exercise("21.2")
def test_train_step_zeroes_gradients_first(kata, check, rng):
    betas, alpha_bar = random_schedule(rng)
    x0 = rng.normal(size=(4, 2))
    model = kata.MLPDenoiser(2, 5, np.random.default_rng(4), emb_dim=4, hidden_layers=3)
    optimizer = kata.SGD(model.parameters(), lr=0.05)
    kata.train_step(model, optimizer, x0, alpha_bar, np.random.default_rng(1))
    middle = denoiser_params(model)
    kata.train_step(model, optimizer, x0, alpha_bar, np.random.default_rng(2))
    check_sgd_step(check, middle, denoiser_params(model), 0.05, x0, alpha_bar, 2,
                   "the SECOND train_step (gradients must be zeroed before each backward)")


@pytest.mark.exercise("21.2")
def test_a_few_train_steps_lower_the_unet_loss(kata, check, rng):
    alpha_bar = np.cumprod(1.0 - np.linspace(0.02, 0.3, 20))
    x0 = np.zeros((4, 1, 4, 4))
    x0[:, :, 1:3, 1:3] = 1.0                                 # one tiny square, four times
    net = kata.UNet(1, 4, np.random.default_rng(0), channel_mults=(1, 2), groups=2)
    fixed = np.random.default_rng(5)                         # a fixed evaluation batch
    t_eval = fixed.integers(0, 20, size=16)
    noise_eval = fixed.standard_normal((16, 1, 4, 4))
    ab = alpha_bar[t_eval][:, None, None, None]
    x_eval = np.sqrt(ab) * np.repeat(x0, 4, axis=0) + np.sqrt(1 - ab) * noise_eval

    def eval_loss():
        return float(np.mean((check.array(net.forward(x_eval, t_eval), "UNet.forward") - noise_eval) ** 2))

    start = eval_loss()
    optimizer = kata.Adam(net.parameters(), lr=0.01)
    for _ in range(12):
        kata.train_step(net, optimizer, x0, alpha_bar, rng)
    end = eval_loss()
    check.true(end < 0.8 * start, f"12 train_steps (Adam, lr 0.01) on a tiny U-Net moved the loss "
               f"on a fixed batch from {start:.4f} to {end:.4f}; expected a drop of at least 20%",
               "is the gradient 2 * (eps_hat - noise) / N, and is it passed to model.backward?")


# ---------------------------------------------------------------- 21.3 ddpm_step
def step_oracle(x, t, eps, betas, alpha_bar, z, variance):
    mean = (x - betas[t] / np.sqrt(1.0 - alpha_bar[t]) * eps) / np.sqrt(1.0 - betas[t])
    if t == 0:
        return mean
    beta_tilde = betas[t] * (1.0 - alpha_bar[t - 1]) / (1.0 - alpha_bar[t])
    return mean + np.sqrt(betas[t] if variance == "beta" else beta_tilde) * z


@pytest.mark.exercise("21.3")
def test_ddpm_step_with_variance_beta(kata, check, rng):
    betas, alpha_bar = random_schedule(rng)
    x, eps, z = rng.normal(size=(3, 4, 2))
    for t in (5, 11):
        check.close(kata.ddpm_step(x, t, eps, betas, alpha_bar, z, variance="beta"),
                    step_oracle(x, t, eps, betas, alpha_bar, z, "beta"),
                    f"ddpm_step at t = {t} (variance = beta)",
                    suspects={"beta[t-1] and alpha_bar[t-1] are used (t off by one)":
                              step_oracle(x, t - 1, eps, betas, alpha_bar, z, "beta"),
                              "beta_tilde is used where beta was asked for":
                              step_oracle(x, t, eps, betas, alpha_bar, z, "beta_tilde")})


@pytest.mark.exercise("21.3")
def test_ddpm_step_with_variance_beta_tilde(kata, check, rng):
    betas, alpha_bar = random_schedule(rng)
    x, eps, z = rng.normal(size=(3, 2, 3))
    for t in (1, 7):
        check.close(kata.ddpm_step(x, t, eps, betas, alpha_bar, z, variance="beta_tilde"),
                    step_oracle(x, t, eps, betas, alpha_bar, z, "beta_tilde"),
                    f"ddpm_step at t = {t} (variance = beta_tilde "
                    "= beta[t] * (1 - alpha_bar[t-1]) / (1 - alpha_bar[t]))",
                    suspects={"beta is used where beta_tilde belongs":
                              step_oracle(x, t, eps, betas, alpha_bar, z, "beta")})


@pytest.mark.exercise("21.3")
def test_ddpm_last_step_adds_no_noise(kata, check, rng):
    betas, alpha_bar = random_schedule(rng)
    x, eps, z = rng.normal(size=(3, 5))
    mean = step_oracle(x, 0, eps, betas, alpha_bar, z, "beta")
    for variance in ("beta", "beta_tilde"):
        check.close(kata.ddpm_step(x, 0, eps, betas, alpha_bar, z, variance=variance), mean,
                    f"ddpm_step at t = 0 (variance = {variance}): the final sample is the mean",
                    suspects={"noise is added at the last step":
                              mean + np.sqrt(betas[0]) * z})


@pytest.mark.exercise("21.3")
def test_ddpm_step_keeps_float32(kata, check, rng):
    betas, alpha_bar = random_schedule(rng)
    x, eps, z = rng.normal(size=(3, 2, 4)).astype(np.float32)
    for t in (0, 6):
        out = np.asarray(kata.ddpm_step(x, t, eps, betas, alpha_bar, z))
        check.true(out.dtype == np.float32, f"ddpm_step on float32 inputs returned {out.dtype} at t = {t}",
                   "scale by Python floats (float(betas[t]), math.sqrt), not float64 NumPy scalars such as np.sqrt(betas[t])")
        check.close(out, step_oracle(x.astype(float), t, eps, betas, alpha_bar, z, "beta"),
                    f"ddpm_step in float32 at t = {t}", rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- 21.4 ddpm_sample
@pytest.mark.exercise("21.4")
def test_ddpm_sample_reproduces_a_gaussian(kata, check, rng):
    x = kata.ddpm_sample(mixture_oracle([1.5], [0.7], [1.0], ALPHA_BAR), (2000, 1), BETAS, rng)
    check.shape(x, (2000, 1), "ddpm_sample(eps_model, (2000, 1), ...)")
    check_moments(check, x, [1.5], [0.7], [1.0], "ddpm_sample with the exact eps of N(1.5, 0.7^2)")


@pytest.mark.exercise("21.4")
def test_ddpm_sample_reproduces_a_two_component_mixture(kata, check, rng):
    mus, sigmas, weights = [-2.0, 2.0], [0.5, 0.5], [0.3, 0.7]
    x = kata.ddpm_sample(mixture_oracle(mus, sigmas, weights, ALPHA_BAR), (2000, 1), BETAS, rng,
                         variance="beta_tilde")
    check_moments(check, x, mus, sigmas, weights,
                  "ddpm_sample (beta_tilde) with the exact eps of 0.3 N(-2, 0.5^2) + 0.7 N(2, 0.5^2)")


@pytest.mark.exercise("21.4")
def test_ddpm_sample_of_a_point_mass_ends_on_the_point(kata, check, rng):
    # At t = 0, beta[0] / (1 - alpha_bar[0]) = 1: the exact last step lands on the point itself.
    point = np.array([0.5, -1.0, 2.0])
    x = kata.ddpm_sample(point_mass_oracle(point, ALPHA_BAR), (4, 3), BETAS, rng)
    check.close(x, np.tile(point, (4, 1)), "ddpm_sample with the exact eps of a point mass at "
                "[0.5, -1, 2] (the final step, t = 0, adds no noise)", rtol=1e-7, atol=1e-7)


def ddpm_replay(eps_model, shape, betas, alpha_bar, seed, variance):
    """Algorithm 2 with the documented draws: x first, then one z per step, after eps_model."""
    replay = np.random.default_rng(seed)
    x = replay.standard_normal(shape)
    for t in range(len(betas) - 1, -1, -1):
        eps = eps_model(x, np.full(shape[0], t))
        x = step_oracle(x, t, eps, betas, alpha_bar, replay.standard_normal(shape), variance)
    return x


@pytest.mark.exercise("21.4")
def test_ddpm_sample_follows_its_documented_draws(kata, check, rng):
    betas, alpha_bar = random_schedule(rng)                 # T = 12, large uneven betas
    eps_model = mixture_oracle([0.5, -1.0], [0.3, 0.6], [0.4, 0.6], alpha_bar)
    runs = {v: ddpm_replay(eps_model, (5, 1), betas, alpha_bar, 4, v) for v in ("beta", "beta_tilde")}
    for variance, other in (("beta", "beta_tilde"), ("beta_tilde", "beta")):
        out = kata.ddpm_sample(eps_model, (5, 1), betas, np.random.default_rng(4), variance=variance)
        check.close(out, runs[variance], f"ddpm_sample(..., variance={variance!r}) with T = 12 vs replaying "
                    "its documented draws (x = rng.standard_normal(shape); then for t = T-1 .. 0: "
                    "eps_model(x, t), z = rng.standard_normal(shape), ddpm_step)",
                    suspects={f"the variance argument does not reach ddpm_step ({other} is used)": runs[other]})


@pytest.mark.exercise("21.4")
def test_ddpm_sample_keeps_float32(kata, check, rng):
    betas = np.linspace(1e-3, 0.2, 30)
    x = np.asarray(kata.ddpm_sample(point_mass_oracle(np.array([1.0, 2.0]), np.cumprod(1 - betas)),
                                    (3, 2), betas, rng, dtype=np.float32))
    check.true(x.dtype == np.float32, f"ddpm_sample(..., dtype=np.float32) returned {x.dtype}")
    check.close(x, np.tile([1.0, 2.0], (3, 1)), "ddpm_sample in float32 (point mass at [1, 2])",
                rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------- 21.5 ddim_step
def ddim_oracle(x, t, t_prev, eps, alpha_bar):
    x0_hat = (x - np.sqrt(1.0 - alpha_bar[t]) * eps) / np.sqrt(alpha_bar[t])
    ab_prev = alpha_bar[t_prev] if t_prev >= 0 else 1.0
    return np.sqrt(ab_prev) * x0_hat + np.sqrt(1.0 - ab_prev) * eps


@pytest.mark.exercise("21.5")
def test_ddim_step_values(kata, check, rng):
    _, alpha_bar = random_schedule(rng)
    x, eps = rng.normal(size=(2, 3, 4))
    for t, t_prev in ((11, 7), (6, 5), (4, 0)):   # t_prev = 0 is the last real step, not the data
        suspects = {"alpha_bar[t_prev - 1] is used (t off by one)": ddim_oracle(x, t, t_prev - 1, eps, alpha_bar)}
        if t_prev == 0:
            suspects = {"t_prev = 0 is treated as the data (alpha_bar_prev = 1): only t_prev = -1 is":
                        ddim_oracle(x, t, -1, eps, alpha_bar)}
        check.close(kata.ddim_step(x, t, t_prev, eps, alpha_bar), ddim_oracle(x, t, t_prev, eps, alpha_bar),
                    f"ddim_step from t = {t} to t_prev = {t_prev}", suspects=suspects)


@pytest.mark.exercise("21.5")
def test_ddim_last_step_returns_x0_hat(kata, check, rng):
    _, alpha_bar = random_schedule(rng)
    x, eps = rng.normal(size=(2, 5))
    x0_hat = (x - np.sqrt(1.0 - alpha_bar[3]) * eps) / np.sqrt(alpha_bar[3])
    check.close(kata.ddim_step(x, 3, -1, eps, alpha_bar), x0_hat,
                "ddim_step from t = 3 to t_prev = -1 (the data: alpha_bar_prev = 1)",
                suspects={"alpha_bar[-1] (the LAST entry) is used for t_prev = -1":
                          ddim_oracle(x, 3, len(alpha_bar) - 1, eps, alpha_bar)})


@pytest.mark.exercise("21.5")
def test_ddim_step_keeps_float32(kata, check, rng):
    _, alpha_bar = random_schedule(rng)
    x, eps = rng.normal(size=(2, 2, 3)).astype(np.float32)
    out = np.asarray(kata.ddim_step(x, 9, 2, eps, alpha_bar))
    check.true(out.dtype == np.float32, f"ddim_step on float32 inputs returned {out.dtype}",
               "scale by Python floats (float(alpha_bar[t]), math.sqrt), not float64 NumPy scalars")
    check.close(out, ddim_oracle(x.astype(float), 9, 2, eps, alpha_bar), "ddim_step in float32",
                rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- 21.6 ddim_sample
@pytest.mark.exercise("21.6")
def test_ddim_sample_of_a_point_mass_returns_the_point(kata, check, rng):
    point = np.array([1.0, -0.5])
    for n_steps in (1, 7, 50):
        x = kata.ddim_sample(point_mass_oracle(point, ALPHA_BAR), (5, 2), ALPHA_BAR, n_steps, rng)
        check.close(x, np.tile(point, (5, 1)), f"ddim_sample with the exact eps of a point mass at "
                    f"[1, -0.5], {n_steps} steps (deterministic: no noise re-injected)",
                    rtol=1e-7, atol=1e-7)


@pytest.mark.exercise("21.6")
def test_ddim_sample_follows_its_subsequence_from_one_draw(kata, check, rng):
    _, alpha_bar = random_schedule(rng, n=20)
    eps_model = mixture_oracle([0.5, -1.0], [0.3, 0.6], [0.4, 0.6], alpha_bar)
    x = np.random.default_rng(3).standard_normal((6, 1))   # the only random draw
    steps = [19, 13, 6, 0]                                  # round(linspace(19, 0, 4))
    for t, t_prev in zip(steps, steps[1:] + [-1]):
        x = ddim_oracle(x, t, t_prev, eps_model(x, np.full(6, t)), alpha_bar)
    out = kata.ddim_sample(eps_model, (6, 1), alpha_bar, 4, np.random.default_rng(3))
    check.close(out, x, "ddim_sample(..., n_steps=4) with T = 20: x ~ N(0, I) at t = 19, then "
                "ddim_step along 19 -> 13 -> 6 -> 0 -> data")


@pytest.mark.exercise("21.6")
def test_ddim_sample_reproduces_gaussian_and_mixture(kata, check, rng):
    x = kata.ddim_sample(mixture_oracle([1.5], [0.7], [1.0], ALPHA_BAR), (2000, 1), ALPHA_BAR, 200, rng)
    check_moments(check, x, [1.5], [0.7], [1.0], "ddim_sample (200 steps), exact eps of N(1.5, 0.7^2)")
    mus, sigmas, weights = [-2.0, 2.0], [0.5, 0.5], [0.3, 0.7]
    x = kata.ddim_sample(mixture_oracle(mus, sigmas, weights, ALPHA_BAR), (2000, 1), ALPHA_BAR, 100, rng)
    check_moments(check, x, mus, sigmas, weights, "ddim_sample (100 steps), exact eps of the mixture")


@pytest.mark.exercise("21.6")
def test_ddim_sample_keeps_float32(kata, check, rng):
    x = np.asarray(kata.ddim_sample(point_mass_oracle(np.array([0.25]), ALPHA_BAR), (3, 1), ALPHA_BAR,
                                    10, rng, dtype=np.float32))
    check.true(x.dtype == np.float32, f"ddim_sample(..., dtype=np.float32) returned {x.dtype}")
    check.close(x, np.full((3, 1), 0.25), "ddim_sample in float32 (point mass at 0.25)", rtol=1e-4, atol=1e-4)
