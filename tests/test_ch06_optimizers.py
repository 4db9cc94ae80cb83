"""Graded tests for chapter 06 (optimizers).

Every optimizer is run for several steps on a tiny parameter and compared, step by step, with a
trajectory the test computes itself: a closed form where one exists (a constant gradient, or the
quadratic loss 0.5 * sum(a * w^2) whose gradient is a * w), else the recurrence written out
below in plain NumPy. State is read back through the optimizer (``opt.velocities``, ``opt.m``,
``opt.iterations``), never through arrays the test handed in.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st


def run(kata, name, w0, grad_of, steps, **options):
    """Trajectory (steps, *w0.shape) of optimizer ``name`` on one Parameter starting at w0.

    ``grad_of(w, k)`` is the gradient the test hands in before step k (k = 0, 1, ...).
    """
    p = kata.Parameter(np.array(w0, dtype=float))
    opt = getattr(kata, name)([p], **options)
    path = []
    for k in range(steps):
        p.grad = np.array(grad_of(np.array(p.data, dtype=float), k), dtype=float)
        opt.step()
        path.append(np.array(p.data, dtype=float))
    return np.array(path), opt


EPS_INSIDE = "eps is inside the square root (sqrt(cache + eps)); it belongs outside: sqrt(cache) + eps"


def lr_at(lr, decay, k):
    return lr / (1.0 + decay * k)


# Independent recurrences, one per optimizer, written out in plain NumPy.
def ref_sgd(w, grad_of, steps, lr=1.0, decay=0.0, momentum=0.0):
    w, v, path = np.array(w, dtype=float), np.zeros(np.shape(w)), []
    for k in range(steps):
        v = momentum * v - lr_at(lr, decay, k) * grad_of(w, k)
        w = w + v
        path.append(w)
    return np.array(path)


def ref_adaptive(w, grad_of, steps, lr, decay=0.0, eps=1e-7, rho=None):
    """AdaGrad when rho is None, RMSprop otherwise."""
    w, cache, path = np.array(w, dtype=float), np.zeros(np.shape(w)), []
    for k in range(steps):
        g = grad_of(w, k)
        cache = cache + g * g if rho is None else rho * cache + (1 - rho) * g * g
        w = w - lr_at(lr, decay, k) * g / (np.sqrt(cache) + eps)
        path.append(w)
    return np.array(path)


def ref_adam(w, grad_of, steps, lr=0.001, decay=0.0, eps=1e-7, beta_1=0.9, beta_2=0.999):
    w, m, v, path = np.array(w, dtype=float), np.zeros(np.shape(w)), np.zeros(np.shape(w)), []
    for t in range(1, steps + 1):
        g = grad_of(w, t - 1)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        w = w - lr_at(lr, decay, t - 1) * (m / (1 - beta_1 ** t)) / (np.sqrt(v / (1 - beta_2 ** t)) + eps)
        path.append(w)
    return np.array(path)


def quadratic(a):
    return lambda w, k: a * w  # gradient of 0.5 * sum(a * w^2)


def wobbly(a):
    return lambda w, k: a * w + np.cos(k + w)  # a gradient that changes sign and size


def check_shape_and_count(check, kata, name, **options):
    path, opt = run(kata, name, np.ones((2, 3)), lambda w, k: np.full((2, 3), 0.5), 3, **options)
    check.shape(path[-1], (2, 3), f"p.data after {name}.step() on a (2, 3) parameter")
    check.true(opt.iterations == 3, f"after 3 calls of step(), {name}.iterations is {opt.iterations}",
               "add 1 to self.iterations at the end of every step (decay and Adam's t read it)")


def check_trajectory(check, got, expected, what, suspects=None):
    """``suspects``: {description: the trajectory that mistake gives}, named when it matches."""
    for k in range(len(expected)):
        check.close(got[k], expected[k], f"p.data after step {k + 1} of {what}",
                    suspects={d: path[k] for d, path in (suspects or {}).items()})


def check_independent_state(check, kata, name, expected_a, expected_b, options, grads):
    """Two optimizers on two parameters, stepped alternately, must not see each other."""
    pa, pb = kata.Parameter(np.ones(3)), kata.Parameter(np.full(3, -2.0))
    opt_a, opt_b = getattr(kata, name)([pa], **options), getattr(kata, name)([pb], **options)
    for k in range(STEPS):
        pa.grad = grads(np.array(pa.data, dtype=float), k)
        pb.grad = -3.0 * grads(np.array(pb.data, dtype=float), k)
        opt_a.step()
        opt_b.step()
    check.close(pa.data, expected_a, f"p.data of the first of two {name} optimizers stepped in turn")
    check.close(pb.data, expected_b, f"p.data of the second of two {name} optimizers stepped in turn")


def check_several_parameters(check, kata, name, reference, options, rng):
    """One optimizer, two parameters of different shapes: each follows its own recurrence,
    with one step count per step() (not per parameter) driving decay and bias correction."""
    a1, a2 = rng.uniform(0.2, 1.0, size=(2, 3)), rng.uniform(0.2, 1.0, size=4)
    w1, w2 = rng.normal(size=(2, 3)), rng.normal(size=4)
    p1, p2 = kata.Parameter(w1.copy()), kata.Parameter(w2.copy())
    opt = getattr(kata, name)([p1, p2], **options)
    for k in range(3):
        p1.grad = wobbly(a1)(np.array(p1.data, dtype=float), k)
        p2.grad = wobbly(a2)(np.array(p2.data, dtype=float), k)
        opt.step()
    what = f"{name}({', '.join(f'{key}={value}' for key, value in options.items())}) with two parameters"
    check.true(opt.iterations == 3, f"after 3 calls of step(), {name}.iterations is {opt.iterations}",
               "count steps, not parameters: iterations += 1 once per step(), after the loop")
    check.close(p1.data, reference(w1, wobbly(a1), 3, **options)[-1], f"the first parameter after 3 steps of {what}")
    check.close(p2.data, reference(w2, wobbly(a2), 3, **options)[-1],
                f"the second parameter after 3 steps of {what} (every parameter is updated, with the same lr_t and t)")


STEPS = 4  # steps in the two-optimizer tests
ALTERNATING = (lambda w, k: np.array([1.0, -0.5, 2.0]) * (1 if k % 2 == 0 else -0.4))


# ---------------------------------------------------------------- 06.1 learning-rate decay
@pytest.mark.exercise("06.1")
def test_decayed_lr_is_a_scalar(kata, check):
    out = kata.decayed_lr(1.0, 0.1, 3)
    check.shape(out, (), "decayed_lr(1.0, 0.1, 3)")


@pytest.mark.exercise("06.1")
def test_decayed_lr_worked_example(kata, check):
    check.close(kata.decayed_lr(1.0, 0.1, 10), 0.5, "decayed_lr(1.0, 0.1, 10): 1 / (1 + 0.1 * 10)")
    check.close(kata.decayed_lr(0.3, 0.5, 0), 0.3, "decayed_lr(0.3, 0.5, 0): the first step uses lr itself")
    check.close(kata.decayed_lr(0.3, 0.0, 1000), 0.3, "decayed_lr(0.3, 0.0, 1000): no decay")


@pytest.mark.exercise("06.1")
@given(st.floats(1e-4, 10.0), st.floats(0.0, 1.0), st.integers(0, 10_000))
def test_decayed_lr_formula(kata, check, lr, decay, iterations):
    check.close(kata.decayed_lr(lr, decay, iterations), lr / (1.0 + decay * iterations),
                f"decayed_lr({lr!r}, {decay!r}, {iterations})")


# ---------------------------------------------------------------- 06.2 SGD
@pytest.mark.exercise("06.2")
def test_sgd_shape_and_step_count(kata, check):
    check_shape_and_count(check, kata, "SGD", lr=0.1, momentum=0.5)


@pytest.mark.exercise("06.2")
def test_sgd_worked_example(kata, check):
    path, _ = run(kata, "SGD", [1.0, 2.0], lambda w, k: np.array([2.0, -4.0]), 1, lr=0.5)
    check.close(path[0], [0.0, 4.0], "p.data after SGD(lr=0.5) with w = [1, 2], g = [2, -4]")


@pytest.mark.exercise("06.2")
def test_sgd_quadratic_closed_form(kata, check, rng):
    a, w0 = rng.uniform(0.5, 1.5, size=3), rng.normal(size=3)
    path, _ = run(kata, "SGD", w0, quadratic(a), 5, lr=0.3)
    expected = np.array([w0 * (1 - 0.3 * a) ** k for k in range(1, 6)])  # w_k = w0 (1 - lr a)^k
    check_trajectory(check, path, expected, "SGD(lr=0.3) on 0.5 * sum(a w^2)")


@pytest.mark.exercise("06.2")
def test_sgd_momentum_constant_gradient(kata, check):
    g, lr, mu = np.array([1.0, -2.0]), 0.1, 0.9
    path, _ = run(kata, "SGD", [0.0, 0.0], lambda w, k: g, 4, lr=lr, momentum=mu)
    # v_k = -lr g (1 - mu^k) / (1 - mu): the steps grow towards lr g / (1 - mu)
    steps = np.array([-lr * g * (1 - mu ** k) / (1 - mu) for k in range(1, 5)])
    check.true(not np.allclose(path[-1], -4 * lr * g),
               "SGD with momentum=0.9 moved like plain SGD: the momentum has no effect",
               "keep self.velocities[i] from one step to the next: v = momentum * v - lr_t * g")
    check_trajectory(check, path, np.cumsum(steps, axis=0), "SGD(lr=0.1, momentum=0.9), constant g")


@pytest.mark.exercise("06.2")
def test_sgd_momentum_and_decay_trajectory(kata, check, rng):
    a, w0 = rng.uniform(0.2, 1.0, size=4), rng.normal(size=4)
    options = dict(lr=0.4, decay=0.3, momentum=0.7)
    path, opt = run(kata, "SGD", w0, wobbly(a), 6, **options)
    check_trajectory(check, path, ref_sgd(w0, wobbly(a), 6, **options), "SGD(lr=0.4, decay=0.3, momentum=0.7)")


@pytest.mark.exercise("06.2")
def test_sgd_decay_constant_gradient(kata, check):
    g = np.array([1.0, -1.0, 2.0])
    path, _ = run(kata, "SGD", np.zeros(3), lambda w, k: g, 4, lr=1.0, decay=0.5)
    rates = 1.0 / (1.0 + 0.5 * np.arange(4))  # 1, 2/3, 1/2, 2/5: the first step is undecayed
    check_trajectory(check, path, -np.cumsum(rates)[:, None] * g, "SGD(lr=1, decay=0.5), constant g")


@pytest.mark.exercise("06.2")
def test_sgd_velocity_lives_in_the_optimizer(kata, check):
    options = dict(lr=0.2, momentum=0.8)
    expected_a = ref_sgd(np.ones(3), ALTERNATING, STEPS, **options)[-1]
    expected_b = ref_sgd(np.full(3, -2.0), lambda w, k: -3.0 * ALTERNATING(w, k), STEPS, **options)[-1]
    check_independent_state(check, kata, "SGD", expected_a, expected_b, options, ALTERNATING)
    _, opt = run(kata, "SGD", np.zeros(2), lambda w, k: np.array([1.0, -1.0]), 2, lr=1.0, momentum=0.5)
    check.close(opt.velocities[0], [-1.5, 1.5], "SGD.velocities[0] after two steps with g = [1, -1]")


@pytest.mark.exercise("06.2")
def test_sgd_updates_every_parameter(kata, check, rng):
    p1, p2 = kata.Parameter(rng.normal(size=(2, 3))), kata.Parameter(rng.normal(size=4))
    before1, before2 = np.array(p1.data), np.array(p2.data)
    g1, g2 = rng.normal(size=(2, 3)), rng.normal(size=4)
    p1.grad, p2.grad = g1, g2
    kata.SGD([p1, p2], lr=0.1).step()
    check.close(p1.data, before1 - 0.1 * g1, "the first parameter after one SGD step")
    check.close(p2.data, before2 - 0.1 * g2, "the second parameter after one SGD step")


@pytest.mark.exercise("06.2")
def test_sgd_steps_every_parameter_alike(kata, check, rng):
    check_several_parameters(check, kata, "SGD", ref_sgd, dict(lr=0.4, decay=0.5, momentum=0.6), rng)


# ---------------------------------------------------------------- 06.3 AdaGrad
@pytest.mark.exercise("06.3")
def test_adagrad_shape_and_step_count(kata, check):
    check_shape_and_count(check, kata, "AdaGrad", lr=0.1)


@pytest.mark.exercise("06.3")
def test_adagrad_worked_example(kata, check):
    # first step: cache = g^2, so the step is lr * g / |g| = lr * sign(g) when eps = 0
    path, _ = run(kata, "AdaGrad", [1.0, 1.0], lambda w, k: np.array([3.0, -0.5]), 1, lr=0.1, eps=0.0)
    check.close(path[0], [0.9, 1.1], "p.data after AdaGrad(lr=0.1, eps=0) with g = [3, -0.5]")


@pytest.mark.exercise("06.3")
def test_adagrad_constant_gradient_closed_form(kata, check):
    g, lr, eps = np.array([2.0, -0.5, 1.0]), 0.1, 0.01
    path, opt = run(kata, "AdaGrad", np.zeros(3), lambda w, k: g, 5, lr=lr, eps=eps)
    # after k steps cache = k g^2, so step k moves by lr g / (sqrt(k) |g| + eps)
    steps = np.array([-lr * g / (np.sqrt(k) * np.abs(g) + eps) for k in range(1, 6)])
    inside = np.array([-lr * g / np.sqrt(k * g ** 2 + eps) for k in range(1, 6)])
    check_trajectory(check, path, np.cumsum(steps, axis=0), "AdaGrad(lr=0.1, eps=0.01), constant g",
                     {EPS_INSIDE: np.cumsum(inside, axis=0)})
    check.close(opt.caches[0], 5 * g ** 2, "AdaGrad.caches[0] after 5 steps: the sum of g^2")


@pytest.mark.exercise("06.3")
def test_adagrad_decay_trajectory(kata, check, rng):
    a, w0 = rng.uniform(0.2, 1.0, size=4), rng.normal(size=4)
    path, _ = run(kata, "AdaGrad", w0, wobbly(a), 6, lr=0.5, decay=0.2, eps=0.05)
    expected = ref_adaptive(w0, wobbly(a), 6, lr=0.5, decay=0.2, eps=0.05)
    check_trajectory(check, path, expected, "AdaGrad(lr=0.5, decay=0.2, eps=0.05)")


@pytest.mark.exercise("06.3")
def test_adagrad_cache_lives_in_the_optimizer(kata, check):
    options = dict(lr=0.3, eps=1e-3)
    expected_a = ref_adaptive(np.ones(3), ALTERNATING, STEPS, **options)[-1]
    expected_b = ref_adaptive(np.full(3, -2.0), lambda w, k: -3.0 * ALTERNATING(w, k), STEPS, **options)[-1]
    check_independent_state(check, kata, "AdaGrad", expected_a, expected_b, options, ALTERNATING)


@pytest.mark.exercise("06.3")
def test_adagrad_steps_every_parameter_alike(kata, check, rng):
    check_several_parameters(check, kata, "AdaGrad", ref_adaptive, dict(lr=0.5, decay=0.5, eps=0.05), rng)


# ---------------------------------------------------------------- 06.4 RMSprop
@pytest.mark.exercise("06.4")
def test_rmsprop_shape_and_step_count(kata, check):
    check_shape_and_count(check, kata, "RMSprop", lr=0.1)


@pytest.mark.exercise("06.4")
def test_rmsprop_worked_example(kata, check):
    # first step with rho = 0.75: cache = 0.25 g^2, sqrt = |g| / 2, step = 2 lr sign(g) (eps = 0)
    path, _ = run(kata, "RMSprop", [1.0, 1.0], lambda w, k: np.array([4.0, -1.0]), 1,
                  lr=0.1, eps=0.0, rho=0.75)
    swapped = 1.0 - 0.1 * np.sign([4.0, -1.0]) / np.sqrt(0.75)  # cache = 0.75 g^2
    check.close(path[0], [0.8, 1.2], "p.data after RMSprop(lr=0.1, rho=0.75, eps=0) with g = [4, -1]",
                suspects={"rho and (1 - rho) are swapped: the new g^2 gets the weight (1 - rho), "
                          "the old cache rho": swapped})


@pytest.mark.exercise("06.4")
def test_rmsprop_constant_gradient_closed_form(kata, check):
    g, lr, rho, eps = np.array([2.0, -0.5, 1.0]), 0.01, 0.5, 0.01
    path, opt = run(kata, "RMSprop", np.zeros(3), lambda w, k: g, 5, lr=lr, rho=rho, eps=eps)
    # cache_k = (1 - rho^k) g^2: the leaky average of a constant approaches g^2
    steps = np.array([-lr * g / (np.sqrt(1 - rho ** k) * np.abs(g) + eps) for k in range(1, 6)])
    inside = np.array([-lr * g / np.sqrt((1 - rho ** k) * g ** 2 + eps) for k in range(1, 6)])
    no_rho = np.array([-lr * g / (np.sqrt(k * (1 - rho)) * np.abs(g) + eps) for k in range(1, 6)])
    check_trajectory(check, path, np.cumsum(steps, axis=0), "RMSprop(lr=0.01, rho=0.5, eps=0.01), constant g",
                     {EPS_INSIDE: np.cumsum(inside, axis=0),
                      "the cache never forgets: cache + (1 - rho) * g^2 drops the factor rho on "
                      "the old cache (cache = rho * cache + (1 - rho) * g^2)": np.cumsum(no_rho, axis=0)})
    check.close(opt.caches[0], (1 - rho ** 5) * g ** 2, "RMSprop.caches[0] after 5 steps: (1 - rho^5) g^2")


@pytest.mark.exercise("06.4")
def test_rmsprop_decay_trajectory(kata, check, rng):
    a, w0 = rng.uniform(0.2, 1.0, size=4), rng.normal(size=4)
    options = dict(lr=0.05, decay=0.2, eps=0.05, rho=0.8)
    path, _ = run(kata, "RMSprop", w0, wobbly(a), 6, **options)
    check_trajectory(check, path, ref_adaptive(w0, wobbly(a), 6, **options), "RMSprop(lr=0.05, decay=0.2, rho=0.8)")


@pytest.mark.exercise("06.4")
def test_rmsprop_cache_lives_in_the_optimizer(kata, check):
    options = dict(lr=0.1, eps=1e-3, rho=0.6)
    expected_a = ref_adaptive(np.ones(3), ALTERNATING, STEPS, **options)[-1]
    expected_b = ref_adaptive(np.full(3, -2.0), lambda w, k: -3.0 * ALTERNATING(w, k), STEPS, **options)[-1]
    check_independent_state(check, kata, "RMSprop", expected_a, expected_b, options, ALTERNATING)


@pytest.mark.exercise("06.4")
def test_rmsprop_steps_every_parameter_alike(kata, check, rng):
    check_several_parameters(check, kata, "RMSprop", ref_adaptive, dict(lr=0.05, decay=0.5, eps=0.05, rho=0.8), rng)


# ---------------------------------------------------------------- 06.5 Adam
@pytest.mark.exercise("06.5")
def test_adam_shape_and_step_count(kata, check):
    check_shape_and_count(check, kata, "Adam", lr=0.1)


@pytest.mark.exercise("06.5")
def test_adam_first_step_is_lr_per_entry(kata, check):
    path, _ = run(kata, "Adam", [1.0, 1.0, 1.0], lambda w, k: np.array([5.0, -0.01, 0.3]), 1,
                  lr=0.1, eps=0.0)
    finite = np.isfinite(path[0])
    check.true(np.all(finite), "p.data is not finite after Adam's first step",
               "bias correction divides by 1 - beta^t: count t from 1 (t = iterations + 1), not 0"
               if not finite.any() else
               "only the entry with a negative gradient broke: a square root of a negative v? "
               "v averages g ** 2, not g" if finite.tolist() == [True, False, True] else "")
    g = np.array([5.0, -0.01, 0.3])
    uncorrected = 1.0 - 0.1 * (0.1 * g) / np.sqrt(0.001 * g ** 2)  # m = 0.1 g, v = 0.001 g^2
    check.close(path[0], [0.9, 1.1, 0.9],
                "p.data after Adam's first step (lr=0.1, eps=0): bias-corrected, each entry moves by lr",
                rtol=1e-9, suspects={"there is no bias correction (m_hat = m / (1 - beta_1^t), "
                                     "v_hat = v / (1 - beta_2^t))": uncorrected})


@pytest.mark.exercise("06.5")
def test_adam_constant_gradient_closed_form(kata, check):
    # with bias correction m_hat = g and v_hat = g^2 at every step: each step is lr g / (|g| + eps)
    g, lr, eps = np.array([2.0, -0.5, 1e-3]), 0.01, 1e-3
    path, opt = run(kata, "Adam", np.zeros(3), lambda w, k: g, 5, lr=lr, eps=eps)
    steps = np.arange(1, 6)[:, None] * (-lr * g / (np.abs(g) + eps))
    inside = np.arange(1, 6)[:, None] * (-lr * g / np.sqrt(g ** 2 + eps))
    check_trajectory(check, path, steps, "Adam(lr=0.01, eps=1e-3), constant g (bias-corrected steps are all equal)",
                     {EPS_INSIDE: inside})
    check.close(opt.m[0], (1 - 0.9 ** 5) * g, "Adam.m[0] after 5 steps (stored without bias correction)")
    check.close(opt.v[0], (1 - 0.999 ** 5) * g ** 2, "Adam.v[0] after 5 steps (stored without bias correction)")


@pytest.mark.exercise("06.5")
def test_adam_decay_trajectory(kata, check, rng):
    a, w0 = rng.uniform(0.2, 1.0, size=4), rng.normal(size=4)
    options = dict(lr=0.1, decay=0.3, eps=0.05, beta_1=0.8, beta_2=0.9)
    path, opt = run(kata, "Adam", w0, wobbly(a), 6, **options)
    check_trajectory(check, path, ref_adam(w0, wobbly(a), 6, **options), "Adam(lr=0.1, decay=0.3, beta_1=0.8, beta_2=0.9)")


@pytest.mark.exercise("06.5")
def test_adam_moments_live_in_the_optimizer(kata, check):
    options = dict(lr=0.1, eps=1e-3, beta_1=0.7, beta_2=0.9)
    expected_a = ref_adam(np.ones(3), ALTERNATING, STEPS, **options)[-1]
    expected_b = ref_adam(np.full(3, -2.0), lambda w, k: -3.0 * ALTERNATING(w, k), STEPS, **options)[-1]
    check_independent_state(check, kata, "Adam", expected_a, expected_b, options, ALTERNATING)


@pytest.mark.exercise("06.5")
def test_adam_steps_every_parameter_alike(kata, check, rng):
    check_several_parameters(check, kata, "Adam", ref_adam, dict(lr=0.1, decay=0.5, eps=0.05, beta_1=0.8, beta_2=0.9), rng)


# ---------------------------------------------------------------- edge cases (issue 10 §2)
def check_tiny_parameters(check, kata, name, reference, options, rng):
    """A 0-d parameter (like Swish's beta, chapter 09), a (1,) one and a (2, 3) one together."""
    shapes = [(), (1,), (2, 3)]
    starts = [rng.normal(size=s) for s in shapes]
    slopes = [rng.uniform(0.2, 1.0, size=s) for s in shapes]
    params = [kata.Parameter(np.array(w, dtype=float)) for w in starts]
    opt = getattr(kata, name)(params, **options)
    for k in range(3):
        for p, a in zip(params, slopes):
            p.grad = np.asarray(wobbly(a)(np.array(p.data, dtype=float), k), dtype=float)
        opt.step()
    for p, w, a, s in zip(params, starts, slopes, shapes):
        expected = reference(w, wobbly(a), 3, **options)[-1]
        got = check.shape(p.data, s, f"a parameter of shape {s} after 3 steps of {name} (keep its shape)")
        check.close(got, expected, f"a parameter of shape {s} after 3 steps of {name} (write "
                    "p.data = p.data - ...: p.data[:] cannot index a 0-d array)")


@pytest.mark.exercise("06.2")
def test_sgd_steps_0d_and_1_element_parameters(kata, check, rng):
    check_tiny_parameters(check, kata, "SGD", ref_sgd, dict(lr=0.3, decay=0.2, momentum=0.5), rng)


@pytest.mark.exercise("06.3")
def test_adagrad_steps_0d_and_1_element_parameters(kata, check, rng):
    check_tiny_parameters(check, kata, "AdaGrad", ref_adaptive, dict(lr=0.3, decay=0.2), rng)


@pytest.mark.exercise("06.4")
def test_rmsprop_steps_0d_and_1_element_parameters(kata, check, rng):
    check_tiny_parameters(check, kata, "RMSprop", ref_adaptive, dict(lr=0.01, decay=0.2, rho=0.8), rng)


@pytest.mark.exercise("06.5")
def test_adam_steps_0d_and_1_element_parameters(kata, check, rng):
    check_tiny_parameters(check, kata, "Adam", ref_adam, dict(lr=0.01, decay=0.2, beta_1=0.8, beta_2=0.9), rng)
