"""Stub generator: ``solutions/`` is the source of truth, ``exercises/`` is made from it.

In a reference file each exercise body sits between nbgrader's own fences::

    def neuron_output(inputs, weights, bias):
        \"\"\"Docstring that teaches (kept in the stub).\"\"\"
        inputs = np.asarray(inputs, dtype=float)   # provided setup (kept)
        ### BEGIN SOLUTION
        return float(inputs @ weights + bias)      # the answer (removed)
        ### END SOLUTION

The fenced lines become a one-line TODO and a ``raise NotImplementedError`` that names the
exercise, so an untouched stub never returns ``None`` far from where the work is missing.
The exercise a fence belongs to is the function (or ``Class.method``) that encloses it, looked
up in the manifest; a fence outside any exercise symbol is an error.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from grader.manifest import Chapter, Manifest

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CHAPTER_FILE = re.compile(r"^ch\d{2}_\w+\.py$")
STUB_MESSAGE = re.compile(r"^Exercise (\d{2}\.\d+)\b")
HEADER = (
    "# Chapter {chapter}: {title}. Your workspace: replace each `raise NotImplementedError`\n"
    "# below with your code, then run `kata check`. (Generated from solutions/{module}.py.)\n"
)


class StubError(ValueError):
    """A reference file whose fences cannot be turned into stubs; the message says where."""


@dataclass(frozen=True)
class Fence:
    symbol: str      # qualified name of the enclosing function, e.g. "Dense.forward"
    begin: int       # 0-based line index of the BEGIN fence
    end: int         # 0-based line index of the END fence
    indent: str


def _enclosing_functions(tree: ast.AST) -> list[tuple[str, int, int]]:
    """(qualified name, first line, last line) of every function, 1-based and inclusive."""
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                found.append((name, child.lineno, child.end_lineno))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(tree, "")
    return found


def find_fences(source: str, filename: str = "<solution>") -> list[Fence]:
    """Locate every fenced exercise body in a reference file."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as err:
        raise StubError(f"{filename}:{err.lineno}: cannot parse the reference: {err.msg}") from None
    functions = _enclosing_functions(tree)
    lines = source.splitlines()
    fences, open_at = [], None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped == BEGIN:
            if open_at is not None:
                raise StubError(f"{filename}:{index + 1}: {BEGIN} inside another fence")
            open_at = index
        elif stripped == END:
            if open_at is None:
                raise StubError(f"{filename}:{index + 1}: {END} without a {BEGIN}")
            inside = [f for f in functions if f[1] <= open_at + 1 <= f[2]]
            if not inside:
                raise StubError(f"{filename}:{open_at + 1}: fence is not inside a function")
            symbol = max(inside, key=lambda f: f[1])[0]  # the innermost function
            indent = lines[open_at][: len(lines[open_at]) - len(lines[open_at].lstrip())]
            fences.append(Fence(symbol, open_at, index, indent))
            open_at = None
        elif "BEGIN SOLUTION" in stripped or "END SOLUTION" in stripped:
            raise StubError(f"{filename}:{index + 1}: write fences exactly as {BEGIN!r} / {END!r}")
    if open_at is not None:
        raise StubError(f"{filename}:{open_at + 1}: {BEGIN} is never closed")
    return fences


def stub_lines(exercise_id: str, symbol: str, title: str, indent: str) -> list[str]:
    return [
        f"{indent}# TODO({exercise_id}): {title}. Stuck? `kata hint {exercise_id}`",
        f'{indent}raise NotImplementedError("Exercise {exercise_id}: {symbol} is not written yet")',
    ]


def generate_stub(source: str, chapter: Chapter, filename: str | None = None) -> str:
    """The learner's stub file for one chapter, made from its reference source."""
    filename = filename or f"solutions/{chapter.module}.py"
    by_symbol = {ex.symbol: ex for ex in chapter.exercises}
    fences = find_fences(source, filename)
    seen: dict[str, Fence] = {}
    for fence in fences:
        if fence.symbol not in by_symbol:
            raise StubError(
                f"{filename}:{fence.begin + 1}: fence in {fence.symbol}, which no exercise of "
                f"chapter {chapter.id} names as its symbol in the manifest"
            )
        if fence.symbol in seen:
            raise StubError(f"{filename}:{fence.begin + 1}: second fence in {fence.symbol}")
        seen[fence.symbol] = fence
    missing = [ex.id for ex in chapter.exercises if ex.symbol not in seen]
    if missing:
        raise StubError(f"{filename}: no fenced body for exercise(s) {', '.join(missing)}")

    lines = source.splitlines()
    out: list[str] = []
    cursor = 0
    for fence in sorted(fences, key=lambda f: f.begin):
        ex = by_symbol[fence.symbol]
        out.extend(lines[cursor:fence.begin])
        out.extend(stub_lines(ex.id, ex.symbol, ex.title, fence.indent))
        cursor = fence.end + 1
    out.extend(lines[cursor:])
    header = HEADER.format(chapter=chapter.id, title=chapter.title, module=chapter.module)
    return header + "\n".join(out) + "\n"


def generate_all(manifest: Manifest) -> tuple[dict[Path, str], dict[str, str]]:
    """Every stub file ``exercises/`` should hold, and the problems that stopped some.

    Returns (stubs by destination path, error message by chapter ID or file name). One broken
    chapter does not stop the others, so authors can work on chapters side by side.
    """
    root = manifest.root
    stubs: dict[Path, str] = {}
    errors: dict[str, str] = {}
    for chapter in manifest.chapters:
        source_path = root / "solutions" / f"{chapter.module}.py"
        if not source_path.is_file():
            errors[chapter.id] = f"chapter {chapter.id}: solutions/{chapter.module}.py is missing"
            continue
        try:
            stubs[root / "exercises" / f"{chapter.module}.py"] = generate_stub(
                source_path.read_text(encoding="utf-8"), chapter)
        except StubError as err:
            errors[chapter.id] = str(err)
    chapter_modules = {ch.module for ch in manifest.chapters}
    for provided in sorted((root / "solutions").glob("*.py")):
        if provided.stem in chapter_modules:
            continue
        if CHAPTER_FILE.match(provided.name):
            # Copying it whole would hand the learner the answers.
            errors[provided.name] = (
                f"solutions/{provided.name} looks like a chapter but no chapter of the manifest "
                "names it as its module; add the chapter to curriculum.toml")
            continue
        # Provided plumbing (no exercises) and the package file are copied as they are.
        stubs[root / "exercises" / provided.name] = provided.read_text(encoding="utf-8")
    return stubs, errors


def expected_stubs(manifest: Manifest) -> dict[Path, str]:
    """Every stub file; raises StubError naming the first problem if any chapter is broken."""
    stubs, errors = generate_all(manifest)
    if errors:
        raise StubError("\n".join(errors.values()))
    return stubs
