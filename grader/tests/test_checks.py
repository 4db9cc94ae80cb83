"""Teaching assertions: the failure text has the exercise, the quantity, the worst entry, the
error against the tolerance, a likely cause and the next step."""

import numpy as np
import pytest

from grader.testing.checks import Checker, KataAssertion
from grader.testing.gradcheck import numerical_gradient
from grader.manifest import parse_manifest

MANIFEST = {"chapter": [{"id": "03", "module": "ch03_x", "title": "X", "exercise": [
    {"id": "03.1", "title": "Thing", "symbol": "f", "points": 1, "hints": ["h"], "rtol": 1e-6}]}]}


@pytest.fixture
def check(tmp_path):
    return Checker(parse_manifest(MANIFEST, tmp_path).exercise("03.1"))


def failure(call) -> str:
    with pytest.raises(KataAssertion) as info:
        call()
    return str(info.value)


def test_close_passes_within_tolerance(check):
    check.close(np.array([1.0, 2.0]) * (1 + 1e-8), [1.0, 2.0], "y")


def test_close_message_teaches(check):
    text = failure(lambda: check.close([1.0, 2.0, 9.0], [1.0, 2.0, 3.0], "output of f"))
    assert text.startswith("03.1 Thing: output of f is wrong (1 of 3 entries off)")
    assert "worst entry [2]: got 9, expected 3" in text
    assert "kata hint 03.1" in text and "docs/ch03_x.md" in text


def test_shape_mismatch_is_reported_before_values(check):
    text = failure(lambda: check.close(np.zeros((3, 2)), np.zeros((2, 3)), "y"))
    assert "has shape (3, 2), expected (2, 3)" in text and "transposed" in text


@pytest.mark.parametrize("value, phrase", [(None, "returned None"), ((1, 2), "tuple"),
                                           ("abc", "expected numbers")])
def test_wrong_return_types_are_named(check, value, phrase):
    assert phrase in failure(lambda: check.close(value, [1.0, 2.0], "y"))


def test_nan_never_passes(check):
    assert "NaN" in failure(lambda: check.close([np.nan, 1.0], [0.0, 1.0], "y"))


def test_raises_requires_the_right_error_and_words(check):
    def bad():
        raise ValueError("shapes do not match")

    assert check.raises(ValueError, bad, "f(bad)", mentions=("shapes",))
    assert "should name weights" in failure(lambda: check.raises(ValueError, bad, "f", ("weights",)))
    assert "nothing was raised" in failure(lambda: check.raises(ValueError, lambda: 1, "f"))
    assert "raised KeyError" in failure(lambda: check.raises(ValueError, lambda: {}["k"], "f"))


def test_raises_lets_a_stub_through_as_not_started(check):
    def stub():
        raise NotImplementedError("Exercise 03.1: f is not written yet")

    with pytest.raises(NotImplementedError):
        check.raises(ValueError, stub, "f")


def test_numerical_gradient_of_known_function():
    x = np.array([[0.5, -1.0], [2.0, 0.1]])
    upstream = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda v: np.sin(v), x, upstream)
    np.testing.assert_allclose(grad, np.cos(x) * upstream, rtol=1e-8)
    assert x[0, 0] == 0.5  # the input is left unchanged


def test_gradients_catch_a_wrong_backward(check):
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    g = rng.normal(size=(4, 2))
    forward = lambda x, w: x @ w  # noqa: E731
    check.gradients(forward, {"x": x, "w": w}, {"x": g @ w.T, "w": x.T @ g}, g, "x @ w")
    text = failure(lambda: check.gradients(forward, {"x": x, "w": w}, {"x": g @ w.T, "w": x.T @ g / 4},
                                           g, "x @ w", batch_size=4))
    assert "gradient dw of x @ w" in text and "batch size" in text


def test_deterministic_names_state_kept_between_calls(check):
    calls = []

    def stateful():
        calls.append(1)
        return np.array([len(calls)], dtype=float)

    text = failure(lambda: check.deterministic(stateful, "f(x)"))
    assert "calling it twice gave different answers" in text and "cache=[]" in text
    check.deterministic(lambda: np.ones(2), "f(x)")


def test_steps_once_names_a_counter_bumped_twice(check):
    class Opt:
        iterations = 0

        def step(self):
            self.iterations += 2

    opt = Opt()
    text = failure(lambda: check.steps_once(opt, opt.step, "iterations", "Opt.step()"))
    assert "iterations went from 0 to 2 in one step, expected 1" in text
