"""Worked examples: every exercise's docstring shows one, and every one of them is true.

An example is a doctest inside the docstring of the exercise's symbol (a function, or a method
such as ``Dense.forward``); the stub keeps it, so the learner sees the expected result before
writing a line. ``kata verify`` fails when an exercise has none, and the contributors' test
command runs every example against the reference (``grader/tests/test_docs.py``).

The examples run with ``np`` and the module's own names in scope, and with NumPy's print options
fixed so that the same text is printed by NumPy 1.26 and 2.x (on 2.x, ``legacy="1.25"`` prints a
scalar as ``1.0``, not ``np.float64(1.0)``).
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import importlib
import sys
from pathlib import Path

import numpy as np

from grader.manifest import Manifest

PRINT_OPTIONS = dict(precision=4, suppress=True, linewidth=88)
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


@contextlib.contextmanager
def fixed_printing():
    """NumPy's print options as the examples were written, restored afterwards."""
    saved = np.get_printoptions()
    options = dict(PRINT_OPTIONS)
    if int(np.__version__.split(".")[0]) >= 2:
        options["legacy"] = "1.25"
    np.set_printoptions(**options)
    try:
        yield
    finally:
        np.set_printoptions(**saved)


def docstrings(source: str) -> dict[str, str]:
    """Qualified name ("f", "Class", "Class.method") -> docstring, for one module's source."""
    found: dict[str, str] = {}

    def visit(node, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = prefix + child.name
                found[name] = ast.get_docstring(child) or ""
                if isinstance(child, ast.ClassDef):
                    visit(child, name + ".")

    visit(ast.parse(source), "")
    return found


def missing_examples(manifest: Manifest, chapters: set[str]) -> list[str]:
    """One line per exercise (of the chapters named) whose docstring shows no ``>>>`` example."""
    problems = []
    for chapter in (ch for ch in manifest.chapters if ch.id in chapters):
        path = manifest.root / "solutions" / f"{chapter.module}.py"
        if not path.is_file():
            continue  # reported by the file check
        docs = docstrings(path.read_text(encoding="utf-8"))
        for exercise in chapter.exercises:
            if ">>>" not in docs.get(exercise.symbol, ""):
                problems.append(f"{exercise.id} {exercise.symbol}: its docstring has no worked "
                                f"example (a `>>>` line with the expected result below it)")
    return problems


def _tests_of(module) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return finder.find(module, module.__name__, globs={"np": np, **vars(module)})


def run_examples(root: Path, module_name: str, package: str = "solutions") -> list[str]:
    """Run every example in ``package.module_name``; one message per failing example."""
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    module = importlib.import_module(f"{package}.{module_name}")
    failures: list[str] = []
    with fixed_printing():
        for test in sorted(_tests_of(module), key=lambda t: t.lineno or 0):
            out: list[str] = []
            runner = doctest.DocTestRunner(optionflags=FLAGS, verbose=False)
            runner.run(test, out=out.append)
            if runner.failures:
                failures.append(f"{package}/{module_name}.py, {test.name}:\n" + "".join(out))
    return failures
