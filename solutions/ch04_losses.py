"""Chapter 04 - Loss functions and accuracy ("Neural Networks from Scratch", ch. 5, 9, 16, 17).

API (every loss is the MEAN over the batch, returned as a Python float; dout is the upstream
gradient of that scalar, usually 1.0; each backward returns the gradient of its first input):

    cross_entropy_forward(probs, y)        -> (loss, cache)   cross_entropy_backward(dout, cache)        -> dprobs
    binary_cross_entropy_forward(probs, y) -> (loss, cache)   binary_cross_entropy_backward(dout, cache) -> dprobs
    mse_forward(pred, y)                   -> (loss, cache)   mse_backward(dout, cache)                  -> dpred
    mae_forward(pred, y)                   -> (loss, cache)   mae_backward(dout, cache)                  -> dpred
    softmax_cross_entropy_forward(logits, y) -> (loss, cache) softmax_cross_entropy_backward(dout, cache) -> dlogits
    accuracy(scores, y) -> float

Shapes: probs, logits, scores: (B, K); class labels y: (B,) integers in [0, K) or (B, K) one-hot.
Binary CE, MSE and MAE: pred/probs and y both (B, N). Averaging (not summing) over the batch keeps
the loss and the step size independent of B; hence every gradient carries a 1/B.
"""

from __future__ import annotations

import numpy as np

EPS = 1e-7  # clip probabilities into [EPS, 1 - EPS] so log() stays finite (NNFS ch. 5)


def _one_hot(y: np.ndarray, n_classes: int) -> np.ndarray:
    """Provided: (B,) integer labels -> (B, K) one-hot rows; (B, K) one-hot passes through."""
    y = np.asarray(y)
    if y.ndim == 2:
        return y.astype(np.float64)
    return np.eye(n_classes)[y]  # (B, K): row b is e_{y[b]}


def cross_entropy_forward(probs: np.ndarray, y: np.ndarray) -> tuple[float, tuple]:
    """loss = mean over b of -log(p_b), p_b = clip(probs, EPS, 1 - EPS)[b, correct class of b].

    probs: (B, K) rows of a softmax; y: (B,) labels or (B, K) one-hot. cache = (probs, y).
    Clipping both ends: log(0) = -inf is avoided, and a perfect prediction costs a tiny
    -log(1 - EPS) rather than exactly 0, so neither end is favoured.

    >>> loss, cache = cross_entropy_forward(np.array([[0.5, 0.5], [0.25, 0.75]]), np.array([0, 1]))
    >>> round(loss, 4), round(float(-(np.log(0.5) + np.log(0.75)) / 2), 4)
    (0.4904, 0.4904)
    """
    ### BEGIN SOLUTION
    clipped = np.clip(probs, EPS, 1.0 - EPS)
    y = np.asarray(y)
    if y.ndim == 1:
        correct = clipped[np.arange(len(clipped)), y]  # (B,): one entry per row
    else:
        correct = np.sum(clipped * y, axis=1)  # (B,): the one-hot picks the same entry
    return float(np.mean(-np.log(correct))), (probs, y)
    ### END SOLUTION


def cross_entropy_backward(dout: float, cache: tuple) -> np.ndarray:
    """dprobs = -dout * onehot / clip(probs, EPS, 1 - EPS) / B, shape (B, K).

    d(-log p)/dp = -1/p for the correct class and 0 for the others; 1/B from the mean. Dividing
    by the clipped probs keeps the gradient finite where a probability is exactly 0.

    >>> loss, cache = cross_entropy_forward(np.array([[0.5, 0.5], [0.25, 0.75]]), np.array([0, 1]))
    >>> dprobs = cross_entropy_backward(1.0, cache)
    >>> dprobs[[0, 1], [0, 1]]
    array([-1.    , -0.6667])
    """
    probs, y = cache
    ### BEGIN SOLUTION
    B, K = probs.shape
    onehot = _one_hot(y, K)  # (B, K)
    return -dout * onehot / np.clip(probs, EPS, 1.0 - EPS) / B
    ### END SOLUTION


def binary_cross_entropy_forward(probs: np.ndarray, y: np.ndarray) -> tuple[float, tuple]:
    """loss = mean over all B*N entries of -(y log p + (1 - y) log(1 - p)), p = clip(probs).

    probs: (B, N) sigmoid outputs, y: (B, N) targets in {0, 1}. cache = (probs, y). (NNFS ch. 16.)

    >>> loss, cache = binary_cross_entropy_forward(np.array([[0.5], [0.9]]), np.array([[1.0], [0.0]]))
    >>> round(loss, 4)
    1.4979
    """
    ### BEGIN SOLUTION
    p = np.clip(probs, EPS, 1.0 - EPS)
    losses = -(y * np.log(p) + (1.0 - y) * np.log(1.0 - p))  # (B, N)
    return float(np.mean(losses)), (probs, y)
    ### END SOLUTION


