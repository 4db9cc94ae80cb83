"""Chapter 12 - Autograd: let the graph do the backward pass you wrote by hand in 03-11.

Every operation records its inputs (``parents``) and a ``local_backward`` closure that applies
one step of the chain rule: given out.grad = dL/dout it *adds* dL/dparent = dL/dout * dout/dparent
to each parent's ``grad``. Adding (+=), never assigning, because a node used twice (x * x, or a
weight shared by two layers) must collect one contribution per use. ``backward()`` visits the
nodes in reverse topological order, so a node passes its gradient on only once it is complete.

Part 1 is a scalar engine, ``Value`` (in the spirit of Karpathy's micrograd, 2020). Part 2 is an
array ``Tensor``: the same idea, plus broadcasting, which forward does silently and backward must
undo by summing (``unbroadcast``). Part 3 builds chapter 05's 2-layer network on it and trains it.
Reverse-mode differentiation: Linnainmaa (1970); Rumelhart, Hinton & Williams (1986).
"""

from __future__ import annotations

import math

import numpy as np


class Node:
    """Provided: a vertex of the computation graph. Subclasses set ``data`` and ``grad``."""

    def __init__(self, parents=(), op: str = ""):
        self.parents = tuple(parents)  # the nodes this one was computed from
        self.op = op  # for printing only
        self.local_backward = lambda: None  # leaves have nobody to pass a gradient to

    def unit_gradient(self):
        """d(self)/d(self): 1.0 for a Value, ones of data's shape for a Tensor."""
        raise NotImplementedError(f"{type(self).__name__} defines no unit_gradient")

    def backward(self) -> None:
        """Fill ``node.grad`` with d(self)/d(node) for every node that ``self`` depends on.

        Seed self.grad with unit_gradient(), then call each node's local_backward in *reverse*
        topological order (outputs before inputs): when a node runs, every node that uses it has
        already added its share, so its grad is complete. Leaves' grads accumulate over calls
        (as in PyTorch); zero them yourself between training steps. Build a fresh graph each time.

        >>> a = Value(3.0)
        >>> c = a * a + a
        >>> c.backward()
        >>> a.grad
        7.0
        """
        ### BEGIN SOLUTION
        self.grad = self.unit_gradient()
        for node in reversed(topological_order(self)):
            node.local_backward()
        ### END SOLUTION


def topological_order(root: Node) -> list:
    """Every node ``root`` depends on (itself included), each exactly once, parents first.

    Depth-first post-order: a node is appended only after all of its parents. Uses an explicit
    stack instead of recursion, so a chain of thousands of nodes (an RNN unrolled, a deep net)
    does not hit Python's recursion limit (about 1000 frames).

    >>> a = Value(1.0)
    >>> b = a * 2.0
    >>> c = a + b
    >>> order = topological_order(c)
    >>> order.index(a) < order.index(b) < order.index(c), order[-1] is c
    (True, True)
    """
    ### BEGIN SOLUTION
    order, seen = [], set()
    stack = [(root, False)]  # (node, are its parents done?)
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))  # comes back after everything pushed below
            stack.extend((p, False) for p in node.parents if p not in seen)
    return order
    ### END SOLUTION


