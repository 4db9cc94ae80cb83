"""``kata verify``: the author's check that the whole curriculum is consistent.

It names every problem it finds:

1. the manifest parses, and every chapter has its reference, test file and notes;
2. ``exercises/`` is exactly what the stub generator makes from ``solutions/``;
3. manifest, fences and graded tests are one-to-one (every exercise has a fence and tests);
4. every graded test passes on the reference and fails (or is "not started") on the stubs;
5. every catalogued mistake is rejected by at least one test of its exercise, and every
   exercise has at least one catalogued mistake; a mistake that declares its cause
   (``cause=``) is shown with a message that names it, or at least guesses no other cause;
6. layering: chapter N imports only chapters < N and the provided plumbing;
7. no hint quotes a line of its exercise's solution (:mod:`grader.author.hints`);
8. every exercise's docstring shows a worked example (whose truth ``grader/tests/test_docs.py``
   checks against the reference).
"""

from __future__ import annotations

import ast
import re
import tempfile
from collections import defaultdict
from pathlib import Path

from grader.manifest import Manifest
from grader.author.examples import missing_examples
from grader.author.causes import guesses, judge
from grader.author.hints import check_hints
from grader.author.mistakes import LOAD_ERRORS, catalog_by_exercise
from grader.testing.runner import run_pytest
from grader.author.stubgen import generate_all

FORBIDDEN_IMPORTS = {"grader", "solutions", "exercises", "tests", "mistakes", "torch"}


def check_files(manifest: Manifest, chapters: set[str]) -> list[str]:
    problems = []
    for chapter in (ch for ch in manifest.chapters if ch.id in chapters):
        for rel in (f"solutions/{chapter.module}.py", chapter.test_file, chapter.notes):
            if not (manifest.root / rel).is_file():
                problems.append(f"chapter {chapter.id}: {rel} is missing")
    return problems


def check_stubs(manifest: Manifest, chapters: set[str]) -> tuple[list[str], dict[Path, str]]:
    stubs, errors = generate_all(manifest)
    problems = [msg for key, msg in errors.items() if key in chapters or not key[:2].isdigit()]
    selected = {manifest.root / "exercises" / f"{ch.module}.py"
                for ch in manifest.chapters if ch.id in chapters}
    for path, text in stubs.items():
        rel = path.relative_to(manifest.root)
        if path.name.startswith("ch") and path not in selected:
            continue
        if not path.is_file():
            problems.append(f"{rel} is missing: run `kata stubs`")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{rel} differs from what solutions/ generates: run `kata stubs`")
    known = {p.name for p in stubs} | {f"{ch.module}.py" for ch in manifest.chapters}
    for path in sorted((manifest.root / "exercises").glob("*.py")):
        if path.name not in known:
            problems.append(f"{path.relative_to(manifest.root)} has no source in solutions/")
    return problems, stubs


def check_layering(manifest: Manifest, chapters: set[str]) -> list[str]:
    problems = []
    for path in sorted((manifest.root / "solutions").glob("*.py")):
        match = re.match(r"ch(\d{2})_", path.name)
        own = int(match.group(1)) if match else 0
        if match and match.group(1) not in chapters:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom):
                if node.level == 0:
                    names = [node.module or ""]
                else:  # from .chMM_x import y / from . import chMM_x
                    names = [node.module] if node.module else [a.name for a in node.names]
                    for name in names:
                        other = re.match(r"ch(\d{2})_", name or "")
                        if other and int(other.group(1)) >= own:
                            problems.append(f"solutions/{path.name}:{node.lineno}: chapter {own:02d} "
                                            f"imports {name}; a chapter may import only earlier ones")
                    names = []
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.split(".")[0] in FORBIDDEN_IMPORTS:
                    problems.append(f"solutions/{path.name}:{node.lineno}: imports {name}; "
                                    "reference code uses only NumPy, the stdlib and earlier chapters")
    return problems


