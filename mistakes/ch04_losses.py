"""Chapter 04 mistakes: losses, their gradients and accuracy as learners really get them wrong."""

import numpy as np

from grader.author.mistakes import mistake

EPS = 1e-7


def _one_hot(y, k):
    y = np.asarray(y)
    return y.astype(float) if y.ndim == 2 else np.eye(k)[y]


def _log_softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


# ---------------------------------------------------------------- 04.1
@mistake("04.1", "sums the per-example losses instead of averaging", cause="sum-mean")
def cross_entropy_forward(probs, y):
    clipped = np.clip(probs, EPS, 1 - EPS)
    return float(-np.sum(np.log(np.sum(clipped * _one_hot(y, probs.shape[1]), axis=1)))), (probs, y)


@mistake("04.1", "no clipping: log(0) = -inf")
def cross_entropy_forward_no_clip(probs, y):
    return float(-np.mean(np.log(np.sum(probs * _one_hot(y, probs.shape[1]), axis=1)))), (probs, y)


@mistake("04.1", "clips only the bottom, so a perfect prediction costs exactly 0")
def cross_entropy_forward_clip_low(probs, y):
    clipped = np.maximum(probs, EPS)
    return float(-np.mean(np.log(np.sum(clipped * _one_hot(y, probs.shape[1]), axis=1)))), (probs, y)


@mistake("04.1", "indexes probs[:, y], a B x B block, instead of probs[np.arange(B), y]")
def cross_entropy_forward_fancy(probs, y):
    clipped = np.clip(probs, EPS, 1 - EPS)
    y = np.argmax(y, axis=1) if np.ndim(y) == 2 else y
    return float(-np.mean(np.log(clipped[:, y]))), (probs, y)


@mistake("04.1", "handles only integer labels (indexes with a one-hot matrix)")
def cross_entropy_forward_int_only(probs, y):
    clipped = np.clip(probs, EPS, 1 - EPS)
    return float(-np.mean(np.log(clipped[np.arange(len(clipped)), np.asarray(y, dtype=int)]))), (probs, y)


# ---------------------------------------------------------------- 04.2
@mistake("04.2", "forgets the 1/B of the mean", cause="sum-mean")
def cross_entropy_backward(dout, cache):
    probs, y = cache
    return -dout * _one_hot(y, probs.shape[1]) / np.clip(probs, EPS, 1 - EPS)


@mistake("04.2", "ignores dout", cause="dout")
def cross_entropy_backward_no_dout(dout, cache):
    probs, y = cache
    return -_one_hot(y, probs.shape[1]) / np.clip(probs, EPS, 1 - EPS) / len(probs)


@mistake("04.2", "divides by the unclipped probabilities: -1/0 = -inf")
def cross_entropy_backward_unclipped(dout, cache):
    probs, y = cache
    return -dout * _one_hot(y, probs.shape[1]) / probs / len(probs)


@mistake("04.2", "drops the minus sign of -log", cause="sign")
def cross_entropy_backward_sign(dout, cache):
    probs, y = cache
    return dout * _one_hot(y, probs.shape[1]) / np.clip(probs, EPS, 1 - EPS) / len(probs)


# ---------------------------------------------------------------- 04.3
@mistake("04.3", "averages over the batch but sums over the outputs")
def binary_cross_entropy_forward(probs, y):
    p = np.clip(probs, EPS, 1 - EPS)
    return float(np.mean(np.sum(-(y * np.log(p) + (1 - y) * np.log(1 - p)), axis=1))), (probs, y)


@mistake("04.3", "no clipping: log(0) at p = 0 or 1")
def binary_cross_entropy_forward_no_clip(probs, y):
    return float(np.mean(-(y * np.log(probs) + (1 - y) * np.log(1 - probs)))), (probs, y)


@mistake("04.3", "forgets the (1 - y) log(1 - p) term")
def binary_cross_entropy_forward_half(probs, y):
    p = np.clip(probs, EPS, 1 - EPS)
    return float(np.mean(-y * np.log(p))), (probs, y)


@mistake("04.3", "forgets the leading minus: the loss comes out negative", cause="sign")
def binary_cross_entropy_forward_sign(probs, y):
    p = np.clip(probs, EPS, 1 - EPS)
    return float(np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))), (probs, y)


