"""Hints climb towards the answer but never reach it: no hint quotes a line of the solution.

Every release carries ``curriculum.toml``, so a hint is as public as the stub. ``kata verify``
rejects a hint that contains a line of its exercise's fenced solution, compared without any
whitespace (``w@x+b`` matches ``w @ x + b``). Lines too short to give anything away are not
compared: fewer than ``MIN_CHARS`` characters without whitespace, or a bare ``return name``,
``pass``, ``else:`` and the like.
"""

from __future__ import annotations

import re

from grader.author.stubgen import find_fences
from grader.manifest import Exercise, Manifest

MIN_CHARS = 16
TRIVIAL = re.compile(r"^(return|raise|yield)?[\w.,()\[\]]*:?$")  # `return out`, `return x, cache`


def squeeze(text: str) -> str:
    """``text`` without whitespace and without Markdown code ticks."""
    return re.sub(r"\s+", "", text.replace("`", ""))


def telling_lines(solution: list[str]) -> list[str]:
    """The solution's lines worth hiding, whitespace-free (comments and trivial lines dropped)."""
    found = []
    for line in solution:
        code = line.split("  #", 1)[0].strip()
        if not code or code.startswith("#"):
            continue
        short = squeeze(code)
        if len(short) < MIN_CHARS or TRIVIAL.match(short):
            continue
        found.append(short)
    return found


def solution_lines(manifest: Manifest, exercise: Exercise) -> list[str]:
    """The lines between the exercise's fences in ``solutions/``."""
    path = manifest.root / "solutions" / f"{exercise.module}.py"
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for fence in find_fences(source, str(path)):
        if fence.symbol == exercise.symbol:
            return lines[fence.begin + 1:fence.end]
    return []


def leaks(hint: str, telling: list[str]) -> str | None:
    """The first solution line (whitespace-free) that ``hint`` quotes, if any."""
    text = squeeze(hint)
    return next((line for line in telling if line in text), None)


def check_hints(manifest: Manifest, chapters: set[str]) -> list[str]:
    problems = []
    for exercise in manifest.exercises:
        if exercise.chapter.id not in chapters:
            continue
        try:
            telling = telling_lines(solution_lines(manifest, exercise))
        except (OSError, ValueError):
            continue  # a missing or broken reference is reported by the other checks
        for number, hint in enumerate(exercise.hints, 1):
            line = leaks(hint, telling)
            if line:
                problems.append(f"{exercise.id} hint {number} quotes the solution line "
                                f"`{line}`: end the ladder near the answer, not at it")
    return problems
