"""Chapter 03 mistakes: activation kernels as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake


@mistake("03.1", "np.max(x, 0) instead of np.maximum(x, 0): reduces axis 0 away", cause="axis")
def relu_forward(x):
    return np.max(x, 0), x


@mistake("03.1", "clips negatives in place, changing the caller's x", cause="in-place")
def relu_forward_in_place(x):
    x[x < 0] = 0.0
    return x, x


@mistake("03.1", "returns only the output, no cache")
def relu_forward_no_cache(x):
    return np.maximum(x, 0.0)


@mistake("03.2", "returns the local derivative, forgetting to multiply by dout", cause="dout")
def relu_backward(dout, cache):
    return (cache > 0).astype(float)


@mistake("03.2", "applies ReLU to dout instead of masking by x")
def relu_backward_relu_of_dout(dout, cache):
    return np.maximum(dout, 0.0)


@mistake("03.2", "derivative 1 at x == 0 (x >= 0)")
def relu_backward_at_zero(dout, cache):
    return dout * (cache >= 0)


@mistake("03.3", "exp(x) / (1 + exp(x)): inf / inf = NaN for large x", cause="overflow")
def sigmoid_forward(x):
    out = np.exp(x) / (1.0 + np.exp(x))
    return out, out


@mistake("03.3", "textbook 1 / (1 + exp(-x)): exp overflows for large negative x", cause="overflow")
def sigmoid_forward_naive(x):
    out = 1.0 / (1.0 + np.exp(-x))
    return out, out


@mistake("03.3", "np.where over two naive branches: both are evaluated, one overflows", cause="overflow")
def sigmoid_forward_where(x):
    out = np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))
    return out, out


@mistake("03.3", "sign slip: 1 / (1 + exp(x)) is sigmoid(-x)", cause="sign")
def sigmoid_forward_sign(x):
    z = np.exp(-np.abs(x))
    out = np.where(x >= 0, z / (1.0 + z), 1.0 / (1.0 + z))
    return out, out


@mistake("03.4", "forgets to multiply by dout", cause="dout")
def sigmoid_backward(dout, cache):
    return cache * (1.0 - cache)


@mistake("03.4", "drops the (1 - s) factor")
def sigmoid_backward_no_one_minus(dout, cache):
    return dout * cache


@mistake("03.4", "treats the cache as x and applies sigmoid again")
def sigmoid_backward_resigmoid(dout, cache):
    s = 1.0 / (1.0 + np.exp(-cache))
    return dout * s * (1.0 - s)


@mistake("03.5", "textbook quotient (e^x - e^-x) / (e^x + e^-x): NaN for large |x|", cause="overflow")
def tanh_forward(x):
    out = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return out, out


@mistake("03.5", "2 * sigmoid(x) - 1, forgetting the 2 inside: tanh(x) = 2 * sigmoid(2x) - 1", cause="factor")
def tanh_forward_half(x):
    out = 2.0 / (1.0 + np.exp(-np.clip(x, -500, 500))) - 1.0
    return out, out


@mistake("03.6", "1 - t instead of 1 - t**2")
def tanh_backward(dout, cache):
    return dout * (1.0 - cache)


@mistake("03.6", "forgets to multiply by dout", cause="dout")
def tanh_backward_no_dout(dout, cache):
    return 1.0 - cache ** 2


@mistake("03.6", "(1 - t)**2 instead of 1 - t**2")
def tanh_backward_square_outside(dout, cache):
    return dout * (1.0 - cache) ** 2


@mistake("03.7", "returns x alone, without a cache")
def linear_forward(x):
    return x


@mistake("03.7", "returns the pair in the wrong order (cache, out)")
def linear_forward_swapped(x):
    return None, x.copy()


@mistake("03.8", "returns the local derivative 1, forgetting dout", cause="dout")
def linear_backward(dout, cache):
    return np.ones_like(dout)


@mistake("03.8", "sums dout over the batch, like a bias gradient")
def linear_backward_summed(dout, cache):
    return dout.sum(axis=0)


@mistake("03.9", "no max-subtraction: exp overflows at large inputs", cause="overflow")
def softmax_forward(x):
    e = np.exp(x)
    probs = e / e.sum(axis=-1, keepdims=True)
    return probs, probs


@mistake("03.9", "subtracts one maximum for the whole batch instead of each row's")
def softmax_forward_global_max(x):
    e = np.exp(x - x.max())
    probs = e / e.sum(axis=-1, keepdims=True)
    return probs, probs


@mistake("03.9", "normalizes over axis 0 (the batch) instead of over each row", cause="axis")
def softmax_forward_axis0(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    probs = e / e.sum(axis=0, keepdims=True)
    return probs, probs


@mistake("03.9", "hard-codes axis=1, which is not the last axis of a 3-D input", cause="axis")
def softmax_forward_axis1(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    return probs, probs


@mistake("03.10", "keeps only the Jacobian's diagonal: dout * p * (1 - p)")
def softmax_backward(dout, cache):
    return dout * cache * (1.0 - cache)


@mistake("03.10", "sums dout * probs over the batch axis instead of each row", cause="axis")
def softmax_backward_axis0(dout, cache):
    return cache * (dout - np.sum(dout * cache, axis=0, keepdims=True))


@mistake("03.10", "sign flipped: probs * (sum(dout * probs) - dout)", cause="sign")
def softmax_backward_sign(dout, cache):
    return cache * (np.sum(dout * cache, axis=-1, keepdims=True) - dout)


@mistake("03.10", "NNFS's first version: a Python loop building a full Jacobian per row")
def softmax_backward_jacobian_loop(dout, cache):
    dx = np.empty_like(dout)
    for index, (single_output, single_dout) in enumerate(zip(cache, dout)):
        single_output = single_output.reshape(-1, 1)
        jacobian = np.diagflat(single_output) - np.dot(single_output, single_output.T)
        dx[index] = np.dot(jacobian, single_dout)
    return dx


@mistake("03.2", "zeroes dout in place (NNFS without the .copy()): the caller's gradient changes", cause="in-place")
def relu_backward_in_place(dout, cache):
    dout[cache <= 0] = 0.0
    return dout


@mistake("03.3", "keeps x in the cache instead of the output sigmoid(x)")
def sigmoid_forward_cache_x(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z)), x


@mistake("03.5", "keeps x in the cache instead of the output tanh(x)")
def tanh_forward_cache_x(x):
    return np.tanh(x), x


@mistake("03.6", "multiplies dout in place and returns it", cause="in-place")
def tanh_backward_in_place(dout, cache):
    dout *= 1.0 - cache ** 2
    return dout


@mistake("03.8", "returns dout itself, not a copy: the caller's gradient is aliased", cause="alias")
def linear_backward_alias(dout, cache):
    return dout


@mistake("03.9", "subtracts the row maximum in place, changing the caller's x", cause="in-place")
def softmax_forward_in_place(x):
    x -= x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    probs = e / e.sum(axis=-1, keepdims=True)
    return probs, probs


@mistake("03.9", "keeps the scores x in the cache instead of the probabilities")
def softmax_forward_cache_x(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True), x


@mistake("03.10", "subtracts the weighted sum from dout in place", cause="in-place")
def softmax_backward_in_place(dout, cache):
    dout -= np.sum(dout * cache, axis=-1, keepdims=True)
    return cache * dout


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402


@mistake("03.7", "returns x itself: the output aliases the caller's input", cause="alias")
def linear_forward_alias(x):
    return x, None


@mistake("03.4", "computes the slope in float32: float64 gradients come back float32",
         cause="dtype")
def sigmoid_backward_float32(dout, cache):
    out = cache.astype(np.float32)
    return (dout * out * (1.0 - out)).astype(np.float32)


@mistake("03.3", "keeps a module-level buffer between calls and adds into it",
         cause="state")
def sigmoid_forward_buffer(x, _buffer={}):
    out = 0.5 * (1.0 + np.tanh(0.5 * x))
    key = x.shape
    _buffer[key] = _buffer.get(key, 0.0) + out
    return _buffer[key] / 1.0, out




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("03.5", "2 / (1 + exp(-2x)) - 1: exp overflows for x below about -355")
def tanh_forward_via_naive_sigmoid(x):
    out = 2.0 / (1.0 + np.exp(-2.0 * x)) - 1.0
    return out, out


@mistake("03.9", "squeezes the probabilities: a batch of one row comes back as (K,)")
def softmax_forward_squeezed(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    probs = np.squeeze(e / e.sum(axis=-1, keepdims=True))
    return probs, probs


@mistake("03.10", "row sums without keepdims, put back with [:, None]: breaks on (B, T, K) arrays")
def softmax_backward_no_keepdims(dout, cache):
    return cache * (dout - np.sum(dout * cache, axis=-1)[:, None])


@mistake("03.6", "recomputes tanh from the cache as if it were x: 1 - tanh(out)**2")
def tanh_backward_from_cache_as_x(dout, cache):
    return dout * (1.0 - np.tanh(cache) ** 2)
