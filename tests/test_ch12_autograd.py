"""Graded tests for chapter 12 (autograd).

Operator exercises are tested through their own ``local_backward`` (set ``out.grad``, call it,
read the parents' ``grad``), so each stands alone. Oracles are the derivatives written out here,
central differences (float64) and, for the network, chapter 05's hand-written backward formulas
spelled out in ``hand_backward`` below.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

moderate = st.floats(min_value=-20.0, max_value=20.0, allow_nan=False)
positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)


def run_local(check, out, upstream, what):
    """out.grad = upstream, then out.local_backward(); a shape clash becomes a lesson."""
    out.grad = upstream.copy() if isinstance(upstream, np.ndarray) else upstream
    try:
        out.local_backward()
    except ValueError as err:
        check.fail(f"{what}: local_backward raised ValueError({err})",
                   "each input's gradient must have that input's shape: sum over broadcast axes "
                   "(unbroadcast) and check which factor of a product is transposed")


def run_backward(check, root, what):
    try:
        root.backward()
    except RecursionError:
        check.fail(f"{what}: RecursionError", "a recursive walk overflows Python's stack on deep "
                   "graphs: keep the nodes still to visit on an explicit stack (a list)")


def scalar_gradcheck(check, kata, fn, values, upstream, what):
    """Each leaf's grad after one local_backward equals central differences of fn."""
    leaves = [kata.Value(v) for v in values]
    out = fn(*leaves)
    run_local(check, out, upstream, what)
    names = [f"x{i}" for i in range(len(values))]
    forward = lambda **kw: np.array(fn(*[kata.Value(float(kw[n])) for n in names]).data)  # noqa: E731
    check.gradients(forward, {n: np.array(v) for n, v in zip(names, values)},
                    {n: np.array(leaf.grad) for n, leaf in zip(names, leaves)},
                    np.array(upstream), what)


def tensor_local_grads(check, kata, fn, arrays, upstream, what):
    """Run one local_backward of fn(*Tensors) and gradient-check every input."""
    leaves = [kata.Tensor(a) for a in arrays]
    out = fn(*leaves)
    check.shape(out.data, upstream.shape, f"{what} (forward)")
    run_local(check, out, upstream, what)
    names = [f"x{i}" for i in range(len(arrays))]
    analytic = {n: check.shape(leaf.grad, a.shape, f"d{n} of {what}")
                for n, a, leaf in zip(names, arrays, leaves)}
    forward = lambda **kw: fn(*[kata.Tensor(kw[n]) for n in names]).data  # noqa: E731
    check.gradients(forward, dict(zip(names, arrays)), analytic, upstream, what)


def used_once_each(check, order, nodes, what):
    ids = [id(n) for n in order]
    check.true(len(ids) == len(set(ids)), f"{what} lists a node more than once",
               "remember the nodes you have visited (a set) and skip them the second time")
    check.true(set(ids) == {id(n) for n in nodes},
               f"{what} has {len(set(ids))} distinct nodes, expected {len(nodes)}",
               "walk from the root through .parents and collect every node reached, no others")
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            check.true(position[id(parent)] < position[id(node)],
                       f"{what}: node {node.data:g} comes before its parent {parent.data:g}",
                       "append a node only after all of its parents (post-order), not when first seen")


def chain(kata, length):
    nodes = [kata.Value(0.0)]
    for i in range(1, length):
        nodes.append(kata.Value(float(i), parents=(nodes[-1],)))
    return nodes


# ---------------------------------------------------------------- 12.1 Value.__add__
@pytest.mark.exercise("12.1")
def test_add_forward_and_graph(kata, check):
    a, b = kata.Value(2.0), kata.Value(-3.5)
    c = a + b
    check.true(isinstance(c, kata.Value), f"a + b returned {type(c).__name__}, expected a Value",
               "wrap the result: Value(self.data + other.data, (self, other), '+')")
    check.close(c.data, -1.5, "(Value(2) + Value(-3.5)).data")
    check.close((a + 4).data, 6.0, "(Value(2) + 4).data: numbers are wrapped in a Value")
    check.true(len(c.parents) == 2 and c.parents[0] is a and c.parents[1] is b,
               "(a + b).parents should be (a, b)", "record the inputs, or backward cannot find them")


@pytest.mark.exercise("12.1")
def test_add_passes_gradient_to_both(kata, check):
    a, b = kata.Value(2.0), kata.Value(-3.5)
    c = a + b
    run_local(check, c, 1.5, "a + b")
    check.close([a.grad, b.grad], [1.5, 1.5], "[a.grad, b.grad] after (a + b).grad = 1.5")


@pytest.mark.exercise("12.1")
def test_add_node_used_twice_accumulates(kata, check):
    a = kata.Value(3.0)
    c = a + a  # d(a + a)/da = 2
    run_local(check, c, 1.0, "a + a")
    check.true(a.grad != 1.0, "a + a gave a.grad = 1, expected 2",
               "use += : the second line overwrote the first contribution")
    check.close(a.grad, 2.0, "a.grad after a + a with out.grad = 1")


