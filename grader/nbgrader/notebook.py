"""One chapter as an nbgrader *source* notebook (nbformat 4 JSON, written without nbformat).

Cells, top to bottom:

1. the chapter's title, how to work, and the exercises with their points (markdown);
2. the chapter notes, ``docs/chNN_x.md``, one cell per ``##`` section (markdown);
3. the reference file cut into blocks (:mod:`.blocks`): each provided block becomes a
   read-only code cell; each exercise block becomes a markdown cell (the exercise, its hints
   folded) and a *solution cell* holding the block with nbgrader's fences, followed by one
   *autograder test cell* per exercise, worth the exercise's points.

``generate_assignment`` turns each solution cell into the stub's block: our ClearSolutions
(``config.py``) writes the stub lines kept in the cell's ``metadata.kata.stubs``.
"""

from __future__ import annotations

import re

from grader.manifest import Chapter, Exercise
from grader.nbgrader.blocks import exercise_blocks, split_blocks, to_notebook_imports
from grader.nbgrader.names import BUNDLE, META, PACKAGE
from grader.author.stubgen import find_fences, stub_lines

KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def _source(text: str) -> list[str]:
    """nbformat keeps a cell's source as a list of lines, each with its newline but the last."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + [lines[-1]]


def _nbgrader(grade_id: str, *, solution=False, grade=False, locked=False, points=None) -> dict:
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if points is not None:
        meta["points"] = points
    return meta


def markdown(text: str, cell_id: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": _source(text)}


def code(text: str, cell_id: str, nbgrader: dict | None = None, kata: dict | None = None) -> dict:
    metadata = {}
    if nbgrader:
        metadata["nbgrader"] = nbgrader
    if kata:
        metadata[META] = kata
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "metadata": metadata,
            "outputs": [], "source": _source(text)}


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def test_cell_code(exercise: Exercise) -> str:
    return (
        f'# Autograder test of exercise {exercise.id} "{exercise.title}" '
        f"({_points(exercise.points)}).\n"
        f"# It runs the kata's graded tests of {exercise.id} in a separate Python process,\n"
        "# against the code of this notebook, and prints what fails. Score: the share of\n"
        "# tests that pass. Do not edit this cell: nbgrader restores it before grading.\n"
        f"from {BUNDLE}.cell import check\n"
        f'check("{exercise.id}")'
    )


def intro(chapter: Chapter) -> str:
    rows = "\n".join(f"| {ex.id} | {ex.title} | `{ex.symbol}` | {ex.points:g} |"
                     for ex in chapter.exercises)
    total = sum(ex.points for ex in chapter.exercises)
    book = f' Book: "Neural Networks from Scratch", chapter {chapter.nnfs}.' if chapter.nnfs else ""
    return (
        f"# Chapter {chapter.id}: {chapter.title}\n\n"
        f"Deep Learning Foundations, as an nbgrader assignment.{book}\n\n"
        "**How to work.** Run the notebook from the top (*Restart & Run All*). In each solution\n"
        "cell, replace the `raise NotImplementedError(...)` line with your code, run the cell,\n"
        "then run the test cell under it. A test cell runs the kata's graded tests for its\n"
        "exercise in a separate Python process, against the code this notebook has run (the\n"
        "last run of each cell), and prints what fails and why. Only definitions count:\n"
        "functions, classes, imports and constants; demo calls and prints stay in the notebook.\n"
        f"Provided code comes from the `{PACKAGE}` folder beside this notebook; do not edit\n"
        f"`{PACKAGE}/` or `{BUNDLE}/`.\n\n"
        "| exercise | title | you write | points |\n|---|---|---|---|\n"
        f"{rows}\n\n**Total: {_points(total)}.** The kernel needs numpy, pytest and hypothesis."
    )


def notes_cells(notes: str) -> list[str]:
    """The chapter notes cut before each ``## `` heading (one markdown cell per section)."""
    parts = re.split(r"(?m)^(?=## )", notes.strip())
    return [p.strip() for p in parts if p.strip()]


def exercise_markdown(exercises: list[Exercise], block_name: str) -> str:
    parts = []
    for ex in exercises:
        hints = "\n\n".join(f"<details><summary>Hint {n}</summary>\n\n{hint}\n\n</details>"
                            for n, hint in enumerate(ex.hints, start=1))
        parts.append(f"### Exercise {ex.id}: {ex.title} ({_points(ex.points)})\n\n"
                     f"Write `{ex.symbol}` in the cell below: replace its "
                     "`raise NotImplementedError(...)` line, run the cell, then run the test "
                     f"cell of {ex.id}.\n\n{hints}")
    return "\n\n".join(parts)


def solution_stubs(block_code: str, chapter: Chapter) -> list[list[str]]:
    """The stub lines of each fence in the block, in order (for our ClearSolutions)."""
    by_symbol = {ex.symbol: ex for ex in chapter.exercises}
    stubs = []
    for fence in sorted(find_fences(block_code), key=lambda f: f.begin):
        ex = by_symbol[fence.symbol]
        todo, *rest = stub_lines(ex.id, ex.symbol, ex.title, "")
        # a notebook has no `kata hint`: its hints are folded in the markdown cell above
        todo = todo.replace(f"`kata hint {ex.id}`", f"open the hints of {ex.id} above")
        stubs.append([todo, *rest])
    return stubs


def _grade_id(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def chapter_cells(chapter: Chapter, reference: str, notes: str | None) -> list[dict]:
    """The cells of the chapter's source notebook, made from its reference file."""
    cells = [markdown(intro(chapter), "intro")]
    for n, section in enumerate(notes_cells(notes) if notes else [], start=1):
        cells.append(markdown(section, f"notes-{n}"))
    groups = exercise_blocks(chapter)
    provided = 0
    for block in split_blocks(reference, set(groups)):
        text = to_notebook_imports(block.code)
        if block.name is None:
            provided += 1
            grade_id = f"provided_{provided}"
            cells.append(code(text, grade_id, _nbgrader(grade_id, locked=True)))
            continue
        exercises = groups[block.name]
        cells.append(markdown(exercise_markdown(exercises, block.name), f"about-{block.name}"))
        grade_id = _grade_id(f"solution_{block.name}")
        kata = {"block": block.name, "exercises": [ex.id for ex in exercises],
                "stubs": solution_stubs(block.code, chapter)}
        cells.append(code(text, grade_id, _nbgrader(grade_id, solution=True), kata))
        for ex in exercises:
            grade_id = _grade_id(f"test_{ex.id}")
            cells.append(code(test_cell_code(ex), grade_id,
                              _nbgrader(grade_id, grade=True, locked=True, points=ex.points),
                              {"exercise": ex.id}))
    return cells


def chapter_notebook(chapter: Chapter, reference: str, notes: str | None) -> dict:
    return {
        "cells": chapter_cells(chapter, reference, notes),
        "metadata": {"kernelspec": dict(KERNEL), "language_info": {"name": "python"},
                     META: {"chapter": chapter.id, "module": chapter.module}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def cell_text(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def known_cells(notebook: dict) -> list[str]:
    """Texts of the kata's own code cells (provided and tests): never read back as the learner's."""
    return [cell_text(c) for c in notebook["cells"]
            if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("locked")]
