"""Hints climb towards the answer but never quote it: ``kata verify`` checks every ladder."""

from __future__ import annotations

import json
from pathlib import Path

from grader.author.hints import check_hints, leaks, solution_lines, squeeze, telling_lines
from grader.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]


def test_every_hint_of_the_curriculum_stops_short_of_the_solution():
    manifest = load_manifest(REPO)
    assert check_hints(manifest, {ch.id for ch in manifest.chapters}) == []


def test_a_hint_that_quotes_a_solution_line_is_rejected(repo_copy):
    root = repo_copy(chapters=("01",))
    manifest = load_manifest(root)
    exercise = manifest.exercise("01.2")
    telling = telling_lines(solution_lines(manifest, exercise))
    assert telling, "01.2's solution has lines worth hiding"
    original = next(line.split("  #", 1)[0] for line in solution_lines(manifest, exercise)
                    if squeeze(line.split("  #", 1)[0]) == telling[-1])
    quoted = f"Nearly there: `{'  '.join(original.split())}`"  # other spacing, same code
    text = (root / "curriculum.toml").read_text(encoding="utf-8")
    last = exercise.hints[-1]
    text = text.replace(json.dumps(last, ensure_ascii=False), json.dumps(quoted, ensure_ascii=False))
    (root / "curriculum.toml").write_text(text, encoding="utf-8")
    problems = check_hints(load_manifest(root), {"01"})
    assert len(problems) == 1 and problems[0].startswith("01.2 hint ")


def test_trivial_lines_are_not_secrets():
    assert telling_lines(["    return out", "    return x, cache", "    pass", "    # a comment",
                          "    out = weights @ inputs + biases"]) == ["out=weights@inputs+biases"]
    assert leaks("add the biases to `weights @ inputs`", ["out=weights@inputs+biases"]) is None
    assert leaks("out = weights@inputs + biases", ["out=weights@inputs+biases"])
