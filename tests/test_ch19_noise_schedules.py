"""Graded tests for chapter 19 (noise schedules, the closed-form forward process, the posterior).

Oracles are written out here: products and the cosine formula with Python loops and `math`,
the posterior by Bayes' rule on two Gaussians (precisions add), and the forward chain iterated
step by step. Timesteps are 0-based: alpha_bar[t] includes step t, alpha_bar_prev[0] = 1.
A short schedule with LARGE betas (BIG_BETAS) makes an off-by-one step plainly visible.
"""

import math

import numpy as np
import pytest

BIG_BETAS = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5])


def cumulative_product(betas):
    alpha_bar, running = [], 1.0
    for beta in betas:
        running *= 1.0 - beta
        alpha_bar.append(running)
    return np.array(alpha_bar)


def ho_betas(T=1000):
    return 1e-4 + (0.02 - 1e-4) * np.arange(T) / (T - 1)


def bayes_posterior(betas):
    """Mean coefficients and variance of q(x_{t-1} | x_t, x0) for t >= 1, by Bayes' rule:
    prior x_{t-1} ~ N(sqrt(ab_prev) x0, 1 - ab_prev), likelihood x_t ~ N(sqrt(alpha) x_{t-1}, beta);
    the precisions add and the mean is the precision-weighted average."""
    alpha_bar = cumulative_product(betas)
    prev, alpha = alpha_bar[:-1], 1.0 - betas[1:]
    var = 1.0 / (1.0 / (1.0 - prev) + alpha / betas[1:])
    return var * np.sqrt(prev) / (1.0 - prev), var * np.sqrt(alpha) / betas[1:], var


def dtype_of(value):
    return getattr(value, "dtype", type(value).__name__)


# ---------------------------------------------------------------- 19.1 linear betas
@pytest.mark.exercise("19.1")
def test_linear_betas_by_hand(kata, check):
    check.close(kata.linear_betas(5, 0.1, 0.5), [0.1, 0.2, 0.3, 0.4, 0.5],
                "linear_betas(5, 0.1, 0.5) (both ends included)")
    check.raises(ValueError, lambda: kata.linear_betas(0), "linear_betas(0) (no diffusion step at all)",
                 mentions=("T",))


@pytest.mark.exercise("19.1")
def test_linear_betas_ho_schedule(kata, check):
    betas = check.shape(kata.linear_betas(1000), (1000,), "linear_betas(1000)")
    check.true(dtype_of(kata.linear_betas(1000)) == np.float64,
               "linear_betas(1000) should be float64", f"it is {dtype_of(kata.linear_betas(1000))}")
    check.close(betas, ho_betas(), "linear_betas(1000): 1e-4 to 0.02 in 999 equal steps")
    check.true(np.prod(1.0 - betas) < 1e-4, "alpha_bar at the last step of linear_betas(1000) is "
               f"{np.prod(1.0 - betas):.3g}, expected about 4e-5 (almost pure noise)")


# ---------------------------------------------------------------- 19.2 cosine betas
def cosine_oracle(T, s=0.008, max_beta=0.999):
    f = [math.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2 for t in range(T + 1)]
    return np.array([min(1 - f[t + 1] / f[t], max_beta) for t in range(T)]), np.array(f) / f[0]


@pytest.mark.exercise("19.2")
def test_cosine_betas_match_formula(kata, check):
    for T in (10, 1000):
        betas = check.shape(kata.cosine_betas(T), (T,), f"cosine_betas({T})")
        check.close(betas, cosine_oracle(T)[0], f"cosine_betas({T}) (s = 0.008, max_beta = 0.999)",
                    rtol=1e-9, atol=1e-12)
    check.close(kata.cosine_betas(10, s=0.1), cosine_oracle(10, s=0.1)[0],
                "cosine_betas(10, s=0.1) (the offset s inside the cosine)", rtol=1e-9, atol=1e-12)


