"""Reference prerequisites, one definition at a time, taken out of the reference's source.

Borrowing a prerequisite means running the *reference's* body of what an exercise calls (its
prerequisites, manifest ``requires``) with the *learner's* module around it, so one unfinished
exercise does not fail the next, and every object is the learner's own (one ``Parameter``, one
``Module``, one ``Value`` class). :func:`extract` takes one definition out of the reference with
``ast``; never the whole file, so the reference of the exercise under test is never used.

- ``kata check --reference-prereqs`` and the learner's retry compile it into the learner's module
  (:mod:`grader.testing.borrow`);
- the grading worker :func:`splice` s it over the student's definition *before* the module runs,
  so module-level registries (``INITIALIZERS = {"he": init_he}``) pick up the spliced function.

Standard library only: the grading workspace copies this file into the sandboxed worker
(``kata_worker/splice.py``). A symbol is ``"func"`` or ``"Class.method"``. Both functions only
parse; they run nothing.
"""

from __future__ import annotations

import ast
import textwrap


def _find(tree: ast.Module, symbol: str):
    """(node, class node or None) of the *last* top-level definition of ``symbol``."""
    *owner, name = symbol.split(".")
    scope, parent = tree.body, None
    if owner:
        classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == owner[0]]
        if not classes or len(owner) > 1:
            return None, None
        parent = classes[-1]
        scope = parent.body
    found = [n for n in scope if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
             and n.name == name]
    return (found[-1] if found else None), parent


def _span(node) -> tuple[int, int]:
    """First and last line (1-based, inclusive) of a definition, decorators included."""
    first = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return first, node.end_lineno


def extract(source: str, symbol: str, tree: ast.Module | None = None) -> str:
    """The source text of ``symbol``'s definition in ``source`` (parsed: ``tree``), dedented
    to column 0."""
    tree = tree if tree is not None else ast.parse(source)
    node, _ = _find(tree, symbol)
    if node is None:
        raise KeyError(f"{symbol} is not defined in the reference")
    first, last = _span(node)
    lines = source.splitlines()[first - 1:last]
    return textwrap.dedent("\n".join(lines)) + "\n"


def splice(source: str, symbol: str, definition: str) -> str:
    """``source`` with ``symbol``'s definition replaced by ``definition`` (added if missing).

    Raises SyntaxError when ``source`` does not parse.
    """
    tree = ast.parse(source)
    node, parent = _find(tree, symbol)
    lines = source.splitlines()
    if node is not None:
        first, last = _span(node)
        indent = lines[first - 1][: len(lines[first - 1]) - len(lines[first - 1].lstrip())]
        new = textwrap.indent(definition.rstrip("\n"), indent).splitlines()
        return "\n".join(lines[:first - 1] + new + lines[last:]) + "\n"
    if parent is not None:  # the class exists but the method was deleted: append it to the class
        end = parent.end_lineno
        new = textwrap.indent(definition.rstrip("\n"), " " * (parent.col_offset + 4)).splitlines()
        return "\n".join(lines[:end] + new + lines[end:]) + "\n"
    if "." in symbol:
        return source  # no such class: the student's module fails its own tests
    return source.rstrip("\n") + "\n\n\n" + definition