@pytest.mark.exercise("12.1")
def test_add_gradient_check(kata, check, rng):
    scalar_gradcheck(check, kata, lambda a, b: a + b, rng.normal(size=2).tolist(),
                     float(rng.normal()), "Value.__add__")


# ---------------------------------------------------------------- 12.2 Value.__mul__
@pytest.mark.exercise("12.2")
def test_mul_forward(kata, check):
    a, b = kata.Value(2.0), kata.Value(-3.0)
    c = a * b
    check.true(isinstance(c, kata.Value), f"a * b returned {type(c).__name__}, expected a Value")
    check.close([c.data, (a * 4).data, (0.5 * a).data], [-6.0, 8.0, 1.0],
                "[a*b, a*4, 0.5*a] for a = 2, b = -3")
    check.true(len(c.parents) == 2 and c.parents[0] is a and c.parents[1] is b,
               "(a * b).parents should be (a, b)")


@pytest.mark.exercise("12.2")
def test_mul_local_backward_hand_values(kata, check):
    a, b = kata.Value(2.0), kata.Value(-3.0)
    run_local(check, a * b, 0.5, "a * b")
    # d(ab)/da = b = -3, d(ab)/db = a = 2, times out.grad = 0.5
    check.close([a.grad, b.grad], [-1.5, 1.0], "[a.grad, b.grad] for a=2, b=-3, out.grad=0.5")


@pytest.mark.exercise("12.2")
def test_mul_square_accumulates(kata, check):
    x = kata.Value(3.0)
    run_local(check, x * x, 1.0, "x * x")
    check.true(x.grad != 3.0, "x * x gave x.grad = 3, expected d(x^2)/dx = 2x = 6",
               "x is both factors: it must receive two contributions, so use +=")
    check.close(x.grad, 6.0, "x.grad after x * x for x = 3")


@pytest.mark.exercise("12.2")
def test_mul_gradient_check(kata, check, rng):
    scalar_gradcheck(check, kata, lambda a, b: a * b, rng.normal(size=2).tolist(),
                     float(rng.normal()), "Value.__mul__")


# ---------------------------------------------------------------- 12.3 Value.tanh
@pytest.mark.exercise("12.3")
def test_tanh_at_zero(kata, check):
    x = kata.Value(0.0)
    out = x.tanh()
    check.close(out.data, 0.0, "Value(0).tanh().data")
    run_local(check, out, 2.0, "tanh")
    check.close(x.grad, 2.0, "x.grad after tanh at 0 with out.grad = 2 (slope 1 at 0)")


@pytest.mark.exercise("12.3")
@given(moderate, moderate)
def test_tanh_matches_math(kata, check, x, g):
    leaf = kata.Value(x)
    out = leaf.tanh()
    check.close(out.data, math.tanh(x), f"Value({x!r}).tanh().data", atol=1e-12)
    run_local(check, out, g, "tanh")
    check.close(leaf.grad, g / math.cosh(x) ** 2, f"d tanh/dx * {g!r} at x = {x!r}", atol=1e-12)


@pytest.mark.exercise("12.3")
def test_tanh_saturates_without_overflow(kata, check):
    for x, expected in ((1000.0, 1.0), (-1000.0, -1.0)):
        leaf = kata.Value(x)
        out = leaf.tanh()
        check.close(out.data, expected, f"Value({x:g}).tanh().data (exp(2x) overflows: use math.tanh)")
        run_local(check, out, 1.0, "tanh")
        check.close(leaf.grad, 0.0, f"gradient of tanh at {x:g} (saturated: 1 - 1^2 = 0)")


@pytest.mark.exercise("12.3")
def test_tanh_gradient_check_and_accumulation(kata, check, rng):
    scalar_gradcheck(check, kata, lambda a: a.tanh(), [float(rng.normal())], float(rng.normal()),
                     "Value.tanh")
    leaf = kata.Value(0.5)
    leaf.grad = 1.0  # as if another use of the node had already contributed
    run_local(check, leaf.tanh(), 1.0, "tanh")
    check.close(leaf.grad, 1.0 + 1.0 / math.cosh(0.5) ** 2,
                "x.grad after tanh when x.grad was already 1 (must add, not overwrite)")


# ---------------------------------------------------------------- 12.4 topological_order
@pytest.mark.exercise("12.4")
def test_topological_order_chain(kata, check):
    nodes = chain(kata, 5)
    order = kata.topological_order(nodes[-1])
    check.close([n.data for n in order], [0.0, 1.0, 2.0, 3.0, 4.0],
                "data of topological_order(chain 0 -> 1 -> 2 -> 3 -> 4): inputs first, root last")


@pytest.mark.exercise("12.4")
def test_topological_order_diamond(kata, check):
    a = kata.Value(0.0)
    b, c = kata.Value(1.0, parents=(a,)), kata.Value(2.0, parents=(a,))
    d = kata.Value(3.0, parents=(b, c))
    twice = kata.Value(4.0, parents=(d, d))  # a node used twice by one operation
    order = kata.topological_order(twice)
    used_once_each(check, order, [a, b, c, d, twice], "topological_order(diamond)")
    check.true(order[0] is a and order[-1] is twice, "the diamond's order should start at a and end at the root")


