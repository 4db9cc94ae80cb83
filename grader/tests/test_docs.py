"""The docs are provably true: worked examples, runnable blocks, links, commands, chapter numbers.

- every exercise's docstring example runs against the reference and prints what it shows;
- every fenced block marked ```` ```python runnable ```` in docs/ runs against the reference (the
  block imports ``exercises.…`` as a learner's would; here that means ``solutions.…``);
- every relative link in README.md, CONTRIBUTING.md and docs/ points at a file that exists;
- every `kata …` command quoted in them parses, and every exercise ID it names exists;
- every course chapter named ("chapter 05", "chapters 13–15") exists in curriculum.toml.
"""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest

from grader.author.examples import run_examples
from grader.cli import build_parser
from grader.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
MANIFEST = load_manifest(REPO)
PAGES = sorted([REPO / "README.md", REPO / "CONTRIBUTING.md", *(REPO / "docs").glob("*.md")])
RUNNABLE = re.compile(r"^```python runnable\n(.*?)^```", re.S | re.M)
LINK = re.compile(r"\]\(([^)\s]+)\)")
COMMAND = re.compile(r"`(kata(?: [^`]*)?)`")
CHAPTER_REF = re.compile(r"\b[Cc]hapters? (\d\d)(?:\s*[–-]\s*(\d\d))?")
BOOK = ("Neural Networks from Scratch", "NNFS", "book")


def _rel(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@pytest.mark.parametrize("module", [ch.module for ch in MANIFEST.chapters])
def test_worked_examples_are_true_on_the_reference(module):
    failures = run_examples(REPO, module)
    assert not failures, "\n".join(failures)


def test_a_wrong_worked_example_is_caught(tmp_path):
    package = tmp_path / "wrong_solutions"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "ch99_wrong.py").write_text(textwrap.dedent('''
        import numpy as np

        def double(x):
            """2 x.

            >>> double(np.array([1.0, 2.0]))
            array([2., 5.])
            """
            return 2 * x
    '''))
    failures = run_examples(tmp_path, "ch99_wrong", package="wrong_solutions")
    assert len(failures) == 1 and "array([2., 4.])" in failures[0]


def _blocks():
    for page in PAGES:
        for index, match in enumerate(RUNNABLE.finditer(page.read_text(encoding="utf-8"))):
            yield pytest.param(match.group(1), id=f"{_rel(page)}#{index + 1}")


@pytest.mark.parametrize("source", list(_blocks()))
def test_runnable_blocks_in_the_notes_run_on_the_reference(source):
    code = re.sub(r"\bexercises\.", "solutions.", source)
    exec(compile(code, "<docs block>", "exec"), {"__name__": "docs_block"})


def test_a_failing_runnable_block_is_caught():
    with pytest.raises(AssertionError):
        test_runnable_blocks_in_the_notes_run_on_the_reference("assert 1 + 1 == 3\n")


def test_there_are_runnable_blocks_to_check():
    assert len(list(_blocks())) >= 2


def test_relative_links_resolve():
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # web addresses and anchors in the same page
            if not (page.parent / target.split("#")[0]).exists():
                broken.append(f"{_rel(page)}: ({target})")
    assert not broken, "links to files that do not exist:\n  " + "\n  ".join(broken)


def _as_arguments(command: str) -> list[str]:
    """A documented command as argv: usage syntax ([--opt ...], FOLDER) becomes sample values."""
    command = re.sub(r"\s*\[[^\]]*\]", "", command)  # optional parts
    command = re.split(r"\s*(?:&&|\|\||\||;)\s*", command)[0]  # the kata part of a shell line
    words = shlex.split(command.replace("~", "/home"))[1:]
    words = ["1" if re.fullmatch(r"[A-Z][A-Z_]*", w) else w for w in words]  # FOLDER, N, S
    if words[:1] == ["demo"] and words[1:2] == ["1"]:
        words[1] = "spiral"  # `kata demo NAME`: any demo's name
    return words


def test_kata_commands_in_the_docs_parse():
    parser = build_parser()
    names = set(parser._subparsers._group_actions[0].choices)
    bad = []
    for page in PAGES:
        for command in COMMAND.findall(page.read_text(encoding="utf-8")):
            argv = _as_arguments(command)
            if len(argv) == 1 and argv[0] in names:
                continue  # the command's name, as in "`kata grade` writes ..."
            try:
                parser.parse_args(argv)
            except SystemExit:
                bad.append(f"{_rel(page)}: `{command}`")
                continue
            for word in argv:
                if re.fullmatch(r"\d\d\.\d+", word):
                    try:
                        MANIFEST.exercise(word)
                    except KeyError:
                        bad.append(f"{_rel(page)}: `{command}` names no exercise {word}")
    assert not bad, "commands that kata would refuse:\n  " + "\n  ".join(bad)


def test_chapter_references_name_chapters_that_exist():
    known = {int(ch.id) for ch in MANIFEST.chapters}
    bad = []
    for page in PAGES:
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if any(word in line for word in BOOK):
                continue  # the book's chapters, not this course's
            for first, last in CHAPTER_REF.findall(line):
                wanted = range(int(first), int(last or first) + 1)
                missing = [n for n in wanted if n not in known]
                if missing:
                    bad.append(f"{_rel(page)}:{number}: chapter {missing[0]:02d} does not exist")
    assert not bad, "\n".join(bad)
