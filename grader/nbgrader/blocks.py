"""A chapter file cut into top-level blocks, the unit a notebook cell holds.

A block is either *provided* (consecutive top-level statements with no exercise in them:
the module docstring, imports, constants, helper functions) or an *exercise block*: the one
top-level ``def`` or ``class`` that holds one or more exercises (``neuron_output``, or the class
``Dense`` for ``Dense.__init__``). Each block owns the blank lines and comments above it, so
joining the blocks' lines gives the file back exactly. The reference (``solutions/``) and its
stub (``exercises/``) cut into the same sequence of blocks; only exercise blocks differ.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from grader.manifest import Chapter, Exercise
from grader.nbgrader.names import PACKAGE


@dataclass(frozen=True)
class Block:
    name: str | None          # the top-level def/class of an exercise block; None if provided
    lines: tuple[str, ...]    # the source lines of the block, blank lines above it included

    @property
    def code(self) -> str:
        """The block without the blank lines around it: what its notebook cell holds."""
        return "\n".join(self.lines).strip("\n")

    @property
    def lead(self) -> tuple[str, ...]:
        """The blank lines above the block's first non-blank line."""
        count = 0
        while count < len(self.lines) and not self.lines[count].strip():
            count += 1
        return self.lines[:count]


def top_level_name(symbol: str) -> str:
    """``"Dense.__init__"`` -> ``"Dense"``; ``"neuron_output"`` -> itself."""
    return symbol.split(".")[0]


def exercise_blocks(chapter: Chapter) -> dict[str, list[Exercise]]:
    """Top-level name -> the chapter's exercises inside it, in curriculum order."""
    found: dict[str, list[Exercise]] = {}
    for exercise in chapter.exercises:
        found.setdefault(top_level_name(exercise.symbol), []).append(exercise)
    return found


def _defined_name(node: ast.stmt) -> str | None:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    return None


def _block_end(lines: list[str], end: int) -> int:
    """Extend a statement ending at ``end`` (0-based, exclusive) over the indented comments
    after it: ``### END SOLUTION`` after a function's last statement belongs to the function."""
    last = end
    for index in range(end, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        if line[:1] in (" ", "\t") and line.lstrip().startswith("#"):
            last = index + 1
            continue
        break
    return last


def split_blocks(source: str, exercise_names: set[str], filename: str = "<chapter>") -> list[Block]:
    """Cut ``source`` into provided and exercise blocks (see the module docstring)."""
    tree = ast.parse(source, filename=filename)
    lines = source.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline; joined back by :func:`join_blocks`
    blocks: list[Block] = []
    start = 0  # 0-based first line not yet in a block
    for node in tree.body:
        name = _defined_name(node)
        end = _block_end(lines, node.end_lineno)
        region = tuple(lines[start:end])
        if name in exercise_names:
            blocks.append(Block(name, region))
        elif blocks and blocks[-1].name is None:  # provided code continues the provided block
            blocks[-1] = Block(None, blocks[-1].lines + region)
        else:
            blocks.append(Block(None, region))
        start = end
    if start < len(lines):
        tail = tuple(lines[start:])
        if blocks:
            blocks[-1] = Block(blocks[-1].name, blocks[-1].lines + tail)
        else:
            blocks.append(Block(None, tail))
    return blocks


def join_blocks(blocks: list[Block]) -> str:
    """The file the blocks came from (or a spliced one): lines joined, one final newline."""
    return "\n".join(line for block in blocks for line in block.lines) + "\n"


_RELATIVE = re.compile(r"^([ \t]*)from\s+\.(\w[\w.]*)?\s+import\b", re.MULTILINE)
_PACKAGED = re.compile(rf"^([ \t]*)from\s+{PACKAGE}(?:\.(\w[\w.]*))?\s+import\b", re.MULTILINE)


def to_notebook_imports(code: str) -> str:
    """``from .core import X`` -> ``from dlf.core import X``: a notebook has no package."""
    def absolute(match: re.Match) -> str:
        module = f"{PACKAGE}.{match.group(2)}" if match.group(2) else PACKAGE
        return f"{match.group(1)}from {module} import"

    return _RELATIVE.sub(absolute, code)


def to_module_imports(code: str) -> str:
    """The inverse of :func:`to_notebook_imports`, for code taken back out of a notebook."""
    return _PACKAGED.sub(lambda m: f"{m.group(1)}from .{m.group(2) or ''} import", code)
