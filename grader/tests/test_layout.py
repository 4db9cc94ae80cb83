"""The grader's layout: subpackages by audience, and no import circle anywhere in ``grader/``.

Every import counts, also those inside functions: a lazy import only hides a circle until the
function runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import grader

PACKAGE = Path(grader.__file__).resolve().parent
AUDIENCES = {"learn", "testing", "author", "grading", "nbgrader"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")
            if "tests" not in p.relative_to(PACKAGE).parts}


def import_graph() -> dict[str, set[str]]:
    """grader module -> the grader modules it imports (anywhere in its body)."""
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                # `from pkg import mod` imports pkg.mod when it is a module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            edges.update(t for t in targets if t in modules and t != name)
        graph[name] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_in_grader():
    found = circles(import_graph())
    assert not found, "import circles in grader/: " + "; ".join(" <-> ".join(c) for c in found)


def test_the_circle_finder_finds_circles():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_the_test_machinery_never_imports_grading_or_nbgrader():
    graph = import_graph()
    leaks = sorted(f"{m} -> {t}" for m, ts in graph.items() if m.startswith("grader.testing")
                   for t in ts if t.startswith(("grader.grading", "grader.nbgrader", "grader.learn")))
    assert not leaks, "grader.testing must not depend on its users: " + ", ".join(leaks)


def test_subpackages_are_named_for_their_audience():
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()} - {"tests"}
    assert folders == AUDIENCES, f"grader/ subpackages {sorted(folders)}; expected {sorted(AUDIENCES)}"
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert loose == ["__init__.py", "__main__.py", "cli.py", "manifest.py"], loose