# ------------------------------------------------------------------ part 1: scalars
class Value(Node):
    """A scalar that remembers how it was made.  ``a = Value(2.0); (a * a).backward()`` -> a.grad 4."""

    def __init__(self, data: float, parents=(), op: str = ""):
        super().__init__(parents, op)
        self.data = float(data)
        self.grad = 0.0

    def unit_gradient(self) -> float:
        return 1.0

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    def __add__(self, other) -> "Value":
        """out = self + other;  d out/d self = 1, d out/d other = 1: both receive out.grad.

        >>> a = Value(2.0)
        >>> c = a + 3.0
        >>> c.data
        5.0
        >>> c.backward()
        >>> a.grad
        1.0
        """
        other = other if isinstance(other, Value) else Value(other)
        ### BEGIN SOLUTION
        out = Value(self.data + other.data, (self, other), "+")

        def local_backward():
            self.grad += out.grad  # += : in a + a both lines add to the same node
            other.grad += out.grad

        out.local_backward = local_backward
        return out
        ### END SOLUTION

    def __mul__(self, other) -> "Value":
        """out = self * other;  d out/d self = other.data, d out/d other = self.data.

        >>> a, b = Value(2.0), Value(-3.0)
        >>> c = a * b
        >>> c.backward()
        >>> c.data, a.grad, b.grad
        (-6.0, -3.0, 2.0)
        """
        other = other if isinstance(other, Value) else Value(other)
        ### BEGIN SOLUTION
        out = Value(self.data * other.data, (self, other), "*")

        def local_backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out.local_backward = local_backward
        return out
        ### END SOLUTION

    def __pow__(self, k: float) -> "Value":
        """Worked example. out = self**k (k a plain number);  d out/d self = k * self**(k-1)."""
        out = Value(self.data ** k, (self,), f"**{k}")

        def local_backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out.local_backward = local_backward
        return out

    def tanh(self) -> "Value":
        """out = tanh(self);  d out/d self = 1 - tanh(self)**2 = 1 - out.data**2.

        Use math.tanh: (exp(2x) - 1) / (exp(2x) + 1) overflows to nan for x above ~355.

        >>> x = Value(0.0)
        >>> y = x.tanh()
        >>> y.backward()
        >>> y.data, x.grad
        (0.0, 1.0)
        """
        ### BEGIN SOLUTION
        out = Value(math.tanh(self.data), (self,), "tanh")

        def local_backward():
            self.grad += (1.0 - out.data ** 2) * out.grad  # reuse the output: no second tanh

        out.local_backward = local_backward
        return out
        ### END SOLUTION

    def exp(self) -> "Value":
        """Worked example. out = exp(self);  d out/d self = exp(self) = out.data."""
        out = Value(math.exp(self.data), (self,), "exp")

        def local_backward():
            self.grad += out.data * out.grad

        out.local_backward = local_backward
        return out

    def relu(self) -> "Value":
        """Worked example. out = max(0, self);  d out/d self = 1 where self > 0, else 0."""
        out = Value(max(0.0, self.data), (self,), "relu")

        def local_backward():
            self.grad += (out.data > 0.0) * out.grad

        out.local_backward = local_backward
        return out

    # Everything else is built from the operations above, so it differentiates for free.
    def __neg__(self): return self * -1.0
    def __sub__(self, other): return self + (-other)
    def __truediv__(self, other): return self * (other if isinstance(other, Value) else Value(other)) ** -1
    def __radd__(self, other): return self + other
    def __rmul__(self, other): return self * other
    def __rsub__(self, other): return (-self) + other
    def __rtruediv__(self, other): return Value(other) / self


