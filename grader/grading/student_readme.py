"""The README of a student release: install, the loop, hints, how to hand in.

Written for the release it goes into: it links only files the release holds (the chapter notes
and exercise files of the released chapters, ``docs/notation.md``) and shows only commands that
work there (no ``--solutions``, no ``kata verify``, the demo only when chapter 08 is released).
``grader/tests/test_release_readme.py`` follows every link and runs every command.
"""

from __future__ import annotations

from grader.manifest import Manifest

TEMPLATE = """\
# Deep Learning Foundations: your exercises

Learn deep learning by building it, one small test-driven exercise at a time, in plain NumPy.
Each exercise is a function (or method) whose docstring says what to compute, with shapes and a
worked example; you write its body, and its tests tell you what is wrong, where, and why.

This copy holds chapters {chapter_list}: {n_exercises} exercises, {points} points.

## Install

You need Python 3.10 or newer.

```bash
python3 bootstrap.py
```

(Windows PowerShell: `py bootstrap.py`.) It makes a virtual environment in `.venv`, installs the
kata into it, and shows your progress board: the exercise to do next, every exercise *not
started*. Run it again any time; when nothing changed it only shows the board. To type `kata`
yourself, activate the environment once per terminal: `source .venv/bin/activate` (Windows:
`.venv\\Scripts\\Activate.ps1`). In an environment of your own, `pip install -e .` then `kata` works
too.

## The loop

1. Read the chapter's notes and open its exercise file (both linked below). Find the function
   the board names.
2. Replace its `raise NotImplementedError(...)` line (and the TODO above it) with your code.
3. Check it:

```bash
kata check
kata check {first}
kata check {first_chapter}
```

`kata check` runs the next unfinished exercise's tests, `kata check {first}` one exercise, and
`kata check {first_chapter}` a whole chapter. Each failing test prints a message that names the
quantity, the worst entry and a likely cause. An exercise that needs one you have not done yet
says *blocked by NN.M*: do that one first.

Other commands:

```bash
kata list
kata watch --help
kata reset {first}
pytest --exercise {first}
```

`kata list` is the board; `kata watch` re-runs the tests every time you save; `kata reset
{first}` puts one exercise back to its stub (your version is saved under `.kata/backups/`);
plain `pytest` works too. Your progress lives in `.kata/`.
{demo}
## Hints

```bash
kata hint {first}
kata hint {first} --all
```

Each exercise has a ladder of hints{ladder}, from general to near the answer: `kata hint
{first}` shows one more rung each time, `--all` the whole ladder. Try the docstring and the
notes first.

## Chapters

| chapter | notes | your file | exercises |
|---|---|---|---|
{rows}

Shapes and symbols are explained once in [docs/notation.md](docs/notation.md).

## How to hand in

Hand in what your instructor asks for, usually your `exercises/` folder (or this whole folder
as a `.zip`). Only the chapter files (`exercises/chNN_*.py`) are graded; anything else you send
is ignored, and your own copies of `core.py` or the tests are never used. Grading runs the same
tests you run here (and maybe hidden ones on the same exercises), so make `kata check {first_chapter}`
pass for each chapter before you hand in. An exercise that still raises `NotImplementedError`
scores 0; the others score the share of their tests that pass.
"""

DEMO = """
When chapter 08 passes, `kata demo spiral` trains a classifier made entirely of your own code and
prints its progress (plots too, with `pip install -e ".[plots]"`).
"""


def student_readme(manifest: Manifest, chapter_ids: set[str], files: set[str],
                   max_hints: int | None = None) -> str:
    """The README for a release of ``chapter_ids`` whose files are ``files`` (relative paths)."""
    chapters = [ch for ch in manifest.chapters if ch.id in chapter_ids]
    exercises = [ex for ch in chapters for ex in ch.exercises]
    rows = []
    for chapter in chapters:
        notes = f"[notes]({chapter.notes})" if chapter.notes in files else ""
        code = f"exercises/{chapter.module}.py"
        ids = f"{chapter.exercises[0].id}-{chapter.exercises[-1].id}" if chapter.exercises else ""
        rows.append(f"| {chapter.id} {chapter.title} | {notes} | [{code}]({code}) | {ids} |")
    ladder = f" (at most {max_hints} rungs in this course)" if max_hints else ""
    text = TEMPLATE.format(
        chapter_list=", ".join(ch.id for ch in chapters), n_exercises=len(exercises),
        points=f"{sum(ex.points for ex in exercises):g}", first=exercises[0].id,
        first_chapter=chapters[0].id, demo=DEMO if "08" in chapter_ids else "",
        ladder=ladder, rows="\n".join(rows))
    if "docs/notation.md" not in files:
        text = text.replace("\nShapes and symbols are explained once in "
                            "[docs/notation.md](docs/notation.md).\n", "")
    return text
