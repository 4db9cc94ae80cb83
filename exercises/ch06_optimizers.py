# Chapter 06: Optimizers. Your workspace: replace each `raise NotImplementedError`
# below with your code, then run `kata check`. (Generated from solutions/ch06_optimizers.py.)
"""Chapter 06 - Optimizers: how a gradient becomes a step ("Neural Networks from Scratch", ch. 10).

An optimizer owns a list of Parameters. ``step()`` reads ``p.grad`` and writes ``p.data``; every
other number it needs between steps (velocities, caches, moments, the step count) lives in the
optimizer itself, in lists aligned with ``self.params`` (entry i belongs to ``self.params[i]``).
Two optimizers therefore never share state, and a Parameter stays a plain (data, grad) pair.

All four optimizers share learning-rate decay (NNFS ch. 10): the rate used at a step is

    lr_t = lr / (1 + decay * iterations)

where ``iterations`` counts the steps already taken (0 for the first step, so it uses ``lr``).

    SGD      v = momentum * v - lr_t * g;            p += v            (Polyak, 1964)
    AdaGrad  cache += g^2;                           p -= lr_t * g / (sqrt(cache) + eps)
    RMSprop  cache = rho * cache + (1 - rho) * g^2;  p -= lr_t * g / (sqrt(cache) + eps)
    Adam     m, v: moving averages of g and g^2, divided by (1 - beta^t) to undo their
             start at zero, with t = iterations + 1  (Kingma & Ba, 2015)

eps sits *outside* the square root, as in the papers and the book. Defaults follow the book.
"""

from __future__ import annotations

import numpy as np

from .core import Parameter


def decayed_lr(lr: float, decay: float, iterations: int) -> float:
    """The learning rate for the step after ``iterations`` steps: lr / (1 + decay * iterations).

    This is NNFS's 1/t decay: the rate halves when decay * iterations reaches 1.
    Example: ``decayed_lr(1.0, 0.1, 10) == 0.5``; ``decayed_lr(lr, decay, 0) == lr``.

    >>> decayed_lr(1.0, 0.1, 10)
    0.5
    """
    # TODO(06.1): Learning-rate decay. Stuck? `kata hint 06.1`
    raise NotImplementedError("Exercise 06.1: decayed_lr is not written yet")