# ------------------------------------------------------------------ part 2: arrays
def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``grad`` down to ``shape``: the backward of NumPy broadcasting.

    Broadcasting (B, D) + (D,) copies the (D,) row to all B rows; a copied input receives the
    sum of its copies' gradients. NumPy broadcasts by (1) prepending axes and (2) stretching
    size-1 axes, so we (1) sum the leading extra axes away and (2) sum, keeping the axis, where
    ``shape`` has a 1.  grad: (B, D), shape (D,) -> (D,);  grad: (B, D), shape (B, 1) -> (B, 1).

    >>> unbroadcast(np.ones((4, 2, 3)), (2, 1))
    array([[12.],
           [12.]])
    """
    shape = tuple(shape)
    ### BEGIN SOLUTION
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra)))  # prepended axes: gone in `shape`
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    grad = grad.sum(axis=stretched, keepdims=True)  # size-1 axes stay, as size 1
    ### END SOLUTION
    assert grad.shape == shape, (grad.shape, shape)
    return grad


def as_tensor(value) -> "Tensor":
    return value if isinstance(value, Tensor) else Tensor(value)


class Tensor(Node):
    """A float64 array that remembers how it was made; ``grad`` has the shape of ``data``."""

    def __init__(self, data, parents=(), op: str = ""):
        super().__init__(parents, op)
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    def unit_gradient(self) -> np.ndarray:
        return np.ones_like(self.data)  # for a non-scalar: the gradient of data.sum()

    def __repr__(self) -> str:
        return f"Tensor(shape={self.shape}, op={self.op!r})"

    def __add__(self, other) -> "Tensor":
        """Worked example. out = self + other, broadcast;  each input gets out.grad, unbroadcast."""
        other = as_tensor(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def local_backward():
            self.grad += unbroadcast(out.grad, self.shape)
            other.grad += unbroadcast(out.grad, other.shape)

        out.local_backward = local_backward
        return out

    def __mul__(self, other) -> "Tensor":
        """out = self * other elementwise, broadcast;  d self = other * d out, then unbroadcast.

        >>> x, w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]])), Tensor(np.array([10.0, 20.0]))
        >>> out = (x * w).sum()
        >>> out.backward()
        >>> w.grad
        array([4., 6.])
        """
        other = as_tensor(other)
        ### BEGIN SOLUTION
        out = Tensor(self.data * other.data, (self, other), "*")

        def local_backward():
            self.grad += unbroadcast(other.data * out.grad, self.shape)
            other.grad += unbroadcast(self.data * out.grad, other.shape)

        out.local_backward = local_backward
        return out
        ### END SOLUTION

    def __matmul__(self, other) -> "Tensor":
        """out = self @ other with self: (B, D), other: (D, N), out: (B, N).

        out[b, n] = sum_d self[b, d] * other[d, n], so
        d self = d out @ other.T: (B, N) @ (N, D);   d other = self.T @ d out: (D, B) @ (B, N).

        >>> x, W = Tensor(np.ones((3, 2))), Tensor(np.array([[1.0], [2.0]]))
        >>> out = (x @ W).sum()
        >>> out.backward()
        >>> float(out.data), W.grad.ravel()
        (9.0, array([3., 3.]))
        """
        other = as_tensor(other)
        assert self.data.ndim == 2 and other.data.ndim == 2, "2-D @ 2-D only"
        ### BEGIN SOLUTION
        out = Tensor(self.data @ other.data, (self, other), "@")

        def local_backward():
            self.grad += out.grad @ other.data.T  # (B, N) @ (N, D) -> (B, D)
            other.grad += self.data.T @ out.grad  # (D, B) @ (B, N) -> (D, N)

        out.local_backward = local_backward
        return out
        ### END SOLUTION

    def sum(self, axis=None, keepdims: bool = False) -> "Tensor":
        """out = self.data.sum(axis, keepdims);  every summed entry gets out.grad, unchanged.

        Backward: put the summed axes back as size 1 (np.expand_dims, unless keepdims already
        kept them), then broadcast to self's shape. x: (B, D), axis=1 -> out: (B,) -> (B, 1).

        >>> x = Tensor(np.arange(6.0).reshape(2, 3))
        >>> s = x.sum(axis=1)
        >>> s.data
        array([ 3., 12.])
        >>> s.sum().backward()
        >>> x.grad
        array([[1., 1., 1.],
               [1., 1., 1.]])
        """
        ### BEGIN SOLUTION
        out = Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

        def local_backward():
            g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(g, self.shape)

        out.local_backward = local_backward
        return out
        ### END SOLUTION

    def mean(self, axis=None, keepdims: bool = False) -> "Tensor":
        """out = self.data.mean(axis, keepdims);  d out/d self = 1/n for each of the n averaged.

        n = self.data.size // out.data.size: the number of entries behind each output.

        >>> x = Tensor(np.arange(6.0).reshape(2, 3))
        >>> m = x.mean(axis=0)
        >>> m.data
        array([1.5, 2.5, 3.5])
        >>> m.sum().backward()
        >>> x.grad
        array([[0.5, 0.5, 0.5],
               [0.5, 0.5, 0.5]])
        """
        ### BEGIN SOLUTION
        out = Tensor(self.data.mean(axis=axis, keepdims=keepdims), (self,), "mean")
        n = self.data.size // out.data.size

        def local_backward():
            g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(g, self.shape) / n

        out.local_backward = local_backward
        return out
        ### END SOLUTION

    def log(self) -> "Tensor":
        """out = log(self) elementwise (self > 0);  d out/d self = 1 / self.

        >>> x = Tensor(np.array([1.0, 4.0]))
        >>> y = x.log().sum()
        >>> y.backward()
        >>> x.grad
        array([1.  , 0.25])
        """
        ### BEGIN SOLUTION
        out = Tensor(np.log(self.data), (self,), "log")

        def local_backward():
            self.grad += out.grad / self.data

        out.local_backward = local_backward
        return out
        ### END SOLUTION

    def exp(self) -> "Tensor":
        """Worked example. out = exp(self);  d out/d self = out.data."""
        out = Tensor(np.exp(self.data), (self,), "exp")

        def local_backward():
            self.grad += out.data * out.grad

        out.local_backward = local_backward
        return out

    def relu(self) -> "Tensor":
        """Worked example. out = max(0, self);  the gradient passes where self > 0 (chapter 03)."""
        out = Tensor(np.maximum(self.data, 0.0), (self,), "relu")

        def local_backward():
            self.grad += (self.data > 0.0) * out.grad

        out.local_backward = local_backward
        return out

    def __neg__(self): return self * -1.0
    def __sub__(self, other): return self + (-as_tensor(other))
    def __radd__(self, other): return self + other
    def __rmul__(self, other): return self * other
    def __rsub__(self, other): return (-self) + other


# ------------------------------------------------------------------ part 3: a network
class MLP:
    """Chapter 05's network on Tensors: x: (B, D) -> dense (D, N) -> ReLU -> dense (N, K)."""

    def __init__(self, n_inputs: int, n_hidden: int, n_outputs: int, rng: np.random.Generator):
        self.W1 = Tensor(rng.standard_normal((n_inputs, n_hidden)) * np.sqrt(2.0 / n_inputs))
        self.b1 = Tensor(np.zeros(n_hidden))
        self.W2 = Tensor(rng.standard_normal((n_hidden, n_outputs)) * np.sqrt(1.0 / n_hidden))
        self.b2 = Tensor(np.zeros(n_outputs))

    def parameters(self) -> list:
        return [self.W1, self.b1, self.W2, self.b2]

    def forward(self, x: Tensor) -> Tensor:
        """out = relu(x @ W1 + b1) @ W2 + b2: (B, K). No backward to write: the graph has it.

        >>> net = MLP(4, 8, 2, np.random.default_rng(0))
        >>> net.forward(Tensor(np.ones((5, 4)))).shape
        (5, 2)
        """
        ### BEGIN SOLUTION
        hidden = (x @ self.W1 + self.b1).relu()  # (B, N)
        return hidden @ self.W2 + self.b2  # (B, K)
        ### END SOLUTION


def fit(model: MLP, x: np.ndarray, y: np.ndarray, lr: float, steps: int) -> list:
    """Full-batch gradient descent on the mean squared error; returns each step's loss (floats).

    Each step: zero every parameter's grad (they accumulate), loss = mean((forward(x) - y)**2)
    over all B*K entries, loss.backward(), then p.data -= lr * p.grad. The loss is recorded
    before the update.  x: (B, D), y: (B, K).

    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(16, 3))
    >>> y = x @ np.array([[1.0], [-2.0], [0.5]])
    >>> losses = fit(MLP(3, 16, 1, rng), x, y, lr=0.05, steps=50)
    >>> len(losses), bool(losses[-1] < losses[0] / 4)
    (50, True)
    """
    x, y = Tensor(x), Tensor(y)
    ### BEGIN SOLUTION
    losses = []
    for _ in range(steps):
        for p in model.parameters():
            p.grad = np.zeros_like(p.data)
        diff = model.forward(x) - y  # (B, K)
        loss = (diff * diff).mean()
        loss.backward()
        for p in model.parameters():
            p.data = p.data - lr * p.grad
        losses.append(float(loss.data))
    return losses
    ### END SOLUTION