@pytest.mark.exercise("19.2")
def test_cosine_betas_are_clipped(kata, check):
    betas = check.array(kata.cosine_betas(50), "cosine_betas(50)")
    check.true(betas[-1] == 0.999, f"the last beta of cosine_betas(50) is {betas[-1]!r}, expected "
               "0.999", "alpha_bar(1) = 0, so the last ratio gives beta = 1: clip it to max_beta")
    last = cumulative_product(betas)[-1]
    check.true(0 < last < 1e-4, f"alpha_bar at the last step of cosine_betas(50) is {last:.3g}, "
               "expected a small positive number (almost pure noise, yet x0 still recoverable)")
    clipped = check.array(kata.cosine_betas(10, max_beta=0.5), "cosine_betas(10, max_beta=0.5)")
    check.close(clipped, cosine_oracle(10, max_beta=0.5)[0],
                "cosine_betas(10, max_beta=0.5) (every beta above max_beta is cut to it)")


@pytest.mark.exercise("19.2")
def test_cosine_alpha_bar_follows_the_cosine(kata, check):
    # the schedule is defined by alpha_bar(t/T) = f(t/T) / f(0): the product of (1 - beta)
    # over the first t steps must return it wherever no clipping happened (all but the last)
    betas = check.array(kata.cosine_betas(100), "cosine_betas(100)")
    check.close(cumulative_product(betas)[:-1], cosine_oracle(100)[1][1:-1],
                "prod(1 - cosine_betas(100)[:t+1]) vs cos((t+1)/T + s)/(1 + s) * pi/2)^2 / f(0)",
                rtol=1e-9)


# ---------------------------------------------------------------- 19.3 alpha, alpha_bar
@pytest.mark.exercise("19.3")
def test_alphas_by_hand(kata, check):
    result = kata.alphas_from_betas(np.array([0.5, 0.5, 0.2]))
    check.true(isinstance(result, tuple) and len(result) == 2,
               "alphas_from_betas should return a pair (alpha, alpha_bar)")
    check.close(result[0], [0.5, 0.5, 0.8], "alpha = 1 - betas for betas [0.5, 0.5, 0.2]")
    check.close(result[1], [0.5, 0.25, 0.2], "alpha_bar for betas [0.5, 0.5, 0.2] "
                "(alpha_bar[t] is the product of alpha[0..t], step t included)")


@pytest.mark.exercise("19.3")
def test_alpha_bar_is_the_running_product_and_falls(kata, check):
    for name, betas in (("BIG_BETAS", BIG_BETAS), ("the linear Ho schedule", ho_betas())):
        alpha, alpha_bar = kata.alphas_from_betas(betas)
        check.close(alpha_bar, cumulative_product(betas), f"alpha_bar for {name}", rtol=1e-10)
        alpha_bar = check.array(alpha_bar, "alpha_bar")
        check.true(np.all(np.diff(alpha_bar) < 0) and 0 < alpha_bar[-1] < alpha_bar[0] < 1,
                   f"alpha_bar for {name} should fall strictly, inside (0, 1)")


# ---------------------------------------------------------------- 19.4 SNR
@pytest.mark.exercise("19.4")
def test_snr_by_hand(kata, check):
    check.close(kata.snr(np.array([0.8, 0.5, 0.2])), [4.0, 1.0, 0.25],
                "snr(alpha_bar = [0.8, 0.5, 0.2]) = alpha_bar / (1 - alpha_bar)")


@pytest.mark.exercise("19.4")
def test_snr_falls_from_clean_to_noise(kata, check):
    alpha_bar = cumulative_product(ho_betas())
    ratio = check.shape(kata.snr(alpha_bar), (1000,), "snr of the linear Ho schedule's alpha_bar")
    check.close(ratio[[0, 499, -1]], alpha_bar[[0, 499, -1]] / (1 - alpha_bar[[0, 499, -1]]),
                "snr at t = 0, 499, 999 of the linear Ho schedule", rtol=1e-9)
    check.true(np.all(np.diff(ratio) < 0) and ratio[0] > 1e3 and ratio[-1] < 1e-4,
               "the SNR should fall strictly from about 1e4 (clean) to about 4e-5 (pure noise)",
               f"got snr[0] = {ratio[0]:.3g}, snr[-1] = {ratio[-1]:.3g}")