class Optimizer:
    """Provided base: keeps the parameters, the base rate, the decay and the step count."""

    def __init__(self, params, lr: float, decay: float = 0.0):
        self.params: list[Parameter] = list(params)
        self.lr = float(lr)
        self.decay = float(decay)
        self.iterations = 0  # steps taken so far; step() adds one at its end

    def zero_grad(self) -> None:
        for p in self.params:
            p.zero_grad()

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} defines no step")


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum. ``self.velocities[i]``: shape of p_i."""

    def __init__(self, params, lr: float = 1.0, decay: float = 0.0, momentum: float = 0.0):
        super().__init__(params, lr, decay)
        self.momentum = float(momentum)
        self.velocities = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        """One update of every parameter, then ``iterations += 1``.

        v_i = momentum * v_i - lr_t * g_i, and p_i += v_i. With momentum = 0 this is plain
        p_i -= lr_t * g_i. The velocity remembers past steps: along a direction where the
        gradient keeps its sign, steps grow towards lr_t * g / (1 - momentum).

        >>> p = Parameter(np.array([1.0, 2.0]))
        >>> p.grad = np.array([0.5, -1.0])
        >>> opt = SGD([p], lr=0.1)
        >>> opt.step()
        >>> p.data
        array([0.95, 2.1 ])
        """
        # TODO(06.2): SGD with momentum. Stuck? `kata hint 06.2`
        raise NotImplementedError("Exercise 06.2: SGD.step is not written yet")


class AdaGrad(Optimizer):
    """Per-entry rates that shrink with the gradient history. ``self.caches[i]``: shape of p_i."""

    def __init__(self, params, lr: float = 1.0, decay: float = 0.0, eps: float = 1e-7):
        super().__init__(params, lr, decay)
        self.eps = float(eps)
        self.caches = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        """cache_i += g_i^2, then p_i -= lr_t * g_i / (sqrt(cache_i) + eps); iterations += 1.

        The cache only grows, so each entry's effective rate lr_t / sqrt(cache) only falls:
        entries with large past gradients slow down first (Duchi et al., 2011).

        >>> p = Parameter(np.array([1.0]))
        >>> p.grad = np.array([2.0])
        >>> opt = AdaGrad([p], lr=0.1, eps=0.0)
        >>> opt.step()
        >>> p.data
        array([0.9])
        """
        # TODO(06.3): AdaGrad. Stuck? `kata hint 06.3`
        raise NotImplementedError("Exercise 06.3: AdaGrad.step is not written yet")


class RMSprop(Optimizer):
    """AdaGrad with a leaky cache (Hinton's lecture 6e). ``self.caches[i]``: shape of p_i."""

    def __init__(self, params, lr: float = 0.001, decay: float = 0.0, eps: float = 1e-7,
                 rho: float = 0.9):
        super().__init__(params, lr, decay)
        self.eps = float(eps)
        self.rho = float(rho)
        self.caches = [np.zeros_like(p.data) for p in self.params]

    def step(self) -> None:
        """cache_i = rho * cache_i + (1 - rho) * g_i^2; p_i -= lr_t * g_i / (sqrt(cache_i) + eps).

        The cache is a moving average of g^2 over roughly 1 / (1 - rho) steps, so old gradients
        are forgotten and the rate does not decay to zero as AdaGrad's does. Then iterations += 1.

        >>> p = Parameter(np.array([1.0]))
        >>> p.grad = np.array([2.0])
        >>> opt = RMSprop([p], lr=0.1, rho=0.0, eps=0.0)
        >>> opt.step()
        >>> p.data
        array([0.9])
        """
        # TODO(06.4): RMSprop. Stuck? `kata hint 06.4`
        raise NotImplementedError("Exercise 06.4: RMSprop.step is not written yet")


class Adam(Optimizer):
    """Momentum plus RMSprop, bias-corrected. ``self.m[i]``, ``self.v[i]``: shape of p_i."""

    def __init__(self, params, lr: float = 0.001, decay: float = 0.0, eps: float = 1e-7,
                 beta_1: float = 0.9, beta_2: float = 0.999):
        super().__init__(params, lr, decay)
        self.eps = float(eps)
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.m = [np.zeros_like(p.data) for p in self.params]  # first moment (mean of g)
        self.v = [np.zeros_like(p.data) for p in self.params]  # second moment (mean of g^2)

    def step(self) -> None:
        """One Adam update (Kingma & Ba, 2015, Algorithm 1), then iterations += 1.

        t = iterations + 1 (the first step is t = 1)
        m_i = beta_1 * m_i + (1 - beta_1) * g_i          m_hat = m_i / (1 - beta_1^t)
        v_i = beta_2 * v_i + (1 - beta_2) * g_i^2        v_hat = v_i / (1 - beta_2^t)
        p_i -= lr_t * m_hat / (sqrt(v_hat) + eps)

        m and v start at 0, so early averages are too small by exactly (1 - beta^t); dividing
        it out makes the first step lr_t * g / (|g| + eps), about lr_t per entry. Only m and v
        are stored; m_hat and v_hat are recomputed each step.

        >>> p = Parameter(np.array([1.0, 1.0]))
        >>> p.grad = np.array([3.0, -0.5])
        >>> opt = Adam([p], lr=0.1, eps=0.0)
        >>> opt.step()
        >>> p.data
        array([0.9, 1.1])
        """
        # TODO(06.5): Adam with bias correction. Stuck? `kata hint 06.5`
        raise NotImplementedError("Exercise 06.5: Adam.step is not written yet")