# ---------------------------------------------------------------- 04.4
@mistake("04.4", "divides by B only, not by B * N")
def binary_cross_entropy_backward(dout, cache):
    probs, y = cache
    p = np.clip(probs, EPS, 1 - EPS)
    return -dout * (y / p - (1 - y) / (1 - p)) / len(probs)


@mistake("04.4", "sign flipped", cause="sign")
def binary_cross_entropy_backward_sign(dout, cache):
    probs, y = cache
    p = np.clip(probs, EPS, 1 - EPS)
    return dout * (y / p - (1 - y) / (1 - p)) / probs.size


@mistake("04.4", "adds the two terms instead of subtracting: y/p + (1-y)/(1-p)")
def binary_cross_entropy_backward_plus(dout, cache):
    probs, y = cache
    p = np.clip(probs, EPS, 1 - EPS)
    return -dout * (y / p + (1 - y) / (1 - p)) / probs.size


# ---------------------------------------------------------------- 04.5 / 04.6
@mistake("04.5", "sums the squared errors instead of averaging", cause="sum-mean")
def mse_forward(pred, y):
    return float(np.sum((pred - y) ** 2)), (pred, y)


@mistake("04.5", "averages over the batch but sums over the outputs")
def mse_forward_batch_only(pred, y):
    return float(np.mean(np.sum((pred - y) ** 2, axis=1))), (pred, y)


@mistake("04.5", "forgets to square")
def mse_forward_no_square(pred, y):
    return float(np.mean(pred - y)), (pred, y)


@mistake("04.6", "forgets the factor 2 of the square's derivative", cause="factor")
def mse_backward(dout, cache):
    pred, y = cache
    return dout * (pred - y) / pred.size


@mistake("04.6", "y - pred: the sign is flipped", cause="sign")
def mse_backward_sign(dout, cache):
    pred, y = cache
    return dout * 2 * (y - pred) / pred.size


@mistake("04.6", "divides by B instead of B * N")
def mse_backward_batch_only(dout, cache):
    pred, y = cache
    return dout * 2 * (pred - y) / len(pred)


# ---------------------------------------------------------------- 04.7 / 04.8
@mistake("04.7", "forgets the absolute value")
def mae_forward(pred, y):
    return float(np.mean(pred - y)), (pred, y)


@mistake("04.7", "sums instead of averaging", cause="sum-mean")
def mae_forward_sum(pred, y):
    return float(np.sum(np.abs(pred - y))), (pred, y)


@mistake("04.8", "uses pred - y (the MSE-style gradient) instead of its sign")
def mae_backward(dout, cache):
    pred, y = cache
    return dout * (pred - y) / pred.size


@mistake("04.8", "sign flipped: sign(y - pred)", cause="sign")
def mae_backward_sign(dout, cache):
    pred, y = cache
    return dout * np.sign(y - pred) / pred.size


@mistake("04.8", "forgets to divide by the number of entries")
def mae_backward_no_mean(dout, cache):
    pred, y = cache
    return dout * np.sign(pred - y)


# ---------------------------------------------------------------- 04.9
@mistake("04.9", "returns the number of correct rows, not the fraction", cause="sum-mean")
def accuracy(scores, y):
    y = np.asarray(y)
    labels = np.argmax(y, axis=1) if y.ndim == 2 else y
    return float(np.sum(np.argmax(scores, axis=1) == labels))


@mistake("04.9", "compares with one-hot labels directly (broadcasts to a B x K table)")
def accuracy_one_hot_unhandled(scores, y):
    return float(np.mean(np.argmax(scores, axis=1) == np.asarray(y)))


@mistake("04.9", "argmax over axis 0 (the batch) instead of over each row", cause="axis")
def accuracy_axis0(scores, y):
    y = np.asarray(y)
    labels = np.argmax(y, axis=1) if y.ndim == 2 else y
    predictions = np.argmax(scores, axis=0)
    return float(np.mean(predictions[: len(labels)] == labels[: len(predictions)]))


