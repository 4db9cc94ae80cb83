"""Graded tests for chapter 04 (losses and accuracy).

Every loss is a MEAN, so the tests use a batch B > 1 and name the "sum instead of mean" answer
as a suspect; gradients are checked by central differences of the learner's own forward with a
random upstream scalar dout and ``batch_size`` set, which recognizes a factor-B error. Oracles
(one-hot matrices, log-probabilities, expected numbers) are written out here.
"""

import math

import numpy as np
import pytest

EPS = 1e-7


def loss_of(check, result, quantity):
    """Unpack (loss, cache) and check the loss is one number."""
    check.true(isinstance(result, tuple) and len(result) == 2,
               f"{quantity} should return a pair (loss, cache)", f"it returned {type(result).__name__}")
    loss, cache = result
    check.true(np.ndim(loss) == 0, f"{quantity} returned a loss of shape {np.shape(loss)}, expected one number",
               "a loss is the MEAN over the batch (and over outputs): reduce it to a scalar")
    return float(loss), cache


def calm(check, call, quantity):
    try:
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            return call()
    except FloatingPointError as err:
        check.fail(f"{quantity} hit {err}", "clip probabilities before log(), and subtract the row max "
                   "before exp(): log(0) is -inf and exp(1000) is inf")


def one_hot_call(check, call, quantity):
    """Run call(); an indexing or broadcasting error means one-hot labels were not recognized."""
    try:
        return call()
    except (IndexError, ValueError) as err:
        check.fail(f"{quantity} failed with one-hot labels: {err}",
                   "labels come as integers y: (B,) or one-hot y: (B, K); check y.ndim and handle both")


def random_probs(rng, B, K):
    e = np.exp(rng.normal(size=(B, K)))
    return e / e.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------- 04.1 cross-entropy forward
@pytest.mark.exercise("04.1")
def test_cross_entropy_worked_example(kata, check):
    probs, y = np.array([[0.7, 0.2, 0.1], [0.1, 0.5, 0.4]]), np.array([0, 1])
    loss, _ = loss_of(check, kata.cross_entropy_forward(probs, y), "cross_entropy_forward")
    per_row = [-math.log(0.7), -math.log(0.5)]
    check.close(loss, sum(per_row) / 2, "cross_entropy_forward (rows 0.7 and 0.5 correct)",
                suspects={"you summed the losses instead of averaging over the batch": sum(per_row)})


@pytest.mark.exercise("04.1")
def test_cross_entropy_random_batch(kata, check, rng):
    probs, y = random_probs(rng, 4, 5), rng.integers(0, 5, size=4)
    loss, _ = loss_of(check, kata.cross_entropy_forward(probs, y), "cross_entropy_forward")
    picked = probs[np.arange(4), y]  # (B,): the probability of each row's true class
    check.close(loss, -np.mean(np.log(picked)), "cross_entropy_forward of a random (4, 5) batch",
                suspects={"you summed the losses instead of averaging over the batch":
                          -np.sum(np.log(picked)),
                          "you took probs[:, y] (a B x B block) instead of probs[np.arange(B), y]":
                          -np.mean(np.log(probs[:, y]))})


@pytest.mark.exercise("04.1")
def test_cross_entropy_one_hot_labels(kata, check, rng):
    probs, y = random_probs(rng, 4, 5), rng.integers(0, 5, size=4)
    result = one_hot_call(check, lambda: kata.cross_entropy_forward(probs, np.eye(5)[y]), "cross_entropy_forward")
    loss, _ = loss_of(check, result, "cross_entropy_forward")
    check.close(loss, -np.mean(np.log(probs[np.arange(4), y])),
                "cross_entropy_forward with one-hot labels y: (4, 5) (same loss as integer labels)")


@pytest.mark.exercise("04.1")
def test_cross_entropy_clips_both_sides(kata, check):
    probs = np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]])  # the correct class of row 0 has p = 0
    loss, _ = loss_of(check, calm(check, lambda: kata.cross_entropy_forward(probs, np.array([0, 1])),
                                  "cross_entropy_forward with a probability of 0"), "cross_entropy_forward")
    check.close(loss, (-math.log(EPS) - math.log(0.5)) / 2,
                "cross_entropy_forward where the correct class has probability exactly 0 (clip at 1e-7)")
    perfect, _ = loss_of(check, kata.cross_entropy_forward(np.eye(3)[[0, 2]], np.array([0, 2])),
                         "cross_entropy_forward")
    check.close(perfect, -math.log(1.0 - EPS), "cross_entropy_forward of a perfect prediction "
                "(clip the top too, at 1 - 1e-7, so p = 1 costs -log(1 - 1e-7), not 0)", atol=1e-12)


