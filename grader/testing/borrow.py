"""Borrowed prerequisites: the reference's code of what an exercise calls, run as the learner's.

``kata check NN.M --reference-prereqs`` (and ``kata check``'s own retry after a failure) tests
an exercise with the reference's version of its prerequisites (manifest ``requires``, followed
transitively). Importing the reference's classes would mix two worlds: a reference ``Dense``
holding ``solutions.core.Parameter`` objects that the learner's ``Module.parameters()`` does
not recognise, a reference ``Value`` that the learner's ``Value`` cannot add. So nothing from
``solutions/`` is imported: each prerequisite's definition is read from the reference's source
(:func:`grader.testing.splice.extract`) and compiled *inside the learner's module*. Names in its
body (``Parameter``, ``Module``, ``Value``, other functions) resolve to the learner's, and a
method's ``super()`` to the learner's class: one identity for every object.

The borrowed code is labelled ``<reference NN.M symbol>`` (its source is registered with
``linecache`` for tracebacks), so no message or traceback shown to a learner names a file under
``solutions/``. The grading worker splices the same definitions (:mod:`grader.testing.splice`).
"""

from __future__ import annotations

import ast

import __future__
import linecache
import textwrap
import types
from functools import lru_cache
from pathlib import Path

from grader.manifest import Exercise, Manifest
from grader.testing.splice import extract

WRAPPER = "__kata_borrowed__"


def prerequisites(manifest: Manifest, exercise: Exercise) -> list[Exercise]:
    """Every exercise ``exercise`` calls, directly or through another, in curriculum order."""
    seen: dict[str, Exercise] = {}
    todo = list(exercise.requires)
    while todo:
        ex_id = todo.pop()
        if ex_id in seen:
            continue
        seen[ex_id] = manifest.exercise(ex_id)
        todo.extend(seen[ex_id].requires)
    seen.pop(exercise.id, None)
    return sorted(seen.values(), key=lambda ex: ex.sort_key)


@lru_cache(maxsize=None)
def _parsed(folder: Path, module: str) -> tuple[str, ast.Module]:
    source = (folder / f"{module}.py").read_text(encoding="utf-8")
    return source, ast.parse(source)  # each file is parsed once, however many symbols it lends


@lru_cache(maxsize=None)
def _definition(folder: Path, module: str, symbol: str) -> str:
    source, tree = _parsed(folder, module)
    return extract(source, symbol, tree)


def reference_definition(root: Path, module: str, symbol: str) -> str:
    """The source of ``symbol``'s definition in the reference, ``root/solutions/MODULE.py``."""
    return _definition(root / "solutions", module, symbol)


@lru_cache(maxsize=None)
def _code(folder: Path, exercise_id: str, module: str, symbol: str) -> types.CodeType:
    """The definition wrapped in ``def __kata_borrowed__(__class__): ...; return name``.

    The wrapper's argument is the ``__class__`` cell a method's zero-argument ``super()`` reads.
    """
    definition = _definition(folder, module, symbol)
    name = symbol.rsplit(".", 1)[-1]
    source = (f"def {WRAPPER}(__class__):\n{textwrap.indent(definition, '    ')}"
              f"    return {name}\n")
    label = f"<reference {exercise_id} {symbol}>"
    linecache.cache[label] = (len(source), None, source.splitlines(keepends=True), label)
    flags = __future__.annotations.compiler_flag
    return compile(source, label, "exec", flags=flags, dont_inherit=True)


def borrow(module: types.ModuleType, exercise: Exercise, folder: Path):
    """The reference definition of ``exercise.symbol`` (from ``folder``, the reference's
    package folder) made inside the learner's ``module``; None when the learner's module no
    longer has the class the method belongs to."""
    *path, _ = exercise.symbol.split(".")
    owner = None
    if path:
        owner = module
        for part in path:
            owner = getattr(owner, part, None)
        if not isinstance(owner, type):
            return None
    code = _code(Path(folder), exercise.id, exercise.module, exercise.symbol)
    scope: dict = {}
    exec(code, module.__dict__, scope)  # defines the wrapper only; nothing of the body runs
    return scope[WRAPPER](owner)