# ---------------------------------------------------------------- 04.10
@mistake("04.10", "softmax without max-subtraction, then log", cause="overflow")
def softmax_cross_entropy_forward(logits, y):
    e = np.exp(logits)
    probs = e / e.sum(axis=1, keepdims=True)
    onehot = _one_hot(y, logits.shape[1])
    return float(-np.mean(np.log(np.sum(probs * onehot, axis=1)))), (probs, y)


@mistake("04.10", "stable softmax, then the clipped cross-entropy: caps each loss at 16.1")
def softmax_cross_entropy_forward_clipped(logits, y):
    probs = np.exp(_log_softmax(logits))
    onehot = _one_hot(y, logits.shape[1])
    correct = np.clip(np.sum(probs * onehot, axis=1), EPS, 1 - EPS)
    return float(-np.mean(np.log(correct))), (probs, y)


@mistake("04.10", "sums over the batch instead of averaging", cause="sum-mean")
def softmax_cross_entropy_forward_sum(logits, y):
    log_probs = _log_softmax(logits)
    return float(-np.sum(log_probs * _one_hot(y, logits.shape[1]))), (np.exp(log_probs), y)


# ---------------------------------------------------------------- 04.11
@mistake("04.11", "forgets the 1/B of the mean", cause="sum-mean")
def softmax_cross_entropy_backward(dout, cache):
    probs, y = cache
    return dout * (probs - _one_hot(y, probs.shape[1]))


@mistake("04.11", "onehot - probs: the sign is flipped", cause="sign")
def softmax_cross_entropy_backward_sign(dout, cache):
    probs, y = cache
    return dout * (_one_hot(y, probs.shape[1]) - probs) / len(probs)


@mistake("04.11", "subtracts 1 with dx[:, y] (whole columns) instead of dx[np.arange(B), y]")
def softmax_cross_entropy_backward_fancy(dout, cache):
    probs, y = cache
    y = np.argmax(y, axis=1) if np.ndim(y) == 2 else y
    dx = probs.copy()
    dx[:, y] -= 1
    return dout * dx / len(probs)


@mistake("04.11", "ignores dout", cause="dout")
def softmax_cross_entropy_backward_no_dout(dout, cache):
    probs, y = cache
    return (probs - _one_hot(y, probs.shape[1])) / len(probs)


@mistake("04.8", "np.where(pred > y, 1, -1): -1 where pred == y instead of sign(0) = 0")
def mae_backward_where(dout, cache):
    pred, y = cache
    return dout * np.where(pred > y, 1.0, -1.0) / pred.size


@mistake("04.10", "keeps the logits in the cache instead of the probabilities")
def softmax_cross_entropy_forward_cache_logits(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    onehot = np.eye(logits.shape[1])[y] if np.ndim(y) == 1 else y
    return float(-np.mean(np.sum(onehot * log_probs, axis=1))), (logits, y)


@mistake("04.10", "keeps the log-probabilities in the cache instead of the probabilities")
def softmax_cross_entropy_forward_cache_log_probs(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    onehot = np.eye(logits.shape[1])[y] if np.ndim(y) == 1 else y
    return float(-np.mean(np.sum(onehot * log_probs, axis=1))), (log_probs, y)


@mistake("04.11", "NNFS without the .copy(): subtracts 1 from the cached probs in place", cause="in-place")
def softmax_cross_entropy_backward_in_place(dout, cache):
    probs, y = cache
    B = len(probs)
    labels = np.argmax(y, axis=1) if np.ndim(y) == 2 else y
    probs[np.arange(B), labels] -= 1.0
    return dout * probs / B


@mistake("04.2", "builds the gradient only at integer labels: one-hot labels index whole rows")
def cross_entropy_backward_int_only(dout, cache):
    probs, y = cache
    B = len(probs)
    dprobs = np.zeros_like(probs)
    rows = np.arange(B)
    dprobs[rows, y] = -dout / np.clip(probs[rows, y], 1e-7, 1 - 1e-7) / B
    return dprobs


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
import numpy as np  # noqa: E402

from grader.author.mistakes import mistake  # noqa: E402
from solutions.ch04_losses import EPS as _EPS  # noqa: E402
from solutions.ch04_losses import _one_hot as _onehot  # noqa: E402


@mistake("04.1", "clips the caller's probabilities in place (np.clip(..., out=probs))",
         cause="in-place")
def cross_entropy_forward_clip_in_place(probs, y):
    np.clip(probs, _EPS, 1.0 - _EPS, out=probs)
    onehot = _onehot(np.asarray(y), probs.shape[1])
    return float(np.mean(-np.log(np.sum(probs * onehot, axis=1)))), (probs, y)


@mistake("04.2", "returns a float32 gradient for float64 probabilities", cause="dtype")
def cross_entropy_backward_float32(dout, cache):
    probs, y = cache
    B, K = probs.shape
    onehot = _onehot(np.asarray(y), K)
    return (-dout * onehot / np.clip(probs, _EPS, 1.0 - _EPS) / B).astype(np.float32)




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("04.1", "caches (y, probs): the pair in the wrong order")
def cross_entropy_forward_cache_swapped(probs, y):
    clipped = np.clip(probs, EPS, 1 - EPS)
    y = np.asarray(y)
    correct = clipped[np.arange(len(clipped)), y] if y.ndim == 1 else np.sum(clipped * y, axis=1)
    return float(np.mean(-np.log(correct))), (y, probs)


@mistake("04.2", "counts the classes from the labels (y.max() + 1): a batch without the last class breaks")
def cross_entropy_backward_classes_from_labels(dout, cache):
    probs, y = cache
    y = np.asarray(y)
    onehot = y.astype(float) if y.ndim == 2 else np.eye(y.max() + 1)[y]
    return -dout * onehot / np.clip(probs, EPS, 1 - EPS) / len(probs)


@mistake("04.3", "caches (y, probs): the pair in the wrong order")
def binary_cross_entropy_forward_cache_swapped(probs, y):
    p = np.clip(probs, EPS, 1 - EPS)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p)))), (y, probs)