# ---------------------------------------------------------------- 04.2 cross-entropy backward
@pytest.mark.exercise("04.2")
def test_cross_entropy_backward_worked_example(kata, check):
    probs, y = np.array([[0.5, 0.25, 0.25], [0.2, 0.8, 0.0]]), np.array([0, 1])
    _, cache = loss_of(check, kata.cross_entropy_forward(probs, y), "cross_entropy_forward")
    dprobs = kata.cross_entropy_backward(1.0, cache)
    check.close(dprobs, [[-1.0, 0.0, 0.0], [0.0, -0.625, 0.0]],
                "cross_entropy_backward(1.0) (-1/p at the correct class, divided by B = 2)", batch_size=2)


@pytest.mark.exercise("04.2")
@pytest.mark.parametrize("one_hot", [False, True], ids=["integer labels", "one-hot labels"])
def test_cross_entropy_backward_gradient(kata, check, rng, one_hot):
    probs, y = rng.uniform(0.05, 0.95, size=(4, 5)), rng.integers(0, 5, size=4)
    labels = np.eye(5)[y] if one_hot else y
    dout = rng.uniform(0.5, 2.0)
    _, cache = loss_of(check, kata.cross_entropy_forward(probs, labels), "cross_entropy_forward")
    dprobs = kata.cross_entropy_backward(dout, cache)
    check.gradients(lambda probs: kata.cross_entropy_forward(probs, labels)[0], {"probs": probs},
                    {"probs": dprobs}, np.asarray(dout), "cross-entropy (random dout)", batch_size=4)


@pytest.mark.exercise("04.2")
def test_cross_entropy_backward_finite_at_zero(kata, check):
    probs = np.array([[0.0, 1.0], [0.3, 0.7]])
    _, cache = loss_of(check, kata.cross_entropy_forward(probs, np.array([0, 1])), "cross_entropy_forward")
    dprobs = check.shape(calm(check, lambda: kata.cross_entropy_backward(1.0, cache), "cross_entropy_backward"),
                         (2, 2), "cross_entropy_backward")
    check.true(np.all(np.isfinite(dprobs)) and dprobs[0, 0] < 0,
               f"cross_entropy_backward where the correct probability is 0 gave {dprobs[0, 0]}",
               "divide by the CLIPPED probabilities: -1 / 1e-7 is large but finite",
               "the book writes -y_true / dvalues (Loss_CategoricalCrossentropy.backward, ch. 9), "
               "unclipped; this course clips as the forward does, because the forward's loss is "
               "flat where it clips and a probability of exactly 0 must not give -inf")


