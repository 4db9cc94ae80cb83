# Chapter 02: The dense layer. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch02_dense.py.)
"""Chapter 02 - The dense layer: weights from a random generator, outputs for a batch.

From here on a layer stores its weights as W: (D, N), one *column* per neuron, so that a batch
x: (B, D) maps to x @ W: (B, N) with no transpose (chapter 01 used the (N, D) layout).

How the starting weights are drawn matters. If they are too small the signal shrinks layer by
layer; too large and it explodes. Each initializer picks a spread that keeps the variance of the
outputs close to that of the inputs:

    small normal  W ~ scale * N(0, 1)                    ("Neural Networks from Scratch", ch. 3)
    Xavier/Glorot W ~ U(-a, a), a = sqrt(6 / (D + N))    (Glorot & Bengio, 2010)
    He/Kaiming    W ~ N(0, 2 / D)                        (He et al., 2015; for ReLU layers)

Randomness enters only through the ``rng`` argument (a ``numpy.random.Generator``), never through
NumPy's global state: the same seed must give the same weights whatever else the program draws.
"""

from __future__ import annotations

import numpy as np

from .core import Module, Parameter


def init_small_normal(rng: np.random.Generator, n_inputs: int, n_neurons: int,
                      scale: float = 0.01) -> np.ndarray:
    """Weights (n_inputs, n_neurons) drawn from a normal with mean 0 and std ``scale``.

    Example: ``init_small_normal(np.random.default_rng(0), 4, 3)`` has shape (4, 3) and entries
    of size about 0.01.

    >>> W = init_small_normal(np.random.default_rng(0), 3, 5)
    >>> W.shape, bool(abs(W).max() < 0.1)
    ((3, 5), True)
    """
    # TODO(02.1): Small random weights. Stuck? `kata hint 02.1`
    raise NotImplementedError("Exercise 02.1: init_small_normal is not written yet")


def init_xavier(rng: np.random.Generator, n_inputs: int, n_neurons: int) -> np.ndarray:
    """Glorot-uniform weights (n_inputs, n_neurons): U(-a, a) with a = sqrt(6 / (n_inputs + n_neurons)).

    A uniform on (-a, a) has variance a^2 / 3 = 2 / (D + N): the compromise between keeping the
    forward signal (variance 1/D) and the backward gradient (variance 1/N) steady.

    >>> W = init_xavier(np.random.default_rng(0), 200, 300)
    >>> W.shape, bool(abs(W).max() <= np.sqrt(6 / (200 + 300)))
    ((200, 300), True)
    """
    # TODO(02.2): Xavier/Glorot initialization. Stuck? `kata hint 02.2`
    raise NotImplementedError("Exercise 02.2: init_xavier is not written yet")


def init_he(rng: np.random.Generator, n_inputs: int, n_neurons: int) -> np.ndarray:
    """He-normal weights (n_inputs, n_neurons): N(0, std^2) with std = sqrt(2 / n_inputs).

    ReLU zeroes half of its inputs on average, halving the variance; the factor 2 puts it back.
    Only the fan-in (n_inputs) enters: it is the number of terms summed into each output.

    >>> W = init_he(np.random.default_rng(0), 500, 400)
    >>> W.shape, round(float(W.std()) / np.sqrt(2 / 500), 1)
    ((500, 400), 1.0)
    """
    # TODO(02.3): He/Kaiming initialization. Stuck? `kata hint 02.3`
    raise NotImplementedError("Exercise 02.3: init_he is not written yet")


INITIALIZERS = {"small": init_small_normal, "xavier": init_xavier, "he": init_he}


def dense_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Forward pass of a dense (fully connected) layer: out = x @ W + b.

    x: (B, D)   W: (D, N)   b: (N,)
    returns (out, cache) with out: (B, N) and cache = (x, W, b), kept for the backward pass
    (chapter 05). The bias broadcasts: the same b is added to every row.

    >>> W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]])
    >>> out, cache = dense_forward(np.array([[1.0, 2.0]]), W, np.array([0.5, 0.0, 0.0]))
    >>> out
    array([[1.5, 2. , 0. ]])
    """
    # TODO(02.4): Dense forward pass. Stuck? `kata hint 02.4`
    raise NotImplementedError("Exercise 02.4: dense_forward is not written yet")


class Dense(Module):
    """A dense layer with parameters ``W`` (D, N) and ``b`` (N,)."""

    def __init__(self, n_inputs: int, n_neurons: int, rng: np.random.Generator,
                 init: str = "he"):
        """Create ``self.W`` and ``self.b`` as Parameters.

        W comes from ``INITIALIZERS[init](rng, n_inputs, n_neurons)``; b starts at zeros (N,).
        An unknown ``init`` raises ValueError that names the argument and the known choices.

        >>> layer = Dense(4, 3, np.random.default_rng(0), init='xavier')
        >>> layer.W.shape, layer.b.data
        ((4, 3), array([0., 0., 0.]))
        """
        # TODO(02.5): A Dense layer with parameters. Stuck? `kata hint 02.5`
        raise NotImplementedError("Exercise 02.5: Dense.__init__ is not written yet")

    def forward(self, x: np.ndarray) -> np.ndarray:
        """out: (B, N). Keeps the cache for ``backward`` (chapter 05)."""
        out, self.cache = dense_forward(x, self.W.data, self.b.data)
        return out
