"""A chapter module rebuilt from a notebook's code cells: the stub, with the learner's blocks.

This is the one rule both front doors use to decide which code a notebook submits (the test
cells in the kernel, through :mod:`.harness`, and ``kata grade``, through :mod:`.extract`):

1. Start from the chapter's stub (``exercises/chNN_x.py`` as ``kata stubs`` makes it). Its
   provided code is used as it is; provided cells of the notebook are never read back.
2. Each exercise block (the top-level ``def`` or ``class`` holding an exercise) comes from the
   *last* cell that defines it, in execution order, as in a kernel where the last definition
   wins. A cell that does not parse defines nothing (the kernel would not have run it).
3. From a cell only *definitions* are taken: ``def``, ``class``, imports, and constants
   (``NAME = <literal>``). Other top-level statements (demo calls, prints, loops, patches of
   other modules) stay in the notebook: they are not part of the module.
4. Definitions of other learner cells (helpers) are appended at the end of the module.
5. An exercise block no cell defines keeps its stub, whose ``raise`` says so.

``from dlf.x import y`` in a cell becomes ``from .x import y`` again, so the result has exactly
the shape of a learner's ``exercises/chNN_x.py`` file; an untouched release gives the stub back.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Iterable

from grader.manifest import Chapter
from grader.nbgrader.blocks import (Block, exercise_blocks, join_blocks, split_blocks,
                                    to_module_imports)
from grader.nbgrader.names import BUNDLE
from grader.author.stubgen import stub_lines

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


@dataclass(frozen=True)
class Cell:
    code: str            # the cell's source, imports made relative again
    tree: ast.Module

    def defined(self) -> set[str]:
        return {node.name for node in self.tree.body if isinstance(node, DEFINITIONS)}


def parse_cell(source: str) -> Cell | None:
    """The cell, or None when it does not parse (the kernel would not have run it)."""
    code = to_module_imports(source)
    try:
        return Cell(code, ast.parse(code))
    except (SyntaxError, ValueError):
        return None


def _is_constant(node: ast.stmt) -> bool:
    if isinstance(node, ast.Assign):
        targets, value = node.targets, node.value
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets, value = [node.target], node.value
    else:
        return False
    if not all(isinstance(t, ast.Name) for t in targets):
        return False
    try:
        ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _keeps(node: ast.stmt, superseded: set[str]) -> bool:
    if isinstance(node, DEFINITIONS):
        return node.name not in superseded
    if isinstance(node, ast.ImportFrom):
        return node.module != "__future__" and not (node.module or "").startswith(BUNDLE)
    if isinstance(node, ast.Import):
        return not any(alias.name.split(".")[0] == BUNDLE for alias in node.names)
    return _is_constant(node)


def _first_line(node: ast.stmt) -> int:
    """1-based first line of a statement; a decorated definition starts at its decorators."""
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


def definitions(cell: Cell, superseded: Iterable[str] = ()) -> str:
    """The cell's code with every statement rule 3 drops removed (comments kept)."""
    superseded = set(superseded)
    kept = [n for n in cell.tree.body if _keeps(n, superseded)]
    if len(kept) == len(cell.tree.body):
        return cell.code.strip("\n")
    lines = cell.code.split("\n")
    spans = {n: range(_first_line(n) - 1, n.end_lineno) for n in cell.tree.body}
    kept_lines = {i for n in kept for i in spans[n]}
    dropped_lines = {i for n in cell.tree.body if n not in kept for i in spans[n]}
    if kept_lines & dropped_lines:  # statements sharing a line (``a = f(); def ...``): rare
        return "\n".join(ast.unparse(n) for n in kept)
    return "\n".join(line for i, line in enumerate(lines) if i not in dropped_lines).strip("\n")


def missing_block(block: Block, chapter: Chapter) -> Block:
    """The stub's block, its ``raise`` saying that no cell of the notebook defines it."""
    lines = list(block.lines)
    for exercise in exercise_blocks(chapter)[block.name]:
        stub_raise = stub_lines(exercise.id, exercise.symbol, exercise.title, "")[1]
        message = (f"Exercise {exercise.id}: no cell of the notebook defines {block.name} that "
                   "Python can read (a cell with a syntax error defines nothing)")
        for i, line in enumerate(lines):
            if line.strip() == stub_raise:
                indent = line[: len(line) - len(line.lstrip())]
                lines[i] = f"{indent}raise NameError({message!r})"
    return Block(block.name, tuple(lines))


def rebuild(stub: str, chapter: Chapter, sources: Iterable[str], known: Iterable[str] = ()) -> str:
    """The chapter module that ``sources`` (code cells in execution order) submit.

    ``known`` holds the texts of the notebook's own provided and test cells: they are skipped,
    since the stub already holds the provided code.
    """
    known_texts = {text.strip() for text in known}
    cells = [parse_cell(s) for s in sources if s.strip() and s.strip() not in known_texts]
    cells = [c for c in cells if c is not None]
    names = set(exercise_blocks(chapter))
    last: dict[str, int] = {}
    for index, cell in enumerate(cells):
        for name in cell.defined() & names:
            last[name] = index
    chosen = set(last.values())

    blocks: list[Block] = []
    emitted: set[int] = set()
    for block in split_blocks(stub, names):
        if block.name is None:
            blocks.append(block)
        elif block.name not in last:
            blocks.append(missing_block(block, chapter))
        elif last[block.name] not in emitted:
            index = last[block.name]
            emitted.add(index)
            superseded = {n for n in names if last.get(n) != index}
            code = definitions(cells[index], superseded)
            blocks.append(Block(block.name, block.lead + tuple(code.split("\n"))))
    extras = [definitions(cell, names) for i, cell in enumerate(cells)
              if i not in chosen and not (cell.defined() & names)]
    extras = [code for code in extras if code.strip()]
    if extras:
        text = "\n\n\n".join(["# Definitions from other cells of the notebook", *extras])
        blocks.append(Block(None, ("", "") + tuple(text.split("\n"))))
    return join_blocks(blocks)