@pytest.mark.exercise("12.4")
def test_topological_order_random_dag(kata, check, rng):
    nodes = [kata.Value(0.0)]
    for i in range(1, 40):
        picks = rng.choice(i, size=min(i, int(rng.integers(1, 4))), replace=False)
        nodes.append(kata.Value(float(i), parents=[nodes[j] for j in picks]))
    order = kata.topological_order(nodes[-1])
    reachable, todo = {id(nodes[-1]): nodes[-1]}, [nodes[-1]]  # oracle: plain graph search
    while todo:
        for p in todo.pop().parents:
            if id(p) not in reachable:
                reachable[id(p)] = p
                todo.append(p)
    used_once_each(check, order, list(reachable.values()), "topological_order(random DAG of 40)")


@pytest.mark.exercise("12.4")
def test_topological_order_deep_chain(kata, check):
    nodes = chain(kata, 3000)
    try:
        order = kata.topological_order(nodes[-1])
    except RecursionError:
        check.fail("topological_order on a chain of 3000 nodes: RecursionError",
                   "Python allows about 1000 nested calls: keep a stack (a list) of nodes to visit")
    check.true(len(order) == 3000 and order[0] is nodes[0] and order[-1] is nodes[-1],
               "topological_order of a 3000-node chain should list all 3000, first to last")


# ---------------------------------------------------------------- 12.5 Node.backward
@pytest.mark.exercise("12.5")
def test_backward_polynomial(kata, check):
    x = kata.Value(3.0)
    y = x * x + x * 2.0 + 1.0  # dy/dx = 2x + 2 = 8
    run_backward(check, y, "y.backward()")
    check.close([y.grad, x.grad], [1.0, 8.0], "[y.grad, x.grad] for y = x^2 + 2x + 1 at x = 3")


@pytest.mark.exercise("12.5")
def test_backward_waits_for_every_use(kata, check):
    a = kata.Value(1.5)
    b = a * 2.0
    c = b * 3.0
    d = b + c  # b reaches d directly and through c: d = 2a + 6a, dd/da = 8
    run_backward(check, d, "d.backward()")
    check.close([b.grad, a.grad], [4.0, 8.0], "[b.grad, a.grad] for d = b + 3b, b = 2a "
                "(a node passes its gradient on only after every user has added its share)")


@pytest.mark.exercise("12.5")
def test_backward_deep_chain(kata, check):
    x = kata.Value(0.5)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    run_backward(check, y, "backward() through 3000 multiplications")
    check.close(x.grad, 1.0001 ** 3000, "x.grad after y = x * 1.0001**3000")


@pytest.mark.exercise("12.5")
def test_backward_leaves_accumulate_across_graphs(kata, check):
    x = kata.Value(3.0)
    run_backward(check, x * x, "(x * x).backward()")
    run_backward(check, x * 4.0, "(x * 4).backward()")
    check.close(x.grad, 10.0, "x.grad after (x * x).backward() then (x * 4).backward() at x = 3 (6 + 4: "
                "a leaf's grad accumulates over calls; only the root is seeded, nothing is reset)",
                suspects={"the second backward reset x.grad before adding": 4.0})


@pytest.mark.exercise("12.5")
def test_backward_from_a_tensor_root(kata, check, rng):
    data = rng.normal(size=(2, 3))
    x = kata.Tensor(data)
    y = x.exp().relu()  # provided Tensor operations only; a non-scalar root
    run_backward(check, y, "y.backward()")
    check.close(y.grad, np.ones((2, 3)), "y.grad after y.backward() on a (2, 3) Tensor root "
                "(seed it with self.unit_gradient(): ones of its shape, not the number 1.0)")
    check.close(x.grad, np.exp(data), "x.grad after exp(x).relu().backward() (= exp(x))")


@pytest.mark.exercise("12.5")
def test_backward_gradient_check(kata, check, rng):
    def f(a, b, c):
        h = (a * b + c).tanh() * a + (b ** 2) / (c * c + 1.0)
        return h.exp() * 0.1 - (a - c).relu() + (2.0 - b) * h

    values = rng.normal(size=3)
    leaves = [kata.Value(v) for v in values]
    run_backward(check, f(*leaves), "f(a, b, c).backward()")
    forward = lambda a, b, c: np.array(f(*(kata.Value(float(v)) for v in (a, b, c))).data)  # noqa: E731
    check.gradients(forward, dict(zip("abc", values)),
                    {n: np.array(leaf.grad) for n, leaf in zip("abc", leaves)}, np.array(1.0),
                    "an expression using every Value operation")


# ---------------------------------------------------------------- 12.6 unbroadcast
@pytest.mark.exercise("12.6")
@pytest.mark.parametrize("grad_shape, shape", [((4, 5), (5,)), ((4, 5), (4, 1)), ((4, 5), (1, 5)),
                                               ((4, 5), (4, 5)), ((4, 5), ()), ((2, 3, 4), (3, 1))])
