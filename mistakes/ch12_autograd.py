"""Chapter 12 mistakes: autograd as learners really get it wrong."""

import math

import numpy as np

from grader.author.mistakes import mistake
from solutions.ch12_autograd import Tensor, Value, as_tensor
from solutions.ch12_autograd import topological_order as reference_topological_order
from solutions.ch12_autograd import unbroadcast as reference_unbroadcast


# ---------------------------------------------------------------- 12.1 Value.__add__
@mistake("12.1", "assigns with = instead of +=: a + a gets half its gradient", cause="accumulate")
def __add__(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, (self, other), "+")

    def local_backward():
        self.grad = out.grad
        other.grad = out.grad

    out.local_backward = local_backward
    return out


@mistake("12.1", "forgets to record the parents, so backward cannot reach the inputs")
def add_no_parents(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data)

    def local_backward():
        self.grad += out.grad
        other.grad += out.grad

    out.local_backward = local_backward
    return out


@mistake("12.1", "passes the gradient to self only")
def add_self_only(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data + other.data, (self, other), "+")

    def local_backward():
        self.grad += out.grad

    out.local_backward = local_backward
    return out


# ---------------------------------------------------------------- 12.2 Value.__mul__
@mistake("12.2", "multiplies by the node's own value instead of the other factor")
def __mul__(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def local_backward():
        self.grad += self.data * out.grad
        other.grad += other.data * out.grad

    out.local_backward = local_backward
    return out


@mistake("12.2", "assigns with = instead of +=: x * x gets x instead of 2x", cause="accumulate")
def mul_assigns(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def local_backward():
        self.grad = other.data * out.grad
        other.grad = self.data * out.grad

    out.local_backward = local_backward
    return out


@mistake("12.2", "forgets the chain rule: ignores out.grad", cause="dout")
def mul_no_chain(self, other):
    other = other if isinstance(other, Value) else Value(other)
    out = Value(self.data * other.data, (self, other), "*")

    def local_backward():
        self.grad += other.data
        other.grad += self.data

    out.local_backward = local_backward
    return out


# ---------------------------------------------------------------- 12.3 Value.tanh
@mistake("12.3", "derivative 1 - x**2 from the input instead of the output")
def tanh(self):
    out = Value(math.tanh(self.data), (self,), "tanh")

    def local_backward():
        self.grad += (1.0 - self.data ** 2) * out.grad

    out.local_backward = local_backward
    return out


@mistake("12.3", "derivative 1 - tanh(x), forgetting the square")
def tanh_no_square(self):
    out = Value(math.tanh(self.data), (self,), "tanh")

    def local_backward():
        self.grad += (1.0 - out.data) * out.grad

    out.local_backward = local_backward
    return out


@mistake("12.3", "forward through exp(2x): overflows to nan for large inputs", cause="overflow")
def tanh_overflows(self):
    e = math.exp(2.0 * self.data) if self.data < 700 else math.inf
    out = Value((e - 1.0) / (e + 1.0), (self,), "tanh")

    def local_backward():
        self.grad += (1.0 - out.data ** 2) * out.grad

    out.local_backward = local_backward
    return out


@mistake("12.3", "assigns with = instead of +=", cause="accumulate")
def tanh_assigns(self):
    out = Value(math.tanh(self.data), (self,), "tanh")

    def local_backward():
        self.grad = (1.0 - out.data ** 2) * out.grad

    out.local_backward = local_backward
    return out


# ---------------------------------------------------------------- 12.4 topological_order
@mistake("12.4", "pre-order: appends a node when first seen, before its parents")
def topological_order_preorder(root):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            order.append(node)
            stack.extend(node.parents)
    return order


@mistake("12.4", "no visited set: a shared node is listed once per path")
def topological_order_duplicates(root):
    order, stack = [], [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        else:
            stack.append((node, True))
            stack.extend((p, False) for p in node.parents)
    return order


@mistake("12.4", "recursive depth-first search: RecursionError on deep graphs")
def topological_order_recursive(root):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for parent in node.parents:
                visit(parent)
            order.append(node)

    visit(root)
    return order


@mistake("12.4", "breadth-first from the root, reversed: wrong when paths differ in length")
def topological_order_bfs(root):
    order, seen, queue = [], {root}, [root]
    while queue:
        node = queue.pop(0)
        order.append(node)
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return order[::-1]


# ---------------------------------------------------------------- 12.5 Node.backward
@mistake("12.5", "recursion from the root without a topological sort")
def backward(self):
    self.grad = self.unit_gradient()

    def push(node):
        node.local_backward()
        for parent in node.parents:
            push(parent)

    push(self)


@mistake("12.5", "walks the topological order forwards (inputs first)")
def backward_forwards(self):
    self.grad = self.unit_gradient()
    for node in reference_topological_order(self):
        node.local_backward()


@mistake("12.5", "forgets to seed the root's gradient with 1")
def backward_no_seed(self):
    for node in reversed(reference_topological_order(self)):
        node.local_backward()


# ---------------------------------------------------------------- 12.6 unbroadcast
@mistake("12.6", "sums only the prepended axes, not the stretched size-1 axes")
def unbroadcast_leading_only(grad, shape):
    shape = tuple(shape)
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    return grad


@mistake("12.6", "averages over the broadcast axes instead of summing", cause="sum-mean")
def unbroadcast_mean(grad, shape):
    shape = tuple(shape)
    grad = grad.mean(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.mean(axis=stretched, keepdims=True)


@mistake("12.6", "sums size-1 axes without keepdims, dropping them", cause="keepdims")
def unbroadcast_drops_axes(grad, shape):
    shape = tuple(shape)
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched)


@mistake("12.6", "sums away only the FIRST extra leading axis (an if where a loop is needed)")
def unbroadcast_one_leading_axis(grad, shape):
    shape = tuple(shape)
    if grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    grad = grad.sum(axis=stretched, keepdims=True)
    assert grad.shape == shape, (grad.shape, shape)
    return grad


# ---------------------------------------------------------------- 12.7 Tensor.__mul__
def _named(method, rule):
    """One factory serves several mistakes; the rule's name keeps their catalogue keys apart."""
    method.__name__ = method.__qualname__ = f"{method.__name__}{rule.__name__}"
    return method


def _mul_with(backward_rule):
    def __mul__(self, other):
        other = as_tensor(other)
        out = Tensor(self.data * other.data, (self, other), "*")
        out.local_backward = lambda: backward_rule(self, other, out)
        return out
    return _named(__mul__, backward_rule)


def _no_unbroadcast(a, b, out):
    a.grad += b.data * out.grad
    b.grad += a.data * out.grad


def _assigns(a, b, out):
    a.grad = reference_unbroadcast(b.data * out.grad, a.shape)
    b.grad = reference_unbroadcast(a.data * out.grad, b.shape)


def _own_factor(a, b, out):
    a.grad += reference_unbroadcast(a.data * out.grad, a.shape)
    b.grad += reference_unbroadcast(b.data * out.grad, b.shape)


mistake("12.7", "missing unbroadcast: the gradient keeps the broadcast shape")(_mul_with(_no_unbroadcast))
mistake("12.7", "assigns with = instead of +=: x * x gets half", cause="accumulate")(_mul_with(_assigns))
mistake("12.7", "multiplies by the node's own value instead of the other factor")(_mul_with(_own_factor))


# ---------------------------------------------------------------- 12.8 Tensor.__matmul__
def _matmul_with(backward_rule):
    def __matmul__(self, other):
        other = as_tensor(other)
        out = Tensor(self.data @ other.data, (self, other), "@")
        out.local_backward = lambda: backward_rule(self, other, out)
        return out
    return _named(__matmul__, backward_rule)


def _missing_transpose(a, b, out):
    a.grad += out.grad @ b.data
    b.grad += a.data.T @ out.grad


def _swapped_order(a, b, out):
    a.grad += out.grad @ b.data.T
    b.grad += out.grad.T @ a.data


def _matmul_assigns(a, b, out):
    a.grad = out.grad @ b.data.T
    b.grad = a.data.T @ out.grad


mistake("12.8", "forgets to transpose other: dself = dout @ other", cause="transpose")(_matmul_with(_missing_transpose))
mistake("12.8", "product in the wrong order: dother = dout.T @ self (the transpose)")(
    _matmul_with(_swapped_order))
mistake("12.8", "assigns with = instead of +=: x @ x loses one use", cause="accumulate")(_matmul_with(_matmul_assigns))


# ---------------------------------------------------------------- 12.9 Tensor.sum
@mistake("12.9", "adds out.grad without putting the summed axis back")
def sum_no_expand(self, axis=None, keepdims=False):
    out = Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

    def local_backward():
        self.grad += out.grad

    out.local_backward = local_backward
    return out


@mistake("12.9", "assigns with = instead of +=", cause="accumulate")
def sum_assigns(self, axis=None, keepdims=False):
    out = Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

    def local_backward():
        g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
        self.grad = np.broadcast_to(g, self.shape)

    out.local_backward = local_backward
    return out


@mistake("12.9", "ignores keepdims in the forward pass", cause="keepdims")
def sum_ignores_keepdims(self, axis=None, keepdims=False):
    out = Tensor(self.data.sum(axis=axis), (self,), "sum")

    def local_backward():
        g = out.grad if axis is None else np.expand_dims(out.grad, axis)
        self.grad += np.broadcast_to(g, self.shape)

    out.local_backward = local_backward
    return out


# ---------------------------------------------------------------- 12.10 Tensor.mean
@mistake("12.10", "backward forgets the 1/n", cause="sum-mean")
def mean(self, axis=None, keepdims=False):
    out = Tensor(self.data.mean(axis=axis, keepdims=keepdims), (self,), "mean")

    def local_backward():
        g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
        self.grad += np.broadcast_to(g, self.shape)

    out.local_backward = local_backward
    return out


@mistake("12.10", "divides by the total size even when averaging over one axis")
def mean_total_size(self, axis=None, keepdims=False):
    out = Tensor(self.data.mean(axis=axis, keepdims=keepdims), (self,), "mean")

    def local_backward():
        g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
        self.grad += np.broadcast_to(g, self.shape) / self.data.size

    out.local_backward = local_backward
    return out


# ---------------------------------------------------------------- 12.11 Tensor.log
@mistake("12.11", "divides by the output log(x) instead of the input x")
def log(self):
    out = Tensor(np.log(self.data), (self,), "log")

    def local_backward():
        self.grad += out.grad / out.data

    out.local_backward = local_backward
    return out


@mistake("12.11", "multiplies by x instead of dividing")
def log_times_x(self):
    out = Tensor(np.log(self.data), (self,), "log")

    def local_backward():
        self.grad += out.grad * self.data

    out.local_backward = local_backward
    return out


@mistake("12.11", "assigns with = instead of +=", cause="accumulate")
def log_assigns(self):
    out = Tensor(np.log(self.data), (self,), "log")

    def local_backward():
        self.grad = out.grad / self.data

    out.local_backward = local_backward
    return out


# ---------------------------------------------------------------- 12.12 MLP.forward
@mistake("12.12", "forgets the ReLU: the network is linear")
def forward(self, x):
    return (x @ self.W1 + self.b1) @ self.W2 + self.b2


@mistake("12.12", "applies a ReLU to the output too")
def forward_relu_output(self, x):
    return ((x @ self.W1 + self.b1).relu() @ self.W2 + self.b2).relu()


@mistake("12.12", "forgets the hidden bias b1", cause="bias")
def forward_no_b1(self, x):
    return (x @ self.W1).relu() @ self.W2 + self.b2


# ---------------------------------------------------------------- 12.13 fit
def _fit_with(name, zero_first=True, sign=-1.0, reduce="mean", zero_after_backward=False):
    def fit(model, x, y, lr, steps):
        x, y = Tensor(x), Tensor(y)
        losses = []
        for _ in range(steps):
            if zero_first:
                for p in model.parameters():
                    p.grad = np.zeros_like(p.data)
            diff = model.forward(x) - y
            loss = getattr(diff * diff, reduce)()
            loss.backward()
            if zero_after_backward:
                for p in model.parameters():
                    p.grad = np.zeros_like(p.data)
            for p in model.parameters():
                p.data = p.data + sign * lr * p.grad
            losses.append(float(loss.data))
        return losses
    fit.__name__ = fit.__qualname__ = name
    return fit


mistake("12.13", "never zeroes the gradients: each step adds to the last")(_fit_with("fit_never_zeroes", zero_first=False))
mistake("12.13", "steps up the gradient (+= lr * grad)", cause="sign")(_fit_with("fit_ascends", sign=1.0))
mistake("12.13", "sums the squared errors instead of averaging them", cause="sum-mean")(_fit_with("fit_sum_loss", reduce="sum"))
mistake("12.13", "zeroes the gradients after backward, before the update")(
    _fit_with("fit_zeroes_late", zero_after_backward=True))


@mistake("12.5", "seeds the root with 1.0 instead of unit_gradient(): a Tensor root gets a float")
def backward_seeds_float(self):
    self.grad = 1.0
    for node in reversed(reference_topological_order(self)):
        node.local_backward()


@mistake("12.5", "zeroes every node's grad before the pass: leaves stop accumulating across graphs", cause="accumulate")
def backward_zeroes_all(self):
    order = reference_topological_order(self)
    for node in order:
        node.grad = node.unit_gradient() * 0
    self.grad = self.unit_gradient()
    for node in reversed(order):
        node.local_backward()


# -- call contracts (issue 10 §1): checked on every graded call, whatever the test -----------
from grader.author.mistakes import mistake  # noqa: E402


@mistake("12.6", "returns grad itself when nothing is summed: the result aliases the input",
         cause="alias")
def unbroadcast_alias(grad, shape):
    shape = tuple(shape)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)




# --- edge cases (issue 10 §2) ---------------------------------------------------------------
@mistake("12.4", "reversed pre-order (visit, then push parents): a parent reached late comes after its child")
def topological_order_reversed_preorder(root):
    order, seen, stack = [], set(), [root]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        stack.extend(node.parents)
    return order[::-1]


@mistake("12.4", "Kahn's algorithm counting each parent once: a node used twice by one operation is stuck")
def topological_order_kahn_set(root):
    nodes, todo = {root}, [root]
    while todo:
        for p in todo.pop().parents:
            if p not in nodes:
                nodes.add(p)
                todo.append(p)
    users = {n: 0 for n in nodes}
    for n in nodes:
        for p in n.parents:
            users[p] += 1
    ready, order = [root], []
    while ready:
        node = ready.pop()
        order.append(node)
        for p in set(node.parents):
            users[p] -= 1
            if users[p] == 0:
                ready.append(p)
    return order[::-1]


@mistake("12.6", "handles 2-D only: sums axis 0 and axis 1 where the target has a 1, misses a middle axis")
def unbroadcast_two_d(grad, shape):
    shape = tuple(shape)
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    if len(shape) >= 1 and shape[0] == 1 and grad.shape[0] != 1:
        grad = grad.sum(axis=0, keepdims=True)
    if len(shape) >= 2 and shape[-1] == 1 and grad.shape[-1] != 1:
        grad = grad.sum(axis=-1, keepdims=True)
    return grad.reshape(shape) if grad.size == int(np.prod(shape)) else grad


def _tensor_mul_two_d(self, other):
    other = as_tensor(other)
    out = Tensor(self.data * other.data, (self, other), "*")

    def local_backward():
        self.grad += unbroadcast_two_d(other.data * out.grad, self.shape)
        other.grad += unbroadcast_two_d(self.data * out.grad, other.shape)

    out.local_backward = local_backward
    return out


mistake("12.7", "unbroadcasts with a 2-D-only helper: a broadcast axis in the middle is missed")(_tensor_mul_two_d)


@mistake("12.9", "puts the summed axes back by index with `i in axes`: negative axes are never found")
def sum_negative_axes(self, axis=None, keepdims=False):
    out = Tensor(self.data.sum(axis=axis, keepdims=keepdims), (self,), "sum")

    def local_backward():
        axes = range(self.data.ndim) if axis is None else (axis if isinstance(axis, tuple) else (axis,))
        kept = [1 if i in axes else n for i, n in enumerate(self.shape)]
        g = out.grad.reshape(kept) if kept != list(self.shape) or keepdims else out.grad
        self.grad += np.broadcast_to(g, self.shape)

    out.local_backward = local_backward
    return out


@mistake("12.10", "n = shape[axis]: fails for a tuple of axes")
def mean_shape_of_axis(self, axis=None, keepdims=False):
    out = Tensor(self.data.mean(axis=axis, keepdims=keepdims), (self,), "mean")
    n = self.data.size if axis is None else self.data.shape[axis]

    def local_backward():
        g = out.grad if keepdims or axis is None else np.expand_dims(out.grad, axis)
        self.grad += np.broadcast_to(g, self.shape) / n

    out.local_backward = local_backward
    return out


@mistake("12.13", "zeroes the gradients after the update: the first step uses whatever .grad held")
def fit_zero_after_update(model, x, y, lr, steps):
    x, y = Tensor(x), Tensor(y)
    losses = []
    for _ in range(steps):
        diff = model.forward(x) - y
        loss = (diff * diff).mean()
        loss.backward()
        for p in model.parameters():
            p.data = p.data - lr * p.grad
            p.grad = np.zeros_like(p.data)
        losses.append(float(loss.data))
    return losses


@mistake("12.8", "squeezes the gradient of the left factor: an axis of size 1 is lost")
def matmul_squeezed(self, other):
    other = as_tensor(other)
    out = Tensor(self.data @ other.data, (self, other), "@")

    def local_backward():
        self.grad += np.squeeze(out.grad @ other.data.T)
        other.grad += self.data.T @ out.grad

    out.local_backward = local_backward
    return out


@mistake("12.11", "adds a small eps inside the log for safety: log(x + 1e-12)")
def log_with_eps(self):
    out = Tensor(np.log(self.data + 1e-12), (self,), "log")

    def local_backward():
        self.grad += out.grad / (self.data + 1e-12)

    out.local_backward = local_backward
    return out


@mistake("12.5", "breadth-first from the root: a node may pass its gradient on before every user has added")
def backward_bfs(self):
    self.grad = self.unit_gradient()
    queue, seen = [self], {self}
    while queue:
        node = queue.pop(0)
        node.local_backward()
        for parent in node.parents:
            if parent not in seen:
                seen.add(parent)
                queue.append(parent)
