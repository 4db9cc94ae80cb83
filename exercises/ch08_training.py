# Chapter 08: Training. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch08_training.py.)
"""Chapter 08 - Training: data, minibatches, the training loop, saving what was learned.

"Neural Networks from Scratch", ch. 11 (testing data), 18-19 (the model object, datasets),
20-21 (minibatches, saving and loading). Part I's capstone: everything a network needs to learn
from data, built on chapters 02-07, and nothing else.

Data are generated in code from an explicit ``rng``, never downloaded. Classification data are
ordered class by class (y = 0...0, 1...1, ...); ``train_val_split`` and ``minibatches`` shuffle.

    X: (B, D) inputs     y: (B,) int labels (classification) or (B, 1) targets (regression)

A *task* says which loss and which score to use (provided, not an exercise):
``"ce"`` = softmax cross-entropy scored by accuracy; ``"mse"`` = mean squared error scored by
R^2 = 1 - sum((pred - y)^2) / sum((y - mean(y))^2).
"""

from __future__ import annotations

import numpy as np

from .ch03_activations import ReLU  # noqa: F401 - building blocks for Sequential models
from .ch04_losses import (accuracy, mse_backward, mse_forward, softmax_cross_entropy_backward,
                          softmax_cross_entropy_forward)
from .ch05_backprop import MLP, Dense  # noqa: F401
from .ch06_optimizers import SGD, Adam  # noqa: F401
from .ch07_regularization import Dropout  # noqa: F401
from .core import Module, Parameter


def r2_score(pred: np.ndarray, y: np.ndarray) -> float:
    """Coefficient of determination of pred, y: (B, N): 1 for a perfect fit, 0 for predicting the mean."""
    return float(1.0 - np.sum((pred - y) ** 2) / np.sum((y - np.mean(y)) ** 2))


TASKS = {  # name -> (loss forward, loss backward, score, score name)
    "ce": (softmax_cross_entropy_forward, softmax_cross_entropy_backward, accuracy, "accuracy"),
    "mse": (mse_forward, mse_backward, r2_score, "r2"),
}


class Sequential(Module):
    """Provided container: layers applied in order; backward in reverse order."""

    def __init__(self, layers: list):
        self.layers = list(layers)

    def forward(self, x: np.ndarray) -> np.ndarray:
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout: np.ndarray) -> np.ndarray:
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout


def spiral_data(rng: np.random.Generator, n_per_class: int, n_classes: int = 3):
    """NNFS's spiral: n_classes interleaved arms. Returns X: (n_per_class*K, 2), y: (n_per_class*K,) int.

    For class k, with r = linspace(0, 1, n_per_class) and noise z ~ N(0, 1) drawn from rng as a
    (n_classes, n_per_class) array:  t = linspace(4k, 4k + 4, n_per_class) + 0.2 * z[k];
    X = [r * sin(2.5 t), r * cos(2.5 t)]. The radius is exact; only the angle is noisy.

    >>> X, y = spiral_data(np.random.default_rng(0), 100, 3)
    >>> X.shape, y.shape, np.bincount(y)
    ((300, 2), (300,), array([100, 100, 100]))
    """
    # TODO(08.1): Spiral data. Stuck? `kata hint 08.1`
    raise NotImplementedError("Exercise 08.1: spiral_data is not written yet")


def vertical_data(rng: np.random.Generator, n_per_class: int, n_classes: int = 3):
    """NNFS's vertical blobs: class k is N((k / 3, 0.5), 0.1^2 I). X: (n_per_class*K, 2), y int.

    Noise is drawn from rng as one (n_classes * n_per_class, 2) standard-normal array.

    >>> X, y = vertical_data(np.random.default_rng(0), 50, 2)
    >>> X.shape, np.bincount(y)
    ((100, 2), array([50, 50]))
    """
    # TODO(08.2): Vertical data. Stuck? `kata hint 08.2`
    raise NotImplementedError("Exercise 08.2: vertical_data is not written yet")


def sine_data(rng: np.random.Generator, n: int, noise: float = 0.0):
    """Regression data: x ~ U[0, 1), y = sin(2 pi x) + noise * N(0, 1). X: (n, 1), y: (n, 1).

    Draws x first (rng.uniform), then the noise (rng.standard_normal), both of shape (n, 1).

    >>> X, y = sine_data(np.random.default_rng(0), 200)
    >>> X.shape, y.shape, bool(np.allclose(y, np.sin(2 * np.pi * X)))
    ((200, 1), (200, 1), True)
    """
    # TODO(08.3): Sine data. Stuck? `kata hint 08.3`
    raise NotImplementedError("Exercise 08.3: sine_data is not written yet")


def train_val_split(rng: np.random.Generator, X: np.ndarray, y: np.ndarray, val_fraction: float = 0.2):
    """Shuffle the rows once, then hold out round(n * val_fraction) of them for validation.

    Returns (X_train, y_train, X_val, y_val); each example lands in exactly one part and keeps
    its label. Shuffling matters: the data are ordered by class, so the last rows are one class.

    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10)
    >>> X_tr, y_tr, X_val, y_val = train_val_split(np.random.default_rng(0), X, y, 0.3)
    >>> len(y_tr), len(y_val), sorted(np.concatenate([y_tr, y_val]).tolist()) == list(range(10))
    (7, 3, True)
    """
    # TODO(08.4): Train/validation split. Stuck? `kata hint 08.4`
    raise NotImplementedError("Exercise 08.4: train_val_split is not written yet")


