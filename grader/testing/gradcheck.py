"""Numerical gradients by central differences, the oracle for every backward exercise.

For a function ``f`` with array output and an upstream gradient ``g`` (same shape as the
output), the scalar ``L(x) = sum(f(x) * g)`` has gradient ``dL/dx``, which is exactly what a
backward pass returns as ``dx`` when it receives ``dout = g``. Each entry is estimated as

    dL/dx[i] ~= (L(x + eps*e_i) - L(x - eps*e_i)) / (2*eps)

with error O(eps^2). In float64, eps = 1e-6 balances that truncation error against rounding
error (about 1e-16 / eps), giving roughly 1e-9 accuracy on smooth functions.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def numerical_gradient(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                       upstream: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference estimate of d(sum(f(x) * upstream))/dx; ``x`` is left unchanged."""
    x = np.array(x, dtype=np.float64)  # a private copy: we perturb it in place
    if x.dtype != np.float64:
        raise TypeError("gradient checks run in float64 only")
    upstream = np.asarray(upstream, dtype=np.float64)
    grad = np.zeros_like(x)
    flat_x, flat_grad = x.reshape(-1), grad.reshape(-1)
    for i in range(flat_x.size):  # one pair of forward passes per entry: no way around it
        saved = flat_x[i]
        flat_x[i] = saved + eps
        plus = np.sum(np.asarray(f(x.copy()), dtype=np.float64) * upstream)
        flat_x[i] = saved - eps
        minus = np.sum(np.asarray(f(x.copy()), dtype=np.float64) * upstream)
        flat_x[i] = saved
        flat_grad[i] = (plus - minus) / (2.0 * eps)
    return grad
