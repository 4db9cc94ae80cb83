"""The call contracts (grader/testing/contracts.py): each one fails, with its own teaching
message, on a deliberately wrong function, and stays silent on a right one."""

import types

import numpy as np
import pytest

from grader.manifest import parse_manifest
from grader.testing.checks import KataAssertion
from grader.testing.contract_messages import explain_exception
from grader.testing.contracts import install

EXERCISES = [
    ("07.1", "kernel_forward", {}),
    ("07.2", "kernel_backward", {}),
    ("07.3", "update_stats", {}),
    ("07.4", "Opt.step", {}),
    ("07.5", "train", {"contracts": {"mutates": ["model"]}}),
    ("07.6", "view", {"contracts": {"aliases": ["x"]}}),
    ("07.7", "make_labels", {}),
]
MANIFEST = {"chapter": [{"id": "07", "module": "ch07_x", "title": "X", "exercise": [
    {"id": i, "title": f"Thing {i}", "symbol": s, "points": 1, "hints": ["h"], **extra}
    for i, s, extra in EXERCISES]}]}


@pytest.fixture
def manifest(tmp_path):
    return parse_manifest(MANIFEST, tmp_path)


def contracted(manifest, monkeypatch, exercise="07.1", **symbols):
    """A module holding ``symbols``, wrapped as the kata fixture wraps a test's module."""
    module = types.ModuleType("kata_fake")
    for name, value in symbols.items():
        setattr(module, name, value)
    install(module, manifest.exercise(exercise), manifest, monkeypatch)
    return module


def failure(call) -> str:
    with pytest.raises(KataAssertion) as info:
        call()
    return str(info.value)


def kernel_forward(x):
    return x * 2.0, (x,)


def test_a_right_kernel_passes_every_contract(manifest, monkeypatch):
    kata = contracted(manifest, monkeypatch, kernel_forward=kernel_forward)
    out, cache = kata.kernel_forward(np.arange(3.0))  # the cache may hold x itself
    assert out.tolist() == [0.0, 2.0, 4.0] and cache[0].tolist() == [0.0, 1.0, 2.0]
    out32, _ = kata.kernel_forward(np.arange(3, dtype=np.float32))
    assert out32.dtype == np.float32


def test_changing_an_argument_in_place_is_named_with_its_worst_entry(manifest, monkeypatch):
    def kernel_forward(x):
        x[1] += 5.0
        return x * 1.0, None

    kata = contracted(manifest, monkeypatch, kernel_forward=kernel_forward)
    text = failure(lambda: kata.kernel_forward(np.arange(3.0)))
    assert text.startswith("07.1 Thing 07.1: kernel_forward changed its argument `x` in place")
    assert "entry [1]: was 1, is now 6 (1 of 3 entries changed)" in text
    assert "copy before modifying" in text and "kata hint 07.1" in text


def test_a_backward_overwriting_its_cache_or_dout_is_caught(manifest, monkeypatch):
    def kernel_backward(dout, cache):
        (x,) = cache
        x *= 2.0
        return dout * x

    def kernel_backward_dout(dout, cache):
        dout[dout < 0] = 0.0
        return dout * 1.0

    kata = contracted(manifest, monkeypatch, "07.2", kernel_backward=kernel_backward)
    text = failure(lambda: kata.kernel_backward(np.ones(3), (np.arange(3.0),)))
    assert "changed its argument `cache[0]` in place" in text and "leave the cache" in text
    kata = contracted(manifest, monkeypatch, "07.2", kernel_backward=kernel_backward_dout)
    text = failure(lambda: kata.kernel_backward(np.array([1.0, -1.0]), None))
    assert "`dout` in place" in text and "never `dout *= ...`" in text


def test_running_statistics_updated_in_place(manifest, monkeypatch):
    def update_stats(running_mean, x, momentum=0.1):
        running_mean *= 1.0 - momentum
        running_mean += momentum * x.mean(axis=0)
        return running_mean.copy()

    kata = contracted(manifest, monkeypatch, "07.3", update_stats=update_stats)
    text = failure(lambda: kata.update_stats(np.ones(2), np.zeros((4, 2))))
    assert "`running_mean` in place" in text and "return the new statistics" in text


def test_returning_an_input_or_a_view_of_it(manifest, monkeypatch):
    kata = contracted(manifest, monkeypatch, kernel_forward=lambda x: (x, None))
    kata.kernel_forward = types.FunctionType((lambda x: (x, None)).__code__, {})
    install(kata, manifest.exercise("07.1"), manifest, monkeypatch)
    text = failure(lambda: kata.kernel_forward(np.arange(3.0)))
    assert "its result[0] is `x` itself" in text and "shares" not in text.splitlines()[0]
    assert "return a new array" in text


def test_a_view_is_aliasing_too_unless_declared(manifest, monkeypatch):
    def view(x):
        return x[:, 0]

    kata = contracted(manifest, monkeypatch, "07.6", view=view)
    kata.view(np.ones((2, 2)))  # declared: aliases = ["x"]

    def kernel_backward(dout, cache):
        return dout.T

    kata = contracted(manifest, monkeypatch, "07.2", kernel_backward=kernel_backward)
    text = failure(lambda: kata.kernel_backward(np.ones((2, 3)), None))
    assert "shares memory with `dout` (a view of it)" in text