def test_unbroadcast_shapes_keep_total(kata, check, rng, grad_shape, shape):
    grad = rng.normal(size=grad_shape)
    out = check.shape(kata.unbroadcast(grad, shape), shape, f"unbroadcast(grad {grad_shape}, {shape})")
    check.close(out.sum(), grad.sum(), f"total of unbroadcast(grad {grad_shape}, {shape}): summing keeps it")


@pytest.mark.exercise("12.6")
def test_unbroadcast_values(kata, check, rng):
    grad = rng.normal(size=(4, 5))
    check.close(kata.unbroadcast(grad, (5,)), np.ones(4) @ grad, "unbroadcast(grad (4, 5), (5,))")
    check.close(kata.unbroadcast(grad, (4, 1)), grad @ np.ones((5, 1)), "unbroadcast(grad (4, 5), (4, 1))")


@pytest.mark.exercise("12.6")
@pytest.mark.parametrize("shapes", [((4, 5), (5,)), ((5,), (4, 5)), ((4, 1), (1, 5))])
def test_broadcast_add_gradients(kata, check, rng, shapes):
    arrays = [rng.normal(size=s) for s in shapes]
    upstream = rng.normal(size=(4, 5))
    tensor_local_grads(check, kata, lambda a, b: a + b, arrays, upstream,
                       f"Tensor {shapes[0]} + Tensor {shapes[1]}")


# ---------------------------------------------------------------- 12.7 Tensor.__mul__
@pytest.mark.exercise("12.7")
def test_tensor_mul_outer_product(kata, check, rng):
    col, row = rng.normal(size=(4, 1)), rng.normal(size=(1, 5))
    a, b = kata.Tensor(col), kata.Tensor(row)
    out = a * b
    check.close(out.data, np.einsum("i,j->ij", col[:, 0], row[0]), "Tensor (4, 1) * Tensor (1, 5)")
    upstream = rng.normal(size=(4, 5))
    run_local(check, out, upstream, "Tensor (4, 1) * Tensor (1, 5)")
    check.close(a.grad, np.einsum("ij,j->i", upstream, row[0])[:, None], "a.grad, a: (4, 1)")
    check.close(b.grad, np.einsum("ij,i->j", upstream, col[:, 0])[None, :], "b.grad, b: (1, 5)")


@pytest.mark.exercise("12.7")
@pytest.mark.parametrize("shapes", [((4, 5), (5,)), ((5,), (4, 5)), ((4, 1), (1, 5)), ((3, 4), ())])
def test_tensor_mul_gradient_check(kata, check, rng, shapes):
    arrays = [rng.normal(size=s) for s in shapes]
    upstream = rng.normal(size=np.broadcast_shapes(*shapes))
    tensor_local_grads(check, kata, lambda a, b: a * b, arrays, upstream,
                       f"Tensor {shapes[0]} * Tensor {shapes[1]}")


@pytest.mark.exercise("12.7")
def test_tensor_mul_square_accumulates(kata, check, rng):
    data, upstream = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    x = kata.Tensor(data)
    run_local(check, x * x, upstream, "x * x")
    check.close(x.grad, 2.0 * data * upstream, "x.grad after x * x (both factors are x: use +=)")


# ---------------------------------------------------------------- 12.8 Tensor.__matmul__
@pytest.mark.exercise("12.8")
def test_matmul_forward(kata, check, rng):
    x, W = rng.normal(size=(3, 4)), rng.normal(size=(4, 2))
    out = (kata.Tensor(x) @ kata.Tensor(W)).data
    check.shape(out, (3, 2), "Tensor (3, 4) @ Tensor (4, 2)")
    check.close(out, np.einsum("bd,dn->bn", x, W), "Tensor (3, 4) @ Tensor (4, 2)")


@pytest.mark.exercise("12.8")
def test_matmul_gradient_check(kata, check, rng):
    tensor_local_grads(check, kata, lambda a, b: a @ b, [rng.normal(size=(3, 4)), rng.normal(size=(4, 2))],
                       rng.normal(size=(3, 2)), "Tensor (3, 4) @ Tensor (4, 2)")


@pytest.mark.exercise("12.8")
def test_matmul_square_transposes(kata, check, rng):
    x, W, upstream = (rng.normal(size=(3, 3)) for _ in range(3))
    a, b = kata.Tensor(x), kata.Tensor(W)
    run_local(check, a @ b, upstream, "Tensor (3, 3) @ Tensor (3, 3)")
    check.close(a.grad, np.einsum("bn,dn->bd", upstream, W), "a.grad of a @ b = dout @ b.T (square)")
    check.close(b.grad, np.einsum("bd,bn->dn", x, upstream), "b.grad of a @ b = a.T @ dout (square)")


@pytest.mark.exercise("12.8")
def test_matmul_self_accumulates(kata, check, rng):
    data, upstream = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    x = kata.Tensor(data)
    run_local(check, x @ x, upstream, "x @ x")
    check.close(x.grad, upstream @ data.T + data.T @ upstream, "x.grad after x @ x (two uses: +=)")