@mistake("04.5", "caches (y, pred): the backward then gets the sign wrong")
def mse_forward_cache_swapped(pred, y):
    return float(np.mean((pred - y) ** 2)), (y, pred)


@mistake("04.7", "caches the residual pred - y instead of (pred, y)")
def mae_forward_cache_residual(pred, y):
    return float(np.mean(np.abs(pred - y))), (pred - y, np.zeros_like(y))


@mistake("04.9", "a tie counts as a hit: compares the correct class's score with the row maximum")
def accuracy_ties_are_hits(scores, y):
    y = np.asarray(y)
    labels = np.argmax(y, axis=1) if y.ndim == 2 else y
    return float(np.mean(scores[np.arange(len(scores)), labels] == scores.max(axis=1)))


@mistake("04.9", "one-hot detected by y.shape[-1] == K: integer labels of a batch of K rows are taken as one-hot")
def accuracy_one_hot_by_width(scores, y):
    y = np.asarray(y)
    labels = np.argmax(y, axis=-1) if y.shape[-1] == scores.shape[1] else y
    return float(np.mean(np.argmax(scores, axis=1) == labels))


@mistake("04.11", "counts the classes from the labels (y.max() + 1): a batch without the last class breaks")
def softmax_cross_entropy_backward_classes_from_labels(dout, cache):
    probs, y = cache
    y = np.asarray(y)
    onehot = y.astype(float) if y.ndim == 2 else np.eye(y.max() + 1)[y]
    return dout * (probs - onehot) / len(probs)


@mistake("04.10", "softmax over axis 0 when B == 1 is not caught: normalizes each column")
def softmax_cross_entropy_forward_axis0(logits, y):
    shifted = logits - logits.max(axis=0, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=0, keepdims=True))
    onehot = _one_hot(y, logits.shape[1])
    return float(-np.mean(np.sum(onehot * log_probs, axis=1))), (np.exp(log_probs), y)


@mistake("04.4", "divides by len(probs) * len(probs[0]) after squeezing: one example (B = 1) loses its axis")
def binary_cross_entropy_backward_squeezed(dout, cache):
    probs, y = cache
    p = np.squeeze(np.clip(probs, EPS, 1 - EPS))
    y = np.squeeze(y)
    return -dout * (y / p - (1 - y) / (1 - p)) / probs.size


@mistake("04.6", "squeezes the residual: one example (B = 1) or one output (N = 1) loses an axis")
def mse_backward_squeezed(dout, cache):
    pred, y = cache
    return dout * 2.0 * np.squeeze(pred - y) / pred.size