def test_dtype_follows_the_floating_inputs(manifest, monkeypatch):
    def kernel_backward(dout, cache):
        return (dout * cache).astype(np.float32)

    kata = contracted(manifest, monkeypatch, "07.2", kernel_backward=kernel_backward)
    text = failure(lambda: kata.kernel_backward(np.ones(3), np.ones(3)))
    assert "its result has dtype float32, expected float64" in text and "np.zeros_like(x)" in text

    def kernel_forward(x):
        return np.zeros(x.shape) + x, None  # float64 zeros promote a float32 input

    kata = contracted(manifest, monkeypatch, kernel_forward=kernel_forward)
    text = failure(lambda: kata.kernel_forward(np.ones(3, dtype=np.float32)))
    assert "has dtype float64, expected float32" in text


def test_labels_stay_integers(manifest, monkeypatch):
    def make_labels(n):
        return np.zeros((2 * n, 2)), np.repeat(np.arange(2.0), n)

    kata = contracted(manifest, monkeypatch, "07.7", make_labels=make_labels)
    text = failure(lambda: kata.make_labels(3))
    assert "its result[1] holds class labels as float64" in text and "integer" in text


def test_state_kept_between_calls(manifest, monkeypatch):
    seen = []

    def kernel_forward(x):
        seen.append(1)
        return x * len(seen), None

    kata = contracted(manifest, monkeypatch, kernel_forward=kernel_forward)
    text = failure(lambda: kata.kernel_forward(np.ones(2)))
    assert "calling it twice with the same arguments gave different answers" in text
    assert "keeps no state between calls" in text


def test_a_step_counter_moves_once_per_step(manifest, monkeypatch):
    class Opt:
        def __init__(self):
            self.iterations = 0

        def step(self):
            self.iterations += 2

    kata = contracted(manifest, monkeypatch, "07.4", Opt=Opt)
    text = failure(lambda: kata.Opt().step())
    assert "iterations went from 0 to 2 in one call" in text and "once per step" in text


def test_declared_mutation_is_allowed(manifest, monkeypatch):
    class Model:
        def __init__(self):
            self.w = np.zeros(2)

    def train(model, x):
        model.w += x
        return float(model.w.sum())

    kata = contracted(manifest, monkeypatch, "07.5", train=train)
    assert kata.train(Model(), np.ones(2)) == 2.0

    def kernel_backward(dout, model):
        model.w += 1.0
        return dout * 1.0

    kata = contracted(manifest, monkeypatch, "07.2", kernel_backward=kernel_backward)
    text = failure(lambda: kata.kernel_backward(np.ones(2), Model()))
    assert "`model.w` in place" in text


def test_calls_inside_the_learners_code_are_not_checked_again(manifest, monkeypatch):
    module = types.ModuleType("kata_fake")

    def kernel_forward(x):
        return module.kernel_backward(x, None), None

    def kernel_backward(dout, cache):
        return dout  # returns its input: only wrong when the test calls it directly

    module.kernel_forward, module.kernel_backward = kernel_forward, kernel_backward
    install(module, manifest.exercise("07.1"), manifest, monkeypatch)
    with pytest.raises(KataAssertion, match="is `x` itself"):
        module.kernel_forward(np.ones(2))  # the outer call's result aliases x: reported once


def test_an_exception_is_shown_with_the_call_and_its_meaning(manifest, monkeypatch):
    def kernel_forward(x):
        return x @ x.T.T, None

    kata = contracted(manifest, monkeypatch, kernel_forward=kernel_forward)
    with pytest.raises(ValueError) as info:
        kata.kernel_forward(np.ones((2, 3)))
    text = explain_exception(info.value, manifest.exercise("07.1"), "exercises/ch07_x.py:3",
                             "return x @ x.T.T")
    assert text.startswith("07.1 Thing 07.1: kernel_forward(x: float64 (2, 3)) raised ValueError")
    assert "raised at exercises/ch07_x.py:3:   return x @ x.T.T" in text
    assert "inner sizes of a matrix product" in text


def test_an_expected_error_still_reaches_check_raises(manifest, monkeypatch):
    def kernel_forward(x):
        raise ValueError("x must be 2-D, got shape (3,)")

    kata = contracted(manifest, monkeypatch, kernel_forward=kernel_forward)
    with pytest.raises(ValueError, match="must be 2-D"):
        kata.kernel_forward(np.ones(3))


def test_mixed_floating_inputs_allow_either_dtype(manifest, monkeypatch):
    """float32 data with a float64 table (a noise schedule) may keep the data's float32."""
    def kernel_backward(dout, cache):
        return (dout * cache).astype(dout.dtype)

    kata = contracted(manifest, monkeypatch, "07.2", kernel_backward=kernel_backward)
    kata.kernel_backward(np.ones(3, dtype=np.float32), np.ones(3))  # float32 kept: fine
    kata.kernel_backward(np.ones(3), np.ones(3, dtype=np.float32))  # float64 kept: fine

    def kernel_forward(x):
        return x.astype(np.float16), None

    kata = contracted(manifest, monkeypatch, kernel_forward=kernel_forward)
    text = failure(lambda: kata.kernel_forward(np.ones(3, dtype=np.float32)))
    assert "has dtype float16, expected float32" in text