def check_behaviour(manifest: Manifest, stubs: dict[Path, str],
                    chapters: set[str]) -> tuple[list[str], dict]:
    """Run every graded test against the reference, the stubs and each catalogued mistake."""
    problems: list[str] = []
    catalog = catalog_by_exercise(manifest.root)
    selected = [ch for ch in manifest.chapters if ch.id in chapters]
    problems.extend(LOAD_ERRORS.get(f"{ch.module}.py", "") for ch in selected)
    problems = [p for p in problems if p]
    test_files = [str(manifest.root / ch.test_file) for ch in selected
                  if (manifest.root / ch.test_file).is_file()]
    for ch in selected:  # hidden tests (instructors'): they too must fail on stubs, pass on the reference
        test_files += sorted(str(p) for p in (manifest.root / "tests" / "hidden").glob(f"test_{ch.module}_*.py"))
    if not test_files:
        return ["no graded test files to run"], {}
    with tempfile.TemporaryDirectory(prefix="kata-stubs-") as scratch:
        for path, text in stubs.items():
            (Path(scratch) / path.name).write_text(text, encoding="utf-8")
        result = run_pytest(manifest, [*test_files, f"--kata-verify={scratch}"])
    if result.crashed:
        return [f"pytest could not run the graded tests (exit {result.exit_code}):\n"
                + result.output[-3000:]], {}
    by_target: dict[str, list[dict]] = defaultdict(list)
    for record in result.records:
        by_target[record["target"]].append(record)
    for record in by_target["solutions"]:
        if record["status"] != "passed":
            problems.append(f"{record['nodeid']} fails on the reference: {record['message'][:400]}")
    for record in by_target["stubs"]:
        if record["status"] == "passed":
            problems.append(f"{record['nodeid']} passes on the untouched stub: it cannot fail")
    tested = {r["exercise"] for r in by_target["solutions"]}
    for ex in (ex for ch in selected for ex in ch.exercises):
        if ex.id not in tested:
            problems.append(f"{ex.id} has no graded test in {ex.chapter.test_file}")
        if not catalog.get(ex.id):
            problems.append(f"{ex.id} has no catalogued mistake in mistakes/{ex.module}.py")
    known = {ex.id for ch in selected for ex in ch.exercises}
    rejected, named, declared = 0, 0, 0
    for ex_id, entries in catalog.items():
        if ex_id not in known:
            if ex_id[:2] not in {ch.id for ch in manifest.chapters}:
                problems.extend(f"{e.origin}: mistake for unknown exercise {ex_id}" for e in entries)
            continue
        for entry in entries:
            runs = by_target.get(f"mistake:{entry.key}", [])
            if runs and all(r["status"] == "passed" for r in runs):
                problems.append(f"{entry.origin}: mistake {ex_id} \"{entry.description}\" passes all "
                                f"{len(runs)} tests of {ex_id}: add a test that rejects it")
            elif runs:
                rejected += 1
                shown = next(r["message"] for r in runs if r["status"] not in ("passed", "skipped"))
                if entry.causes:
                    declared += 1
                    verdict = judge(shown, entry.causes)
                    named += verdict == "named"
                    if verdict == "wrong":
                        problems.append(
                            f"{entry.origin}: mistake {ex_id} \"{entry.description}\" (cause "
                            f"{', '.join(entry.causes)}) is shown with a wrong guess: "
                            f"{guesses(shown)[0]!r}; make the guess right or silent")
    counts = {
        "tests": len(by_target["solutions"]),
        "reference passes": sum(r["status"] == "passed" for r in by_target["solutions"]),
        "stubs reject": sum(r["status"] != "passed" for r in by_target["stubs"]),
        "mistakes": sum(len(v) for k, v in catalog.items() if k in known),
        "mistakes rejected": rejected,
        "causes declared": declared,
        "causes named": named,
    }
    return problems, counts


def verify(manifest: Manifest, selectors: list[str] = (), echo=print) -> int:
    """Run every check (on some chapters only, if named), print a report, count the problems."""
    chapters = manifest.chapter_ids(list(selectors))
    problems: list[str] = []
    sections = [("files", check_files(manifest, chapters))]
    stub_problems, stubs = check_stubs(manifest, chapters)
    sections.append(("stubs in sync with solutions", stub_problems))
    sections.append(("layering (chapter N imports only chapters < N)",
                     check_layering(manifest, chapters)))
    sections.append(("a worked example in every exercise's docstring",
                     missing_examples(manifest, chapters)))
    sections.append(("hints end near the answer, never quote it", check_hints(manifest, chapters)))
    behaviour, counts = check_behaviour(manifest, stubs, chapters)
    sections.append(("tests vs reference, stubs and mistakes", behaviour))
    scope = "" if len(chapters) == len(manifest.chapters) else f" (chapters {', '.join(sorted(chapters))})"
    echo(f"kata verify: {len(manifest.chapters)} chapters, {len(manifest.exercises)} exercises{scope}")
    for title, found in sections:
        echo(f"  {'ok  ' if not found else 'FAIL'} {title}")
        for problem in found:
            echo(f"       - {problem}")
        problems.extend(found)
    if counts:
        echo(f"  {counts['tests']} graded tests: {counts['reference passes']} pass on the reference, "
             f"{counts['stubs reject']} fail on the stubs; {counts['mistakes rejected']} of "
             f"{counts['mistakes']} catalogued mistakes rejected")
        echo(f"  causes: {counts['causes named']} of {counts['causes declared']} mistakes that "
             "declare a cause are shown with it named (none with a wrong guess allowed)")
    echo("verify: all checks passed" if not problems else f"verify: {len(problems)} problem(s)")
    return len(problems)
