"""``kata reset``: put one exercise's stub back without touching the rest of the file."""

from __future__ import annotations

import ast


def _span(source: str, symbol: str) -> tuple[int, int]:
    """0-based [start, end) line range of ``symbol``'s definition, decorators included."""
    node: ast.AST = ast.parse(source)
    for part in symbol.split("."):
        body = getattr(node, "body", [])
        matches = [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                     ast.ClassDef)) and n.name == part]
        if not matches:
            raise KeyError(f"`{symbol}` is not defined in the file any more")
        node = matches[-1]
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    return start, node.end_lineno


def restore_symbol(learner_source: str, stub_source: str, symbol: str) -> str:
    """``learner_source`` with the definition of ``symbol`` taken from ``stub_source``.

    Raises SyntaxError when the learner's file does not parse (nothing is changed then).
    """
    start, end = _span(learner_source, symbol)
    stub_start, stub_end = _span(stub_source, symbol)
    lines = learner_source.splitlines(keepends=True)
    stub_lines = stub_source.splitlines(keepends=True)
    return "".join(lines[:start] + stub_lines[stub_start:stub_end] + lines[end:])
