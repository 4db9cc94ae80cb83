"""The stub generator keeps signatures, docstrings and provided lines, and never leaks answers."""

import pytest

from grader.manifest import parse_manifest
from grader.author.stubgen import StubError, find_fences, generate_stub

MANIFEST = {
    "chapter": [{
        "id": "07", "module": "ch07_demo", "title": "Demo",
        "exercise": [
            {"id": "07.1", "title": "Double", "symbol": "double", "points": 1, "hints": ["x2"]},
            {"id": "07.2", "title": "Layer step", "symbol": "Layer.step", "points": 1, "hints": ["h"]},
        ],
    }]
}

SOURCE = '''"""Module docstring."""
import numpy as np


def double(x):
    """Twice x."""
    x = np.asarray(x)  # provided
    ### BEGIN SOLUTION
    secret = 2 * x
    return secret
    ### END SOLUTION


class Layer:
    def step(self):
        """One step."""
        ### BEGIN SOLUTION
        self.t = 1
        ### END SOLUTION

    def helper(self):
        return 3
'''


@pytest.fixture
def chapter(tmp_path):
    return parse_manifest(MANIFEST, tmp_path).chapters[0]


def test_stub_replaces_fenced_bodies_with_an_identified_raise(chapter):
    stub = generate_stub(SOURCE, chapter)
    assert "secret" not in stub and "self.t = 1" not in stub and "BEGIN SOLUTION" not in stub
    assert 'raise NotImplementedError("Exercise 07.1: double is not written yet")' in stub
    assert 'raise NotImplementedError("Exercise 07.2: Layer.step is not written yet")' in stub
    assert "# TODO(07.1): Double." in stub


def test_stub_keeps_docstrings_provided_lines_and_other_code(chapter):
    stub = generate_stub(SOURCE, chapter)
    for kept in ('"""Twice x."""', "x = np.asarray(x)  # provided", "def helper(self):",
                 '"""Module docstring."""'):
        assert kept in stub
    compile(stub, "stub.py", "exec")  # still valid Python


def test_stub_never_passes_or_returns_none(chapter):
    stub = generate_stub(SOURCE, chapter)
    assert "\n        pass" not in stub and "return None" not in stub


def test_fence_symbols_are_qualified_names():
    assert [f.symbol for f in find_fences(SOURCE)] == ["double", "Layer.step"]


@pytest.mark.parametrize("broken, message", [
    (SOURCE.replace("    ### END SOLUTION\n\n\nclass", "\n\nclass"), "inside another fence"),
    (SOURCE.replace("### BEGIN SOLUTION\n        self.t", "self.t"), "without a"),
    (SOURCE.replace("### BEGIN SOLUTION\n    secret", "### BEGIN SOLUTIONS\n    secret"), "exactly"),
])
def test_malformed_fences_are_named(chapter, broken, message):
    with pytest.raises(StubError, match=message):
        generate_stub(broken, chapter)


def test_fence_in_a_function_the_manifest_does_not_know(chapter):
    source = SOURCE.replace("def double(x):", "def triple(x):")
    with pytest.raises(StubError, match="triple"):
        generate_stub(source, chapter)


def test_exercise_without_a_fence_is_reported(chapter):
    source = SOURCE.replace("        ### BEGIN SOLUTION\n        self.t = 1\n        ### END SOLUTION\n",
                            "        self.t = 1\n")
    with pytest.raises(StubError, match="07.2"):
        generate_stub(source, chapter)