def binary_cross_entropy_backward(dout: float, cache: tuple) -> np.ndarray:
    """dprobs = -dout * (y / p - (1 - y) / (1 - p)) / (B * N), p = clip(probs): (B, N).

    >>> loss, cache = binary_cross_entropy_forward(np.array([[0.5], [0.8]]), np.array([[1.0], [0.0]]))
    >>> binary_cross_entropy_backward(1.0, cache)
    array([[-1. ],
           [ 2.5]])
    """
    probs, y = cache
    ### BEGIN SOLUTION
    p = np.clip(probs, EPS, 1.0 - EPS)
    return -dout * (y / p - (1.0 - y) / (1.0 - p)) / probs.size
    ### END SOLUTION


def mse_forward(pred: np.ndarray, y: np.ndarray) -> tuple[float, tuple]:
    """Mean squared error: loss = mean over all B*N entries of (pred - y)**2. cache = (pred, y).

    >>> mse_forward(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [3.0, 3.0]]))[0]
    1.25
    """
    ### BEGIN SOLUTION
    return float(np.mean((pred - y) ** 2)), (pred, y)
    ### END SOLUTION


def mse_backward(dout: float, cache: tuple) -> np.ndarray:
    """dpred = dout * 2 * (pred - y) / (B * N): (B, N).

    >>> loss, cache = mse_forward(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [3.0, 3.0]]))
    >>> mse_backward(1.0, cache)
    array([[0. , 1. ],
           [0. , 0.5]])
    """
    pred, y = cache
    ### BEGIN SOLUTION
    return dout * 2.0 * (pred - y) / pred.size
    ### END SOLUTION


def mae_forward(pred: np.ndarray, y: np.ndarray) -> tuple[float, tuple]:
    """Mean absolute error: loss = mean over all B*N entries of |pred - y|. cache = (pred, y).

    >>> mae_forward(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [3.0, 3.0]]))[0]
    0.75
    """
    ### BEGIN SOLUTION
    return float(np.mean(np.abs(pred - y))), (pred, y)
    ### END SOLUTION


def mae_backward(dout: float, cache: tuple) -> np.ndarray:
    """dpred = dout * sign(pred - y) / (B * N): (B, N). (At pred == y we use sign(0) = 0.)

    >>> loss, cache = mae_forward(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 3.0], [3.0, 3.0]]))
    >>> mae_backward(1.0, cache)
    array([[ 0.25, -0.25],
           [ 0.  ,  0.25]])
    """
    pred, y = cache
    ### BEGIN SOLUTION
    return dout * np.sign(pred - y) / pred.size
    ### END SOLUTION


def accuracy(scores: np.ndarray, y: np.ndarray) -> float:
    """Fraction of rows whose highest score is the correct class. scores: (B, K) (probs or
    logits: the argmax is the same); y: (B,) labels or (B, K) one-hot. A tie goes to the first
    of the highest scores, as np.argmax decides it: a row of equal scores predicts class 0.

    >>> accuracy(np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]]), np.array([1, 0, 0]))
    0.6666666666666666
    """
    ### BEGIN SOLUTION
    y = np.asarray(y)
    labels = np.argmax(y, axis=1) if y.ndim == 2 else y  # (B,)
    return float(np.mean(np.argmax(scores, axis=1) == labels))
    ### END SOLUTION


def softmax_cross_entropy_forward(logits: np.ndarray, y: np.ndarray) -> tuple[float, tuple]:
    """Softmax then cross-entropy in one step, exact even where a probability underflows.

    log probs[b, k] = shifted[b, k] - log(sum_j exp(shifted[b, j])), shifted = logits - row max,
    loss = mean over b of -log probs[b, correct class]. No clipping: the log is taken of the
    sum, which is >= 1. logits: (B, K); y: (B,) or (B, K). cache = (probs, y), probs: (B, K).

    >>> loss, cache = softmax_cross_entropy_forward(np.array([[0.0, 0.0], [1000.0, 0.0]]), np.array([0, 0]))
    >>> round(loss, 4), round(float(np.log(2) / 2), 4)
    (0.3466, 0.3466)
    """
    ### BEGIN SOLUTION
    shifted = logits - logits.max(axis=1, keepdims=True)  # (B, K), row max is 0
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    onehot = _one_hot(y, logits.shape[1])  # (B, K)
    loss = float(-np.mean(np.sum(onehot * log_probs, axis=1)))
    return loss, (np.exp(log_probs), y)
    ### END SOLUTION


def softmax_cross_entropy_backward(dout: float, cache: tuple) -> np.ndarray:
    """dlogits = dout * (probs - onehot) / B: (B, K). (NNFS ch. 9's fused backward.)

    The softmax Jacobian and the -1/p of the log cancel: d loss_b / d logits_b = probs_b - onehot_b.

    >>> loss, cache = softmax_cross_entropy_forward(np.array([[0.0, 0.0], [0.0, 0.0]]), np.array([0, 1]))
    >>> softmax_cross_entropy_backward(1.0, cache)
    array([[-0.25,  0.25],
           [ 0.25, -0.25]])
    """
    probs, y = cache
    ### BEGIN SOLUTION
    B, K = probs.shape
    return dout * (probs - _one_hot(y, K)) / B
    ### END SOLUTION