# ---------------------------------------------------------------- 04.3 binary cross-entropy forward
@pytest.mark.exercise("04.3")
def test_binary_cross_entropy_worked_example(kata, check):
    probs, y = np.array([[0.8, 0.4], [0.5, 0.9]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    loss, _ = loss_of(check, kata.binary_cross_entropy_forward(probs, y), "binary_cross_entropy_forward")
    total = -(math.log(0.8) + math.log(0.6) + math.log(0.5) + math.log(0.9))
    check.close(loss, total / 4, "binary_cross_entropy_forward (mean over all 4 entries)",
                suspects={"you summed over everything instead of averaging": total,
                          "you averaged over the batch but summed over the outputs": total / 2,
                          "the (1 - y) log(1 - p) term is missing": -(math.log(0.8) + math.log(0.9)) / 4,
                          "the leading minus sign is missing": -total / 4})


@pytest.mark.exercise("04.3")
def test_binary_cross_entropy_random(kata, check, rng):
    probs, y = rng.uniform(0.01, 0.99, size=(4, 3)), rng.integers(0, 2, size=(4, 3)).astype(float)
    loss, _ = loss_of(check, kata.binary_cross_entropy_forward(probs, y), "binary_cross_entropy_forward")
    expected = -np.mean(np.where(y == 1, np.log(probs), np.log(1.0 - probs)))
    check.close(loss, expected, "binary_cross_entropy_forward of a random (4, 3) batch")


@pytest.mark.exercise("04.3")
def test_binary_cross_entropy_clips_both_sides(kata, check):
    probs, y = np.array([[0.0, 1.0], [0.0, 1.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    loss, _ = loss_of(check, calm(check, lambda: kata.binary_cross_entropy_forward(probs, y),
                                  "binary_cross_entropy_forward at p = 0 and p = 1"), "binary_cross_entropy_forward")
    check.close(loss, (-2 * math.log(1.0 - EPS) - 2 * math.log(EPS)) / 4,
                "binary_cross_entropy_forward at p exactly 0 and 1 (clip into [1e-7, 1 - 1e-7])")


# ---------------------------------------------------------------- 04.4 binary cross-entropy backward
@pytest.mark.exercise("04.4")
def test_binary_cross_entropy_backward_gradient(kata, check, rng):
    probs, y = rng.uniform(0.05, 0.95, size=(4, 3)), rng.integers(0, 2, size=(4, 3)).astype(float)
    dout = rng.uniform(0.5, 2.0)
    _, cache = loss_of(check, kata.binary_cross_entropy_forward(probs, y), "binary_cross_entropy_forward")
    dprobs = kata.binary_cross_entropy_backward(dout, cache)
    check.gradients(lambda probs: kata.binary_cross_entropy_forward(probs, y)[0], {"probs": probs},
                    {"probs": dprobs}, np.asarray(dout), "binary cross-entropy (random dout)", batch_size=4)


@pytest.mark.exercise("04.4")
def test_binary_cross_entropy_backward_worked_example(kata, check):
    probs, y = np.array([[0.8, 0.4], [0.5, 0.5]]), np.array([[1.0, 0.0], [0.0, 1.0]])
    _, cache = loss_of(check, kata.binary_cross_entropy_forward(probs, y), "binary_cross_entropy_forward")
    # -(y/p - (1-y)/(1-p)) / 4: -1/0.8/4, 1/0.6/4, 1/0.5/4, -1/0.5/4
    check.close(kata.binary_cross_entropy_backward(1.0, cache), [[-0.3125, 1 / 2.4], [0.5, -0.5]],
                "binary_cross_entropy_backward(1.0) (divided by all B * N = 4 entries)", batch_size=2)


# ---------------------------------------------------------------- 04.5-04.8 regression losses
PRED = np.array([[1.0, 2.0], [3.0, 4.0]])
TARGET = np.array([[2.0, 0.0], [0.0, 5.0]])  # differences pred - y: [[-1, 2], [3, -1]]


@pytest.mark.exercise("04.5")
def test_mse_worked_example(kata, check):
    loss, _ = loss_of(check, kata.mse_forward(PRED, TARGET), "mse_forward")
    check.close(loss, 15.0 / 4, "mse_forward (squares 1, 4, 9, 1 averaged over 4 entries)",
                suspects={"you summed instead of averaging": 15.0,
                          "you averaged over the batch only, summing the outputs": 7.5,
                          "the differences are not squared": 0.75})


@pytest.mark.exercise("04.5")
def test_mse_random(kata, check, rng):
    pred, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss, _ = loss_of(check, kata.mse_forward(pred, y), "mse_forward")
    check.close(loss, np.sum((pred - y) ** 2) / 12, "mse_forward of a random (4, 3) batch")


@pytest.mark.exercise("04.6")
def test_mse_backward_gradient(kata, check, rng):
    pred, y, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.uniform(0.5, 2.0)
    _, cache = loss_of(check, kata.mse_forward(pred, y), "mse_forward")
    check.gradients(lambda pred: kata.mse_forward(pred, y)[0], {"pred": pred},
                    {"pred": kata.mse_backward(dout, cache)}, np.asarray(dout), "MSE (random dout)", batch_size=4)


@pytest.mark.exercise("04.6")
def test_mse_backward_worked_example(kata, check):
    _, cache = loss_of(check, kata.mse_forward(PRED, TARGET), "mse_forward")
    check.close(kata.mse_backward(1.0, cache), [[-0.5, 1.0], [1.5, -0.5]],
                "mse_backward(1.0) (= 2 * (pred - y) / 4)", batch_size=2)


@pytest.mark.exercise("04.7")
def test_mae_worked_example(kata, check):
    loss, _ = loss_of(check, kata.mae_forward(PRED, TARGET), "mae_forward")
    check.close(loss, 7.0 / 4, "mae_forward (|-1| + |2| + |3| + |-1| over 4 entries)",
                suspects={"you summed instead of averaging": 7.0,
                          "you averaged over the batch only, summing the outputs": 3.5,
                          "the absolute value is missing": 0.75})


@pytest.mark.exercise("04.7")
def test_mae_random(kata, check, rng):
    pred, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    loss, _ = loss_of(check, kata.mae_forward(pred, y), "mae_forward")
    check.close(loss, np.sum(np.abs(pred - y)) / 12, "mae_forward of a random (4, 3) batch")


@pytest.mark.exercise("04.8")
def test_mae_backward_gradient(kata, check, rng):
    pred, y, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)), rng.uniform(0.5, 2.0)
    _, cache = loss_of(check, kata.mae_forward(pred, y), "mae_forward")
    check.gradients(lambda pred: kata.mae_forward(pred, y)[0], {"pred": pred},
                    {"pred": kata.mae_backward(dout, cache)}, np.asarray(dout), "MAE (random dout)", batch_size=4)


@pytest.mark.exercise("04.8")
def test_mae_backward_worked_example(kata, check):
    _, cache = loss_of(check, kata.mae_forward(PRED, TARGET), "mae_forward")
    check.close(kata.mae_backward(2.0, cache), [[-0.5, 0.5], [0.5, -0.5]],
                "mae_backward(2.0) (= 2 * sign(pred - y) / 4: the size of the error does not matter)",
                batch_size=2,
                suspects={"you take sign(y - pred): the book writes np.sign(y_true - dvalues) "
                          "(Loss_MeanAbsoluteError.backward, ch. 17), which is the gradient with the "
                          "wrong sign; this course uses sign(pred - y), the derivative of "
                          "|pred - y| with respect to pred": [[0.5, -0.5], [-0.5, 0.5]]})


@pytest.mark.exercise("04.8")
def test_mae_backward_is_zero_where_pred_equals_y(kata, check):
    pred, y = np.array([[1.0, 2.0, 3.0]]), np.array([[1.0, 0.0, 5.0]])
    _, cache = loss_of(check, kata.mae_forward(pred, y), "mae_forward")
    check.close(kata.mae_backward(1.0, cache), [[0.0, 1.0 / 3, -1.0 / 3]],
                "mae_backward(1.0) with pred == y in the first entry (sign(0) = 0: a hit is not pushed)",
                suspects={"the gradient is -1 (not 0) where pred == y": [[-1.0 / 3, 1.0 / 3, -1.0 / 3]],
                          "you take sign(y - pred): the book writes np.sign(y_true - dvalues) "
                          "(Loss_MeanAbsoluteError.backward, ch. 17), which is the gradient with the "
                          "wrong sign; this course uses sign(pred - y), the derivative of "
                          "|pred - y| with respect to pred": [[0.0, -1.0 / 3, 1.0 / 3]],
                          "the gradient is +1 (not 0) where pred == y": [[1.0 / 3, 1.0 / 3, -1.0 / 3]]})


# ---------------------------------------------------------------- 04.9 accuracy
SCORES = np.array([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
LABELS = np.array([1, 0, 1, 0])  # the third row is wrong: 3 of 4


@pytest.mark.exercise("04.9")
def test_accuracy_worked_example(kata, check):
    acc = kata.accuracy(SCORES, LABELS)
    check.true(np.ndim(acc) == 0, f"accuracy returned shape {np.shape(acc)}", "return one number, the fraction")
    check.close(acc, 0.75, "accuracy (3 of 4 rows have their highest score at the label)",
                suspects={"you counted correct rows instead of taking the fraction": 3.0})


@pytest.mark.exercise("04.9")
def test_accuracy_one_hot_labels(kata, check):
    acc = one_hot_call(check, lambda: kata.accuracy(SCORES, np.eye(3)[LABELS]), "accuracy")
    check.close(acc, 0.75, "accuracy with one-hot labels (turn them into class ids)")


@pytest.mark.exercise("04.9")
def test_accuracy_random_logits(kata, check, rng):
    logits, y = rng.normal(size=(40, 3)), rng.integers(0, 3, size=40)
    expected = sum(int(np.argmax(row) == label) for row, label in zip(logits, y)) / 40
    check.close(kata.accuracy(logits, y), expected, "accuracy of random logits (B = 40, K = 3)")


# ---------------------------------------------------------------- 04.10 softmax cross-entropy forward
@pytest.mark.exercise("04.10")
def test_softmax_cross_entropy_worked_example(kata, check):
    logits, y = np.array([[0.0, math.log(2.0), math.log(5.0)], [0.0, 0.0, 0.0]]), np.array([2, 0])
    loss, _ = loss_of(check, kata.softmax_cross_entropy_forward(logits, y), "softmax_cross_entropy_forward")
    per_row = [-math.log(5.0 / 8.0), math.log(3.0)]
    check.close(loss, sum(per_row) / 2, "softmax_cross_entropy_forward (probabilities 5/8 and 1/3)",
                suspects={"you summed over the batch instead of averaging": sum(per_row)})


@pytest.mark.exercise("04.10")
@pytest.mark.parametrize("one_hot", [False, True], ids=["integer labels", "one-hot labels"])
def test_softmax_cross_entropy_random(kata, check, rng, one_hot):
    logits, y = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)
    loss, _ = loss_of(check, kata.softmax_cross_entropy_forward(logits, np.eye(5)[y] if one_hot else y),
                      "softmax_cross_entropy_forward")
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    check.close(loss, -np.mean(log_probs[np.arange(4), y]), "softmax_cross_entropy_forward, random (4, 5)")


@pytest.mark.exercise("04.10")
def test_softmax_cross_entropy_exact_at_extreme_logits(kata, check):
    logits, y = np.array([[1000.0, -1000.0], [0.0, 50.0]]), np.array([1, 0])
    loss, _ = loss_of(check, calm(check, lambda: kata.softmax_cross_entropy_forward(logits, y),
                                  "softmax_cross_entropy_forward at +-1000"), "softmax_cross_entropy_forward")
    expected = (2000.0 + 50.0 + math.log1p(math.exp(-50.0))) / 2
    check.close(loss, expected, "softmax_cross_entropy_forward with the correct class 2000 and 50 below "
                "(use log-softmax = shifted - log(sum(exp(shifted))): clipping at 1e-7 would cap each loss at 16.1)",
                suspects={"probabilities were clipped at 1e-7 before the log (the book's "
                          "Activation_Softmax_Loss_CategoricalCrossentropy.forward, ch. 9, runs "
                          "softmax and then the clipped cross-entropy; this course asks for the "
                          "log-softmax because a fused forward can be exact, and a capped loss "
                          "hides how wrong a confident mistake is)": -math.log(EPS)})


@pytest.mark.exercise("04.10")
def test_softmax_cross_entropy_caches_probs(kata, check, rng):
    # The fused backward is (probs - onehot) / B: the cache must hold probs, not logits or log-probs.
    logits, y = rng.normal(size=(3, 4)), rng.integers(0, 4, size=3)
    _, cache = loss_of(check, kata.softmax_cross_entropy_forward(logits, y), "softmax_cross_entropy_forward")
    check.true(isinstance(cache, tuple) and len(cache) == 2,
               "the cache of softmax_cross_entropy_forward should be the pair (probs, y)",
               f"it is {type(cache).__name__}")
    e = np.exp(logits)
    check.close(cache[0], e / e.sum(axis=1, keepdims=True),
                "cache[0] of softmax_cross_entropy_forward (should be the softmax probabilities)")
    check.close(cache[1], y, "cache[1] of softmax_cross_entropy_forward (should be the labels y)", rtol=0, atol=0)


# ---------------------------------------------------------------- 04.11 softmax cross-entropy backward
@pytest.mark.exercise("04.11")
def test_softmax_cross_entropy_backward_worked_example(kata, check):
    _, cache = loss_of(check, kata.softmax_cross_entropy_forward(np.zeros((2, 4)), np.array([0, 3])),
                       "softmax_cross_entropy_forward")
    dlogits = kata.softmax_cross_entropy_backward(1.0, cache)
    check.close(dlogits, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]],
                "softmax_cross_entropy_backward(1.0) at uniform probs (= (0.25 - onehot) / 2)", batch_size=2)


@pytest.mark.exercise("04.11")
@pytest.mark.parametrize("one_hot", [False, True], ids=["integer labels", "one-hot labels"])
def test_softmax_cross_entropy_backward_gradient(kata, check, rng, one_hot):
    logits, y = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)
    labels, dout = (np.eye(5)[y] if one_hot else y), rng.uniform(0.5, 2.0)
    _, cache = loss_of(check, kata.softmax_cross_entropy_forward(logits, labels), "softmax_cross_entropy_forward")
    dlogits = kata.softmax_cross_entropy_backward(dout, cache)
    check.gradients(lambda logits: kata.softmax_cross_entropy_forward(logits, labels)[0], {"logits": logits},
                    {"logits": dlogits}, np.asarray(dout), "softmax cross-entropy (random dout)", batch_size=4)


@pytest.mark.exercise("04.11")
def test_softmax_cross_entropy_backward_is_probs_minus_onehot(kata, check, rng):
    logits, y = rng.normal(size=(6, 3)), rng.integers(0, 3, size=6)
    _, cache = loss_of(check, kata.softmax_cross_entropy_forward(logits, y), "softmax_cross_entropy_forward")
    e = np.exp(logits)
    expected = (e / e.sum(axis=1, keepdims=True) - np.eye(3)[y]) / 6
    check.close(kata.softmax_cross_entropy_backward(1.0, cache), expected,
                "softmax_cross_entropy_backward(1.0) (= (probs - onehot) / B, B = 6)", batch_size=6)


@pytest.mark.exercise("04.11")
def test_softmax_cross_entropy_backward_leaves_cache_intact(kata, check, rng):
    logits, y = rng.normal(size=(4, 3)), rng.integers(0, 3, size=4)
    _, cache = loss_of(check, kata.softmax_cross_entropy_forward(logits, y), "softmax_cross_entropy_forward")
    probs_before = np.array(cache[0], dtype=float, copy=True)
    first = check.array(kata.softmax_cross_entropy_backward(1.0, cache), "softmax_cross_entropy_backward")
    check.close(cache[0], probs_before, "the cached probs after softmax_cross_entropy_backward "
                "(they must not change: copy probs before subtracting 1 at the correct class)", rtol=0, atol=0)
    second = kata.softmax_cross_entropy_backward(1.0, cache)
    check.close(second, first, "a second softmax_cross_entropy_backward(1.0) with the same cache",
                rtol=0, atol=0)


# ---------------------------------------------------------------- edge cases (issue 10 §2)
# Each forward's cache is checked in the forward exercise itself, so a wrong cache costs the
# forward's points; sizes cover one example, two classes and many classes, labels that do not
# use every class, ties and constant rows.
SIZES = [(1, 4), (5, 2), (3, 6)]
SIZE_IDS = ["B=1,K=4", "B=5,K=2", "B=3,K=6"]


def check_cache(check, cache, parts, quantity):
    """cache must be the tuple of ``parts`` (name -> array given to the forward), in that order."""
    names = ", ".join(parts)
    check.true(isinstance(cache, (tuple, list)) and len(cache) == len(parts),
               f"the cache of {quantity} should be the pair ({names})",
               f"it is {type(cache).__name__}" + (f" of {len(cache)}" if isinstance(cache, (tuple, list)) else ""),
               "the backward unpacks it in this order")
    for i, (name, given) in enumerate(parts.items()):
        check.close(cache[i], given, f"cache[{i}] of {quantity} (should be {name}, exactly as given)",
                    rtol=0, atol=0)


def labels_without_last_class(rng, b, k):
    """Integer labels that never use the last class (as a minibatch may not)."""
    return rng.integers(0, k - 1, size=b)


@pytest.mark.exercise("04.1")
@pytest.mark.parametrize("one_hot", [False, True], ids=["integer labels", "one-hot labels"])
def test_cross_entropy_caches_probs_and_labels(kata, check, rng, one_hot):
    probs, y = random_probs(rng, 3, 4), rng.integers(0, 4, size=3)
    labels = np.eye(4)[y] if one_hot else y
    _, cache = loss_of(check, one_hot_call(check, lambda: kata.cross_entropy_forward(probs, labels),
                                           "cross_entropy_forward"), "cross_entropy_forward")
    check_cache(check, cache, {"probs": probs, "y": labels}, "cross_entropy_forward")


@pytest.mark.exercise("04.1")
@pytest.mark.parametrize("b, k", SIZES, ids=SIZE_IDS)
def test_cross_entropy_at_edge_sizes(kata, check, rng, b, k):
    probs, y = random_probs(rng, b, k), labels_without_last_class(rng, b, k)
    for labels, kind in ((y, "integer"), (np.eye(k)[y], "one-hot")):
        loss, _ = loss_of(check, one_hot_call(check, lambda: kata.cross_entropy_forward(probs, labels),
                                              "cross_entropy_forward"), "cross_entropy_forward")
        expected = -math.fsum(math.log(probs[i, y[i]]) for i in range(b)) / b
        check.close(loss, expected, f"cross_entropy_forward with B={b}, K={k}, {kind} labels")


@pytest.mark.exercise("04.2")
@pytest.mark.parametrize("b, k", SIZES, ids=SIZE_IDS)
def test_cross_entropy_backward_at_edge_sizes(kata, check, rng, b, k):
    probs, y = rng.uniform(0.05, 0.95, size=(b, k)), labels_without_last_class(rng, b, k)
    dout = rng.uniform(0.5, 2.0)
    for labels, kind in ((y, "integer"), (np.eye(k)[y], "one-hot")):
        _, cache = loss_of(check, kata.cross_entropy_forward(probs, labels), "cross_entropy_forward")
        expected = np.zeros((b, k))
        expected[np.arange(b), y] = -dout / probs[np.arange(b), y] / b
        dprobs = check.shape(kata.cross_entropy_backward(dout, cache), (b, k),
                             f"cross_entropy_backward with B={b}, K={k}, {kind} labels (K comes from "
                             "probs, not from the labels present in the batch)")
        check.close(dprobs, expected, f"cross_entropy_backward with B={b}, K={k}, {kind} labels",
                    batch_size=b)


@pytest.mark.exercise("04.3")
def test_binary_cross_entropy_caches_probs_and_targets(kata, check, rng):
    probs, y = rng.uniform(0.05, 0.95, size=(3, 2)), rng.integers(0, 2, size=(3, 2)).astype(float)
    _, cache = loss_of(check, kata.binary_cross_entropy_forward(probs, y), "binary_cross_entropy_forward")
    check_cache(check, cache, {"probs": probs, "y": y}, "binary_cross_entropy_forward")


@pytest.mark.exercise("04.5")
def test_mse_caches_pred_and_targets(kata, check, rng):
    pred, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    _, cache = loss_of(check, kata.mse_forward(pred, y), "mse_forward")
    check_cache(check, cache, {"pred": pred, "y": y}, "mse_forward")


@pytest.mark.exercise("04.7")
def test_mae_caches_pred_and_targets(kata, check, rng):
    pred, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    _, cache = loss_of(check, kata.mae_forward(pred, y), "mae_forward")
    check_cache(check, cache, {"pred": pred, "y": y}, "mae_forward")


@pytest.mark.exercise("04.9")
def test_accuracy_ties_go_to_the_first_highest_score(kata, check):
    scores = np.array([[0.4, 0.4, 0.2], [0.1, 0.45, 0.45], [0.3, 0.3, 0.4], [0.5, 0.2, 0.3]])
    y = np.array([1, 1, 2, 0])  # ties in rows 0 and 1: argmax picks 0 and 1
    check.close(kata.accuracy(scores, y), 0.75, "accuracy with tied scores (row 0 ties classes 0 "
                "and 1 and predicts 0, as np.argmax does; its label 1 is not a hit)",
                suspects={"a tie counts as a hit for every tied class (scores[b, y] == max)": 1.0})


@pytest.mark.exercise("04.9")
def test_accuracy_when_rows_equal_classes(kata, check):
    # B = K = 3: integer labels (3,) and a one-hot row (3,) have the same length; decide by y.ndim.
    scores = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    check.close(kata.accuracy(scores, np.array([1, 0, 0])), 2.0 / 3,
                "accuracy of 3 rows and 3 classes with integer labels [1, 0, 0] (tell integer labels "
                "from one-hot by y.ndim, not by the length of y)")


@pytest.mark.exercise("04.9")
@pytest.mark.parametrize("b, k", SIZES, ids=SIZE_IDS)
def test_accuracy_of_constant_scores(kata, check, rng, b, k):
    y = rng.integers(0, k, size=b)
    y[0] = 1  # at least one row whose label is not class 0
    expected = float(np.count_nonzero(y == 0)) / b
    check.close(kata.accuracy(np.full((b, k), 0.5), y), expected,
                f"accuracy of constant scores with B={b}, K={k} (every row predicts class 0, the "
                "first of equal scores)",
                suspects={"a tie counts as a hit for every tied class (scores[b, y] == max)": 1.0})
    check.close(kata.accuracy(np.full((b, k), 0.5), np.eye(k)[y]), expected,
                f"accuracy of constant scores with B={b}, K={k}, one-hot labels")


@pytest.mark.exercise("04.10")
@pytest.mark.parametrize("b, k", SIZES, ids=SIZE_IDS)
def test_softmax_cross_entropy_at_edge_sizes(kata, check, rng, b, k):
    logits, y = 3.0 * rng.normal(size=(b, k)), labels_without_last_class(rng, b, k)
    for labels, kind in ((y, "integer"), (np.eye(k)[y], "one-hot")):
        loss, cache = loss_of(check, kata.softmax_cross_entropy_forward(logits, labels),
                              "softmax_cross_entropy_forward")
        rows = logits.tolist()
        log_z = [max(r) + math.log(math.fsum(math.exp(v - max(r)) for v in r)) for r in rows]
        check.close(loss, math.fsum(log_z[i] - rows[i][y[i]] for i in range(b)) / b,
                    f"softmax_cross_entropy_forward with B={b}, K={k}, {kind} labels")
        check.close(cache[0], [[math.exp(v - z) for v in r] for r, z in zip(rows, log_z)],
                    f"cache[0] of softmax_cross_entropy_forward with B={b}, K={k} (the probabilities)")


@pytest.mark.exercise("04.11")
@pytest.mark.parametrize("b, k", SIZES, ids=SIZE_IDS)
def test_softmax_cross_entropy_backward_at_edge_sizes(kata, check, rng, b, k):
    logits, y = rng.normal(size=(b, k)), labels_without_last_class(rng, b, k)
    dout = rng.uniform(0.5, 2.0)
    for labels, kind in ((y, "integer"), (np.eye(k)[y], "one-hot")):
        _, cache = loss_of(check, kata.softmax_cross_entropy_forward(logits, labels),
                           "softmax_cross_entropy_forward")
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        expected = e / e.sum(axis=1, keepdims=True)
        expected[np.arange(b), y] -= 1.0
        dlogits = check.shape(kata.softmax_cross_entropy_backward(dout, cache), (b, k),
                              f"softmax_cross_entropy_backward with B={b}, K={k}, {kind} labels")
        check.close(dlogits, dout * expected / b,
                    f"softmax_cross_entropy_backward with B={b}, K={k}, {kind} labels (K comes from "
                    "probs, not from the labels present in the batch)", batch_size=b)


REGRESSION_SIZES = [(1, 1), (1, 4), (6, 1)]
REGRESSION_IDS = ["B=1,N=1", "B=1,N=4", "B=6,N=1"]


@pytest.mark.exercise("04.3")
@pytest.mark.parametrize("b, n", REGRESSION_SIZES, ids=REGRESSION_IDS)
def test_binary_cross_entropy_at_edge_sizes(kata, check, rng, b, n):
    probs, y = rng.uniform(0.05, 0.95, size=(b, n)), rng.integers(0, 2, size=(b, n)).astype(float)
    loss, _ = loss_of(check, kata.binary_cross_entropy_forward(probs, y), "binary_cross_entropy_forward")
    terms = [-(t * math.log(p) + (1 - t) * math.log(1 - p)) for p, t in zip(probs.ravel(), y.ravel())]
    check.close(loss, math.fsum(terms) / (b * n), f"binary_cross_entropy_forward with B={b}, N={n} "
                "(the mean over all B * N entries)")


@pytest.mark.exercise("04.4")
@pytest.mark.parametrize("b, n", REGRESSION_SIZES, ids=REGRESSION_IDS)
def test_binary_cross_entropy_backward_at_edge_sizes(kata, check, rng, b, n):
    probs, y = rng.uniform(0.05, 0.95, size=(b, n)), rng.integers(0, 2, size=(b, n)).astype(float)
    dout = rng.uniform(0.5, 2.0)
    _, cache = loss_of(check, kata.binary_cross_entropy_forward(probs, y), "binary_cross_entropy_forward")
    expected = -dout * (y / probs - (1 - y) / (1 - probs)) / (b * n)
    check.close(check.shape(kata.binary_cross_entropy_backward(dout, cache), (b, n),
                            f"binary_cross_entropy_backward with B={b}, N={n}"),
                expected, f"binary_cross_entropy_backward with B={b}, N={n}", batch_size=b)


@pytest.mark.exercise("04.5")
@pytest.mark.parametrize("b, n", REGRESSION_SIZES, ids=REGRESSION_IDS)
def test_mse_at_edge_sizes(kata, check, rng, b, n):
    pred, y = rng.normal(size=(b, n)), rng.normal(size=(b, n))
    loss, _ = loss_of(check, kata.mse_forward(pred, y), "mse_forward")
    check.close(loss, math.fsum(((pred - y) ** 2).ravel()) / (b * n), f"mse_forward with B={b}, N={n}")


@pytest.mark.exercise("04.6")
@pytest.mark.parametrize("b, n", REGRESSION_SIZES, ids=REGRESSION_IDS)
def test_mse_backward_at_edge_sizes(kata, check, rng, b, n):
    pred, y, dout = rng.normal(size=(b, n)), rng.normal(size=(b, n)), rng.uniform(0.5, 2.0)
    _, cache = loss_of(check, kata.mse_forward(pred, y), "mse_forward")
    check.close(check.shape(kata.mse_backward(dout, cache), (b, n), f"mse_backward with B={b}, N={n}"),
                dout * 2 * (pred - y) / (b * n), f"mse_backward with B={b}, N={n}", batch_size=b)


@pytest.mark.exercise("04.7")
@pytest.mark.parametrize("b, n", REGRESSION_SIZES, ids=REGRESSION_IDS)
def test_mae_at_edge_sizes(kata, check, rng, b, n):
    pred, y = rng.normal(size=(b, n)), rng.normal(size=(b, n))
    loss, _ = loss_of(check, kata.mae_forward(pred, y), "mae_forward")
    check.close(loss, math.fsum(np.abs(pred - y).ravel()) / (b * n), f"mae_forward with B={b}, N={n}")


@pytest.mark.exercise("04.8")
@pytest.mark.parametrize("b, n", REGRESSION_SIZES, ids=REGRESSION_IDS)
def test_mae_backward_at_edge_sizes(kata, check, rng, b, n):
    pred, y, dout = rng.normal(size=(b, n)), rng.normal(size=(b, n)), rng.uniform(0.5, 2.0)
    _, cache = loss_of(check, kata.mae_forward(pred, y), "mae_forward")
    check.close(check.shape(kata.mae_backward(dout, cache), (b, n), f"mae_backward with B={b}, N={n}"),
                dout * np.sign(pred - y) / (b * n), f"mae_backward with B={b}, N={n}", batch_size=b)
