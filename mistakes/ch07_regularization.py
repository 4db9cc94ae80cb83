"""Chapter 07 mistakes: penalties and dropout as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake


@mistake("07.1", "forgets the absolute value: lam * sum(W)")
def l1_forward(W, lam):
    return float(lam * np.sum(W)), (W, lam)


@mistake("07.1", "absolute value of the sum: lam * |sum(W)|")
def l1_forward_abs_of_sum(W, lam):
    return float(lam * np.abs(np.sum(W))), (W, lam)


@mistake("07.1", "returns a 0-d array or the per-entry penalties, not a float")
def l1_forward_per_entry(W, lam):
    return lam * np.abs(W), (W, lam)


@mistake("07.2", "uses W instead of sign(W), the L2-style gradient")
def l1_backward(dpenalty, cache):
    W, lam = cache
    return dpenalty * lam * W


@mistake("07.2", "ignores the upstream gradient dpenalty", cause="dout")
def l1_backward_no_upstream(dpenalty, cache):
    W, lam = cache
    return lam * np.sign(W)


@mistake("07.2", "NNFS's ones-then-minus-ones: +lam at W == 0")
def l1_backward_nnfs_zero(dpenalty, cache):
    W, lam = cache
    ones = np.ones_like(W)
    ones[W < 0] = -1.0
    return dpenalty * lam * ones


@mistake("07.3", "adds the conventional 1/2: 0.5 * lam * sum(W^2)", cause="factor")
def l2_forward(W, lam):
    return float(0.5 * lam * np.sum(W * W)), (W, lam)


@mistake("07.3", "square of the sum instead of the sum of squares")
def l2_forward_square_of_sum(W, lam):
    return float(lam * np.sum(W) ** 2), (W, lam)


@mistake("07.3", "the norm, not its square: lam * sqrt(sum(W^2))")
def l2_forward_norm(W, lam):
    return float(lam * np.sqrt(np.sum(W * W))), (W, lam)


@mistake("07.4", "missing the factor 2: lam * W", cause="factor")
def l2_backward(dpenalty, cache):
    W, lam = cache
    return dpenalty * lam * W


@mistake("07.4", "ignores the upstream gradient dpenalty", cause="dout")
def l2_backward_no_upstream(dpenalty, cache):
    W, lam = cache
    return 2.0 * lam * W


@mistake("07.4", "forgets lam: 2 * W", cause="factor")
def l2_backward_no_lam(dpenalty, cache):
    W, lam = cache
    return dpenalty * 2.0 * W


@mistake("07.5", "not rescaled: kept entries stay x (the mean shrinks to 1 - rate)")
def dropout_forward(x, rate, rng, training=True):
    if not training:
        return x.copy(), (np.ones_like(x), 0.0)
    keep = (rng.random(x.shape) >= rate).astype(np.float64)
    return x * keep, (keep, rate)


@mistake("07.5", "rescaled at eval time too: x / (1 - rate) in eval mode")
def dropout_forward_rescaled_at_eval(x, rate, rng, training=True):
    if not training:
        return x / (1.0 - rate), (np.ones_like(x) / (1.0 - rate), 0.0)
    keep = (rng.random(x.shape) >= rate).astype(np.float64)
    return x * keep / (1.0 - rate), (keep, rate)


@mistake("07.5", "rate and keep confused: keeps with probability rate")
def dropout_forward_keep_confused(x, rate, rng, training=True):
    if not training:
        return x.copy(), (np.ones_like(x), 0.0)
    keep = (rng.random(x.shape) < rate).astype(np.float64)
    return x * keep / (1.0 - rate), (keep, rate)


@mistake("07.5", "draws from NumPy's global generator instead of rng")
def dropout_forward_global_rng(x, rate, rng, training=True):
    if not training:
        return x.copy(), (np.ones_like(x), 0.0)
    keep = (np.random.random(x.shape) >= rate).astype(np.float64)
    return x * keep / (1.0 - rate), (keep, rate)


@mistake("07.5", "dropout also applied in eval mode")
def dropout_forward_ignores_training(x, rate, rng, training=True):
    keep = (rng.random(x.shape) >= rate).astype(np.float64)
    return x * keep / (1.0 - rate), (keep, rate)


@mistake("07.6", "draws a new mask in backward")
def dropout_backward(dout, cache):
    keep, rate = cache
    fresh = (np.random.random(dout.shape) >= rate).astype(np.float64)
    return dout * fresh / (1.0 - rate)


@mistake("07.6", "forgets the 1 / (1 - rate) scale in backward")
def dropout_backward_not_rescaled(dout, cache):
    keep, rate = cache
    return dout * keep


@mistake("07.6", "passes the gradient straight through, ignoring the mask")
def dropout_backward_identity(dout, cache):
    return dout.copy()


@mistake("07.5", "one mask per feature, shared by every example of the batch")
def dropout_forward_shared_mask(x, rate, rng, training=True):
    if not training:
        return x.copy(), (np.ones_like(x), 0.0)
    keep = (rng.random(x.shape[1:]) >= rate).astype(np.float64)  # broadcasts over the batch
    keep = np.broadcast_to(keep, x.shape).copy()
    return x * keep / (1.0 - rate), (keep, rate)


@mistake("07.5", "caches the scaled mask keep / (1 - rate): backward divides twice")
def dropout_forward_cache_scaled(x, rate, rng, training=True):
    if not training:
        return x.copy(), (np.ones_like(x), 0.0)
    mask = (rng.random(x.shape) >= rate) / (1.0 - rate)
    return x * mask, (mask, rate)


@mistake("07.5", "eval mode caches (ones, rate): backward then rescales by 1 / (1 - rate)")
def dropout_forward_eval_cache_rate(x, rate, rng, training=True):
    if not training:
        return x.copy(), (np.ones_like(x), rate)
    keep = (rng.random(x.shape) >= rate).astype(np.float64)
    return x * keep / (1.0 - rate), (keep, rate)


@mistake("07.5", "draws the mask before checking the mode: eval mode consumes the rng")
def dropout_forward_eval_draws(x, rate, rng, training=True):
    keep = (rng.random(x.shape) >= rate).astype(np.float64)
    if not training:
        return x.copy(), (np.ones_like(x), 0.0)
    return x * keep / (1.0 - rate), (keep, rate)


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402


@mistake("07.5", "eval mode returns x itself: the output aliases the caller's input",
         cause="alias")
def dropout_forward_eval_alias(x, rate, rng, training=True):
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got rate={rate}")
    if not training:
        return x, (np.ones_like(x), 0.0)
    keep = (rng.random(x.shape) >= rate).astype(np.float64)
    return x * keep / (1.0 - rate), (keep, rate)


@mistake("07.6", "multiplies dout by the mask in place and returns it", cause="in-place")
def dropout_backward_in_place(dout, cache):
    keep, rate = cache
    dout *= keep / (1.0 - rate)
    return dout


@mistake("07.2", "takes the sign into the cached W (np.sign(W, out=W))", cause="in-place")
def l1_backward_sign_in_place(dpenalty, cache):
    W, lam = cache
    np.sign(W, out=W)
    return dpenalty * lam * W




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("07.5", "draws the mask as rng.random((len(x), x.shape[1])): fails beyond 2-D")
def dropout_forward_2d_mask(x, rate, rng, training=True):
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout rate must be in [0, 1), got rate={rate}")
    if not training:
        return x.copy(), (np.ones_like(x), 0.0)
    keep = (rng.random((len(x), x.shape[1])) >= rate).astype(np.float64)
    if x.ndim > 2:
        keep = keep.reshape(keep.shape + (1,) * (x.ndim - 2))
    return x * keep / (1.0 - rate), (np.broadcast_to(keep, x.shape).copy(), rate)


@mistake("07.6", "squeezes dx: one example (B = 1) comes back as (N,)")
def dropout_backward_squeezed(dout, cache):
    keep, rate = cache
    return np.squeeze(dout * keep / (1.0 - rate))
