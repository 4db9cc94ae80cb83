"""Chapter 09 mistakes: erf, GELU and Swish as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch09_modern_activations import (ERF_CLIP, ERF_TERMS, GELU_TANH_COEF,
                                               SQRT_2_OVER_PI, _sigmoid)
from solutions.ch09_modern_activations import erf as reference_erf


def _series(x, terms=ERF_TERMS):
    x2 = x * x
    term, total = x.copy(), x.copy()
    for n in range(1, terms):
        term = term * (2.0 * x2) / (2 * n + 1)
        total = total + term
    return np.exp(-x2) * total


@mistake("09.1", "Abramowitz & Stegun 7.1.26: a fine formula, but only 1.5e-7 accurate")
def erf(x):
    x = np.asarray(x, dtype=np.float64)
    a1, a2, a3, a4, a5, p = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911
    z = np.abs(x)
    t = 1.0 / (1.0 + p * z)
    y = 1.0 - ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t * np.exp(-z * z)
    return np.sign(x) * y


@mistake("09.1", "A&S 7.1.26 on x itself, not |x|: the formula holds for x >= 0 only")
def erf_no_symmetry(x):
    x = np.asarray(x, dtype=np.float64)
    a1, a2, a3, a4, a5, p = 0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429, 0.3275911
    t = 1.0 / (1.0 + p * x)
    return 1.0 - ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t * np.exp(-x * x)


@mistake("09.1", "forgets the factor 2/sqrt(pi)", cause="factor")
def erf_no_prefactor(x):
    return _series(np.clip(np.asarray(x, dtype=np.float64), -ERF_CLIP, ERF_CLIP))


@mistake("09.1", "no clipping: the truncated series is wrong (or NaN) for large |x|")
def erf_no_clip(x):
    return 2.0 / np.sqrt(np.pi) * _series(np.asarray(x, dtype=np.float64))


@mistake("09.1", "clips only the upper tail: odd symmetry lost for large negative x")
def erf_one_sided_clip(x):
    return 2.0 / np.sqrt(np.pi) * _series(np.minimum(np.asarray(x, dtype=np.float64), ERF_CLIP))


@mistake("09.1", "alternating Taylor series: cancellation destroys it for |x| > 3")
def erf_taylor(x):
    x = np.clip(np.asarray(x, dtype=np.float64), -ERF_CLIP, ERF_CLIP)
    term, total = x.copy(), x.copy()
    for n in range(1, ERF_TERMS):
        term = -term * x * x / n  # (-1)^n x^(2n+1) / n!
        total = total + term / (2 * n + 1)
    return 2.0 / np.sqrt(np.pi) * total


@mistake("09.2", "Phi(x) = 0.5 * (1 + erf(x)): forgets the sqrt(2)")
def gelu_forward(x):
    return x * 0.5 * (1.0 + reference_erf(x)), x


@mistake("09.2", "forgets the 0.5 in Phi: x * (1 + erf(x / sqrt(2)))", cause="factor")
def gelu_forward_no_half(x):
    return x * (1.0 + reference_erf(x / np.sqrt(2.0))), x


@mistake("09.2", "uses the tanh approximation where the exact GELU is asked")
def gelu_forward_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_COEF * x ** 3))), x


@mistake("09.3", "treats Phi like ReLU's gate: dx = dout * Phi(x)")
def gelu_backward(dout, cache):
    return dout * 0.5 * (1.0 + reference_erf(cache / np.sqrt(2.0)))


@mistake("09.3", "drops the 1/sqrt(2 pi) of the normal density")
def gelu_backward_density(dout, cache):
    x = cache
    return dout * (0.5 * (1.0 + reference_erf(x / np.sqrt(2.0))) + x * np.exp(-0.5 * x * x))


@mistake("09.3", "the tanh form's derivative for the exact GELU (off by ~1e-3)")
def gelu_backward_tanh(dout, cache):
    x = cache
    t = np.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_COEF * x ** 3))
    du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_COEF * x ** 2)
    return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)


@mistake("09.4", "sqrt(pi/2) instead of sqrt(2/pi)")
def gelu_tanh_forward(x):
    t = np.tanh(np.sqrt(np.pi / 2.0) * (x + GELU_TANH_COEF * x ** 3))
    return 0.5 * x * (1.0 + t), (x, t)


@mistake("09.4", "forgets the cubic term 0.044715 * x**3")
def gelu_tanh_forward_no_cubic(x):
    t = np.tanh(SQRT_2_OVER_PI * x)
    return 0.5 * x * (1.0 + t), (x, t)


@mistake("09.5", "forgets the chain rule through the cubic: du/dx = sqrt(2/pi)")
def gelu_tanh_backward(dout, cache):
    x, t = cache
    return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI)


@mistake("09.5", "tanh' written as 1 - tanh instead of 1 - tanh**2")
def gelu_tanh_backward_tanh_prime(dout, cache):
    x, t = cache
    du = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_COEF * x ** 2)
    return dout * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t) * du)


@mistake("09.5", "product rule half-done: only the 0.5 * (1 + tanh) term")
def gelu_tanh_backward_gate_only(dout, cache):
    x, t = cache
    return dout * 0.5 * (1.0 + t)


@mistake("09.6", "ignores beta: sigmoid(x) instead of sigmoid(beta * x)", cause="beta")
def swish_forward(x, beta=1.0):
    s = _sigmoid(x)
    return x * s, (x, beta, s)


@mistake("09.6", "naive sigmoid 1 / (1 + exp(-z)): overflows for large |z|", cause="overflow")
def swish_forward_naive(x, beta=1.0):
    s = 1.0 / (1.0 + np.exp(-beta * x))
    return x * s, (x, beta, s)


@mistake("09.6", "multiplies by beta outside: beta * x * sigmoid(x)")
def swish_forward_beta_outside(x, beta=1.0):
    s = _sigmoid(x)
    return beta * x * s, (x, beta, s)


@mistake("09.7", "dbeta not summed: one value per entry")
def swish_backward(dout, cache):
    x, beta, s = cache
    ds = s * (1.0 - s)
    return dout * (s + beta * x * ds), dout * x * x * ds


@mistake("09.7", "dbeta averaged instead of summed", cause="sum-mean")
def swish_backward_mean(dout, cache):
    x, beta, s = cache
    ds = s * (1.0 - s)
    return dout * (s + beta * x * ds), np.mean(dout * x * x * ds)


@mistake("09.7", "dx misses the chain-rule factor beta")
def swish_backward_no_beta(dout, cache):
    x, beta, s = cache
    ds = s * (1.0 - s)
    return dout * (s + x * ds), np.sum(dout * x * x * ds)


@mistake("09.7", "dbeta uses x instead of x**2")
def swish_backward_dbeta_x(dout, cache):
    x, beta, s = cache
    ds = s * (1.0 - s)
    return dout * (s + beta * x * ds), np.sum(dout * x * ds)


@mistake("09.7", "dx forgets the product rule's s term")
def swish_backward_no_s(dout, cache):
    x, beta, s = cache
    ds = s * (1.0 - s)
    return dout * beta * x * ds, np.sum(dout * x * x * ds)



@mistake("09.2", "caches the output instead of x")
def gelu_forward_cache_out(x):
    out = x * 0.5 * (1.0 + reference_erf(x / np.sqrt(2.0)))
    return out, out


@mistake("09.4", "caches (x, u) instead of (x, tanh(u))")
def gelu_tanh_forward_cache_u(x):
    u = np.sqrt(2.0 / np.pi) * (x + GELU_TANH_COEF * x ** 3)
    return 0.5 * x * (1.0 + np.tanh(u)), (x, u)


@mistake("09.6", "caches the output instead of s = sigmoid(beta * x)")
def swish_forward_cache_out(x, beta=1.0):
    s = 0.5 * (1.0 + np.tanh(0.5 * beta * x))
    return x * s, (x, beta, x * s)


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402
from solutions.ch09_modern_activations import erf as _erf  # noqa: E402
from solutions.ch09_modern_activations import gelu_backward as _gelu_backward  # noqa: E402


@mistake("09.2", "multiplies x by Phi in place (x *= Phi) and caches it", cause="in-place")
def gelu_forward_in_place(x):
    phi_cdf = 0.5 * (1.0 + _erf(x / np.sqrt(2.0)))
    original = x.copy()
    x *= phi_cdf
    return x.copy(), original


@mistake("09.3", "returns a float32 gradient", cause="dtype")
def gelu_backward_float32(dout, cache):
    return _gelu_backward(dout, cache).astype(np.float32)




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("09.3", "normal density as 1 / exp(x^2 / 2): exp overflows for |x| above about 38")
def gelu_backward_density_overflows(dout, cache):
    x = cache
    phi_cdf = 0.5 * (1.0 + reference_erf(x / np.sqrt(2.0)))
    phi_pdf = 1.0 / (np.exp(0.5 * x * x) * np.sqrt(2.0 * np.pi))
    return dout * (phi_cdf + x * phi_pdf)


@mistake("09.4", "tanh written as (e^u - e^-u) / (e^u + e^-u): inf / inf = NaN for large |u|")
def gelu_tanh_forward_exp_quotient(x):
    u = SQRT_2_OVER_PI * (x + GELU_TANH_COEF * x ** 3)
    t = (np.exp(u) - np.exp(-u)) / (np.exp(u) + np.exp(-u))
    return 0.5 * x * (1.0 + t), (x, t)


@mistake("09.5", "sech^2(u) as 1 / cosh(u)^2: cosh overflows for large |u|")
def gelu_tanh_backward_cosh(dout, cache):
    x, t = cache
    u = SQRT_2_OVER_PI * (x + GELU_TANH_COEF * x ** 3)
    du_dx = SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_TANH_COEF * x ** 2)
    return dout * (0.5 * (1.0 + t) + 0.5 * x * du_dx / np.cosh(u) ** 2)


@mistake("09.7", "sigmoid' as exp(-z) / (1 + exp(-z))^2: inf / inf = NaN for very negative z")
def swish_backward_exp_derivative(dout, cache):
    x, beta, s = cache
    e = np.exp(-beta * x)
    ds = e / (1.0 + e) ** 2
    return dout * (s + beta * x * ds), np.sum(dout * x * x * ds)