# ---------------------------------------------------------------- 12.9 Tensor.sum
@pytest.mark.exercise("12.9")
def test_sum_all(kata, check, rng):
    data = rng.normal(size=(3, 4))
    x = kata.Tensor(data)
    out = x.sum()
    check.close(out.data, math.fsum(data.ravel()), "Tensor (3, 4).sum()")
    run_local(check, out, np.array(0.5), "sum()")
    check.close(x.grad, np.full((3, 4), 0.5), "x.grad after x.sum() with out.grad = 0.5")


@pytest.mark.exercise("12.9")
@pytest.mark.parametrize("axis, keepdims", [(0, False), (1, False), (-1, False), (1, True), ((0, 1), False)])
def test_sum_axis_gradient_check(kata, check, rng, axis, keepdims):
    upstream = rng.normal(size=np.zeros((4, 4)).sum(axis=axis, keepdims=keepdims).shape)
    tensor_local_grads(check, kata, lambda t: t.sum(axis=axis, keepdims=keepdims),
                       [rng.normal(size=(4, 4))], upstream, f"sum(axis={axis}, keepdims={keepdims})")


@pytest.mark.exercise("12.9")
def test_sum_rows_route_gradient(kata, check, rng):
    x = kata.Tensor(rng.normal(size=(3, 4)))
    out = x.sum(axis=1)
    check.shape(out.data, (3,), "Tensor (3, 4).sum(axis=1)")
    run_local(check, out, np.array([1.0, 2.0, 3.0]), "sum(axis=1)")
    check.close(x.grad, np.repeat([[1.0], [2.0], [3.0]], 4, axis=1),
                "x.grad after sum(axis=1): row b gets out.grad[b] (put the axis back first)")


@pytest.mark.exercise("12.9")
def test_sum_accumulates(kata, check, rng):
    data, upstream = rng.normal(size=(3, 4)), rng.normal(size=3)
    x = kata.Tensor(data)
    x.grad = np.ones((3, 4))  # another use of x already contributed
    run_local(check, x.sum(axis=1), upstream, "sum(axis=1)")
    check.close(x.grad, 1.0 + np.einsum("b,d->bd", upstream, np.ones(4)),
                "x.grad after sum(axis=1) when x.grad was already 1 (add, not overwrite)")


# ---------------------------------------------------------------- 12.10 Tensor.mean
@pytest.mark.exercise("12.10")
def test_mean_all(kata, check, rng):
    data = rng.normal(size=(4, 5))
    x = kata.Tensor(data)
    out = x.mean()
    check.close(out.data, math.fsum(data.ravel()) / 20, "Tensor (4, 5).mean()")
    run_local(check, out, np.array(1.0), "mean()")
    check.close(x.grad, np.full((4, 5), 1 / 20), "x.grad after x.mean(): 1/N for each of N = 20",
                batch_size=20)


@pytest.mark.exercise("12.10")
@pytest.mark.parametrize("axis, keepdims", [(0, False), (1, False), (1, True), (None, False)])
def test_mean_gradient_check(kata, check, rng, axis, keepdims):
    upstream = rng.normal(size=np.zeros((4, 5)).mean(axis=axis, keepdims=keepdims).shape)
    tensor_local_grads(check, kata, lambda t: t.mean(axis=axis, keepdims=keepdims),
                       [rng.normal(size=(4, 5))], upstream, f"mean(axis={axis}, keepdims={keepdims})")


@pytest.mark.exercise("12.10")
def test_mean_over_rows_counts_columns(kata, check, rng):
    x = kata.Tensor(rng.normal(size=(4, 5)))
    run_local(check, x.mean(axis=1), np.ones(4), "mean(axis=1)")
    check.close(x.grad, np.full((4, 5), 0.2), "x.grad after mean(axis=1): each row averages 5 entries",
                batch_size=5)


# ---------------------------------------------------------------- 12.11 Tensor.log
@pytest.mark.exercise("12.11")
@given(positive, moderate)
def test_log_matches_math(kata, check, value, g):
    x = kata.Tensor(np.array([value]))
    out = x.log()
    check.close(out.data, [math.log(value)], f"Tensor([{value!r}]).log()")
    run_local(check, out, np.array([g]), "log")
    check.close(x.grad, [g / value], f"x.grad after log at {value!r} (d log x/dx = 1/x)")


@pytest.mark.exercise("12.11")
def test_log_gradient_check(kata, check, rng):
    tensor_local_grads(check, kata, lambda t: t.log(), [rng.uniform(0.5, 3.0, size=(4, 5))],
                       rng.normal(size=(4, 5)), "Tensor.log")


@pytest.mark.exercise("12.11")
def test_log_accumulates(kata, check):
    x = kata.Tensor(np.array([1.0, 2.0, 4.0]))
    x.grad = np.array([1.0, 1.0, 1.0])  # another use of x already contributed
    run_local(check, x.log(), np.ones(3), "log")
    check.close(x.grad, [2.0, 1.5, 1.25], "x.grad after log when x.grad was already 1 (add, not overwrite)")


