"""``kata reset NN.M``: put one exercise's stub back without touching the rest of the file;
``kata reset --undo NN.M`` puts the learner's version back.

Reset saves the exercise's definition (only that function or method, never the whole file) in
``.kata/backups/<module>.<NN.M>.<time>.py`` and starts its hint ladder again. Undo splices the
newest of those backups over whatever the exercise holds now, leaving every other line of the
file alone; code written since the reset is saved the same way first, so nothing is ever lost.
"""

from __future__ import annotations

import ast
import re
import sys
from datetime import datetime
from pathlib import Path

from grader.author.stubgen import expected_stubs
from grader.learn import progress
from grader.manifest import RELEASE_STUBS, Exercise, Manifest
from grader.testing.splice import extract, splice

HINT_LINE = re.compile(r"^# hint level: (\d+)$", re.MULTILINE)


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


def backups(manifest: Manifest, exercise: Exercise) -> list[Path]:
    """The saved definitions of ``exercise``, oldest first."""
    folder = progress.state_dir(manifest) / "backups"
    return sorted(folder.glob(f"{exercise.module}.{exercise.id}.*.py"))


def save_definition(manifest: Manifest, exercise: Exercise, definition: str, hints: int) -> Path:
    folder = progress.state_dir(manifest) / "backups"
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now()
    path = folder / f"{exercise.module}.{exercise.id}.{now:%Y%m%d-%H%M%S-%f}.py"
    header = (f"# {exercise.id} `{exercise.symbol}` from exercises/{exercise.file}, saved by "
              f"kata reset at {now:%Y-%m-%d %H:%M:%S}.\n"
              f"# `kata reset --undo {exercise.id}` puts it back.\n# hint level: {hints}\n")
    path.write_text(header + definition, encoding="utf-8")
    return path


def _definition(path: Path) -> tuple[str, int]:
    """(definition, hint level) of a backup: its text without the header comments."""
    text = path.read_text(encoding="utf-8")
    level = HINT_LINE.search(text)
    lines = text.splitlines(keepends=True)
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    return "".join(lines), int(level.group(1)) if level else 0


def _stub(manifest: Manifest, exercise: Exercise, path: Path) -> str:
    """The pristine stub file: generated from solutions/, or (a student release has none) the
    copy `kata release` ships in .kata-stubs/."""
    shipped = manifest.root / RELEASE_STUBS / exercise.file
    if not (manifest.root / "solutions").is_dir() and shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    return expected_stubs(manifest)[path]


def reset(manifest: Manifest, exercise: Exercise) -> int:
    path = progress.exercise_file(manifest, exercise)
    stub = _stub(manifest, exercise, path)
    data = progress.load(manifest)
    hints = int(data["hints"].pop(exercise.id, 0))
    progress.save(manifest, data)
    ladder = " Its hint ladder starts again at hint 1." if hints else ""
    if not path.is_file():
        path.write_text(stub, encoding="utf-8")
        print(f"exercises/{exercise.file} was missing; it is back as a fresh stub file.{ladder}")
        return 0
    source = path.read_text(encoding="utf-8")
    try:
        restored = restore_symbol(source, stub, exercise.symbol)
    except SyntaxError as err:
        print(f"kata reset: exercises/{exercise.file} does not parse (line {err.lineno}: "
              f"{err.msg}); fix that first. Nothing was changed.", file=sys.stderr)
        return 2
    mine, theirs = extract(source, exercise.symbol), extract(stub, exercise.symbol)
    if mine == theirs:
        print(f"{exercise.id}: `{exercise.symbol}` is already the stub; nothing to save.{ladder}")
        return 0
    backup = save_definition(manifest, exercise, mine, hints)
    path.write_text(restored, encoding="utf-8")
    print(f"{exercise.id}: `{exercise.symbol}` is back to its stub in exercises/{exercise.file}."
          f"{ladder}")
    print(f"Your version is saved as {backup.relative_to(manifest.root)}; "
          f"`kata reset --undo {exercise.id}` puts it back.")
    return 0


def undo(manifest: Manifest, exercise: Exercise) -> int:
    saved = backups(manifest, exercise)
    if not saved:
        print(f"kata reset --undo: no saved version of {exercise.id} in .kata/backups/ "
              "(only `kata reset` saves one).", file=sys.stderr)
        return 1
    newest = saved[-1]
    definition, hints = _definition(newest)
    path = progress.exercise_file(manifest, exercise)
    if not path.is_file():
        path.write_text(expected_stubs(manifest)[path], encoding="utf-8")
    source = path.read_text(encoding="utf-8")
    stub = expected_stubs(manifest)[path]
    try:
        current = extract(source, exercise.symbol)
        restored = splice(source, exercise.symbol, definition)
    except KeyError:  # the learner deleted the definition: the undo adds it back
        current, restored = None, splice(source, exercise.symbol, definition)
    except SyntaxError as err:
        print(f"kata reset --undo: exercises/{exercise.file} does not parse (line {err.lineno}: "
              f"{err.msg}); fix that first. Nothing was changed.", file=sys.stderr)
        return 2
    data = progress.load(manifest)
    kept = None
    if current is not None and current != extract(stub, exercise.symbol) and current != definition:
        kept = save_definition(manifest, exercise, current, int(data["hints"].get(exercise.id, 0)))
    path.write_text(restored, encoding="utf-8")
    newest.unlink()
    if hints:
        data["hints"][exercise.id] = max(hints, int(data["hints"].get(exercise.id, 0)))
        progress.save(manifest, data)
    print(f"{exercise.id}: `{exercise.symbol}` is back as you had it before "
          f"`kata reset` (from {newest.name}); the rest of exercises/{exercise.file} is unchanged.")
    if kept:
        print(f"What it held since the reset is saved as {kept.relative_to(manifest.root)}.")
    return 0
