"""Provided plumbing shared by every chapter: parameters and the module base class.

Nothing here is an exercise. The conventions it fixes (chapter 02 onwards):

- a layer keeps its learnable arrays in :class:`Parameter` objects: ``p.data`` holds the values,
  ``p.grad`` the gradient of the loss with respect to them (same shape);
- ``layer.forward(x)`` returns the output and remembers what backward needs;
  ``layer.backward(dout)`` returns the gradient for the input and *adds* parameter gradients
  into ``p.grad`` (adding, not assigning, so a parameter used twice gets both contributions);
- optimizers read ``p.data`` and ``p.grad`` and keep their own state (moments, step counts).
"""

from __future__ import annotations

import numpy as np


class Parameter:
    """A learnable array and the gradient accumulated for it.

    A floating array keeps its dtype (float32 models train faster; gradient checks use
    float64); anything else (ints, lists) becomes float64.
    """

    def __init__(self, data: np.ndarray):
        data = np.asarray(data)
        self.data = data if np.issubdtype(data.dtype, np.floating) else data.astype(np.float64)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def zero_grad(self) -> None:
        self.grad = np.zeros_like(self.data)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape})"


class Module:
    """Base class for layers: parameter discovery, train/eval mode, ``layer(x)`` = forward."""

    training: bool = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} defines no forward")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def parameters(self) -> list[Parameter]:
        """Every Parameter held by this module or its sub-modules, in attribute order."""
        found: list[Parameter] = []
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Parameter):
                    found.append(item)
                elif isinstance(item, Module):
                    found.extend(item.parameters())
        return found

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def to_dtype(self, dtype) -> "Module":
        """Cast every Parameter (and its gradient) to ``dtype``, e.g. float32 to train faster."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = np.zeros_like(p.data)
        return self

    def train(self) -> "Module":
        self._set_mode(True)
        return self

    def eval(self) -> "Module":
        self._set_mode(False)
        return self

    def _set_mode(self, training: bool) -> None:
        self.training = training
        for value in vars(self).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, Module):
                    item._set_mode(training)