# ---------------------------------------------------------------- 12.12 MLP.forward
def hand_forward(x, W1, b1, W2, b2):
    h_pre = np.einsum("bd,dn->bn", x, W1) + b1
    h = np.where(h_pre > 0, h_pre, 0.0)
    return np.einsum("bn,nk->bk", h, W2) + b2, (h_pre, h)


def hand_backward(dout, x, W1, W2, h_pre, h):
    """Chapter 05 written out: dense and ReLU backward, for dout: (B, K)."""
    dW2, db2 = h.T @ dout, dout.sum(axis=0)
    dh_pre = (dout @ W2.T) * (h_pre > 0)
    return dh_pre @ W1.T, x.T @ dh_pre, dh_pre.sum(axis=0), dW2, db2  # dx, dW1, db1, dW2, db2


def weights(model):
    return [np.array(p.data) for p in (model.W1, model.b1, model.W2, model.b2)]


@pytest.mark.exercise("12.12")
def test_mlp_forward_values(kata, check, rng):
    model = kata.MLP(3, 6, 2, np.random.default_rng(0))
    model.b1.data = rng.normal(size=6)  # non-zero biases, so forgetting one shows
    model.b2.data = np.array([-3.0, 3.0])  # outputs of both signs: the output layer has no ReLU
    x = rng.normal(size=(5, 3))
    out = check.shape(model.forward(kata.Tensor(x)).data, (5, 2), "MLP(3, 6, 2).forward(x (5, 3))")
    check.close(out, hand_forward(x, *weights(model))[0], "MLP.forward: relu(x @ W1 + b1) @ W2 + b2",
                batch_size=5)


@pytest.mark.exercise("12.12")
def test_mlp_gradients_agree_with_chapter_05(kata, check, rng):
    model = kata.MLP(4, 5, 3, np.random.default_rng(1))
    model.b1.data = rng.normal(size=5)
    x_data, dout = rng.normal(size=(6, 4)), rng.normal(size=(6, 3))
    x = kata.Tensor(x_data)
    loss = (model.forward(x) * kata.Tensor(dout)).sum()  # d loss/d out = dout, a random upstream
    run_backward(check, loss, "loss.backward()")
    W1, b1, W2, b2 = weights(model)
    _, (h_pre, h) = hand_forward(x_data, W1, b1, W2, b2)
    expected = hand_backward(dout, x_data, W1, W2, h_pre, h)
    for name, got, want in zip(["x", "W1", "b1", "W2", "b2"],
                               [x.grad, model.W1.grad, model.b1.grad, model.W2.grad, model.b2.grad],
                               expected):
        check.close(got, want, f"d{name} from autograd vs chapter 05's hand-written backward",
                    batch_size=6)


@pytest.mark.exercise("12.12")
def test_mlp_input_gradient_check(kata, check, rng):
    model = kata.MLP(3, 4, 2, np.random.default_rng(2))
    model.b1.data = rng.normal(size=4)
    x_data, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    x = kata.Tensor(x_data)
    out = model.forward(x)
    run_backward(check, (out * kata.Tensor(dout)).sum(), "loss.backward()")
    check.gradients(lambda x: model.forward(kata.Tensor(x)).data, {"x": x_data}, {"x": x.grad},
                    dout, "MLP.forward")


# ---------------------------------------------------------------- 12.13 fit
def toy_regression(rng, n=24):
    x = rng.uniform(-2.0, 2.0, size=(n, 2))
    return x, np.sin(x[:, :1]) * np.cos(x[:, 1:])  # (n, 2), (n, 1)


@pytest.mark.exercise("12.13")
def test_fit_two_exact_steps(kata, check, rng):
    x, y = toy_regression(rng, n=8)
    model = kata.MLP(2, 5, 1, np.random.default_rng(3))
    params, lr, expected_losses = weights(model), 0.05, []
    for _ in range(2):  # oracle: gradient descent with chapter 05's formulas
        out, (h_pre, h) = hand_forward(x, *params)
        expected_losses.append(np.mean((out - y) ** 2))
        grads = hand_backward(2.0 * (out - y) / out.size, x, params[0], params[2], h_pre, h)[1:]
        params = [p - lr * g for p, g in zip(params, grads)]
    losses = kata.fit(model, x, y, lr, 2)
    check.true(isinstance(losses, list) and len(losses) == 2,
               f"fit(..., steps=2) returned {losses!r}", "return a list with one loss per step")
    check.close(losses, expected_losses, "losses of fit: mean squared error before each update",
                batch_size=8)
    for name, p, want in zip(["W1", "b1", "W2", "b2"], model.parameters(), params):
        check.close(p.data, want, f"{name} after two steps of fit (zero the grads every step)",
                    batch_size=8)


@pytest.mark.exercise("12.13")
def test_fit_learns_toy_regression(kata, check, rng):
    x, y = toy_regression(rng)
    losses = kata.fit(kata.MLP(2, 16, 1, np.random.default_rng(4)), x, y, 0.1, 150)
    check.true(all(isinstance(v, float) for v in losses), "fit should return plain floats",
               "append float(loss.data)")
    check.true(losses[-1] < 0.3 * losses[0], f"fit lowered the loss from {losses[0]:.4f} only to "
               f"{losses[-1]:.4f} in 150 steps",
               "zero the grads before backward (not between backward and the update), average the "
               "squared errors, and step against the gradient: p.data - lr * p.grad")