# ---------------------------------------------------------------- 19.5 q_sample
@pytest.mark.exercise("19.5")
def test_q_sample_closed_form(kata, check, rng):
    alpha_bar = cumulative_product(BIG_BETAS)
    x0, noise = rng.normal(size=(4, 3, 5, 2)), rng.normal(size=(4, 3, 5, 2))
    t = np.array([0, 5, 2, 3])
    expected = np.stack([math.sqrt(alpha_bar[tb]) * x0[b] + math.sqrt(1 - alpha_bar[tb]) * noise[b]
                         for b, tb in enumerate(t)])
    out = kata.q_sample(x0, t, noise, alpha_bar)
    check.close(out, expected, "q_sample on x0: (4, 3, 5, 2), t = [0, 5, 2, 3], BIG_BETAS", suspects={
        "alpha_bar is not square-rooted": alpha_bar[t][:, None, None, None] * x0
        + np.sqrt(1 - alpha_bar[t])[:, None, None, None] * noise,
        "the noise is scaled by 1 - alpha_bar, not sqrt(1 - alpha_bar)":
        np.sqrt(alpha_bar[t])[:, None, None, None] * x0 + (1 - alpha_bar[t])[:, None, None, None] * noise,
        "t is off by one (alpha_bar[t - 1])": np.sqrt(alpha_bar[t - 1])[:, None, None, None] * x0
        + np.sqrt(1 - alpha_bar[t - 1])[:, None, None, None] * noise,
    })


@pytest.mark.exercise("19.5")
def test_q_sample_equals_iterating_the_chain(kata, check, rng):
    """Closed form vs the forward chain x_s = sqrt(1 - beta_s) x_{s-1} + sqrt(beta_s) eps_s.

    N = 20000 draws per step t. The band is 5 standard errors of the difference of two
    independent estimates: means sqrt(v1/N + v2/N); variances sqrt(2 v1^2/(N-1) + 2 v2^2/(N-1))
    (the variance of a Gaussian sample variance is 2 sigma^4 / (N - 1)).
    """
    N, steps, x0_row = 20000, [0, 2, 5], np.array([1.5, -2.0])
    t = np.repeat(steps, N)                                          # (3N,)
    x0 = np.tile(x0_row, (len(t), 1))                                # (3N, 2)
    chain = x0.copy()
    for s, beta in enumerate(BIG_BETAS):
        step = np.sqrt(1 - beta) * chain + np.sqrt(beta) * rng.normal(size=chain.shape)
        chain = np.where((s <= t)[:, None], step, chain)
    closed = check.shape(kata.q_sample(x0, t, rng.normal(size=x0.shape), cumulative_product(BIG_BETAS)),
                         x0.shape, "q_sample(x0: (60000, 2), t, noise, alpha_bar)")
    for i, step_t in enumerate(steps):
        a, b = chain[i * N:(i + 1) * N], closed[i * N:(i + 1) * N]
        va, vb = a.var(axis=0), b.var(axis=0)
        mean_gap, mean_band = np.abs(a.mean(axis=0) - b.mean(axis=0)), 5 * np.sqrt((va + vb) / N)
        var_gap, var_band = np.abs(va - vb), 5 * np.sqrt(2 * (va ** 2 + vb ** 2) / (N - 1))
        check.true(np.all(mean_gap <= mean_band),
                   f"at t = {step_t} the mean of q_sample differs from the chain's by {mean_gap}, "
                   f"more than 5 standard errors {mean_band}", "check sqrt(alpha_bar[t]) * x0 and "
                   "which step alpha_bar[t] belongs to (step t included)")
        check.true(np.all(var_gap <= var_band),
                   f"at t = {step_t} the variance of q_sample differs from the chain's by {var_gap}, "
                   f"more than 5 standard errors {var_band}", "the noise's scale is sqrt(1 - alpha_bar[t])")