def minibatches(rng: np.random.Generator, X: np.ndarray, y: np.ndarray, batch_size: int,
                shuffle: bool = True) -> list:
    """One epoch as a list of (X_batch, y_batch) pairs; each example appears exactly once.

    With shuffle, the order is rng.permutation(n); without, rows keep their order. Batches hold
    batch_size rows, except the last, which holds the remainder (it is not dropped). Batches may
    be views of X and y (slices): a training loop reads them and never writes into them.

    >>> X, y = np.zeros((10, 2)), np.arange(10)
    >>> [len(yb) for xb, yb in minibatches(np.random.default_rng(0), X, y, batch_size=4)]
    [4, 4, 2]
    """
    # TODO(08.5): Minibatches. Stuck? `kata hint 08.5`
    raise NotImplementedError("Exercise 08.5: minibatches is not written yet")


def train_step(model: Module, optimizer, x: np.ndarray, y: np.ndarray, task: str = "ce") -> float:
    """One update on one batch; returns the batch's loss *before* the update, as a float.

    zero the gradients (they accumulate), forward, loss, backward from dloss = 1.0, optimizer step.

    >>> rng = np.random.default_rng(0)
    >>> X, y = spiral_data(rng, 20, 3)
    >>> model = Sequential([Dense(2, 16, rng), ReLU(), Dense(16, 3, rng)])
    >>> opt = Adam(model.parameters(), lr=0.01)
    >>> first = train_step(model, opt, X, y)
    >>> later = [train_step(model, opt, X, y) for _ in range(50)]
    >>> bool(later[-1] < first)
    True
    """
    loss_forward, loss_backward, _, _ = TASKS[task]
    # TODO(08.6): One training step. Stuck? `kata hint 08.6`
    raise NotImplementedError("Exercise 08.6: train_step is not written yet")


def evaluate(model: Module, X: np.ndarray, y: np.ndarray, task: str = "ce") -> tuple[float, float]:
    """(loss, score) of the model on (X, y) in eval mode (dropout off); the model is left in
    training mode afterwards. score is accuracy for "ce", R^2 for "mse".

    >>> rng = np.random.default_rng(0)
    >>> model = Sequential([Dense(2, 3, rng)])
    >>> loss, acc = evaluate(model, np.zeros((4, 2)), np.array([0, 1, 2, 0]))
    >>> round(loss, 4), acc
    (1.0986, 0.5)
    """
    loss_forward, _, score, _ = TASKS[task]
    # TODO(08.7): Evaluate. Stuck? `kata hint 08.7`
    raise NotImplementedError("Exercise 08.7: evaluate is not written yet")


def fit(model: Module, optimizer, X: np.ndarray, y: np.ndarray, rng: np.random.Generator,
        epochs: int, batch_size: int, X_val=None, y_val=None, task: str = "ce",
        on_epoch=None) -> dict:
    """Train for ``epochs`` passes over (X, y), reshuffled each epoch with ``rng``.

    Returns a history of per-epoch floats, for score name S ("accuracy" or "r2"):
      "loss":  mean of the batch losses over the epoch's examples (sum of loss * batch length / n)
      S:       the score on the whole training set after the epoch (evaluate)
      "val_loss", "val_" + S: evaluate on (X_val, y_val) after the epoch, only if X_val is given
    ``on_epoch(epoch, history)``, if given, is called after each epoch (for progress displays),
    with ``epoch`` counting from 0 (the first call gets 0, the last ``epochs - 1``).

    >>> rng = np.random.default_rng(0)
    >>> X, y = vertical_data(rng, 30, 2)
    >>> model = Sequential([Dense(2, 8, rng), ReLU(), Dense(8, 2, rng)])
    >>> history = fit(model, Adam(model.parameters(), lr=0.02), X, y, rng, epochs=3, batch_size=16)
    >>> sorted(history), len(history['loss'])
    (['accuracy', 'loss'], 3)
    """
    name = TASKS[task][3]
    history = {"loss": [], name: []}
    if X_val is not None:
        history.update({"val_loss": [], "val_" + name: []})
    # TODO(08.8): The training loop. Stuck? `kata hint 08.8`
    raise NotImplementedError("Exercise 08.8: fit is not written yet")


def save_params(path, params: list[Parameter]) -> None:
    """Write every p.data to one .npz file, under the keys "p0", "p1", ... in list order.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'params.npz')
    >>> save_params(path, [Parameter(np.ones(2)), Parameter(np.zeros((2, 2)))])
    >>> sorted(np.load(path).files)
    ['p0', 'p1']
    """
    # TODO(08.9): Save parameters. Stuck? `kata hint 08.9`
    raise NotImplementedError("Exercise 08.9: save_params is not written yet")


def load_params(path, params: list[Parameter]) -> None:
    """Read a file written by save_params into the given Parameters (p.data = saved array).

    Raise ValueError, changing nothing, when the number of arrays differs or a shape does not
    match (name the key and both shapes). Read with allow_pickle=False: a parameter file holds
    numbers, and unpickling a file can run arbitrary code.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), 'params.npz')
    >>> save_params(path, [Parameter(np.array([1.0, 2.0]))])
    >>> p = Parameter(np.zeros(2))
    >>> load_params(path, [p])
    >>> p.data
    array([1., 2.])
    """
    # TODO(08.10): Load parameters. Stuck? `kata hint 08.10`
    raise NotImplementedError("Exercise 08.10: load_params is not written yet")