# ---------------------------------------------------------------- edge cases (issue 10 §2)
def random_dag(kata, rng, n, max_parents):
    """n Values, each with 1..max_parents parents among the earlier ones (a parent may repeat)."""
    nodes = [kata.Value(0.0)]
    for i in range(1, n):
        k = int(rng.integers(1, max_parents + 1))
        picks = rng.choice(i, size=k, replace=True)
        nodes.append(kata.Value(float(i), parents=[nodes[j] for j in picks]))
    return nodes


def reachable_from(root):
    found, todo = {id(root): root}, [root]  # oracle: plain graph search, no order
    while todo:
        for p in todo.pop().parents:
            if id(p) not in found:
                found[id(p)] = p
                todo.append(p)
    return list(found.values())


@pytest.mark.exercise("12.4")
@pytest.mark.parametrize("n, max_parents", [(15, 2), (30, 4), (60, 3)])
def test_topological_order_several_random_dags(kata, check, rng, n, max_parents):
    nodes = random_dag(kata, rng, n, max_parents)
    root = kata.Value(-1.0, parents=(nodes[-1], nodes[n // 2], nodes[-1]))  # shared, repeated parents
    used_once_each(check, kata.topological_order(root), reachable_from(root),
                   f"topological_order(random DAG of {n}, up to {max_parents} parents each)")


@pytest.mark.exercise("12.4")
def test_topological_order_hand_made_diamonds(kata, check):
    # Two diamonds in a row plus a shortcut: a reaches the root by paths of length 1 to 5.
    a = kata.Value(1.0)
    b, c = kata.Value(2.0, parents=(a,)), kata.Value(3.0, parents=(a, a))
    d = kata.Value(4.0, parents=(c, b))
    e, f = kata.Value(5.0, parents=(d,)), kata.Value(6.0, parents=(d, b))
    g = kata.Value(7.0, parents=(f, e))
    root = kata.Value(8.0, parents=(a, g))
    order = kata.topological_order(root)
    used_once_each(check, order, [a, b, c, d, e, f, g, root], "topological_order(two diamonds and a shortcut)")
    check.true(order[-1] is root, "the root should come last in topological_order(root)")


@pytest.mark.exercise("12.6")
@pytest.mark.parametrize("grad_shape, shape, axes", [
    ((2, 3, 4), (2, 1, 4), (1,)),            # a broadcast axis in the middle
    ((2, 3, 4), (1, 3, 1), (0, 2)),          # first and last stretched, middle kept
    ((5, 2, 3, 4), (2, 1, 4), (0, 2)),       # one prepended axis and one in the middle
    ((2, 3, 4), (1,), (0, 1, 2)),            # everything summed into one entry
    ((1, 3, 1), (3, 1), (0,)),               # grad axes already of size 1
], ids=["middle", "ends", "prepended+middle", "to (1,)", "size-1 grad"])
def test_unbroadcast_middle_and_mixed_axes(kata, check, rng, grad_shape, shape, axes):
    grad = rng.normal(size=grad_shape)
    expected = grad.sum(axis=axes, keepdims=True).reshape(shape)  # oracle: the axes named by hand
    out = check.shape(kata.unbroadcast(grad, shape), shape, f"unbroadcast(grad {grad_shape}, {shape})")
    check.close(out, expected, f"unbroadcast(grad {grad_shape}, {shape}) (sum over axes {axes}, which "
                "includes every size-1 axis of the target that the gradient stretched, wherever it is)")


@pytest.mark.exercise("12.7")
@pytest.mark.parametrize("shapes", [((2, 3, 4), (2, 1, 4)), ((3, 1), (2, 3, 4)), ((1, 3, 1), (2, 1, 4))],
                         ids=["middle", "prepended+last", "both stretched"])
def test_tensor_mul_broadcast_in_the_middle(kata, check, rng, shapes):
    arrays = [rng.normal(size=s) for s in shapes]
    upstream = rng.normal(size=np.broadcast_shapes(*shapes))
    tensor_local_grads(check, kata, lambda a, b: a * b, arrays, upstream,
                       f"Tensor {shapes[0]} * Tensor {shapes[1]}")


@pytest.mark.exercise("12.9")
@pytest.mark.parametrize("axis, keepdims", [(1, False), (-2, False), ((0, 2), False), ((-1, 0), False),
                                            ((0, 2), True), (-1, True)])
def test_sum_over_tuple_and_negative_axes(kata, check, rng, axis, keepdims):
    data = rng.normal(size=(2, 3, 4))
    upstream = rng.normal(size=np.zeros((2, 3, 4)).sum(axis=axis, keepdims=keepdims).shape)
    tensor_local_grads(check, kata, lambda t: t.sum(axis=axis, keepdims=keepdims), [data], upstream,
                       f"Tensor (2, 3, 4).sum(axis={axis}, keepdims={keepdims})")


@pytest.mark.exercise("12.10")
@pytest.mark.parametrize("axis, keepdims", [(-2, False), ((0, 2), False), ((-1, 0), True), ((1,), False)])
def test_mean_over_tuple_and_negative_axes(kata, check, rng, axis, keepdims):
    data = rng.normal(size=(2, 3, 4))
    upstream = rng.normal(size=np.zeros((2, 3, 4)).mean(axis=axis, keepdims=keepdims).shape)
    tensor_local_grads(check, kata, lambda t: t.mean(axis=axis, keepdims=keepdims), [data], upstream,
                       f"Tensor (2, 3, 4).mean(axis={axis}, keepdims={keepdims})")


@pytest.mark.exercise("12.12")
def test_mlp_forward_one_example(kata, check, rng):
    model = kata.MLP(3, 5, 2, np.random.default_rng(6))
    model.b1.data = rng.normal(size=5)
    x = rng.normal(size=(1, 3))
    out = check.shape(model.forward(kata.Tensor(x)).data, (1, 2), "MLP(3, 5, 2).forward(x (1, 3)) "
                      "(a batch of one example is still (1, K))")
    check.close(out, hand_forward(x, *weights(model))[0], "MLP.forward of one example", batch_size=1)


@pytest.mark.exercise("12.13")
def test_fit_zeroes_stale_gradients_first(kata, check, rng):
    x, y = toy_regression(rng, n=5)
    model = kata.MLP(2, 4, 1, np.random.default_rng(7))
    params, lr = weights(model), 0.05
    out, (h_pre, h) = hand_forward(x, *params)
    grads = hand_backward(2.0 * (out - y) / out.size, x, params[0], params[2], h_pre, h)[1:]
    for p in model.parameters():  # gradients left from earlier work must not leak into the step
        p.grad = np.full(np.shape(p.data), 5.0)
    kata.fit(model, x, y, lr, 1)
    for name, p, p0, g in zip(["W1", "b1", "W2", "b2"], model.parameters(), params, grads):
        check.close(p.data, p0 - lr * g, f"{name} after one step of fit that started with stale "
                    "gradients (zero every grad at the start of each step, before backward)", batch_size=5)


@pytest.mark.exercise("12.8")
@pytest.mark.parametrize("a_shape, b_shape", [((1, 4), (4, 3)), ((3, 1), (1, 2)), ((3, 4), (4, 1))],
                         ids=["B=1", "D=1", "N=1"])
def test_matmul_edge_sizes(kata, check, rng, a_shape, b_shape):
    tensor_local_grads(check, kata, lambda a, b: a @ b, [rng.normal(size=a_shape), rng.normal(size=b_shape)],
                       rng.normal(size=(a_shape[0], b_shape[1])), f"Tensor {a_shape} @ Tensor {b_shape}")


@pytest.mark.exercise("12.11")
def test_log_at_extreme_inputs(kata, check, rng):
    values = np.array([1e-300, 1e-12, 1e-6, 1.0, 1e6, 1e300])
    x = kata.Tensor(values)
    out = x.log()
    check.close(out.data, [math.log(v) for v in values], "Tensor([1e-300, ..., 1e300]).log() (no eps "
                "added inside the log: log(1e-300) is -690.8, and a cross-entropy needs it exact)")
    upstream = rng.uniform(0.5, 2.0, size=values.shape)
    run_local(check, out, upstream, "log at 1e-300 ... 1e300")
    check.true(np.all(np.isfinite(x.grad)), "x.grad after log at 1e-300 ... 1e300 is not finite",
               "1 / x is finite for every positive float64 above 1e-308")
    check.close(x.grad, upstream / values, "x.grad after log at 1e-300 ... 1e300 (= out.grad / x)")


@pytest.mark.exercise("12.5")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_backward_through_random_graphs(kata, check, seed):
    # A random expression graph over 4 leaves: each node combines two earlier nodes with +, * or
    # tanh, so nodes are shared by many paths of different lengths.
    plan_rng = np.random.default_rng(100 + seed)
    plan = [(int(plan_rng.integers(3)), int(plan_rng.integers(i)), int(plan_rng.integers(i)))
            for i in range(4, 24)]
    leaves_data = plan_rng.uniform(-0.8, 0.8, size=4)

    def build(values):
        nodes = list(values)
        for op, i, j in plan:
            a, b = nodes[i], nodes[j]
            nodes.append(a + b if op == 0 else (a * b if op == 1 else (a * 0.5 + b).tanh()))
        return nodes[-1] + nodes[-2] * nodes[-3]

    leaves = [kata.Value(float(v)) for v in leaves_data]
    run_backward(check, build(leaves), f"backward() through random graph {seed}")
    forward = lambda **kw: np.array(build([kata.Value(float(kw[n])) for n in "abcd"]).data)  # noqa: E731
    check.gradients(forward, dict(zip("abcd", leaves_data)),
                    {n: np.array(leaf.grad) for n, leaf in zip("abcd", leaves)}, np.array(1.0),
                    f"random expression graph {seed} (24 nodes, shared by paths of different lengths)")