@pytest.mark.exercise("19.5")
def test_q_sample_keeps_float32(kata, check, rng):
    alpha_bar = cumulative_product(BIG_BETAS)
    x0, noise, t = rng.normal(size=(3, 2, 4, 4)), rng.normal(size=(3, 2, 4, 4)), np.array([1, 4, 0])
    out32 = kata.q_sample(x0.astype(np.float32), t, noise.astype(np.float32), alpha_bar)
    check.true(dtype_of(out32) == np.float32, "q_sample on float32 x0 and noise should return float32",
               f"it returned {dtype_of(out32)}: cast sqrt(alpha_bar[t]) to x0.dtype before multiplying")
    check.close(out32, kata.q_sample(x0, t, noise, alpha_bar), "q_sample in float32 vs float64",
                rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- 19.6 posterior mean
@pytest.mark.exercise("19.6")
def test_posterior_mean_coefs_are_bayes_rule(kata, check):
    result = kata.posterior_mean_coefs(BIG_BETAS, cumulative_product(BIG_BETAS))
    check.true(isinstance(result, tuple) and len(result) == 2,
               "posterior_mean_coefs should return a pair (coef_x0, coef_xt)")
    coef_x0 = check.shape(result[0], (6,), "coef_x0 for BIG_BETAS")
    coef_xt = check.shape(result[1], (6,), "coef_xt for BIG_BETAS")
    bayes_x0, bayes_xt, _ = bayes_posterior(BIG_BETAS)
    check.close(coef_x0[1:], bayes_x0, "coef_x0[1:] vs Bayes' rule (uses alpha_bar_prev = alpha_bar[t-1])")
    check.close(coef_xt[1:], bayes_xt, "coef_xt[1:] vs Bayes' rule (sqrt(alpha[t]) * (1 - alpha_bar_prev))")
    check.close([coef_x0[0], coef_xt[0]], [1.0, 0.0], "[coef_x0[0], coef_xt[0]]: before the first "
                "step the sample is x0 itself (alpha_bar_prev[0] = 1)")


@pytest.mark.exercise("19.6")
def test_posterior_mean_averages_back_to_the_marginal(kata, check):
    # E[x_{t-1} | x0] = coef_x0 x0 + coef_xt E[x_t | x0] must be sqrt(alpha_bar[t-1]) x0
    betas = ho_betas(50) * 10
    alpha_bar = cumulative_product(betas)
    coef_x0, coef_xt = kata.posterior_mean_coefs(betas, alpha_bar)
    check.close(check.array(coef_x0, "coef_x0") + check.array(coef_xt, "coef_xt") * np.sqrt(alpha_bar),
                np.sqrt(np.concatenate([[1.0], alpha_bar[:-1]])),
                "coef_x0 + coef_xt * sqrt(alpha_bar) (should be sqrt(alpha_bar_prev))")


# ---------------------------------------------------------------- 19.7 posterior variance
@pytest.mark.exercise("19.7")
def test_posterior_variance_is_bayes_rule(kata, check):
    beta_tilde = check.shape(kata.posterior_variance(BIG_BETAS, cumulative_product(BIG_BETAS)),
                             (6,), "posterior_variance for BIG_BETAS")
    check.close(beta_tilde[1:], bayes_posterior(BIG_BETAS)[2], "beta_tilde[1:] vs Bayes' rule "
                "1 / (1 / (1 - alpha_bar_prev) + alpha / beta)", suspects={
                    "it returns betas instead of beta_tilde": BIG_BETAS[1:]})
    check.close(beta_tilde[0], 0.0, "beta_tilde[0] (alpha_bar_prev[0] = 1: nothing left to guess)")


@pytest.mark.exercise("19.7")
def test_posterior_variance_total_variance(kata, check):
    # law of total variance: coef_xt^2 Var[x_t | x0] + beta_tilde = Var[x_{t-1} | x0] = 1 - ab_prev
    betas = ho_betas(50) * 10
    alpha_bar = cumulative_product(betas)
    prev = np.concatenate([[1.0], alpha_bar[:-1]])
    coef_xt = np.sqrt(1 - betas) * (1 - prev) / (1 - alpha_bar)
    beta_tilde = check.array(kata.posterior_variance(betas, alpha_bar), "posterior_variance")
    check.close(coef_xt ** 2 * (1 - alpha_bar) + beta_tilde, 1 - prev,
                "coef_xt^2 * (1 - alpha_bar) + beta_tilde (should be 1 - alpha_bar_prev)")
    check.true(np.all(beta_tilde <= betas), "beta_tilde should never exceed beta (knowing x0 helps)")


# ---------------------------------------------------------------- 19.8 / 19.9 x0 <-> eps
def noisy(rng, dtype=np.float64):
    alpha_bar, t = cumulative_product(BIG_BETAS), np.array([5, 0, 3])
    x0, eps = rng.normal(size=(3, 2, 3, 3)), rng.normal(size=(3, 2, 3, 3))
    a = alpha_bar[t][:, None, None, None]
    x_t = np.sqrt(a) * x0 + np.sqrt(1 - a) * eps
    return [v.astype(dtype) for v in (x_t, x0, eps)] + [t, alpha_bar]


@pytest.mark.exercise("19.8")
def test_predict_x0_from_eps_round_trip(kata, check, rng):
    x_t, x0, eps, t, alpha_bar = noisy(rng)
    out = check.shape(kata.predict_x0_from_eps(x_t, t, eps, alpha_bar), x0.shape,
                      "predict_x0_from_eps(x_t: (3, 2, 3, 3), t, eps, alpha_bar)")
    a = alpha_bar[t][:, None, None, None]
    check.close(out, x0, "x0 recovered from x_t = sqrt(ab) x0 + sqrt(1 - ab) eps with t = [5, 0, 3]",
                rtol=1e-10, atol=1e-10, suspects={
                    "the noise term uses 1 - alpha_bar, not its square root": (x_t - (1 - a) * eps) / np.sqrt(a),
                    "it divides by alpha_bar, not its square root": (x_t - np.sqrt(1 - a) * eps) / a})


@pytest.mark.exercise("19.8")
def test_predict_x0_from_eps_float32(kata, check, rng):
    x_t, x0, eps, t, alpha_bar = noisy(rng, np.float32)
    out = kata.predict_x0_from_eps(x_t, t, eps, alpha_bar)
    check.true(dtype_of(out) == np.float32, "predict_x0_from_eps on float32 arrays should return "
               f"float32, it returned {dtype_of(out)}")
    check.close(out, x0, "predict_x0_from_eps in float32", rtol=1e-4, atol=1e-4)


@pytest.mark.exercise("19.9")
def test_predict_eps_from_x0_round_trip(kata, check, rng):
    x_t, x0, eps, t, alpha_bar = noisy(rng)
    out = check.shape(kata.predict_eps_from_x0(x_t, t, x0, alpha_bar), eps.shape,
                      "predict_eps_from_x0(x_t: (3, 2, 3, 3), t, x0, alpha_bar)")
    a = alpha_bar[t][:, None, None, None]
    check.close(out, eps, "eps recovered from x_t = sqrt(ab) x0 + sqrt(1 - ab) eps with t = [5, 0, 3]",
                rtol=1e-10, atol=1e-10, suspects={
                    "the signal term uses alpha_bar, not its square root": (x_t - a * x0) / np.sqrt(1 - a),
                    "it divides by 1 - alpha_bar, not its square root": (x_t - np.sqrt(a) * x0) / (1 - a),
                    "t is off by one (alpha_bar[t - 1])": (x_t - np.sqrt(alpha_bar[t - 1])[:, None, None, None]
                                                           * x0) / np.sqrt(1 - alpha_bar[t - 1])[:, None, None, None]})


@pytest.mark.exercise("19.9")
def test_predict_eps_from_x0_float32(kata, check, rng):
    x_t, x0, eps, t, alpha_bar = noisy(rng, np.float32)
    out = kata.predict_eps_from_x0(x_t, t, x0, alpha_bar)
    check.true(dtype_of(out) == np.float32, "predict_eps_from_x0 on float32 arrays should return "
               f"float32, it returned {dtype_of(out)}")
    check.close(out, eps, "predict_eps_from_x0 in float32", rtol=1e-3, atol=1e-3)
