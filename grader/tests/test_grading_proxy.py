"""What a graded test sees in grading mode: stand-ins that behave like the student's objects
for everything the tests do, while only data crosses the sandbox's boundary."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.grading.channel import CallTimeout, RemoteError, Sandbox, WorkerCrashed
from grader.grading.proxy import Link
from grader.grading.sandbox import Limits
from grader.grading.workspace import prepare
from grader.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]

STUDENT = textwrap.dedent('''
    import numpy as np


    class Value:
        def __init__(self, data, parents=()):
            self.data = float(data)
            self.parents = tuple(parents)
            self.grad = 0.0

        def __add__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            return Value(self.data + other.data, (self, other))

        __radd__ = __add__

        def __mul__(self, other):
            other = other if isinstance(other, Value) else Value(other)
            return Value(self.data * other.data, (self, other))

        __rmul__ = __mul__


    class Bag:
        def __init__(self, items):
            self.items = list(items)

        def __len__(self):
            return len(self.items)

        def __getitem__(self, index):
            return self.items[index]

        def __iter__(self):
            return iter(self.items)


    class AlwaysEqual:
        def __eq__(self, other):
            return True

        __hash__ = object.__hash__


    class Oops(Exception):
        pass


    def draw(rng, n):
        return rng.normal(size=n)


    def apply(function, x):
        return function(x) + 1


    def fail(kind):
        if kind == "value":
            raise ValueError("weights has shape (2, 3)", 3)
        if kind == "key":
            raise KeyError("init")
        if kind == "custom":
            raise Oops("custom text")
        if kind == "stub":
            raise NotImplementedError("Exercise 01.1: neuron_output is not written yet")
        if kind == "exit":
            raise SystemExit(0)


    def spin():
        while True:
            pass


    def die():
        import os
        os._exit(3)


    def pair(x):
        return np.asarray(x) * 2, {"cache": (x, [1, 2])}


    def helper(x):
        return x


    def uses_helper(x):
        return helper(x)
''')


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    manifest = load_manifest(REPO)
    work = tmp_path_factory.mktemp("proxy") / "job"
    prepare(manifest, work, {"ch01_neurons.py": STUDENT.encode()})
    sandbox = Sandbox(work, work / "scratch", manifest.root, Limits(), "auto", 60, work / "tmp")

    def load(timeout: float = 10.0):
        sandbox.spawn({"package": "exercises", "sub": "sub", "stubs": "stubs", "fallback": False,
                       "inject": {}}, 60)
        sandbox.link = Link(sandbox, timeout)
        return sandbox.link.request("load", None, module="ch01_neurons")

    yield sandbox, load
    sandbox.stop()


def test_data_comes_back_as_real_python_and_numpy_values(world):
    _, load = world
    kata = load()
    out, extra = kata.pair(np.arange(3.0))
    assert isinstance(out, np.ndarray) and out.tolist() == [0.0, 2.0, 4.0]
    assert isinstance(extra, dict) and extra["cache"][1] == [1, 2]
    assert isinstance(extra["cache"], tuple)


def test_objects_are_handles_with_identity_attributes_and_operators(world):
    _, load = world
    kata = load()
    a, b = kata.Value(2.0), kata.Value(-3.5)
    c = a + b
    assert c.data == -1.5 and (a + 4).data == 6.0 and (0.5 * a).data == 1.0
    assert c.parents[0] is a and c.parents[1] is b  # one stand-in per remote object
    assert isinstance(c, kata.Value) and not isinstance(1.0, kata.Value)
    assert type(c).__name__ == "Value"
    c.grad = 1.25  # state lives in the worker and is read back
    assert c.grad == 1.25
    bag = kata.Bag([a, b, 3])
    assert len(bag) == 3 and bag[0] is a and list(bag)[2] == 3


def test_comparisons_are_never_forwarded(world):
    _, load = world
    kata = load()
    liar = kata.AlwaysEqual()
    assert liar != 3 and not (liar == 3)  # equal only to itself


def test_exceptions_keep_builtin_types_and_text(world):
    _, load = world
    kata = load()
    with pytest.raises(ValueError) as info:
        kata.fail("value")
    assert info.value.args == ("weights has shape (2, 3)", 3)
    with pytest.raises(KeyError) as info:
        kata.fail("key")
    assert str(info.value) == "'init'"
    with pytest.raises(NotImplementedError, match=r"^Exercise 01\.1: neuron_output"):
        kata.fail("stub")
    with pytest.raises(RemoteError, match="Oops: custom text"):
        kata.fail("custom")
    with pytest.raises(RemoteError, match="SystemExit"):
        kata.fail("exit")
    with pytest.raises(AttributeError):
        kata.no_such_function


def test_generators_are_advanced_as_if_shared(world):
    _, load = world
    kata = load()
    rng, twin = np.random.default_rng(5), np.random.default_rng(5)
    np.testing.assert_array_equal(kata.draw(rng, 4), twin.normal(size=4))
    assert rng.normal() == twin.normal()  # the worker's draws advanced the test's generator


def test_test_side_functions_are_called_back(world):
    _, load = world
    kata = load()
    assert kata.apply(lambda x: x * 10, 4) == 41
    assert kata.apply(lambda v: (v + 1).data, kata.Value(1.0)) == 3.0


def test_timeouts_and_crashes_stop_the_worker_and_are_not_answers(world):
    sandbox, load = world
    kata = load(timeout=1.0)
    value = kata.Value
    with pytest.raises(CallTimeout):
        kata.spin()
    assert not issubclass(CallTimeout, Exception)  # `except Exception` in a test cannot eat it
    kata = load()
    with pytest.raises(WorkerCrashed):
        value(1.0)
    with pytest.raises(WorkerCrashed):
        kata.die()
    assert load().Value(2.0).data == 2.0  # a fresh child answers again


def test_monkeypatching_the_module_reaches_the_worker_and_is_undone(world, monkeypatch):
    _, load = world
    kata = load()
    monkeypatch.setattr(kata, "helper", lambda x: 42)
    assert kata.uses_helper(1) == 42
    monkeypatch.undo()
    assert kata.uses_helper(1) == 1


def test_what_cannot_cross_is_refused(world):
    _, load = world
    kata = load()

    class Local:
        pass

    with pytest.raises(TypeError, match="cannot send"):
        kata.apply(len, Local())
